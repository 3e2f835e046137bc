/*
 * sip_midreg.c - the mid-registrar's writers (see sip_midreg.h).
 *
 * Header lines are copied or dropped by name (one small table of the names
 * that matter, long and compact forms); everything is appended through the
 * response writer's bounded appender (struct sr_resp), so a writer that
 * runs out of room reports 0 instead of a truncated message. Contact
 * parameters are walked with quoted strings respected (+sip.instance holds
 * '<', ';' may sit inside quotes).
 */
#include "sip_midreg.h"

#include <stdio.h>

#include "sip_chars.h"
#include "sip_response.h"

#define RAW_LIT(w, lit) sr_resp_raw((w), SR_STR_LIT(lit))

/* The headers a writer treats specially; everything else is OTHER and is copied. */
enum mid_hdr {
	H_OTHER,
	H_VIA,
	H_MAX_FORWARDS,
	H_ROUTE,
	H_RECORD_ROUTE,
	H_PATH,
	H_CONTACT,
	H_CALL_ID,
	H_CSEQ,
	H_EXPIRES,
	H_FROM,
	H_TO,
	H_CONTENT, /* Content-Length, Content-Type, Content-Encoding, ... */
};

static const struct {
	const char *name;
	char compact;
	enum mid_hdr id;
} hdr_names[] = {
	{ "Via", 'v', H_VIA },
	{ "Max-Forwards", 0, H_MAX_FORWARDS },
	{ "Route", 0, H_ROUTE },
	{ "Record-Route", 0, H_RECORD_ROUTE },
	{ "Path", 0, H_PATH },
	{ "Contact", 'm', H_CONTACT },
	{ "Call-ID", 'i', H_CALL_ID },
	{ "CSeq", 0, H_CSEQ },
	{ "Expires", 0, H_EXPIRES },
	{ "From", 'f', H_FROM },
	{ "To", 't', H_TO },
	{ "Content-Length", 'l', H_CONTENT },
	{ "Content-Type", 'c', H_CONTENT },
	{ "Content-Encoding", 'e', H_CONTENT },
};

static enum mid_hdr hdr_kind(struct sr_str name)
{
	name = sr_str_trim(name);
	if (name.len == 1) {
		char c = (char)(name.p[0] | 0x20);
		for (size_t i = 0; i < sizeof(hdr_names) / sizeof(hdr_names[0]); i++)
			if (hdr_names[i].compact == c)
				return hdr_names[i].id;
		return H_OTHER;
	}
	for (size_t i = 0; i < sizeof(hdr_names) / sizeof(hdr_names[0]); i++)
		if (sr_str_caseeq_cstr(name, hdr_names[i].name))
			return hdr_names[i].id;
	if (name.len > 8 && strncasecmp(name.p, "Content-", 8) == 0)
		return H_CONTENT;
	return H_OTHER;
}

static struct sr_resp writer(char *out, size_t cap)
{
	return (struct sr_resp){ .buf = out, .cap = out ? cap : 0 };
}

static size_t written(const struct sr_resp *w)
{
	return w->overflow ? 0 : w->len;
}

static void put_uint(struct sr_resp *w, uint64_t v)
{
	char num[24];
	int n = snprintf(num, sizeof(num), "%llu", (unsigned long long)v);
	sr_resp_raw(w, sr_str_make(num, (size_t)n));
}

static void put_hex(struct sr_resp *w, uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	char hex[SR_MID_CTID_HEX];
	for (int i = SR_MID_CTID_HEX - 1; i >= 0; i--, v >>= 4)
		hex[i] = digits[v & 0xf];
	sr_resp_raw(w, sr_str_make(hex, sizeof(hex)));
}

/* ---------------------------------------------------------------- contact URIs */

size_t sr_mid_contact_uri(char *out, size_t cap, const struct sr_mid_uri_form *f, struct sr_str ua_user,
			  uint64_t ctid)
{
	struct sr_resp w = writer(out, cap);
	RAW_LIT(&w, "sip:");
	if (f->ct_username) {
		put_hex(&w, ctid);
		RAW_LIT(&w, "@");
		sr_resp_raw(&w, f->self);
	} else {
		if (ua_user.len) {
			sr_resp_raw(&w, ua_user);
			RAW_LIT(&w, "@");
		}
		sr_resp_raw(&w, f->self);
		RAW_LIT(&w, ";");
		sr_resp_raw(&w, f->ctid_param);
		RAW_LIT(&w, "=");
		put_hex(&w, ctid);
	}
	sr_resp_raw(&w, f->extra_params);
	return written(&w);
}

/* RFC 3261 25.1: unreserved and user-unreserved characters stand as they are in a user part. */
static bool user_char(char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("-_.!~*'()&=+$,;?/", c) != NULL;
}

