/*
 * reg_reply.c - every response the registrar sends.
 *
 * The To-tag is derived from the request (SipHash under its own key of
 * Call-ID, From-tag and CSeq) instead of being random, so a retransmitted
 * request gets a byte-identical answer without a transaction cache. Every
 * response goes through begin() and finish() below, the refusal of a
 * flooding source (sr_reg_refuse) included: one skeleton, one To-tag recipe,
 * one Server header.
 *
 * GRUUs (RFC 5627): the public GRUU is the AoR with gr=<instance URN>; the
 * temporary GRUU is an opaque user part, SipHash under its own key of AoR,
 * instance and Call-ID, so it stays valid for the life of the registration
 * and reveals neither the AoR, the instance nor registrar.secret (siphash.h).
 */
#include "reg_shard.h"

#include <stdio.h>
#include <string.h>

/* The 8 lower-case hex digits of x (32 bits) as 8 text bytes, the most significant first. */
static uint64_t hex32_word(uint64_t x)
{
	/* each nibble into its own byte, the most significant in the top byte (one shift-or per halving) */
	x = (x | x << 16) & 0x0000ffff0000ffffull;
	x = (x | x << 8) & 0x00ff00ff00ff00ffull;
	x = (x | x << 4) & 0x0f0f0f0f0f0f0f0full;
	/* '0' + d, and 'a' - '0' - 10 = 39 more where d > 9 (d + 6 carries into bit 4) */
	uint64_t letters = ((x + 0x0606060606060606ull) >> 4) & 0x0101010101010101ull;
	x += 0x3030303030303030ull + letters * 39;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	x = __builtin_bswap64(x); /* the top byte is the first digit */
#endif
	return x;
}

/* 16 lower-case hex digits of v into buf (NUL-terminated): a word at a time, no table. */
static void hex64(uint64_t v, char buf[17])
{
	uint64_t hi = hex32_word(v >> 32), lo = hex32_word(v & 0xffffffffu);
	memcpy(buf, &hi, 8);
	memcpy(buf + 8, &lo, 8);
	buf[16] = '\0';
}

/*
 * SipHash of (Call-ID, From tag, CSeq), each field with its length in front
 * and the CSeq number as 4 little-endian bytes (sr_siphash_fields: copied
 * into one stack buffer and hashed in one pass when they fit in 256 bytes,
 * the usual case; longer ones through the incremental interface, with the
 * same result), any length.
 */
struct sr_str sr_reply_to_tag(struct sr_req_ctx *c, char buf[17])
{
	const struct sr_sip_msg *m = c->m;
	uint8_t cseq[4];
	sr_siphash_le32(cseq, m->cseq);
	/* a 400 for a missing Call-ID or From tag has none: an empty field */
	const struct sr_siphash_span fields[2] = { { m->call_id.p, m->call_id.len }, { m->from_tag.p, m->from_tag.len } };
	hex64(sr_siphash_fields(&c->s->key_tag, fields, 2, cseq, sizeof(cseq)), buf);
	return sr_str_make(buf, 16);
}

static void begin(struct sr_req_ctx *c, struct sr_resp *w, int status, const char *reason)
{
	char tag[17];
	if (!reason)
		reason = sr_resp_reason(status);
	sr_resp_begin(w, c->resp, c->cap, status, reason);
	sr_resp_dialog_headers(w, c->m, c->src, sr_reply_to_tag(c, tag));
	c->res->status = status;
	c->res->reason = reason;
	c->res->drop = SR_DROP_NONE; /* a 200 that did not fit may have been tried before */
}

