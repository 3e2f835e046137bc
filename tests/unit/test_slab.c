/*
 * test_slab.c - the size-class allocator, and the binding object built on it.
 *
 * Slab: rounding to classes, LIFO reuse of freed objects within a class,
 * chunk tails recycled, large objects, the limit, exact accounting, no
 * overlap between live objects under random churn, and (under ASan) that
 * freed memory and the rounding slack are poisoned.
 * Binding (here because a binding is exactly one slab object and has no
 * test executable of its own): field round trip, empty fields, field length
 * limit, out of memory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

#include "binding.h"
#include "slab.h"

#define SMALL_CHUNK 4096u

static size_t rounded(size_t n)
{
	return n == 0 ? SR_SLAB_GRAIN : (n + SR_SLAB_GRAIN - 1) / SR_SLAB_GRAIN * SR_SLAB_GRAIN;
}

static void test_sizes_round_to_classes(void **state)
{
	(void)state;
	struct sr_slab s;
	sr_slab_init(&s, 0, 0);
	const size_t sizes[] = { 0, 1, 15, 16, 17, 31, 32, 100, 2047, SR_SLAB_MAX_OBJ };
	void *p[sizeof(sizes) / sizeof(sizes[0])];
	uint64_t want = 0;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		p[i] = sr_slab_alloc(&s, sizes[i]);
		assert_non_null(p[i]);
		assert_int_equal((uintptr_t)p[i] % SR_SLAB_GRAIN, 0);
		memset(p[i], (int)i, sizes[i]);
		want += rounded(sizes[i]);
		assert_int_equal(s.bytes_in_use, want);
		assert_int_equal(s.objects, i + 1);
	}
	/* Fresh objects are carved back to back: each takes exactly its rounded size. */
	assert_int_equal((char *)p[1] - (char *)p[0], rounded(sizes[0]));
	assert_int_equal((char *)p[4] - (char *)p[3], rounded(sizes[3]));
	assert_int_equal((char *)p[5] - (char *)p[4], rounded(sizes[4]));
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (size_t j = 0; j < sizes[i]; j++)
			assert_int_equal(((unsigned char *)p[i])[j], (unsigned char)i);
		sr_slab_free(&s, p[i], sizes[i]);
	}
	assert_int_equal(s.bytes_in_use, 0);
	assert_int_equal(s.objects, 0);
	sr_slab_fini(&s);
}

static void test_freed_object_reused_by_its_class(void **state)
{
	(void)state;
	struct sr_slab s;
	sr_slab_init(&s, 0, 0);
	void *a = sr_slab_alloc(&s, 41); /* class of 48 bytes */
	void *b = sr_slab_alloc(&s, 48);
	assert_non_null(a);
	assert_non_null(b);
	uint64_t reserved = s.bytes_reserved;
	sr_slab_free(&s, a, 41);
	sr_slab_free(&s, b, 48);
	/* Another class does not get them. */
	void *c = sr_slab_alloc(&s, 49);
	assert_ptr_not_equal(c, a);
	assert_ptr_not_equal(c, b);
	/* Same class, any size inside it: LIFO. */
	assert_ptr_equal(sr_slab_alloc(&s, 42), b);
	assert_ptr_equal(sr_slab_alloc(&s, 47), a);
	assert_int_equal(s.bytes_reserved, reserved);
	assert_int_equal(s.objects, 3);
	assert_int_equal(s.bytes_in_use, 48 + 48 + rounded(49));
	sr_slab_fini(&s);
}

static void test_new_chunks_and_recycled_tail(void **state)
{
	(void)state;
	struct sr_slab s;
	sr_slab_init(&s, SMALL_CHUNK, 0);
	/* Fill most of the first chunk, then ask for more than its tail. */
	void *first = sr_slab_alloc(&s, 1024);
	assert_non_null(first);
	uint64_t one_chunk = s.bytes_reserved;
	assert_true(one_chunk > 0 && one_chunk < SMALL_CHUNK);
	size_t used = 1024;
	while (one_chunk - used >= 2048) {
		assert_non_null(sr_slab_alloc(&s, 1024));
		used += 1024;
	}
	size_t tail = one_chunk - used; /* below 2048, a multiple of the grain */
	assert_true(tail > 0 && tail % SR_SLAB_GRAIN == 0);
	assert_non_null(sr_slab_alloc(&s, 2048));
	assert_int_equal(s.bytes_reserved, 2 * one_chunk);
	/* The old tail is served to its class without reserving anything. */
	char *t = sr_slab_alloc(&s, tail);
	assert_non_null(t);
	assert_true(t >= (char *)first && t < (char *)first + one_chunk);
	assert_int_equal(s.bytes_reserved, 2 * one_chunk);
	sr_slab_fini(&s);
	assert_int_equal(s.bytes_reserved, 0);
	assert_null(s.chunks);
}

