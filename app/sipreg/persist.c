/*
 * persist.c - event rings, batched commits, failure handling and restore
 * (see persist.h); the resync of an AoR after a failed sync commit is in
 * persist_resync.c.
 *
 * Design decisions:
 * - Slots, not a byte ring: a slot is encoded in place by the worker and
 *   handed over by pointer, so the control core reads the record where the
 *   worker wrote it; rte_ring and rte_mempool are DPDK's lock-free
 *   building blocks for exactly this. One pool per worker keeps one
 *   worker's backlog from starving another.
 * - Room is claimed before a change, not hoped for after it: the location
 *   store asks for room for each event while it prepares a change
 *   (struct sr_loc_room) and the worker takes a slot for it then; no slot
 *   means the change is not made and the REGISTER gets 500 with
 *   Retry-After. So an acknowledged change always has its event handed
 *   over. Expiry claims nothing (losing an expiry's event is harmless: a
 *   restore drops what expired); it is counted when it finds no slot.
 * - A record larger than a slot (Path, IMS feature tags, push parameters:
 *   up to what the registrar accepts) is encoded into a buffer from malloc
 *   that the slot points at, taken when the room is claimed and freed by
 *   the control core. Chosen over a second pool of large slots (memory
 *   reserved for a rare case, and a size limit again) and over chunking a
 *   record across slots (reassembly on the control core for a rare case):
 *   the common record still fits its slot, so the hot path allocates
 *   nothing, and a failed malloc is one more refused claim. A removal
 *   carries only its key and contact (sr_ctl_record_removal), so it is
 *   small whatever the binding held.
 * - Sequence numbers per worker are stamped on every event; the control
 *   core decides them in order and publishes, per worker, the newest one
 *   decided (committed_seq, release store), and with durability=sync which
 *   of them failed (ctl_verdict.h) before it moves the watermark past them.
 * - A failed commit in sync mode fails its batch: every event of it is
 *   told failed, so the worker sends each held response's retraction (the
 *   500 the registrar wrote with the 200) instead of the 200, and each AoR
 *   of the batch is resynced: the control core reads the AoR's committed
 *   records and hands them to the owner worker, which replaces the AoR's
 *   bindings with them through the location store (sr_loc_forget, then
 *   sr_loc_restore: no event) and answers with a marker event. From the
 *   failure until that marker, the AoR's events are dropped and told
 *   failed: they were made on the state being undone, and dropping them
 *   keeps the AoR's committed records as they were read. The worker takes
 *   the marker's slot before it touches the AoR, so nothing of the AoR can
 *   slip between the resync and the marker. After the marker, memory and
 *   disk agree and the AoR's events are stored again. A request is handed
 *   over before the watermark that tells its retractions moves, so the
 *   worker undoes a change before it answers 500 for it (unless the store
 *   read or the owner's ring fails: the request then waits on the control
 *   core and is retried every poll).
 * - A failed commit in async mode keeps the batch and keeps draining into
 *   it (up to BACKLOG_BYTES, then the rings fill and REGISTERs get 500 with
 *   Retry-After through the room claim), retrying with a growing pause
 *   (RETRY_MIN_MS doubling to RETRY_MAX_MS); the backlog is committed in
 *   one transaction when space returns. Failures are counted, and logged
 *   at most every LOG_EVERY_MS with how many happened meanwhile.
 * - Restore (persist_restore.c) gives each stored binding to the worker
 *   owning its AoR's bucket (the same table the data plane uses), one
 *   thread per worker's shard, before any worker is launched.
 */
#include "persist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_malloc.h>

#include "persist_internal.h"
#include "replicate.h"

#define BACKLOG_BYTES (256u << 20) /* async: encoded events kept while commits fail */
#define RETRY_MIN_MS 10
#define RETRY_MAX_MS 1000
#define LOG_EVERY_MS 10000