/* The parts of a canonical AoR "scheme:user@domain" (user empty when the AoR has none). */
static bool aor_split(struct sr_str aor, struct sr_str *user, struct sr_str *domain)
{
	const char *colon = memchr(aor.p, ':', aor.len);
	if (!colon)
		return false;
	struct sr_str rest = sr_str_make(colon + 1, aor.len - (size_t)(colon + 1 - aor.p));
	const char *at = NULL;
	for (size_t i = rest.len; i > 0; i--)
		if (rest.p[i - 1] == '@') {
			at = rest.p + i - 1;
			break;
		}
	*user = at ? sr_str_make(rest.p, (size_t)(at - rest.p)) : SR_STR_NULL;
	*domain = at ? sr_str_make(at + 1, rest.len - (size_t)(at + 1 - rest.p)) : rest;
	return domain->len != 0;
}

size_t sr_mid_aor_contact_uri(char *out, size_t cap, const struct sr_mid_uri_form *f, struct sr_str aor)
{
	struct sr_str user, domain;
	if (!aor_split(aor, &user, &domain))
		return 0;
	struct sr_resp w = writer(out, cap);
	RAW_LIT(&w, "sip:");
	sr_resp_raw(&w, user);
	sr_resp_raw(&w, f->at_escape);
	for (size_t i = 0; i < domain.len; i++) {
		char c = domain.p[i];
		if (user_char(c)) {
			sr_resp_raw(&w, sr_str_make(&domain.p[i], 1));
		} else {
			char esc[3] = { '%', "0123456789ABCDEF"[(unsigned char)c >> 4],
					 "0123456789ABCDEF"[(unsigned char)c & 0xf] };
			sr_resp_raw(&w, sr_str_make(esc, 3));
		}
	}
	RAW_LIT(&w, "@");
	sr_resp_raw(&w, f->self);
	sr_resp_raw(&w, f->extra_params);
	return written(&w);
}

size_t sr_mid_aor_from_user(char *out, size_t cap, struct sr_str user, struct sr_str at_escape, struct sr_str scheme)
{
	if (at_escape.len == 0 || user.len <= at_escape.len)
		return 0;
	size_t k = user.len - at_escape.len + 1;
	while (k > 0 && strncasecmp(user.p + k - 1, at_escape.p, at_escape.len) != 0)
		k--;
	if (k == 0)
		return 0;
	struct sr_str left = sr_str_make(user.p, k - 1);
	struct sr_str right = sr_str_make(user.p + k - 1 + at_escape.len, user.len - (k - 1) - at_escape.len);
	if (right.len == 0)
		return 0;
	struct sr_resp w = writer(out, cap);
	sr_resp_raw(&w, scheme);
	RAW_LIT(&w, ":");
	if (left.len) {
		sr_resp_raw(&w, left);
		RAW_LIT(&w, "@");
	}
	for (size_t i = 0; i < right.len;) {
		char c = sr_sip_unescape_next(right.p, right.len, &i);
		sr_resp_raw(&w, sr_str_make(&c, 1));
	}
	return written(&w);
}

bool sr_mid_ctid_parse(struct sr_str hex, uint64_t *ctid)
{
	if (hex.len == 0 || hex.len > SR_MID_CTID_HEX)
		return false;
	uint64_t v = 0;
	for (size_t i = 0; i < hex.len; i++) {
		int d = sr_sip_hex_digit(hex.p[i]);
		if (d < 0)
			return false;
		v = v << 4 | (uint64_t)d;
	}
	*ctid = v;
	return true;
}

/* ---------------------------------------------------------------- requests */

/* Writes the contact-params of p that go upstream: all but expires and reg-id, each as ";param". */
static void put_upstream_params(struct sr_resp *w, struct sr_str p)
{
	size_t i = 0;
	while (i < p.len && p.p[i] != ';')
		i++;
	while (i < p.len) {
		size_t start = ++i;
		bool quoted = false;
		for (; i < p.len && (quoted || p.p[i] != ';'); i++) {
			if (quoted && p.p[i] == '\\')
				i++;
			else if (p.p[i] == '"')
				quoted = !quoted;
		}
		struct sr_str param = sr_str_trim(sr_str_make(p.p + start, (i < p.len ? i : p.len) - start));
		const char *eq = memchr(param.p, '=', param.len);
		struct sr_str name = sr_str_trim(sr_str_make(param.p, eq ? (size_t)(eq - param.p) : param.len));
		if (param.len == 0 || sr_str_caseeq_cstr(name, "expires") || sr_str_caseeq_cstr(name, "reg-id"))
			continue;
		RAW_LIT(w, ";");
		sr_resp_raw(w, param);
	}
}

/* Start line, our Via (the only one: this is our request), Max-Forwards. */
static void request_head(struct sr_resp *w, struct sr_str ruri, struct sr_str sent_by, struct sr_str branch,
			 uint32_t max_forwards)
{
	RAW_LIT(w, "REGISTER ");
	sr_resp_raw(w, ruri);
	RAW_LIT(w, " SIP/2.0\r\nVia: SIP/2.0/UDP ");
	sr_resp_raw(w, sent_by);
	RAW_LIT(w, ";branch=");
	sr_resp_raw(w, branch);
	RAW_LIT(w, "\r\n");
	sr_resp_header_uint(w, "Max-Forwards", max_forwards);
}

