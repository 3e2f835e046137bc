/*
 * push_params.c - a contact's push parameters: packing, classification, the
 * registrar's match key and the wake key of held requests.
 *
 * Why a packed string: the location store keeps one opaque field per
 * binding and the push decisions need the parameters long after the
 * REGISTER's parse is gone (a refresh push fires an hour later). Packing
 * only pn-* and match parameters keeps that field small, and reading it is
 * a walk over NUL-separated pairs, not a second parse of SIP text.
 *
 * Values stay %-escaped as sent in the packed form (what the UA wrote is
 * what we keep) and are decoded where they are compared or handed out: the
 * match key and the wake key compare decoded values, so "%3D" and "=" are
 * the same token (RFC 3261 19.1.4 compares escaped characters decoded).
 * Names are case-insensitive (19.1.4) and kept in lower case.
 */
#include "push_internal.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "txn.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

size_t push_unescape(struct sr_str in, char *out)
{
	size_t n = 0;
	for (size_t i = 0; i < in.len; i++) {
		int hi, lo;
		if (in.p[i] == '%' && i + 2 < in.len && (hi = hexval(in.p[i + 1])) >= 0 &&
		    (lo = hexval(in.p[i + 2])) >= 0) {
			out[n++] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			out[n++] = in.p[i];
		}
	}
	return n;
}

int push_provider_index(const struct sr_push_rules *r, struct sr_str v)
{
	for (unsigned i = 0; i < r->n_providers; i++)
		if (sr_str_caseeq_cstr(v, r->provider[i]))
			return (int)i;
	return -1;
}

/* A parameter the packed form keeps: any pn-* one, and the configured match parameters. */
static bool kept(const struct sr_push_rules *r, struct sr_str name)
{
	if (name.len >= 3 && strncasecmp(name.p, "pn-", 3) == 0)
		return true;
	for (unsigned i = 0; i < r->n_match; i++)
		if (sr_str_caseeq_cstr(name, r->match[i]))
			return true;
	return false;
}

long sr_push_pack(const struct sr_push_rules *r, const struct sr_push_param *p, unsigned n, char *out, size_t cap)
{
	size_t len = 0;
	for (unsigned i = 0; i < n; i++) {
		struct sr_str nm = p[i].name, v = p[i].value;
		/* a NUL inside would break the format; SIP has none, so such a parameter is not ours to keep */
		if (nm.len == 0 || !kept(r, nm) || memchr(nm.p, 0, nm.len) || (v.len && memchr(v.p, 0, v.len)))
			continue;
		bool seen = false;
		for (unsigned j = 0; j < i && !seen; j++)
			seen = sr_str_caseeq(p[j].name, nm);
		if (seen)
			continue; /* the first occurrence of a name wins, as a lookup by name would find it */
		size_t need = nm.len + 1 + v.len + 1;
		if (cap - len < need)
			return -1;
		for (size_t k = 0; k < nm.len; k++)
			out[len++] = (char)tolower((unsigned char)nm.p[k]);
		out[len++] = '\0';
		if (v.len)
			memcpy(out + len, v.p, v.len);
		len += v.len;
		out[len++] = '\0';
	}
	return (long)len;
}

bool sr_push_packed_next(struct sr_str packed, size_t *pos, struct sr_str *name, struct sr_str *value)
{
	if (*pos >= packed.len)
		return false;
	const char *p = packed.p + *pos, *end = packed.p + packed.len;
	const char *z1 = memchr(p, 0, (size_t)(end - p));
	if (!z1)
		return false;
	const char *z2 = memchr(z1 + 1, 0, (size_t)(end - z1 - 1));
	if (!z2)
		return false;
	*name = sr_str_make(p, (size_t)(z1 - p));
	*value = sr_str_make(z1 + 1, (size_t)(z2 - z1 - 1));
	*pos = (size_t)(z2 + 1 - packed.p);
	return true;
}

bool sr_push_packed_get(struct sr_str packed, const char *name, struct sr_str *value)
{
	size_t pos = 0;
	struct sr_str n, v;
	while (sr_push_packed_next(packed, &pos, &n, &v)) {
		if (sr_str_eq(n, sr_str_cstr(name))) {
			*value = v;
			return true;
		}
	}
	return false;
}

enum sr_push_class sr_push_classify(const struct sr_push_rules *r, struct sr_str packed)
{
	struct sr_str prov, prid;
	if (!r->enable || !sr_push_packed_get(packed, "pn-provider", &prov))
		return SR_PUSH_PLAIN;
	if (prov.len == 0)
		return SR_PUSH_QUERY; /* which providers do you serve? */
	char dec[SR_PUSH_NAME_MAX];
	if (prov.len >= sizeof(dec))
		return SR_PUSH_UNSUPPORTED; /* longer than any name we accept */
	if (push_provider_index(r, sr_str_make(dec, push_unescape(prov, dec))) < 0)
		return SR_PUSH_UNSUPPORTED;
	if (!sr_push_packed_get(packed, "pn-prid", &prid) || prid.len == 0)
		return SR_PUSH_QUERY;
	return SR_PUSH_CONTACT;
}

long sr_push_key(const struct sr_push_rules *r, struct sr_str packed, char *out, size_t cap)
{
	if (!r->enable)
		return 0;
	size_t len = 0;
	for (unsigned i = 0; i < r->n_match; i++) {
		struct sr_str v;
		if (!sr_push_packed_get(packed, r->match[i], &v))
			return 0;
		if (v.len > UINT16_MAX)
			return -1;
		if (cap - len < 2 + v.len)
			return -1;
		size_t d = push_unescape(v, out + len + 2);
		if (strcmp(r->match[i], "pn-provider") == 0) /* providers are names, compared without case */
			for (size_t k = 0; k < d; k++)
				out[len + 2 + k] = (char)tolower((unsigned char)out[len + 2 + k]);
		out[len] = (char)(d >> 8);
		out[len + 1] = (char)(d & 0xff);
		len += 2 + d;
	}
	return (long)len;
}

uint64_t sr_push_wake_key(const uint64_t secret[2], struct sr_str aor, struct sr_str packed)
{
	struct sr_str prov, prid;
	if (!sr_push_packed_get(packed, "pn-provider", &prov) || !sr_push_packed_get(packed, "pn-prid", &prid) ||
	    prov.len == 0 || prid.len == 0 || prov.len + prid.len > SR_PUSH_EVENT_MAX)
		return 0; /* not a device we could push (its event would not fit either) */
	char buf[SR_PUSH_EVENT_MAX];
	size_t a = push_unescape(prov, buf);
	for (size_t i = 0; i < a; i++)
		buf[i] = (char)tolower((unsigned char)buf[i]); /* providers are compared without case */
	size_t b = push_unescape(prid, buf + a);
	struct sr_str parts[3] = { aor, sr_str_make(buf, a), sr_str_make(buf + a, b) };
	uint64_t key[2] = { secret[0] ^ 0x50555348574b4559ull /* "PUSHWKEY" */, secret[1] };
	uint64_t h = sr_txn_hash_parts(key, parts, 3);
	return h ? h : 1; /* 0 means "none" */
}
