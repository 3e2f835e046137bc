/*
 * push_event.c - the contactRefresh event as one JSON object.
 *
 * The same bytes are the listener stream's line (plus '\n') and the body
 * of the POST to the push gateway, so a gateway and a stream client read
 * one format. Written by hand into the caller's buffer, without malloc: it
 * runs on the worker that decides the push, and the object is flat (a few
 * string members).
 *
 * pn-* values are %-decoded: the gateway needs the provider's token, not
 * its SIP spelling (a Web Push resource is a whole URL, escaped in the
 * URI). JSON strings must be Unicode, so every byte sequence is checked to
 * be UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above
 * U+10FFFF); an event that is not is refused rather than sent broken, and
 * the caller counts it. Control characters, '"' and '\' are escaped.
 */
#include "push_internal.h"

#include <stdio.h>
#include <string.h>

static const char *const reason_names[SR_PUSH_R_COUNT] = { "call", "refresh", "purr" };

const char *sr_push_reason_name(enum sr_push_reason r)
{
	return (unsigned)r < SR_PUSH_R_COUNT ? reason_names[r] : "unknown";
}

/* Length of the well-formed UTF-8 sequence starting at s (n bytes left), 0 when it is not one. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	unsigned char lo = 0x80, hi = 0xbf; /* allowed range of the second byte */
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0; /* overlong */
		else if (c == 0xed)
			hi = 0x9f; /* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90; /* overlong */
		else if (c == 0xf4)
			hi = 0x8f; /* above U+10FFFF */
	} else {
		return 0;
	}
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

static void put_str(struct push_out *o, struct sr_str s)
{
	push_put(o, "\"", 1);
	const unsigned char *u = (const unsigned char *)s.p;
	for (size_t i = 0; i < s.len && !o->failed;) {
		unsigned char c = u[i];
		if (c == '"' || c == '\\') {
			char esc[2] = { '\\', (char)c };
			push_put(o, esc, 2);
			i++;
		} else if (c < 0x20) {
			char esc[8];
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			push_put(o, esc, 6);
			i++;
		} else {
			size_t k = utf8_len(u + i, s.len - i);
			if (k == 0) {
				o->failed = true;
				return;
			}
			push_put(o, s.p + i, k);
			i += k;
		}
	}
	push_put(o, "\"", 1);
}

static void put_member(struct push_out *o, struct sr_str name, struct sr_str value)
{
	push_put(o, ",", 1);
	put_str(o, name);
	push_put(o, ":", 1);
	put_str(o, value);
}

size_t sr_push_event_json(char *out, size_t cap, struct sr_str aor, struct sr_str contact, enum sr_push_reason reason,
			  struct sr_str packed)
{
	static const char head[] = "{\"event\":\"contactRefresh\"";
	struct push_out o = { out, cap, 0, false };
	push_put(&o, head, sizeof(head) - 1);
	put_member(&o, SR_STR_LIT("aor"), aor);
	put_member(&o, SR_STR_LIT("contact"), contact);
	put_member(&o, SR_STR_LIT("reason"), sr_str_cstr(sr_push_reason_name(reason)));
	size_t pos = 0;
	struct sr_str name, value;
	char dec[SR_PUSH_EVENT_MAX];
	while (!o.failed && sr_push_packed_next(packed, &pos, &name, &value)) {
		if (name.len < 3 || memcmp(name.p, "pn-", 3) != 0)
			continue; /* a non-pn match parameter: matching only, not the gateway's business */
		if (value.len > sizeof(dec))
			return 0;
		put_member(&o, name, sr_str_make(dec, push_unescape(value, dec)));
	}
	push_put(&o, "}", 1);
	return o.failed ? 0 : o.len;
}
