/*
 * loc_internal.h - the inside of a location store, shared by lib/location's
 * own files only (location.c, loc_change.c, loc_restore.c, loc_match.c).
 *
 * Every change of the structures goes through the few helpers declared here
 * (link in order, unlink, drop, erase an empty AoR), so the counters, the
 * timers and the events cannot disagree with the lists.
 */
#ifndef SR_LOC_INTERNAL_H
#define SR_LOC_INTERNAL_H

#include "location.h"

/* Bindings by id (loc_index.c; sr_loc_params.index_ids). */
struct sr_loc_index {
	bool on;
	struct sr_binding **slots; /* cap entries, NULL: free; at most half full */
	size_t cap, n;
	uint64_t missed;           /* bindings left out: the table could not grow */
};

struct sr_loc {
	struct sr_slab slab;
	struct sr_aor_table *table;
	struct sr_tw wheel;
	uint32_t max_aors;
	uint64_t bindings;
	uint64_t expired;
	uint64_t next_id;   /* the id the next added binding gets (never 0) */
	sr_loc_event_fn *on_event;
	void *event_ctx;
	struct sr_loc_room room;
	struct sr_loc_index index;
};

/* The q a binding sorts by: SR_Q_NONE counts as 1.0. */
static inline uint16_t sr_loc_order_q(uint16_t q)
{
	return q == SR_Q_NONE ? 1000 : q;
}

/* True when (qa, ida) comes before (qb, idb): higher q first, then lower id. */
static inline bool sr_loc_before(uint16_t qa, uint64_t ida, uint16_t qb, uint64_t idb)
{
	return qa != qb ? qa > qb : ida < idb;
}

/* b's identity hash, computed from its contact on first need and kept in b (loc_match.c). */
uint32_t sr_loc_binding_hash(const struct sr_binding *b);

/* Claims room for one event (true without a room callback). */
static inline bool sr_loc_claim(struct sr_loc *loc, enum sr_event_type type, const struct sr_loc_binding *b)
{
	return !loc->room.claim || loc->room.claim(loc->room.ctx, type, b);
}
/* Gives back the claims not used. */
static inline void sr_loc_release_room(struct sr_loc *loc)
{
	if (loc->room.release)
		loc->room.release(loc->room.ctx);
}

/* The id index (loc_index.c): b joins or leaves the lists; no-ops when the store keeps none. */
void sr_loc_index_add(struct sr_loc *loc, struct sr_binding *b);
void sr_loc_index_del(struct sr_loc *loc, const struct sr_binding *b);
void sr_loc_index_fini(struct sr_loc *loc);
/* NULL when the index holds exactly the bindings in the lists (or there is none). */
const char *sr_loc_index_check(struct sr_loc *loc);

/* Announces one change of b (a no-op without a callback). */
void sr_loc_emit(struct sr_loc *loc, enum sr_event_type type, const struct sr_binding *b);
/* Links b into a at its place in q order and counts it (b->aor set). */
void sr_loc_link(struct sr_loc *loc, struct sr_aor *a, struct sr_binding *b);
/* Unlinks b from its AoR, cancels its timer, announces it, frees it; erases the AoR when empty. */
void sr_loc_drop(struct sr_loc *loc, struct sr_binding *b, enum sr_event_type why);
/* Erases a when it has no binding left. */
void sr_loc_erase_if_empty(struct sr_loc *loc, struct sr_aor *a);

#endif
