/*
 * sip_uri.c - the two URI parsers behind struct sr_sip_uri (see sip_uri.h).
 *
 * Design decisions:
 * - The fast parser accepts a strict subset of RFC 3261 19.1.1 in one pass
 *   with the 256-entry class table of sip_chars.h, and declines everything outside it. A
 *   decline costs one more parse (libosip2's), a wrong acceptance would be a
 *   wrong binding, so the subset errs on the side of declining: a password,
 *   an escape, an IPv6 reference, URI headers, an empty parameter value or
 *   name, any character libosip2 might treat specially.
 * - Parameter arrays are sized by counting ';' first (the text is short and
 *   in cache), then filled in a second pass: one arena allocation per URI
 *   with parameters, none without.
 * - The libosip2 path copies the text once (libosip2 wants a C string) and
 *   takes libosip2's strings as they are; they live in the same arena.
 */
#include "sip_uri.h"

#include "sip_chars.h"
#include "sip_osip.h"

#include <ctype.h>

bool sr_sip_port_ok(struct sr_str port)
{
	if (port.len < 1 || port.len > 5)
		return false;
	unsigned v = 0;
	for (size_t i = 0; i < port.len; i++) {
		unsigned d = (unsigned)(unsigned char)port.p[i] - '0';
		if (d > 9)
			return false;
		v = v * 10 + d;
	}
	return v <= 65535;
}

int sr_sip_params_fast(struct sr_str p, bool header_params, struct sr_arena *arena,
		       const struct sr_sip_param **out, unsigned *n_out)
{
	const uint8_t mask = header_params ? SR_CH_TOKEN : SR_CH_ALNUM | SR_CH_MARK | SR_CH_PARAM;
	unsigned n = 0;
	for (size_t i = 0; i < p.len; i++)
		n += p.p[i] == ';';
	*out = NULL;
	*n_out = 0;
	if (n == 0)
		return p.len == 0 ? 0 : -1;
	struct sr_sip_param *v = sr_arena_alloc(arena, n * sizeof(*v));
	if (!v)
		return -1;
	size_t i = 0;
	for (unsigned k = 0; k < n; k++) {
		if (i >= p.len || p.p[i] != ';')
			return -1; /* also a ';' inside a quoted value: counted, never reached */
		i++;
		size_t nl = sr_sip_span(p.p + i, p.len - i, mask);
		if (nl == 0)
			return -1;
		v[k].name = sr_str_make(p.p + i, nl);
		v[k].value = SR_STR_NULL;
		i += nl;
		if (i < p.len && p.p[i] == '=') {
			i++;
			size_t vl;
			if (header_params && i < p.len && p.p[i] == '"') {
				/* a quoted string without quoted-pairs */
				const char *q = memchr(p.p + i + 1, '"', p.len - i - 1);
				vl = q && !memchr(p.p + i + 1, '\\', (size_t)(q - p.p - i - 1)) ? (size_t)(q - (p.p + i)) + 1 : 0;
			} else {
				vl = sr_sip_span(p.p + i, p.len - i, mask);
			}
			if (vl == 0)
				return -1; /* "a=": libosip2 drops such URI parameters */
			v[k].value = sr_str_make(p.p + i, vl);
			i += vl;
		}
	}
	if (i != p.len)
		return -1;
	*out = v;
	*n_out = n;
	return 0;
}

int sr_sip_uri_fast(struct sr_str text, struct sr_arena *arena, struct sr_sip_uri *out)
{
	const char *s = text.p;
	size_t n = text.len, i;
	memset(out, 0, sizeof(*out));
	if (n > 4 && (s[0] | 0x20) == 's' && (s[1] | 0x20) == 'i' && (s[2] | 0x20) == 'p' && s[3] == ':') {
		out->scheme = SR_URI_SIP;
		i = 4;
	} else if (n > 5 && (s[0] | 0x20) == 's' && (s[1] | 0x20) == 'i' && (s[2] | 0x20) == 'p' &&
		   (s[3] | 0x20) == 's' && s[4] == ':') {
		out->scheme = SR_URI_SIPS;
		i = 5;
	} else {
		return SR_URI_SLOW;
	}
	out->scheme_text = sr_str_make(s, i - 1);
	const char *at = memchr(s + i, '@', n - i);
	if (at) {
		size_t ul = sr_sip_span(s + i, n - i, SR_CH_ALNUM | SR_CH_MARK | SR_CH_USER);
		if (ul == 0 || s + i + ul != at)
			return SR_URI_SLOW; /* empty user, password, escape or an odd character */
		out->user = sr_str_make(s + i, ul);
		i += ul + 1;
	}
	size_t hl = sr_sip_span(s + i, n - i, SR_CH_HOST);
	if (hl == 0)
		return SR_URI_SLOW;
	out->host = sr_str_make(s + i, hl);
	i += hl;
	if (i < n && s[i] == ':') {
		size_t pl = sr_sip_span(s + i + 1, n - i - 1, SR_CH_DIGIT);
		out->port = sr_str_make(s + i + 1, pl);
		if (!sr_sip_port_ok(out->port))
			return SR_URI_SLOW;
		i += 1 + pl;
	}
	if (i == n)
		return SR_URI_OK;
	if (s[i] != ';')
		return SR_URI_SLOW;
	if (sr_sip_params_fast(sr_str_make(s + i, n - i), false, arena, &out->params, &out->n_params) != 0)
		return SR_URI_SLOW;
	return SR_URI_OK;
}

