/*
 * reg_apply.c - a checked REGISTER plan as the location store's change set
 * (see reg_plan.h).
 *
 * Each planned contact becomes one change: an addition or an update with the
 * strings the binding will store and its new state (expiry, CSeq, source,
 * q, reg-id, flags), or a removal; Contact: * becomes the change set's
 * remove_all and force-mode evictions become removals after the request's
 * own. The store prepares it (every allocation, every check), and the
 * caller commits or aborts it once the 200 is written (reg_save.c).
 *
 * What a binding stores of the request's shared fields is bounded here:
 * the User-Agent is kept up to SR_REG_STORED_UA_MAX bytes (it is only
 * informational: nothing matches or routes on its tail), cut at a UTF-8
 * character boundary so a JSON rendering of it stays valid. Path is routing
 * data and is never cut: a longer one than registrar.max_path_len is
 * refused before the plan is made (reg_save.c). Without these bounds one
 * REGISTER with sixteen contacts would copy a 64 KB User-Agent sixteen
 * times.
 */
#include "reg_shard.h"

#include <string.h>

#include "sip_uri_addr.h"

/* The User-Agent as stored: at most SR_REG_STORED_UA_MAX bytes, never half a UTF-8 character. */
static struct sr_str stored_user_agent(struct sr_str ua)
{
	if (ua.len <= SR_REG_STORED_UA_MAX)
		return ua;
	size_t n = SR_REG_STORED_UA_MAX;
	while (n > 0 && ((unsigned char)ua.p[n] & 0xC0) == 0x80)
		n--; /* ua.p[n] continues a character that starts before n: cut before that start */
	return sr_str_make(ua.p, n);
}

static void binding_fields(const struct sr_req_ctx *c, const struct sr_plan *p,
			   const struct sr_plan_entry *pe, struct sr_str f[SR_BF_COUNT])
{
	f[SR_BF_CONTACT] = pe->ci.uri;
	f[SR_BF_PARAMS] = pe->ci.params;
	f[SR_BF_CALL_ID] = c->m->call_id;
	f[SR_BF_PATH] = p->path;
	f[SR_BF_USER_AGENT] = stored_user_agent(c->m->user_agent);
	f[SR_BF_INSTANCE] = pe->ci.instance;
	f[SR_BF_PN_KEY] = pe->ci.pn_key;
	/* a query's parameters are for its 200 only: the binding it leaves is an ordinary one */
	f[SR_BF_PN_PARAMS] = pe->ci.pn_class == SR_PUSH_CONTACT ? pe->ci.pn_params : SR_STR_NULL;
}

/* The state an addition or update leaves (the store keeps an update's id; registered_at is now). */
static void binding_state(const struct sr_req_ctx *c, const struct sr_plan *p,
			  const struct sr_plan_entry *pe, struct sr_binding_state *st)
{
	const struct sr_reg_config *cfg = &c->s->cfg;
	int q = pe->ci.q >= 0 ? pe->ci.q : cfg->default_q;
	*st = (struct sr_binding_state){
		.expires = c->now_s + pe->granted,
		.registered_at = c->now_s,
		.branch_hash = p->branch_hash,
		.cseq = c->m->cseq,
		.src_ip = c->src ? c->src->ip : 0,
		.src_port = c->src ? c->src->port : 0,
		.q = q >= 0 ? (uint16_t)q : SR_Q_NONE,
		.reg_id = pe->ci.has_reg_id ? pe->ci.reg_id : 0,
		/* the Allow filter's facts: the REGISTER's Allow narrowed by the contact's methods tag */
		.allow = (uint16_t)(sr_sip_contact_allow(c->m, pe->ci.ct) & SR_SIP_ALLOW_MASK),
	};
	if (pe->ci.has_reg_id)
		st->flags |= SR_BFLAG_OUTBOUND;
	if (c->src && c->src->ip && !sr_sip_uri_is_source(pe->ci.ct ? &pe->ci.ct->uri : NULL, c->src->ip, c->src->port))
		st->flags |= SR_BFLAG_NAT; /* decided once here, from the parse the registrar has */
	if (p->path_src_ip) { /* path-received (reg_rule.c): the balancer saw the UA there, behind NAT */
		st->src_ip = p->path_src_ip;
		st->src_port = p->path_src_port;
		st->flags |= SR_BFLAG_NAT;
	}
	if (pe->ci.instance.len && (c->m->supported & SR_OPT_GRUU))
		st->flags |= SR_BFLAG_GRUU;
	if (pe->ci.pn_class == SR_PUSH_CONTACT && pe->ci.pnsreg)
		st->flags |= SR_BFLAG_PNSREG;
	st->flags |= p->flags; /* memory-only (the registrar's binding_flags hook) */
}

static enum sr_reg_err store_error(enum sr_loc_rc rc)
{
	switch (rc) {
	case SR_LOC_OK: return SR_E_OK;
	case SR_LOC_FULL: return SR_E_TABLE_FULL;
	case SR_LOC_TOO_MANY: return SR_E_TOO_MANY_CONTACTS;
	case SR_LOC_BUSY: return SR_E_NOT_STORED;
	case SR_LOC_NO_MEMORY:
	case SR_LOC_INVALID: /* cannot happen: contacts are checked and every field is bounded */
		break;
	}
	return SR_E_NO_MEMORY;
}

enum sr_reg_err sr_plan_prepare(struct sr_req_ctx *c, struct sr_plan *p)
{
	struct sr_loc_txn *t = &p->txn; /* begun by reg_save.c, where the plan looked up the AoR */
	t->remove_all = p->remove_all;
	for (unsigned i = 0; i < p->n; i++) {
		struct sr_plan_entry *pe = &p->e[i];
		if (pe->op == SR_OP_REMOVE) {
			sr_loc_txn_add(t, SR_LOC_REMOVE, pe->old);
		} else if (pe->op == SR_OP_ADD || pe->op == SR_OP_UPDATE) {
			struct sr_loc_change *ch =
				sr_loc_txn_add(t, pe->op == SR_OP_ADD ? SR_LOC_ADD : SR_LOC_UPDATE, pe->old);
			pe->change = (unsigned)(ch - t->c); /* the 200's PURR finds the new binding's id by it */
			binding_fields(c, p, pe, ch->f);
			ch->key = &pe->key; /* the store hashes it when the binding keeps a new URI */
			binding_state(c, p, pe, &ch->st);
		}
	}
	for (unsigned i = 0; i < p->n_evict; i++)
		sr_loc_txn_add(t, SR_LOC_REMOVE, p->evict[i]);
	return store_error(sr_loc_prepare(c->s->loc, t));
}
