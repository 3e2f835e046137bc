/*
 * reg_save.c - REGISTER processing, RFC 3261 10.3 steps 1 to 8.
 *
 * A REGISTER is handled in two phases so that it is atomic: first a plan is
 * made for every Contact (which binding it names, its expiry, whether it
 * adds, refreshes or removes) and every check that can fail runs, including
 * the memory allocations; only when nothing can fail any more is the plan
 * handed to the location store as a change set (reg_apply.c), the 200 is
 * written from the store's view of the result, and only then is the change
 * committed. A request with one good and one bad contact therefore changes
 * nothing, and neither does one whose 200 would not fit the response buffer
 * (it gets a 500 that says so), nor one whose events the persistence cannot
 * take now (the store's room claim, location.h: 500 with Retry-After). With
 * durability=sync the retraction of the change (the 500 to send if it is
 * not stored after all) is written with the 200, from the same parse.
 *
 * Which existing binding a Contact names is the store's rule
 * (lib/location/loc_match.c): the (+sip.instance, reg-id) pair for RFC 5626
 * outbound contacts, the instance alone for instance contacts without
 * reg-id, the RFC 8599 push triple for push contacts, and otherwise URI
 * equality by RFC 3261 19.1.4, hash first. In registrar.role = mid, the
 * AoR's `aor mid` rule (reg_rule.c, looked up once right after the AoR)
 * may change that rule, the limit, the binding's source and the AoR itself.
 */
#include "reg_shard.h"

#include "../sip/sip_aor.h"
#include "../sip/sip_host.h"

#include <string.h>

/* host is canonical (sr_aor_domain: lower case, prefix stripped, IPv6 bracketed), like cfg->domains. */
static bool domain_served(const struct sr_reg_config *cfg, struct sr_str host)
{
	return sr_reg_config_serves(cfg, host);
}

/*
 * Step 5's "valid for the domain in the Request-URI", on canonical domains
 * (sr_aor_domain). A name must be the AoR's domain. An IP literal is the
 * registrar addressed directly (phones configured with its address send
 * REGISTER sip:198.51.100.1, To: <sip:user@example.com>; RFC 5118's
 * ipv6-good does the same): every served domain is valid for it, except an
 * AoR whose own host is an address, which only that address is.
 */
static bool aor_valid_for(struct sr_str aor_domain, struct sr_str ruri_domain)
{
	if (sr_str_caseeq(aor_domain, ruri_domain))
		return true; /* the common case, and no address parsing for it */
	struct sr_ip a, r;
	bool ruri_ip = sr_sip_host_ip(ruri_domain, &r) == 0;
	if (sr_sip_host_ip(aor_domain, &a) == 0)
		return ruri_ip && memcmp(a.b, r.b, 16) == 0; /* one address, possibly spelt two ways */
	return ruri_ip;
}

/*
 * Step 1: the Request-URI must name a domain we are responsible for. Its
 * canonical host goes to *domain (inside buf) for step 5.
 */
static enum sr_reg_err check_request_uri(const struct sr_req_ctx *c, char *buf, size_t cap,
					 struct sr_str *domain)
{
	const struct sr_sip_uri *ruri = &c->m->ruri;
	if (ruri->scheme == SR_URI_OTHER)
		return SR_E_RURI_SCHEME;
	/* Canonical host as for the AoR, so "sip:[2001:db8::10]" matches a served "[2001:db8::10]". */
	size_t n = sr_aor_domain(ruri->host, c->s->cfg.realm_prefix, buf, cap);
	*domain = sr_str_make(buf, n);
	if (n == 0 || !domain_served(&c->s->cfg, *domain))
		return SR_E_DOMAIN_NOT_SERVED;
	return SR_E_OK;
}

/* Step 2: Require may only name extensions we implement and have switched on. */
static bool require_ok(const struct sr_req_ctx *c, struct sr_str *unsupported)
{
	const struct sr_sip_msg *m = c->m;
	const struct sr_reg_config *cfg = &c->s->cfg;
	if (m->require_unknown.len) {
		*unsupported = m->require_unknown;
		return false;
	}
	if ((m->require & SR_OPT_PATH) && cfg->path_mode == SR_PATH_OFF) {
		*unsupported = SR_STR_LIT("path");
		return false;
	}
	if ((m->require & SR_OPT_OUTBOUND) && !cfg->outbound) {
		*unsupported = SR_STR_LIT("outbound");
		return false;
	}
	if ((m->require & SR_OPT_GRUU) && !cfg->gruu) {
		*unsupported = SR_STR_LIT("gruu");
		return false;
	}
	return true;
}

