/*
 * persist_resync.c - putting an AoR back as the store holds it after a
 * failed sync commit (see persist.c's opening comment for why and when).
 *
 * Control core: a request names the AoR; it waits in a list until the
 * AoR's committed records are read (sr_ctl_store_aor) and the owner
 * worker's resync ring takes it. Worker: takes the marker's slot first,
 * then replaces the AoR's bindings through the location store
 * (sr_loc_forget, sr_loc_restore: no event) and enqueues the marker, which
 * carries the request back to the control core to be freed.
 *
 * Design decisions:
 * - The records travel as bytes (u32 length + record), decoded by the
 *   worker into views that point into them: one allocation per request,
 *   on the control core, freed there.
 * - A read or an enqueue that fails is retried at the next poll rather
 *   than dropped: the AoR's events are dropped until its marker, so a lost
 *   request would leave the AoR unusable.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aor_table.h"
#include "persist_internal.h"

/* Appends a record to a resync request (control core). */
static int resync_add(void *ctx, const uint8_t *rec, size_t len)
{
	struct resync_req *r = ctx;
	uint8_t *p = realloc(r->recs, r->len + sizeof(uint32_t) + len);
	if (!p)
		return -1;
	r->recs = p;
	uint32_t n32 = (uint32_t)len;
	memcpy(p + r->len, &n32, sizeof(n32));
	memcpy(p + r->len + sizeof(n32), rec, len);
	r->len += sizeof(n32) + len;
	r->n++;
	return 0;
}

void persist_resync_free(struct resync_req *r)
{
	if (r) {
		free(r->recs);
		free(r);
	}
}

/* Worker: replaces the AoR's bindings with its committed records, then sends the marker. */
static bool resync_apply(struct sr_app *app, unsigned worker, struct resync_req *r, uint64_t now_ms)
{
	struct sr_persist *p = app->persist;
	struct persist_worker *pw = &p->w[worker];
	struct slot *s;
	if (rte_mempool_get(pw->pool, (void **)&s) != 0)
		return false; /* the marker's slot first: nothing of the AoR may happen between the two */
	struct sr_loc *loc = sr_reg_location(app->w[worker]->shard);
	struct sr_str aor = sr_str_make(r->aor, r->aor_len);
	uint32_t now_s = (uint32_t)(now_ms / 1000);
	sr_loc_forget(loc, aor);
	for (size_t off = 0; off < r->len;) {
		uint32_t n32;
		memcpy(&n32, r->recs + off, sizeof(n32));
		struct sr_loc_binding b;
		const char *why;
		if (sr_ctl_record_decode(r->recs + off + sizeof(n32), n32, &b, &why) != 0)
			SR_STAT_INC(pw->resync_incomplete);
		else {
			enum sr_restore_rc rc = sr_loc_restore(loc, &b, now_s);
			if (rc != SR_RESTORE_OK && rc != SR_RESTORE_REPLACED && rc != SR_RESTORE_EXPIRED)
				SR_STAT_INC(pw->resync_incomplete);
		}
		off += sizeof(n32) + n32;
	}
	SR_STAT_INC(pw->resynced);
	s->seq = ++pw->seq;
	s->type = SLOT_RESYNCED;
	s->ext = NULL;
	s->req = r;
	s->len = 0;
	rte_ring_sp_enqueue(pw->ring, s);
	return true;
}

void persist_resync_poll(struct sr_app *app, unsigned worker, uint64_t now_ms)
{
	struct persist_worker *pw = &app->persist->w[worker];
	for (;;) {
		if (!pw->resync_wait && rte_ring_sc_dequeue(pw->resync, (void **)&pw->resync_wait) != 0)
			return;
		if (!resync_apply(app, worker, pw->resync_wait, now_ms))
			return; /* no slot for the marker: next loop */
		pw->resync_wait = NULL;
	}
}

/*
 * Hands the waiting resync requests to their owners, oldest first: each is
 * read from the store (the AoR's records stay as read until its marker,
 * since its events are dropped meanwhile) and enqueued. A read that fails
 * or a full ring stops the walk until the next poll.
 */
void persist_resync_flush(struct sr_persist *p)
{
	struct sr_app *app = p->app;
	char err[512];
	while (p->pending) {
		struct resync_req *r = p->pending;
		unsigned owner = app->owner[sr_hash64(r->aor, r->aor_len) % SR_BUCKETS];
		if (!r->read) {
			if (sr_ctl_store_aor(p->store, sr_str_make(r->aor, r->aor_len), resync_add, r, err,
					     sizeof(err)) < 0) {
				free(r->recs);
				r->recs = NULL;
				r->len = r->n = 0;
				return; /* counted in the log only: retried at the next poll */
			}
			r->read = true;
		}
		if (rte_ring_sp_enqueue(p->w[owner].resync, r) != 0)
			return;
		if (!(p->pending = r->next))
			p->pending_tail = &p->pending;
	}
}

/* Starts the resync of aor, unless it is already being resynced (its events are dropped until then). */
void persist_resync_request(struct sr_persist *p, struct sr_str aor)
{
	int added = sr_ctl_aorset_add(&p->resyncing, aor);
	if (added == 0)
		return;
	struct resync_req *r = added > 0 ? calloc(1, sizeof(*r) + aor.len) : NULL;
	if (!r) {
		/* out of memory on the control core: the AoR cannot be repaired, say so */
		sr_ctl_aorset_remove(&p->resyncing, aor);
		fprintf(stderr, "sipreg: persistence: out of memory: %.*s cannot be resynced; its bindings in "
			"memory may differ from the store until it is registered again\n", (int)aor.len, aor.p);
		return;
	}
	memcpy(r->aor, aor.p, aor.len);
	r->aor_len = aor.len;
	*p->pending_tail = r;
	p->pending_tail = &r->next;
	SR_STAT_INC(p->resync_requests);
}
