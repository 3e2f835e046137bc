/*
 * test_ctl_verdict.c - failed event numbers from the control core to a
 * worker (lib/ctl/ctl_verdict.c): notes merge (a failed batch swallows the
 * single drops inside it), only published ranges are seen, a full queue
 * keeps the rest and says how far the watermark may go, queries and skips
 * walk forward.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ctl_verdict.h"

static void test_notes_merge_and_publish(void **state)
{
	(void)state;
	struct sr_ctl_verdict v;
	assert_int_equal(sr_ctl_verdict_init(&v, 0), -1);
	assert_int_equal(sr_ctl_verdict_init(&v, 8), 0);
	assert_int_equal(sr_ctl_verdict_unpublished(&v), UINT64_MAX);
	assert_int_equal(sr_ctl_verdict_note(&v, 4, 4), 0);  /* a dropped event */
	assert_int_equal(sr_ctl_verdict_note(&v, 6, 6), 0);
	assert_int_equal(sr_ctl_verdict_note(&v, 3, 9), 0);  /* then its batch failed: one range */
	assert_int_equal(sr_ctl_verdict_note(&v, 10, 10), 0); /* adjacent: merged too */
	assert_int_equal(sr_ctl_verdict_note(&v, 20, 21), 0);
	assert_int_equal(v.n_notes, 2);
	assert_int_equal(sr_ctl_verdict_unpublished(&v), 3);
	/* nothing published yet: the consumer sees nothing */
	assert_false(sr_ctl_verdict_failed(&v, 5));
	assert_true(sr_ctl_verdict_flush(&v));
	assert_int_equal(sr_ctl_verdict_unpublished(&v), UINT64_MAX);
	assert_false(sr_ctl_verdict_failed(&v, 2));
	assert_true(sr_ctl_verdict_failed(&v, 3));
	assert_true(sr_ctl_verdict_failed(&v, 10));
	assert_false(sr_ctl_verdict_failed(&v, 11));
	assert_true(sr_ctl_verdict_failed(&v, 21));
	sr_ctl_verdict_skip(&v, 21);
	assert_false(sr_ctl_verdict_failed(&v, 22));
	sr_ctl_verdict_fini(&v);
}

static void test_full_queue_holds_back(void **state)
{
	(void)state;
	struct sr_ctl_verdict v;
	assert_int_equal(sr_ctl_verdict_init(&v, 2), 0);
	for (uint64_t s = 1; s <= 9; s += 2) /* 1, 3, 5, 7, 9: five ranges, room for two */
		assert_int_equal(sr_ctl_verdict_note(&v, s, s), 0);
	assert_false(sr_ctl_verdict_flush(&v));
	assert_int_equal(sr_ctl_verdict_unpublished(&v), 5); /* the watermark stays below 5 */
	assert_true(sr_ctl_verdict_failed(&v, 1));
	assert_false(sr_ctl_verdict_failed(&v, 2));
	assert_true(sr_ctl_verdict_failed(&v, 3));
	sr_ctl_verdict_skip(&v, 4); /* the worker is past 4: room again */
	assert_false(sr_ctl_verdict_flush(&v));
	assert_int_equal(sr_ctl_verdict_unpublished(&v), 9);
	assert_true(sr_ctl_verdict_failed(&v, 5));
	assert_true(sr_ctl_verdict_failed(&v, 7));
	assert_true(sr_ctl_verdict_flush(&v));
	assert_false(sr_ctl_verdict_failed(&v, 8));
	assert_true(sr_ctl_verdict_failed(&v, 9));
	sr_ctl_verdict_fini(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_notes_merge_and_publish),
		cmocka_unit_test(test_full_queue_holds_back),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
