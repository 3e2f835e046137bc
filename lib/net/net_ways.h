/*
 * net_ways.h - the 4-way set-associative shape shared by the per-worker
 * tables keyed by an IPv4 address (net_flood's sources, net_neigh's
 * neighbours): how many sets a size asks for, which set an address falls
 * in, and which way of a set a new address takes. Each table keeps its own
 * entries and says how it ranks them; this holds only the shape and the
 * replacement rule, so the two tables cannot drift apart.
 *
 * Replacement rule: a new address takes the first free way of its set;
 * when none is free it replaces the way of the lowest tier, the oldest
 * (lowest age_ms) within a tier, the first of equals. A way ranked
 * SR_WAY_KEEP is never replaced; when every way is, there is no victim.
 */
#ifndef SR_NET_WAYS_H
#define SR_NET_WAYS_H

#include <stddef.h>
#include <stdint.h>

#define SR_WAYS 4
#define SR_WAYS_MAX_ENTRIES (1u << 24) /* the largest table either owner accepts */

enum {
	SR_WAY_FREE = 0,         /* tier of a way holding nothing */
	SR_WAY_KEEP = UINT8_MAX, /* tier of a way that must not be replaced */
};

/*
 * How a table ranks one of its ways for replacement: the tier (between FREE
 * and KEEP, the table's own) above the age, in one number, so that the
 * victim is the lowest (free is 0, kept is the largest and never chosen):
 * one compare per way. age_ms must stay below 2^56 (a millisecond clock
 * does for two million years); it is not checked, on a path every new
 * address of a flood takes.
 */
static inline uint64_t sr_way_rank(uint8_t tier, uint64_t age_ms)
{
	if (tier == SR_WAY_FREE)
		return 0;
	if (tier == SR_WAY_KEEP)
		return UINT64_MAX;
	return (uint64_t)tier << 56 | age_ms;
}

/* The number of sets holding at least entries (a power of two, at least 1: at least SR_WAYS entries). */
static inline uint32_t sr_ways_sets(uint32_t entries)
{
	uint32_t sets = 1;
	while (sets * SR_WAYS < entries)
		sets <<= 1;
	return sets;
}

/* The set of ip (any byte order) among set_mask + 1 sets: a Fibonacci hash, so near addresses spread. */
static inline uint32_t sr_ways_set(uint32_t ip, uint32_t set_mask)
{
	return (uint32_t)(((uint64_t)ip * 0x9e3779b97f4a7c15u) >> 32) & set_mask;
}

/*
 * The way a new address takes, by the replacement rule above, among the
 * SR_WAYS ways of way_size bytes at set, ranked by rank(way, arg); SR_WAYS
 * when every way is kept. Inlined with the table's rank, it is one loop
 * over the set with nothing stored; it stops at the first free way.
 */
static inline unsigned sr_ways_victim(const void *set, size_t way_size, uint64_t (*rank)(const void *way, uint64_t arg),
				      uint64_t arg)
{
	unsigned v = SR_WAYS;
	uint64_t lowest = UINT64_MAX;
	for (unsigned i = 0; i < SR_WAYS; i++) {
		uint64_t r = rank((const char *)set + i * way_size, arg);
		if (r == 0)
			return i; /* free */
		if (r < lowest) {
			lowest = r;
			v = i;
		}
	}
	return v;
}

#endif
