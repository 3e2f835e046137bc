/*
 * ctl_aorset.h - a set of AoRs on the control core: the AoRs whose
 * in-memory bindings are being resynced from the store after a failed
 * commit (persist.c drops their events until the owner worker says the
 * resync is done).
 *
 * Keyed by the AoR's 64-bit hash (sr_hash64, the store key's first
 * half) and confirmed by the AoR's bytes, so two AoRs whose hashes collide
 * are two members. Open addressing with linear probing and backward-shift
 * deletion; grows by doubling (control core only: it may allocate).
 */
#ifndef SR_CTL_AORSET_H
#define SR_CTL_AORSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "location.h"

struct sr_ctl_aorset_slot;

struct sr_ctl_aorset {
	struct sr_ctl_aorset_slot *s;
	size_t cap, n;
};

void sr_ctl_aorset_init(struct sr_ctl_aorset *set);
void sr_ctl_aorset_fini(struct sr_ctl_aorset *set);
/* Adds aor; returns 1 when added, 0 when already there, -1 out of memory. */
int sr_ctl_aorset_add(struct sr_ctl_aorset *set, struct sr_str aor);
bool sr_ctl_aorset_has(const struct sr_ctl_aorset *set, struct sr_str aor);
/* Removes aor; returns whether it was there. */
bool sr_ctl_aorset_remove(struct sr_ctl_aorset *set, struct sr_str aor);

static inline size_t sr_ctl_aorset_count(const struct sr_ctl_aorset *set)
{
	return set->n;
}

#endif
