/*
 * sip_uri_cmp.c - SIP/SIPS URI equality by RFC 3261 section 19.1.4.
 *
 * Design decisions:
 * - Works on the fields the message view already split (struct
 *   sr_sip_uri). Their user, password, parameter and header names and
 *   values are unescaped, so "compare after unescaping" is a plain
 *   comparison of those fields; decoding them again would be double decoding
 *   ("%2561" would wrongly equal "a"). The host is never escaped.
 * - An absent field equals an empty one ("sip:@h" has no user, a valueless
 *   ";lr" no value); NULL URIs are never equal.
 * - Ports are compared as numbers when both are given ("05060" == "5060"),
 *   an omitted port never equals an explicit one, even 5060.
 * - Parameters: when a name repeats, its first occurrence counts, on both
 *   sides, so the relation stays symmetric. Header components are compared
 *   as multisets (order-insensitive, repeats counted).
 * - Other schemes (tel:, urn:, ...): equal means same scheme
 *   (case-insensitive) and byte-equal rest. This is deliberately stricter
 *   than RFC 3966 for tel:.
 * - sr_uri_equal_str() parses into an arena on its own stack (a stored
 *   contact is short; a longer one spills into a block freed at the end).
 *   Byte-identical non-empty strings are equal unparsed.
 */
#include "sip_uri_cmp.h"

#include <strings.h>

static bool field_caseeq(struct sr_str a, struct sr_str b)
{
	return sr_str_caseeq(a, b);
}

static bool port_eq(struct sr_str a, struct sr_str b)
{
	if (!a.len || !b.len)
		return !a.len && !b.len;
	while (a.len > 1 && a.p[0] == '0') {
		a.p++;
		a.len--;
	}
	while (b.len > 1 && b.p[0] == '0') {
		b.p++;
		b.len--;
	}
	return sr_str_eq(a, b);
}

static const struct sr_sip_param *find(const struct sr_sip_param *v, unsigned n, struct sr_str name)
{
	for (unsigned i = 0; i < n; i++)
		if (field_caseeq(v[i].name, name))
			return &v[i];
	return NULL;
}

/* Parameters that must match whenever either URI has them (RFC 3261 19.1.4). */
static bool param_is_strict(struct sr_str name)
{
	static const char *const strict[] = { "user", "ttl", "method", "maddr", "transport" };
	for (size_t i = 0; i < sizeof(strict) / sizeof(strict[0]); i++)
		if (sr_str_caseeq_cstr(name, strict[i]))
			return true;
	return false;
}

/* Every strict parameter of 'from' is in 'to'. */
static bool strict_params_present(const struct sr_sip_uri *from, const struct sr_sip_uri *to)
{
	for (unsigned i = 0; i < from->n_params; i++)
		if (param_is_strict(from->params[i].name) && !find(to->params, to->n_params, from->params[i].name))
			return false;
	return true;
}

static bool params_equal(const struct sr_sip_uri *a, const struct sr_sip_uri *b)
{
	if (!strict_params_present(a, b) || !strict_params_present(b, a))
		return false;
	/* Names present in both: first occurrences must match, case-insensitively. */
	for (unsigned i = 0; i < a->n_params; i++) {
		const struct sr_sip_param *p = &a->params[i];
		if (find(a->params, a->n_params, p->name) != p)
			continue;
		const struct sr_sip_param *q = find(b->params, b->n_params, p->name);
		if (q && !field_caseeq(p->value, q->value))
			return false;
	}
	return true;
}

/* How many headers of u equal h: name case-insensitive, value case-sensitive. */
static unsigned header_count(const struct sr_sip_uri *u, const struct sr_sip_param *h)
{
	unsigned count = 0;
	for (unsigned i = 0; i < u->n_headers; i++)
		count += field_caseeq(u->headers[i].name, h->name) && sr_str_eq(u->headers[i].value, h->value);
	return count;
}

/* Multiset equality: same size, and each header of a occurs as often in b as in a. */
static bool headers_equal(const struct sr_sip_uri *a, const struct sr_sip_uri *b)
{
	if (a->n_headers != b->n_headers)
		return false;
	for (unsigned i = 0; i < a->n_headers; i++)
		if (header_count(a, &a->headers[i]) != header_count(b, &a->headers[i]))
			return false;
	return true;
}

