/*
 * cli_client.c - the control socket client (see cli_client.h).
 *
 * Design decisions:
 * - Plain POSIX sockets with SO_RCVTIMEO: the CLI never hangs on a stuck
 *   server, and it needs nothing of DPDK.
 * - The answer is read until its '\n' into a buffer that grows as needed:
 *   no answer is too long (an AoR with many bindings, a large dump page).
 * - The request is built by jansson, so any parameter (a URI with quotes or
 *   commas) arrives exactly as given.
 */
#include "cli_client.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

int sr_cli_client_path(const char *prefix, char *out, size_t cap)
{
	int n = snprintf(out, cap, "/var/run/dpdk/%s/sipreg_ctl.sock", prefix);
	return n < 0 || (size_t)n >= cap || (size_t)n >= sizeof(((struct sockaddr_un *)0)->sun_path) ? -1 : 0;
}

int sr_cli_client_open(struct sr_cli_client *c, const char *path, int timeout_ms, char *err, size_t cap)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t n = strlen(path);
	if (n >= sizeof(sun.sun_path) || n >= sizeof(c->path)) {
		snprintf(err, cap, "control socket path '%s' is too long", path);
		return -1;
	}
	memcpy(c->path, path, n + 1);
	memcpy(sun.sun_path, path, n + 1);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		snprintf(err, cap, "socket: %s", strerror(errno));
		return -1;
	}
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		snprintf(err, cap, "cannot connect to %s: %s (is sipreg running with that eal.file_prefix?)", c->path,
			 strerror(errno));
		sr_cli_client_close(c);
		return -1;
	}
	return 0;
}

void sr_cli_client_close(struct sr_cli_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->buf);
	c->buf = NULL;
	c->len = c->cap = 0;
}

/* The next line from the server (malloc'd, without '\n'), or NULL with err set. */
static char *read_line(struct sr_cli_client *c, const char *cmd, char *err, size_t cap)
{
	for (;;) {
		char *nl = c->buf ? memchr(c->buf, '\n', c->len) : NULL;
		if (nl) {
			size_t n = (size_t)(nl - c->buf);
			char *line = malloc(n + 1);
			if (!line) {
				snprintf(err, cap, "out of memory");
				return NULL;
			}
			memcpy(line, c->buf, n);
			line[n] = '\0';
			memmove(c->buf, nl + 1, c->len - n - 1);
			c->len -= n + 1;
			return line;
		}
		if (c->cap - c->len < 65536) {
			size_t ncap = c->cap ? 2 * c->cap : 1u << 16;
			char *nb = realloc(c->buf, ncap);
			if (!nb) {
				snprintf(err, cap, "out of memory for the answer to %s", cmd);
				return NULL;
			}
			c->buf = nb;
			c->cap = ncap;
		}
		ssize_t r = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			snprintf(err, cap, "%s: no answer to %s: %s", c->path, cmd,
				 r < 0 ? (errno == EAGAIN || errno == EWOULDBLOCK ? "timed out (--timeout)" : strerror(errno))
				       : "connection closed");
			return NULL;
		}
		c->len += (size_t)r;
	}
}

char *sr_cli_client_call(struct sr_cli_client *c, const char *cmd, const char *params, char *err, size_t cap)
{
	json_t *req = json_pack("{s:s, s:s?}", "cmd", cmd, "params", params);
	char *text = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	if (!text) {
		snprintf(err, cap, "cannot build the request for %s (parameters not UTF-8?)", cmd);
		return NULL;
	}
	/* one line, one send: a blocking stream socket takes a request this small whole */
	size_t n = strlen(text);
	text[n] = '\n'; /* over the NUL: n + 1 bytes are ours */
	ssize_t k = send(c->fd, text, n + 1, MSG_NOSIGNAL);
	free(text);
	if (k != (ssize_t)(n + 1)) {
		snprintf(err, cap, "%s: send: %s", c->path, k < 0 ? strerror(errno) : "short write");
		return NULL;
	}
	return read_line(c, cmd, err, cap);
}