/* Steps 3 and 4: the hooks the authentication module fills. Returns 0 to go on. */
static int run_auth(struct sr_req_ctx *c, struct sr_auth_identity *id)
{
	const struct sr_auth_hooks *h = &c->s->auth;
	if (!h->authenticate)
		return 0;
	int status = h->authenticate(h->ctx, c->m, c->now_ms, id, c->extra_hdrs,
				     sizeof(c->extra_hdrs), &c->extra_len);
	if (c->extra_len > sizeof(c->extra_hdrs))
		c->extra_len = 0;
	return status;
}

/*
 * The operator policy hook (before authentication, so a scanner gets no
 * challenge). Returns false when it answered or dropped the request.
 */
static bool run_policy(struct sr_req_ctx *c, struct sr_str aor)
{
	const struct sr_policy_hooks *h = &c->s->policy;
	if (!h->check)
		return true;
	struct sr_pol_verdict v = { SR_POL_ALLOW, 0, NULL };
	h->check(h->ctx, c->m, aor, &v);
	if (v.action == SR_POL_DROP) {
		c->res->drop = SR_DROP_POLICY;
		return false;
	}
	if (v.action == SR_POL_REJECT) {
		/* 4xx/5xx only: never a 6xx from a registrar (RFC 3261 10.3), whatever the hook says */
		bool valid = v.status >= 400 && v.status <= 599;
		sr_reply_status(c, valid ? v.status : 403, valid ? v.reason : NULL);
		return false;
	}
	return true;
}

/*
 * Step 5: the canonical AoR from To, with the length limits and the domain
 * checks: its domain is one of ours and the Request-URI's (ruri_domain,
 * canonical): "not valid for the domain in the Request-URI" is a 404.
 */
static enum sr_reg_err canonical_aor(struct sr_req_ctx *c, struct sr_plan *p, struct sr_str ruri_domain)
{
	const struct sr_reg_config *cfg = &c->s->cfg;
	struct sr_aor_options opt = { cfg->case_sensitive, cfg->realm_prefix };
	struct sr_str user, host;
	int rc = SR_AOR_OK; /* the pre-scan's AoR when it is the To URI as written, else built here */
	if (!sr_reg_carry_aor(c->carry, c->m, c->req, p->aor_buf, sizeof(p->aor_buf), &p->aor.len, &user, &host))
		rc = sr_aor_canonicalize(&c->m->to.uri, &opt, p->aor_buf, sizeof(p->aor_buf), &p->aor.len, &user,
					 &host);
	p->aor.p = p->aor_buf;
	switch (rc) {
	case SR_AOR_OK:
		break;
	case SR_AOR_BAD_SCHEME:
		return SR_E_AOR_SCHEME;
	case SR_AOR_NO_HOST:
		return SR_E_AOR_NO_HOST;
	case SR_AOR_BAD_ESCAPE:
		return SR_E_AOR_BAD_ESCAPE;
	default:
		return SR_E_AOR_TOO_LONG;
	}
	if (user.len > cfg->max_username_len)
		return SR_E_USERNAME_TOO_LONG;
	if (host.len > cfg->max_domain_len)
		return SR_E_DOMAIN_TOO_LONG;
	if (p->aor.len > cfg->max_aor_len)
		return SR_E_AOR_TOO_LONG;
	if (!domain_served(cfg, host))
		return SR_E_AOR_NOT_SERVED;
	if (!aor_valid_for(host, ruri_domain))
		return SR_E_AOR_NOT_IN_RURI_DOMAIN;
	p->user = user;
	p->domain = host;
	return SR_E_OK;
}

