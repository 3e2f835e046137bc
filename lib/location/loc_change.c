/*
 * loc_change.c - change sets: prepare, abort, commit, and the cursor over
 * the AoR as a prepared change set will leave it (see location.h).
 *
 * Design decisions:
 * - prepare() computes the AoR's final list (final[]: untouched bindings
 *   and changed ones, in q order) and its removals (gone[], in event
 *   order) before touching anything, then creates the AoR record when the
 *   AoR is new and allocates a new object for every addition and for every
 *   update whose strings change (an update with the same strings, the
 *   common refresh, is done in place and allocates nothing). A failure frees
 *   what it took: the store is as before.
 * - commit() cannot fail: it stamps the objects, relinks the AoR's list
 *   from final[] in one pass (so the order the 200 showed is the order
 *   stored), arms the timers and announces, then frees what went. Ids of
 *   additions are reserved by prepare (next_id + k) so the cursor can show
 *   them; they are only consumed by commit.
 * - The final list is sorted by insertion sort: it is built from a list
 *   that is already in order, so only changed and added entries move.
 * - Finding which change names a stored binding is a scan of the changes
 *   (at most SR_LOC_TXN_MAX, one or two in practice) per stored binding;
 *   with the per-AoR cap this stays small, and it needs no per-binding mark.
 */
#include "loc_internal.h"

#include <string.h>

static void txn_begin(struct sr_loc *loc, struct sr_loc_txn *t, struct sr_str aor, uint64_t hash)
{
	t->aor = aor;
	t->hash = hash;
	t->rec = sr_aor_table_lookup(loc->table, aor, t->hash);
	t->remove_all = false;
	t->n = 0;
	t->created = t->prepared = false;
	t->adds = t->n_final = t->n_gone = 0;
}

void sr_loc_txn_begin(struct sr_loc *loc, struct sr_loc_txn *t, struct sr_str aor)
{
	txn_begin(loc, t, aor, sr_aor_table_hash(loc->table, aor));
}

void sr_loc_txn_begin_hashed(struct sr_loc *loc, struct sr_loc_txn *t, struct sr_str aor, uint64_t h64)
{
	txn_begin(loc, t, aor, sr_aor_table_hash_known(loc->table, aor, h64));
}

struct sr_loc_change *sr_loc_txn_add(struct sr_loc_txn *t, enum sr_loc_op op, const struct sr_binding *old)
{
	if (t->n == SR_LOC_TXN_MAX)
		return NULL;
	struct sr_loc_change *c = &t->c[t->n++];
	/* f and st are the caller's to fill (ADD, UPDATE); clearing 200 bytes per change is not needed */
	c->op = op;
	c->old = old;
	c->key = NULL;
	c->uri_hash = 0;
	c->fresh = NULL;
	return c;
}

/* The change that names stored binding b: its index, -1 for none, -2 when two do. */
static int change_of(const struct sr_loc_txn *t, const struct sr_binding *b)
{
	int found = -1;
	for (unsigned i = 0; i < t->n; i++) {
		if (t->c[i].op == SR_LOC_ADD || t->c[i].old != b)
			continue;
		if (found >= 0)
			return -2;
		found = (int)i;
	}
	return found;
}

/* The lengths are checked where an object is made (sr_binding_new); an update in place keeps valid strings. */
static bool valid_change(const struct sr_loc_txn *t, const struct sr_loc_change *c)
{
	if (c->op != SR_LOC_ADD && (!c->old || !t->rec || c->old->aor != t->rec))
		return false;
	return c->op == SR_LOC_REMOVE || c->f[SR_BF_CONTACT].len > 0;
}

static bool push_final(struct sr_loc_txn *t, const struct sr_binding *b, int change, uint16_t q, uint64_t id)
{
	if (t->n_final == SR_LOC_MAX_PER_AOR)
		return false;
	t->final[t->n_final++] = (struct sr_loc_slot){ b, id, sr_loc_order_q(q), (int16_t)change };
	return true;
}

static void sort_final(struct sr_loc_txn *t)
{
	for (unsigned i = 1; i < t->n_final; i++) {
		struct sr_loc_slot x = t->final[i];
		unsigned j = i;
		while (j > 0 && sr_loc_before(x.q, x.id, t->final[j - 1].q, t->final[j - 1].id)) {
			t->final[j] = t->final[j - 1];
			j--;
		}
		t->final[j] = x;
	}
}

