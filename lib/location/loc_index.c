/*
 * loc_index.c - bindings found by their stable id alone (sr_loc_find_id),
 * for an RFC 8599 PURR, which names one binding but not its AoR.
 *
 * Design decisions:
 * - Opt-in (sr_loc_params.index_ids): only push.purr needs it, and a store
 *   without it pays nothing, not a byte per binding.
 * - An open-addressing table of binding pointers, linear probing, deletion
 *   by backward shift (no tombstones, so lookups never slow down with
 *   churn), kept at most half full: about 16 bytes per binding. It grows by
 *   doubling (one rehash, amortised); when that allocation fails the
 *   binding is left out and counted (sr_loc_index_missed): a PURR naming it
 *   is then not found, and its request is routed without a push.
 * - Ids are unique in a store for its own additions, but a restore keeps
 *   the ids another store gave (a restart with another worker count moves
 *   AoRs between stores), so two bindings may share one: the table holds
 *   duplicates, sr_loc_find_id returns every match and the caller tells
 *   them apart (the PURR also names the AoR's bucket). Deletion looks for
 *   the exact pointer.
 * - Maintained where a binding object becomes or stops being part of a
 *   list: sr_loc_link (restore, put), the commit of a change set (additions
 *   and updates that moved to a new object, removals), sr_loc_drop, a
 *   restore that replaces, sr_loc_forget. sr_loc_check verifies it.
 */
#include "loc_internal.h"

#include <stdlib.h>

#define INDEX_MIN 1024u

static inline size_t slot_of(uint64_t id, size_t mask)
{
	return (size_t)((id * 0x9E3779B97F4A7C15ull) >> 17) & mask; /* ids are sequential: spread them */
}

static void put(struct sr_binding **slots, size_t mask, struct sr_binding *b)
{
	size_t i = slot_of(b->id, mask);
	while (slots[i])
		i = (i + 1) & mask;
	slots[i] = b;
}

static bool grow(struct sr_loc_index *x)
{
	size_t cap = x->cap ? 2 * x->cap : INDEX_MIN;
	struct sr_binding **slots = calloc(cap, sizeof(*slots));
	if (!slots)
		return false;
	for (size_t i = 0; i < x->cap; i++)
		if (x->slots[i])
			put(slots, cap - 1, x->slots[i]);
	free(x->slots);
	x->slots = slots;
	x->cap = cap;
	return true;
}

void sr_loc_index_add(struct sr_loc *loc, struct sr_binding *b)
{
	struct sr_loc_index *x = &loc->index;
	if (!x->on)
		return;
	if (2 * (x->n + 1) > x->cap && !grow(x)) {
		x->missed++;
		return;
	}
	put(x->slots, x->cap - 1, b);
	x->n++;
}

void sr_loc_index_del(struct sr_loc *loc, const struct sr_binding *b)
{
	struct sr_loc_index *x = &loc->index;
	if (!x->on || x->n == 0)
		return;
	size_t mask = x->cap - 1, i = slot_of(b->id, mask);
	while (x->slots[i] && x->slots[i] != b)
		i = (i + 1) & mask;
	if (!x->slots[i])
		return; /* left out when the table could not grow */
	x->slots[i] = NULL;
	x->n--;
	/* backward shift: move up every later entry of the run that may sit at or before the hole */
	for (size_t j = (i + 1) & mask; x->slots[j]; j = (j + 1) & mask) {
		size_t home = slot_of(x->slots[j]->id, mask);
		/* j's entry may fill hole i unless its home lies cyclically in (i, j] */
		bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
		if (stays)
			continue;
		x->slots[i] = x->slots[j];
		x->slots[j] = NULL;
		i = j;
	}
}

void sr_loc_index_fini(struct sr_loc *loc)
{
	free(loc->index.slots);
	loc->index = (struct sr_loc_index){ 0 };
}

unsigned sr_loc_find_id(struct sr_loc *loc, uint64_t id, const struct sr_binding **out, unsigned cap)
{
	struct sr_loc_index *x = &loc->index;
	if (!x->on || x->n == 0 || id == 0)
		return 0;
	unsigned n = 0;
	size_t mask = x->cap - 1;
	for (size_t i = slot_of(id, mask); x->slots[i]; i = (i + 1) & mask)
		if (x->slots[i]->id == id) {
			if (n < cap)
				out[n] = x->slots[i];
			n++;
		}
	return n;
}

uint64_t sr_loc_index_missed(const struct sr_loc *loc)
{
	return loc->index.missed;
}

const char *sr_loc_index_check(struct sr_loc *loc)
{
	const struct sr_loc_index *x = &loc->index;
	if (!x->on)
		return NULL;
	if (x->n + x->missed < loc->bindings || x->n > loc->bindings)
		return "the id index does not hold every binding";
	size_t mask = x->cap - 1;
	for (size_t i = 0; i < x->cap; i++) {
		const struct sr_binding *b = x->slots[i];
		if (!b)
			continue;
		size_t j = slot_of(b->id, mask);
		while (j != i && x->slots[j])
			j = (j + 1) & mask;
		if (j != i)
			return "an id index entry is not reachable from its home slot";
		const struct sr_binding *o = b->aor ? b->aor->bindings : NULL;
		while (o && o != b)
			o = o->next;
		if (!o)
			return "the id index names a binding that is in no AoR";
	}
	return NULL;
}
