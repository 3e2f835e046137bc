/*
 * sip_scan_to.c - a REGISTER's To value, read once by the owner pre-scan
 * and taken by the owner's walk instead of being read again (sip_msg.h,
 * struct sr_sip_scan_to).
 *
 * Design decisions:
 * - Only what the fast path read is carried, and only a To whose URI the
 *   record can describe whole: sip: or sips:, no password, no URI
 *   parameters or headers (their arrays live in the pre-scan's arena, which
 *   is reset before the owner runs). Anything else is read again by the
 *   owner as before; a phone's To is almost always the plain kind.
 * - Offsets, not pointers: the owner may see the bytes at another address
 *   (a reassembled datagram is copied into the worker's scratch buffer).
 *   The value's offset and length are checked against the line the owner's
 *   walk finds, so a record for other bytes is never taken.
 * - The view is rebuilt field by field exactly as sr_fast_to fills it
 *   (zeroed URI, ranges into the message), so a carried To and a To read
 *   again compare equal (the differential fuzz target checks it).
 */
#include "sip_msg.h"

#include <string.h>

static bool inside(struct sr_str part, struct sr_str value)
{
	return part.len == 0 || (part.p >= value.p && part.p + part.len <= value.p + value.len);
}

/* The part's offset from the value's start, 0 when empty. */
static uint8_t rel(struct sr_str part, struct sr_str value)
{
	return part.len ? (uint8_t)(part.p - value.p) : 0;
}

void sr_sip_scan_to_record(struct sr_sip_scan_to *t, const char *buf, const struct sr_sip_addr *to)
{
	const struct sr_sip_uri *u = &to->uri;
	struct sr_str v = to->raw;
	memset(t, 0, sizeof(*t));
	if (v.len == 0 || v.len > UINT8_MAX || v.p < buf || (size_t)(v.p - buf) > UINT16_MAX ||
	    (u->scheme != SR_URI_SIP && u->scheme != SR_URI_SIPS) || u->password.len || u->opaque.len ||
	    u->n_params || u->n_headers || !inside(to->uri_text, v) || !inside(to->tag, v) || !inside(u->user, v) ||
	    !inside(u->host, v) || !inside(u->port, v) || u->host.len == 0 || to->uri_text.len == 0 ||
	    u->scheme_text.p != to->uri_text.p)
		return;
	t->at = (uint16_t)(v.p - buf);
	t->len = (uint8_t)v.len;
	t->scheme = (uint8_t)u->scheme;
	t->uri_at = rel(to->uri_text, v);
	t->uri_len = (uint8_t)to->uri_text.len;
	t->tag_at = rel(to->tag, v);
	t->tag_len = (uint8_t)to->tag.len;
	t->user_at = rel(u->user, v);
	t->user_len = (uint8_t)u->user.len;
	t->host_at = rel(u->host, v);
	t->host_len = (uint8_t)u->host.len;
	t->port_at = rel(u->port, v);
	t->port_len = (uint8_t)u->port.len;
	t->valid = 1;
}

static struct sr_str part(const char *v, uint8_t at, uint8_t len)
{
	return len ? sr_str_make(v + at, len) : SR_STR_NULL;
}

bool sr_sip_scan_to_take(const struct sr_sip_scan_to *t, const char *buf, struct sr_str value,
			 struct sr_sip_addr *out)
{
	if (!t || !t->valid || value.p != buf + t->at || value.len != t->len)
		return false;
	const char *v = value.p;
	memset(&out->uri, 0, sizeof(out->uri));
	out->raw = value;
	out->uri_text = sr_str_make(v + t->uri_at, t->uri_len);
	out->tag = part(v, t->tag_at, t->tag_len);
	out->uri.scheme = (enum sr_uri_scheme)t->scheme;
	out->uri.scheme_text = sr_str_make(out->uri_text.p, t->scheme == SR_URI_SIPS ? 4 : 3);
	out->uri.user = part(v, t->user_at, t->user_len);
	out->uri.host = part(v, t->host_at, t->host_len);
	out->uri.port = part(v, t->port_at, t->port_len);
	return true;
}
