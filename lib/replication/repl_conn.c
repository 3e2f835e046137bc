/*
 * repl_conn.c - the poll adapter, reconnection and timeouts (see repl_conn.h).
 *
 * Design decisions:
 * - hiredis frees its context itself when the connection fails; the
 *   'cleanup' hook is the one place every path (error, timeout, close)
 *   goes through, so the state change to DOWN and the reconnect schedule
 *   live there, and nothing here touches a context after it.
 * - Each command's callback and argument wait in a FIFO (repl_fifo.h)
 *   rather than in a heap record per command: hiredis runs a connection's
 *   callbacks in the order the commands were sent (with NULL, still in
 *   order, when it fails), so the oldest record is always the one being
 *   answered. Layout 2 sends a command per AoR, and the malloc/free per
 *   command showed in the writer's profile (bench/RESULTS.md).
 */
#include "repl_conn.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repl_cmd.h"

#define BACKOFF_MIN_MS 50

/* What a command's reply goes to (c->sent). */
struct sent {
	sr_repl_reply_fn *fn;
	void *priv;
};

static void ev_add_read(void *p)
{
	((struct sr_repl_conn *)p)->want_read = true;
}

static void ev_del_read(void *p)
{
	((struct sr_repl_conn *)p)->want_read = false;
}

static void ev_add_write(void *p)
{
	((struct sr_repl_conn *)p)->want_write = true;
}

static void ev_del_write(void *p)
{
	((struct sr_repl_conn *)p)->want_write = false;
}

static void schedule_retry(struct sr_repl_conn *c)
{
	c->backoff_ms = c->backoff_ms ? c->backoff_ms * 2 : BACKOFF_MIN_MS;
	if (c->backoff_ms > c->backoff_max_ms)
		c->backoff_ms = c->backoff_max_ms;
	c->retry_at_ms = *c->now + c->backoff_ms;
}

/* hiredis is done with the context (any failure, timeout or close). */
static void ev_cleanup(void *p)
{
	struct sr_repl_conn *c = p;
	if (!c->ac)
		return;
	bool was_ready = c->state == SR_CONN_READY;
	c->ac->ev.data = NULL; /* hiredis may call cleanup again: it finds nothing to do */
	c->ac = NULL;
	c->want_read = c->want_write = false;
	c->state = SR_CONN_DOWN;
	if (!c->enabled)
		sr_repl_fifo_fini(&c->sent); /* closed: every callback has run (hiredis runs them first) */
	c->failures++;
	schedule_retry(c);
	if (was_ready && c->on_state)
		c->on_state(c->owner, c, false);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
	struct sr_repl_conn *c = ac->data;
	if (c && status != REDIS_OK && ac->errstr)
		snprintf(c->last_error, sizeof(c->last_error), "%s", ac->errstr);
}

static void trampoline(redisAsyncContext *ac, void *reply, void *privdata)
{
	(void)ac;
	struct sr_repl_conn *c = privdata;
	struct sent s;
	if (sr_repl_fifo_pop(&c->sent, &s) != 0)
		return; /* cannot happen: one record per command hiredis accepted */
	if (c->outstanding)
		c->outstanding--;
	c->progress_ms = *c->now;
	if (c->outstanding == 0)
		c->extra_ms = 0;
	s.fn(c, reply, s.priv);
}

static void drop(struct sr_repl_conn *c, const char *why)
{
	if (why)
		snprintf(c->last_error, sizeof(c->last_error), "%s", why);
	if (c->ac)
		redisAsyncFree(c->ac); /* deferred by hiredis when called from one of its callbacks */
}

static void handshake_done(struct sr_repl_conn *c, redisReply *r, void *priv)
{
	(void)priv;
	if (!r)
		return; /* the connection is already going down */
	if (r->type == REDIS_REPLY_ERROR) {
		char why[400];
		snprintf(why, sizeof(why), "%s:%u: %s%s", c->host, (unsigned)c->port,
			 c->functions ? "FUNCTION LOAD refused (Redis 7.0 or newer, a master, is needed): " : "",
			 r->str);
		drop(c, why);
		return;
	}
	c->state = SR_CONN_READY;
	c->backoff_ms = 0;
	c->connects++;
	if (c->on_state)
		c->on_state(c->owner, c, true);
}

static int send_raw(struct sr_repl_conn *c, const char *cmd, size_t len, uint32_t extra_ms, sr_repl_reply_fn *fn,
		    void *priv)
{
	if (!c->ac || (c->ac->c.flags & (REDIS_DISCONNECTING | REDIS_FREEING)))
		return -1;
	if (sr_repl_fifo_push(&c->sent, &(struct sent){ fn, priv }) != 0)
		return -1;
	if (redisAsyncFormattedCommand(c->ac, trampoline, c, cmd, len) != REDIS_OK) {
		sr_repl_fifo_unpush(&c->sent);
		return -1;
	}
	if (c->outstanding++ == 0) {
		c->progress_ms = *c->now;
		c->extra_ms = extra_ms;
	} else if (extra_ms > c->extra_ms) {
		c->extra_ms = extra_ms;
	}
	return 0;
}

