/*
 * sip_uri_cmp.c - SIP/SIPS URI equality by RFC 3261 section 19.1.4.
 *
 * Design decisions:
 * - Works on the fields libosip2 already split. libosip2 (5.x) unescapes
 *   user, password, parameter names and values and header names and values
 *   while parsing, so "compare after unescaping" is a plain comparison of
 *   those fields; decoding them again would be double decoding
 *   ("%2561" would wrongly equal "a"). The host is never escaped.
 * - A NULL field equals an empty one (libosip2 gives NULL for "sip:@h" and
 *   for a valueless ";lr"); NULL URIs are never equal.
 * - Ports are compared as numbers when both are given ("05060" == "5060"),
 *   an omitted port never equals an explicit one, even 5060.
 * - Parameters: when a name repeats, its first occurrence counts, on both
 *   sides, so the relation stays symmetric. Header components are compared
 *   as multisets (order-insensitive, repeats counted).
 * - Other schemes (tel:, urn:, ...): libosip2 keeps everything after the
 *   colon in uri->string; equal means same scheme (case-insensitive) and
 *   byte-equal rest. This is deliberately stricter than RFC 3966 for tel:.
 * - sr_uri_equal_str() copies each string into a stack buffer (or, when
 *   large, an osip_malloc'd one: the bound arena or malloc) to NUL-terminate
 *   it, and frees the parsed URIs with osip_uri_free(), which is a no-op
 *   under an arena. Byte-identical non-empty strings are equal unparsed.
 */
#include "sip_uri_cmp.h"

#include <osipparser2/osip_port.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Strings up to this size are NUL-terminated on the stack. */
#define URI_STACK_BUF 1024

static const char *nz(const char *s)
{
	return s ? s : "";
}

static bool field_eq(const char *a, const char *b)
{
	return strcmp(nz(a), nz(b)) == 0;
}

static bool field_caseeq(const char *a, const char *b)
{
	return strcasecmp(nz(a), nz(b)) == 0;
}

static bool port_eq(const char *a, const char *b)
{
	if (!a || !b)
		return !a && !b;
	while (*a == '0' && a[1])
		a++;
	while (*b == '0' && b[1])
		b++;
	return strcmp(a, b) == 0;
}

static const osip_uri_param_t *find_param(const osip_list_t *l, const char *name)
{
	for (const __node_t *n = l->node; n; n = n->next) {
		const osip_uri_param_t *p = n->element;
		if (field_caseeq(p->gname, name))
			return p;
	}
	return NULL;
}

/* Parameters that must match whenever either URI has them (RFC 3261 19.1.4). */
static bool param_is_strict(const char *name)
{
	static const char *const strict[] = { "user", "ttl", "method", "maddr", "transport" };
	for (size_t i = 0; i < sizeof(strict) / sizeof(strict[0]); i++)
		if (field_caseeq(name, strict[i]))
			return true;
	return false;
}

/* Every strict parameter of 'from' is in 'to'. */
static bool strict_params_present(const osip_list_t *from, const osip_list_t *to)
{
	for (const __node_t *n = from->node; n; n = n->next) {
		const osip_uri_param_t *p = n->element;
		if (param_is_strict(p->gname) && !find_param(to, p->gname))
			return false;
	}
	return true;
}

static bool params_equal(const osip_list_t *a, const osip_list_t *b)
{
	if (!strict_params_present(a, b) || !strict_params_present(b, a))
		return false;
	/* Names present in both: first occurrences must match, case-insensitively. */
	for (const __node_t *n = a->node; n; n = n->next) {
		const osip_uri_param_t *p = n->element;
		if (find_param(a, p->gname) != p)
			continue;
		const osip_uri_param_t *q = find_param(b, p->gname);
		if (q && !field_caseeq(p->gvalue, q->gvalue))
			return false;
	}
	return true;
}

/* How many headers of l equal h: name case-insensitive, value case-sensitive. */
static int header_count(const osip_list_t *l, const osip_uri_header_t *h)
{
	int count = 0;
	for (const __node_t *n = l->node; n; n = n->next) {
		const osip_uri_header_t *x = n->element;
		count += field_caseeq(x->gname, h->gname) && field_eq(x->gvalue, h->gvalue);
	}
	return count;
}

/* Multiset equality: same size, and each header of a occurs as often in b as in a. */
static bool headers_equal(const osip_list_t *a, const osip_list_t *b)
{
	if (a->nb_elt != b->nb_elt)
		return false;
	for (const __node_t *n = a->node; n; n = n->next)
		if (header_count(a, n->element) != header_count(b, n->element))
			return false;
	return true;
}

static bool is_sip_scheme(const char *scheme)
{
	return field_caseeq(scheme, "sip") || field_caseeq(scheme, "sips");
}

bool sr_uri_equal(const osip_uri_t *a, const osip_uri_t *b)
{
	if (!a || !b || !a->scheme || !field_caseeq(a->scheme, b->scheme))
		return false;
	if (!is_sip_scheme(a->scheme))
		return field_eq(a->string, b->string);
	return field_eq(a->username, b->username) && field_eq(a->password, b->password) &&
	       field_caseeq(a->host, b->host) && port_eq(a->port, b->port) &&
	       params_equal(&a->url_params, &b->url_params) &&
	       headers_equal(&a->url_headers, &b->url_headers);
}

