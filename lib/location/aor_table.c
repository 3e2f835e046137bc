/*
 * aor_table.c - canonical AoR -> AoR record, on top of rte_hash.
 *
 * Design decisions:
 * - The record does not keep its 64-bit hash: erase, the only place that
 *   needs it without the caller's help, recomputes it from the name.
 * - rte_hash keys are the 8-byte AoR hash; the data pointer is the head of
 *   a chain (next_same_hash) of AoR records sharing that hash. A lookup
 *   compares length and bytes along the chain, so a 64-bit collision costs
 *   one more comparison, never a wrong answer. A colliding AoR is linked
 *   second in the chain, so inserting it does not touch rte_hash at all.
 * - The 64-bit hash already is uniformly distributed, so rte_hash's own
 *   32-bit hash is a fold of it (no second pass of jhash over the key); we
 *   pass it explicitly through the *_with_hash calls.
 * - Capacity: the table is created with RTE_HASH_EXTRA_FLAGS_EXT_TABLE, so
 *   rte_hash accepts every one of 'entries' keys (a plain cuckoo table may
 *   refuse a key before it is full). Capacity is counted in AoR records by
 *   us; since every key has at least one record, rte_hash never holds more
 *   keys than records and inserts within capacity cannot fail.
 * - One owner thread: no multi-writer or RW-concurrency flags, no locks.
 * - sr_hash64 hashes with rte_jhash_2hashes, whose two 32-bit outputs
 *   make the 64-bit hash. jhash reads the key as 32-bit words, past its end
 *   and unaligned; to stay clean under ASan/UBSan and on strict-alignment
 *   CPUs the key is copied block by block into an aligned, zero-padded
 *   buffer (the padding is masked off by jhash, so the result is jhash of
 *   the bytes). Keys longer than one block chain the blocks through the two
 *   seeds. The seeds are fixed: the hash decides shard ownership and must be
 *   the same in every process and after every restart.
 */
#include "aor_table.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_hash.h>
#include <rte_jhash.h>

#define AOR_HASH_BLOCK 256u
#define AOR_HASH_SEED_C 0x5e1f0a12u
#define AOR_HASH_SEED_B 0x2b7e1516u
/* rte_hash refuses fewer entries than one bucket holds (8). */
#define AOR_TABLE_MIN_ENTRIES 8u

struct sr_aor_table {
	struct rte_hash *h;
	sr_aor_hash_fn *hash;
	struct sr_slab *slab;
	uint32_t capacity;
	uint32_t count; /* AoR records */
};

uint64_t sr_hash64(const char *aor, size_t len)
{
	uint32_t c = AOR_HASH_SEED_C, b = AOR_HASH_SEED_B;
	union {
		uint32_t w[AOR_HASH_BLOCK / 4];
		char bytes[AOR_HASH_BLOCK];
	} buf;
	do {
		size_t n = len < AOR_HASH_BLOCK ? len : AOR_HASH_BLOCK;
		/* Zero the word holding the tail so no uninitialised byte is read. */
		if (n % 4)
			buf.w[n / 4] = 0;
		if (n)
			memcpy(buf.bytes, aor, n);
		rte_jhash_2hashes(buf.w, (uint32_t)n, &c, &b);
		if (n) /* aor may be NULL when len is 0: NULL + 0 is undefined behaviour too */
			aor += n;
		len -= n;
	} while (len);
	return ((uint64_t)c << 32) | b;
}

/* rte_hash's 32-bit signature of our 8-byte key: the key is a hash already. */
static inline uint32_t fold64(uint64_t k)
{
	return (uint32_t)(k ^ (k >> 32));
}

static uint32_t key_fold(const void *key, uint32_t key_len, uint32_t init_val)
{
	(void)key_len;
	(void)init_val;
	uint64_t k;
	memcpy(&k, key, sizeof(k));
	return fold64(k);
}

static inline size_t aor_size(size_t len)
{
	return sizeof(struct sr_aor) + len;
}

