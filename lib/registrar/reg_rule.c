/*
 * reg_rule.c - the mid-registrar's per-AoR rule in the registrar's plan
 * (registrar.role = mid; docs/MID_REGISTRAR.md, "Per domain or per AoR").
 *
 * An operator's `aor mid FLAGS /REGEX/` line lets a domain or AoR pattern
 * choose what an OpenSIPS script chooses per request with
 * mid_registrar_save's flags. lib/midreg acts on outgoing-expires and
 * only-request-contacts, persistence on memory-only; this file makes the
 * registrar act on the others: max-contacts and force-registration (the
 * limit), matching-mode (which binding a contact names), path-received
 * (the binding's source) and aor= (the AoR the bindings are stored under).
 *
 * Design decisions:
 * - The rule's tag (sr_midreg_settings_fn) is kept in the To AoR's record
 *   in the location store (sr_loc_aor_tag), which the REGISTER's change
 *   set looks up anyway: reg_save.c begins the change set on it before
 *   the owner check instead of after (a read only), once, and hands the
 *   record here (to_rec); the tag is written once the change
 *   is prepared (sr_reg_rule_keep: a new AoR's record exists from then on,
 *   and a refused REGISTER leaves nothing). So a refresh of an AoR whose
 *   rules were not reloaded since its last REGISTER gets its rule without
 *   a hyperscan scan (bench/midreg: the scan was most of what an absorbed
 *   refresh cost beyond a final one). A custom AoR's bindings live under
 *   the custom AoR, so the To AoR has no record to keep a tag in: those
 *   REGISTERs scan every time. The tag names an answer of one published
 *   set of rules: after a reload the next REGISTER of every AoR scans
 *   again (test_reg_rule).
 * - One lookup per REGISTER, right after the canonical AoR is known and
 *   before the owner check: a custom AoR hashes to its own owner, so the
 *   shard that owns it is the one that stores it (a REGISTER arriving at
 *   the To AoR's owner is handed on once, as for any owner mismatch), and
 *   calls to the custom AoR and contact ids made from its hash reach it.
 *   take() gets the same settings (rq->settings); io.apply's second pass
 *   uses the copy kept with the request (reg_mid.c), never a new lookup: a
 *   policy reload between the forward and the main registrar's answer
 *   cannot move the binding to another AoR than its upstream record's.
 * - Matching modes work on copies of the contact's key, never on the key
 *   the store gets (it only reads its URI hash): mode 0 and 1 drop the
 *   instance, reg-id and push key so that URIs decide, 1 adds the stored
 *   Call-ID; <param> compares the values of one URI parameter as sent, and
 *   a contact without that parameter is matched by URI.
 * - max-contacts=0 means unlimited, i.e. the location store's hard cap.
 * - only-request-contacts (a 200 the registrar writes: an absorbed refresh)
 *   lists the bindings the request added or refreshed, recognised by the
 *   URI they keep, which is the request's as sent; a fetch lists them all.
 * - path-received reads the first Path URI's received parameter once per
 *   REGISTER (lib/sip); a REGISTER whose Path carries none keeps the
 *   packet's source.
 */
#include "reg_shard.h"

#include <string.h>

#include "../sip/sip_uri_addr.h"

enum sr_reg_err sr_reg_rule_begin(struct sr_req_ctx *c, struct sr_plan *p, const struct sr_aor *to_rec)
{
	struct sr_registrar *s = c->s;
	if (sr_reg_mid_second_pass(c)) {
		p->rule = sr_reg_mid_kept_rule(c);
	} else if (s->mid_hooks.settings) {
		/* the To AoR's record keeps the tag of its last lookup */
		p->rule_tag = to_rec ? sr_loc_aor_tag(to_rec) : 0;
		p->rule = s->mid_hooks.settings(s->mid_hooks.settings_ctx, p->aor, &p->rule_tag);
	}
	if (!p->rule || !p->rule->aor[0])
		return SR_E_OK;
	/* the To AoR's parts, as canonical_aor found them (reg_save.c) */
	size_t n = sr_midreg_custom_aor(p->rule->aor, p->user, p->domain, s->rule_aor, sizeof(s->rule_aor));
	if (n == 0 || n > s->cfg.max_aor_len)
		return SR_E_AOR_TOO_LONG;
	p->aor = sr_str_make(s->rule_aor, n); /* another record: reg_save.c hashes and looks it up */
	p->rule_tag = 0;                      /* and keeps no tag of the To AoR's rule */
	return SR_E_OK;
}

void sr_reg_rule_keep(const struct sr_plan *p)
{
	if (p->rule_tag && p->txn.rec && sr_loc_aor_tag(p->txn.rec) != p->rule_tag)
		sr_loc_aor_set_tag(p->txn.rec, p->rule_tag);
}