static int create_rings(struct sr_app *app, struct sr_persist *p)
{
	const struct sr_app_config *c = &app->cfg;
	for (unsigned i = 0; i < app->n_workers; i++) {
		struct persist_worker *pw = &p->w[i];
		char name[RTE_RING_NAMESIZE];
		int socket = (int)rte_lcore_to_socket_id(app->w[i]->lcore);
		snprintf(name, sizeof(name), "sr_ev_%u", i);
		pw->ring = rte_ring_create(name, c->event_ring, socket,
					   RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ);
		snprintf(name, sizeof(name), "sr_evslot_%u", i);
		pw->pool = rte_mempool_create(name, c->event_ring, p->slot_bytes, 0, 0, NULL, NULL,
					      NULL, NULL, socket, 0);
		pw->claims = rte_zmalloc_socket("sr_claims", MAX_CLAIMS * sizeof(*pw->claims), 0, socket);
		bool ok = pw->ring && pw->pool && pw->claims;
		if (ok && p->sync) {
			snprintf(name, sizeof(name), "sr_resync_%u", i);
			pw->resync = rte_ring_create(name, c->event_ring, socket,
						     RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ);
			ok = pw->resync && sr_ctl_holdq_init(&pw->held, c->event_ring) == 0 &&
			     sr_ctl_verdict_init(&pw->verdict, c->event_ring) == 0;
		}
		if (!ok) {
			fprintf(stderr, "sipreg: persistence: cannot allocate %u event slots of %u bytes for "
				"worker %u (control.event_ring, control.event_slot_bytes): %s\n",
				c->event_ring, p->slot_bytes, i, rte_strerror(rte_errno));
			return -1;
		}
	}
	return 0;
}

/* The store's notice (a migration about to start), on stdout at once: the start may then take minutes. */
static void say_migrating(void *ctx, const char *what)
{
	printf("sipreg: persistence in %s: %s\n", (const char *)ctx, what);
	fflush(stdout);
}

int sr_persist_init(struct sr_app *app)
{
	const struct sr_app_config *c = &app->cfg;
	if (!c->persistence) {
		if (c->durability == SR_DURABILITY_SYNC) {
			fprintf(stderr, "sipreg: control.durability=sync needs control.persistence=true\n");
			return -1;
		}
		return 0;
	}
	struct sr_persist *p = rte_zmalloc("sr_persist", sizeof(*p), RTE_CACHE_LINE_SIZE);
	if (!p) {
		fprintf(stderr, "sipreg: persistence: out of memory\n");
		return -1;
	}
	app->persist = p;
	p->app = app;
	p->slot_bytes = c->event_slot_bytes;
	p->sync = c->durability == SR_DURABILITY_SYNC;
	p->repl_sync = p->sync && sr_repl_enabled(&c->repl) && c->repl.durability == SR_REPL_SYNC;
	p->repl_tail = &p->repl_head;
	sr_ctl_aorset_init(&p->resyncing);
	p->pending_tail = &p->pending;
	char err[1024];
	if (sr_ctl_store_open_noting(c->data_dir, c->map_size, say_migrating, (void *)c->data_dir, &p->store, err,
				     sizeof(err)) != 0) {
		fprintf(stderr, "sipreg: refusing to start: %s\n", err);
		return -1;
	}
	if (sr_ctl_store_migrated(p->store))
		printf("sipreg: persistence in %s: %lu binding keys rewritten from store format %d to %d\n",
		       c->data_dir, (unsigned long)sr_ctl_store_migrated(p->store), SR_CTL_STORE_FORMAT_OLD_REWRITTEN,
		       SR_CTL_STORE_FORMAT);
	if (sr_ctl_batch_init(&p->batch, c->batch_events, c->flush_ms) != 0 || create_rings(app, p) != 0)
		return -1;

	uint64_t t0 = rte_get_tsc_cycles();
	uint32_t now_s = (uint32_t)(sr_clock_ms(&app->clock, t0) / 1000);
	struct sr_ctl_load_stats ls;
	if (persist_restore(app, p, now_s, &ls, err, sizeof(err)) != 0) {
		fprintf(stderr, "sipreg: refusing to start: %s\n", err);
		return -1;
	}
	p->restored = ls.loaded;
	p->restore_dropped = ls.dropped;
	p->restore_us = (rte_get_tsc_cycles() - t0) * 1000000 / rte_get_tsc_hz();
	sr_ctl_store_count(p->store, &p->store_bindings, &p->store_bytes);
	char lpath[512];
	snprintf(lpath, sizeof(lpath), "%s/sipreg_listen.sock", rte_eal_get_runtime_dir());
	if (sr_ctl_listener_open(lpath, p->store, SR_CTL_LISTENER_SUB_BYTES, &p->listener, err, sizeof(err)) != 0)
		fprintf(stderr, "sipreg: warning: %s; `sipregctl watch` is off\n", err);
	printf("sipreg: persistence in %s: %lu bindings restored, %lu expired while down, in %lu ms (%lu KiB read "
	       "ahead)\n", c->data_dir, (unsigned long)ls.loaded, (unsigned long)ls.dropped,
	       (unsigned long)(p->restore_us / 1000), (unsigned long)(ls.advised >> 10));
	p->started = true;
	return 0;
}

