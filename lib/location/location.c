/*
 * location.c - the location store's life cycle, reading, expiry and
 * administrative removal (see location.h); change sets are in
 * loc_change.c, restore in loc_restore.c, matching in loc_match.c.
 *
 * Design decisions:
 * - The store is a separate object the shard points at (not the shard
 *   itself): the registrar decides what a REGISTER means, the store keeps
 *   the bindings, and routing will read the same store without knowing
 *   about REGISTER.
 * - q order is kept at insertion (sr_loc_link walks the list to the first
 *   binding that sorts after the new one), not computed per query: a
 *   binding is added once and read on every call to its AoR.
 * - An event carries a complete view (sr_loc_view): the consumers
 *   (persistence, listeners, later replication) never see the binding
 *   object, so its layout stays the store's business.
 * - Expiry drops through the same helper as every other removal
 *   (sr_loc_drop), which is where the counters, the timer and the event are
 *   kept together.
 */
#include "loc_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../sip/sip_uri_cmp.h"

#define LOC_SLAB_CHUNK (2u << 20) /* one huge page (slab.c) */

struct sr_loc *sr_loc_create(const struct sr_loc_params *p, const char **err)
{
	struct sr_loc *loc = calloc(1, sizeof(*loc));
	if (!loc) {
		*err = "out of memory for the location store";
		return NULL;
	}
	/* A memory_limit below one chunk would refuse every binding: use smaller chunks then. */
	uint64_t limit = p->memory_limit;
	sr_slab_init(&loc->slab, limit && limit < LOC_SLAB_CHUNK ? (size_t)limit : LOC_SLAB_CHUNK, limit);
	sr_tw_init(&loc->wheel, p->now_s);
	struct sr_aor_table_params tp = { p->name, p->max_aors, -1, p->hash, &loc->slab };
	loc->table = sr_aor_table_create(&tp);
	if (!loc->table) {
		*err = "cannot create the AoR table (EAL not initialised, name in use or no memory)";
		sr_slab_fini(&loc->slab);
		free(loc);
		return NULL;
	}
	loc->max_aors = p->max_aors;
	loc->next_id = 1;
	loc->on_event = p->on_event;
	loc->event_ctx = p->event_ctx;
	loc->room = p->room;
	loc->index.on = p->index_ids;
	return loc;
}

void sr_loc_free(struct sr_loc *loc)
{
	if (!loc)
		return;
	/* Bindings and AoR records live in the slab: freeing it frees them all at once. */
	sr_loc_index_fini(loc);
	sr_aor_table_free(loc->table);
	sr_slab_fini(&loc->slab);
	free(loc);
}

void sr_loc_get_stats(const struct sr_loc *loc, struct sr_loc_stats *st)
{
	st->aors = sr_aor_table_count(loc->table);
	st->bindings = loc->bindings;
	st->bytes = loc->slab.bytes_reserved;
	st->expired = loc->expired;
}

const struct sr_aor *sr_loc_find(struct sr_loc *loc, struct sr_str aor)
{
	return sr_aor_table_lookup(loc->table, aor, sr_aor_table_hash(loc->table, aor));
}

void sr_loc_view(const struct sr_binding *b, struct sr_loc_binding *out)
{
	out->aor = sr_aor_name(b->aor);
	/* one pass over the lengths instead of sr_binding_field's per-field sum */
	const char *p = b->data;
	for (int i = 0; i < SR_BF_COUNT; i++) {
		out->f[i] = sr_str_make(p, b->len[i]);
		p += b->len[i];
	}
	sr_binding_get_state(b, &out->st);
}

unsigned sr_loc_lookup(struct sr_loc *loc, struct sr_str aor, uint32_t now_s, struct sr_loc_binding *out,
		       unsigned cap)
{
	unsigned n = 0;
	for (const struct sr_binding *b = sr_loc_first(sr_loc_find(loc, aor)); b; b = b->next) {
		if (sr_binding_expires(b) <= now_s)
			continue; /* due, not yet collected by the wheel */
		if (n < cap)
			sr_loc_view(b, &out[n]);
		n++;
	}
	return n;
}

void sr_loc_emit(struct sr_loc *loc, enum sr_event_type type, const struct sr_binding *b)
{
	if (!loc->on_event)
		return;
	struct sr_loc_binding view;
	sr_loc_view(b, &view);
	struct sr_loc_event ev = { type, &view };
	loc->on_event(loc->event_ctx, &ev);
}

void sr_loc_link(struct sr_loc *loc, struct sr_aor *a, struct sr_binding *b)
{
	uint16_t q = sr_loc_order_q(b->q);
	struct sr_binding **pp = &a->bindings;
	while (*pp && !sr_loc_before(q, b->id, sr_loc_order_q((*pp)->q), (*pp)->id))
		pp = &(*pp)->next;
	b->next = *pp;
	b->aor = a;
	*pp = b;
	a->n_bindings++;
	loc->bindings++;
	sr_loc_index_add(loc, b);
}

void sr_loc_erase_if_empty(struct sr_loc *loc, struct sr_aor *a)
{
	if (a && a->n_bindings == 0)
		sr_aor_table_erase(loc->table, a);
}

void sr_loc_drop(struct sr_loc *loc, struct sr_binding *b, enum sr_event_type why)
{
	struct sr_aor *a = b->aor;
	struct sr_binding **pp = &a->bindings;
	while (*pp && *pp != b)
		pp = &(*pp)->next;
	if (*pp)
		*pp = b->next;
	a->n_bindings--;
	loc->bindings--;
	sr_tw_cancel(&loc->wheel, &b->timer);
	sr_loc_index_del(loc, b);
	sr_loc_emit(loc, why, b);
	sr_binding_delete(&loc->slab, b);
	sr_loc_erase_if_empty(loc, a);
}