static enum sr_midreg_matching mode_of(const struct sr_plan *p)
{
	return p->rule ? p->rule->matching : SR_MIDREG_MATCH_DEFAULT;
}

/* A copy of key k that names by URI only (modes 0 and 1). */
static struct sr_loc_key uri_key(const struct sr_loc_key *k)
{
	struct sr_loc_key u = *k;
	u.instance = SR_STR_NULL;
	u.pn_key = SR_STR_NULL;
	u.reg_id = 0;
	return u;
}

/* The matching parameter's value in a contact URI's text; false when it has none. */
static bool param_of(const struct sr_plan *p, struct sr_str uri, struct sr_str *v)
{
	return sr_sip_uri_param_in(uri, p->rule->matching_param, v);
}

const struct sr_binding *sr_reg_rule_match(const struct sr_req_ctx *c, const struct sr_plan *p,
					   const struct sr_aor *rec, struct sr_plan_entry *pe)
{
	enum sr_midreg_matching mode = mode_of(p);
	if (mode == SR_MIDREG_MATCH_DEFAULT)
		return sr_loc_match(rec, &pe->key);
	struct sr_str want, have;
	if (mode == SR_MIDREG_MATCH_PARAM && param_of(p, pe->ci.uri, &want)) {
		for (const struct sr_binding *b = sr_loc_first(rec); b; b = b->next)
			if (param_of(p, sr_binding_field(b, SR_BF_CONTACT), &have) && sr_str_eq(have, want))
				return b;
		return NULL;
	}
	/* by URI alone, the store's URI rule (sr_loc_names on a key without instance or push key) */
	struct sr_loc_key k = uri_key(&pe->key);
	const struct sr_binding *found = NULL;
	if (mode != SR_MIDREG_MATCH_CONTACT_CALLID) {
		found = sr_loc_match(rec, &k);
	} else {
		for (const struct sr_binding *b = sr_loc_first(rec); b && !found; b = b->next)
			if (sr_loc_names(&k, b) && sr_str_eq(sr_binding_field(b, SR_BF_CALL_ID), c->m->call_id))
				found = b;
	}
	pe->key.uri_hash = k.uri_hash; /* the hash the copy computed, if any: the store reuses it */
	pe->key.hashed = k.hashed;
	return found;
}

bool sr_reg_rule_same(const struct sr_plan *p, struct sr_plan_entry *a, struct sr_plan_entry *b)
{
	enum sr_midreg_matching mode = mode_of(p);
	if (mode == SR_MIDREG_MATCH_DEFAULT)
		return sr_loc_key_names(&a->key, &b->key);
	struct sr_str va, vb;
	if (mode == SR_MIDREG_MATCH_PARAM && param_of(p, a->ci.uri, &va))
		return param_of(p, b->ci.uri, &vb) && sr_str_eq(va, vb);
	/* one request has one Call-ID: modes 0 and 1 both come down to the URIs */
	struct sr_loc_key ka = uri_key(&a->key), kb = uri_key(&b->key);
	return sr_loc_key_names(&ka, &kb);
}

void sr_reg_rule_path(const struct sr_req_ctx *c, struct sr_plan *p)
{
	p->path_src_ip = 0;
	p->path_src_port = 0;
	if (!p->rule || !p->rule->path_received || c->m->n_path == 0)
		return;
	uint32_t ip;
	uint16_t port;
	if (sr_sip_path_received(c->m->path[0], &c->s->arena, &ip, &port)) {
		p->path_src_ip = ip;
		p->path_src_port = port;
	}
}

bool sr_reg_rule_listed(const struct sr_plan *p, const struct sr_loc_binding *b)
{
	if (!p->rule || !p->rule->only_request_contacts || p->n == 0)
		return true; /* a fetch asks for the list: it gets every binding */
	for (unsigned i = 0; i < p->n; i++)
		if ((p->e[i].op == SR_OP_ADD || p->e[i].op == SR_OP_UPDATE) && sr_str_eq(p->e[i].ci.uri, b->f[SR_BF_CONTACT]))
			return true; /* an added or refreshed binding keeps the request's URI as sent */
	return false;
}

void sr_reg_rule_limit(const struct sr_req_ctx *c, const struct sr_plan *p, uint32_t *max,
		       enum sr_max_contacts_mode *mode)
{
	*max = c->s->cfg.max_contacts;
	*mode = c->s->cfg.max_contacts_mode;
	if (!p->rule)
		return;
	if (p->rule->max_contacts == 0 || p->rule->max_contacts > SR_LOC_MAX_PER_AOR)
		*max = SR_LOC_MAX_PER_AOR; /* unlimited: the store's hard cap */
	else if (p->rule->max_contacts > 0)
		*max = (uint32_t)p->rule->max_contacts;
	if (p->rule->force_registration >= 0)
		*mode = p->rule->force_registration ? SR_MAXC_FORCE : SR_MAXC_REJECT;
}
