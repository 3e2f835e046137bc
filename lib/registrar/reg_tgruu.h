/*
 * reg_tgruu.h - temporary GRUUs (RFC 5627 section 3.2) that name their AoR
 * without showing it, so a request for one reaches the worker and the
 * binding it was issued for.
 *
 * The user part is "tgruu." followed by 16 hex digits of a SipHash of
 * (AoR, instance, Call-ID) under the registrar's secret, then the AoR
 * encrypted with AES-128-CTR (OpenSSL) under a key derived from the same
 * secret, in hex, the SipHash serving as the counter block's nonce:
 * - Privacy (RFC 5627 3.2: a temporary GRUU must not reveal the AoR): only
 *   holders of registrar.secret can read the AoR back.
 * - Routing needs no index from GRUU to AoR (no memory per binding): the
 *   pre-scan decrypts the AoR and hashes it to the owner, the owner looks
 *   the AoR up and the binding whose (instance, Call-ID) gives the same
 *   user part is the target. A forged or stale GRUU decrypts to no AoR or
 *   matches no binding: 404.
 * - Validity follows RFC 5627: every GRUU issued under the binding's
 *   current Call-ID stays valid while it is registered; a REGISTER with a
 *   new Call-ID (a reboot) retires the older ones.
 * - The same secret on every node (registrar.secret) keeps temporary GRUUs
 *   valid across a restart and a failover; a random one (the default)
 *   retires them at each start.
 */
#ifndef SR_REG_TGRUU_H
#define SR_REG_TGRUU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../sip/sip_msg.h"
#include "siphash.h"

#define SR_TGRUU_PREFIX "tgruu."
/* The longest AoR a temporary GRUU is issued for (its user part is 22 + 2 x this). */
#define SR_TGRUU_MAX_AOR 256
#define SR_TGRUU_MAX_USER (sizeof(SR_TGRUU_PREFIX) - 1 + 16 + 2 * SR_TGRUU_MAX_AOR)

struct sr_tgruu_keys {
	struct sr_siphash_key mac; /* the nonce: SipHash of (AoR, instance, Call-ID) */
	uint8_t aes[16];           /* AES-128 key of the AoR */
};

/* Both keys from registrar.secret (the registrar's master key, as To-tags use it). */
void sr_tgruu_keys_from(uint64_t secret, struct sr_tgruu_keys *k);

/*
 * The user part of the temporary GRUU of binding (instance, call_id) of aor
 * (canonical) into out; returns its length, 0 when aor is longer than
 * SR_TGRUU_MAX_AOR, cap is too small or the cipher failed (no GRUU then).
 */
size_t sr_tgruu_user(const struct sr_tgruu_keys *k, struct sr_str aor, struct sr_str instance,
		     struct sr_str call_id, char *out, size_t cap);

/* The user part of u when u is a temporary GRUU of ours in shape (a "gr" without value, our prefix). */
bool sr_tgruu_in_uri(const struct sr_sip_uri *u, struct sr_str *user);

/*
 * The AoR a user part names, decrypted into aor (cap bytes); false when the
 * user part is not one of ours in shape or does not decrypt to a SIP AoR.
 * The caller still matches the whole user part against a binding.
 */
bool sr_tgruu_aor(const struct sr_tgruu_keys *k, struct sr_str user, char *aor, size_t cap, size_t *len);

#endif