/* Granted lifetime of one contact (step 7), or SR_E_INTERVAL_TOO_BRIEF. */
static enum sr_reg_err grant_expires(struct sr_req_ctx *c, int64_t asked, uint32_t *granted)
{
	const struct sr_reg_config *cfg = &c->s->cfg;
	uint64_t e = asked >= 0 ? (uint64_t)asked
				: c->m->expires >= 0 ? (uint64_t)c->m->expires : cfg->default_expires;
	if (e == 0) {
		*granted = 0;
		return SR_E_OK;
	}
	if (cfg->min_expires && e < cfg->min_expires)
		return SR_E_INTERVAL_TOO_BRIEF;
	if (cfg->max_expires && e > cfg->max_expires)
		e = cfg->max_expires;
	if (cfg->expires_max_deviation) {
		/*
		 * Spreads refreshes of phones that booted together (OpenSIPS
		 * expires_max_deviation). The draw is SipHash of (shard, draw number)
		 * under its own key: unpredictable, and no window onto the secret
		 * (a linear generator seeded from it would be one).
		 */
		struct sr_registrar *s = c->s;
		uint64_t in[2] = { s->id, s->jitter_n++ };
		uint64_t span = 2ull * cfg->expires_max_deviation + 1;
		int64_t d = (int64_t)(sr_siphash(&s->key_jitter, in, sizeof(in)) % span) -
			    (int64_t)cfg->expires_max_deviation;
		int64_t v = (int64_t)e + d;
		int64_t floor = cfg->min_expires ? cfg->min_expires : 1;
		if (v < floor)
			v = floor;
		if (cfg->max_expires && v > cfg->max_expires)
			v = cfg->max_expires;
		e = (uint64_t)v;
	}
	if (e > UINT32_MAX - c->now_s)
		e = UINT32_MAX - c->now_s;
	*granted = (uint32_t)e;
	return SR_E_OK;
}

/* Bytes of the request's Path values joined with ", " (0 when Path is off or absent). */
static size_t joined_path_len(const struct sr_req_ctx *c)
{
	const struct sr_sip_msg *m = c->m;
	if (c->s->cfg.path_mode == SR_PATH_OFF || m->n_path == 0)
		return 0;
	size_t n = 0;
	for (unsigned i = 0; i < m->n_path; i++)
		n += m->path[i].len + (i ? 2 : 0);
	return n;
}

/* Joins the request's Path values into the arena (empty when Path is off or absent). */
static struct sr_str joined_path(struct sr_req_ctx *c)
{
	const struct sr_sip_msg *m = c->m;
	size_t n = joined_path_len(c);
	if (n == 0)
		return SR_STR_NULL;
	char *out = sr_arena_alloc(&c->s->arena, n);
	if (!out)
		return SR_STR_NULL;
	size_t len = 0;
	for (unsigned i = 0; i < m->n_path; i++) {
		if (i) {
			memcpy(out + len, ", ", 2);
			len += 2;
		}
		memcpy(out + len, m->path[i].p, m->path[i].len);
		len += m->path[i].len;
	}
	return sr_str_make(out, len);
}

/*
 * Step 6, the Call-ID/CSeq rule, for a request that names binding b:
 * same Call-ID and an older or equal CSeq fails, unless it is a
 * retransmission of the update that set b (same CSeq and top Via branch).
 */
static enum sr_reg_err check_order(struct sr_req_ctx *c, struct sr_plan *p,
				   const struct sr_binding *b)
{
	if (!sr_str_eq(sr_binding_field(b, SR_BF_CALL_ID), c->m->call_id))
		return SR_E_OK;
	if (c->m->cseq > b->cseq)
		return SR_E_OK;
	if (c->m->cseq == b->cseq && p->branch_hash != 0 && p->branch_hash == b->branch_hash) {
		p->retransmission = true;
		return SR_E_OK;
	}
	return SR_E_CSEQ_ORDER;
}

/* Contact: * with Expires: 0 removes every binding of the AoR. */
static enum sr_reg_err plan_star(struct sr_req_ctx *c, struct sr_plan *p)
{
	if (c->m->n_contacts != 0 || c->m->expires != 0)
		return SR_E_STAR_MISUSE;
	for (const struct sr_binding *b = sr_loc_first(p->aor_rec); b; b = b->next) {
		enum sr_reg_err e = check_order(c, p, b);
		if (e != SR_E_OK)
			return e;
	}
	p->remove_all = true;
	return SR_E_OK;
}