bool sr_sip_escapes_ok(struct sr_str s)
{
	for (const char *p = s.p; (p = memchr(p, '%', s.len - (size_t)(p - s.p))) != NULL; p++) {
		if ((size_t)(s.p + s.len - p) < 3 || !isxdigit((unsigned char)p[1]) ||
		    !isxdigit((unsigned char)p[2]))
			return false;
		if (p[1] == '0' && p[2] == '0')
			return false;
	}
	return true;
}

int sr_sip_params_from_osip(const osip_list_t *l, struct sr_arena *arena, const struct sr_sip_param **out)
{
	int n = osip_list_size(l);
	*out = NULL;
	if (n <= 0)
		return 0;
	struct sr_sip_param *v = sr_arena_alloc(arena, (size_t)n * sizeof(*v));
	if (!v)
		return -1;
	int k = 0;
	for (const __node_t *node = l->node; node && k < n; node = node->next) {
		const osip_uri_param_t *p = node->element;
		v[k].name = sr_str_cstr(p->gname);
		v[k].value = p->gvalue ? sr_str_cstr(p->gvalue) : SR_STR_NULL;
		k++;
	}
	*out = v;
	return k;
}

static enum sr_uri_scheme scheme_of(const char *s)
{
	if (s && strcasecmp(s, "sip") == 0)
		return SR_URI_SIP;
	if (s && strcasecmp(s, "sips") == 0)
		return SR_URI_SIPS;
	return SR_URI_OTHER;
}

int sr_sip_uri_from_osip(const osip_uri_t *u, struct sr_arena *arena, struct sr_sip_uri *out, const char **why)
{
	memset(out, 0, sizeof(*out));
	*why = "bad URI";
	if (!u || !u->scheme)
		return SR_URI_BAD;
	out->scheme = scheme_of(u->scheme);
	out->scheme_text = sr_str_cstr(u->scheme);
	out->user = sr_str_cstr(u->username);
	out->password = sr_str_cstr(u->password);
	out->host = sr_str_cstr(u->host);
	out->port = sr_str_cstr(u->port);
	out->opaque = sr_str_cstr(u->string);
	int np = sr_sip_params_from_osip(&u->url_params, arena, &out->params);
	int nh = sr_sip_params_from_osip(&u->url_headers, arena, &out->headers);
	if (np < 0 || nh < 0)
		return SR_URI_BAD;
	out->n_params = (unsigned)np;
	out->n_headers = (unsigned)nh;
	if (out->scheme != SR_URI_OTHER) {
		if (out->host.len == 0)
			return SR_URI_BAD;
		if (u->port && !sr_sip_port_ok(out->port)) {
			*why = "bad port";
			return SR_URI_BAD;
		}
	}
	return SR_URI_OK;
}

int sr_sip_uri_osip(struct sr_str text, struct sr_arena *arena, struct sr_sip_uri *out, const char **why)
{
	memset(out, 0, sizeof(*out));
	*why = "bad URI";
	if (text.len == 0 || memchr(text.p, '\0', text.len))
		return SR_URI_BAD;
	if (!sr_sip_escapes_ok(text)) {
		*why = "bad %-escape";
		return SR_URI_BAD;
	}
	char *copy = sr_arena_strndup(arena, text.p, text.len);
	osip_uri_t *u = NULL;
	if (!copy || osip_uri_init(&u) != 0 || osip_uri_parse(u, copy) != 0)
		return SR_URI_BAD;
	return sr_sip_uri_from_osip(u, arena, out, why);
}

int sr_sip_uri_parse(struct sr_str text, struct sr_arena *arena, struct sr_sip_uri *out)
{
	if (sr_sip_uri_fast(text, arena, out) == SR_URI_OK)
		return SR_URI_OK;
	struct sr_arena *prev = sr_arena_bind_osip(arena);
	const char *reason;
	int rc = sr_sip_uri_osip(text, arena, out, &reason);
	sr_arena_bind_osip(prev);
	return rc;
}

const struct sr_sip_param *sr_sip_param_find(const struct sr_sip_param *params, unsigned n, const char *name)
{
	size_t len = strlen(name);
	for (unsigned i = 0; i < n; i++)
		if (sr_sip_case_eq(params[i].name.p, params[i].name.len, name, len))
			return &params[i];
	return NULL;
}