/* Returns false when the response did not fit (then nothing is to be sent). */
static bool finish(struct sr_req_ctx *c, struct sr_resp *w)
{
	if (c->extra_len)
		sr_resp_raw(w, sr_str_make(c->extra_hdrs, c->extra_len));
	sr_resp_raw(w, SR_STR_LIT("Server: sipreg\r\n"));
	c->res->len = sr_resp_finish(w);
	if (c->res->len == 0) {
		c->res->status = 0;
		c->res->drop = SR_DROP_NO_BUFFER;
	}
	return c->res->len != 0;
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
	if ((status == 503 || e == SR_E_NOT_STORED) && c->s->cfg.retry_after)
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
		  const struct sr_loc_binding *b, struct sr_resp_contact *rc)
{
	struct sr_str inst = b->f[SR_BF_INSTANCE];
	struct sr_str urn = instance_urn(inst);
	struct sr_arena *a = &c->s->arena;
	size_t cap = aor.len + urn.len + 8, tcap = domain.len + SR_TGRUU_MAX_USER + 16;
	char *pub = sr_arena_alloc(a, cap);
	char *tmp = sr_arena_alloc(a, tcap);
	if (!pub || !tmp)
		return;
	int n = snprintf(pub, cap, "%.*s;gr=%.*s", (int)aor.len, aor.p, (int)urn.len, urn.p);
	rc->pub_gruu = sr_str_make(pub, (size_t)n);
	/* Same scheme as the AoR: a SIPS AoR gets SIPS GRUUs (RFC 5627). */
	const char *scheme = aor.len > 5 && memcmp(aor.p, "sips:", 5) == 0 ? "sips" : "sip";
	size_t sl = strlen(scheme);
	memcpy(tmp, scheme, sl);
	tmp[sl] = ':';
	size_t ul = sr_tgruu_user(&c->s->tgruu, aor, inst, b->f[SR_BF_CALL_ID], tmp + sl + 1, tcap - sl - 1);
	if (ul == 0)
		return; /* an AoR too long to carry: the public GRUU alone */
	n = snprintf(tmp + sl + 1 + ul, tcap - sl - 1 - ul, "@%.*s;gr", (int)domain.len, domain.p);
	rc->temp_gruu = sr_str_make(tmp, sl + 1 + ul + (size_t)n);
}

/*
 * The stable id of the binding plan entry pe names once the change set is
 * committed: an update keeps its binding's id, an addition gets the one the
 * prepared change set reserved for it (the final slot of its change).
 * 0 when unknown (nothing prepared: a fetch or a retransmission of an add).
 */
static uint64_t entry_binding_id(const struct sr_plan *p, const struct sr_plan_entry *pe)
{
	if (pe->op == SR_OP_UPDATE || (pe->op == SR_OP_NONE && pe->old))
		return pe->old->id;
	if (pe->op != SR_OP_ADD || !p->txn.prepared)
		return 0;
	for (unsigned k = 0; k < p->txn.n_final; k++)
		if (p->txn.final[k].change == (int16_t)pe->change)
			return p->txn.final[k].id;
	return 0;
}

/*
 * RFC 8599: one Feature-Caps fc-value per push contact or capability query
 * this REGISTER binds (+sip.pns, +sip.pnsreg, and +sip.pnspurr with
 * push.purr; lib/push writes them). A removal gets none. Left out when it
 * does not fit its buffer: the binding works without it, the UA only
 * learns less. The PURR's owner is the low 16 bits of the AoR's hash: the
 * data plane's bucket of the AoR is that modulo its bucket count, so a
 * mid-dialog request carrying the PURR is dispatched to this shard.
 */
static void put_feature_caps(struct sr_req_ctx *c, struct sr_resp *w, const struct sr_plan *p)
{
	const struct sr_push_rules *r = &c->s->cfg.push;
	if (!r->enable)
		return;
	char buf[1024], purr[SR_PUSH_PURR_LEN];
	size_t len = 0;
	for (unsigned i = 0; i < p->n; i++) {
		const struct sr_plan_entry *pe = &p->e[i];
		const struct sr_contact_info *ci = &pe->ci;
		if (pe->granted == 0 || (ci->pn_class != SR_PUSH_CONTACT && ci->pn_class != SR_PUSH_QUERY))
			continue;
		struct sr_str ps = SR_STR_NULL;
		uint64_t id = r->purr && ci->pn_class == SR_PUSH_CONTACT ? entry_binding_id(p, pe) : 0;
		if (id && c->res->has_aor) {
			sr_push_purr_write(c->s->cfg.purr_secret, (uint16_t)c->res->aor_hash, id, purr);
			ps = sr_str_make(purr, sizeof(purr));
		}
		/* comma-separated by lib/push; one that does not fit leaves len as it was */
		sr_push_feature_caps(r, ci->pn_class, ci->pn_params, ci->pnsreg, ps, buf, sizeof(buf), &len);
	}
	if (len)
		sr_resp_header(w, "Feature-Caps", sr_str_make(buf, len));
}

