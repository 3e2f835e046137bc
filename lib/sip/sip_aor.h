/*
 * sip_aor.h - address-of-record canonicalisation (RFC 3261 10.3 step 5).
 *
 * The AoR is the key of the location service. From the To URI we keep
 * scheme, user and host; URI parameters, headers, port and password are
 * dropped; scheme and host are lower-cased; %-escapes in the user part are
 * normalised (an escaped character that needs no escaping is decoded, the
 * remaining escapes use upper-case hex), so every spelling of one AoR gives
 * the same bytes. The message view hands out the user part unescaped
 * (struct sr_sip_uri), so it is taken as decoded bytes and escaped here
 * (never decoded a second time). Options follow OpenSIPS: realm_prefix
 * strips a leading domain label prefix (e.g. "sip." from "sip.example.com"),
 * case_sensitive false lower-cases the user part too.
 */
#ifndef SR_SIP_AOR_H
#define SR_SIP_AOR_H

#include "sip_str.h"
#include "sip_uri.h"

struct sr_aor_options {
	bool case_sensitive;      /* RFC 3261: user part is case-sensitive (default true) */
	const char *realm_prefix; /* NULL or "" for none */
};

enum sr_aor_rc {
	SR_AOR_OK = 0,
	SR_AOR_BAD_SCHEME = -1,  /* not sip: or sips: */
	SR_AOR_NO_HOST = -2,
	SR_AOR_BAD_ESCAPE = -3,  /* malformed %-escape (only from sr_aor_canonicalize_text: the
				  * message view refuses such URIs before) */
	SR_AOR_TOO_LONG = -4,    /* does not fit in out_cap */
};

/*
 * Writes the canonical AoR ("sip:user@host" or "sip:host" when there is no
 * user) to out (not NUL-terminated) and its length to *out_len.
 * *user and *host (optional, may be NULL) receive the canonical user and
 * host as ranges inside out, for the length limits and the domain check
 * (user: length 0 when absent; host: as sr_aor_domain() writes it).
 * opt may be NULL: case-sensitive, no realm prefix.
 */
int sr_aor_canonicalize(const struct sr_sip_uri *uri, const struct sr_aor_options *opt, char *out,
			size_t out_cap, size_t *out_len, struct sr_str *user, struct sr_str *host);

/*
 * The same from URI text (an operator's command, not a message): parsed by
 * the message view's URI parsers first. SR_AOR_BAD_ESCAPE or
 * SR_AOR_BAD_SCHEME when it does not parse.
 */
int sr_aor_canonicalize_text(struct sr_str uri, const struct sr_aor_options *opt, char *out, size_t out_cap,
			     size_t *out_len);

/*
 * Writes the canonical form of a host to out (not NUL-terminated): realm_prefix
 * stripped (case-insensitively, only if something remains), lower-cased, an
 * IPv6 reference put in brackets if it has none. The AoR host and the served
 * domains both go through it so they compare byte for byte. Returns the length
 * written, 0 if host is empty or the result does not fit in cap.
 */
size_t sr_aor_domain(struct sr_str host, const char *realm_prefix, char *out, size_t cap);

#endif
