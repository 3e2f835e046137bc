/*
 * keepalive.h - the location store's part of NAT keepalives: what the
 * pinger (nat_ping.h) may read and change of the bindings, and nothing more.
 *
 * Design decisions:
 * - The pinger walks the store, it keeps no list of its own: an AoR
 *   cursor over the table (sr_loc_ka_walk) visits every binding once per
 *   round, so no memory is spent per binding on a schedule and a binding
 *   added or removed needs no bookkeeping here.
 * - Liveness is a count of pings sent without an answer, kept in spare bits
 *   of the binding's flags (binding.h, SR_BFLAG_MISSED_*): zero bytes per
 *   binding. A REGISTER or a restore clears it (set_state), an answer clears
 *   it (sr_loc_ka_answered), each ping raises it (sr_loc_ka_pinged). It is
 *   not part of the binding's persisted state and changes announce nothing.
 * - An answer names its binding by (AoR hash, binding id): the hash finds
 *   the AoR's chain in the table without the AoR's text, the id (unique in
 *   the shard) the binding, so a response needs no parse beyond its branch.
 * - A silent binding leaves through sr_loc_ka_remove: the store's normal
 *   removal (room claimed, SR_EV_REMOVED announced, so persisted and
 *   streamed to listeners like an expiry or an administrative removal).
 */
#ifndef SR_KEEPALIVE_H
#define SR_KEEPALIVE_H

#include <stdbool.h>
#include <stdint.h>

#include "location.h"

/* The AoR hash the store keys 'aor' by (what sr_loc_ka_answered and sr_loc_ka_remove take). */
uint64_t sr_loc_aor_hash(const struct sr_loc *loc, struct sr_str aor);

/* Called for each binding of each visited AoR, in q order; must not change the store. */
typedef void sr_loc_ka_visit_fn(void *ctx, const struct sr_aor *a, const struct sr_binding *b);
/*
 * Visits the bindings of at most max_aors AoRs from *cursor (0: from the
 * start); *cursor becomes 0 when the table has been walked to its end.
 * Returns the number of AoRs visited.
 */
unsigned sr_loc_ka_walk(struct sr_loc *loc, uint32_t *cursor, unsigned max_aors, sr_loc_ka_visit_fn *fn,
			void *ctx);

/* Pings b was sent without an answer since its last sign of life. */
static inline unsigned sr_loc_ka_missed(const struct sr_binding *b)
{
	return (b->flags & SR_BFLAG_MISSED_MASK) >> SR_BFLAG_MISSED_SHIFT;
}
/* One more unanswered ping (saturates at SR_BFLAG_MISSED_MAX). */
void sr_loc_ka_pinged(struct sr_loc *loc, const struct sr_binding *b);
/* A sign of life from binding id of the AoR hashed aor_hash: false when there is no such binding. */
bool sr_loc_ka_answered(struct sr_loc *loc, uint64_t aor_hash, uint64_t id);
/*
 * Removes binding id of the AoR hashed aor_hash (SR_EV_REMOVED). Returns 1,
 * 0 when it is gone already, -1 when the room for the event was refused
 * (nothing removed: try again later).
 */
int sr_loc_ka_remove(struct sr_loc *loc, uint64_t aor_hash, uint64_t id);

#endif