static void call_id_cseq(struct sr_resp *w, struct sr_str call_id, uint32_t cseq)
{
	sr_resp_header(w, "Call-ID", call_id);
	RAW_LIT(w, "CSeq: ");
	put_uint(w, cseq);
	RAW_LIT(w, " REGISTER\r\n");
}

static void contact_line(struct sr_resp *w, struct sr_str uri, struct sr_str params, int64_t expires)
{
	RAW_LIT(w, "Contact: <");
	sr_resp_raw(w, uri);
	RAW_LIT(w, ">");
	put_upstream_params(w, params);
	if (expires >= 0) {
		RAW_LIT(w, ";expires=");
		put_uint(w, (uint64_t)expires);
	}
	RAW_LIT(w, "\r\n");
}

size_t sr_mid_forward(char *out, size_t cap, const struct sr_mid_fwd *f)
{
	struct sr_resp w = writer(out, cap);
	request_head(&w, f->ruri, f->sent_by, f->branch, f->max_forwards);
	for (unsigned i = 0; i < f->n_lines; i++) {
		switch (hdr_kind(f->lines[i].name)) {
		case H_VIA: case H_MAX_FORWARDS: case H_ROUTE: case H_RECORD_ROUTE: case H_PATH:
		case H_CONTACT: case H_CALL_ID: case H_CSEQ:
			continue;
		case H_EXPIRES:
			if (!f->keep_expires)
				continue;
			break;
		default:
			break;
		}
		sr_resp_raw(&w, f->lines[i].line);
	}
	call_id_cseq(&w, f->call_id, f->cseq);
	for (unsigned i = 0; i < f->n_contacts; i++)
		contact_line(&w, f->contacts[i].uri, f->contacts[i].params, f->contacts[i].expires);
	RAW_LIT(&w, "\r\n");
	sr_resp_raw(&w, f->body);
	return written(&w);
}

size_t sr_mid_own_register(char *out, size_t cap, const struct sr_mid_own *o)
{
	struct sr_resp w = writer(out, cap);
	request_head(&w, o->ruri, o->sent_by, o->branch, 70);
	RAW_LIT(&w, "From: <");
	sr_resp_raw(&w, o->aor);
	RAW_LIT(&w, ">;tag=");
	sr_resp_raw(&w, o->from_tag);
	RAW_LIT(&w, "\r\nTo: <");
	sr_resp_raw(&w, o->aor);
	RAW_LIT(&w, ">\r\n");
	call_id_cseq(&w, o->call_id, o->cseq);
	contact_line(&w, o->contact_uri, SR_STR_NULL, o->expires);
	return sr_resp_finish(&w);
}

/* ---------------------------------------------------------------- the answer to the UA */

/* One restored Contact, with ";<received_param>="<received>"" after its stored parameters when set. */
static void reply_contact(struct sr_resp *x, const struct sr_mid_reply_contact *c)
{
	char params[1024];
	struct sr_resp p = writer(params, sizeof(params));
	sr_resp_raw(&p, c->params);
	if (c->received.len && c->received_param.len) {
		RAW_LIT(&p, ";");
		sr_resp_raw(&p, c->received_param);
		RAW_LIT(&p, "=\"");
		sr_resp_raw(&p, c->received);
		RAW_LIT(&p, "\"");
	}
	if (p.overflow) {
		x->overflow = true;
		return;
	}
	struct sr_resp_contact rc = {
		.uri = c->uri,
		.params = sr_str_make(params, p.len),
		.expires = c->expires,
		.q = c->q,
	};
	sr_resp_contact(x, &rc);
}

size_t sr_mid_reply(char *out, size_t cap, char *scratch, size_t scratch_cap, const struct sr_mid_reply *r)
{
	struct sr_resp x = writer(scratch, scratch_cap);
	for (unsigned i = 0; i < r->n_lines; i++)
		if (hdr_kind(r->lines[i].name) == H_OTHER)
			sr_resp_raw(&x, r->lines[i].line);
	sr_resp_raw(&x, r->extra);
	for (unsigned i = 0; i < r->n_contacts; i++)
		reply_contact(&x, &r->contacts[i]);
	for (unsigned i = 0; i < r->n_foreign; i++)
		sr_resp_header(&x, "Contact", r->foreign[i]);
	if (x.overflow)
		return 0;
	/* The writer takes a C string for the phrase; a phrase longer than any real one falls back to the standard. */
	char reason[128];
	const char *phrase = NULL;
	if (r->reason.len && r->reason.len < sizeof(reason)) {
		memcpy(reason, r->reason.p, r->reason.len);
		reason[r->reason.len] = '\0';
		phrase = reason;
	}
	return sr_fwd_local_response(out, cap, r->status, phrase, r->head, r->to_tag, sr_str_make(scratch, x.len));
}
