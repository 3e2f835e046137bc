/*
 * ctl_aorset.c - see ctl_aorset.h.
 *
 * Design decisions:
 * - Load at most one half, so a probe is short; the AoR bytes are copied
 *   (the events they come from are gone once drained).
 * - Deletion shifts the following entries of the cluster back instead of
 *   leaving tombstones: the set empties again after every resync, and
 *   tombstones would only pile up.
 */
#include "ctl_aorset.h"

#include <stdlib.h>
#include <string.h>

struct sr_ctl_aorset_slot {
	uint64_t h;
	char *aor; /* NULL: empty */
	size_t len;
};

void sr_ctl_aorset_init(struct sr_ctl_aorset *set)
{
	memset(set, 0, sizeof(*set));
}

void sr_ctl_aorset_fini(struct sr_ctl_aorset *set)
{
	for (size_t i = 0; i < set->cap; i++)
		free(set->s[i].aor);
	free(set->s);
	memset(set, 0, sizeof(*set));
}

/* The slot holding aor, or the empty slot where it would go. */
static size_t find(const struct sr_ctl_aorset *set, uint64_t h, struct sr_str aor)
{
	size_t i = h & (set->cap - 1);
	while (set->s[i].aor && !(set->s[i].h == h && set->s[i].len == aor.len &&
				  memcmp(set->s[i].aor, aor.p, aor.len) == 0))
		i = (i + 1) & (set->cap - 1);
	return i;
}

static int grow(struct sr_ctl_aorset *set)
{
	size_t cap = set->cap ? 2 * set->cap : 64;
	struct sr_ctl_aorset_slot *s = calloc(cap, sizeof(*s)), *old = set->s;
	if (!s)
		return -1;
	size_t old_cap = set->cap;
	set->s = s;
	set->cap = cap;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i].aor)
			s[find(set, old[i].h, sr_str_make(old[i].aor, old[i].len))] = old[i];
	free(old);
	return 0;
}

int sr_ctl_aorset_add(struct sr_ctl_aorset *set, struct sr_str aor)
{
	if (2 * (set->n + 1) > set->cap && grow(set) != 0)
		return -1;
	uint64_t h = sr_hash64(aor.p, aor.len);
	size_t i = find(set, h, aor);
	if (set->s[i].aor)
		return 0;
	char *copy = malloc(aor.len ? aor.len : 1);
	if (!copy)
		return -1;
	memcpy(copy, aor.p, aor.len);
	set->s[i] = (struct sr_ctl_aorset_slot){ h, copy, aor.len };
	set->n++;
	return 1;
}

bool sr_ctl_aorset_has(const struct sr_ctl_aorset *set, struct sr_str aor)
{
	return set->n && set->s[find(set, sr_hash64(aor.p, aor.len), aor)].aor;
}

bool sr_ctl_aorset_remove(struct sr_ctl_aorset *set, struct sr_str aor)
{
	if (!set->n)
		return false;
	size_t mask = set->cap - 1, i = find(set, sr_hash64(aor.p, aor.len), aor);
	if (!set->s[i].aor)
		return false;
	free(set->s[i].aor);
	set->s[i].aor = NULL;
	set->n--;
	/* backward shift: move each later entry of the cluster into the hole when its home allows */
	for (size_t j = (i + 1) & mask; set->s[j].aor; j = (j + 1) & mask) {
		size_t home = set->s[j].h & mask;
		if (((j - home) & mask) >= ((j - i) & mask)) {
			set->s[i] = set->s[j];
			set->s[j].aor = NULL;
			i = j;
		}
	}
	return true;
}