/* --- worker side: room, events, held responses, resyncs --- */

/* The record an event carries: the whole binding, or for a removal only its key and contact. */
static void event_view(enum sr_event_type type, const struct sr_loc_binding *b, struct sr_loc_binding *out)
{
	if (type == SR_EV_REMOVED || type == SR_EV_EXPIRED)
		sr_ctl_record_removal(b, out);
	else
		*out = *b;
}

bool sr_persist_claim(void *ctx, enum sr_event_type type, const struct sr_loc_binding *b)
{
	struct sr_worker *w = ctx;
	struct sr_persist *p = w->app->persist;
	if (!p || !sr_ctl_record_kept(b))
		return true; /* memory-only: its event is not persisted (sr_persist_emit skips it too) */
	struct persist_worker *pw = &p->w[w->id];
	struct sr_loc_binding view;
	event_view(type, b, &view);
	size_t need = sr_ctl_record_size(&view);
	if (need == 0) {
		SR_STAT_INC(pw->lost[LOST_OVERSIZE]); /* a field over 65535 bytes: the store refuses it too */
		return false;
	}
	if (pw->claim_head + pw->n_claims >= MAX_CLAIMS) {
		SR_STAT_INC(pw->refused[REFUSED_NO_SLOT]); /* more events than one change can announce */
		return false;
	}
	struct claim *c = &pw->claims[pw->claim_head + pw->n_claims];
	if (rte_mempool_get(pw->pool, (void **)&c->s) != 0) {
		SR_STAT_INC(pw->refused[REFUSED_NO_SLOT]);
		return false;
	}
	c->ext = NULL;
	c->ext_cap = 0;
	if (need > p->slot_bytes - SLOT_HDR) {
		if (!(c->ext = malloc(need))) {
			rte_mempool_put(pw->pool, c->s);
			SR_STAT_INC(pw->refused[REFUSED_NO_MEMORY]);
			return false;
		}
		c->ext_cap = need;
	}
	pw->n_claims++;
	return true;
}

void sr_persist_release_room(void *ctx)
{
	struct sr_worker *w = ctx;
	struct sr_persist *p = w->app->persist;
	if (!p)
		return;
	struct persist_worker *pw = &p->w[w->id];
	for (unsigned i = 0; i < pw->n_claims; i++) {
		struct claim *c = &pw->claims[pw->claim_head + i];
		free(c->ext);
		rte_mempool_put(pw->pool, c->s);
	}
	pw->claim_head = pw->n_claims = 0;
}

/* A slot (and buffer) for an event: its claim, or for an unclaimed event (expiry) one taken now. */
static bool take_slot(struct sr_persist *p, struct persist_worker *pw, size_t need, struct claim *out)
{
	if (pw->n_claims) {
		*out = pw->claims[pw->claim_head++];
		if (--pw->n_claims == 0)
			pw->claim_head = 0;
	} else if (rte_mempool_get(pw->pool, (void **)&out->s) != 0) {
		SR_STAT_INC(pw->lost[LOST_NO_SLOT]);
		return false;
	} else {
		out->ext = NULL;
		out->ext_cap = 0;
	}
	if (need <= p->slot_bytes - SLOT_HDR) {
		free(out->ext);
		out->ext = NULL;
	} else if (out->ext_cap < need) {
		free(out->ext);
		if (!(out->ext = malloc(need))) {
			rte_mempool_put(pw->pool, out->s);
			SR_STAT_INC(pw->lost[LOST_OVERSIZE]);
			return false;
		}
	}
	return true;
}

void sr_persist_emit(struct sr_app *app, unsigned worker, const struct sr_loc_event *ev)
{
	struct sr_persist *p = app->persist;
	if (!p || !sr_ctl_record_kept(ev->b))
		return;
	struct persist_worker *pw = &p->w[worker];
	struct sr_loc_binding view;
	event_view(ev->type, ev->b, &view);
	size_t need = sr_ctl_record_size(&view);
	struct claim c;
	if (need == 0) {
		SR_STAT_INC(pw->lost[LOST_OVERSIZE]);
		return;
	}
	if (!take_slot(p, pw, need, &c))
		return;
	struct slot *s = c.s;
	s->seq = ++pw->seq;
	s->type = (uint8_t)ev->type;
	s->ext = c.ext;
	s->req = NULL;
	s->len = (uint32_t)sr_ctl_record_encode(&view, s->ext ? s->ext : s->rec, need);
	/* the ring holds as many entries as the pool has slots: this cannot fail */
	rte_ring_sp_enqueue(pw->ring, s);
}

