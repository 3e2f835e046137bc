/*
 * test_aor_table.c - the AoR table over rte_hash (EAL started once, no
 * hugepages).
 *
 * Insert/lookup/erase of many AoRs, the capacity limit (every one of
 * 'capacity' inserts succeeds, the next fails), slab exhaustion, the paging
 * walk (each AoR exactly once), forced 64-bit collisions (a constant hash
 * function puts every AoR in one chain: lookups and erasing head, middle
 * and tail stay right), and the AoR hash itself.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rte_malloc.h>
#include <rte_memory.h>

#include "aor_table.h"
#include "test_eal.h"

struct fixture {
	struct sr_slab slab;
	struct sr_aor_table *t;
};

static int setup_eal(void **state)
{
	(void)state;
	return sr_test_eal_init();
}

/* rte_hash names are global: every table of this process gets a new one. */
static const char *table_name(void)
{
	static char name[32];
	static unsigned seq;
	snprintf(name, sizeof(name), "test_aor_%u", seq++);
	return name;
}

static void open_table(struct fixture *f, uint32_t capacity, sr_aor_hash_fn *hash,
		       uint64_t slab_limit)
{
	/* Small chunks when the slab is limited, so the limit is reached in steps. */
	sr_slab_init(&f->slab, slab_limit ? 4096 : 0, slab_limit);
	struct sr_aor_table_params p = {
		.name = table_name(),
		.capacity = capacity,
		.socket_id = SOCKET_ID_ANY,
		.hash = hash,
		.slab = &f->slab,
	};
	f->t = sr_aor_table_create(&p);
	assert_non_null(f->t);
}

static void close_table(struct fixture *f)
{
	sr_aor_table_free(f->t);
	/* The table frees its AoR records. */
	assert_int_equal(f->slab.objects, 0);
	sr_slab_fini(&f->slab);
}

static struct sr_str aor_name(char *buf, size_t size, unsigned i)
{
	int n = snprintf(buf, size, "sip:user%u@example%u.com", i, i % 7);
	return sr_str_make(buf, (size_t)n);
}

static struct sr_aor *insert(struct fixture *f, unsigned i)
{
	char buf[64];
	struct sr_str s = aor_name(buf, sizeof(buf), i);
	return sr_aor_table_insert(f->t, s, sr_aor_table_hash(f->t, s));
}

static struct sr_aor *lookup(struct fixture *f, unsigned i)
{
	char buf[64];
	struct sr_str s = aor_name(buf, sizeof(buf), i);
	struct sr_aor *a = sr_aor_table_lookup(f->t, s, sr_aor_table_hash(f->t, s));
	if (a)
		assert_true(sr_str_eq(sr_aor_name(a), s));
	return a;
}

/* Parses i back from an AoR name built by aor_name(). */
static unsigned aor_index(const struct sr_aor *a)
{
	char buf[64];
	assert_true(a->len < sizeof(buf));
	memcpy(buf, a->name, a->len);
	buf[a->len] = '\0';
	unsigned i;
	assert_int_equal(sscanf(buf, "sip:user%u@", &i), 1);
	return i;
}

static void test_insert_lookup_erase_many(void **state)
{
	(void)state;
	enum { N = 20000 };
	struct fixture f;
	open_table(&f, N + 1, NULL, 0);
	for (unsigned i = 0; i < N; i++) {
		struct sr_aor *a = insert(&f, i);
		assert_non_null(a);
		assert_null(a->bindings);
		assert_int_equal(a->n_bindings, 0);
		char buf[64];
		struct sr_str s = aor_name(buf, sizeof(buf), i);
		assert_true(sr_str_eq(sr_aor_name(a), s));
	}
	assert_int_equal(sr_aor_table_count(f.t), N);
	for (unsigned i = 0; i < N; i++)
		assert_non_null(lookup(&f, i));
	/* A name longer than the 16-bit length field is refused. */
	char *huge = calloc(1, 65536);
	assert_non_null(huge);
	struct sr_str hs = sr_str_make(huge, 65536);
	assert_null(sr_aor_table_insert(f.t, hs, sr_aor_table_hash(f.t, hs)));
	free(huge);
	for (unsigned i = N; i < N + 1000; i++)
		assert_null(lookup(&f, i));
	/* Same hash, different name (a prefix): not found. */
	char buf[64];
	struct sr_str s = aor_name(buf, sizeof(buf), 5);
	assert_null(sr_aor_table_lookup(f.t, sr_str_make(s.p, s.len - 1),
					sr_aor_table_hash(f.t, s)));

	for (unsigned i = 0; i < N; i += 2)
		sr_aor_table_erase(f.t, lookup(&f, i));
	assert_int_equal(sr_aor_table_count(f.t), N / 2);
	for (unsigned i = 0; i < N; i++) {
		if (i % 2)
			assert_non_null(lookup(&f, i));
		else
			assert_null(lookup(&f, i));
	}
	assert_int_equal(f.slab.objects, N / 2);
	/* Erased AoRs can come back. */
	for (unsigned i = 0; i < N; i += 2)
		assert_non_null(insert(&f, i));
	assert_int_equal(sr_aor_table_count(f.t), N);
	close_table(&f);
}