/* Fills final[] and gone[]; SR_LOC_OK or why not. Touches nothing else. */
static enum sr_loc_rc plan_lists(struct sr_loc *loc, struct sr_loc_txn *t)
{
	t->n_final = t->n_gone = t->adds = 0;
	for (unsigned i = 0; i < t->n; i++) {
		const struct sr_loc_change *c = &t->c[i];
		if (!valid_change(t, c))
			return SR_LOC_INVALID;
		if (c->op == SR_LOC_REMOVE)
			t->gone[t->n_gone++] = c->old; /* n <= SR_LOC_TXN_MAX < SR_LOC_MAX_PER_AOR */
	}
	for (const struct sr_binding *b = sr_loc_first(t->rec); b; b = b->next) {
		int ci = change_of(t, b);
		if (ci == -2)
			return SR_LOC_INVALID; /* two changes name one binding */
		if (ci >= 0 && t->c[ci].op == SR_LOC_UPDATE) {
			if (!push_final(t, NULL, ci, t->c[ci].st.q, b->id))
				return SR_LOC_TOO_MANY;
		} else if (ci < 0 && t->remove_all) {
			if (t->n_gone == SR_LOC_MAX_PER_AOR)
				return SR_LOC_INVALID; /* only when REMOVE changes repeat a binding */
			t->gone[t->n_gone++] = b;
		} else if (ci < 0 && !push_final(t, b, -1, b->q, b->id)) {
			return SR_LOC_TOO_MANY;
		}
	}
	for (unsigned i = 0; i < t->n; i++) {
		if (t->c[i].op != SR_LOC_ADD)
			continue;
		if (!push_final(t, NULL, (int)i, t->c[i].st.q, loc->next_id + t->adds))
			return SR_LOC_TOO_MANY;
		t->adds++;
	}
	sort_final(t);
	return SR_LOC_OK;
}

static bool same_strings(const struct sr_binding *b, const struct sr_str f[SR_BF_COUNT])
{
	for (int i = 0; i < SR_BF_COUNT; i++)
		if (b->len[i] != f[i].len)
			return false;
	const char *p = b->data;
	for (int i = 0; i < SR_BF_COUNT; p += f[i].len, i++)
		if (f[i].len && memcmp(p, f[i].p, f[i].len) != 0)
			return false;
	return true;
}

/* Claims room for every event commit will announce, in commit's order (location.h, struct sr_loc_room). */
static bool claim_room(struct sr_loc *loc, struct sr_loc_txn *t)
{
	if (!loc->room.claim)
		return true;
	for (unsigned i = 0; i < t->n; i++) {
		const struct sr_loc_change *c = &t->c[i];
		if (c->op == SR_LOC_REMOVE)
			continue;
		struct sr_loc_binding view = { .aor = t->aor, .st = c->st };
		memcpy(view.f, c->f, sizeof(view.f));
		if (c->op == SR_LOC_UPDATE)
			view.st.id = c->old->id;
		if (!sr_loc_claim(loc, c->op == SR_LOC_ADD ? SR_EV_ADDED : SR_EV_REFRESHED, &view))
			return false;
	}
	for (unsigned i = 0; i < t->n_gone; i++) {
		struct sr_loc_binding view;
		sr_loc_view(t->gone[i], &view);
		if (!sr_loc_claim(loc, SR_EV_REMOVED, &view))
			return false;
	}
	return true;
}

static void release(struct sr_loc *loc, struct sr_loc_txn *t)
{
	sr_loc_release_room(loc);
	for (unsigned i = 0; i < t->n; i++) {
		if (t->c[i].fresh) {
			sr_binding_delete(&loc->slab, t->c[i].fresh);
			t->c[i].fresh = NULL;
		}
	}
	if (t->created) {
		sr_aor_table_erase(loc->table, t->rec);
		t->rec = NULL;
		t->created = false;
	}
	t->prepared = false;
}

enum sr_loc_rc sr_loc_prepare(struct sr_loc *loc, struct sr_loc_txn *t)
{
	for (unsigned i = 0; i < t->n; i++)
		t->c[i].fresh = NULL;
	t->created = false;
	enum sr_loc_rc rc = plan_lists(loc, t);
	if (rc != SR_LOC_OK)
		return rc;
	if (!t->rec && t->adds) {
		if (sr_aor_table_count(loc->table) >= loc->max_aors)
			return SR_LOC_FULL;
		t->rec = sr_aor_table_insert(loc->table, t->aor, t->hash);
		if (!t->rec)
			return SR_LOC_NO_MEMORY; /* within capacity, so the slab refused the record */
		t->created = true;
	}
	for (unsigned i = 0; i < t->n; i++) {
		struct sr_loc_change *c = &t->c[i];
		if (c->op == SR_LOC_REMOVE)
			continue;
		/* the hash a binding keeps: an unchanged URI keeps its own, another the key's if it was
		 * computed for matching; else none yet (loc_match.c computes it on first need) */
		if (c->op == SR_LOC_UPDATE && sr_str_eq(sr_binding_field(c->old, SR_BF_CONTACT), c->f[SR_BF_CONTACT]))
			c->uri_hash = c->old->uri_hash;
		else
			c->uri_hash = c->key && c->key->hashed ? c->key->uri_hash : 0;
		if (c->op == SR_LOC_UPDATE && same_strings(c->old, c->f))
			continue; /* in place */
		c->fresh = sr_binding_new(&loc->slab, c->f);
		if (!c->fresh) {
			release(loc, t);
			return sr_binding_size_for(c->f) ? SR_LOC_NO_MEMORY : SR_LOC_INVALID;
		}
	}
	if (!claim_room(loc, t)) {
		release(loc, t);
		return SR_LOC_BUSY;
	}
	t->prepared = true;
	return SR_LOC_OK;
}

