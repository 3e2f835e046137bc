/*
 * test_net_ways.c - the 4-way set shape shared by net_flood and net_neigh
 * (lib/net/net_ways.h): set counts, the set of an address, the rank that
 * orders ways, and which way a new address takes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "net_ways.h"

static unsigned ranked; /* calls of given() */

/* A way of these tests is its rank. */
static uint64_t given(const void *way, uint64_t arg)
{
	(void)arg;
	ranked++;
	return *(const uint64_t *)way;
}

static unsigned victim(const uint64_t set[SR_WAYS])
{
	ranked = 0;
	return sr_ways_victim(set, sizeof(set[0]), given, 0);
}

#define USED(t, age) sr_way_rank((t), (age))
#define FREE_WAY sr_way_rank(SR_WAY_FREE, 123)
#define KEPT sr_way_rank(SR_WAY_KEEP, 0)

static void sets_round_up_to_a_power_of_two(void **state)
{
	(void)state;
	assert_int_equal(sr_ways_sets(0), 1);
	assert_int_equal(sr_ways_sets(4), 1);
	assert_int_equal(sr_ways_sets(5), 2);
	assert_int_equal(sr_ways_sets(1000), 256);
	assert_int_equal(sr_ways_sets(1024), 256);
	assert_int_equal(sr_ways_sets(SR_WAYS_MAX_ENTRIES), SR_WAYS_MAX_ENTRIES / SR_WAYS);
}

static void an_address_always_falls_in_the_same_set_within_the_mask(void **state)
{
	(void)state;
	unsigned hits[8] = { 0 };
	for (uint32_t ip = 0x0A000001u; ip < 0x0A000001u + 800; ip++) {
		uint32_t s = sr_ways_set(ip, 7);
		assert_true(s <= 7);
		assert_int_equal(sr_ways_set(ip, 7), s);
		hits[s]++;
	}
	/* consecutive addresses spread: no set gets twice its share */
	for (unsigned s = 0; s < 8; s++)
		assert_true(hits[s] > 50 && hits[s] < 200);
}

static void the_rank_orders_tier_then_age(void **state)
{
	(void)state;
	assert_true(FREE_WAY < USED(1, 0));
	assert_true(USED(1, 5) < USED(1, 6));
	uint64_t oldest = (UINT64_C(1) << 56) - 1; /* the largest age a rank holds */
	assert_true(USED(1, oldest) < USED(2, 0));
	assert_true(USED(254, oldest) < KEPT);
}

static void the_first_free_way_is_taken(void **state)
{
	(void)state;
	uint64_t set[SR_WAYS] = { USED(1, 0), FREE_WAY, USED(1, 0), FREE_WAY };
	assert_int_equal(victim(set), 1);
	assert_int_equal(ranked, 2); /* no way after it is looked at */
}

static void lowest_tier_then_oldest_then_first(void **state)
{
	(void)state;
	uint64_t by_age[SR_WAYS] = { USED(1, 30), USED(1, 10), USED(1, 20), USED(1, 10) };
	assert_int_equal(victim(by_age), 1);
	uint64_t by_tier[SR_WAYS] = { USED(2, 1), USED(1, 50), USED(2, 0), USED(1, 40) };
	assert_int_equal(victim(by_tier), 3);
}

static void kept_ways_are_never_replaced(void **state)
{
	(void)state;
	uint64_t one[SR_WAYS] = { KEPT, KEPT, USED(2, 99), KEPT };
	assert_int_equal(victim(one), 2);
	uint64_t none[SR_WAYS] = { KEPT, KEPT, KEPT, KEPT };
	assert_int_equal(victim(none), SR_WAYS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sets_round_up_to_a_power_of_two),
		cmocka_unit_test(an_address_always_falls_in_the_same_set_within_the_mask),
		cmocka_unit_test(the_rank_orders_tier_then_age),
		cmocka_unit_test(the_first_free_way_is_taken),
		cmocka_unit_test(lowest_tier_then_oldest_then_first),
		cmocka_unit_test(kept_ways_are_never_replaced),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
