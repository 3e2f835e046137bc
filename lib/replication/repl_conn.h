/*
 * repl_conn.h - one asynchronous hiredis connection driven by poll(2).
 *
 * hiredis's asynchronous API needs an event loop to tell it when its
 * socket is readable or writable; it ships adapters for libev, libevent
 * and others. sipreg's control core has no such loop, only a poll loop, so
 * this is the adapter: hiredis's add/del read/write hooks set two flags,
 * sr_repl_conn_events says what to poll for, and sr_repl_conn_handle
 * feeds the result back. Nothing here blocks (connect is non-blocking;
 * only resolving a host name, which an address avoids, may).
 *
 * The connection also owns what hiredis 0.14 leaves to its user:
 * - reconnecting with exponential back-off (50 ms doubling up to a
 *   ceiling), counted;
 * - a handshake queued first on every new connection (CLIENT SETNAME when
 *   the connection has a name, then PING, or FUNCTION LOAD REPLACE of the
 *   replication functions on masters), so that commands queued behind it
 *   find the functions loaded;
 * - command timeouts: when the oldest unanswered command has waited longer
 *   than timeout_ms (plus the blocking time the command asked for, for
 *   XREAD BLOCK and WAIT), the connection is dropped; every unanswered
 *   callback then runs with a NULL reply, which callers treat as "not
 *   done" and retry.
 */
#ifndef SR_REPL_CONN_H
#define SR_REPL_CONN_H

#include <stdbool.h>
#include <stdint.h>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "repl_config.h"
#include "repl_fifo.h"

struct sr_repl_conn;

/* A reply (NULL: the connection failed or timed out before answering). */
typedef void sr_repl_reply_fn(struct sr_repl_conn *c, redisReply *reply, void *priv);

enum sr_repl_conn_state { SR_CONN_DOWN, SR_CONN_CONNECTING, SR_CONN_READY };

struct sr_repl_conn {
	char host[SR_REPL_HOST_MAX];
	uint16_t port;
	redisAsyncContext *ac;
	enum sr_repl_conn_state state;
	bool want_read, want_write;
	bool functions;            /* handshake loads the replication functions (masters only) */
	char name[32];             /* handshake names the connection (CLIENT SETNAME) when not empty */
	bool enabled;              /* reconnects when down */
	const uint64_t *now;       /* the owner's clock (ms) */
	uint32_t timeout_ms, backoff_max_ms, backoff_ms;
	uint64_t retry_at_ms;
	unsigned outstanding;      /* commands sent and not answered */
	struct sr_repl_fifo sent;  /* their callbacks, oldest first (repl_conn.c) */
	uint64_t progress_ms;      /* last reply, or when the first outstanding command was sent */
	uint32_t extra_ms;         /* longest blocking time among the outstanding commands */
	/* called when the connection becomes ready (up=true) or is lost (up=false) */
	void (*on_state)(void *owner, struct sr_repl_conn *c, bool up);
	void *owner;
	/* counters */
	uint64_t connects, failures, timeouts;
	char last_error[512];
};

void sr_repl_conn_init(struct sr_repl_conn *c, const char *host, uint16_t port, bool functions,
		       const uint64_t *now, uint32_t timeout_ms, uint32_t backoff_max_ms);
/* Drops the connection (pending callbacks run with NULL) and stops reconnecting. */
void sr_repl_conn_close(struct sr_repl_conn *c);

/*
 * Queues a formatted command (redisFormatCommandArgv). extra_ms: how long
 * the command may legitimately block in Redis. Allowed while CONNECTING
 * (it goes out after the handshake). Returns 0, or -1 when the connection
 * is down (fn is not called).
 */
int sr_repl_conn_send(struct sr_repl_conn *c, const char *cmd, size_t len, uint32_t extra_ms,
		      sr_repl_reply_fn *fn, void *priv);

/* Names this and later connections (CLIENT SETNAME in the handshake), so that Redis's CLIENT LIST tells them apart. */
void sr_repl_conn_set_name(struct sr_repl_conn *c, const char *name);

/* Turns on the function handshake for this and later connections (a seed found to be a master). */
void sr_repl_conn_load_functions(struct sr_repl_conn *c);

/* Timers: connects when due, enforces the command timeout. */
void sr_repl_conn_tick(struct sr_repl_conn *c);

/* The socket and the poll events wanted (fd -1: nothing to poll). */
int sr_repl_conn_fd(const struct sr_repl_conn *c, short *events);
/* Feeds poll's revents back. */
void sr_repl_conn_handle(struct sr_repl_conn *c, short revents);

static inline bool sr_repl_conn_ready(const struct sr_repl_conn *c)
{
	return c->state == SR_CONN_READY;
}

#endif