unsigned sr_persist_hold(struct sr_app *app, unsigned worker, struct rte_mbuf **frames, unsigned n, bool change,
			 struct rte_mbuf *retraction, struct rte_mbuf *retraction_replica)
{
	struct sr_persist *p = app->persist;
	if (!p || !p->sync) {
		rte_pktmbuf_free(retraction_replica); /* NULL-safe; not written without sync */
		return n;
	}
	struct persist_worker *pw = &p->w[worker];
	if (!change && sr_ctl_holdq_count(&pw->held) == 0 &&
	    pw->seq <= __atomic_load_n(&pw->committed_seq, __ATOMIC_ACQUIRE))
		return n;
	if (sr_ctl_holdq_count(&pw->held) + n > pw->held.cap) {
		/* cannot wait for the commit: never acknowledge what may not be stored */
		SR_STAT_INC(pw->hold_full);
		rte_pktmbuf_free_bulk(frames, n);
		rte_pktmbuf_free(retraction_replica); /* the node itself cannot wait: its own 500 */
		if (!retraction)
			return 0;
		frames[0] = retraction;
		return 1;
	}
	for (unsigned i = 0; i < n; i++) {
		bool last = i + 1 == n;
		if (change)
			sr_ctl_holdq_push_change(&pw->held, frames[i], last ? retraction : NULL,
						 last ? retraction_replica : NULL, pw->seq);
		else
			sr_ctl_holdq_push(&pw->held, frames[i], pw->seq);
	}
	return 0;
}

unsigned sr_persist_release(struct sr_app *app, unsigned worker, struct rte_mbuf **out, unsigned max,
			    uint64_t now_ms)
{
	struct sr_persist *p = app->persist;
	if (!p || !p->sync)
		return 0;
	struct persist_worker *pw = &p->w[worker];
	/* decided first: the resync requests of a failure are enqueued before its watermark moves, so
	 * they are applied before any retraction of that failure goes out */
	uint64_t decided = __atomic_load_n(&pw->committed_seq, __ATOMIC_ACQUIRE);
	persist_resync_poll(app, worker, now_ms);
	struct sr_ctl_held h[SR_MAX_BURST];
	unsigned n = sr_ctl_holdq_take(&pw->held, decided, h, max < SR_MAX_BURST ? max : SR_MAX_BURST), k = 0;
	for (unsigned i = 0; i < n; i++) {
		enum sr_ctl_fail why = h[i].change ? sr_ctl_verdict_cause(&pw->verdict, h[i].seq) : SR_CTL_KEPT;
		/* the answer that says why: the 200, the store's 500 or the replica's 503 (the 500 without one) */
		struct rte_mbuf *send = h[i].obj;
		if (why == SR_CTL_FAIL_REPLICA && h[i].retraction_replica)
			send = h[i].retraction_replica;
		else if (why != SR_CTL_KEPT)
			send = h[i].retraction;
		struct rte_mbuf *mine[3] = { h[i].obj, h[i].retraction, h[i].retraction_replica };
		for (unsigned j = 0; j < 3; j++)
			if (mine[j] != send)
				rte_pktmbuf_free(mine[j]); /* NULL-safe */
		if (send)
			out[k++] = send;
		if (why != SR_CTL_KEPT && send && send != h[i].obj) {
			SR_STAT_INC(pw->retracted);
			if (send == h[i].retraction_replica)
				SR_STAT_INC(pw->retracted_replica);
		}
	}
	uint64_t next = sr_ctl_holdq_next_seq(&pw->held);
	sr_ctl_verdict_skip(&pw->verdict, next <= decided ? next - 1 : decided);
	return k;
}

/* --- control side --- */

