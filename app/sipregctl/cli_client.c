/*
 * cli_client.c - the telemetry socket client (see cli_client.h).
 *
 * Design decisions:
 * - Plain POSIX sockets with SO_RCVTIMEO: the CLI never hangs on a stuck
 *   server, and it needs nothing of DPDK.
 * - The greeting's max_output_len sizes the receive buffer, so an answer
 *   is never truncated by us (SEQPACKET would silently cut it).
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

#define GREETING_MAX 4096

int sr_cli_client_open(struct sr_cli_client *c, const char *prefix, int timeout_ms, char *err, size_t cap)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int n = snprintf(c->path, sizeof(c->path), "/var/run/dpdk/%s/dpdk_telemetry.v2", prefix);
	if (n < 0 || (size_t)n >= sizeof(sun.sun_path)) {
		snprintf(err, cap, "file prefix '%s' is too long", prefix);
		return -1;
	}
	memcpy(sun.sun_path, c->path, (size_t)n + 1);
	c->fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	if (c->fd < 0) {
		snprintf(err, cap, "socket: %s", strerror(errno));
		return -1;
	}
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		snprintf(err, cap, "cannot connect to %s: %s (is sipreg running with eal.file_prefix=%s?)",
			 c->path, strerror(errno), prefix);
		sr_cli_client_close(c);
		return -1;
	}
	char buf[GREETING_MAX];
	ssize_t r = recv(c->fd, buf, sizeof(buf) - 1, 0);
	if (r <= 0) {
		snprintf(err, cap, "%s: no greeting from the server: %s", c->path,
			 r < 0 ? strerror(errno) : "connection closed (too many clients?)");
		sr_cli_client_close(c);
		return -1;
	}
	buf[r] = '\0';
	json_t *g = json_loads(buf, 0, NULL);
	json_t *m = g ? json_object_get(g, "max_output_len") : NULL;
	c->max_len = json_is_integer(m) && json_integer_value(m) > 0 ? (size_t)json_integer_value(m) : 16384;
	json_decref(g);
	return 0;
}

void sr_cli_client_close(struct sr_cli_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

char *sr_cli_client_call(struct sr_cli_client *c, const char *cmd, char *err, size_t cap)
{
	if (send(c->fd, cmd, strlen(cmd), 0) < 0) {
		snprintf(err, cap, "%s: send: %s", c->path, strerror(errno));
		return NULL;
	}
	char *buf = malloc(c->max_len + 1);
	if (!buf) {
		snprintf(err, cap, "out of memory");
		return NULL;
	}
	ssize_t r = recv(c->fd, buf, c->max_len, 0);
	if (r <= 0) {
		snprintf(err, cap, "%s: no answer to %s: %s", c->path, cmd,
			 r < 0 ? strerror(errno) : "connection closed");
		free(buf);
		return NULL;
	}
	buf[r] = '\0';
	return buf;
}