/*
 * The bulk lookup the burst prefetch uses (sr_aor_table_chains) finds what
 * one lookup at a time finds: the chain head of each present hash, NULL for
 * the others, in order, and only up to SR_AOR_TABLE_BULK at once.
 */
static void test_chains_in_bulk(void **state)
{
	(void)state;
	enum { N = 100 };
	struct fixture f;
	open_table(&f, N, NULL, 0);
	for (unsigned i = 0; i < N; i += 2)
		assert_non_null(insert(&f, i));
	uint64_t hashes[SR_AOR_TABLE_BULK + 8];
	struct sr_aor *heads[SR_AOR_TABLE_BULK + 8];
	for (unsigned i = 0; i < SR_AOR_TABLE_BULK + 8; i++) {
		char buf[64];
		hashes[i] = sr_aor_table_hash(f.t, aor_name(buf, sizeof(buf), i));
		heads[i] = (struct sr_aor *)&f; /* must be overwritten, but only up to the bulk limit */
	}
	assert_int_equal(sr_aor_table_chains(f.t, hashes, SR_AOR_TABLE_BULK + 8, heads), SR_AOR_TABLE_BULK / 2);
	for (unsigned i = 0; i < SR_AOR_TABLE_BULK; i++)
		assert_ptr_equal(heads[i], i % 2 ? NULL : lookup(&f, i));
	assert_ptr_equal(heads[SR_AOR_TABLE_BULK], (struct sr_aor *)&f);
	assert_int_equal(sr_aor_table_chains(f.t, hashes, 0, heads), 0);
	assert_true(sr_aor_table_default_hash(f.t));
	close_table(&f);
}

/* Every one of 'capacity' inserts succeeds (even at a full power of two), the next fails. */
static void test_capacity(void **state)
{
	(void)state;
	static const uint32_t caps[] = { 1, 8, 1000, 1024, 1u << 17 };
	for (size_t c = 0; c < sizeof(caps) / sizeof(caps[0]); c++) {
		struct fixture f;
		open_table(&f, caps[c], NULL, 0);
		for (unsigned i = 0; i < caps[c]; i++)
			assert_non_null(insert(&f, i));
		assert_int_equal(sr_aor_table_count(f.t), caps[c]);
		assert_null(insert(&f, caps[c]));
		assert_int_equal(sr_aor_table_count(f.t), caps[c]);
		assert_int_equal(f.slab.objects, caps[c]); /* nothing leaked by the failure */
		sr_aor_table_erase(f.t, lookup(&f, 0));
		assert_non_null(insert(&f, caps[c]));
		for (unsigned i = 1; i <= caps[c]; i++)
			assert_non_null(lookup(&f, i));
		close_table(&f);
	}
}

static void test_slab_full(void **state)
{
	(void)state;
	struct fixture f;
	open_table(&f, 100000, NULL, 64 * 1024);
	unsigned n = 0;
	while (insert(&f, n))
		n++;
	assert_true(n > 100 && n < 100000);
	assert_int_equal(sr_aor_table_count(f.t), n);
	assert_null(lookup(&f, n));
	for (unsigned i = 0; i < n; i++)
		assert_non_null(lookup(&f, i));
	/* Freed memory is reused. */
	sr_aor_table_erase(f.t, lookup(&f, 0));
	assert_non_null(insert(&f, 0));
	close_table(&f);
}

struct seen {
	unsigned *count;
	unsigned n;
};

static void visit(struct sr_aor *a, void *ctx)
{
	struct seen *s = ctx;
	unsigned i = aor_index(a);
	assert_true(i < s->n);
	s->count[i]++;
}

/*
 * Walks the whole table 'max' at a time; checks each AoR is visited once.
 * A call may exceed 'max' only by visiting one chain longer than 'max'.
 */
static void walk_all(struct fixture *f, unsigned n, unsigned max, const bool *present,
		     unsigned longest_chain)
{
	struct seen s = { calloc(n, sizeof(unsigned)), n };
	assert_non_null(s.count);
	uint32_t cursor = 0;
	unsigned total = 0, calls = 0;
	do {
		unsigned got = sr_aor_table_walk(f->t, &cursor, max, visit, &s);
		assert_true(got <= max || got <= longest_chain);
		total += got;
		assert_true(++calls <= n + 1);
	} while (cursor != 0);
	assert_int_equal(total, sr_aor_table_count(f->t));
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(s.count[i], present ? present[i] : 1);
	free(s.count);
}

