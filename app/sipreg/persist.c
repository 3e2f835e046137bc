/*
 * persist.c - event rings, batched commits and restore (see persist.h).
 *
 * Design decisions:
 * - Slots, not a byte ring: a slot is encoded in place by the worker and
 *   handed over by pointer, so the control core reads the record where the
 *   worker wrote it; rte_ring and rte_mempool are DPDK's lock-free
 *   building blocks for exactly this. One pool per worker keeps one
 *   worker's backlog from starving another.
 * - Sequence numbers per worker are stamped on every event and the control
 *   core publishes, per worker, the newest one committed
 *   (committed_seq, release store). That is the hook sync durability
 *   needs (a worker compares its event's number with it); async mode only
 *   reports the commit lag.
 * - A commit failure (disk full, map full) is counted and printed once per
 *   distinct message; the batch is kept and retried on the next poll, so
 *   a transient failure loses nothing while slots last.
 * - Limit, stated plainly: an event that finds no slot is lost for the
 *   store (counted as persist_lost_no_slot); in sync mode its response is
 *   then not held for it. The slots (control.event_ring) must cover the
 *   control core's worst stall; the counter says when they did not.
 * - Restore routes each stored binding to the worker owning its AoR's
 *   bucket (the same table the data plane uses) and runs before any
 *   worker is launched, so no shard is touched by two threads.
 */
#include "persist.h"

#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "aor_table.h"
#include "ctl_batch.h"
#include "ctl_holdq.h"
#include "ctl_listener.h"
#include "ctl_store.h"

#define SLOT_HDR offsetof(struct slot, rec)

struct slot {
	uint64_t seq;
	uint32_t len;
	uint8_t type;
	uint8_t rec[];
};

enum lost_reason { LOST_NO_SLOT, LOST_OVERSIZE, LOST_COUNT };

struct persist_worker {
	/* written by the worker */
	uint64_t seq;
	uint64_t lost[LOST_COUNT];
	/* written by the control core */
	uint64_t committed_seq;
	uint64_t pending_seq; /* newest seq in the open batch */
	struct rte_ring *ring;
	struct rte_mempool *pool;
	struct sr_ctl_holdq held;     /* worker only (durability=sync) */
	uint64_t hold_full;           /* responses dropped: hold queue full (worker-written) */
} __rte_cache_aligned;

struct sr_persist {
	struct sr_ctl_store *store;
	struct sr_ctl_listener *listener;  /* listener stream; NULL when its socket could not be opened */
	struct sr_ctl_batch batch;
	struct persist_worker w[SR_NET_MAX_WORKERS];
	uint32_t slot_bytes;
	bool sync;
	bool started; /* sr_persist_init completed: rings, slots and store all exist */
	/* control core figures (read by telemetry threads with relaxed loads) */
	uint64_t events_committed, batches, commit_errors, commit_lag_ms;
	uint64_t restored, restore_dropped, restore_us;
	uint64_t store_bindings, store_bytes;
	char last_error[512];
};

static int restore_one(void *ctx, const struct sr_loc_binding *b, const char **why)
{
	struct sr_app *app = ctx;
	unsigned owner = app->owner[sr_aor_hash(b->aor.p, b->aor.len) % SR_BUCKETS];
	uint32_t now_s = (uint32_t)(sr_clock_ms(&app->clock, rte_get_tsc_cycles()) / 1000);
	enum sr_restore_rc rc = sr_loc_restore(sr_shard_location(app->w[owner]->shard), b, now_s);
	if (rc == SR_RESTORE_OK || rc == SR_RESTORE_REPLACED || rc == SR_RESTORE_EXPIRED)
		return 0;
	*why = sr_restore_rc_str(rc);
	return -1;
}

