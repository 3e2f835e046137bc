/*
 * ctl_socket.h - sipreg's control socket: a Unix stream socket that serves
 * a command table (ctl_table.h) as newline-delimited JSON, with no limit on
 * an answer's size. sipreg opens it at
 * /var/run/dpdk/<eal.file_prefix>/sipreg_ctl.sock; sipregctl uses it for
 * every command but `watch`. The protocol is in ctl_table.h and
 * docs/OPERATIONS.md.
 *
 * Design decisions:
 * - Threads of its own, like DPDK's telemetry: an accept thread and one
 *   thread per connected client (at most SR_CTL_SOCKET_MAX_CLIENTS; one
 *   more is told so and closed). A command may wait (an AoR query waits for
 *   its worker), and it must never wait on the control core's loop, which
 *   commits the bindings.
 * - Blocking writes with a send timeout: an answer of any size goes out
 *   whole; a client that stops reading for SR_CTL_SOCKET_SEND_TIMEOUT_S is
 *   disconnected, and an idle one after SR_CTL_SOCKET_IDLE_S.
 * - A request line is at most SR_CTL_SOCKET_MAX_REQUEST bytes (answered
 *   {"error": ...} and closed beyond it): requests are names and URIs.
 * - Close wakes every thread (an eventfd they all poll) and joins them, so
 *   when it returns no command is running any more and the table's context
 *   may go.
 */
#ifndef SR_CTL_SOCKET_H
#define SR_CTL_SOCKET_H

#include <stddef.h>

#include "ctl_table.h"

#define SR_CTL_SOCKET_MAX_CLIENTS 8
#define SR_CTL_SOCKET_MAX_REQUEST (64u << 10)
#define SR_CTL_SOCKET_SEND_TIMEOUT_S 10
#define SR_CTL_SOCKET_IDLE_S 300

struct sr_ctl_socket;

/*
 * Listens on path (a stale socket file is replaced) and serves t, which
 * must outlive the server. Returns 0, or -1 with the reason in err.
 */
int sr_ctl_socket_open(const char *path, const struct sr_ctl_table *t, struct sr_ctl_socket **out, char *err,
		       size_t cap);
/* Stops serving: wakes and joins every thread, removes the socket file. NULL is a no-op. */
void sr_ctl_socket_close(struct sr_ctl_socket *s);

#endif
