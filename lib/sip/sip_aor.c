/*
 * sip_aor.c - address-of-record canonicalisation (RFC 3261 10.3 step 5).
 *
 * Design decisions:
 * - Hot path: one call per REGISTER. No allocation, no parse: byte loops
 *   over the fields the message view already split (struct sr_sip_uri),
 *   writing straight into the caller's buffer with a bounds-checked cursor.
 * - The view's user part is unescaped ("%61lice" arrives as "alice",
 *   "a%40b" as "a@b", "%25" as "%"). So the user field is plain bytes, and
 *   canonicalising it means escaping: a byte allowed unescaped in
 *   the RFC 3261 user part (unreserved / user-unreserved) is written as is,
 *   any other byte, '%' included, as %XX with upper-case hex. Decoding the
 *   field a second time would be double decoding: "bob%2541" (user "bob%41")
 *   and "bobA" would collide. Every wire spelling of one user therefore gives
 *   the same bytes, and the output is itself a valid SIP URI.
 * - case_sensitive=false lower-cases the (decoded) user; letters are never
 *   escaped, so escape hex digits stay upper-case.
 * - Host: lower-cased, realm_prefix stripped, IPv6 references bracketed
 *   (the view drops the brackets, as libosip2 does). sr_aor_domain() is the one definition of a
 *   canonical host, shared with the served-domain check so both sides match.
 */
#include "sip_aor.h"

#include "sip_chars.h"

struct out_buf {
	char *p;
	size_t len, cap;
	bool overflow;
};

static void put(struct out_buf *o, const char *s, size_t n)
{
	if (n > o->cap - o->len) {
		o->overflow = true;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static void put_char(struct out_buf *o, char c)
{
	put(o, &c, 1);
}

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c + ('a' - 'A')) : c;
}

/* RFC 3261 25.1: user = 1*( unreserved / escaped / user-unreserved ). */
static bool user_char_plain(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	switch (c) {
	case '-': case '_': case '.': case '!': case '~': case '*': case '\'': case '(': case ')':
	case '&': case '=': case '+': case '$': case ',': case ';': case '?': case '/':
		return true;
	default:
		return false;
	}
}

static void put_user(struct out_buf *o, struct sr_str user, bool case_sensitive)
{
	static const char hex[] = "0123456789ABCDEF";
	for (size_t i = 0; i < user.len; i++) {
		if (case_sensitive) { /* a run of bytes written as they are ("alice"): one copy */
			size_t run = sr_sip_span(user.p + i, user.len - i, SR_CH_ALNUM | SR_CH_MARK | SR_CH_USER);
			put(o, user.p + i, run);
			if ((i += run) == user.len)
				break;
		}
		unsigned char c = (unsigned char)(case_sensitive ? user.p[i] : lower(user.p[i]));
		if (user_char_plain(c)) {
			put_char(o, (char)c);
		} else {
			char esc[3] = { '%', hex[c >> 4], hex[c & 0xF] };
			put(o, esc, sizeof(esc));
		}
	}
}

/*
 * Copies n bytes lower-cased, eight at a time: in each word the bytes
 * 'A'..'Z' get 0x20 added (sip_chars.h's sr_sip_word_bytes_in); the rest byte by byte.
 * A host is copied this way for every REGISTER, twice.
 */
static void lower_copy(char *out, const char *in, size_t n)
{
	size_t i = 0;
	for (; n - i >= 8; i += 8) {
		uint64_t x;
		memcpy(&x, in + i, 8);
		x |= sr_sip_word_bytes_in(x, 'A', 'Z') >> 2;
		memcpy(out + i, &x, 8);
	}
	for (; i < n; i++)
		out[i] = lower(in[i]);
}

size_t sr_aor_domain(struct sr_str host, const char *realm_prefix, char *out, size_t cap)
{
	size_t plen = realm_prefix && realm_prefix[0] ? strlen(realm_prefix) : 0;
	if (plen && host.len > plen && strncasecmp(host.p, realm_prefix, plen) == 0) {
		host.p += plen;
		host.len -= plen;
	}
	/* libosip2 hands out IPv6 references without their brackets. */
	bool bracket = host.len && host.p[0] != '[' && memchr(host.p, ':', host.len);
	if (host.len == 0 || host.len + (bracket ? 2 : 0) > cap)
		return 0;
	size_t n = 0;
	if (bracket)
		out[n++] = '[';
	lower_copy(out + n, host.p, host.len);
	n += host.len;
	if (bracket)
		out[n++] = ']';
	return n;
}

int sr_aor_canonicalize(const struct sr_sip_uri *uri, const struct sr_aor_options *opt, char *out,
			size_t out_cap, size_t *out_len, struct sr_str *user, struct sr_str *host)
{
	static const struct sr_aor_options defaults = { .case_sensitive = true, .realm_prefix = NULL };
	if (!opt)
		opt = &defaults;
	if (out_len)
		*out_len = 0;
	if (!uri || uri->scheme == SR_URI_OTHER)
		return SR_AOR_BAD_SCHEME;
	bool sips = uri->scheme == SR_URI_SIPS;
	if (uri->host.len == 0)
		return SR_AOR_NO_HOST;

	struct out_buf o = { out, 0, out_cap, false };
	put(&o, sips ? "sips:" : "sip:", sips ? 5 : 4);
	size_t user_off = o.len, user_len = 0;
	if (uri->user.len) {
		put_user(&o, uri->user, opt->case_sensitive);
		user_len = o.len - user_off;
		put_char(&o, '@');
	}
	if (o.overflow)
		return SR_AOR_TOO_LONG;
	size_t host_off = o.len;
	size_t host_len = sr_aor_domain(uri->host, opt->realm_prefix, out + host_off,
					out_cap - host_off);
	if (host_len == 0)
		return SR_AOR_TOO_LONG; /* the host is not empty, so it did not fit */

	if (user)
		*user = sr_str_make(out + user_off, user_len);
	if (host)
		*host = sr_str_make(out + host_off, host_len);
	if (out_len)
		*out_len = host_off + host_len;
	return SR_AOR_OK;
}

int sr_aor_canonicalize_text(struct sr_str text, const struct sr_aor_options *opt, char *out, size_t out_cap,
			     size_t *out_len)
{
	char buf[4096];
	struct sr_arena arena;
	sr_arena_init_buf(&arena, buf, sizeof(buf));
	struct sr_sip_uri uri;
	int rc = sr_sip_uri_parse(text, &arena, &uri) == SR_URI_OK
			 ? sr_aor_canonicalize(&uri, opt, out, out_cap, out_len, NULL, NULL)
			 : sr_sip_escapes_ok(text) ? SR_AOR_BAD_SCHEME : SR_AOR_BAD_ESCAPE;
	sr_arena_fini(&arena);
	return rc;
}