static int create_rings(struct sr_app *app, struct sr_persist *p)
{
	const struct sr_app_config *c = &app->cfg;
	for (unsigned i = 0; i < app->n_workers; i++) {
		char name[RTE_RING_NAMESIZE];
		int socket = (int)rte_lcore_to_socket_id(app->w[i]->lcore);
		snprintf(name, sizeof(name), "sr_ev_%u", i);
		p->w[i].ring = rte_ring_create(name, c->event_ring, socket,
					       RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ);
		snprintf(name, sizeof(name), "sr_evslot_%u", i);
		p->w[i].pool = rte_mempool_create(name, c->event_ring, p->slot_bytes, 0, 0, NULL, NULL,
						  NULL, NULL, socket, 0);
		if (c->durability == SR_DURABILITY_SYNC && sr_ctl_holdq_init(&p->w[i].held, c->event_ring) != 0) {
			rte_mempool_free(p->w[i].pool); /* reported below */
			p->w[i].pool = NULL;
		}
		if (!p->w[i].ring || !p->w[i].pool) {
			fprintf(stderr, "sipreg: persistence: cannot allocate %u event slots of %u bytes for "
				"worker %u (control.event_ring, control.event_slot_bytes): %s\n",
				c->event_ring, p->slot_bytes, i, rte_strerror(rte_errno));
			return -1;
		}
	}
	return 0;
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
	p->slot_bytes = c->event_slot_bytes;
	p->sync = c->durability == SR_DURABILITY_SYNC;
	char err[1024];
	if (sr_ctl_store_open(c->data_dir, c->map_size, &p->store, err, sizeof(err)) != 0) {
		fprintf(stderr, "sipreg: refusing to start: %s\n", err);
		return -1;
	}
	if (sr_ctl_batch_init(&p->batch, c->batch_events, c->flush_ms) != 0 || create_rings(app, p) != 0)
		return -1;

	uint64_t t0 = rte_get_tsc_cycles();
	uint32_t now_s = (uint32_t)(sr_clock_ms(&app->clock, t0) / 1000);
	struct sr_ctl_load_stats ls;
	if (sr_ctl_store_load(p->store, now_s, restore_one, app, &ls, err, sizeof(err)) != 0) {
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
	printf("sipreg: persistence in %s: %lu bindings restored, %lu expired while down, in %lu ms\n",
	       c->data_dir, (unsigned long)ls.loaded, (unsigned long)ls.dropped,
	       (unsigned long)(p->restore_us / 1000));
	p->started = true;
	return 0;
}

void sr_persist_emit(struct sr_app *app, unsigned worker, const struct sr_loc_event *ev)
{
	struct sr_persist *p = app->persist;
	if (!p)
		return;
	struct persist_worker *pw = &p->w[worker];
	const struct sr_loc_binding *bd = ev->b;
	size_t need = sr_ctl_record_size(bd);
	if (need == 0 || need > p->slot_bytes - SLOT_HDR) {
		SR_STAT_INC(pw->lost[LOST_OVERSIZE]);
		return;
	}
	void *obj;
	if (rte_mempool_get(pw->pool, &obj) != 0) {
		SR_STAT_INC(pw->lost[LOST_NO_SLOT]);
		return;
	}
	struct slot *s = obj;
	s->seq = ++pw->seq;
	s->type = (uint8_t)ev->type;
	s->len = (uint32_t)sr_ctl_record_encode(bd, s->rec, p->slot_bytes - SLOT_HDR);
	/* the ring holds more entries than the pool has slots: this cannot fail */
	rte_ring_sp_enqueue(pw->ring, obj);
}

bool sr_persist_hold(struct sr_app *app, unsigned worker, struct rte_mbuf *m)
{
	struct sr_persist *p = app->persist;
	if (!p || !p->sync)
		return false;
	struct persist_worker *pw = &p->w[worker];
	if (sr_ctl_holdq_count(&pw->held) == 0 &&
	    pw->seq <= __atomic_load_n(&pw->committed_seq, __ATOMIC_ACQUIRE))
		return false;
	if (!sr_ctl_holdq_push(&pw->held, m, pw->seq)) {
		SR_STAT_INC(pw->hold_full);
		rte_pktmbuf_free(m);
	}
	return true;
}

unsigned sr_persist_release(struct sr_app *app, unsigned worker, struct rte_mbuf **out, unsigned max)
{
	struct sr_persist *p = app->persist;
	if (!p || !p->sync)
		return 0;
	struct persist_worker *pw = &p->w[worker];
	if (sr_ctl_holdq_count(&pw->held) == 0)
		return 0;
	return sr_ctl_holdq_release(&pw->held, __atomic_load_n(&pw->committed_seq, __ATOMIC_ACQUIRE),
				    (void **)out, max);
}

static void commit(struct sr_persist *p, unsigned n_workers, uint64_t now_ms)
{
	char err[512];
	if (sr_ctl_store_commit(p->store, &p->batch, err, sizeof(err)) != 0) {
		SR_STAT_INC(p->commit_errors);
		if (strcmp(err, p->last_error) != 0) {
			fprintf(stderr, "sipreg: persistence: %s (retrying)\n", err);
			snprintf(p->last_error, sizeof(p->last_error), "%s", err);
		}
		return;
	}
	p->last_error[0] = '\0';
	SR_STAT_SET(p->commit_lag_ms, now_ms - p->batch.first_ms);
	SR_STAT_ADD(p->events_committed, p->batch.n);
	SR_STAT_INC(p->batches);
	for (unsigned i = 0; i < n_workers; i++)
		__atomic_store_n(&p->w[i].committed_seq, p->w[i].pending_seq, __ATOMIC_RELEASE);
	if (p->listener)
		sr_ctl_listener_publish(p->listener, &p->batch); /* announced once durable, in commit order */
	sr_ctl_batch_clear(&p->batch);
	uint64_t nb, bytes;
	if (sr_ctl_store_count(p->store, &nb, &bytes) == 0) {
		SR_STAT_SET(p->store_bindings, nb);
		SR_STAT_SET(p->store_bytes, bytes);
	}
}

unsigned sr_persist_poll(struct sr_app *app, uint64_t now_ms)
{
	struct sr_persist *p = app->persist;
	if (!p)
		return 0;
	unsigned total = 0;
	void *objs[256];
	for (unsigned i = 0; i < app->n_workers; i++) {
		struct persist_worker *pw = &p->w[i];
		/* bounded: at most one batch's worth per worker per poll */
		while (p->batch.n < p->batch.max_events) {
			unsigned n = rte_ring_sc_dequeue_burst(pw->ring, objs, RTE_DIM(objs), NULL);
			if (n == 0)
				break;
			for (unsigned k = 0; k < n; k++) {
				struct slot *s = objs[k];
				struct sr_loc_binding bd;
				const char *why;
				/* our own encoding: decoding only re-derives the view */
				if (sr_ctl_record_decode(s->rec, s->len, &bd, &why) == 0 &&
				    sr_ctl_batch_add(&p->batch, (enum sr_event_type)s->type, &bd, s->seq, now_ms) == 0)
					pw->pending_seq = s->seq;
				else
					SR_STAT_INC(p->commit_errors);
			}
			rte_mempool_put_bulk(pw->pool, objs, n);
			total += n;
		}
	}
	/* sync: commit whatever arrived (group commit); async: when the batch is due */
	if ((p->sync && p->batch.n) || sr_ctl_batch_due(&p->batch, now_ms))
		commit(p, app->n_workers, now_ms);
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
	f->events_committed = LOAD(p->events_committed);
	f->batches = LOAD(p->batches);
	f->commit_errors = LOAD(p->commit_errors);
	f->commit_lag_ms = LOAD(p->commit_lag_ms);
	f->restored = p->restored;
	f->restore_dropped = p->restore_dropped;
	f->restore_us = p->restore_us;
	f->store_bindings = LOAD(p->store_bindings);
	f->store_bytes = LOAD(p->store_bytes);
	for (unsigned i = 0; i < app->n_workers; i++) {
		f->hold_full += LOAD(p->w[i].hold_full);
		f->lost_no_slot += LOAD(p->w[i].lost[LOST_NO_SLOT]);
		f->lost_oversize += LOAD(p->w[i].lost[LOST_OVERSIZE]);
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
	for (unsigned i = 0; i < app->n_workers; i++) {
		/* responses still held at shutdown are not sent: the UAs retransmit to the next run */
		void *held[64];
		unsigned n;
		while ((n = sr_ctl_holdq_release(&p->w[i].held, UINT64_MAX, held, RTE_DIM(held))) > 0)
			rte_pktmbuf_free_bulk((struct rte_mbuf **)held, n);
		sr_ctl_holdq_fini(&p->w[i].held);
		rte_ring_free(p->w[i].ring);
		rte_mempool_free(p->w[i].pool);
	}
	rte_free(p);
	app->persist = NULL;
}