static void test_large_objects(void **state)
{
	(void)state;
	struct sr_slab s;
	sr_slab_init(&s, SMALL_CHUNK, 0);
	char *big = sr_slab_alloc(&s, SR_SLAB_MAX_OBJ + 1);
	assert_non_null(big);
	assert_int_equal((uintptr_t)big % SR_SLAB_GRAIN, 0);
	assert_int_equal(s.bytes_reserved, rounded(SR_SLAB_MAX_OBJ + 1));
	assert_int_equal(s.bytes_in_use, rounded(SR_SLAB_MAX_OBJ + 1));
	memset(big, 'x', SR_SLAB_MAX_OBJ + 1);
	char *huge = sr_slab_alloc(&s, 100000);
	assert_non_null(huge);
	memset(huge, 'y', 100000);
	assert_int_equal(s.objects, 2);
	sr_slab_free(&s, big, SR_SLAB_MAX_OBJ + 1);
	/* Large objects give their memory back at once. */
	assert_int_equal(s.bytes_reserved, rounded(100000));
	assert_int_equal(s.bytes_in_use, rounded(100000));
	assert_int_equal(s.objects, 1);
	/* 'huge' is still live: sr_slab_fini must release it (LeakSanitizer checks). */
	sr_slab_fini(&s);
	assert_int_equal(s.bytes_reserved, 0);
	assert_int_equal(s.objects, 0);
}

static void test_limit(void **state)
{
	(void)state;
	struct sr_slab s;
	sr_slab_init(&s, SMALL_CHUNK, 3 * SMALL_CHUNK);
	void *last = NULL;
	unsigned n = 0;
	for (;;) {
		void *p = sr_slab_alloc(&s, 256);
		if (!p)
			break;
		last = p;
		n++;
		assert_true(n < 1000);
	}
	assert_true(n >= 2 * (SMALL_CHUNK / 256) - 2); /* at least two chunks were usable */
	assert_true(s.bytes_reserved <= s.limit);
	assert_int_equal(s.objects, n);
	/* Past the limit: no large object either, and a failure changes nothing. */
	uint64_t in_use = s.bytes_in_use, reserved = s.bytes_reserved;
	assert_null(sr_slab_alloc(&s, SR_SLAB_MAX_OBJ + 1));
	assert_int_equal(s.bytes_in_use, in_use);
	assert_int_equal(s.bytes_reserved, reserved);
	/* A freed object can be handed out again at the limit. */
	sr_slab_free(&s, last, 256);
	assert_ptr_equal(sr_slab_alloc(&s, 256), last);
	sr_slab_fini(&s);

	/* A large object alone is measured against the limit too. */
	sr_slab_init(&s, SMALL_CHUNK, 10000);
	assert_null(sr_slab_alloc(&s, 10001));
	assert_non_null(sr_slab_alloc(&s, 9000));
	sr_slab_fini(&s);
}

struct obj {
	unsigned char *p;
	size_t size;
	unsigned seed;
};

static void fill(struct obj *o, unsigned seed)
{
	o->seed = seed;
	for (size_t i = 0; i < o->size; i++)
		o->p[i] = (unsigned char)(seed + i * 7);
}

static void check(const struct obj *o)
{
	for (size_t i = 0; i < o->size; i++)
		assert_int_equal(o->p[i], (unsigned char)(o->seed + i * 7));
}

/* Every live object keeps its own bytes while others are freed and reallocated. */
static void test_random_churn_no_overlap(void **state)
{
	(void)state;
	enum { N = 3000, ROUNDS = 6 };
	static struct obj objs[N];
	struct sr_slab s;
	sr_slab_init(&s, SMALL_CHUNK, 0);
	srand(12345);
	uint64_t in_use = 0;
	unsigned seed = 0;
	for (unsigned i = 0; i < N; i++) {
		objs[i].size = (size_t)(rand() % 3000); /* some above SR_SLAB_MAX_OBJ */
		objs[i].p = sr_slab_alloc(&s, objs[i].size);
		assert_non_null(objs[i].p);
		fill(&objs[i], seed++);
		in_use += rounded(objs[i].size);
	}
	for (unsigned r = 0; r < ROUNDS; r++) {
		/* Free and reallocate a random half, filling the new objects. */
		for (unsigned i = 0; i < N; i++) {
			if (rand() % 2)
				continue;
			check(&objs[i]);
			sr_slab_free(&s, objs[i].p, objs[i].size);
			in_use -= rounded(objs[i].size);
			objs[i].size = (size_t)(rand() % 3000);
			objs[i].p = sr_slab_alloc(&s, objs[i].size);
			assert_non_null(objs[i].p);
			fill(&objs[i], seed++);
			in_use += rounded(objs[i].size);
		}
		for (unsigned i = 0; i < N; i++)
			check(&objs[i]);
		assert_int_equal(s.objects, N);
		assert_int_equal(s.bytes_in_use, in_use);
		assert_true(s.bytes_reserved >= s.bytes_in_use);
	}
	sr_slab_fini(&s);
}

