/*
 * test_repl_ttl.c - the writer's knowledge of its AoR keys' TTLs: the key's
 * expiry is written only when the binding's bucket outgrows what the key
 * is known to have, and never skipped for a key that may be gone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "repl_layout.h"
#include "repl_ttl.h"

#define NOW 1800000000u
#define H1 0x1234567890abcdefull

static void test_first_put_sets_both_then_refreshes_in_the_bucket_write_nothing(void **state)
{
	(void)state;
	struct sr_repl_ttl t;
	assert_int_equal(sr_repl_ttl_init(&t, 4096), 0);
	uint64_t ttl = sr_repl_key_ttl_s(NOW + 3600);
	assert_int_equal(sr_repl_ttl_put(&t, H1, ttl, NOW), SR_TTL_NEW);
	/* refreshes whose expiry stays in the hour: no expiry write */
	for (uint32_t s = 1; s < 60; s++)
		assert_int_equal(sr_repl_ttl_put(&t, H1, sr_repl_key_ttl_s(NOW - NOW % 3600 + 3600 + s * 60), NOW + s),
				 SR_TTL_NONE);
	/* a shorter expiry (a binding with a lower Expires): still covered */
	assert_int_equal(sr_repl_ttl_put(&t, H1, sr_repl_key_ttl_s(NOW + 60), NOW), SR_TTL_NONE);
	/* the next bucket: the key has a TTL, GT raises it */
	assert_int_equal(sr_repl_ttl_put(&t, H1, ttl + 3600, NOW + 1800), SR_TTL_GT);
	assert_int_equal(sr_repl_ttl_put(&t, H1, ttl + 3600, NOW + 1801), SR_TTL_NONE);
	sr_repl_ttl_fini(&t);
}

static void test_forgotten_when_the_key_may_be_gone(void **state)
{
	(void)state;
	struct sr_repl_ttl t;
	assert_int_equal(sr_repl_ttl_init(&t, 1024), 0);
	uint64_t ttl = sr_repl_key_ttl_s(NOW + 3600);
	assert_int_equal(sr_repl_ttl_put(&t, H1, ttl, NOW), SR_TTL_NEW);
	/* a removal may delete the key (its last field): the next put creates it, without TTL */
	sr_repl_ttl_forget(&t, H1);
	assert_int_equal(sr_repl_ttl_put(&t, H1, ttl, NOW), SR_TTL_NEW);
	/* a failure or a resynchronisation forgets everything */
	sr_repl_ttl_clear(&t);
	assert_int_equal(sr_repl_ttl_put(&t, H1, ttl, NOW), SR_TTL_NEW);
	/* once the TTL has passed Redis may have deleted the key */
	assert_int_equal(sr_repl_ttl_put(&t, H1, ttl, ttl), SR_TTL_NEW);
	sr_repl_ttl_fini(&t);
}

static void test_other_keys_never_count_as_known(void **state)
{
	(void)state;
	struct sr_repl_ttl t;
	assert_int_equal(sr_repl_ttl_init(&t, 1024), 0);
	uint64_t ttl = sr_repl_key_ttl_s(NOW + 3600);
	/* five keys of one set (same low bits, other tags): four fit, the fifth evicts one */
	uint64_t k[5];
	for (unsigned i = 0; i < 5; i++)
		k[i] = H1 ^ ((uint64_t)(i + 1) << 50);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(sr_repl_ttl_put(&t, k[i], ttl + i * 3600, NOW), SR_TTL_NEW);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(sr_repl_ttl_put(&t, k[i], ttl, NOW), SR_TTL_NONE);
	assert_int_equal(sr_repl_ttl_put(&t, k[4], ttl, NOW), SR_TTL_NEW);
	/* the evicted one is the one whose TTL ended first, and it is unknown again, not mistaken for known */
	assert_int_equal(sr_repl_ttl_put(&t, k[0], ttl, NOW), SR_TTL_NEW);
	/* forgetting a key absent from the table leaves the others alone */
	sr_repl_ttl_forget(&t, H1);
	assert_int_equal(sr_repl_ttl_put(&t, k[3], ttl, NOW), SR_TTL_NONE);
	/* keys of different sets coexist */
	for (uint64_t i = 1; i < 200; i++)
		assert_int_equal(sr_repl_ttl_put(&t, H1 + i, ttl, NOW), SR_TTL_NEW);
	for (uint64_t i = 1; i < 200; i++)
		assert_int_equal(sr_repl_ttl_put(&t, H1 + i, ttl, NOW), SR_TTL_NONE);
	sr_repl_ttl_fini(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_put_sets_both_then_refreshes_in_the_bucket_write_nothing),
		cmocka_unit_test(test_forgotten_when_the_key_may_be_gone),
		cmocka_unit_test(test_other_keys_never_count_as_known),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
