/*
 * sip_method.c - method names as bits, and method lists (Allow, the
 * Contact's methods feature tag) as masks.
 *
 * Design decisions:
 * - One table of method names for the whole project: lib/routing's method
 *   checks and the Allow filter use these bits (routing.h aliases them).
 * - Unknown methods in a list add nothing and are not an error: an Allow
 *   header only feeds a filter that never applies to an extension method
 *   (a bitmask cannot name them), and refusing a REGISTER or dropping a
 *   proxied response over an odd Allow would hurt more than it protects.
 *   Elements that are not tokens are ignored the same way.
 * - Methods are case-sensitive (RFC 3261 7.1): "invite" is an extension
 *   method. RFC 3840's methods values are written in upper case in practice
 *   and are read with the same rule.
 */
#include "sip_hdr.h"

#include <string.h>

/* By length, then one comparison: sr_sip_method_bit runs for every request. */
static const struct {
	const char *name;
	uint32_t bit;
} by_len[10][4] = {
	[3] = { { "ACK", SR_SIP_M_ACK }, { "BYE", SR_SIP_M_BYE } },
	[4] = { { "INFO", SR_SIP_M_INFO } },
	[5] = { { "PRACK", SR_SIP_M_PRACK }, { "REFER", SR_SIP_M_REFER } },
	[6] = { { "INVITE", SR_SIP_M_INVITE }, { "CANCEL", SR_SIP_M_CANCEL }, { "NOTIFY", SR_SIP_M_NOTIFY },
		{ "UPDATE", SR_SIP_M_UPDATE } },
	[7] = { { "OPTIONS", SR_SIP_M_OPTIONS }, { "PUBLISH", SR_SIP_M_PUBLISH }, { "MESSAGE", SR_SIP_M_MESSAGE } },
	[8] = { { "REGISTER", SR_SIP_M_REGISTER } },
	[9] = { { "SUBSCRIBE", SR_SIP_M_SUBSCRIBE } },
};

uint32_t sr_sip_method_bit(struct sr_str m)
{
	if (m.len >= 10)
		return SR_SIP_M_OTHER;
	for (unsigned i = 0; i < 4 && by_len[m.len][i].name; i++)
		if (memcmp(m.p, by_len[m.len][i].name, m.len) == 0)
			return by_len[m.len][i].bit;
	return SR_SIP_M_OTHER;
}

uint32_t sr_sip_method_list(struct sr_str list)
{
	uint32_t mask = SR_SIP_ALLOW_PRESENT;
	const char *p = list.p, *end = list.p + list.len;
	while (p < end) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *stop = comma ? comma : end;
		struct sr_str one = sr_str_trim(sr_str_make(p, (size_t)(stop - p)));
		if (one.len && sr_sip_span(one.p, one.len, SR_CH_TOKEN) == one.len) {
			uint32_t bit = sr_sip_method_bit(one);
			if (bit != SR_SIP_M_OTHER)
				mask |= bit;
		}
		p = comma ? comma + 1 : end;
	}
	return mask;
}

/* The name of one known method bit (its length in *len); NULL for none. */
static const char *method_name(uint32_t bit, size_t *len)
{
	for (size_t l = 0; l < 10; l++)
		for (unsigned i = 0; i < 4 && by_len[l][i].name; i++)
			if (by_len[l][i].bit == bit) {
				*len = l;
				return by_len[l][i].name;
			}
	return NULL;
}

size_t sr_sip_method_text(uint32_t mask, char *out, size_t cap)
{
	size_t n = 0, len;
	for (uint32_t bit = 1; bit < SR_SIP_ALLOW_PRESENT; bit <<= 1) {
		const char *name = (mask & bit) ? method_name(bit, &len) : NULL;
		if (!name)
			continue;
		if (n + (n ? 2 : 0) + len > cap)
			break;
		if (n) {
			memcpy(out + n, ", ", 2);
			n += 2;
		}
		memcpy(out + n, name, len);
		n += len;
	}
	return n;
}

uint32_t sr_sip_contact_allow(const struct sr_sip_msg *m, const struct sr_sip_contact *c)
{
	struct sr_str v;
	if (!sr_sip_contact_param(c, "methods", &v))
		return m->allow;
	/* methods="INVITE,BYE" (a quoted string); a bare token is taken as a list of one */
	if (v.len >= 2 && v.p[0] == '"' && v.p[v.len - 1] == '"')
		v = sr_str_make(v.p + 1, v.len - 2);
	uint32_t methods = sr_sip_method_list(v);
	/* both say what the UA accepts for this contact: a method must be in both */
	return m->allow ? (m->allow & methods) : methods;
}