static void test_freed_memory_is_poisoned(void **state)
{
	(void)state;
#if defined(__SANITIZE_ADDRESS__)
	struct sr_slab s;
	sr_slab_init(&s, 0, 0);
	char *p = sr_slab_alloc(&s, 20);
	char *q = sr_slab_alloc(&s, 64);
	assert_false(__asan_address_is_poisoned(p + 19));
	assert_true(__asan_address_is_poisoned(p + 20)); /* rounding slack */
	assert_true(__asan_address_is_poisoned(q + 64)); /* not yet carved */
	sr_slab_free(&s, p, 20);
	assert_true(__asan_address_is_poisoned(p));
	assert_true(__asan_address_is_poisoned(p + 8));
	p = sr_slab_alloc(&s, 32);
	assert_false(__asan_address_is_poisoned(p + 31));
	sr_slab_fini(&s);
#else
	skip();
#endif
}

/* --- binding --- */

static void make_fields(struct sr_str f[SR_BF_COUNT])
{
	f[SR_BF_CONTACT] = SR_STR_LIT("sip:alice@192.0.2.10:5060;transport=udp");
	f[SR_BF_PARAMS] = SR_STR_LIT(";+sip.instance=\"<urn:uuid:1>\";reg-id=1");
	f[SR_BF_CALL_ID] = SR_STR_LIT("a84b4c76e66710@pc33.example.com");
	f[SR_BF_PATH] = SR_STR_NULL;
	f[SR_BF_USER_AGENT] = SR_STR_LIT("softphone/1.0");
	f[SR_BF_INSTANCE] = SR_STR_LIT("<urn:uuid:1>");
	f[SR_BF_PN_KEY] = sr_str_make("apns\0prid\0param", 15);
	f[SR_BF_PN_PARAMS] = sr_str_make("pn-provider\0apns\0pn-prid\0prid\0", 28);
}

static void test_binding_round_trip(void **state)
{
	(void)state;
	struct sr_slab s;
	sr_slab_init(&s, 0, 0);
	struct sr_str f[SR_BF_COUNT];
	make_fields(f);
	size_t want = offsetof(struct sr_binding, data);
	for (int i = 0; i < SR_BF_COUNT; i++)
		want += f[i].len;
	assert_int_equal(sr_binding_size_for(f), want);

	/* Dirty recycled memory must not leak into the new binding. */
	void *dirty = sr_slab_alloc(&s, want);
	memset(dirty, 0xa5, want);
	sr_slab_free(&s, dirty, want);

	struct sr_binding *b = sr_binding_new(&s, f);
	assert_ptr_equal(b, dirty);
	assert_int_equal(sr_binding_size(b), want);
	for (int i = 0; i < SR_BF_COUNT; i++) {
		struct sr_str got = sr_binding_field(b, (enum sr_bfield)i);
		assert_true(sr_str_eq(got, f[i]));
		assert_true(got.p >= b->data && got.p + got.len <= b->data + (want - offsetof(struct sr_binding, data)));
	}
	assert_false(sr_tw_armed(&b->timer));
	assert_int_equal(b->timer.expires, 0);
	assert_null(b->next);
	assert_null(b->aor);
	assert_int_equal(b->branch_hash, 0);
	assert_int_equal(b->cseq, 0);
	assert_int_equal(b->src_ip, 0);
	assert_int_equal(b->src_port, 0);
	assert_int_equal(b->q, 0);
	assert_int_equal(b->reg_id, 0);
	assert_int_equal(b->registered_at, 0);
	assert_int_equal(b->flags, 0);
	assert_int_equal(s.bytes_in_use, rounded(want));
	sr_binding_delete(&s, b);
	assert_int_equal(s.bytes_in_use, 0);
	assert_int_equal(s.objects, 0);
	sr_slab_fini(&s);
}