/* sync: every AoR of the failed batch is resynced; every undecided event of every worker failed. */
static void fail_batch(struct sr_persist *p, unsigned n_workers)
{
	size_t off = 0;
	enum sr_event_type type;
	const uint8_t *rec;
	size_t len;
	while (sr_ctl_batch_next(&p->batch, &off, &type, &rec, &len)) {
		struct sr_loc_binding b;
		const char *why;
		if (sr_ctl_record_decode(rec, len, &b, &why) == 0)
			persist_resync_request(p, b.aor);
	}
	for (unsigned i = 0; i < n_workers; i++) {
		struct persist_worker *pw = &p->w[i];
		uint64_t decided = persist_repl_queued_seq(p, i); /* this batch's events only */
		if (pw->last_seq > decided && sr_ctl_verdict_note(&pw->verdict, decided + 1, pw->last_seq) != 0)
			fprintf(stderr, "sipreg: persistence: out of memory noting failed events\n");
	}
	SR_STAT_ADD(p->events_failed, p->batch.n);
	sr_ctl_batch_clear(&p->batch);
}

/* Rate-limited report of failing commits: the first at once, then one per LOG_EVERY_MS with a count. */
static void report_failure(struct sr_persist *p, const char *err, uint64_t now_ms)
{
	p->failures_unlogged++;
	if (p->failing && now_ms < p->last_log_ms + LOG_EVERY_MS && strcmp(err, p->last_error) == 0)
		return;
	fprintf(stderr, "sipreg: persistence: commit failed (%lu time(s) since the last report): %s; %s\n",
		(unsigned long)p->failures_unlogged, err,
		p->sync ? "the changes are answered 500 and undone" : "the events are kept and retried");
	snprintf(p->last_error, sizeof(p->last_error), "%s", err);
	p->failures_unlogged = 0;
	p->last_log_ms = now_ms;
}

static void commit(struct sr_persist *p, unsigned n_workers, uint64_t now_ms)
{
	char err[512];
	if (sr_ctl_store_commit(p->store, &p->batch, err, sizeof(err)) != 0) {
		SR_STAT_INC(p->commit_errors);
		report_failure(p, err, now_ms);
		p->failing = true;
		if (p->sync) {
			fail_batch(p, n_workers);
			if (p->repl_sync)
				persist_repl_batch(p, n_workers, false); /* keeps the batches' order */
		} else {
			p->retry_ms = p->retry_ms ? (2 * p->retry_ms > RETRY_MAX_MS ? RETRY_MAX_MS : 2 * p->retry_ms)
						  : RETRY_MIN_MS;
			p->retry_at_ms = now_ms + p->retry_ms;
			SR_STAT_SET(p->backlog_events, p->batch.n);
		}
		return;
	}
	if (p->failing) {
		fprintf(stderr, "sipreg: persistence: commits succeed again (%lu event(s) committed now)\n",
			(unsigned long)p->batch.n);
		p->failing = false;
		p->retry_ms = 0;
		p->last_error[0] = '\0';
		SR_STAT_SET(p->backlog_events, 0);
	}
	SR_STAT_SET(p->commit_lag_ms, now_ms - p->batch.first_ms);
	SR_STAT_ADD(p->events_committed, p->batch.n);
	SR_STAT_INC(p->batches);
	/* to Redis: only what the node's own store holds */
	if (p->repl_sync)
		persist_repl_batch(p, n_workers, true);
	else
		sr_replicate_committed(p->app, &p->batch, NULL, NULL);
	if (p->listener)
		sr_ctl_listener_publish(p->listener, &p->batch); /* announced once durable, in commit order */
	sr_ctl_batch_clear(&p->batch);
	uint64_t nb, bytes;
	if (sr_ctl_store_count(p->store, &nb, &bytes) == 0) {
		SR_STAT_SET(p->store_bindings, nb);
		SR_STAT_SET(p->store_bytes, bytes);
	}
}

