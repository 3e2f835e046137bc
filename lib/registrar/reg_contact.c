/*
 * reg_contact.c - reading one Contact value of a REGISTER (see reg_contact.h).
 *
 * The URI is kept exactly as the UA sent it (the view's uri_text, not
 * re-serialised), because a UA recognises its own bindings in the 200 by
 * comparing URIs. Contact parameters other than expires and q are echoed as
 * received, so +sip.instance, reg-id and feature tags survive.
 */
#include "reg_contact.h"

#include <string.h>

int sr_contact_parse_q(struct sr_str s)
{
	/* qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ) */
	if (s.len == 0 || (s.p[0] != '0' && s.p[0] != '1'))
		return -1;
	int q = (s.p[0] - '0') * 1000;
	if (s.len == 1)
		return q;
	if (s.p[1] != '.' || s.len > 5)
		return -1;
	int scale = 100;
	for (size_t i = 2; i < s.len; i++, scale /= 10) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return -1;
		q += (s.p[i] - '0') * scale;
	}
	return q > 1000 ? -1 : q;
}

static struct sr_str unquote(struct sr_str s)
{
	if (s.len >= 2 && s.p[0] == '"' && s.p[s.len - 1] == '"')
		return sr_str_make(s.p + 1, s.len - 2);
	return s;
}

/* Builds ";name[=value]..." of every contact parameter except expires and q. */
static struct sr_str echo_params(const struct sr_sip_contact *ct, struct sr_arena *arena)
{
	size_t need = 0;
	for (unsigned i = 0; i < ct->n_params; i++)
		need += ct->params[i].name.len + (ct->params[i].value.p ? ct->params[i].value.len + 1 : 0) + 1;
	if (need == 0)
		return SR_STR_NULL;
	char *out = sr_arena_alloc(arena, need);
	if (!out)
		return SR_STR_NULL;
	size_t n = 0;
	for (unsigned i = 0; i < ct->n_params; i++) {
		const struct sr_sip_param *p = &ct->params[i];
		if (p->name.len == 0 || sr_str_caseeq_cstr(p->name, "expires") || sr_str_caseeq_cstr(p->name, "q"))
			continue;
		out[n++] = ';';
		memcpy(out + n, p->name.p, p->name.len);
		n += p->name.len;
		if (p->value.p) {
			out[n++] = '=';
			memcpy(out + n, p->value.p, p->value.len);
			n += p->value.len;
		}
	}
	return sr_str_make(out, n);
}

enum sr_reg_err sr_contact_read(const struct sr_sip_contact *ct, const struct sr_push_rules *push,
				struct sr_arena *arena, struct sr_contact_info *out)
{
	memset(out, 0, sizeof(*out));
	out->ct = ct;
	out->expires = -1;
	out->q = -1;
	out->uri = ct->uri_text;
	if (out->uri.len == 0 || ct->uri.scheme_text.len == 0)
		return SR_E_BAD_CONTACT_URI;

	struct sr_str v;
	uint64_t num;
	if (sr_sip_contact_param(ct, "expires", &v)) {
		/* Values beyond 2**32-1 are taken as 2**32-1 (RFC 3261 20.19); the ceiling clamps later. */
		if (!sr_str_to_uint(v, UINT32_MAX, &num))
			return SR_E_BAD_EXPIRES_PARAM;
		out->expires = (int64_t)num;
	}
	if (sr_sip_contact_param(ct, "q", &v)) {
		out->q = sr_contact_parse_q(v);
		if (out->q < 0)
			return SR_E_BAD_Q;
	}
	if (sr_sip_contact_param(ct, "+sip.instance", &v))
		out->instance = unquote(v);
	if (sr_sip_contact_param(ct, "reg-id", &v)) {
		/* saturating one above the range tells an out-of-range reg-id from 2**32-1 */
		if (!sr_str_to_uint(v, UINT32_MAX + 1ull, &num) || num == 0 || num > UINT32_MAX)
			return SR_E_BAD_REG_ID;
		out->reg_id = (uint32_t)num;
		out->has_reg_id = true;
	}
	out->params = echo_params(ct, arena);
	return sr_contact_push(push, ct, arena, out);
}