static void test_binding_empty_fields(void **state)
{
	(void)state;
	struct sr_slab s;
	sr_slab_init(&s, 0, 0);
	struct sr_str f[SR_BF_COUNT];
	for (int i = 0; i < SR_BF_COUNT; i++)
		f[i] = SR_STR_NULL;
	struct sr_binding *b = sr_binding_new(&s, f);
	assert_non_null(b);
	assert_int_equal(sr_binding_size(b), offsetof(struct sr_binding, data));
	for (int i = 0; i < SR_BF_COUNT; i++)
		assert_int_equal(sr_binding_field(b, (enum sr_bfield)i).len, 0);
	sr_binding_delete(&s, b);

	/* Only the last field set: offsets skip the empty ones. */
	f[SR_BF_PN_KEY] = SR_STR_LIT("key");
	b = sr_binding_new(&s, f);
	assert_true(sr_str_eq(sr_binding_field(b, SR_BF_PN_KEY), SR_STR_LIT("key")));
	assert_ptr_equal(sr_binding_field(b, SR_BF_PN_KEY).p, b->data);
	sr_binding_delete(&s, b);
	assert_int_equal(s.objects, 0);
	sr_slab_fini(&s);
}

static void test_binding_field_length_limit(void **state)
{
	(void)state;
	struct sr_slab s;
	sr_slab_init(&s, 0, 0);
	struct sr_str f[SR_BF_COUNT];
	make_fields(f);
	char *big = malloc(65536);
	assert_non_null(big);
	memset(big, 'p', 65536);

	f[SR_BF_PATH] = sr_str_make(big, 65536);
	assert_int_equal(sr_binding_size_for(f), 0);
	assert_null(sr_binding_new(&s, f));
	assert_int_equal(s.objects, 0);

	f[SR_BF_PATH] = sr_str_make(big, 65535); /* the largest allowed: a large slab object */
	struct sr_binding *b = sr_binding_new(&s, f);
	assert_non_null(b);
	assert_true(sr_str_eq(sr_binding_field(b, SR_BF_PATH), f[SR_BF_PATH]));
	assert_true(sr_str_eq(sr_binding_field(b, SR_BF_USER_AGENT), f[SR_BF_USER_AGENT]));
	sr_binding_delete(&s, b);
	assert_int_equal(s.bytes_reserved, 0);
	free(big);
	sr_slab_fini(&s);
}

static void test_binding_out_of_memory(void **state)
{
	(void)state;
	struct sr_slab s;
	sr_slab_init(&s, SMALL_CHUNK, SMALL_CHUNK);
	struct sr_str f[SR_BF_COUNT];
	make_fields(f);
	unsigned n = 0;
	struct sr_binding *b;
	while ((b = sr_binding_new(&s, f)) != NULL)
		n++;
	assert_true(n > 0 && n < SMALL_CHUNK / sizeof(struct sr_binding));
	assert_int_equal(s.objects, n);
	sr_slab_fini(&s);
}

/* Chunks of whole 2 MiB pages start on a 2 MiB boundary (transparent huge pages); others need not. */
static void test_huge_page_chunks_are_aligned(void **state)
{
	(void)state;
	const uintptr_t huge = 2u << 20;
	struct sr_slab s;
	sr_slab_init(&s, 2u << 20, 0);
	for (unsigned i = 0; i < 3; i++) {
		/* a chunk's first object follows its header, which is smaller than 64 bytes */
		char *p = sr_slab_alloc(&s, SR_SLAB_MAX_OBJ);
		assert_non_null(p);
		assert_true(((uintptr_t)p & (huge - 1)) < 64);
		for (size_t used = SR_SLAB_MAX_OBJ; used + SR_SLAB_MAX_OBJ <= (2u << 20) - 64; used += SR_SLAB_MAX_OBJ)
			assert_non_null(sr_slab_alloc(&s, SR_SLAB_MAX_OBJ)); /* the rest of this chunk */
	}
	assert_true(s.bytes_reserved > 2 * huge && s.bytes_reserved <= 3 * huge); /* three chunks, headers aside */
	sr_slab_fini(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes_round_to_classes),
		cmocka_unit_test(test_freed_object_reused_by_its_class),
		cmocka_unit_test(test_new_chunks_and_recycled_tail),
		cmocka_unit_test(test_large_objects),
		cmocka_unit_test(test_huge_page_chunks_are_aligned),
		cmocka_unit_test(test_limit),
		cmocka_unit_test(test_random_churn_no_overlap),
		cmocka_unit_test(test_freed_memory_is_poisoned),
		cmocka_unit_test(test_binding_round_trip),
		cmocka_unit_test(test_binding_empty_fields),
		cmocka_unit_test(test_binding_field_length_limit),
		cmocka_unit_test(test_binding_out_of_memory),
	};
	printf("sizeof(struct sr_binding) = %zu, sizeof(struct sr_aor) = %zu\n",
	       sizeof(struct sr_binding), sizeof(struct sr_aor));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
