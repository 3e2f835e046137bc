/*
 * cli_watch.c - `sipregctl watch` (see cli_watch.h): line framing over the
 * stream socket and the human rendering of each message. Reads block:
 * a watcher waits for changes as long as sipreg runs.
 */
#include "cli_watch.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int sr_cli_watch_line(const char *line, bool json, FILE *out, char *err, size_t cap)
{
	json_error_t je;
	json_t *m = json_loads(line, 0, &je);
	const char *ev = m ? json_string_value(json_object_get(m, "event")) : NULL;
	int rc = 0;
	if (!ev) {
		snprintf(err, cap, "not a listener message: %.200s", line);
		rc = -1;
	} else if (strcmp(ev, "cut") == 0) {
		const char *why = json_string_value(json_object_get(m, "reason"));
		snprintf(err, cap, "sipreg cut this subscriber off: %s", why ? why : "(no reason given)");
		rc = 1;
	} else if (json) {
		fprintf(out, "%s\n", line);
	} else if (strcmp(ev, "synced") == 0) {
		fputs("-- synced: current state above, live changes below\n", out);
	} else if (strcmp(ev, "contactsAdded") == 0 || strcmp(ev, "contactsRemoved") == 0) {
		const char *aor = json_string_value(json_object_get(m, "aor"));
		json_t *cs = json_object_get(m, "contacts");
		if (!aor || !json_is_array(cs)) {
			snprintf(err, cap, "%s without aor or contacts: %.200s", ev, line);
			rc = -1;
		} else {
			fprintf(out, "%-7s %s", ev[8] == 'A' ? "added" : "removed", aor);
			for (size_t i = 0; i < json_array_size(cs); i++) {
				const char *c = json_string_value(json_array_get(cs, i));
				fprintf(out, " %s", c ? c : "?");
			}
			fputc('\n', out);
		}
	} else {
		snprintf(err, cap, "unknown listener event '%s'", ev);
		rc = -1;
	}
	json_decref(m);
	fflush(out);
	return rc;
}

int sr_cli_watch(const char *prefix, bool json)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int n = snprintf(sa.sun_path, sizeof(sa.sun_path), "/var/run/dpdk/%s/sipreg_listen.sock", prefix);
	if (n < 0 || (size_t)n >= sizeof(sa.sun_path)) {
		fprintf(stderr, "sipregctl: prefix too long: %s\n", prefix);
		return 1;
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		fprintf(stderr, "sipregctl: cannot connect to %s: %s (is sipreg running with eal.file_prefix=%s and "
			"control.persistence=true?)\n", sa.sun_path, strerror(errno), prefix);
		if (fd >= 0)
			close(fd);
		return 1;
	}
	size_t cap = 1u << 16, len = 0;
	char *buf = malloc(cap + 1), err[512];
	int rc = buf ? 0 : 1;
	while (rc == 0) {
		ssize_t k = recv(fd, buf + len, cap - len, 0);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			if (k < 0)
				fprintf(stderr, "sipregctl: reading the stream: %s\n", strerror(errno));
			else
				fprintf(stderr, "sipregctl: sipreg closed the stream\n");
			rc = k < 0 ? 1 : 0;
			break;
		}
		len += (size_t)k;
		size_t start = 0;
		for (size_t i = 0; i < len && rc == 0; i++) {
			if (buf[i] != '\n')
				continue;
			buf[i] = '\0';
			if (sr_cli_watch_line(buf + start, json, stdout, err, sizeof(err)) != 0) {
				fprintf(stderr, "sipregctl: %s\n", err);
				rc = 1;
			}
			start = i + 1;
		}
		memmove(buf, buf + start, len - start);
		len -= start;
		if (len == cap) {
			fprintf(stderr, "sipregctl: a stream line longer than %zu bytes\n", cap);
			rc = 1;
		}
	}
	free(buf);
	close(fd);
	return rc;
}
