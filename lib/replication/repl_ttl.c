/*
 * repl_ttl.c - the writer's knowledge of its AoR keys' TTLs (see repl_ttl.h).
 *
 * An entry is the hash's high 40 bits, then the TTL in hours in the low 24:
 * the hash's low bits (at most 24 of them) choose the slot, so tag and
 * slot never share a bit. The TTL is a bucket boundary (a whole hour), so
 * hours lose nothing; 24 bits of hours reach the year 3800. 0 is an empty
 * slot (a TTL is never hour 0).
 */
#include "repl_ttl.h"

#include <stdlib.h>
#include <string.h>

#include "repl_layout.h"

#define HOURS_BITS 24
#define HOURS_MASK ((1ull << HOURS_BITS) - 1)

_Static_assert(SR_REPL_TTL_BUCKET_S == 3600, "entries keep TTLs in hours");

int sr_repl_ttl_init(struct sr_repl_ttl *t, size_t entries)
{
	size_t n = 1024;
	while (n < entries && n < (1u << HOURS_BITS))
		n <<= 1;
	t->slot = calloc(n, sizeof(*t->slot));
	t->mask = n - 1;
	return t->slot ? 0 : -1;
}

void sr_repl_ttl_fini(struct sr_repl_ttl *t)
{
	free(t->slot);
	t->slot = NULL;
}

void sr_repl_ttl_clear(struct sr_repl_ttl *t)
{
	memset(t->slot, 0, (t->mask + 1) * sizeof(*t->slot));
}

static uint64_t tag(uint64_t h)
{
	return h & ~HOURS_MASK;
}

enum sr_repl_ttl_write sr_repl_ttl_put(struct sr_repl_ttl *t, uint64_t h, uint64_t ttl_s, uint64_t now_s)
{
	uint64_t *e = &t->slot[h & t->mask];
	uint64_t want = ttl_s / SR_REPL_TTL_BUCKET_S;
	uint64_t had = *e & HOURS_MASK;
	/* known only if the entry is this key's and its TTL has not passed (the key may be gone) */
	bool known = *e && tag(*e) == tag(h) && had * SR_REPL_TTL_BUCKET_S > now_s;
	if (known && had >= want)
		return SR_TTL_NONE;
	*e = tag(h) | (want & HOURS_MASK);
	return known ? SR_TTL_GT : SR_TTL_NEW;
}

void sr_repl_ttl_forget(struct sr_repl_ttl *t, uint64_t h)
{
	uint64_t *e = &t->slot[h & t->mask];
	if (tag(*e) == tag(h))
		*e = 0;
}
