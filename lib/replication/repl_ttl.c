/*
 * repl_ttl.c - the writer's knowledge of its AoR keys' TTLs (see repl_ttl.h).
 *
 * An entry is the hash's high 40 bits, then the TTL in hours in the low 24:
 * the hash's low bits (at most 22 of them) choose the set, so tag and set
 * never share a bit. The TTL is a bucket boundary (a whole hour), so
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
	while (n < entries && n < ((size_t)1 << HOURS_BITS))
		n <<= 1;
	t->slot = calloc(n, sizeof(*t->slot));
	t->mask = n / SR_REPL_TTL_WAYS - 1;
	return t->slot ? 0 : -1;
}

void sr_repl_ttl_fini(struct sr_repl_ttl *t)
{
	free(t->slot);
	t->slot = NULL;
}

void sr_repl_ttl_clear(struct sr_repl_ttl *t)
{
	memset(t->slot, 0, (t->mask + 1) * SR_REPL_TTL_WAYS * sizeof(*t->slot));
}

static uint64_t tag(uint64_t h)
{
	return h & ~HOURS_MASK;
}

/* The set of h, and in it h's entry (or NULL). */
static uint64_t *find(struct sr_repl_ttl *t, uint64_t h, uint64_t **set)
{
	*set = &t->slot[(h & t->mask) * SR_REPL_TTL_WAYS];
	for (unsigned i = 0; i < SR_REPL_TTL_WAYS; i++)
		if ((*set)[i] && tag((*set)[i]) == tag(h))
			return &(*set)[i];
	return NULL;
}

enum sr_repl_ttl_write sr_repl_ttl_put(struct sr_repl_ttl *t, uint64_t h, uint64_t ttl_s, uint64_t now_s)
{
	uint64_t *set, *e = find(t, h, &set);
	uint64_t want = ttl_s / SR_REPL_TTL_BUCKET_S;
	/* known only while its TTL has not passed (Redis may have deleted the key) */
	bool known = e && (*e & HOURS_MASK) * SR_REPL_TTL_BUCKET_S > now_s;
	if (known && (*e & HOURS_MASK) >= want)
		return SR_TTL_NONE;
	if (!e) { /* a free entry, else the one whose TTL ends first (the least likely to save a write) */
		e = &set[0];
		for (unsigned i = 1; i < SR_REPL_TTL_WAYS && *e; i++)
			if (!set[i] || (set[i] & HOURS_MASK) < (*e & HOURS_MASK))
				e = &set[i];
	}
	*e = tag(h) | (want & HOURS_MASK);
	return known ? SR_TTL_GT : SR_TTL_NEW;
}

void sr_repl_ttl_forget(struct sr_repl_ttl *t, uint64_t h)
{
	uint64_t *set, *e = find(t, h, &set);
	if (e)
		*e = 0;
}
