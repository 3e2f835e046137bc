/*
 * reg_reply.c - every response the registrar sends.
 *
 * The To-tag is derived from the request (a keyed hash of Call-ID, From-tag
 * and CSeq) instead of being random, so a retransmitted request gets a
 * byte-identical answer without a transaction cache.
 *
 * GRUUs (RFC 5627): the public GRUU is the AoR with gr=<instance URN>; the
 * temporary GRUU is an opaque user part keyed by the shard secret over AoR,
 * instance and Call-ID, so it stays valid for the life of the registration
 * and reveals neither the AoR nor the instance.
 */
#include "reg_shard.h"

#include <stdio.h>
#include <string.h>

static struct sr_str to_tag(struct sr_req_ctx *c, char buf[17])
{
	const struct sr_sip_msg *m = c->m;
	uint64_t h = c->s->cfg.secret ^ 0x5352544147ull; /* "SRTAG" */
	h ^= sr_aor_hash(m->call_id.p, m->call_id.len);
	h = h * 0x9e3779b97f4a7c15ull ^ sr_aor_hash(m->from_tag.p, m->from_tag.len);
	h = h * 0x9e3779b97f4a7c15ull ^ m->cseq;
	static const char hex[] = "0123456789abcdef";
	for (int i = 0; i < 16; i++)
		buf[i] = hex[(h >> (60 - 4 * i)) & 15];
	buf[16] = '\0';
	return sr_str_make(buf, 16);
}

static void begin(struct sr_req_ctx *c, struct sr_resp *w, int status, const char *reason)
{
	char tag[17];
	if (!reason)
		reason = sr_resp_reason(status);
	sr_resp_begin(w, c->resp, c->cap, status, reason);
	sr_resp_dialog_headers(w, c->m, c->src, to_tag(c, tag));
	c->res->status = status;
	c->res->reason = reason;
}

static void finish(struct sr_req_ctx *c, struct sr_resp *w)
{
	if (c->extra_len)
		sr_resp_raw(w, sr_str_make(c->extra_hdrs, c->extra_len));
	sr_resp_raw(w, SR_STR_LIT("Server: sipreg\r\n"));
	c->res->len = sr_resp_finish(w);
	if (c->res->len == 0) {
		c->res->status = 0;
		c->res->drop = SR_DROP_NO_BUFFER;
	}
}

void sr_reply_status(struct sr_req_ctx *c, int status, const char *reason)
{
	struct sr_resp w;
	begin(c, &w, status, reason);
	if (status == 503 && c->s->cfg.retry_after)
		sr_resp_header_uint(&w, "Retry-After", c->s->cfg.retry_after);
	finish(c, &w);
}

void sr_reply_error(struct sr_req_ctx *c, enum sr_reg_err e, const char *hdr_name,
		    struct sr_str hdr_value)
{
	const struct sr_reg_err_info *info = sr_reg_err_info(e);
	int status = info->status;
	if (e == SR_E_DOMAIN_NOT_SERVED || e == SR_E_AOR_NOT_SERVED)
		status = c->s->cfg.not_served_code; /* operators choose 404 or e.g. 403 */
	struct sr_resp w;
	begin(c, &w, status, info->reason);
	if (hdr_name)
		sr_resp_header(&w, hdr_name, hdr_value);
	if (status == 503 && c->s->cfg.retry_after)
		sr_resp_header_uint(&w, "Retry-After", c->s->cfg.retry_after);
	finish(c, &w);
}

void sr_reply_error_uint(struct sr_req_ctx *c, enum sr_reg_err e, const char *hdr_name,
			 uint64_t value)
{
	char buf[24];
	int n = snprintf(buf, sizeof(buf), "%llu", (unsigned long long)value);
	sr_reply_error(c, e, hdr_name, sr_str_make(buf, (size_t)n));
}

void sr_reply_supported_line(const struct sr_reg_config *cfg, char *out, size_t cap, size_t *len)
{
	const char *tags[3] = { cfg->path_mode != SR_PATH_OFF ? "path" : NULL,
				cfg->outbound ? "outbound" : NULL, cfg->gruu ? "gruu" : NULL };
	size_t n = 0;
	for (int i = 0; i < 3; i++) {
		if (tags[i])
			n += (size_t)snprintf(out + n, cap - n, "%s%s", n ? ", " : "Supported: ", tags[i]);
	}
	if (n)
		n += (size_t)snprintf(out + n, cap - n, "\r\n");
	*len = n < cap ? n : 0;
}

