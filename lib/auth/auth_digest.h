/*
 * auth_digest.h - the HTTP digest computations of RFC 2617 / RFC 7616
 * (qop=auth) with MD5 and SHA-256 (RFC 8760), over OpenSSL's EVP API.
 *
 * A struct sr_digest owns one EVP_MD_CTX that is reused for every hash a
 * worker computes, and the two EVP_MD objects fetched once, so no context
 * or provider lookup is made per hash. OpenSSL 3.0 still allocates its small
 * per-hash provider state inside EVP_DigestInit_ex2 (measured with
 * CRYPTO_set_mem_functions: one allocation per hash); there is no 3.0 API
 * that re-initialises without it. Outputs are lower-case hex strings (what
 * digest puts on the wire and what the subscriber file stores).
 */
#ifndef SR_AUTH_DIGEST_H
#define SR_AUTH_DIGEST_H

#include <stddef.h>

#include "sip_str.h"

enum sr_digest_alg {
	SR_DIGEST_SHA256, /* first: offered first in challenges (RFC 8760 3) */
	SR_DIGEST_MD5,
	SR_DIGEST_N_ALGS
};

#define SR_DIGEST_HEX_MAX 64 /* hex characters of the longest digest (SHA-256) */

/* Hex characters of one digest with alg (32 or 64). */
size_t sr_digest_hex_len(enum sr_digest_alg alg);
/* "MD5" / "SHA-256" */
const char *sr_digest_alg_name(enum sr_digest_alg alg);
/* Parses an algorithm parameter (case-insensitive, unquoted); returns 0 or -1 if unsupported. */
int sr_digest_alg_parse(struct sr_str name, enum sr_digest_alg *alg);

struct sr_digest;

/* Returns NULL if OpenSSL has no MD5 or SHA-256 (e.g. a FIPS provider without MD5). */
struct sr_digest *sr_digest_new(void);
void sr_digest_free(struct sr_digest *d);

/*
 * Hex digest of the n parts joined with ':' into out (SR_DIGEST_HEX_MAX + 1
 * bytes, NUL-terminated). Returns 0, or -1 on an OpenSSL error.
 */
int sr_digest_hex(struct sr_digest *d, enum sr_digest_alg alg, const struct sr_str *parts, size_t n,
		  char *out);

/* HA1 = H(user:realm:password). */
int sr_digest_ha1(struct sr_digest *d, enum sr_digest_alg alg, struct sr_str user, struct sr_str realm,
		  struct sr_str password, char *out);

/* What a qop=auth response is computed from. */
struct sr_digest_input {
	struct sr_str ha1; /* hex */
	struct sr_str nonce, nc, cnonce, qop;
	struct sr_str method, uri;
};

/* response = H(HA1:nonce:nc:cnonce:qop:H(method:uri)). */
int sr_digest_response(struct sr_digest *d, enum sr_digest_alg alg, const struct sr_digest_input *in,
		       char *out);

#endif
