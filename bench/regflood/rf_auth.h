/*
 * rf_auth.h - the client side of regflood's digest flow (workload "auth"): reading the
 * challenge of a 401, writing the Authorization of the repeated REGISTER, and writing
 * the subscriber file that gives sipreg the same credentials.
 *
 * Design: the hashes are lib/auth's (auth_digest.h: HA1 and the qop=auth response from
 * HA1), so the generator and the registrar cannot disagree on the arithmetic, and no
 * digest code exists twice. Passwords are a pattern, never stored: the password of the
 * AoR with index i is password_prefix + 7-digit i, so `regflood --write-subscribers`
 * and a later run agree without a file of secrets; the subscriber file holds HA1 values
 * only (format in lib/auth/auth_creds.h). HA1 is computed per flow from the challenge's
 * realm (one hash more than a phone that caches it; the flow costs three).
 * The challenge is read without copying: its fields point into the datagram, which the
 * sender answers before it reads the next one. Not supported, and so a failed flow:
 * challenges without qop=auth (RFC 2069), MD5-sess and the other -sess algorithms,
 * userhash, and quoted values with backslash escapes.
 */
#ifndef SR_RF_AUTH_H
#define SR_RF_AUTH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "auth_digest.h"
#include "rf_msg.h"

#define SR_RF_CHALLENGE_FIELD_MAX 256 /* longest realm, nonce or opaque accepted */
#define SR_RF_AUTHORIZATION_MAX 1024  /* room for the Authorization line */

struct sr_rf_challenge {
	enum sr_digest_alg alg;
	struct sr_str realm, nonce, opaque; /* into the response; opaque empty when absent */
};

/*
 * Picks the challenge to answer among the WWW-Authenticate headers of a response: the
 * first Digest challenge with a realm, a nonce, qop including "auth" and an algorithm
 * lib/auth computes (absent: MD5), and when want >= 0 (an enum sr_digest_alg) the first
 * such one with that algorithm. 0, or -1 when there is none (missing or unusable).
 */
int sr_rf_challenge_parse(const char *buf, size_t len, int want, struct sr_rf_challenge *out);

/*
 * Writes "Authorization: Digest ...\r\n" answering ch for AoR aor's REGISTER with CSeq
 * cseq (uri sip:<domain>, nc 00000001: each challenge's nonce is used once). Returns the
 * length, or 0 if it does not fit in cap or a hash failed.
 */
size_t sr_rf_authorization(char *buf, size_t cap, struct sr_digest *dg, const struct sr_rf_ident *id, uint32_t aor,
			   uint32_t cseq, const struct sr_rf_challenge *ch);

/*
 * Writes the subscriber lines (auth_creds.h format: user realm ha1-md5 ha1-sha256) of
 * the n AoRs from index first, with id's user and password prefixes. 0, or -1 on a hash
 * or write error.
 */
int sr_rf_write_subscribers(FILE *out, struct sr_digest *dg, const struct sr_rf_ident *id, const char *realm,
			    uint32_t first, uint32_t n);

#endif