/* What a contact is recognised by; its URI's identity hash, when needed, comes from the parse already made. */
static void contact_key(struct sr_loc_key *k, const struct sr_contact_info *ci)
{
	k->uri = ci->uri;
	k->parsed = &ci->ct->uri;
	k->hashed = false;
	k->instance = ci->instance;
	k->pn_key = ci->pn_key;
	k->reg_id = ci->has_reg_id ? ci->reg_id : 0;
}

static enum sr_reg_err plan_contact(struct sr_req_ctx *c, struct sr_plan *p, unsigned i,
				    unsigned *n_reg_id)
{
	const struct sr_reg_config *cfg = &c->s->cfg;
	struct sr_plan_entry *pe = &p->e[p->n];
	enum sr_reg_err e = sr_contact_read(&c->m->contacts[i], &cfg->push, &c->s->arena, &pe->ci);
	if (e != SR_E_OK)
		return e;
	if (pe->ci.uri.len > cfg->max_contact_len)
		return SR_E_CONTACT_TOO_LONG;
	if (!cfg->outbound) {
		pe->ci.has_reg_id = false; /* outbound off: reg-id is just a parameter */
		pe->ci.reg_id = 0;
	} else if (pe->ci.has_reg_id) {
		if (pe->ci.instance.len == 0)
			return SR_E_REG_ID_NO_INSTANCE;
		if (++*n_reg_id > 1)
			return SR_E_MULTI_REG_ID;
		p->outbound_used = true;
	}
	e = grant_expires(c, pe->ci.expires, &pe->granted);
	if (e != SR_E_OK)
		return e;
	contact_key(&pe->key, &pe->ci);
	/* A contact named twice in one request: the later one wins. */
	for (unsigned j = 0; j < p->n; j++)
		if (p->e[j].op != SR_OP_NONE && sr_reg_rule_same(p, pe, &p->e[j]))
			p->e[j].op = SR_OP_NONE;
	pe->old = sr_reg_rule_match(c, p, p->aor_rec, pe); /* the store's rule unless the AoR's mid rule says */
	/* Two contacts may name one binding by different rules (instance vs URI): the later wins too. */
	for (unsigned j = 0; pe->old && j < p->n; j++)
		if (p->e[j].op != SR_OP_NONE && p->e[j].old == pe->old)
			p->e[j].op = SR_OP_NONE;
	if (pe->old) {
		e = check_order(c, p, pe->old);
		if (e == SR_E_CSEQ_ORDER && sr_reg_mid_second_pass(c)) {
			/* the mid-registrar's kept request, overtaken by a newer REGISTER absorbed meanwhile: that one stands */
			pe->op = SR_OP_NONE;
			p->n++;
			return SR_E_OK;
		}
		if (e != SR_E_OK)
			return e;
	}
	pe->op = pe->granted == 0 ? (pe->old ? SR_OP_REMOVE : SR_OP_NONE)
				  : (pe->old ? SR_OP_UPDATE : SR_OP_ADD);
	p->n++;
	return SR_E_OK;
}

static unsigned count_ops(const struct sr_plan *p, enum sr_plan_op op)
{
	unsigned n = 0;
	for (unsigned i = 0; i < p->n; i++)
		n += p->e[i].op == op;
	return n;
}

static bool planned(const struct sr_plan *p, const struct sr_binding *b)
{
	for (unsigned i = 0; i < p->n; i++)
		if (p->e[i].op != SR_OP_NONE && p->e[i].old == b)
			return true;
	return false;
}

/*
 * max_contacts (at most the store's hard cap, reg_config.c): reject, or
 * (force mode) evict the untouched bindings that expire soonest. A request
 * that adds nothing is never refused: an AoR restored above a lowered limit
 * can still be refreshed and emptied.
 */
