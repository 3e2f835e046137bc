/*
 * reg_apply.c - carrying out a checked REGISTER plan (see reg_plan.h).
 *
 * prepare() does everything that can fail: it creates the AoR record when
 * the AoR is new and allocates a new binding object for every added
 * contact and for every refresh whose stored strings change (a refresh with
 * the same Call-ID, URI and parameters is updated in place, which is the
 * common case and costs no allocation). On any failure it frees what it
 * took and the table is as before.
 *
 * apply() cannot fail. Adds and refreshes run before removals so the AoR
 * record never becomes empty in the middle of a request; it is erased at
 * the end if nothing is left.
 */
#include "reg_shard.h"

#include <string.h>

static void binding_fields(const struct sr_req_ctx *c, const struct sr_plan *p,
			   const struct sr_plan_entry *pe, struct sr_str f[SR_BF_COUNT])
{
	f[SR_BF_CONTACT] = pe->ci.uri;
	f[SR_BF_PARAMS] = pe->ci.params;
	f[SR_BF_CALL_ID] = c->m->call_id;
	f[SR_BF_PATH] = p->path;
	f[SR_BF_USER_AGENT] = c->m->user_agent;
	f[SR_BF_INSTANCE] = pe->ci.instance;
	f[SR_BF_PN_KEY] = pe->ci.pn_key;
}

static bool same_fields(const struct sr_binding *b, const struct sr_str f[SR_BF_COUNT])
{
	for (int i = 0; i < SR_BF_COUNT; i++)
		if (!sr_str_eq(sr_binding_field(b, (enum sr_bfield)i), f[i]))
			return false;
	return true;
}

static void undo_prepare(struct sr_shard *s, struct sr_plan *p)
{
	for (unsigned i = 0; i < p->n; i++) {
		if (p->e[i].fresh) {
			sr_binding_delete(&s->slab, p->e[i].fresh);
			p->e[i].fresh = NULL;
		}
	}
	if (p->aor_created) {
		sr_aor_table_erase(s->table, p->aor_rec);
		p->aor_rec = NULL;
		p->aor_created = false;
	}
}

enum sr_reg_err sr_plan_prepare(struct sr_req_ctx *c, struct sr_plan *p)
{
	struct sr_shard *s = c->s;
	bool adds = false;
	for (unsigned i = 0; i < p->n; i++)
		adds |= p->e[i].op == SR_OP_ADD;
	if (!p->aor_rec && adds) {
		if (sr_aor_table_count(s->table) >= s->cfg.max_aors)
			return SR_E_TABLE_FULL;
		p->aor_rec = sr_aor_table_insert(s->table, p->aor, p->hash);
		if (!p->aor_rec)
			return SR_E_NO_MEMORY; /* within capacity, so the slab refused the record */
		p->aor_created = true;
	}
	for (unsigned i = 0; i < p->n; i++) {
		struct sr_plan_entry *pe = &p->e[i];
		pe->fresh = NULL;
		if (pe->op != SR_OP_ADD && pe->op != SR_OP_UPDATE)
			continue;
		struct sr_str f[SR_BF_COUNT];
		binding_fields(c, p, pe, f);
		if (pe->op == SR_OP_UPDATE && same_fields(pe->old, f))
			continue;
		pe->fresh = sr_binding_new(&s->slab, f);
		if (!pe->fresh) {
			undo_prepare(s, p);
			return SR_E_NO_MEMORY;
		}
	}
	return SR_E_OK;
}

/* Stamps the per-update state of a binding and (re)arms its expiry. */
static void stamp(struct sr_req_ctx *c, const struct sr_plan *p, const struct sr_plan_entry *pe,
		  struct sr_binding *b)
{
	const struct sr_reg_config *cfg = &c->s->cfg;
	b->cseq = c->m->cseq;
	b->branch_hash = p->branch_hash;
	b->src_ip = c->src ? c->src->ip : 0;
	b->src_port = c->src ? c->src->port : 0;
	int q = pe->ci.q >= 0 ? pe->ci.q : cfg->default_q;
	b->q = q >= 0 ? (uint16_t)q : SR_Q_NONE;
	b->reg_id = pe->ci.has_reg_id ? pe->ci.reg_id : 0;
	b->flags = 0;
	if (pe->ci.has_reg_id)
		b->flags |= SR_BFLAG_OUTBOUND;
	if (pe->ci.instance.len && (c->m->supported & SR_OPT_GRUU))
		b->flags |= SR_BFLAG_GRUU;
	sr_tw_arm(&c->s->wheel, &b->timer, c->now_s + pe->granted);
}

static void link_tail(struct sr_aor *a, struct sr_binding *b)
{
	struct sr_binding **pp = &a->bindings;
	while (*pp)
		pp = &(*pp)->next;
	b->next = NULL;
	b->aor = a;
	*pp = b;
	a->n_bindings++;
}

/* Puts 'fresh' in the place of 'old' in the AoR's list and frees 'old'. */
static void replace(struct sr_shard *s, struct sr_binding *old, struct sr_binding *fresh)
{
	struct sr_binding **pp = &old->aor->bindings;
	while (*pp != old)
		pp = &(*pp)->next;
	fresh->next = old->next;
	fresh->aor = old->aor;
	fresh->registered_at = old->registered_at;
	*pp = fresh;
	sr_tw_cancel(&s->wheel, &old->timer);
	sr_binding_delete(&s->slab, old);
}

void sr_plan_apply(struct sr_req_ctx *c, struct sr_plan *p)
{
	struct sr_shard *s = c->s;
	for (unsigned i = 0; i < p->n; i++) {
		struct sr_plan_entry *pe = &p->e[i];
		struct sr_binding *b;
		switch (pe->op) {
		case SR_OP_ADD:
			b = pe->fresh;
			b->registered_at = c->now_s;
			link_tail(p->aor_rec, b);
			s->n_bindings++;
			stamp(c, p, pe, b);
			sr_shard_emit(s, SR_EV_ADDED, b);
			c->res->events++;
			break;
		case SR_OP_UPDATE:
			b = pe->old;
			if (pe->fresh) {
				replace(s, pe->old, pe->fresh);
				b = pe->fresh;
			}
			stamp(c, p, pe, b);
			sr_shard_emit(s, SR_EV_REFRESHED, b);
			c->res->events++;
			break;
		default:
			break;
		}
	}
	for (unsigned i = 0; i < p->n; i++) {
		if (p->e[i].op == SR_OP_REMOVE) {
			sr_shard_drop_binding(s, p->e[i].old, SR_EV_REMOVED);
			c->res->events++;
		}
	}
	while (p->remove_all && p->aor_rec && p->aor_rec->bindings) {
		sr_shard_drop_binding(s, p->aor_rec->bindings, SR_EV_REMOVED);
		c->res->events++;
	}
	for (unsigned i = 0; i < p->n_evict; i++) {
		sr_shard_drop_binding(s, p->evict[i], SR_EV_REMOVED);
		c->res->events++;
	}
	if (p->aor_rec && p->aor_rec->n_bindings == 0) {
		sr_shard_erase_if_empty(s, p->aor_rec);
		p->aor_rec = NULL;
	}
}