/* One drained slot: into the batch, dropped (its AoR is being resynced), or a resync's marker. */
static void take_event(struct sr_persist *p, struct persist_worker *pw, struct slot *s, uint64_t now_ms)
{
	pw->last_seq = s->seq;
	if (s->type == SLOT_RESYNCED) {
		struct resync_req *r = s->req;
		sr_ctl_aorset_remove(&p->resyncing, sr_str_make(r->aor, r->aor_len));
		persist_resync_free(r);
		return;
	}
	if (sr_ctl_mid_op_is(s->type)) {
		persist_mid_take(p, s, now_ms); /* a mid-registrar record (persist_mid.c) */
		return;
	}
	struct sr_loc_binding bd;
	const char *why;
	/* our own encoding: decoding only re-derives the view */
	if (sr_ctl_record_decode(s->ext ? s->ext : s->rec, s->len, &bd, &why) != 0) {
		SR_STAT_INC(p->commit_errors);
		return;
	}
	if (p->sync && sr_ctl_aorset_count(&p->resyncing) && sr_ctl_aorset_has(&p->resyncing, bd.aor)) {
		SR_STAT_INC(p->events_dropped_resync);
		if (sr_ctl_verdict_note(&pw->verdict, s->seq, s->seq) != 0)
			fprintf(stderr, "sipreg: persistence: out of memory noting failed events\n");
		return;
	}
	if (sr_ctl_batch_add(&p->batch, (enum sr_event_type)s->type, &bd, s->seq, now_ms) == 0)
		return;
	SR_STAT_INC(p->commit_errors); /* out of memory for the batch: as if its commit failed */
	if (p->sync) {
		persist_resync_request(p, bd.aor);
		sr_ctl_verdict_note(&pw->verdict, s->seq, s->seq);
	}
}

/* sync: tells each worker what is decided, never past a failure it has not been told. */
static void publish_decided(struct sr_persist *p, unsigned n_workers)
{
	if (p->repl_sync)
		persist_repl_decide(p, n_workers); /* resolved when Redis has settled it too */
	for (unsigned i = 0; i < n_workers; i++) {
		struct persist_worker *pw = &p->w[i];
		if (!p->repl_sync)
			pw->decided_seq = pw->last_seq; /* the batch is resolved: committed, or failed and noted */
		sr_ctl_verdict_flush(&pw->verdict);
		uint64_t first_untold = sr_ctl_verdict_unpublished(&pw->verdict);
		uint64_t decided = pw->decided_seq < first_untold ? pw->decided_seq : first_untold - 1;
		if (decided > pw->committed_seq)
			__atomic_store_n(&pw->committed_seq, decided, __ATOMIC_RELEASE);
	}
}

void sr_persist_listener_line(struct sr_app *app, const char *json, size_t len)
{
	struct sr_persist *p = app->persist;
	if (p && p->listener)
		sr_ctl_listener_line(p->listener, json, len);
}

unsigned sr_persist_poll(struct sr_app *app, uint64_t now_ms)
{
	struct sr_persist *p = app->persist;
	if (!p)
		return 0;
	unsigned total = 0;
	void *objs[256];
	/* async and failing: keep draining into the kept batch, up to its byte bound */
	bool keep = !p->sync && p->failing;
	for (unsigned i = 0; i < app->n_workers; i++) {
		struct persist_worker *pw = &p->w[i];
		/* bounded: at most one batch's worth per worker per poll */
		unsigned taken = 0;
		while (taken < p->batch.max_events &&
		       (keep ? p->batch.len < BACKLOG_BYTES : p->batch.n < p->batch.max_events)) {
			unsigned n = rte_ring_sc_dequeue_burst(pw->ring, objs, RTE_DIM(objs), NULL);
			if (n == 0)
				break;
			for (unsigned k = 0; k < n; k++) {
				struct slot *s = objs[k];
				take_event(p, pw, s, now_ms);
				free(s->ext);
			}
			rte_mempool_put_bulk(pw->pool, objs, n);
			taken += n;
			total += n;
		}
	}
	if (keep)
		SR_STAT_SET(p->backlog_events, p->batch.n);
	/* sync: commit whatever arrived (group commit); async: when the batch is due (and not pausing) */
	if (p->sync ? p->batch.n > 0 : sr_ctl_batch_due(&p->batch, now_ms) && now_ms >= p->retry_at_ms)
		commit(p, app->n_workers, now_ms);
	if (p->sync) {
		persist_resync_flush(p); /* before the watermark: a worker applies a resync before its retractions */
		publish_decided(p, app->n_workers);
	} else if (p->batch.n == 0) {
		for (unsigned i = 0; i < app->n_workers; i++)
			__atomic_store_n(&p->w[i].committed_seq, p->w[i].last_seq, __ATOMIC_RELEASE);
	}
	if (p->listener)
		sr_ctl_listener_poll(p->listener);
	return total;
}

struct sr_ctl_store *sr_persist_store(const struct sr_app *app)
{
	return app->persist && app->persist->started ? app->persist->store : NULL;
}

#define LOAD(v) __atomic_load_n(&(v), __ATOMIC_RELAXED)