static enum sr_reg_err plan_limit(struct sr_req_ctx *c, struct sr_plan *p)
{
	uint32_t max_contacts;
	enum sr_max_contacts_mode mode;
	sr_reg_rule_limit(c, p, &max_contacts, &mode); /* the configuration's, or the AoR's mid rule's */
	unsigned existing = p->aor_rec ? p->aor_rec->n_bindings : 0;
	unsigned adds = count_ops(p, SR_OP_ADD), removes = count_ops(p, SR_OP_REMOVE);
	unsigned final = existing - removes + adds;
	if (adds == 0 || final <= max_contacts)
		return SR_E_OK;
	if (mode == SR_MAXC_REJECT || adds > max_contacts)
		return SR_E_TOO_MANY_CONTACTS;
	unsigned need = final - max_contacts;
	while (need--) {
		const struct sr_binding *victim = NULL;
		for (const struct sr_binding *b = sr_loc_first(p->aor_rec); b; b = b->next) {
			bool taken = planned(p, b);
			for (unsigned k = 0; k < p->n_evict && !taken; k++)
				taken = p->evict[k] == b;
			if (!taken && (!victim || sr_binding_expires(b) < sr_binding_expires(victim)))
				victim = b;
		}
		if (!victim || p->n_evict == SR_PLAN_MAX_EVICT)
			return SR_E_TOO_MANY_CONTACTS;
		p->evict[p->n_evict++] = victim;
	}
	return SR_E_OK;
}

/* The 200 for the AoR as it is (a fetch, a retransmission), or the 500 when it does not fit. */
static void finish_with_bindings(struct sr_req_ctx *c, struct sr_plan *p)
{
	struct sr_loc_cursor cur;
	sr_loc_cursor_aor(&cur, p->aor_rec);
	if (!sr_reply_bindings(c, &cur, p))
		sr_reply_error(c, SR_E_RESPONSE_TOO_LARGE, NULL, SR_STR_NULL);
}

/*
 * Prepares the change, writes the 200 from the store's view of the result
 * and commits; when the 200 does not fit, aborts instead (nothing changed)
 * and answers 500.
 */
static void change_and_answer(struct sr_req_ctx *c, struct sr_plan *p)
{
	enum sr_reg_err e = sr_plan_prepare(c, p);
	if (e != SR_E_OK)
		return sr_reply_error(c, e, NULL, SR_STR_NULL);
	sr_reg_rule_keep(p); /* the AoR's record (a new one exists from here) keeps its mid rule's tag */
	struct sr_loc_cursor cur;
	sr_loc_cursor_txn(&cur, &p->txn);
	if (!sr_reply_bindings(c, &cur, p) || (c->s->retraction && !sr_reply_retraction(c))) {
		sr_loc_abort(c->s->loc, &p->txn);
		return sr_reply_error(c, SR_E_RESPONSE_TOO_LARGE, NULL, SR_STR_NULL);
	}
	c->res->events += sr_loc_commit(c->s->loc, &p->txn);
	if (c->res->events == 0)
		c->res->retraction_len = c->res->retraction_replica_len = 0; /* nothing changed: nothing to retract */
}

