/*
 * test_net_flood.c - per-source token buckets and the authentication-failure
 * block list (lib/net/net_flood), driven by a fake millisecond clock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "net_flood.h"

#define IP_A 0x0A000001u
#define IP_B 0x0A000002u
#define T0 1795262940000ull

static struct sr_flood *mk(uint32_t rate, uint32_t burst, uint32_t fail_limit, uint32_t slots)
{
	struct sr_flood_params p = { .rate = rate, .burst = burst, .fail_limit = fail_limit,
				     .fail_window_s = 60, .block_s = 300, .slots = slots };
	const char *err = NULL;
	struct sr_flood *f = sr_flood_create(&p, &err);
	if (!f)
		fail_msg("%s", err);
	return f;
}

static void burst_then_rate(void **state)
{
	(void)state;
	struct sr_flood *f = mk(10, 5, 0, 1024);
	uint32_t ra = 0;
	for (int i = 0; i < 5; i++)
		assert_int_equal(sr_flood_admit(f, IP_A, T0, &ra), SR_FLOOD_PASS);
	assert_int_equal(sr_flood_admit(f, IP_A, T0, &ra), SR_FLOOD_LIMITED);
	assert_int_equal(ra, 1);
	/* Another source has its own bucket. */
	assert_int_equal(sr_flood_admit(f, IP_B, T0, NULL), SR_FLOOD_PASS);
	/* 10/s: one token per 100 ms; 99 ms is not enough. */
	assert_int_equal(sr_flood_admit(f, IP_A, T0 + 99, NULL), SR_FLOOD_LIMITED);
	assert_int_equal(sr_flood_admit(f, IP_A, T0 + 100, NULL), SR_FLOOD_PASS);
	assert_int_equal(sr_flood_admit(f, IP_A, T0 + 100, NULL), SR_FLOOD_LIMITED);
	/* A long pause refills up to the burst, not beyond. */
	int passed = 0;
	for (int i = 0; i < 20; i++)
		passed += sr_flood_admit(f, IP_A, T0 + 3600000, NULL) == SR_FLOOD_PASS;
	assert_int_equal(passed, 5);
	/* Sustained: one request every 100 ms always passes. */
	for (uint64_t t = T0 + 3700000; t < T0 + 3710000; t += 100)
		assert_int_equal(sr_flood_admit(f, IP_A, t, NULL), SR_FLOOD_PASS);
	struct sr_flood_stats st;
	sr_flood_get_stats(f, &st);
	assert_int_equal(st.limited, 3 + 15);
	sr_flood_free(f);
}

static void fractional_rates_and_clock_going_back(void **state)
{
	(void)state;
	struct sr_flood *f = mk(3, 1, 0, 16); /* 3/s: a token every 333.3 ms */
	assert_int_equal(sr_flood_admit(f, IP_A, T0, NULL), SR_FLOOD_PASS);
	assert_int_equal(sr_flood_admit(f, IP_A, T0 + 333, NULL), SR_FLOOD_LIMITED);
	assert_int_equal(sr_flood_admit(f, IP_A, T0 + 334, NULL), SR_FLOOD_PASS);
	/* Time running backwards adds nothing and breaks nothing. */
	assert_int_equal(sr_flood_admit(f, IP_A, T0, NULL), SR_FLOOD_LIMITED);
	sr_flood_free(f);
	/* Huge rate and burst do not overflow. */
	f = mk(UINT32_MAX, UINT32_MAX, 0, 16);
	for (int i = 0; i < 100; i++)
		assert_int_equal(sr_flood_admit(f, IP_A, T0 + (uint64_t)i * 1000000000ull, NULL), SR_FLOOD_PASS);
	sr_flood_free(f);
}

static void rate_zero_disables_limit(void **state)
{
	(void)state;
	struct sr_flood *f = mk(0, 0, 0, 16);
	for (int i = 0; i < 10000; i++)
		assert_int_equal(sr_flood_admit(f, IP_A, T0, NULL), SR_FLOOD_PASS);
	sr_flood_free(f);
}

