/*
 * sip_fast.c - the fast path's parsers of Via, To and Contact values
 * (see sip_hdr.h and sip_msg.h).
 *
 * Each one reads its value in one pass, points into the message (no copy)
 * and fills exactly the fields the libosip2 path (sip_hdr_osip.c) fills,
 * with the same bytes. Each accepts a deliberately narrow grammar, what
 * phones send:
 *   Via:     SIP/2.0/<transport> SP <host>[:<port>] *( ;<token>[=<token>] )
 *   To:      [display-name] <sip-uri> or sip-uri, then header parameters
 *   Contact: as To, with ;<token>[=<token> / quoted-string] parameters
 * and returns SR_SIP_SLOW for anything else: a quoted-pair, white space
 * inside the parameters, a comment, a quoted Via parameter, an unusual
 * display name, whatever sr_sip_uri_fast declines, and every error (the
 * libosip2 path decides errors and their reasons). Declining is always
 * safe; the differential fuzz target checks that accepting is too.
 */
#include "sip_hdr.h"

#include <string.h>

static size_t token_span(const char *s, size_t n)
{
	return sr_sip_span(s, n, SR_CH_TOKEN);
}

static size_t host_span(const char *s, size_t n)
{
	return sr_sip_span(s, n, SR_CH_HOST);
}

#define LOWER_EQ(s, lit) sr_sip_lower_eq((s).p, (s).len, lit, sizeof(lit) - 1)

/* ---- Via ---- */

int sr_fast_top_via(struct sr_sip_via *v, struct sr_str e)
{
	const char *s = e.p;
	size_t n = e.len, i = 8;
	if (n < 10 || !sr_sip_lower_eq(s, 8, "sip/2.0/", 8))
		return SR_SIP_SLOW;
	memset(v, 0, sizeof(*v));
	v->raw = e;
	size_t tl = token_span(s + i, n - i);
	if (tl == 0 || i + tl >= n || s[i + tl] != ' ')
		return SR_SIP_SLOW;
	v->transport = sr_str_make(s + i, tl);
	i += tl + 1;
	size_t hl = host_span(s + i, n - i);
	if (hl == 0)
		return SR_SIP_SLOW;
	v->host = sr_str_make(s + i, hl);
	i += hl;
	if (i < n && s[i] == ':') {
		size_t pl = 0;
		while (i + 1 + pl < n && s[i + 1 + pl] >= '0' && s[i + 1 + pl] <= '9')
			pl++;
		v->port = sr_str_make(s + i + 1, pl);
		if (!sr_sip_port_ok(v->port))
			return SR_SIP_SLOW;
		i += 1 + pl;
	}
	bool branch = false;
	while (i < n) {
		if (s[i] != ';')
			return SR_SIP_SLOW;
		size_t at = ++i;
		size_t nl = token_span(s + i, n - i);
		if (nl == 0)
			return SR_SIP_SLOW;
		struct sr_str name = sr_str_make(s + i, nl), value = SR_STR_NULL;
		i += nl;
		if (i < n && s[i] == '=') {
			size_t vl = token_span(s + i + 1, n - i - 1);
			if (vl == 0)
				return SR_SIP_SLOW;
			value = sr_str_make(s + i + 1, vl);
			i += 1 + vl;
		}
		if (!branch && LOWER_EQ(name, "branch")) {
			branch = true;
			v->branch = value;
		} else if (!v->has_rport && LOWER_EQ(name, "rport")) {
			v->has_rport = true;
			v->rport_value = value;
			v->rport_at = (uint32_t)at;
			v->rport_end = (uint32_t)i;
		} else if (!v->has_received && LOWER_EQ(name, "received")) {
			v->has_received = true;
			v->received = value;
			v->received_at = (uint32_t)at;
			v->received_end = (uint32_t)i;
		}
	}
	return SR_SIP_OK;
}

static int via_elem(struct sr_str elem, void *vctx)
{
	struct sr_sip_msg *m = vctx;
	if (elem.len == 0 || m->n_via == SR_SIP_MAX_VIA)
		return 1;
	if (m->n_via == 0 && sr_fast_top_via(&m->top_via, elem) != SR_SIP_OK)
		return 1;
	m->via[m->n_via++] = elem;
	return 0;
}

int sr_fast_via(struct sr_sip_msg *m, struct sr_str value, struct sr_arena *arena)
{
	(void)arena;
	/*
	 * One via-parm per line is the rule: no list to split. The top one's
	 * parser declines a '"'; a lower one is kept as it is, so a quote there
	 * (which the list split checks for balance) sends it to libosip2's path.
	 */
	if (!memchr(value.p, ',', value.len) && (m->n_via == 0 || !memchr(value.p, '"', value.len)))
		return via_elem(value, m) == 0 ? SR_SIP_OK : SR_SIP_SLOW;
	if (memchr(value.p, '"', value.len))
		return SR_SIP_SLOW;
	return sr_hdr_split(value, via_elem, m) == 0 ? SR_SIP_OK : SR_SIP_SLOW;
}