/* NULL if s does not parse (an embedded NUL counts as malformed). */
static osip_uri_t *parse_uri(const char *s, size_t len)
{
	if (!s || len == 0 || memchr(s, '\0', len))
		return NULL;
	char stack[URI_STACK_BUF];
	char *buf = len < sizeof(stack) ? stack : osip_malloc(len + 1);
	if (!buf)
		return NULL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	osip_uri_t *u = NULL;
	if (osip_uri_init(&u) == 0 && osip_uri_parse(u, buf) != 0) {
		osip_uri_free(u);
		u = NULL;
	}
	if (buf != stack)
		osip_free(buf);
	return u;
}

bool sr_uri_equal_str(const char *a, size_t alen, const char *b, size_t blen)
{
	if (a && b && alen && alen == blen && memcmp(a, b, alen) == 0)
		return true;
	osip_uri_t *ua = parse_uri(a, alen);
	if (!ua)
		return false;
	osip_uri_t *ub = parse_uri(b, blen);
	bool eq = ub && sr_uri_equal(ua, ub);
	osip_uri_free(ua);
	if (ub)
		osip_uri_free(ub);
	return eq;
}

/*
 * The identity hash (see sip_uri_cmp.h). Each field is hashed on its own,
 * eight bytes at a time, and the results are mixed in a fixed order; the
 * header multiset is summed so its order does not count, as in
 * headers_equal. Where sr_uri_equal compares case-insensitively the bytes
 * are OR-ed with 0x20 first: that folds A-Z as strcasecmp does (and folds a
 * few other bytes together too, which only makes the hash coarser, never
 * splits equal fields). NULL fields hash like empty ones (nz), ports without
 * their leading zeros (port_eq), a strict parameter by its first occurrence
 * (params_equal) and its absence by a marker of its own. Not keyed: a
 * crafted collision only costs the caller one full comparison.
 */
#define HASH_SEED 0xcbf29ce484222325ull
#define HASH_MUL 0x9e3779b97f4a7c15ull

static uint64_t mix_in(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	h ^= h >> 31;
	return h * 0xbf58476d1ce4e5b9ull;
}

static uint64_t field_hash(const char *s, bool fold)
{
	s = nz(s);
	size_t len = strlen(s);
	const uint64_t mask = fold ? 0x2020202020202020ull : 0;
	uint64_t h = HASH_SEED ^ len; /* the length keeps ("ab", "") apart from ("a", "b") */
	for (; len >= 8; len -= 8, s += 8) {
		uint64_t w;
		memcpy(&w, s, 8);
		h = (h ^ (w | mask)) * HASH_MUL;
		h ^= h >> 29;
	}
	if (len) {
		uint64_t w = 0;
		memcpy(&w, s, len);
		h = (h ^ (w | (mask >> (8 * (8 - len))))) * HASH_MUL;
		h ^= h >> 29;
	}
	return h;
}

/* Which strict parameter (param_is_strict) a name is: its index, or -1. One length switch, one compare. */
static int strict_index(const char *name)
{
	static const char *const strict[] = { "user", "ttl", "method", "maddr", "transport" };
	size_t len = strlen(nz(name));
	int i = len == 4 ? 0 : len == 3 ? 1 : len == 6 ? 2 : len == 5 ? 3 : len == 9 ? 4 : -1;
	return i >= 0 && strcasecmp(name, strict[i]) == 0 ? i : -1;
}

uint64_t sr_uri_hash(const osip_uri_t *u)
{
	if (!u || !u->scheme)
		return 0;
	uint64_t h = mix_in(HASH_SEED, field_hash(u->scheme, true));
	const char *sc = u->scheme; /* is_sip_scheme without two strcasecmp calls */
	if (!((sc[0] | 0x20) == 's' && (sc[1] | 0x20) == 'i' && (sc[2] | 0x20) == 'p' &&
	      (sc[3] == '\0' || ((sc[3] | 0x20) == 's' && sc[4] == '\0'))))
		return mix_in(h, field_hash(u->string, false));
	h = mix_in(h, field_hash(u->username, false));
	h = mix_in(h, field_hash(u->password, false));
	h = mix_in(h, field_hash(u->host, true));
	const char *port = u->port;
	while (port && *port == '0' && port[1])
		port++;
	h = mix_in(h, port ? field_hash(port, false) : 0x706f7274ull /* absent */);
	/* the first occurrence of each strict parameter, in one pass over the list */
	const osip_uri_param_t *first[5] = { NULL };
	for (const __node_t *n = u->url_params.node; n; n = n->next) {
		const osip_uri_param_t *p = n->element;
		int i = strict_index(p->gname);
		if (i >= 0 && !first[i])
			first[i] = p;
	}
	for (size_t i = 0; i < 5; i++)
		h = mix_in(h, first[i] ? field_hash(first[i]->gvalue, true) : 0x61627365ull + i /* absent */);
	uint64_t headers = 0;
	for (const __node_t *n = u->url_headers.node; n; n = n->next) {
		const osip_uri_header_t *x = n->element;
		headers += mix_in(field_hash(x->gname, true), field_hash(x->gvalue, false));
	}
	return mix_in(h, headers);
}

uint64_t sr_uri_hash_str(const char *s, size_t len)
{
	osip_uri_t *u = parse_uri(s, len);
	if (!u) {
		uint64_t h = HASH_SEED ^ len;
		for (size_t i = 0; i < len; i++)
			h = (h ^ (unsigned char)s[i]) * HASH_MUL;
		return h;
	}
	uint64_t h = sr_uri_hash(u);
	osip_uri_free(u);
	return h;
}
