/*
 * sip_hdr.h - the headers the registrar reads, and their value parsers.
 *
 * Private to lib/sip: sip_msg.c finds header lines, this module knows the
 * names (long and compact forms) and turns values into the fields of
 * struct sr_sip_msg, using libosip2's parsers for Via, From, To and Contact.
 */
#ifndef SR_SIP_HDR_H
#define SR_SIP_HDR_H

#include "sip_msg.h"

enum sr_hdr_id {
	SR_HDR_OTHER,
	SR_HDR_VIA,
	SR_HDR_FROM,
	SR_HDR_TO,
	SR_HDR_CALL_ID,
	SR_HDR_CSEQ,
	SR_HDR_CONTACT,
	SR_HDR_EXPIRES,
	SR_HDR_REQUIRE,
	SR_HDR_SUPPORTED,
	SR_HDR_PATH,
	SR_HDR_USER_AGENT,
	SR_HDR_AUTHORIZATION,
	SR_HDR_CONTENT_LENGTH,
	/* read for the proxy (lib/routing): */
	SR_HDR_ROUTE,
	SR_HDR_MAX_FORWARDS,
	SR_HDR_PROXY_REQUIRE,
	SR_HDR_WWW_AUTHENTICATE,
	SR_HDR_PROXY_AUTHENTICATE,
};

enum sr_hdr_id sr_hdr_lookup(struct sr_str name);

/* RFC 3261 token characters: alphanumerics and -.!%*_+`'~ (no strchr: runs for every header name byte). */
static inline bool sr_sip_is_token_char(char c)
{
	char lower = (char)(c | 0x20);
	if ((lower >= 'a' && lower <= 'z') || (c >= '0' && c <= '9'))
		return true;
	switch (c) {
	case '-': case '.': case '!': case '%': case '*': case '_': case '+': case '`': case '\'': case '~':
		return true;
	default:
		return false;
	}
}

/* Parses one header value (trimmed, unfolded) into m. Returns SR_SIP_OK or SR_SIP_BAD. */
int sr_hdr_parse(struct sr_sip_msg *m, enum sr_hdr_id id, struct sr_str value,
		 struct sr_arena *arena, struct sr_sip_error *err);

/*
 * Splits a header value at top-level commas (not inside quoted strings or
 * <...>), calling fn for each trimmed element. Stops at the first non-zero
 * return of fn and returns it; returns -1 on an unterminated quote or
 * bracket.
 */
typedef int sr_hdr_elem_fn(struct sr_str elem, void *ctx);
int sr_hdr_split(struct sr_str value, sr_hdr_elem_fn *fn, void *ctx);

/*
 * True if s holds "%00". libosip2 unescapes URI parts in place into C
 * strings, so an escaped NUL would silently cut a user part or parameter
 * ("sip:alice%00x@..." would become the AoR of alice). Until the URI fields
 * carry lengths, such URIs are refused (RFC 4475 escnull).
 */
bool sr_sip_has_esc_nul(struct sr_str s);

#endif
