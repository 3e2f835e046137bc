/*
 * auth_replay.h - nonce-count replay detection: a small fixed-size cache
 * per worker.
 *
 * Each entry remembers one nonce (its issue time and salt, which are unique)
 * and the highest nonce-count accepted with it, until the nonce expires. A
 * request whose nc is not above the remembered one is a replay. The cache is
 * 4-way set associative and allocated once; a full set evicts the entry that
 * expires first. An evicted nonce that is still alive is counted
 * (live_evictions): sized so that this stays zero (sets * 4 above the number
 * of nonces in use within one lifetime), it is exact; past that, an evicted
 * nonce could be replayed once more, which the counter makes visible.
 */
#ifndef SR_AUTH_REPLAY_H
#define SR_AUTH_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

#include "auth_nonce.h"

struct sr_replay;

/* entries is rounded up to a power of two (at least 4). NULL on allocation failure. */
struct sr_replay *sr_replay_new(uint32_t entries);
void sr_replay_free(struct sr_replay *r);

/*
 * Records (nonce, nc) if nc is above every nc seen with that nonce and
 * returns true; returns false for a replay (nothing changes). expire_ms:
 * the nonce's sr_nonce_stale_at, the instant it stops being accepted
 * (from then on its entry is free again).
 */
bool sr_replay_accept(struct sr_replay *r, const struct sr_nonce_info *nonce, uint32_t nc, uint64_t now_ms,
		      uint64_t expire_ms);

uint64_t sr_replay_live_evictions(const struct sr_replay *r);

#endif