bool sr_uri_equal(const struct sr_sip_uri *a, const struct sr_sip_uri *b)
{
	if (!a || !b || a->scheme_text.len == 0 || !field_caseeq(a->scheme_text, b->scheme_text))
		return false;
	if (a->scheme == SR_URI_OTHER)
		return sr_str_eq(a->opaque, b->opaque);
	return sr_str_eq(a->user, b->user) && sr_str_eq(a->password, b->password) &&
	       field_caseeq(a->host, b->host) && port_eq(a->port, b->port) && params_equal(a, b) &&
	       headers_equal(a, b);
}

bool sr_uri_equal_str(const char *a, size_t alen, const char *b, size_t blen)
{
	if (a && b && alen && alen == blen && memcmp(a, b, alen) == 0)
		return true;
	if (!a || !b || !alen || !blen)
		return false;
	char buf[4096];
	struct sr_arena arena;
	sr_arena_init_buf(&arena, buf, sizeof(buf));
	struct sr_sip_uri ua, ub;
	bool eq = sr_sip_uri_parse(sr_str_make(a, alen), &arena, &ua) == SR_URI_OK &&
		  sr_sip_uri_parse(sr_str_make(b, blen), &arena, &ub) == SR_URI_OK && sr_uri_equal(&ua, &ub);
	sr_arena_fini(&arena);
	return eq;
}

/*
 * The identity hash (see sip_uri_cmp.h). Each field is hashed on its own,
 * eight bytes at a time, and the results are mixed in a fixed order; the
 * header multiset is summed so its order does not count, as in
 * headers_equal. Where sr_uri_equal compares case-insensitively the bytes
 * are OR-ed with 0x20 first: that folds A-Z as strcasecmp does (and folds a
 * few other bytes together too, which only makes the hash coarser, never
 * splits equal fields). Absent fields hash like empty ones, ports without
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

static uint64_t field_hash(struct sr_str f, bool fold)
{
	const char *s = f.p;
	size_t len = f.len;
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
static int strict_index(struct sr_str name)
{
	static const char *const strict[] = { "user", "ttl", "method", "maddr", "transport" };
	size_t len = name.len;
	int i = len == 4 ? 0 : len == 3 ? 1 : len == 6 ? 2 : len == 5 ? 3 : len == 9 ? 4 : -1;
	return i >= 0 && sr_str_caseeq_cstr(name, strict[i]) ? i : -1;
}

uint64_t sr_uri_hash(const struct sr_sip_uri *u)
{
	if (!u || u->scheme_text.len == 0)
		return 0;
	uint64_t h = mix_in(HASH_SEED, field_hash(u->scheme_text, true));
	if (u->scheme == SR_URI_OTHER)
		return mix_in(h, field_hash(u->opaque, false));
	h = mix_in(h, field_hash(u->user, false));
	h = mix_in(h, field_hash(u->password, false));
	h = mix_in(h, field_hash(u->host, true));
	struct sr_str port = u->port;
	while (port.len > 1 && port.p[0] == '0') {
		port.p++;
		port.len--;
	}
	h = mix_in(h, port.len ? field_hash(port, false) : 0x706f7274ull /* absent */);
	/* the first occurrence of each strict parameter, in one pass over the list */
	const struct sr_sip_param *first[5] = { NULL };
	for (unsigned k = 0; k < u->n_params; k++) {
		int i = strict_index(u->params[k].name);
		if (i >= 0 && !first[i])
			first[i] = &u->params[k];
	}
	for (size_t i = 0; i < 5; i++)
		h = mix_in(h, first[i] ? field_hash(first[i]->value, true) : 0x61627365ull + i /* absent */);
	uint64_t headers = 0;
	for (unsigned k = 0; k < u->n_headers; k++)
		headers += mix_in(field_hash(u->headers[k].name, true), field_hash(u->headers[k].value, false));
	return mix_in(h, headers);
}

uint64_t sr_uri_hash_str(const char *s, size_t len)
{
	char buf[4096];
	struct sr_arena arena;
	sr_arena_init_buf(&arena, buf, sizeof(buf));
	struct sr_sip_uri u;
	uint64_t h;
	if (s && len && sr_sip_uri_parse(sr_str_make(s, len), &arena, &u) == SR_URI_OK) {
		h = sr_uri_hash(&u);
	} else { /* hashes its bytes: sr_uri_equal_str's byte-identical rule */
		h = HASH_SEED ^ len;
		for (size_t i = 0; i < len; i++)
			h = (h ^ (unsigned char)s[i]) * HASH_MUL;
	}
	sr_arena_fini(&arena);
	return h;
}