static void auth_failures_block_for_a_while(void **state)
{
	(void)state;
	struct sr_flood *f = mk(1000, 1000, 3, 64);
	uint32_t ra = 0;
	sr_flood_auth_failure(f, IP_A, T0);
	sr_flood_auth_failure(f, IP_A, T0 + 1000);
	assert_int_equal(sr_flood_admit(f, IP_A, T0 + 1000, NULL), SR_FLOOD_PASS);
	sr_flood_auth_failure(f, IP_A, T0 + 2000); /* third within 60 s: blocked 300 s */
	assert_int_equal(sr_flood_admit(f, IP_A, T0 + 2000, &ra), SR_FLOOD_BLOCKED);
	assert_int_equal(ra, 300);
	assert_int_equal(sr_flood_check_blocked(f, IP_A, T0 + 2000 + 299500, &ra), SR_FLOOD_BLOCKED);
	assert_int_equal(ra, 1);
	assert_int_equal(sr_flood_admit(f, IP_B, T0 + 2000, NULL), SR_FLOOD_PASS); /* others unaffected */
	assert_int_equal(sr_flood_admit(f, IP_A, T0 + 2000 + 300000, NULL), SR_FLOOD_PASS);
	assert_int_equal(sr_flood_check_blocked(f, IP_A, T0 + 2000 + 300000, NULL), SR_FLOOD_PASS);
	struct sr_flood_stats st;
	sr_flood_get_stats(f, &st);
	assert_int_equal(st.blocks, 1);
	assert_int_equal(st.blocked, 2);
	sr_flood_free(f);
}

static void failures_outside_window_or_after_success_do_not_block(void **state)
{
	(void)state;
	struct sr_flood *f = mk(0, 0, 3, 64); /* blocking works without a rate limit too */
	sr_flood_auth_failure(f, IP_A, T0);
	sr_flood_auth_failure(f, IP_A, T0 + 1000);
	sr_flood_auth_failure(f, IP_A, T0 + 61000); /* window restarted: 1 */
	sr_flood_auth_failure(f, IP_A, T0 + 62000); /* 2 */
	assert_int_equal(sr_flood_admit(f, IP_A, T0 + 62000, NULL), SR_FLOOD_PASS);
	sr_flood_auth_success(f, IP_A);
	sr_flood_auth_failure(f, IP_A, T0 + 63000); /* 1 again */
	sr_flood_auth_failure(f, IP_A, T0 + 63000); /* 2 */
	assert_int_equal(sr_flood_check_blocked(f, IP_A, T0 + 63000, NULL), SR_FLOOD_PASS);
	sr_flood_auth_failure(f, IP_A, T0 + 63000); /* 3 */
	assert_int_equal(sr_flood_admit(f, IP_A, T0 + 63000, NULL), SR_FLOOD_BLOCKED);
	sr_flood_free(f);
	f = mk(10, 10, 0, 64); /* fail_limit 0: never blocks */
	for (int i = 0; i < 100; i++)
		sr_flood_auth_failure(f, IP_A, T0);
	assert_int_equal(sr_flood_admit(f, IP_A, T0, NULL), SR_FLOOD_PASS);
	sr_flood_free(f);
}

static void full_table_replaces_stale_but_keeps_blocked(void **state)
{
	(void)state;
	struct sr_flood *f = mk(1, 1, 1, 4); /* a single set of 4 ways */
	sr_flood_auth_failure(f, IP_A, T0); /* blocked */
	/* A spray of 10000 sources goes through the other ways. */
	for (uint32_t i = 0; i < 10000; i++)
		assert_int_equal(sr_flood_admit(f, 0xC0000000u + i, T0 + 1 + i, NULL), SR_FLOOD_PASS);
	assert_int_equal(sr_flood_admit(f, IP_A, T0 + 20000, NULL), SR_FLOOD_BLOCKED);
	struct sr_flood_stats st;
	sr_flood_get_stats(f, &st);
	assert_true(st.evictions >= 10000 - 3);
	sr_flood_free(f);
}

static void bad_parameters_refused(void **state)
{
	(void)state;
	const char *err = NULL;
	struct sr_flood_params p = { .rate = 1, .slots = (1u << 24) + 1 };
	assert_null(sr_flood_create(&p, &err));
	assert_non_null(err);
	struct sr_flood_params q = { .rate = 1, .fail_limit = 3, .block_s = 0, .fail_window_s = 10 };
	assert_null(sr_flood_create(&q, &err));
	assert_non_null(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(burst_then_rate),
		cmocka_unit_test(fractional_rates_and_clock_going_back),
		cmocka_unit_test(rate_zero_disables_limit),
		cmocka_unit_test(auth_failures_block_for_a_while),
		cmocka_unit_test(failures_outside_window_or_after_success_do_not_block),
		cmocka_unit_test(full_table_replaces_stale_but_keeps_blocked),
		cmocka_unit_test(bad_parameters_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
