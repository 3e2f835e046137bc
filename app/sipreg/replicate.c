/*
 * replicate.c - replication's control-core side: open, drive, feed, the
 * snapshot source, the role callback and the commands (see replicate.h).
 *
 * Design decisions:
 * - The feed is LMDB's committed batch, handed over after the commit and
 *   before the listener stream announces it: Redis never holds a change
 *   the node's own disk does not, so the snapshot source (LMDB read back)
 *   always includes every change handed over before it was opened, as the
 *   writer requires. The records are the bytes LMDB stores; a removal's
 *   record is dropped (Redis deletes by (AoR, id)).
 * - The snapshot reads LMDB a page at a time (sr_ctl_store_page, one read
 *   transaction per page, never blocking the writer of LMDB, which is this
 *   same thread): bindings of one AoR are adjacent in key order (AoR hash
 *   first), as the writer needs. A change committed between two pages is
 *   also in the writer's backlog and goes out after the resync marker.
 * - Figures: lib/replication belongs to this thread, so the control core
 *   copies its counters into a mutex-guarded copy every PUBLISH_MS; the
 *   command and HTTP threads read the copy, never the library.
 * - `sipregctl promote` runs on a command thread: it sets a flag the
 *   control core acts on at its next turn (at most a millisecond later).
 * - Serving: a node serves (answers ARP and SIP for the service address)
 *   only once Redis's role machine says it is the active; until then, and
 *   whenever Redis is unreachable at start, it is a standby. Fencing needs
 *   Redis's word; two nodes answering for one address would be worse than
 *   one node waiting for Redis.
 */
#include "replicate_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_malloc.h>

#include "ctl_record.h"
#include "ctl_store.h"
#include "persist.h"

#define PUBLISH_MS 100
#define SNAP_PAGE 1024       /* bindings per LMDB read transaction of a resynchronisation */
#define FINI_FLUSH_MS 1000   /* at shutdown: how long to wait for the last changes to settle */

static uint64_t now_unix_ms(const struct sr_app *app)
{
	return sr_clock_ms(&app->clock, rte_get_tsc_cycles());
}

/* --- the snapshot source: the node's own committed state, from LMDB --- */

static void snap_page_one(void *ctx, const struct sr_loc_binding *b)
{
	struct sr_replicate *x = ctx;
	size_t need = sr_ctl_record_size(b);
	if (need == 0)
		return;
	if (x->snap.len + 4 + need > x->snap.cap) {
		size_t cap = x->snap.cap ? x->snap.cap : 1 << 20;
		while (cap < x->snap.len + 4 + need)
			cap *= 2;
		uint8_t *p = realloc(x->snap.buf, cap);
		if (!p)
			return; /* counted below: the page comes out short, and next() reports an error */
		x->snap.buf = p;
		x->snap.cap = cap;
	}
	uint32_t n32 = (uint32_t)sr_ctl_record_encode(b, x->snap.buf + x->snap.len + 4, need);
	memcpy(x->snap.buf + x->snap.len, &n32, 4);
	x->snap.len += 4 + n32;
}

static int snap_open(void *ctx)
{
	struct sr_replicate *x = ctx;
	x->snap.len = x->snap.off = 0;
	x->snap.started = x->snap.end = false;
	return sr_persist_store(x->app) ? 0 : -1;
}