/* ---- To and Contact ---- */

/*
 * Splits a name-addr / addr-spec in one pass, as sr_sip_name_addr does for
 * every value this accepts: a display name of token words (one space
 * between words) or one quoted string without quoted-pairs, then <URI>; or
 * an addr-spec up to the first ';'. -1 to decline (a quoted-pair, an odd
 * display name, no '>').
 */
static int fast_name_addr(struct sr_str v, struct sr_name_addr *na)
{
	const char *s = v.p, *end = v.p + v.len, *q = s;
	if (q < end && *q == '"') {
		const char *close = memchr(q + 1, '"', (size_t)(end - q - 1));
		if (!close || memchr(q + 1, '\\', (size_t)(close - q - 1)))
			return -1;
		q = close + 1;
	} else {
		for (;;) { /* token words, each followed by one space */
			q += sr_sip_span(q, (size_t)(end - q), SR_CH_TOKEN);
			if (q + 1 < end && *q == ' ' && sr_sip_char_is(q[1], SR_CH_TOKEN))
				q++;
			else
				break;
		}
	}
	while (q < end && *q == ' ')
		q++;
	if (q < end && *q == '<') {
		const char *gt = memchr(q + 1, '>', (size_t)(end - q - 1));
		/*
		 * libosip2's name-addr parser (the parser of record for Contact)
		 * refuses a bracketed URI under 6 bytes ("<sip:a>"): decline, so it
		 * decides (the differential fuzz target found "<sip:0>").
		 */
		if (!gt || gt - q - 1 < 6)
			return -1;
		na->uri = sr_str_make(q + 1, (size_t)(gt - q - 1));
		na->params = sr_str_make(gt + 1, (size_t)(end - gt - 1));
		return 0;
	}
	/* a '<' after an odd display name, or a quote (the addr-spec split tracks quotes) */
	if (memchr(s, '<', v.len) || memchr(s, '"', v.len))
		return -1;
	const char *semi = memchr(s, ';', v.len);
	na->uri = sr_str_make(s, semi ? (size_t)(semi - s) : v.len);
	na->params = semi ? sr_str_make(semi, (size_t)(end - semi)) : SR_STR_NULL;
	return 0;
}

/* The From value: its tag (the same as the common parser reads, without its second pass). */
int sr_fast_from(struct sr_sip_msg *m, struct sr_str value)
{
	struct sr_name_addr na;
	/* the URI is not parsed here, so decline what the common parser refuses in it: LWS, a quote */
	if (m->from_raw.len || fast_name_addr(value, &na) != 0 || !memchr(na.uri.p, ':', na.uri.len) ||
	    memchr(na.uri.p, ' ', na.uri.len) || memchr(na.uri.p, '\t', na.uri.len) || memchr(na.uri.p, '"', na.uri.len))
		return SR_SIP_SLOW;
	m->from_raw = value;
	m->from_tag = sr_hdr_tag_param(na.params);
	return SR_SIP_OK;
}

int sr_fast_to(struct sr_str value, struct sr_arena *arena, struct sr_sip_addr *out)
{
	struct sr_name_addr na;
	if (fast_name_addr(value, &na) != 0 || sr_sip_uri_fast(na.uri, arena, &out->uri) != SR_URI_OK)
		return SR_SIP_SLOW;
	out->raw = value;
	out->uri_text = na.uri;
	out->tag = sr_hdr_tag_param(na.params);
	return SR_SIP_OK;
}

struct contact_ctx {
	struct sr_sip_msg *m;
	struct sr_arena *arena;
};

static int contact_elem(struct sr_str elem, void *vctx)
{
	struct contact_ctx *c = vctx;
	struct sr_sip_msg *m = c->m;
	if (elem.len == 1 && elem.p[0] == '*') {
		if (m->contact_star)
			return 1;
		m->contact_star = true;
		return 0;
	}
	/* libosip2 reads any value starting with '*' as the star, not an address */
	if (elem.len == 0 || elem.p[0] == '*' || m->n_contacts == SR_SIP_MAX_CONTACTS)
		return 1;
	struct sr_sip_contact *ct = &m->contacts[m->n_contacts];
	struct sr_name_addr na;
	if (fast_name_addr(elem, &na) != 0 || sr_sip_uri_fast(na.uri, c->arena, &ct->uri) != SR_URI_OK ||
	    sr_sip_params_fast(na.params, true, c->arena, &ct->params, &ct->n_params) != 0)
		return 1;
	ct->raw = elem;
	ct->uri_text = na.uri;
	m->n_contacts++;
	return 0;
}

int sr_fast_contact(struct sr_sip_msg *m, struct sr_str value, struct sr_arena *arena)
{
	struct contact_ctx c = { m, arena };
	return sr_hdr_split(value, contact_elem, &c) == 0 ? SR_SIP_OK : SR_SIP_SLOW;
}
