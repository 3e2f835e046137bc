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

#include <stdint.h>

#define SR_WAYS 4
#define SR_WAYS_MAX_ENTRIES (1u << 24) /* the largest table either owner accepts */

enum {
	SR_WAY_FREE = 0,         /* tier of a way holding nothing */
	SR_WAY_KEEP = UINT8_MAX, /* tier of a way that must not be replaced */
};

/* How a table ranks one of its ways for replacement (tiers between FREE and KEEP are the table's). */
struct sr_way_rank {
	uint8_t tier;
	uint64_t age_ms; /* within a tier, the lowest is replaced first */
};

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

/* The way a new address takes, by the replacement rule above; SR_WAYS when every way is kept. */
static inline unsigned sr_ways_victim(const struct sr_way_rank rank[SR_WAYS])
{
	unsigned v = SR_WAYS;
	for (unsigned i = 0; i < SR_WAYS; i++) {
		const struct sr_way_rank *r = &rank[i];
		if (r->tier == SR_WAY_FREE)
			return i;
		if (r->tier == SR_WAY_KEEP)
			continue;
		if (v == SR_WAYS || r->tier < rank[v].tier || (r->tier == rank[v].tier && r->age_ms < rank[v].age_ms))
			v = i;
	}
	return v;
}

#endif
