/*
 * aor_table.h - one shard's location table: canonical AoR -> AoR record.
 *
 * Keys are variable-length strings but rte_hash wants fixed-size keys, so
 * the table is keyed by the AoR's 64-bit hash and each entry points at a
 * chain of AoR records with that hash; the chain compares the full AoR
 * bytes, so two AoRs whose hashes collide stay distinct (tests force it with
 * a constant hash function). rte_hash gives us a cache-friendly cuckoo table
 * with a fixed capacity decided at start (no rehash pauses at run time).
 */
#ifndef SR_AOR_TABLE_H
#define SR_AOR_TABLE_H

#include <stdint.h>

#include "binding.h"

typedef uint64_t sr_aor_hash_fn(const char *aor, size_t len);

/*
 * The project's fixed-seed 64-bit hash of a byte string: the AoR table's
 * default, worker ownership of AoRs, and any unkeyed 64-bit digest (Call-IDs,
 * branches, instance ids). Not keyed: never for values an attacker must not
 * predict (those use SipHash, siphash.h).
 */
uint64_t sr_hash64(const char *bytes, size_t len);

struct sr_aor_table_params {
	const char *name;       /* unique per process (rte_hash names are global) */
	uint32_t capacity;      /* maximum number of AoRs (so also of distinct AoR hashes) */
	int socket_id;          /* NUMA socket for the table memory (SOCKET_ID_ANY is fine) */
	sr_aor_hash_fn *hash;   /* NULL: sr_hash64 */
	struct sr_slab *slab;   /* where AoR records are allocated */
};

struct sr_aor_table;

/* Needs the DPDK EAL to be initialised (rte_hash lives in DPDK memory). NULL on failure. */
struct sr_aor_table *sr_aor_table_create(const struct sr_aor_table_params *p);
/* Frees the table and its AoR records (bindings must have been freed by the owner). */
void sr_aor_table_free(struct sr_aor_table *t);

uint64_t sr_aor_table_hash(const struct sr_aor_table *t, struct sr_str aor);
/* The same when the caller has sr_hash64 of aor already (h64): taken when that is the table's hash. */
uint64_t sr_aor_table_hash_known(const struct sr_aor_table *t, struct sr_str aor, uint64_t h64);
struct sr_aor *sr_aor_table_lookup(struct sr_aor_table *t, struct sr_str aor, uint64_t hash);
/* Adds an empty AoR record; NULL when the table or the slab is full. The AoR must not exist. */
struct sr_aor *sr_aor_table_insert(struct sr_aor_table *t, struct sr_str aor, uint64_t hash);
/* Removes and frees an AoR record that has no bindings left. */
void sr_aor_table_erase(struct sr_aor_table *t, struct sr_aor *a);
uint32_t sr_aor_table_count(const struct sr_aor_table *t);

/* The AoRs whose 64-bit hash is 'hash' (a chain through next_same_hash; NULL when none). */
struct sr_aor *sr_aor_table_chain(struct sr_aor_table *t, uint64_t hash);

/*
 * The chains of n hashes at once (heads[i] NULL when none), n at most
 * SR_AOR_TABLE_BULK: rte_hash's bulk lookup fetches their buckets and keys
 * side by side, so their cache misses overlap. Returns how many were found.
 */
#define SR_AOR_TABLE_BULK 32
unsigned sr_aor_table_chains(struct sr_aor_table *t, const uint64_t *hashes, unsigned n, struct sr_aor **heads);
/* Whether the table hashes with sr_hash64 (tests may give their own function). */
bool sr_aor_table_default_hash(const struct sr_aor_table *t);

/*
 * Visits AoRs in table order starting at *cursor (0 to begin), at most
 * 'max' of them; *cursor is updated to resume and becomes 0 at the end.
 * AoRs whose 64-bit hashes collide are visited in one call: a call exceeds
 * 'max' only when such a chain alone is longer than 'max'.
 * Used by dumps; the table must not change during one call.
 */
typedef void sr_aor_visit_fn(struct sr_aor *a, void *ctx);
unsigned sr_aor_table_walk(struct sr_aor_table *t, uint32_t *cursor, unsigned max,
			   sr_aor_visit_fn *fn, void *ctx);

#endif
