/*
 * test_push_timers.c - the refresh-push timers (lib/push, push_timers.c):
 * a timer fires at its second with what it was armed for, not before; a
 * full pool arms nothing and counts it; a long AoR is refused; a fired
 * node is reused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "push.h"

struct seen {
	unsigned n;
	char aor[64];
	uint64_t id;
	uint32_t refreshed_s, expires_s;
};

static void on_due(void *ctx, struct sr_str aor, uint64_t id, uint32_t refreshed_s, uint32_t expires_s)
{
	struct seen *s = ctx;
	s->n++;
	snprintf(s->aor, sizeof(s->aor), "%.*s", (int)aor.len, aor.p);
	s->id = id;
	s->refreshed_s = refreshed_s;
	s->expires_s = expires_s;
}

static void test_fires_at_its_second(void **state)
{
	(void)state;
	struct sr_push_timers *t = sr_push_timers_create(2, 1000);
	assert_non_null(t);
	assert_true(sr_push_timers_arm(t, SR_STR_LIT("sip:alice@example.com"), 7, 1300, 1000, 1600));
	assert_int_equal(sr_push_timers_armed(t), 1);
	struct seen s = { 0 };
	assert_int_equal(sr_push_timers_advance(t, 1299, 10, on_due, &s), 0);
	assert_int_equal(sr_push_timers_advance(t, 1300, 10, on_due, &s), 1);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.aor, "sip:alice@example.com");
	assert_int_equal(s.id, 7);
	assert_int_equal(s.refreshed_s, 1000);
	assert_int_equal(s.expires_s, 1600);
	assert_int_equal(sr_push_timers_armed(t), 0);
	sr_push_timers_free(t);
}

static void test_full_pool_and_long_aor_are_untimed(void **state)
{
	(void)state;
	struct sr_push_timers *t = sr_push_timers_create(1, 0);
	assert_true(sr_push_timers_arm(t, SR_STR_LIT("sip:a@example.com"), 1, 10, 0, 20));
	assert_false(sr_push_timers_arm(t, SR_STR_LIT("sip:b@example.com"), 2, 10, 0, 20));
	char aor[SR_PUSH_TIMER_AOR_MAX + 2];
	memset(aor, 'x', sizeof(aor));
	struct seen s = { 0 };
	assert_int_equal(sr_push_timers_advance(t, 10, 10, on_due, &s), 1);
	assert_false(sr_push_timers_arm(t, sr_str_make(aor, sizeof(aor)), 3, 30, 0, 40));
	assert_int_equal(sr_push_timers_untimed(t), 2);
	/* the fired node is free again */
	assert_true(sr_push_timers_arm(t, SR_STR_LIT("sip:c@example.com"), 4, 30, 10, 40));
	assert_int_equal(sr_push_timers_advance(t, 31, 10, on_due, &s), 1);
	assert_string_equal(s.aor, "sip:c@example.com");
	sr_push_timers_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fires_at_its_second),
		cmocka_unit_test(test_full_pool_and_long_aor_are_untimed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
