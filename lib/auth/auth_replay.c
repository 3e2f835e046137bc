/*
 * auth_replay.c - the nonce-count cache (see auth_replay.h).
 *
 * The set index mixes issue time and salt with a multiplicative hash: the
 * salt's low bits are a counter, so consecutive nonces land in different
 * sets. Lookups touch one 4-entry set (two cache lines); nothing allocates
 * after sr_replay_new.
 */
#include "auth_replay.h"

#include <stdlib.h>

#define WAYS 4

struct entry {
	uint64_t issued_ms, salt;
	uint64_t expire_ms; /* 0: free */
	uint32_t nc;
};

struct sr_replay {
	uint32_t mask; /* sets - 1 */
	uint64_t live_evictions;
	struct entry e[]; /* sets * WAYS */
};

struct sr_replay *sr_replay_new(uint32_t entries)
{
	uint32_t sets = 1;
	while (sets * WAYS < entries && sets < (1u << 24))
		sets <<= 1;
	struct sr_replay *r = calloc(1, sizeof(*r) + (size_t)sets * WAYS * sizeof(struct entry));
	if (!r)
		return NULL;
	r->mask = sets - 1;
	return r;
}

void sr_replay_free(struct sr_replay *r)
{
	free(r);
}

uint64_t sr_replay_live_evictions(const struct sr_replay *r)
{
	return __atomic_load_n(&r->live_evictions, __ATOMIC_RELAXED);
}

bool sr_replay_accept(struct sr_replay *r, const struct sr_nonce_info *nonce, uint32_t nc, uint64_t now_ms,
		      uint64_t expire_ms)
{
	uint64_t h = (nonce->issued_ms * 0x9e3779b97f4a7c15ull) ^ (nonce->salt * 0xc2b2ae3d27d4eb4full);
	struct entry *set = &r->e[(size_t)((h >> 32) & r->mask) * WAYS];
	struct entry *victim = NULL; /* a free entry, else the one expiring first */
	for (int i = 0; i < WAYS; i++) {
		struct entry *x = &set[i];
		bool live = x->expire_ms > now_ms;
		if (live && x->issued_ms == nonce->issued_ms && x->salt == nonce->salt) {
			if (nc <= x->nc)
				return false;
			x->nc = nc;
			return true;
		}
		if (!victim || (victim->expire_ms > now_ms && (!live || x->expire_ms < victim->expire_ms)))
			victim = x;
	}
	if (victim->expire_ms > now_ms) /* read by the control side: one writer, relaxed */
		__atomic_store_n(&r->live_evictions, r->live_evictions + 1, __ATOMIC_RELAXED);
	*victim = (struct entry){ nonce->issued_ms, nonce->salt, expire_ms, nc };
	return true;
}
