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
 * The first instant at which the nonce is stale: issued + lifetime
 * (UINT64_MAX when lifetime_ms is 0, never). The check below and the
 * nonce-count cache's expiry (auth_replay.h) both use it, so a nonce is
 * never accepted once its replay entry may have been dropped.
 */
static inline uint64_t sr_nonce_stale_at(const struct sr_nonce_info *info, uint64_t lifetime_ms)
{
	if (!lifetime_ms || info->issued_ms > UINT64_MAX - lifetime_ms)
		return UINT64_MAX;
	return info->issued_ms + lifetime_ms;
}

/*
 * Checks a nonce; stale from sr_nonce_stale_at on (lifetime_ms 0: never). A nonce up to
 * 5 s in the future is tolerated (clocks of workers differ slightly).
 * *info is set for SR_NONCE_OK and SR_NONCE_STALE.
 */
enum sr_nonce_rc sr_nonce_check(struct sr_nonce *n, struct sr_str nonce, uint64_t now_ms,
				uint64_t lifetime_ms, struct sr_nonce_info *info);

#endif
