/*
 * sip_uri.h - a parsed URI of our own: ranges, not libosip2 objects.
 *
 * Every URI the registrar reads (Request-URI, To, Contact, a stored binding's
 * contact) is handed out as struct sr_sip_uri. Two parsers fill it:
 *  - the fast one (sr_sip_uri_fast), a single pass over the text with no
 *    copy: every field points into the text. It knows the common grammar
 *    only: sip:/sips:, an optional user without escapes or ';'/'?', a host
 *    name or IPv4 address, a port of digits, ';name[=value]' parameters of
 *    plain characters. Anything else (escapes, IPv6 references, a password,
 *    URI headers, other schemes, odd characters) makes it decline
 *    (SR_URI_SLOW) without an opinion on validity;
 *  - the libosip2 one (sr_sip_uri_osip), the parser of record: osip_uri_parse
 *    into the bound arena, then its fields are copied into the view.
 * Fields carry libosip2's meaning on both paths, so they compare byte for
 * byte: user, password, parameter and header names and values are
 * unescaped (the fast parser only accepts text that has no escapes, where
 * raw and unescaped are the same bytes); the host is as written, an IPv6
 * reference without its brackets; the port is its digits as written.
 * The differential fuzz target (tests/fuzz/fuzz_sip_diff.c) holds the two
 * to that.
 *
 * Checks libosip2 does not make are made on the raw text before it:
 * %-escapes must be '%' and two hex digits, and "%00" is refused (libosip2
 * unescapes into C strings, so an escaped NUL would cut a user part:
 * "sip:alice%00x@" would become alice); a SIP URI's port must be 1 to 5
 * digits up to 65535 (RFC 3261 25.1; libosip2 keeps "50a60" as is).
 */
#ifndef SR_SIP_URI_H
#define SR_SIP_URI_H

#include "sip_arena.h"
#include "sip_str.h"

/* One ";name=value" (or "?name=value") parameter; value.p == NULL when there is no '=' value. */
struct sr_sip_param {
	struct sr_str name, value;
};

enum sr_uri_scheme { SR_URI_OTHER, SR_URI_SIP, SR_URI_SIPS };

struct sr_sip_uri {
	enum sr_uri_scheme scheme;
	struct sr_str scheme_text;      /* as written: "sip", "SIP", "tel" */
	struct sr_str user, password;   /* unescaped; empty when absent */
	struct sr_str host;             /* as written; an IPv6 reference without brackets */
	struct sr_str port;             /* digits as written; empty when absent */
	struct sr_str opaque;           /* another scheme: everything after the colon */
	const struct sr_sip_param *params;  /* URI parameters, unescaped, in order */
	const struct sr_sip_param *headers; /* URI headers ("?a=b&c=d"), unescaped */
	unsigned n_params, n_headers;
};

enum sr_uri_rc {
	SR_URI_OK = 0,
	SR_URI_BAD = -1,  /* malformed (reason set) */
	SR_URI_SLOW = -2, /* the fast parser declines: use sr_sip_uri_osip */
};

/*
 * The fast parser: text must be the URI alone (no < >). Parameter arrays
 * come from the arena. Returns SR_URI_OK or SR_URI_SLOW (never BAD).
 */
int sr_sip_uri_fast(struct sr_str text, struct sr_arena *arena, struct sr_sip_uri *out);

/*
 * The libosip2 parser, with the raw-text checks above. Needs the arena
 * bound for libosip2 (sr_arena_bind_osip). Returns SR_URI_OK or SR_URI_BAD
 * with *reason set to a static phrase fragment ("bad %-escape", "bad port",
 * "bad URI").
 */
int sr_sip_uri_osip(struct sr_str text, struct sr_arena *arena, struct sr_sip_uri *out, const char **reason);

/*
 * Text to view outside a message (stored contacts, control commands): the
 * fast parser, else libosip2 (the arena is bound for that call and the
 * previous binding restored). SR_URI_OK or SR_URI_BAD.
 */
int sr_sip_uri_parse(struct sr_str text, struct sr_arena *arena, struct sr_sip_uri *out);

/*
 * The fast path's parameter list: *( ";" name [ "=" value ] ), p empty or
 * starting with ';', no white space. URI parameters (header_params false):
 * names and values of unreserved and param-unreserved characters. Header
 * parameters (Contact): token names, token or quoted-string values (quotes
 * kept, no backslash). An array from the arena. 0, or -1 to decline.
 */
int sr_sip_params_fast(struct sr_str p, bool header_params, struct sr_arena *arena,
		       const struct sr_sip_param **out, unsigned *n);

/* True if every '%' of s starts an escape of two hex digits and none is "%00". */
bool sr_sip_escapes_ok(struct sr_str s);

/* A port of 1 to 5 digits up to 65535 (RFC 3261 25.1). */
bool sr_sip_port_ok(struct sr_str port);

/* The first parameter called name (case-insensitive) among n; NULL if absent. */
const struct sr_sip_param *sr_sip_param_find(const struct sr_sip_param *params, unsigned n, const char *name);

#endif