static void test_walk_pages(void **state)
{
	(void)state;
	enum { N = 5000 };
	struct fixture f;
	open_table(&f, N, NULL, 0);
	for (unsigned i = 0; i < N; i++)
		assert_non_null(insert(&f, i));
	walk_all(&f, N, 7, NULL, 1);
	walk_all(&f, N, 1, NULL, 1);
	walk_all(&f, N, N, NULL, 1);
	walk_all(&f, N, N + 10, NULL, 1);
	static bool present[N];
	for (unsigned i = 0; i < N; i++) {
		present[i] = i % 3 != 0;
		if (!present[i])
			sr_aor_table_erase(f.t, lookup(&f, i));
	}
	walk_all(&f, N, 100, present, 1);
	/* Exactly one page: the cursor ends at once, not on an extra call. */
	struct seen s = { calloc(N, sizeof(unsigned)), N };
	uint32_t cursor = 0;
	assert_int_equal(sr_aor_table_walk(f.t, &cursor, sr_aor_table_count(f.t), visit, &s),
			 sr_aor_table_count(f.t));
	assert_int_equal(cursor, 0);
	free(s.count);
	close_table(&f);

	/* An empty table. */
	open_table(&f, 10, NULL, 0);
	cursor = 0;
	assert_int_equal(sr_aor_table_walk(f.t, &cursor, 10, visit, NULL), 0);
	assert_int_equal(cursor, 0);
	close_table(&f);
}

/* --- forced collisions --- */

static uint64_t constant_hash(const char *aor, size_t len)
{
	(void)aor;
	(void)len;
	return 0x1234567890abcdefull;
}

/* Five chains: the hash is the user number mod 5. */
static uint64_t five_chains_hash(const char *aor, size_t len)
{
	char buf[64];
	assert_true(len < sizeof(buf));
	memcpy(buf, aor, len);
	buf[len] = '\0';
	unsigned i = 0;
	sscanf(buf, "sip:user%u@", &i);
	return i % 5;
}

/* The chain as linked, head first (the head is the one no other record points at). */
static unsigned chain_of(struct fixture *f, unsigned n, struct sr_aor **out)
{
	struct sr_aor *head = NULL;
	for (unsigned i = 0; i < n && !head; i++) {
		struct sr_aor *cand = lookup(f, i);
		if (!cand)
			continue;
		bool pointed = false;
		for (unsigned j = 0; j < n; j++) {
			struct sr_aor *o = lookup(f, j);
			if (o && o->next_same_hash == cand)
				pointed = true;
		}
		if (!pointed)
			head = cand;
	}
	unsigned len = 0;
	for (struct sr_aor *a = head; a; a = a->next_same_hash)
		out[len++] = a;
	return len;
}

static void check_present(struct fixture *f, unsigned n, const bool *present)
{
	unsigned count = 0;
	for (unsigned i = 0; i < n; i++) {
		if (present[i])
			assert_non_null(lookup(f, i));
		else
			assert_null(lookup(f, i));
		count += present[i];
	}
	assert_int_equal(sr_aor_table_count(f->t), count);
}

static void test_forced_collisions(void **state)
{
	(void)state;
	enum { N = 50 };
	struct fixture f;
	open_table(&f, 1000, constant_hash, 0);
	bool present[N];
	for (unsigned i = 0; i < N; i++) {
		assert_non_null(insert(&f, i));
		present[i] = true;
	}
	check_present(&f, N, present);
	struct sr_aor *chain[N];
	assert_int_equal(chain_of(&f, N, chain), N); /* one chain holds them all */
	walk_all(&f, N, 3, NULL, N); /* a chain is never split: one call, over 'max' */

	/* Erase the head, a middle record and the tail, checking everything after each. */
	struct sr_aor *victims[3];
	unsigned len = chain_of(&f, N, chain);
	victims[0] = chain[0];
	victims[1] = chain[len / 2];
	victims[2] = chain[len - 1];
	for (unsigned v = 0; v < 3; v++) {
		unsigned i = aor_index(victims[v]);
		sr_aor_table_erase(f.t, victims[v]);
		present[i] = false;
		check_present(&f, N, present);
		assert_int_equal(chain_of(&f, N, chain), sr_aor_table_count(f.t));
	}
	/* Down to nothing and back: the rte_hash entry goes away and returns. */
	for (unsigned i = 0; i < N; i++) {
		if (present[i]) {
			sr_aor_table_erase(f.t, lookup(&f, i));
			present[i] = false;
		}
	}
	check_present(&f, N, present);
	uint32_t cursor = 0;
	assert_int_equal(sr_aor_table_walk(f.t, &cursor, 10, visit, NULL), 0);
	assert_non_null(insert(&f, 7));
	present[7] = true;
	check_present(&f, N, present);
	close_table(&f);
}

