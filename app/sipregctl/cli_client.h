/*
 * cli_client.h - one request/answer over sipreg's DPDK telemetry socket.
 *
 * The socket (/var/run/dpdk/<eal.file_prefix>/dpdk_telemetry.v2) is a
 * SOCK_SEQPACKET Unix socket: on connect the server sends a JSON greeting
 * with max_output_len, then each command "/name,params" gets exactly one
 * JSON message back. Every wait is bounded by a receive timeout.
 */
#ifndef SR_CLI_CLIENT_H
#define SR_CLI_CLIENT_H

#include <stddef.h>

struct sr_cli_client {
	int fd;
	size_t max_len;
	char path[256];
};

/* Connects (prefix = eal.file_prefix). Returns 0, or -1 with a message in err. */
int sr_cli_client_open(struct sr_cli_client *c, const char *prefix, int timeout_ms, char *err, size_t cap);
void sr_cli_client_close(struct sr_cli_client *c);

/* Sends cmd; returns the answer (malloc'd, NUL-terminated; caller frees) or NULL with err set. */
char *sr_cli_client_call(struct sr_cli_client *c, const char *cmd, char *err, size_t cap);

#endif
