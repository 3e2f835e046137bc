/*
 * reg_shard.h - the inside of a shard, shared by the registrar's own files only.
 *
 * A shard owns its location store (the bindings, lib/location) and its
 * parse arena; exactly one thread touches it. The request context carries
 * what one sr_reg_process call needs across reg_save.c and reg_reply.c.
 */
#ifndef SR_REG_SHARD_H
#define SR_REG_SHARD_H

#include "registrar.h"
#include "reg_errors.h"
#include "reg_carry.h"
#include "reg_plan.h"
#include "reg_tgruu.h"
#include "siphash.h"

struct sr_registrar {
	struct sr_reg_config cfg;
	unsigned id;
	struct sr_loc *loc;
	struct sr_arena arena;
	struct sr_auth_hooks auth;
	struct sr_policy_hooks policy;
	struct sr_reg_stats stats;
	/* keyed-hash keys derived from cfg.secret, one per use (registrar.c) */
	struct sr_siphash_key key_tag, key_jitter;
	struct sr_tgruu_keys tgruu;
	uint64_t jitter_n; /* draws of the expiry jitter so far: its PRF input */
	bool retraction;     /* write each change's retraction (sr_reg_params.retraction) */
	bool retraction_replica; /* and its replica retraction (sr_reg_params.retraction_replica) */
	bool (*owns)(void *ctx, uint64_t aor_hash); /* NULL: every AoR is ours */
	void *owns_ctx;
	uint16_t (*binding_flags)(void *ctx, struct sr_str aor); /* sr_reg_params.binding_flags */
	void *binding_flags_ctx;
	char supported_line[48]; /* "Supported: path, outbound, gruu\r\n" as configured, or empty */
	size_t supported_len;
	struct sr_plan plan; /* the REGISTER being processed (too large for a worker's stack) */
	struct sr_sip_msg msg; /* its message view (several KB: not on a worker's stack either) */
	struct sr_reg_mid_hooks mid_hooks; /* registrar.role = mid (reg_mid.c); take NULL: a final registrar */
	struct sr_reg_mid *mid;            /* its buffers, NULL without the hook */
	const char *mid_applying;          /* its scratch answer while sr_reg_mid_apply's second pass runs, else NULL */
	char rule_aor[SR_REG_MAX_AOR_LEN]; /* its custom AoR (aor=), when it names one */
};

/* One request being answered. */
struct sr_req_ctx {
	struct sr_registrar *s;
	const struct sr_sip_msg *m;
	const char *req;       /* the request's bytes (the view's ranges and offsets point into them) */
	const struct sr_reg_carry *carry; /* what the pre-scan computed for them (reg_carry.h); may be NULL */
	const struct sr_addr *src;
	uint64_t now_ms;
	uint32_t now_s;
	char *resp;
	size_t cap;
	struct sr_reg_result *res;
	char extra_hdrs[1024]; /* header lines an auth hook asks to add to the response */
	size_t extra_len;
};

/* sr_hash64 of the plan's AoR: the pre-scan's when it is the To AoR the pre-scan hashed (reg_carry.h). */
static inline uint64_t sr_reg_aor_hash(const struct sr_req_ctx *c, const struct sr_plan *p)
{
	bool carried = sr_reg_carry_has_aor(c->carry, c->m) && p->aor.p == p->aor_buf;
	return carried ? c->carry->aor_hash : sr_hash64(p->aor.p, p->aor.len);
}

/* reg_save.c: RFC 3261 10.3 for a parsed REGISTER. */
void sr_reg_save(struct sr_req_ctx *c);

/*
 * reg_mid.c: registrar.role = mid. offer: hands the checked plan to the
 * mid-registrar; true when it took the request (or it was answered here),
 * false when it is to be answered as a final registrar. second_pass: this
 * request is sr_reg_mid_apply's (no policy, no authentication, no offer;
 * sr_reg_mid_grants replaces the grants, sr_reg_mid_applied records the
 * bindings left).
 */
int sr_reg_mid_init(struct sr_registrar *s);
void sr_reg_mid_fini(struct sr_registrar *s);
bool sr_reg_mid_offer(struct sr_req_ctx *c, struct sr_plan *p);
/*
 * Before the offer (reg_save.c): true when every contact refreshes a binding
 * whose lease (lib/midreg's, kept with the binding: sr_loc_lease) covers its
 * grant, i.e. lib/midreg would absorb it (its covered refresh); then it is
 * only counted (hooks.absorbed) and answered as a final registrar. The
 * bindings are the ones the plan matched, already in cache: no record
 * lookup, no facts copied. Inline: on every absorbed refresh's path.
 */
