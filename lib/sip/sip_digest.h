/*
 * sip_digest.h - the fields of one Digest credential (an Authorization
 * header value), for lib/auth.
 *
 * The message view keeps Authorization values as sent; the auth hook asks
 * for one to be read only when it needs it (authentication on, realm
 * matches). The value is read by libosip2's osip_authorization_parse, the
 * parser of record, so lib/auth never reads SIP text itself.
 */
#ifndef SR_SIP_DIGEST_H
#define SR_SIP_DIGEST_H

#include "sip_str.h"

/* Every field unquoted; empty when absent. */
struct sr_sip_digest {
	struct sr_str username, realm, nonce, uri, response, algorithm, cnonce, qop, nc;
};

/*
 * Reads one Authorization value. Returns 0 for a Digest credential, -1
 * otherwise (another scheme, malformed, too long). libosip2 allocates in
 * the calling thread's bound arena (sr_arena_bind_osip), where the fields
 * stay valid until its reset; call it only with an arena bound.
 */
int sr_sip_digest_parse(struct sr_str value, struct sr_sip_digest *out);

#endif
