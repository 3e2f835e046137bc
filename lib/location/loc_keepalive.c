/*
 * loc_keepalive.c - the store's part of NAT keepalives (see keepalive.h).
 */
#include "keepalive.h"

#include "loc_internal.h"

uint64_t sr_loc_aor_hash(const struct sr_loc *loc, struct sr_str aor)
{
	return sr_aor_table_hash(loc->table, aor);
}

struct walk_ctx {
	sr_loc_ka_visit_fn *fn;
	void *ctx;
};

static void visit_aor(struct sr_aor *a, void *arg)
{
	struct walk_ctx *w = arg;
	for (const struct sr_binding *b = a->bindings; b; b = b->next)
		w->fn(w->ctx, a, b);
}

unsigned sr_loc_ka_walk(struct sr_loc *loc, uint32_t *cursor, unsigned max_aors, sr_loc_ka_visit_fn *fn, void *ctx)
{
	struct walk_ctx w = { fn, ctx };
	return sr_aor_table_walk(loc->table, cursor, max_aors, visit_aor, &w);
}

void sr_loc_ka_pinged(struct sr_loc *loc, const struct sr_binding *cb)
{
	(void)loc; /* the store's binding: only the store casts const away */
	struct sr_binding *b = (struct sr_binding *)cb;
	unsigned missed = sr_loc_ka_missed(b);
	if (missed < SR_BFLAG_MISSED_MAX)
		b->flags = (uint16_t)((b->flags & ~SR_BFLAG_MISSED_MASK) | ((missed + 1) << SR_BFLAG_MISSED_SHIFT));
}

/* Binding id among the AoRs hashed aor_hash (ids are unique in the shard). */
static struct sr_binding *find(struct sr_loc *loc, uint64_t aor_hash, uint64_t id)
{
	for (struct sr_aor *a = sr_aor_table_chain(loc->table, aor_hash); a; a = a->next_same_hash)
		for (struct sr_binding *b = a->bindings; b; b = b->next)
			if (b->id == id)
				return b;
	return NULL;
}

bool sr_loc_ka_answered(struct sr_loc *loc, uint64_t aor_hash, uint64_t id)
{
	struct sr_binding *b = find(loc, aor_hash, id);
	if (b)
		b->flags &= (uint16_t)~SR_BFLAG_MISSED_MASK;
	return b != NULL;
}

int sr_loc_ka_remove(struct sr_loc *loc, uint64_t aor_hash, uint64_t id)
{
	struct sr_binding *b = find(loc, aor_hash, id);
	if (!b)
		return 0;
	struct sr_loc_binding view;
	sr_loc_view(b, &view);
	if (!sr_loc_claim(loc, SR_EV_REMOVED, &view)) {
		sr_loc_release_room(loc);
		return -1;
	}
	sr_loc_drop(loc, b, SR_EV_REMOVED);
	sr_loc_release_room(loc);
	return 1;
}