static inline bool sr_reg_mid_leased(const struct sr_req_ctx *c, const struct sr_plan *p)
{
	const struct sr_reg_mid_hooks *h = &c->s->mid_hooks;
	if (!h->absorbed || p->remove_all || p->n == 0)
		return false;
	for (unsigned i = 0; i < p->n; i++) {
		const struct sr_plan_entry *pe = &p->e[i];
		if (pe->op != SR_OP_UPDATE || !sr_midreg_lease_covers(sr_loc_lease(pe->old), c->now_s, pe->granted))
			return false; /* a new contact, a removal, a superseded one, or not covered: ask */
	}
	h->absorbed(h->ctx);
	return true;
}
/* Inline: asked several times per REGISTER in mid role; a final registrar's mid_applying is always NULL. */
static inline bool sr_reg_mid_second_pass(const struct sr_req_ctx *c)
{
	return c->s->mid_applying && c->resp == c->s->mid_applying;
}
void sr_reg_mid_grants(const struct sr_req_ctx *c, struct sr_plan *p);
void sr_reg_mid_applied(struct sr_req_ctx *c, const struct sr_plan *p);

/*
 * reg_rule.c: the mid-registrar's per-AoR rule (registrar.role = mid) in
 * the plan. begin: after the canonical AoR, looks the rule up once (or takes
 * the copy io.apply's second pass kept) into p->rule and replaces p->aor by
 * the custom AoR it names; SR_E_AOR_TOO_LONG when that does not fit.
 * to_rec: the To AoR's record, whose kept tag saves the lookup's scan (NULL:
 * none); reg_save.c looks it up, beginning p->txn on the To AoR, when
 * reads_record says the lookup wants it. keep: once the change is prepared,
 * the AoR's record keeps the tag, so its next REGISTER needs no scan.
 * match: the binding a contact names under the rule's matching mode.
 * same: whether two contacts of one request name the same binding.
 * path: path-received (p->path_src_*). limit: max_contacts and its mode.
 * listed: whether the 200 lists binding b (only-request-contacts).
 */
static inline bool sr_reg_rule_reads_record(const struct sr_req_ctx *c)
{
	return c->s->mid_hooks.settings && !sr_reg_mid_second_pass(c);
}
enum sr_reg_err sr_reg_rule_begin(struct sr_req_ctx *c, struct sr_plan *p, const struct sr_aor *to_rec);
void sr_reg_rule_keep(const struct sr_plan *p);
const struct sr_binding *sr_reg_rule_match(const struct sr_req_ctx *c, const struct sr_plan *p,
					   const struct sr_aor *rec, struct sr_plan_entry *pe);
bool sr_reg_rule_same(const struct sr_plan *p, struct sr_plan_entry *a, struct sr_plan_entry *b);
void sr_reg_rule_path(const struct sr_req_ctx *c, struct sr_plan *p);
void sr_reg_rule_limit(const struct sr_req_ctx *c, const struct sr_plan *p, uint32_t *max,
		       enum sr_max_contacts_mode *mode);
bool sr_reg_rule_listed(const struct sr_plan *p, const struct sr_loc_binding *b);
/* reg_mid.c: the rule kept with the request io.apply's second pass is applying (NULL: none, or not that pass). */
const struct sr_midreg_settings *sr_reg_mid_kept_rule(const struct sr_req_ctx *c);

/* reg_reply.c: responses. */
/* The To tag of the registrar's answers to this request (16 hex digits in buf). */
struct sr_str sr_reply_to_tag(struct sr_req_ctx *c, char buf[17]);
void sr_reply_error(struct sr_req_ctx *c, enum sr_reg_err e, const char *detail_hdr_name,
		    struct sr_str detail_hdr_value);
void sr_reply_status(struct sr_req_ctx *c, int status, const char *reason);
void sr_reply_error_uint(struct sr_req_ctx *c, enum sr_reg_err e, const char *hdr_name,
			 uint64_t value);
/*
 * 200 listing every live binding the cursor shows (the AoR as it is, or as
 * a prepared change set will leave it); p gives the AoR, its domain and the
 * request's Path/outbound facts. Returns false when it did not fit the
 * response buffer (nothing usable was written).
 */
bool sr_reply_bindings(struct sr_req_ctx *c, struct sr_loc_cursor *cur, const struct sr_plan *p);
void sr_reply_options(struct sr_req_ctx *c, int status);
/* The answer of sr_reg_refuse: status, and Retry-After when retry_after_s > 0. */
void sr_reply_refusal(struct sr_req_ctx *c, int status, uint32_t retry_after_s);
/*
 * The retraction of the change the response at c->resp[0..res->len) acknowledges,
 * written right behind it (registrar.h, sr_reg_result.retraction_len), and
 * with s->retraction_replica the replica's retraction behind that. False
 * when they do not fit (nothing usable was written).
 */
bool sr_reply_retraction(struct sr_req_ctx *c);
/* The Supported header line the configuration gives (empty when it names no extension). */
void sr_reply_supported_line(const struct sr_reg_config *cfg, char *out, size_t cap, size_t *len);

#endif
