/*
 * loc_apply.c - a standby's copy of the active node's bindings: what the
 * replication follower hands over (docs/REPLICATION.md, "Standby: apply").
 *
 * Design decisions:
 * - A put is a restore by (AoR, id) (loc_restore.c: no identity matching,
 *   the id kept, a binding with that id replaced), because the record
 *   comes from a node that already decided which binding it is; matching
 *   again here could merge two bindings the active keeps apart.
 * - Unlike a restore, puts and removals announce their events: the
 *   standby's own persistence (LMDB, the listener stream) learns them
 *   through the one path every change takes. They claim no room, like
 *   expiry: a lost event only leaves the standby's disk behind Redis,
 *   which the next snapshot repairs.
 * - Mark-and-sweep for a snapshot: one bit per binding. sr_loc_mark clears
 *   it on every binding (a walk, once per snapshot, which reads every key
 *   anyway), sr_loc_put sets it, sr_loc_sweep removes what stayed clear.
 *   A bit rather than a generation counter, which would wrap and keep a
 *   binding untouched for exactly that many snapshots.
 * - The sweep collects the AoRs first and removes afterwards: the table
 *   must not change during a walk.
 */
#include "loc_internal.h"

#include <stdlib.h>

static struct sr_binding *find_id(struct sr_aor *a, uint64_t id)
{
	for (struct sr_binding *b = a ? a->bindings : NULL; b; b = b->next)
		if (b->id == id)
			return b;
	return NULL;
}

static struct sr_aor *find_aor(struct sr_loc *loc, struct sr_str aor)
{
	return sr_aor_table_lookup(loc->table, aor, sr_aor_table_hash(loc->table, aor));
}

enum sr_restore_rc sr_loc_put(struct sr_loc *loc, const struct sr_loc_binding *in, uint32_t now_s)
{
	enum sr_restore_rc rc = sr_loc_restore(loc, in, now_s);
	if (rc == SR_RESTORE_EXPIRED) {
		sr_loc_remove_id(loc, in->aor, in->st.id, SR_EV_EXPIRED);
		return rc;
	}
	if (rc != SR_RESTORE_OK && rc != SR_RESTORE_REPLACED)
		return rc;
	struct sr_binding *b = find_id(find_aor(loc, in->aor), in->st.id);
	b->flags |= SR_BFLAG_SEEN;
	sr_loc_emit(loc, rc == SR_RESTORE_OK ? SR_EV_ADDED : SR_EV_REFRESHED, b);
	return rc;
}

int sr_loc_remove_id(struct sr_loc *loc, struct sr_str aor, uint64_t id, enum sr_event_type why)
{
	struct sr_binding *b = find_id(find_aor(loc, aor), id);
	if (!b)
		return 0;
	sr_loc_drop(loc, b, why);
	return 1;
}

static void clear_seen(struct sr_aor *a, void *ctx)
{
	(void)ctx;
	for (struct sr_binding *b = a->bindings; b; b = b->next)
		b->flags &= (uint16_t)~SR_BFLAG_SEEN;
}

void sr_loc_mark(struct sr_loc *loc)
{
	uint32_t cursor = 0;
	do
		sr_aor_table_walk(loc->table, &cursor, 4096, clear_seen, NULL);
	while (cursor != 0);
}

struct unseen {
	struct sr_aor **a;
	size_t n, cap;
	bool oom;
};

static void collect_unseen(struct sr_aor *a, void *ctx)
{
	struct unseen *u = ctx;
	bool any = false;
	for (const struct sr_binding *b = a->bindings; b && !any; b = b->next)
		any = !(b->flags & SR_BFLAG_SEEN);
	if (!any)
		return;
	if (u->n == u->cap) {
		size_t cap = u->cap ? 2 * u->cap : 256;
		struct sr_aor **p = realloc(u->a, cap * sizeof(*p));
		if (!p) {
			u->oom = true;
			return;
		}
		u->a = p;
		u->cap = cap;
	}
	u->a[u->n++] = a;
}

unsigned sr_loc_sweep(struct sr_loc *loc)
{
	unsigned removed = 0;
	bool again;
	do { /* out of memory for the list: sweep what fits, then walk again */
		struct unseen u = { 0 };
		uint32_t cursor = 0;
		do
			sr_aor_table_walk(loc->table, &cursor, 4096, collect_unseen, &u);
		while (cursor != 0);
		for (size_t i = 0; i < u.n; i++) {
			struct sr_binding *b = u.a[i]->bindings;
			while (b) {
				struct sr_binding *next = b->next; /* the last drop frees the AoR too */
				if (!(b->flags & SR_BFLAG_SEEN)) {
					sr_loc_drop(loc, b, SR_EV_REMOVED);
					removed++;
				}
				b = next;
			}
		}
		again = u.oom && u.n > 0;
		free(u.a);
	} while (again);
	return removed;
}
