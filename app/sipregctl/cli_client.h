/*
 * cli_client.h - one request/answer at a time over sipreg's control socket.
 *
 * The socket (/var/run/dpdk/<eal.file_prefix>/sipreg_ctl.sock) is a Unix
 * stream socket speaking newline-delimited JSON (protocol:
 * lib/ctl/ctl_table.h, docs/OPERATIONS.md): the client writes
 * {"cmd": "/sipreg/aor", "params": "sip:..."} and a '\n', the server answers
 * one line {"/sipreg/aor": {...}} of any length. Every wait is bounded by a
 * receive timeout.
 */
#ifndef SR_CLI_CLIENT_H
#define SR_CLI_CLIENT_H

#include <stddef.h>

struct sr_cli_client {
	int fd;
	char path[108];
	char *buf;        /* bytes received and not yet returned */
	size_t len, cap;
};

/* The control socket of the instance with this eal.file_prefix. Returns 0, or -1 when the path is too long. */
int sr_cli_client_path(const char *prefix, char *out, size_t cap);
/* Connects to the control socket at path. Returns 0, or -1 with a message in err. */
int sr_cli_client_open(struct sr_cli_client *c, const char *path, int timeout_ms, char *err, size_t cap);
void sr_cli_client_close(struct sr_cli_client *c);

/*
 * Runs cmd with params (NULL: none); returns the answer line (malloc'd,
 * NUL-terminated, without its '\n'; caller frees) or NULL with err set.
 */
char *sr_cli_client_call(struct sr_cli_client *c, const char *cmd, const char *params, char *err, size_t cap);

#endif