static void test_collision_chains_walk_and_capacity(void **state)
{
	(void)state;
	enum { N = 200 };
	struct fixture f;
	open_table(&f, N, five_chains_hash, 0);
	for (unsigned i = 0; i < N; i++)
		assert_non_null(insert(&f, i));
	/* Capacity counts AoRs, not hashes. */
	assert_null(insert(&f, N));
	walk_all(&f, N, 45, NULL, 40); /* chains of 40: never two per call */
	walk_all(&f, N, 80, NULL, 40);
	walk_all(&f, N, 1000, NULL, 40);
	walk_all(&f, N, 10, NULL, 40); /* each call visits one whole chain */
	/* Paging with max below a chain: one chain per call, each exactly once. */
	struct seen s = { calloc(N, sizeof(unsigned)), N };
	uint32_t cursor = 0;
	unsigned calls = 0;
	do {
		assert_int_equal(sr_aor_table_walk(f.t, &cursor, 45, visit, &s), 40);
		calls++;
	} while (cursor);
	assert_int_equal(calls, 5);
	free(s.count);
	close_table(&f);
}

/* --- the hash --- */

static void test_aor_hash(void **state)
{
	(void)state;
	/* Stable across calls and buffers; the key is read only within its bytes. */
	const char *lit = "sip:alice@example.com";
	size_t len = strlen(lit);
	for (size_t off = 0; off < 8; off++) {
		char *exact = malloc(len + off);
		memcpy(exact + off, lit, len);
		assert_int_equal(sr_hash64(exact + off, len), sr_hash64(lit, len));
		free(exact);
	}
	/* Each byte and the length count, in short and long (multi-block) keys. */
	static char big[1000];
	memset(big, 'a', sizeof(big));
	const size_t lens[] = { 1, 3, 4, 5, 13, 255, 256, 257, 700, 1000 };
	for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
		size_t n = lens[l];
		char *k = malloc(n); /* exact size: ASan catches a read past the end */
		memcpy(k, big, n);
		uint64_t h = sr_hash64(k, n);
		assert_int_not_equal(h, sr_hash64(k, n - 1));
		k[0] = 'b';
		assert_int_not_equal(h, sr_hash64(k, n));
		k[0] = 'a';
		k[n - 1] = 'b';
		assert_int_not_equal(h, sr_hash64(k, n));
		k[n - 1] = 'a';
		assert_int_equal(h, sr_hash64(k, n));
		free(k);
	}
	/* Both 32-bit halves carry hash bits. */
	uint64_t or_hi = 0, or_lo = 0;
	for (unsigned i = 0; i < 64; i++) {
		char buf[64];
		struct sr_str s = aor_name(buf, sizeof(buf), i);
		uint64_t h = sr_hash64(s.p, s.len);
		or_hi |= h >> 32;
		or_lo |= h & 0xffffffffu;
	}
	assert_int_equal(or_hi, 0xffffffffu);
	assert_int_equal(or_lo, 0xffffffffu);
	assert_int_equal(sr_hash64("", 0), sr_hash64(NULL, 0));
}

static uint64_t dpdk_heap_used(void)
{
	uint64_t used = 0;
	for (unsigned i = 0; i < rte_socket_count(); i++) {
		struct rte_malloc_socket_stats st;
		if (rte_malloc_get_socket_stats(rte_socket_id_by_idx(i), &st) == 0)
			used += st.heap_allocsz_bytes;
	}
	return used;
}

/* Not a check: prints rte_hash heap use per AoR at a 1M capacity (the design target). */
static void test_report_memory_at_1m(void **state)
{
	(void)state;
	uint64_t before = dpdk_heap_used();
	struct fixture f;
	open_table(&f, 1u << 20, NULL, 0);
	uint64_t bytes = dpdk_heap_used() - before;
	printf("rte_hash for 1M AoRs: %.1f MiB of DPDK heap, %.1f bytes per AoR "
	       "(+ %zu-byte AoR record + name in the slab)\n",
	       (double)bytes / (1 << 20), (double)bytes / (1u << 20), sizeof(struct sr_aor));
	close_table(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_insert_lookup_erase_many),
		cmocka_unit_test(test_capacity),
		cmocka_unit_test(test_chains_in_bulk),
		cmocka_unit_test(test_slab_full),
		cmocka_unit_test(test_walk_pages),
		cmocka_unit_test(test_forced_collisions),
		cmocka_unit_test(test_collision_chains_walk_and_capacity),
		cmocka_unit_test(test_aor_hash),
		cmocka_unit_test(test_report_memory_at_1m),
	};
	return cmocka_run_group_tests(tests, setup_eal, NULL);
}