void sr_loc_abort(struct sr_loc *loc, struct sr_loc_txn *t)
{
	if (t->prepared)
		release(loc, t);
}

/* The object change c leaves in the list. */
static struct sr_binding *object_of(const struct sr_loc_change *c)
{
	return c->fresh ? c->fresh : (struct sr_binding *)c->old;
}

/*
 * Stamps the object of an addition or update (id, state, identity hash, AoR); the timer comes later. An
 * update takes the change's registered_at too: it is the binding's last REGISTER, which routing (the newest
 * flow of an instance) and push (skip_interval) read as "last refreshed".
 */
static void stamp(struct sr_loc_change *c, struct sr_aor *a, uint64_t id)
{
	struct sr_binding *b = object_of(c);
	sr_binding_set_state(b, &c->st);
	if (c->fresh && c->op == SR_LOC_UPDATE)
		b->lease = c->old->lease; /* the user's word stays with the binding, whatever object holds it */
	b->id = id;
	b->uri_hash = c->uri_hash;
	b->aor = a;
}

unsigned sr_loc_commit(struct sr_loc *loc, struct sr_loc_txn *t)
{
	if (!t->prepared)
		return 0;
	struct sr_aor *a = t->rec;
	uint64_t id = loc->next_id;
	for (unsigned i = 0; i < t->n; i++) {
		struct sr_loc_change *c = &t->c[i];
		if (c->op != SR_LOC_REMOVE)
			stamp(c, a, c->op == SR_LOC_ADD ? id++ : c->old->id);
	}
	loc->next_id = id;
	if (a) {
		struct sr_binding **pp = &a->bindings;
		for (unsigned i = 0; i < t->n_final; i++) {
			const struct sr_loc_slot *s = &t->final[i];
			struct sr_binding *b = s->b ? (struct sr_binding *)s->b : object_of(&t->c[s->change]);
			*pp = b;
			pp = &b->next;
		}
		*pp = NULL;
		a->n_bindings = (uint16_t)t->n_final;
	}
	loc->bindings = loc->bindings + t->adds - t->n_gone;

	unsigned events = 0;
	for (unsigned i = 0; i < t->n; i++) {
		struct sr_loc_change *c = &t->c[i];
		if (c->op == SR_LOC_REMOVE)
			continue;
		struct sr_binding *b = object_of(c);
		sr_tw_arm(&loc->wheel, &b->timer, c->st.expires);
		if (c->op == SR_LOC_ADD || c->fresh)
			sr_loc_index_add(loc, b);
		sr_loc_emit(loc, c->op == SR_LOC_ADD ? SR_EV_ADDED : SR_EV_REFRESHED, b);
		events++;
		if (c->op == SR_LOC_UPDATE && c->fresh) {
			struct sr_binding *old = (struct sr_binding *)c->old;
			sr_loc_index_del(loc, old);
			sr_tw_cancel(&loc->wheel, &old->timer);
			sr_binding_delete(&loc->slab, old);
		}
	}
	for (unsigned i = 0; i < t->n_gone; i++) {
		struct sr_binding *b = (struct sr_binding *)t->gone[i];
		sr_tw_cancel(&loc->wheel, &b->timer);
		sr_loc_index_del(loc, b);
		sr_loc_emit(loc, SR_EV_REMOVED, b);
		sr_binding_delete(&loc->slab, b);
		events++;
	}
	sr_loc_erase_if_empty(loc, a);
	sr_loc_release_room(loc); /* claims commit did not use (none when the counts agree) */
	t->prepared = false;
	t->created = false;
	t->rec = NULL; /* consumed: begin a new change set to go on */
	return events;
}

/* --- cursors --- */

void sr_loc_cursor_aor(struct sr_loc_cursor *c, const struct sr_aor *a)
{
	*c = (struct sr_loc_cursor){ .b = sr_loc_first(a) };
}

void sr_loc_cursor_txn(struct sr_loc_cursor *c, const struct sr_loc_txn *t)
{
	*c = (struct sr_loc_cursor){ .t = t };
}

bool sr_loc_cursor_next(struct sr_loc_cursor *c, struct sr_loc_binding *out)
{
	if (!c->t) {
		if (!c->b)
			return false;
		sr_loc_view(c->b, out);
		c->b = c->b->next;
		return true;
	}
	if (!c->t->prepared || c->i >= c->t->n_final)
		return false;
	const struct sr_loc_slot *s = &c->t->final[c->i++];
	if (s->b) {
		sr_loc_view(s->b, out);
		return true;
	}
	/* a changed binding: the change's strings equal what the object will hold */
	const struct sr_loc_change *ch = &c->t->c[s->change];
	out->aor = c->t->aor;
	memcpy(out->f, ch->f, sizeof(out->f));
	out->st = ch->st;
	out->st.id = s->id;
	return true;
}
