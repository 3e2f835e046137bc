/*
 * loc_prefetch.c - the cache misses of a burst of requests, taken together
 * before the burst is processed (location.h, sr_loc_prefetch).
 *
 * At a million AoRs every request misses the cache on the table bucket,
 * the key store, the AoR record and its first binding: four dependent
 * misses, each a few hundred cycles, paid one request after another. Here
 * the whole burst's lookups go through rte_hash's bulk lookup (it fetches
 * every bucket first, then every key: the misses of one stage overlap),
 * then every record found is prefetched, then every first binding (the
 * second pass reads the records the first one fetched). Processing then
 * finds them in the cache. Nothing is kept: the table may change while the
 * burst is processed (a new AoR, a removal), so each request looks its AoR
 * up again as usual, cheaply now.
 *
 * The hashes are the registrar's owner hashes (sr_hash64 of the canonical
 * AoR); a table with another hash function (the tests' collisions) has
 * nothing to prefetch.
 */
#include "loc_internal.h"

#include <rte_prefetch.h>

unsigned sr_loc_prefetch(struct sr_loc *loc, const uint64_t *hashes, unsigned n)
{
	if (!sr_aor_table_default_hash(loc->table))
		return 0;
	unsigned found = 0;
	for (unsigned at = 0; at < n; at += SR_AOR_TABLE_BULK) {
		struct sr_aor *heads[SR_AOR_TABLE_BULK];
		unsigned k = n - at < SR_AOR_TABLE_BULK ? n - at : SR_AOR_TABLE_BULK;
		found += sr_aor_table_chains(loc->table, hashes + at, k, heads);
		for (unsigned i = 0; i < k; i++)
			if (heads[i])
				rte_prefetch0(heads[i]);
		for (unsigned i = 0; i < k; i++)
			if (heads[i] && heads[i]->bindings)
				rte_prefetch0(heads[i]->bindings);
	}
	return found;
}