static inline bool aor_is(const struct sr_aor *a, struct sr_str name)
{
	return a->len == name.len && memcmp(a->name, name.p, name.len) == 0;
}

/* Head of the chain for 'hash', or NULL. */
static struct sr_aor *chain_head(const struct sr_aor_table *t, uint64_t hash)
{
	void *data;
	if (rte_hash_lookup_with_hash_data(t->h, &hash, fold64(hash), &data) < 0)
		return NULL;
	return data;
}

/* Points the rte_hash entry for 'hash' at 'head' (adds or updates it). */
static int chain_set_head(struct sr_aor_table *t, uint64_t hash, struct sr_aor *head)
{
	return rte_hash_add_key_with_hash_data(t->h, &hash, fold64(hash), head);
}

struct sr_aor_table *sr_aor_table_create(const struct sr_aor_table_params *p)
{
	struct sr_aor_table *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	char name[RTE_HASH_NAMESIZE];
	snprintf(name, sizeof(name), "%s", p->name ? p->name : "sr_aor");
	uint32_t entries = p->capacity;
	if (entries < AOR_TABLE_MIN_ENTRIES)
		entries = AOR_TABLE_MIN_ENTRIES;
	struct rte_hash_parameters hp = {
		.name = name,
		.entries = entries,
		.key_len = sizeof(uint64_t),
		.hash_func = key_fold,
		.hash_func_init_val = 0,
		.socket_id = p->socket_id,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};
	t->h = rte_hash_create(&hp);
	if (!t->h) {
		free(t);
		return NULL;
	}
	t->hash = p->hash ? p->hash : sr_hash64;
	t->slab = p->slab;
	t->capacity = p->capacity;
	return t;
}

static void free_chain(struct sr_aor_table *t, struct sr_aor *a)
{
	while (a) {
		struct sr_aor *next = a->next_same_hash;
		sr_slab_free(t->slab, a, aor_size(a->len));
		a = next;
	}
}

void sr_aor_table_free(struct sr_aor_table *t)
{
	if (!t)
		return;
	const void *key;
	void *data;
	uint32_t it = 0;
	while (rte_hash_iterate(t->h, &key, &data, &it) >= 0)
		free_chain(t, data);
	rte_hash_free(t->h);
	free(t);
}

uint64_t sr_aor_table_hash(const struct sr_aor_table *t, struct sr_str aor)
{
	return t->hash(aor.p, aor.len);
}

uint64_t sr_aor_table_hash_known(const struct sr_aor_table *t, struct sr_str aor, uint64_t h64)
{
	return sr_aor_table_default_hash(t) ? h64 : t->hash(aor.p, aor.len); /* tests force collisions with their own */
}

/* The record named 'aor' in the chain starting at 'a', or NULL. */
static struct sr_aor *chain_find(struct sr_aor *a, struct sr_str aor)
{
	while (a && !aor_is(a, aor))
		a = a->next_same_hash;
	return a;
}

struct sr_aor *sr_aor_table_lookup(struct sr_aor_table *t, struct sr_str aor, uint64_t hash)
{
	return chain_find(chain_head(t, hash), aor);
}

struct sr_aor *sr_aor_table_chain(struct sr_aor_table *t, uint64_t hash)
{
	return chain_head(t, hash);
}

unsigned sr_aor_table_chains(struct sr_aor_table *t, const uint64_t *hashes, unsigned n, struct sr_aor **heads)
{
	const void *keys[SR_AOR_TABLE_BULK];
	hash_sig_t sigs[SR_AOR_TABLE_BULK];
	void *data[SR_AOR_TABLE_BULK];
	uint64_t hit = 0;
	if (n > SR_AOR_TABLE_BULK)
		n = SR_AOR_TABLE_BULK;
	for (unsigned i = 0; i < n; i++) {
		keys[i] = &hashes[i];
		sigs[i] = fold64(hashes[i]);
	}
	int found = n ? rte_hash_lookup_with_hash_bulk_data(t->h, keys, sigs, n, &hit, data) : 0;
	for (unsigned i = 0; i < n; i++)
		heads[i] = (hit >> i) & 1 ? data[i] : NULL;
	return found > 0 ? (unsigned)found : 0;
}

