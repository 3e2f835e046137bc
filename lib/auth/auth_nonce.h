/*
 * auth_nonce.h - stateless digest nonces: a timestamp, a salt and an HMAC.
 *
 * nonce = hex(time_ms[8] | salt[8] | HMAC-SHA256(secret, time_ms | salt)[0..16])
 * (64 hex characters). The server keeps no per-nonce state to verify one:
 * the HMAC proves we issued it, the timestamp gives its age. The salt
 * (issuing shard in the top 16 bits, a per-shard counter below) makes
 * every nonce unique, which the nonce-count replay cache relies on.
 *
 * One struct sr_nonce per worker: it keeps an EVP_MAC_CTX keyed once, so no
 * MAC is fetched or keyed per nonce (OpenSSL 3.0 still allocates two small
 * digest states per HMAC inside EVP_MAC_init; measured, see auth_digest.h).
 */
#ifndef SR_AUTH_NONCE_H
#define SR_AUTH_NONCE_H

#include <stddef.h>
#include <stdint.h>

#include "sip_str.h"

#define SR_NONCE_LEN 64

enum sr_nonce_rc {
	SR_NONCE_OK,
	SR_NONCE_STALE, /* ours, but older than the lifetime */
	SR_NONCE_BAD,   /* not ours (bad syntax, bad MAC) or from the future */
};

struct sr_nonce;

/* Returns NULL on allocation or OpenSSL failure, or when secret is empty. */
struct sr_nonce *sr_nonce_new(const void *secret, size_t secret_len, uint16_t shard_id);
void sr_nonce_free(struct sr_nonce *n);
/* Keys n with a new secret (a rotation); the salt counter goes on, so nonces stay unique. 0 or -1. */
int sr_nonce_rekey(struct sr_nonce *n, const void *secret, size_t secret_len);

/* Writes SR_NONCE_LEN characters and a NUL into out. Returns 0 or -1 (OpenSSL error). */
int sr_nonce_make(struct sr_nonce *n, uint64_t now_ms, char *out);

/* What a verified nonce says: when it was issued and its unique salt. */
struct sr_nonce_info {
	uint64_t issued_ms;
	uint64_t salt;
};

/*
 * Checks a nonce; lifetime_ms 0 means nonces never go stale. A nonce up to
 * 5 s in the future is tolerated (clocks of workers differ slightly).
 * *info is set for SR_NONCE_OK and SR_NONCE_STALE.
 */
enum sr_nonce_rc sr_nonce_check(struct sr_nonce *n, struct sr_str nonce, uint64_t now_ms,
				uint64_t lifetime_ms, struct sr_nonce_info *info);

#endif