/* A handshake command from C strings (formatted here: a handshake is rare). */
static int send_argv(struct sr_repl_conn *c, int argc, const char **argv, sr_repl_reply_fn *fn)
{
	char *cmd;
	int len = sr_repl_resp_format(&cmd, argc, argv, NULL);
	if (len < 0)
		return -1;
	int rc = send_raw(c, cmd, (size_t)len, 0, fn, NULL);
	free(cmd);
	return rc;
}

static int send_functions(struct sr_repl_conn *c)
{
	const char *argv[] = { "FUNCTION", "LOAD", "REPLACE", sr_repl_functions };
	return send_argv(c, 4, argv, handshake_done);
}

/*
 * The name is for operators' CLIENT LIST only: a refusal (an ACL without
 * client|setname, a proxy) is noted in last_error and the connection goes
 * on; the PING or FUNCTION LOAD reply after it decides readiness.
 */
static void named(struct sr_repl_conn *c, redisReply *r, void *priv)
{
	(void)priv;
	if (r && r->type == REDIS_REPLY_ERROR)
		snprintf(c->last_error, sizeof(c->last_error), "%s:%u: CLIENT SETNAME refused (connection kept): %s",
			 c->host, (unsigned)c->port, r->str);
}

static int send_name(struct sr_repl_conn *c)
{
	const char *argv[] = { "CLIENT", "SETNAME", c->name };
	return send_argv(c, 3, argv, named);
}

static void start_connect(struct sr_repl_conn *c)
{
	redisAsyncContext *ac = redisAsyncConnect(c->host, c->port);
	if (!ac || ac->err) {
		snprintf(c->last_error, sizeof(c->last_error), "%s:%u: %s", c->host, (unsigned)c->port,
			 ac ? ac->errstr : "out of memory");
		if (ac)
			redisAsyncFree(ac);
		c->failures++;
		schedule_retry(c);
		return;
	}
	ac->data = c;
	ac->ev.data = c;
	ac->ev.addRead = ev_add_read;
	ac->ev.delRead = ev_del_read;
	ac->ev.addWrite = ev_add_write;
	ac->ev.delWrite = ev_del_write;
	ac->ev.cleanup = ev_cleanup;
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
	c->ac = ac;
	c->state = SR_CONN_CONNECTING;
	c->want_read = true;
	c->want_write = true; /* the non-blocking connect completes as writability */
	static const char ping[] = "*1\r\n$4\r\nPING\r\n";
	if ((c->name[0] != '\0' && send_name(c) != 0) ||
	    (c->functions ? send_functions(c) : send_raw(c, ping, sizeof(ping) - 1, 0, handshake_done, NULL)) != 0)
		drop(c, "cannot queue the handshake");
}

void sr_repl_conn_init(struct sr_repl_conn *c, const char *host, uint16_t port, bool functions,
		       const uint64_t *now, uint32_t timeout_ms, uint32_t backoff_max_ms)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->host, sizeof(c->host), "%s", host);
	c->port = port;
	c->functions = functions;
	c->enabled = true;
	c->now = now;
	c->timeout_ms = timeout_ms;
	c->backoff_max_ms = backoff_max_ms < BACKOFF_MIN_MS ? BACKOFF_MIN_MS : backoff_max_ms;
	c->retry_at_ms = *now;
	sr_repl_fifo_init(&c->sent, sizeof(struct sent));
}

void sr_repl_conn_close(struct sr_repl_conn *c)
{
	c->enabled = false;
	c->on_state = NULL;
	drop(c, NULL);
	if (!c->ac) /* freed now (not deferred inside a callback): its callbacks have run */
		sr_repl_fifo_fini(&c->sent);
}

int sr_repl_conn_send(struct sr_repl_conn *c, const char *cmd, size_t len, uint32_t extra_ms,
		      sr_repl_reply_fn *fn, void *priv)
{
	return send_raw(c, cmd, len, extra_ms, fn, priv);
}

void sr_repl_conn_set_name(struct sr_repl_conn *c, const char *name)
{
	snprintf(c->name, sizeof(c->name), "%s", name);
}

void sr_repl_conn_load_functions(struct sr_repl_conn *c)
{
	if (c->functions)
		return;
	c->functions = true;
	if (c->ac && send_functions(c) != 0) /* queued ahead of anything sent after this */
		drop(c, "cannot queue FUNCTION LOAD");
}

void sr_repl_conn_tick(struct sr_repl_conn *c)
{
	uint64_t now = *c->now;
	if (!c->ac) {
		if (c->enabled && now >= c->retry_at_ms)
			start_connect(c);
		return;
	}
	if (c->outstanding && now - c->progress_ms > (uint64_t)c->timeout_ms + c->extra_ms) {
		char why[400];
		snprintf(why, sizeof(why), "%s:%u: no answer within %u ms", c->host, (unsigned)c->port,
			 c->timeout_ms + c->extra_ms);
		c->timeouts++;
		drop(c, why);
	}
}

int sr_repl_conn_fd(const struct sr_repl_conn *c, short *events)
{
	if (!c->ac)
		return -1;
	*events = (short)(POLLIN | (c->want_write ? POLLOUT : 0));
	return c->ac->c.fd;
}

void sr_repl_conn_handle(struct sr_repl_conn *c, short revents)
{
	if (c->ac && (revents & (POLLIN | POLLERR | POLLHUP | POLLNVAL)))
		redisAsyncHandleRead(c->ac);
	if (c->ac && (revents & POLLOUT))
		redisAsyncHandleWrite(c->ac);
}
