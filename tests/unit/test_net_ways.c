/*
 * test_net_ways.c - the 4-way set shape shared by net_flood and net_neigh
 * (lib/net/net_ways.h): set counts, and which way a new address takes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "net_ways.h"

#define USED(t, age) ((struct sr_way_rank){ .tier = (t), .age_ms = (age) })
#define FREE_WAY ((struct sr_way_rank){ .tier = SR_WAY_FREE })
#define KEPT ((struct sr_way_rank){ .tier = SR_WAY_KEEP })

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

static void the_first_free_way_is_taken(void **state)
{
	(void)state;
	struct sr_way_rank r[SR_WAYS] = { USED(1, 0), FREE_WAY, USED(1, 0), FREE_WAY };
	assert_int_equal(sr_ways_victim(r), 1);
}

static void lowest_tier_then_oldest_then_first(void **state)
{
	(void)state;
	struct sr_way_rank by_age[SR_WAYS] = { USED(1, 30), USED(1, 10), USED(1, 20), USED(1, 10) };
	assert_int_equal(sr_ways_victim(by_age), 1);
	struct sr_way_rank by_tier[SR_WAYS] = { USED(2, 1), USED(1, 50), USED(2, 0), USED(1, 40) };
	assert_int_equal(sr_ways_victim(by_tier), 3);
}

static void kept_ways_are_never_replaced(void **state)
{
	(void)state;
	struct sr_way_rank one[SR_WAYS] = { KEPT, KEPT, USED(2, 99), KEPT };
	assert_int_equal(sr_ways_victim(one), 2);
	struct sr_way_rank none[SR_WAYS] = { KEPT, KEPT, KEPT, KEPT };
	assert_int_equal(sr_ways_victim(none), SR_WAYS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sets_round_up_to_a_power_of_two),
		cmocka_unit_test(an_address_always_falls_in_the_same_set_within_the_mask),
		cmocka_unit_test(the_first_free_way_is_taken),
		cmocka_unit_test(lowest_tier_then_oldest_then_first),
		cmocka_unit_test(kept_ways_are_never_replaced),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