void sr_reg_save(struct sr_req_ctx *c)
{
	const struct sr_sip_msg *m = c->m;
	struct sr_registrar *s = c->s;
	struct sr_plan *p = &s->plan; /* one plan per shard: too large for a worker's stack */
	memset(p, 0, offsetof(struct sr_plan, e));
	p->n = 0;

	char ruri_buf[256];
	struct sr_str ruri_domain;
	enum sr_reg_err e = check_request_uri(c, ruri_buf, sizeof(ruri_buf), &ruri_domain);
	struct sr_str unsupported;
	if (e != SR_E_OK)
		return sr_reply_error(c, e, NULL, SR_STR_NULL);
	if (!require_ok(c, &unsupported))
		return sr_reply_error(c, SR_E_UNSUPPORTED, "Unsupported", unsupported);
	if (s->cfg.path_mode == SR_PATH_STRICT && m->n_path && !(m->supported & SR_OPT_PATH))
		return sr_reply_error(c, SR_E_PATH_UNSUPPORTED, "Unsupported", SR_STR_LIT("path"));
	e = canonical_aor(c, p, ruri_domain); /* known before policy; its error still comes after auth */
	/*
	 * p->txn is begun once, on the AoR the bindings are stored under: here,
	 * before the owner check, when the mid-registrar's rule lookup reads the
	 * To AoR's record (its kept tag) and the rule keeps that AoR; else below.
	 */
	bool begun = false;
	if (e == SR_E_OK && sr_reg_rule_reads_record(c)) {
		c->res->aor_hash = sr_reg_aor_hash(c, p);
		sr_loc_txn_begin_hashed(s->loc, &p->txn, p->aor, c->res->aor_hash);
		begun = true;
	}
	struct sr_str to_aor = p->aor;
	if (e == SR_E_OK)
		e = sr_reg_rule_begin(c, p, begun ? p->txn.rec : NULL); /* role = mid: the AoR's rule */
	if (e == SR_E_OK) {
		c->res->has_aor = true;
		/* a mid rule's custom AoR (in s->rule_aor) is another record, with its own hash and owner */
		if (p->aor.p != to_aor.p)
			begun = false;
		/* the pre-scan's hash is the To AoR's; a custom AoR's is computed here */
		if (!begun)
			c->res->aor_hash = sr_reg_aor_hash(c, p);
		/*
		 * Another shard's AoR (the pre-scan and the parse disagreed, or the
		 * request came to the wrong worker): nothing is changed here, not even
		 * the replay cache (a mid-registrar's rule lookup only read this
		 * shard's store), so the owner sees the request as new.
		 */
		if (s->owns && !s->owns(s->owns_ctx, c->res->aor_hash)) {
			c->res->drop = SR_DROP_NOT_OWNER;
			return;
		}
	}
	bool second_pass = sr_reg_mid_second_pass(c); /* the mid-registrar's apply: these checks passed already */
	if (!second_pass && !run_policy(c, e == SR_E_OK ? p->aor : SR_STR_NULL))
		return;
	struct sr_auth_identity id = { SR_STR_NULL, SR_STR_NULL };
	int status = second_pass ? 0 : run_auth(c, &id);
	if (status)
		return sr_reply_status(c, status, NULL);
	if (e != SR_E_OK)
		return sr_reply_error(c, e, NULL, SR_STR_NULL);
	if (!second_pass && s->auth.authorize && (status = s->auth.authorize(s->auth.ctx, &id, p->aor)) != 0)
		return sr_reply_status(c, status, NULL);

	if (joined_path_len(c) > s->cfg.max_path_len)
		return sr_reply_error(c, SR_E_PATH_TOO_LONG, NULL, SR_STR_NULL);
	if (!begun)
		sr_loc_txn_begin_hashed(s->loc, &p->txn, p->aor, c->res->aor_hash);
	p->aor_rec = p->txn.rec;
	p->branch_hash = m->top_via.branch.len ? (uint32_t)sr_hash64(m->top_via.branch.p, m->top_via.branch.len) : 0;

	if (m->contact_star) {
		e = plan_star(c, p);
	} else if (m->n_contacts == 0) {
		return finish_with_bindings(c, p); /* a fetch changes nothing */
	} else {
		unsigned n_reg_id = 0;
		for (unsigned i = 0; i < m->n_contacts && e == SR_E_OK; i++)
			e = plan_contact(c, p, i, &n_reg_id);
	}
	if (e == SR_E_INTERVAL_TOO_BRIEF)
		return sr_reply_error_uint(c, e, "Min-Expires", s->cfg.min_expires);
	if (e != SR_E_OK)
		return sr_reply_error(c, e, NULL, SR_STR_NULL);
	p->path = joined_path(c); /* before a retransmission's answer too: it echoes Path the same way */
	sr_reg_rule_path(c, p);
	if (second_pass)
		sr_reg_mid_grants(c, p); /* the main registrar's expiries replace the grants */
	else if (p->retransmission)
		return finish_with_bindings(c, p); /* answered again from current state */
	/* asked only for a change: a fetch or a retransmission never pays for the hook */
	if (p->rule) /* the mid rule looked up for this REGISTER already says */
		p->flags = p->rule->memory_only ? SR_BFLAG_MEMORY_ONLY : 0;
	else
		p->flags = s->binding_flags ? s->binding_flags(s->binding_flags_ctx, p->aor) & SR_BFLAG_MEMORY_ONLY : 0;
	e = plan_limit(c, p);
	if (e != SR_E_OK)
		return sr_reply_error(c, e, NULL, SR_STR_NULL);
	if (!second_pass && !sr_reg_mid_leased(c, p) && sr_reg_mid_offer(c, p))
		return; /* the mid-registrar took it: the main registrar decides */

	change_and_answer(c, p);
	if (second_pass)
		sr_reg_mid_applied(c, p);
}