bool sr_persist_figures(const struct sr_app *app, struct sr_persist_figures *f)
{
	const struct sr_persist *p = app->persist;
	if (!p)
		return false;
	memset(f, 0, sizeof(*f));
	f->sync = p->sync;
	f->failing = LOAD(p->failing);
	f->events_committed = LOAD(p->events_committed);
	f->batches = LOAD(p->batches);
	f->commit_errors = LOAD(p->commit_errors);
	f->commit_lag_ms = LOAD(p->commit_lag_ms);
	f->events_failed = LOAD(p->events_failed);
	f->events_dropped_resync = LOAD(p->events_dropped_resync);
	f->resync_requests = LOAD(p->resync_requests);
	f->backlog_events = LOAD(p->backlog_events);
	f->restored = p->restored;
	f->restore_dropped = p->restore_dropped;
	f->restore_us = p->restore_us;
	f->store_bindings = LOAD(p->store_bindings);
	f->store_bytes = LOAD(p->store_bytes);
	for (unsigned i = 0; i < app->n_workers; i++) {
		const struct persist_worker *pw = &p->w[i];
		f->hold_full += LOAD(pw->hold_full);
		f->lost_no_slot += LOAD(pw->lost[LOST_NO_SLOT]);
		f->lost_oversize += LOAD(pw->lost[LOST_OVERSIZE]);
		f->refused_no_slot += LOAD(pw->refused[REFUSED_NO_SLOT]);
		f->refused_no_memory += LOAD(pw->refused[REFUSED_NO_MEMORY]);
		f->retracted += LOAD(pw->retracted);
		f->retracted_replica += LOAD(pw->retracted_replica);
		f->resynced += LOAD(pw->resynced);
		f->resync_incomplete += LOAD(pw->resync_incomplete);
	}
	/* plain counters of the control core: a torn read only lags */
	if ((f->listen = p->listener != NULL))
		sr_ctl_listener_counts(p->listener, &f->lc);
	return true;
}

void sr_persist_fini(struct sr_app *app)
{
	struct sr_persist *p = app->persist;
	if (!p)
		return;
	if (p->started) {
		/* workers have stopped: drain everything (bounded by the slots) and commit */
		uint64_t now_ms = sr_clock_ms(&app->clock, rte_get_tsc_cycles());
		for (int round = 0; round < 1000 && sr_persist_poll(app, now_ms) > 0; round++)
			;
		if (p->batch.n)
			commit(p, app->n_workers, now_ms);
	}
	sr_ctl_listener_close(p->listener);
	sr_ctl_store_close(p->store);
	sr_ctl_batch_fini(&p->batch);
	sr_ctl_aorset_fini(&p->resyncing);
	persist_repl_fini(p);
	while (p->pending) {
		struct resync_req *r = p->pending;
		p->pending = r->next;
		persist_resync_free(r);
	}
	for (unsigned i = 0; i < app->n_workers; i++) {
		struct persist_worker *pw = &p->w[i];
		/* responses still held at shutdown are not sent: the UAs retransmit to the next run */
		struct sr_ctl_held held[64];
		unsigned n;
		while ((n = sr_ctl_holdq_take(&pw->held, UINT64_MAX, held, RTE_DIM(held))) > 0)
			for (unsigned k = 0; k < n; k++) {
				rte_pktmbuf_free(held[k].obj);
				rte_pktmbuf_free(held[k].retraction);
				rte_pktmbuf_free(held[k].retraction_replica);
			}
		sr_ctl_holdq_fini(&pw->held);
		sr_ctl_verdict_fini(&pw->verdict);
		void *r;
		while (pw->resync && rte_ring_sc_dequeue(pw->resync, &r) == 0)
			persist_resync_free(r);
		persist_resync_free(pw->resync_wait);
		void *s;
		while (pw->ring && rte_ring_sc_dequeue(pw->ring, &s) == 0) {
			/* markers left by the last drain's bound; their requests go with them */
			if (((struct slot *)s)->type == SLOT_RESYNCED)
				persist_resync_free(((struct slot *)s)->req);
			free(((struct slot *)s)->ext);
			rte_mempool_put(pw->pool, s);
		}
		rte_ring_free(pw->resync);
		rte_ring_free(pw->ring);
		rte_mempool_free(pw->pool);
		rte_free(pw->claims);
	}
	rte_free(p);
	app->persist = NULL;
}
