/*
 * test_sip_arena.c - the per-thread parse arena and libosip2's allocation hooks.
 *
 * Alignment, reuse after reset, overflow blocks (counted, freed at reset:
 * LSan reports any that is not), libosip2 allocating from the bound arena
 * and from malloc when none is bound, and the realloc hook keeping contents.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <osipparser2/osip_parser.h>
#include <osipparser2/osip_port.h>
#include <string.h>

#include "sip_arena.h"

static void alignment(void **state)
{
	(void)state;
	struct sr_arena a;
	assert_int_equal(sr_arena_init(&a, 4096), 0);
	for (size_t size = 0; size < 100; size++) {
		void *p = sr_arena_alloc(&a, size);
		assert_non_null(p);
		assert_int_equal((uintptr_t)p % 16, 0);
	}
	char *s = sr_arena_strndup(&a, "hello world", 5);
	assert_string_equal(s, "hello");
	assert_int_equal((uintptr_t)s % 16, 0);
	/* overflow blocks are aligned too */
	void *big = sr_arena_alloc(&a, 10000);
	assert_int_equal((uintptr_t)big % 16, 0);
	void *after = sr_arena_alloc(&a, 3);
	assert_int_equal((uintptr_t)after % 16, 0);
	sr_arena_fini(&a);
}

static void reset_reuses_memory(void **state)
{
	(void)state;
	struct sr_arena a;
	assert_int_equal(sr_arena_init(&a, 4096), 0);
	char *first = sr_arena_alloc(&a, 100);
	memset(first, 'x', 100);
	assert_int_equal(a.used, 112);
	sr_arena_reset(&a);
	assert_int_equal(a.used, 0);
	char *again = sr_arena_alloc(&a, 100);
	assert_ptr_equal(first, again);
	assert_int_equal(a.high_water, 112);
	assert_int_equal(a.overflows, 0);
	sr_arena_fini(&a);
}

static void overflow_blocks(void **state)
{
	(void)state;
	struct sr_arena a;
	assert_int_equal(sr_arena_init(&a, 1024), 0);
	/* one message that needs far more than the arena: many blocks, one overflow counted */
	char *ptrs[64];
	for (int i = 0; i < 64; i++) {
		ptrs[i] = sr_arena_alloc(&a, 700);
		assert_non_null(ptrs[i]);
		memset(ptrs[i], i, 700); /* ASan: every byte writable, no overlap with the next */
	}
	for (int i = 0; i < 64; i++)
		assert_int_equal((unsigned char)ptrs[i][699], i);
	assert_int_equal(a.overflows, 1);
	assert_non_null(a.overflow);
	sr_arena_reset(&a); /* frees the blocks: LSan at exit reports any left */
	assert_null(a.overflow);
	/* a second oversized message counts again; one bigger than a block gets its own */
	void *huge = sr_arena_alloc(&a, 100000);
	assert_non_null(huge);
	memset(huge, 0, 100000);
	assert_int_equal(a.overflows, 2);
	sr_arena_reset(&a);
	/* a message that fits counts nothing */
	sr_arena_alloc(&a, 512);
	sr_arena_reset(&a);
	assert_int_equal(a.overflows, 2);
	sr_arena_fini(&a);
}

static void osip_uses_bound_arena(void **state)
{
	(void)state;
	struct sr_arena a;
	assert_int_equal(sr_arena_init(&a, 64 * 1024), 0);
	struct sr_arena *prev = sr_arena_bind_osip(&a);
	char text[] = "sip:alice@example.com;transport=udp?subject=hi";
	osip_uri_t *u = NULL;
	assert_int_equal(osip_uri_init(&u), 0);
	assert_int_equal(osip_uri_parse(u, text), 0);
	assert_string_equal(u->username, "alice");
	assert_true(a.used > 0);
	/* the object lies inside the arena block */
	assert_true((char *)u >= a.base && (char *)u < a.base + a.cap);
	assert_true(u->host >= a.base && u->host < a.base + a.cap);
	size_t used = a.used;
	osip_uri_free(u); /* a no-op while bound */
	assert_int_equal(a.used, used);
	sr_arena_reset(&a);

	/* unbound: plain malloc, and osip_uri_free really frees (LSan would report otherwise) */
	assert_ptr_equal(sr_arena_bind_osip(NULL), &a);
	char text2[] = "sip:bob@example.org";
	osip_uri_t *v = NULL;
	assert_int_equal(osip_uri_init(&v), 0);
	assert_int_equal(osip_uri_parse(v, text2), 0);
	assert_int_equal(a.used, 0);
	assert_false((char *)v >= a.base && (char *)v < a.base + a.cap);
	assert_string_equal(v->host, "example.org");
	osip_uri_free(v);
	sr_arena_bind_osip(prev);
	sr_arena_fini(&a);
}

static void realloc_hook_copies(void **state)
{
	(void)state;
	struct sr_arena a;
	assert_int_equal(sr_arena_init(&a, 4096), 0);
	struct sr_arena *prev = sr_arena_bind_osip(&a);
	char *p = osip_malloc(10);
	assert_non_null(p);
	memcpy(p, "0123456789", 10);
	char *q = osip_realloc(p, 3000);
	assert_non_null(q);
	assert_memory_equal(q, "0123456789", 10);
	memset(q + 10, 'z', 2990);
	/* shrinking copies only what fits */
	char *r = osip_realloc(q, 4);
	assert_memory_equal(r, "0123", 4);
	/* realloc(NULL) is malloc; growing past the fixed block lands in an overflow block */
	char *s = osip_realloc(NULL, 8);
	assert_non_null(s);
	char *t = osip_realloc(r, 8192);
	assert_memory_equal(t, "0123", 4);
	assert_int_equal(a.overflows, 1);
	sr_arena_reset(&a);
	sr_arena_bind_osip(prev);
	sr_arena_fini(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(alignment),
		cmocka_unit_test(reset_reuses_memory),
		cmocka_unit_test(overflow_blocks),
		cmocka_unit_test(osip_uses_bound_arena),
		cmocka_unit_test(realloc_hook_copies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