bool sr_aor_table_default_hash(const struct sr_aor_table *t)
{
	return t->hash == sr_hash64;
}

struct sr_aor *sr_aor_table_insert(struct sr_aor_table *t, struct sr_str aor, uint64_t hash)
{
	if (t->count >= t->capacity || aor.len > UINT16_MAX)
		return NULL;
	struct sr_aor *head = chain_head(t, hash);
	/* the chain it has already, not a second rte_hash lookup (asserts stay on in release builds) */
	assert(!chain_find(head, aor) && "sr_aor_table_insert: AoR exists");
	struct sr_aor *a = sr_slab_alloc(t->slab, aor_size(aor.len));
	if (!a)
		return NULL;
	*a = (struct sr_aor){ .len = (uint16_t)aor.len };
	if (aor.len)
		memcpy(a->name, aor.p, aor.len);
	if (head) {
		a->next_same_hash = head->next_same_hash;
		head->next_same_hash = a;
	} else if (chain_set_head(t, hash, a) < 0) {
		sr_slab_free(t->slab, a, aor_size(aor.len));
		return NULL;
	}
	t->count++;
	return a;
}

void sr_aor_table_erase(struct sr_aor_table *t, struct sr_aor *a)
{
	assert(a->bindings == NULL && a->n_bindings == 0);
	uint64_t hash = t->hash(a->name, a->len); /* not kept in the record (binding.h) */
	struct sr_aor *head = chain_head(t, hash);
	assert(head && "sr_aor_table_erase: AoR not in the table");
	if (head == a) {
		/* Updating or deleting an existing key cannot fail. */
		int rc = a->next_same_hash ? chain_set_head(t, hash, a->next_same_hash)
					   : rte_hash_del_key_with_hash(t->h, &hash, fold64(hash));
		assert(rc >= 0);
		(void)rc;
	} else {
		struct sr_aor *prev = head;
		while (prev && prev->next_same_hash != a)
			prev = prev->next_same_hash;
		assert(prev && "sr_aor_table_erase: AoR not in its chain");
		if (!prev)
			return;
		prev->next_same_hash = a->next_same_hash;
	}
	t->count--;
	sr_slab_free(t->slab, a, aor_size(a->len));
}

uint32_t sr_aor_table_count(const struct sr_aor_table *t)
{
	return t->count;
}

static unsigned chain_length(const struct sr_aor *a)
{
	unsigned n = 0;
	for (; a; a = a->next_same_hash)
		n++;
	return n;
}

/*
 * Chains are visited whole so that the cursor (rte_hash's iterator) never
 * needs to point inside one: a chain that does not fit in what is left of
 * 'max' is left for the next call, unless it is the first of this call (a
 * chain longer than 'max' would otherwise never be visited).
 */
unsigned sr_aor_table_walk(struct sr_aor_table *t, uint32_t *cursor, unsigned max,
			   sr_aor_visit_fn *fn, void *ctx)
{
	unsigned done = 0;
	const void *key;
	void *data;
	while (done < max) {
		uint32_t here = *cursor;
		if (rte_hash_iterate(t->h, &key, &data, cursor) < 0) {
			*cursor = 0;
			return done;
		}
		struct sr_aor *a = data;
		if (done > 0 && done + chain_length(a) > max) {
			*cursor = here; /* not this time */
			return done;
		}
		while (a) {
			struct sr_aor *next = a->next_same_hash;
			fn(a, ctx);
			done++;
			a = next;
		}
	}
	/* Report the end now rather than on an extra, empty call. */
	uint32_t here = *cursor;
	*cursor = rte_hash_iterate(t->h, &key, &data, cursor) < 0 ? 0 : here;
	return done;
}