bool sr_reply_bindings(struct sr_req_ctx *c, struct sr_loc_cursor *cur, const struct sr_plan *p)
{
	const struct sr_reg_config *cfg = &c->s->cfg;
	const struct sr_sip_msg *m = c->m;
	struct sr_resp w;
	begin(c, &w, 200, "OK");
	bool want_gruu = cfg->gruu && (m->supported & SR_OPT_GRUU);
	struct sr_loc_binding b;
	while (sr_loc_cursor_next(cur, &b)) {
		uint32_t exp = b.st.expires;
		if (exp <= c->now_s)
			continue; /* due for expiry, not yet collected by the wheel */
		if (!sr_reg_rule_listed(p, &b))
			continue; /* the AoR's mid rule says only-request-contacts */
		struct sr_resp_contact rc = {
			.uri = b.f[SR_BF_CONTACT],
			.params = b.f[SR_BF_PARAMS],
			.expires = exp - c->now_s,
			.q = b.st.q == SR_Q_NONE ? -1 : b.st.q,
		};
		if (b.st.flags & SR_BFLAG_NAT) { /* OpenSIPS received_param: where the UA is really reached */
			rc.received_ip = b.st.src_ip;
			rc.received_port = b.st.src_port;
		}
		if (want_gruu && (b.st.flags & SR_BFLAG_GRUU))
			gruus(c, p->aor, p->domain, &b, &rc);
		sr_resp_contact(&w, &rc);
	}
	/* RFC 3327: the Path of this request is returned when the UA supports it (always in strict mode). */
	if (p->path.len && (cfg->path_mode == SR_PATH_STRICT || (m->supported & SR_OPT_PATH)))
		sr_resp_header(&w, "Path", p->path);
	if (p->outbound_used && (m->supported & SR_OPT_OUTBOUND))
		sr_resp_header_cstr(&w, "Require", "outbound");
	put_supported(c, &w);
	put_feature_caps(c, &w, p);
	sr_resp_date(&w, (int64_t)(c->now_ms / 1000));
	return finish(c, &w);
}

void sr_reply_refusal(struct sr_req_ctx *c, int status, uint32_t retry_after_s)
{
	struct sr_resp w;
	begin(c, &w, status, NULL);
	if (retry_after_s)
		sr_resp_header_uint(&w, "Retry-After", retry_after_s);
	finish(c, &w);
}

/* Writes the error response e at c->resp + off (behind what is already there); returns its length, 0: no room. */
static size_t reply_behind(struct sr_req_ctx *c, size_t off, enum sr_reg_err e)
{
	struct sr_reg_result r;
	struct sr_req_ctx rc = *c;
	rc.resp = c->resp + off;
	rc.cap = c->cap - off;
	rc.res = &r;
	rc.extra_len = 0; /* a challenge's headers belong to the 200's exchange, not to a retraction */
	memset(&r, 0, sizeof(r));
	sr_reply_error(&rc, e, NULL, SR_STR_NULL);
	return r.len;
}

bool sr_reply_retraction(struct sr_req_ctx *c)
{
	size_t len = c->res->len;
	c->res->retraction_len = reply_behind(c, len, SR_E_NOT_STORED);
	c->res->retraction_replica_len = 0;
	if (c->res->retraction_len == 0)
		return false;
	if (!c->s->retraction_replica)
		return true;
	c->res->retraction_replica_len = reply_behind(c, len + c->res->retraction_len, SR_E_NOT_REPLICATED);
	return c->res->retraction_replica_len != 0;
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
