/*
 * reg_restore.c - bindings in without a REGISTER (restore), out by an
 * operator (administrative removal).
 *
 * Design decisions:
 * - Restore goes through the same objects the REGISTER path uses
 *   (sr_binding_new, the AoR table, the timer wheel) and the same identity
 *   rule (sr_match_find), so a restored shard is indistinguishable from one
 *   that received the REGISTERs, and a store that somehow holds two records
 *   of one binding yields one binding, not two.
 * - Expiry is absolute (Unix seconds), so "remaining lifetime" needs no
 *   arithmetic: the timer is armed for the stored second. A binding whose
 *   second is not after now is dropped silently: its expired event would
 *   only repeat what the store will be told by the caller's clean-up.
 * - Restore checks max_aors but not max_bindings_per_aor: what was accepted
 *   before a restart is kept even if the limit was lowered meanwhile.
 */
#include "reg_restore.h"

#include <stdbool.h>

#include "../sip/sip_uri_cmp.h"
#include "reg_shard.h"

void sr_binding_get_state(const struct sr_binding *b, struct sr_binding_state *st)
{
	st->expires = sr_binding_expires(b);
	st->registered_at = b->registered_at;
	st->branch_hash = b->branch_hash;
	st->cseq = b->cseq;
	st->src_ip = b->src_ip;
	st->src_port = b->src_port;
	st->q = b->q;
	st->reg_id = b->reg_id;
	st->flags = b->flags;
}

bool sr_binding_state_equal(const struct sr_binding_state *a, const struct sr_binding_state *b)
{
	return a->expires == b->expires && a->registered_at == b->registered_at &&
	       a->branch_hash == b->branch_hash && a->cseq == b->cseq && a->src_ip == b->src_ip &&
	       a->src_port == b->src_port && a->q == b->q && a->reg_id == b->reg_id && a->flags == b->flags;
}

static void set_state(struct sr_binding *b, const struct sr_binding_state *st)
{
	b->registered_at = st->registered_at;
	b->branch_hash = st->branch_hash;
	b->cseq = st->cseq;
	b->src_ip = st->src_ip;
	b->src_port = st->src_port;
	b->q = st->q;
	b->reg_id = st->reg_id;
	b->flags = st->flags;
}

static struct sr_binding *same_identity(struct sr_aor *a, const struct sr_str f[SR_BF_COUNT],
					const struct sr_binding_state *st)
{
	struct sr_match_key k = {
		.uri = f[SR_BF_CONTACT],
		.instance = f[SR_BF_INSTANCE],
		.pn_key = f[SR_BF_PN_KEY],
		.reg_id = (st->flags & SR_BFLAG_OUTBOUND) ? st->reg_id : 0,
	};
	return sr_match_find(a, &k);
}

enum sr_restore_rc sr_shard_restore_binding(struct sr_shard *s, struct sr_str aor,
					    const struct sr_str fields[SR_BF_COUNT],
					    const struct sr_binding_state *st, uint64_t now_ms)
{
	if (aor.len == 0 || aor.len > UINT16_MAX || fields[SR_BF_CONTACT].len == 0 ||
	    sr_binding_size_for(fields) == 0)
		return SR_RESTORE_INVALID;
	if ((uint64_t)st->expires * 1000 <= now_ms)
		return SR_RESTORE_EXPIRED;

	uint64_t h = sr_aor_table_hash(s->table, aor);
	struct sr_aor *a = sr_aor_table_lookup(s->table, aor, h);
	bool created = false;
	if (!a) {
		if (sr_aor_table_count(s->table) >= s->cfg.max_aors)
			return SR_RESTORE_FULL;
		a = sr_aor_table_insert(s->table, aor, h);
		if (!a)
			return SR_RESTORE_NO_MEMORY;
		created = true;
	}
	struct sr_binding *b = sr_binding_new(&s->slab, fields);
	if (!b) {
		if (created)
			sr_aor_table_erase(s->table, a);
		return SR_RESTORE_NO_MEMORY;
	}
	set_state(b, st);

	enum sr_restore_rc rc = SR_RESTORE_OK;
	struct sr_binding **pp = &a->bindings;
	struct sr_binding *old = created ? NULL : same_identity(a, fields, st);
	while (*pp && *pp != old)
		pp = &(*pp)->next;
	if (old) {
		b->next = old->next;
		sr_tw_cancel(&s->wheel, &old->timer);
		sr_binding_delete(&s->slab, old);
		rc = SR_RESTORE_REPLACED;
	} else {
		b->next = NULL;
		a->n_bindings++;
		s->n_bindings++;
	}
	b->aor = a;
	*pp = b;
	sr_tw_arm(&s->wheel, &b->timer, st->expires);
	return rc;
}

unsigned sr_shard_remove(struct sr_shard *s, struct sr_str aor, struct sr_str contact)
{
	struct sr_aor *a = sr_aor_table_lookup(s->table, aor, sr_aor_table_hash(s->table, aor));
	if (!a)
		return 0;
	unsigned n = 0;
	struct sr_binding *b = a->bindings;
	while (b) {
		struct sr_binding *next = b->next;
		struct sr_str uri = sr_binding_field(b, SR_BF_CONTACT);
		if (contact.len == 0 || sr_uri_equal_str(uri.p, uri.len, contact.p, contact.len)) {
			sr_shard_drop_binding(s, b, SR_EV_REMOVED);
			n++;
		}
		b = next;
	}
	sr_shard_erase_if_empty(s, a);
	return n;
}

const char *sr_restore_rc_str(enum sr_restore_rc rc)
{
	switch (rc) {
	case SR_RESTORE_OK: return "restored";
	case SR_RESTORE_EXPIRED: return "expired while down";
	case SR_RESTORE_REPLACED: return "replaced a binding with the same identity";
	case SR_RESTORE_FULL: return "AoR table full (registrar.max_aors)";
	case SR_RESTORE_NO_MEMORY: return "out of binding memory (registrar.memory_limit)";
	case SR_RESTORE_INVALID: return "invalid binding (empty AoR or contact, or a field too long)";
	}
	return "unknown";
}
