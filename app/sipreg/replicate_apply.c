/*
 * replicate_apply.c - the standby applies what it follows: the follower's
 * snapshot and changes (control core) become location-store operations on
 * the owning worker's shard (sr_loc_put, sr_loc_remove_id, sr_loc_mark,
 * sr_loc_sweep; lib/location/loc_apply.c).
 *
 * Design decisions:
 * - One message per change, on a single-producer ring per worker, as the
 *   control core already talks to workers: a shard is touched by its
 *   owner only, and the control core never waits on a worker. The message
 *   copies the AoR and the record (the follower's pointers live only
 *   during its callback); the worker frees it.
 * - A full ring never blocks and never drops: the message waits in a FIFO
 *   per worker on the control core and goes at the next turn, so one
 *   worker's changes stay in order (a put and its later removal). The
 *   FIFO is unbounded; its length is a figure (apply_pending).
 * - A snapshot's BEGIN and END go to every worker (mark, then sweep), in
 *   order with the puts, so each shard keeps exactly what the snapshot
 *   held.
 * - Persistence: the store announces each applied change, so the
 *   standby's own LMDB and listener stream follow through the usual event
 *   path (worker event ring, control-core commit).
 */
#include "replicate_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aor_table.h"
#include "ctl_record.h"

#define APPLY_RING 65536 /* messages per worker ring */
#define APPLY_BURST 256  /* messages a worker applies per loop turn */

