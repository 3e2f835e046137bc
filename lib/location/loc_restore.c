/*
 * loc_restore.c - bindings back in without a REGISTER (a restart's
 * restore from persistence).
 *
 * Design decisions:
 * - A binding comes back exactly as it was: its strings, its state and its
 *   id, which is its persistent key (AoR, id). Identity matching plays no
 *   part: two stored bindings are two bindings, as they were before the
 *   restart (RFC 3261 19.1.4 equality is not transitive, so two live
 *   bindings may legitimately both equal a third URI). A record whose id
 *   the AoR already has replaces it, so restoring twice is harmless.
 * - The store's next id moves past every restored id, so a binding added
 *   after the restart never takes the key of one restored.
 * - Expiry is absolute (Unix seconds), so "remaining lifetime" needs no
 *   arithmetic: the timer is armed for the stored second. A binding whose
 *   second is not after now is dropped silently: its expired event would
 *   only repeat what the caller's store clean-up already does.
 * - The identity hash is not persisted (it would tie the data format to the
 *   hash function), nor computed here: like any binding's, it is computed
 *   from the contact the first time it is needed, so a restart parses no
 *   URI.
 * - A restart has the AoR's sr_hash64 already (its stored key, which also
 *   chose the shard): sr_loc_restore_hashed takes it instead of hashing
 *   the AoR again, when the table hashes with sr_hash64 (always, outside
 *   tests that force collisions through their own hash function).
 * - The hard per-AoR cap holds here too (SR_RESTORE_TOO_MANY); the
 *   registrar's configurable max_contacts does not: what was accepted
 *   before a restart is kept even if the limit was lowered meanwhile.
 */
#include "loc_internal.h"

static struct sr_binding *with_id(struct sr_aor *a, uint64_t id)
{
	for (struct sr_binding *b = a->bindings; b; b = b->next)
		if (b->id == id)
			return b;
	return NULL;
}

/* h: the table's hash of in->aor */
static enum sr_restore_rc restore(struct sr_loc *loc, const struct sr_loc_binding *in, uint64_t h)
{
	const struct sr_str aor = in->aor;
	struct sr_aor *a = sr_aor_table_lookup(loc->table, aor, h);
	struct sr_binding *old = a ? with_id(a, in->st.id) : NULL;
	if (a && !old && a->n_bindings >= SR_LOC_MAX_PER_AOR)
		return SR_RESTORE_TOO_MANY;
	bool created = false;
	if (!a) {
		if (sr_aor_table_count(loc->table) >= loc->max_aors)
			return SR_RESTORE_FULL;
		a = sr_aor_table_insert(loc->table, aor, h);
		if (!a)
			return SR_RESTORE_NO_MEMORY;
		created = true;
	}
	struct sr_binding *b = sr_binding_new(&loc->slab, in->f);
	if (!b) {
		if (created)
			sr_aor_table_erase(loc->table, a);
		return SR_RESTORE_NO_MEMORY;
	}
	sr_binding_set_state(b, &in->st);
	b->id = in->st.id;
	b->uri_hash = 0; /* computed on first need (loc_match.c) */
	if (old) {
		/* out of the list without an event: the restore replaces what an earlier restore put */
		struct sr_binding **pp = &a->bindings;
		while (*pp != old)
			pp = &(*pp)->next;
		*pp = old->next;
		a->n_bindings--;
		loc->bindings--;
		sr_tw_cancel(&loc->wheel, &old->timer);
		sr_loc_index_del(loc, old);
		sr_binding_delete(&loc->slab, old);
	}
	sr_loc_link(loc, a, b);
	sr_tw_arm(&loc->wheel, &b->timer, in->st.expires);
	if (b->id >= loc->next_id)
		loc->next_id = b->id + 1;
	return old ? SR_RESTORE_REPLACED : SR_RESTORE_OK;
}

static enum sr_restore_rc check(const struct sr_loc_binding *in, uint32_t now_s)
{
	if (in->aor.len == 0 || in->aor.len > UINT16_MAX || in->f[SR_BF_CONTACT].len == 0 || in->st.id == 0 ||
	    sr_binding_size_for(in->f) == 0)
		return SR_RESTORE_INVALID;
	if (in->st.expires <= now_s)
		return SR_RESTORE_EXPIRED;
	return SR_RESTORE_OK;
}

enum sr_restore_rc sr_loc_restore(struct sr_loc *loc, const struct sr_loc_binding *in, uint32_t now_s)
{
	enum sr_restore_rc rc = check(in, now_s);
	return rc != SR_RESTORE_OK ? rc : restore(loc, in, sr_aor_table_hash(loc->table, in->aor));
}

enum sr_restore_rc sr_loc_restore_hashed(struct sr_loc *loc, const struct sr_loc_binding *in, uint64_t aor_hash64,
					 uint32_t now_s)
{
	enum sr_restore_rc rc = check(in, now_s);
	if (rc != SR_RESTORE_OK)
		return rc;
	return restore(loc, in, sr_aor_table_hash_known(loc->table, in->aor, aor_hash64));
}

const char *sr_restore_rc_str(enum sr_restore_rc rc)
{
	switch (rc) {
	case SR_RESTORE_OK: return "restored";
	case SR_RESTORE_EXPIRED: return "expired while down";
	case SR_RESTORE_REPLACED: return "replaced a binding with the same id";
	case SR_RESTORE_FULL: return "AoR table full (registrar.max_aors)";
	case SR_RESTORE_NO_MEMORY: return "out of binding memory (registrar.memory_limit)";
	case SR_RESTORE_INVALID: return "invalid binding (empty AoR or contact, no id, or a field too long)";
	case SR_RESTORE_TOO_MANY: return "more bindings for one AoR than the hard cap (1024)";
	}
	return "unknown";
}