static int snap_next(void *ctx, struct sr_repl_change *out)
{
	struct sr_replicate *x = ctx;
	if (x->snap.off == x->snap.len) {
		if (x->snap.end)
			return 0;
		char err[256];
		uint8_t next[SR_CTL_KEY_LEN];
		x->snap.len = x->snap.off = 0;
		int n = sr_ctl_store_page(sr_persist_store(x->app), x->snap.started ? x->snap.after : NULL, SNAP_PAGE,
					  snap_page_one, x, next, err, sizeof(err));
		if (n < 0) {
			fprintf(stderr, "sipreg: replication: reading the store for a resynchronisation: %s\n", err);
			return -1;
		}
		if (n == 0) {
			x->snap.end = true;
			return 0;
		}
		memcpy(x->snap.after, next, SR_CTL_KEY_LEN);
		x->snap.started = true;
		if (x->snap.len == 0)
			return -1; /* out of memory for every record of a page */
	}
	uint32_t n32;
	memcpy(&n32, x->snap.buf + x->snap.off, 4);
	const uint8_t *rec = x->snap.buf + x->snap.off + 4;
	x->snap.off += 4 + n32;
	struct sr_loc_binding b;
	const char *why;
	if (sr_ctl_record_decode(rec, n32, &b, &why) != 0)
		return -1; /* our own encoding of what LMDB decoded: cannot happen */
	*out = (struct sr_repl_change){ .op = SR_REPL_ADDED, .id = b.st.id, .expires = b.st.expires,
					.aor = b.aor.p, .aor_len = b.aor.len, .rec = rec, .rec_len = n32 };
	return 1;
}

static void snap_close(void *ctx)
{
	struct sr_replicate *x = ctx;
	free(x->snap.buf);
	x->snap.buf = NULL;
	x->snap.len = x->snap.cap = x->snap.off = 0;
}

/* --- callbacks --- */

/* Settled ranges come in order: (settled_upto, upto] is durable or not as a whole. */
static void on_settled(void *ctx, uint64_t upto, bool durable)
{
	struct sr_replicate *x = ctx;
	if (!durable && x->n_failed < FAILED_RANGES) {
		x->failed[(x->failed_head + x->n_failed) % FAILED_RANGES] =
			(struct settled_range){ x->settled_upto + 1, upto };
		x->n_failed++;
	} else if (!durable) {
		/* more failed ranges than kept: widen the newest one (only ever fails more, never less) */
		x->failed[(x->failed_head + x->n_failed - 1) % FAILED_RANGES].to = upto;
	}
	x->settled_upto = upto;
}

bool sr_replicate_settled(struct sr_app *app, uint64_t first, uint64_t last, bool *durable)
{
	struct sr_replicate *x = app->repl;
	*durable = true;
	if (!x || x->settled_upto < last)
		return false;
	/* callers ask in increasing order: a failed range wholly before 'first' is of no more use */
	while (x->n_failed && x->failed[x->failed_head].to < first) {
		x->failed_head = (x->failed_head + 1) % FAILED_RANGES;
		x->n_failed--;
	}
	for (unsigned k = 0; k < x->n_failed; k++) {
		const struct settled_range *f = &x->failed[(x->failed_head + k) % FAILED_RANGES];
		if (f->from <= last && f->to >= first)
			*durable = false;
	}
	return true;
}

static void on_role(void *ctx, bool active, uint64_t epoch, const char *why)
{
	struct sr_replicate *x = ctx;
	int was = __atomic_exchange_n(&x->app->standby, active ? 0 : 1, __ATOMIC_ACQ_REL);
	if (was == (active ? 0 : 1))
		return;
	printf("sipreg: replication: %s at epoch %lu (%s); %s\n", active ? "active" : "standby",
	       (unsigned long)epoch, why && why[0] ? why : "-",
	       active ? "answering for the service address" : "not answering for the service address");
	fflush(stdout);
}

bool sr_replicate_available(const struct sr_app *app)
{
	return app->repl && sr_repl_available(app->repl->r);
}

/* --- control core --- */