/* The Supported line, made once when the shard was created (the configuration does not change). */
static void put_supported(struct sr_req_ctx *c, struct sr_resp *w)
{
	sr_resp_raw(w, sr_str_make(c->s->supported_line, c->s->supported_len));
}

/* The URN of an instance: "<urn:uuid:...>" -> "urn:uuid:...". */
static struct sr_str instance_urn(struct sr_str inst)
{
	if (inst.len >= 2 && inst.p[0] == '<' && inst.p[inst.len - 1] == '>')
		return sr_str_make(inst.p + 1, inst.len - 2);
	return inst;
}

static void gruus(struct sr_req_ctx *c, struct sr_str aor, struct sr_str domain,
		  const struct sr_binding *b, struct sr_resp_contact *rc)
{
	struct sr_str inst = sr_binding_field(b, SR_BF_INSTANCE);
	struct sr_str urn = instance_urn(inst);
	struct sr_arena *a = &c->s->arena;
	size_t cap = aor.len + urn.len + 8;
	char *pub = sr_arena_alloc(a, cap);
	char *tmp = sr_arena_alloc(a, domain.len + 40);
	if (!pub || !tmp)
		return;
	int n = snprintf(pub, cap, "%.*s;gr=%.*s", (int)aor.len, aor.p, (int)urn.len, urn.p);
	rc->pub_gruu = sr_str_make(pub, (size_t)n);
	struct sr_str cid = sr_binding_field(b, SR_BF_CALL_ID);
	uint64_t h = c->s->cfg.secret ^ sr_aor_hash(aor.p, aor.len);
	h = h * 0x9e3779b97f4a7c15ull ^ sr_aor_hash(inst.p, inst.len);
	h = h * 0x9e3779b97f4a7c15ull ^ sr_aor_hash(cid.p, cid.len);
	/* Same scheme as the AoR: a SIPS AoR gets SIPS GRUUs (RFC 5627). */
	const char *scheme = aor.len > 5 && memcmp(aor.p, "sips:", 5) == 0 ? "sips" : "sip";
	n = snprintf(tmp, domain.len + 40, "%s:tgruu.%016llx@%.*s;gr", scheme, (unsigned long long)h,
		     (int)domain.len, domain.p);
	rc->temp_gruu = sr_str_make(tmp, (size_t)n);
}

void sr_reply_bindings(struct sr_req_ctx *c, const struct sr_aor *aor, struct sr_str canonical_aor,
		       const struct sr_plan *p)
{
	const struct sr_reg_config *cfg = &c->s->cfg;
	const struct sr_sip_msg *m = c->m;
	struct sr_resp w;
	begin(c, &w, 200, "OK");
	bool want_gruu = cfg->gruu && (m->supported & SR_OPT_GRUU);
	for (const struct sr_binding *b = aor ? aor->bindings : NULL; b; b = b->next) {
		uint32_t exp = sr_binding_expires(b);
		if (exp <= c->now_s)
			continue; /* due for expiry, not yet collected by the wheel */
		struct sr_resp_contact rc = {
			.uri = sr_binding_field(b, SR_BF_CONTACT),
			.params = sr_binding_field(b, SR_BF_PARAMS),
			.expires = exp - c->now_s,
			.q = b->q == SR_Q_NONE ? -1 : b->q,
		};
		if (want_gruu && (b->flags & SR_BFLAG_GRUU))
			gruus(c, canonical_aor, p->domain, b, &rc);
		sr_resp_contact(&w, &rc);
	}
	/* RFC 3327: the Path of this request is returned when the UA supports it (always in strict mode). */
	if (p->path.len && (cfg->path_mode == SR_PATH_STRICT || (m->supported & SR_OPT_PATH)))
		sr_resp_header(&w, "Path", p->path);
	if (p->outbound_used && (m->supported & SR_OPT_OUTBOUND))
		sr_resp_header_cstr(&w, "Require", "outbound");
	put_supported(c, &w);
	sr_resp_date(&w, (int64_t)(c->now_ms / 1000));
	finish(c, &w);
}

void sr_reply_options(struct sr_req_ctx *c, int status)
{
	struct sr_resp w;
	begin(c, &w, status, NULL);
	sr_resp_header_cstr(&w, "Allow", "REGISTER, OPTIONS");
	if (status == 200) {
		sr_resp_header_cstr(&w, "Accept", "application/sdp");
		put_supported(c, &w);
	}
	finish(c, &w);
}
