/*
 * persist_mid.c - the mid-registrar's records through the event rings into
 * LMDB, and back at start (see persist_mid.h for the design).
 *
 * Design decisions:
 * - A record takes a slot of the worker's own pool directly, never one of
 *   the claims a location store change made (those are used in order by
 *   the change's events: taking one would leave a binding event without
 *   room). A record larger than a slot (a long AoR) gets a malloc'd buffer
 *   the slot points at, as a large binding record does; the control core
 *   frees it.
 * - The slot carries the framed entry (ctl_midrec.h) with type
 *   SR_CTL_MID_PUT or _DEL and the worker's next sequence number, so the
 *   control core's watermarks (committed_seq, sync durability) count it
 *   like any event and a failed sync commit notes it failed with the rest.
 * - Control side, a record goes into the batch as it is. It is kept even
 *   while its AoR is being resynced after a failed sync commit: the resync
 *   undoes binding changes that were not acknowledged, but a record states
 *   what the main registrar holds, which is true whatever the local
 *   bindings became, so dropping it would only make a restart forget an
 *   upstream registration.
 * - memory-only is read from the AoR's bindings (SR_BFLAG_MEMORY_ONLY, set
 *   by the registrar from the rule's settings): the location store already
 *   holds the fact, and the record's AoR is the one the bindings are
 *   stored under (a rule's custom AoR included), so no second lookup of the
 *   rules is needed.
 */
#include "persist_mid.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_midrec.h"
#include "persist_internal.h"
#include "registrar.h"

/* True when the AoR's bindings in this worker's store are memory-only (any of them: one rule covers the AoR). */
static bool memory_only(struct sr_app *app, unsigned worker, struct sr_str aor)
{
	struct sr_loc *loc = sr_reg_location(app->w[worker]->shard);
	for (const struct sr_binding *b = sr_loc_first(sr_loc_find(loc, aor)); b; b = b->next)
		if (b->flags & SR_BFLAG_MEMORY_ONLY)
			return true;
	return false;
}

void sr_persist_mid_record(struct sr_app *app, unsigned worker, enum sr_midreg_rec_op op, struct sr_str aor,
			   uint64_t ctid, const uint8_t *bytes, size_t len)
{
	struct sr_persist *p = app->persist;
	if (!p || !p->started)
		return;
	struct persist_worker *pw = &p->w[worker];
	if (op == SR_MIDREG_REC_PUT && memory_only(app, worker, aor))
		op = SR_MIDREG_REC_DEL; /* never written; one written before the binding existed goes */
	struct sr_ctl_midrec r = { aor, ctid, op == SR_MIDREG_REC_PUT ? bytes : NULL, op == SR_MIDREG_REC_PUT ? len : 0 };
	size_t need = sr_ctl_midrec_size(aor, r.len);
	struct slot *s;
	if (need == 0 || rte_mempool_get(pw->pool, (void **)&s) != 0) {
		SR_STAT_INC(pw->mid_lost);
		return;
	}
	s->ext = NULL;
	if (need > p->slot_bytes - SLOT_HDR && !(s->ext = malloc(need))) {
		rte_mempool_put(pw->pool, s);
		SR_STAT_INC(pw->mid_lost);
		return;
	}
	s->seq = ++pw->seq;
	s->type = op == SR_MIDREG_REC_PUT ? SR_CTL_MID_PUT : SR_CTL_MID_DEL;
	s->req = NULL;
	s->len = (uint32_t)sr_ctl_midrec_encode(&r, s->ext ? s->ext : s->rec, need);
	/* the ring holds as many entries as the pool has slots: this cannot fail */
	rte_ring_sp_enqueue(pw->ring, s);
}

void persist_mid_take(struct sr_persist *p, struct slot *s, uint64_t now_ms)
{
	if (sr_ctl_batch_add_mid(&p->batch, (enum sr_ctl_mid_op)s->type, s->ext ? s->ext : s->rec, s->len, s->seq,
				 now_ms) != 0)
		SR_STAT_INC(p->commit_errors); /* out of memory for the batch: the record is lost, as a failed commit */
}

struct restore_ctx {
	struct sr_app *app;
	sr_persist_mid_restore_fn *fn;
	void *ctx;
};

static int restore_one(void *ctx, const struct sr_ctl_midrec *r)
{
	struct restore_ctx *rc = ctx;
	unsigned owner = rc->app->owner[sr_hash64(r->aor.p, r->aor.len) % SR_BUCKETS];
	rc->fn(rc->ctx, owner, r->bytes, r->len);
	return 0;
}

int sr_persist_mid_restore(struct sr_app *app, sr_persist_mid_restore_fn *fn, void *ctx)
{
	struct sr_ctl_store *st = sr_persist_store(app);
	if (!st)
		return 0;
	struct restore_ctx rc = { app, fn, ctx };
	uint64_t loaded = 0;
	char err[1024];
	if (sr_ctl_store_mid_load(st, restore_one, &rc, &loaded, err, sizeof(err)) != 0) {
		fprintf(stderr, "sipreg: refusing to start: %s\n", err);
		return -1;
	}
	printf("sipreg: persistence: %lu mid-registrar record(s) restored\n", (unsigned long)loaded);
	return loaded > INT_MAX ? INT_MAX : (int)loaded;
}

uint64_t sr_persist_mid_lost(const struct sr_app *app)
{
	const struct sr_persist *p = app->persist;
	uint64_t n = 0;
	for (unsigned i = 0; p && i < app->n_workers; i++)
		n += __atomic_load_n(&p->w[i].mid_lost, __ATOMIC_RELAXED);
	return n;
}