int sr_replicate_init(struct sr_app *app)
{
	const struct sr_app_config *c = &app->cfg;
	if (!sr_repl_enabled(&c->repl))
		return 0;
	if (!c->persistence) {
		fprintf(stderr, "sipreg: replication.redis needs control.persistence=true: the committed events "
				"replicated and the state resynchronised come from the binding store\n");
		return -1;
	}
	if (c->repl.durability == SR_REPL_SYNC && c->durability != SR_DURABILITY_SYNC) {
		fprintf(stderr, "sipreg: replication.durability=sync needs control.durability=sync: a 200 waits "
				"for the store and for Redis through the same hold\n");
		return -1;
	}
	struct sr_replicate *x = rte_zmalloc("sr_replicate", sizeof(*x), RTE_CACHE_LINE_SIZE);
	if (!x) {
		fprintf(stderr, "sipreg: replication: out of memory\n");
		return -1;
	}
	x->app = app;
	pthread_mutex_init(&x->lock, NULL);
	/* not serving until Redis says this node is the active (see the opening comment) */
	__atomic_store_n(&app->standby, 1, __ATOMIC_RELEASE);
	app->repl = x;
	if (replicate_apply_init(x) != 0)
		return -1;
	struct sr_repl_callbacks cb = {
		.ctx = x, .settled = on_settled, .role = on_role, .follow = replicate_apply_follow,
		.snapshot = { .ctx = x, .open = snap_open, .next = snap_next, .close = snap_close },
	};
	char err[512];
	if (sr_repl_open(&c->repl, &cb, now_unix_ms(app), &x->r, err, sizeof(err)) != 0) {
		fprintf(stderr, "sipreg: replication: %s\n", err);
		return -1;
	}
	printf("sipreg: replication: node %s, Redis %s, starting as %s (failover after %u ms%s)\n", c->repl.node_id,
	       c->repl.redis, c->repl.role == SR_REPL_ROLE_ACTIVE ? "active" : "standby", c->repl.failover_ms,
	       c->repl.auto_failover ? "" : ", by command only");
	return 0;
}

static void publish(struct sr_replicate *x, uint64_t now_ms)
{
	if (now_ms < x->next_publish_ms)
		return;
	x->next_publish_ms = now_ms + PUBLISH_MS;
	struct sr_repl_stats st;
	sr_repl_stats(x->r, &st);
	pthread_mutex_lock(&x->lock);
	x->pub = st;
	snprintf(x->last_error, sizeof(x->last_error), "%s", sr_repl_last_error(x->r));
	pthread_mutex_unlock(&x->lock);
}

unsigned sr_replicate_poll(struct sr_app *app, uint64_t now_ms)
{
	struct sr_replicate *x = app->repl;
	if (!x)
		return 0;
	if (__atomic_exchange_n(&x->promote_req, 0, __ATOMIC_ACQ_REL))
		sr_repl_promote(x->r);
	sr_repl_poll(x->r, now_ms);
	unsigned work = replicate_apply_flush(x);
	publish(x, now_ms);
	return work;
}

unsigned sr_replicate_committed(struct sr_app *app, const struct sr_ctl_batch *b, uint64_t *first, uint64_t *last)
{
	struct sr_replicate *x = app->repl;
	uint64_t f = 0, l = 0;
	unsigned refused = 0;
	if (first)
		*first = *last = 0;
	if (!x)
		return 0;
	bool sync = app->cfg.repl.durability == SR_REPL_SYNC;
	if (!sr_app_serving(app))
		return 0; /* a standby's commits are its copy of what it follows: not written back, nothing held */
	if (!sr_repl_is_active(x->r))
		return sync ? b->n : 0; /* being demoted: sync never acknowledges what was not replicated */
	if (sync && !sr_repl_available(x->r)) {
		SR_STAT_ADD(x->fed_refused, b->n); /* Redis away or resynchronising: 500 at once, not a wait */
		return b->n;
	}
	size_t off = 0;
	enum sr_event_type type;
	const uint8_t *rec;
	size_t len;
	while (sr_ctl_batch_next(b, &off, &type, &rec, &len)) {
		struct sr_loc_binding bd;
		const char *why;
		if (sr_ctl_record_decode(rec, len, &bd, &why) != 0) {
			SR_STAT_INC(x->undecodable);
			continue;
		}
		/* enum sr_event_type and enum sr_repl_op list the same four changes in the same order */
		enum sr_repl_op op = (enum sr_repl_op)type;
		bool put = sr_repl_op_is_put(op);
		struct sr_repl_change ch = { .op = op, .id = bd.st.id, .expires = bd.st.expires, .aor = bd.aor.p,
					     .aor_len = bd.aor.len, .rec = put ? rec : NULL, .rec_len = put ? len : 0 };
		uint64_t seq = sr_repl_add(x->r, &ch);
		if (seq) {
			SR_STAT_INC(x->fed);
			f = f ? f : seq;
			l = seq;
		} else {
			SR_STAT_INC(x->fed_refused);
			refused++;
		}
	}
	if (first) {
		*first = f;
		*last = l;
	}
	return refused;
}
_Static_assert((int)SR_EV_ADDED == (int)SR_REPL_ADDED && (int)SR_EV_REFRESHED == (int)SR_REPL_REFRESHED &&
		       (int)SR_EV_REMOVED == (int)SR_REPL_REMOVED && (int)SR_EV_EXPIRED == (int)SR_REPL_EXPIRED,
	       "binding events and replication ops must map one to one");