int replicate_apply_init(struct sr_replicate *x)
{
	struct sr_app *app = x->app;
	for (unsigned i = 0; i < app->n_workers; i++) {
		struct replicate_worker *rw = &x->w[i];
		char name[RTE_RING_NAMESIZE];
		snprintf(name, sizeof(name), "sr_repl_%u", i);
		rw->ring = rte_ring_create(name, APPLY_RING, (int)rte_lcore_to_socket_id(app->w[i]->lcore),
					   RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (!rw->ring) {
			fprintf(stderr, "sipreg: replication: cannot create the apply ring of worker %u\n", i);
			return -1;
		}
		rw->pending_tail = &rw->pending;
	}
	return 0;
}

void replicate_apply_fini(struct sr_replicate *x)
{
	for (unsigned i = 0; i < x->app->n_workers; i++) {
		struct replicate_worker *rw = &x->w[i];
		void *m;
		while (rw->ring && rte_ring_sc_dequeue(rw->ring, &m) == 0)
			free(m);
		rte_ring_free(rw->ring);
		rw->ring = NULL;
		while (rw->pending) {
			struct apply_msg *next = rw->pending->next;
			free(rw->pending);
			rw->pending = next;
		}
		rw->pending_tail = &rw->pending;
	}
}

/* --- control core --- */

/* Queues m behind whatever already waits for worker i (FIFO), then into the ring when there is room. */
static void send_to(struct sr_replicate *x, unsigned i, struct apply_msg *m)
{
	struct replicate_worker *rw = &x->w[i];
	SR_STAT_INC(x->apply_queued);
	if (!rw->pending && rte_ring_sp_enqueue(rw->ring, m) == 0)
		return;
	m->next = NULL;
	*rw->pending_tail = m;
	rw->pending_tail = &m->next;
	SR_STAT_INC(rw->pending_n);
}

unsigned replicate_apply_flush(struct sr_replicate *x)
{
	unsigned moved = 0;
	for (unsigned i = 0; i < x->app->n_workers; i++) {
		struct replicate_worker *rw = &x->w[i];
		while (rw->pending && rte_ring_sp_enqueue(rw->ring, rw->pending) == 0) {
			rw->pending = rw->pending->next;
			SR_STAT_SET(rw->pending_n, rw->pending_n - 1);
			moved++;
		}
		if (!rw->pending)
			rw->pending_tail = &rw->pending;
	}
	return moved;
}

static struct apply_msg *new_msg(struct sr_replicate *x, enum apply_kind kind, size_t extra)
{
	struct apply_msg *m = malloc(sizeof(*m) + extra);
	if (!m) {
		/* the standby's copy misses this change until the next snapshot: say so by count */
		SR_STAT_INC(x->apply_oom);
		return NULL;
	}
	memset(m, 0, sizeof(*m));
	m->kind = (uint8_t)kind;
	return m;
}

static void broadcast(struct sr_replicate *x, enum apply_kind kind)
{
	for (unsigned i = 0; i < x->app->n_workers; i++) {
		struct apply_msg *m = new_msg(x, kind, 0);
		if (m)
			send_to(x, i, m);
	}
}

static void change(struct sr_replicate *x, const struct sr_repl_change *c)
{
	bool put = sr_repl_op_is_put(c->op);
	size_t rec_len = put ? c->rec_len : 0;
	struct apply_msg *m = new_msg(x, put ? APPLY_PUT : APPLY_REMOVE, c->aor_len + rec_len);
	if (!m)
		return;
	m->why = c->op == SR_REPL_EXPIRED ? SR_EV_EXPIRED : SR_EV_REMOVED;
	m->id = c->id;
	m->expires = c->expires;
	m->aor_len = (uint32_t)c->aor_len;
	m->rec_len = (uint32_t)rec_len;
	memcpy(m->data, c->aor, c->aor_len);
	if (rec_len)
		memcpy(m->data + c->aor_len, c->rec, rec_len);
	struct sr_app *app = x->app;
	send_to(x, app->owner[sr_hash64(c->aor, c->aor_len) % SR_BUCKETS], m);
}

void replicate_apply_follow(void *ctx, const struct sr_repl_follow_ev *ev)
{
	struct sr_replicate *x = ctx;
	switch (ev->kind) {
	case SR_FOLLOW_SNAPSHOT_BEGIN:
		broadcast(x, APPLY_MARK);
		break;
	case SR_FOLLOW_SNAPSHOT_END:
		broadcast(x, APPLY_SWEEP);
		break;
	case SR_FOLLOW_BINDING:
	case SR_FOLLOW_CHANGE:
		change(x, ev->change);
		break;
	}
}

/* --- worker --- */

static void apply_one(struct replicate_worker *rw, struct sr_loc *loc, const struct apply_msg *m, uint32_t now_s)
{
	struct sr_str aor = sr_str_make((const char *)m->data, m->aor_len);
	switch ((enum apply_kind)m->kind) {
	case APPLY_MARK:
		sr_loc_mark(loc);
		return;
	case APPLY_SWEEP:
		SR_STAT_ADD(rw->swept, sr_loc_sweep(loc));
		return;
	case APPLY_REMOVE:
		sr_loc_remove_id(loc, aor, m->id, (enum sr_event_type)m->why);
		SR_STAT_INC(rw->applied);
		return;
	case APPLY_PUT:
		break;
	}
	struct sr_loc_binding b;
	const char *why;
	if (sr_ctl_record_decode(m->data + m->aor_len, m->rec_len, &b, &why) != 0 || !sr_str_eq(b.aor, aor)) {
		SR_STAT_INC(rw->apply_failed); /* a record of another format, or not this AoR's */
		return;
	}
	b.st.id = m->id; /* the change's key and expiry are authoritative (the record carries the same) */
	b.st.expires = m->expires;
	enum sr_restore_rc rc = sr_loc_put(loc, &b, now_s);
	if (rc == SR_RESTORE_OK || rc == SR_RESTORE_REPLACED || rc == SR_RESTORE_EXPIRED)
		SR_STAT_INC(rw->applied);
	else
		SR_STAT_INC(rw->apply_failed); /* table or memory full: the standby's copy is short */
}

unsigned replicate_apply_worker(struct sr_replicate *x, struct sr_worker *w, uint64_t now_ms)
{
	struct replicate_worker *rw = &x->w[w->id];
	void *msgs[APPLY_BURST];
	unsigned n = rte_ring_sc_dequeue_burst(rw->ring, msgs, APPLY_BURST, NULL);
	struct sr_loc *loc = sr_reg_location(w->shard);
	for (unsigned i = 0; i < n; i++) {
		apply_one(rw, loc, msgs[i], (uint32_t)(now_ms / 1000));
		free(msgs[i]);
	}
	return n;
}