static void on_expire(struct sr_tw_node *node, void *ctx)
{
	struct sr_loc *loc = ctx;
	struct sr_binding *b = (struct sr_binding *)((char *)node - offsetof(struct sr_binding, timer));
	loc->expired++;
	sr_loc_drop(loc, b, SR_EV_EXPIRED);
}

unsigned sr_loc_expire(struct sr_loc *loc, uint32_t now_s, unsigned budget)
{
	return sr_tw_advance(&loc->wheel, now_s, budget, on_expire, loc);
}

bool sr_loc_set_lease(struct sr_loc *loc, struct sr_str aor, uint64_t id, uint32_t lease)
{
	struct sr_aor *a = sr_aor_table_lookup(loc->table, aor, sr_aor_table_hash(loc->table, aor));
	for (struct sr_binding *b = a ? a->bindings : NULL; b; b = b->next)
		if (b->id == id) {
			b->lease = lease;
			return true;
		}
	return false;
}

int sr_loc_remove(struct sr_loc *loc, struct sr_str aor, struct sr_str contact)
{
	struct sr_aor *a = sr_aor_table_lookup(loc->table, aor, sr_aor_table_hash(loc->table, aor));
	if (!a)
		return 0;
	struct sr_loc_key k = { .uri = contact }; /* hashed on the first stored URI that differs in bytes */
	/* claim room for every removal first: all of them happen, or none */
	for (struct sr_binding *b = a->bindings; b; b = b->next) {
		struct sr_loc_binding view;
		if (contact.len && !sr_loc_names(&k, b))
			continue;
		sr_loc_view(b, &view);
		if (!sr_loc_claim(loc, SR_EV_REMOVED, &view)) {
			sr_loc_release_room(loc);
			return -1;
		}
	}
	int n = 0;
	struct sr_binding *b = a->bindings;
	while (b) {
		struct sr_binding *next = b->next; /* the last drop frees a as well */
		if (contact.len == 0 || sr_loc_names(&k, b)) {
			sr_loc_drop(loc, b, SR_EV_REMOVED);
			n++;
		}
		b = next;
	}
	sr_loc_release_room(loc);
	return n;
}

unsigned sr_loc_forget(struct sr_loc *loc, struct sr_str aor)
{
	struct sr_aor *a = sr_aor_table_lookup(loc->table, aor, sr_aor_table_hash(loc->table, aor));
	if (!a)
		return 0;
	unsigned n = a->n_bindings;
	while (a->bindings) {
		struct sr_binding *b = a->bindings;
		a->bindings = b->next;
		sr_tw_cancel(&loc->wheel, &b->timer);
		sr_loc_index_del(loc, b);
		sr_binding_delete(&loc->slab, b);
	}
	loc->bindings -= n;
	a->n_bindings = 0;
	sr_loc_erase_if_empty(loc, a);
	return n;
}

/* --- invariants (sr_loc_check) --- */

struct check_ctx {
	const char *err;
	uint64_t bindings;
	char msg[160];
};

static void check_aor(struct sr_aor *a, void *vctx)
{
	struct check_ctx *x = vctx;
	unsigned n = 0;
	const struct sr_binding *prev = NULL;
	for (const struct sr_binding *b = a->bindings; b && !x->err; prev = b, b = b->next, n++) {
		struct sr_str c = sr_binding_field(b, SR_BF_CONTACT);
		if (b->aor != a)
			x->err = "a binding points at another AoR";
		else if (b->id == 0)
			x->err = "a binding without an id";
		else if (prev && !sr_loc_before(sr_loc_order_q(prev->q), prev->id, sr_loc_order_q(b->q), b->id))
			x->err = "an AoR's bindings are not in q order";
		else if (!sr_tw_armed(&b->timer))
			x->err = "a binding without an armed expiry timer";
		else if (b->uri_hash && b->uri_hash != sr_loc_uri_hash(sr_uri_hash_str(c.p, c.len)))
			x->err = "a binding's identity hash is not its contact's";
		for (const struct sr_binding *o = a->bindings; o != b && !x->err; o = o->next)
			if (o->id == b->id)
				x->err = "two bindings of an AoR share an id";
	}
	if (!x->err && n != a->n_bindings)
		x->err = "an AoR's binding count differs from its list";
	if (!x->err && (n == 0 || n > SR_LOC_MAX_PER_AOR))
		x->err = "an AoR with no binding or more than SR_LOC_MAX_PER_AOR";
	if (x->err && x->msg[0] == '\0')
		snprintf(x->msg, sizeof(x->msg), "%.*s: %s", (int)(a->len > 100 ? 100 : a->len), a->name, x->err);
	x->bindings += n;
}

const char *sr_loc_check(struct sr_loc *loc)
{
	static __thread struct check_ctx x;
	memset(&x, 0, sizeof(x));
	uint32_t cursor = 0;
	do
		sr_aor_table_walk(loc->table, &cursor, 1024, check_aor, &x);
	while (cursor && !x.err);
	if (x.err)
		return x.msg;
	if (x.bindings != loc->bindings)
		return "the binding counter differs from the lists";
	if (loc->wheel.armed != loc->bindings)
		return "armed timers differ from the bindings";
	return sr_loc_index_check(loc);
}