void sr_replicate_fini(struct sr_app *app)
{
	struct sr_replicate *x = app->repl;
	if (!x)
		return;
	if (x->r) {
		/* the last commits of a stopping active: give Redis a moment to take them */
		uint64_t t0 = now_unix_ms(app);
		for (;;) {
			struct sr_repl_stats st;
			sr_repl_stats(x->r, &st);
			uint64_t now = now_unix_ms(app);
			if (!st.active || st.w.settled_seq >= st.w.last_seq || now > t0 + FINI_FLUSH_MS)
				break;
			sr_repl_poll(x->r, now);
			rte_delay_us_sleep(1000);
		}
		sr_repl_close(x->r);
	}
	replicate_apply_fini(x);
	snap_close(x);
	pthread_mutex_destroy(&x->lock);
	app->repl = NULL;
	rte_free(x);
}

/* --- commands (command threads) --- */

void sr_replicate_cmd_promote(struct sr_app *app, struct sr_ctl_out *out)
{
	struct sr_replicate *x = app->repl;
	if (!x) {
		sr_ctl_out_fail(out, "replication is off (replication.redis is empty)");
		return;
	}
	if (sr_app_serving(app)) {
		sr_ctl_out_str(out, "result", "already active");
		return;
	}
	__atomic_store_n(&x->promote_req, 1, __ATOMIC_RELEASE);
	sr_ctl_out_str(out, "result", "promotion requested");
}

void sr_replicate_cmd_status(struct sr_app *app, struct sr_ctl_out *out)
{
	struct sr_replicate *x = app->repl;
	if (!x) {
		sr_ctl_out_str(out, "replication", "off");
		return;
	}
	struct sr_repl_stats st;
	char err[sizeof(x->last_error)];
	pthread_mutex_lock(&x->lock);
	st = x->pub;
	memcpy(err, x->last_error, sizeof(err));
	pthread_mutex_unlock(&x->lock);
	sr_ctl_out_str(out, "node", app->cfg.repl.node_id);
	sr_ctl_out_str(out, "role", sr_repl_role_state_name(st.role));
	sr_ctl_out_u64(out, "serving", sr_app_serving(app));
	sr_ctl_out_u64(out, "epoch", st.epoch);
	sr_ctl_out_u64(out, "available", st.available);
	sr_ctl_out_u64(out, "events_replicated", st.w.events_replicated);
	sr_ctl_out_u64(out, "lag_events", st.w.last_seq - st.w.settled_seq);
	sr_ctl_out_u64(out, "lag_ms", st.w.lag_ms);
	sr_ctl_out_u64(out, "backlog_events", st.w.backlog_events);
	sr_ctl_out_u64(out, "follow_changes", st.f.changes);
	sr_ctl_out_u64(out, "follow_streaming", st.f.streaming);
	sr_ctl_out_u64(out, "follow_lag_ms", st.f.lag_ms);
	sr_ctl_out_u64(out, "failovers", st.failovers);
	sr_ctl_out_u64(out, "demotions", st.demotions);
	sr_ctl_out_str(out, "last_error", err);
}
