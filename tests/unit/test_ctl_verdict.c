/*
 * test_ctl_verdict.c - failed event numbers from the control core to a
 * worker (lib/ctl/ctl_verdict.c): notes merge (a failed batch swallows the
 * single drops inside it), only published ranges are seen, a full queue
 * keeps the rest and says how far the watermark may go, queries and skips
 * walk forward; a cause per range (store or replica), ranges of different
 * causes kept apart, the newer note winning where they overlap.
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

static void test_causes_stay_apart(void **state)
{
	(void)state;
	struct sr_ctl_verdict v;
	assert_int_equal(sr_ctl_verdict_init(&v, 16), 0);
	assert_int_equal(sr_ctl_verdict_note(&v, 4, 4), 0);                              /* a store drop */
	assert_int_equal(sr_ctl_verdict_note_cause(&v, 5, 8, SR_CTL_FAIL_REPLICA), 0);   /* touches: kept apart */
	assert_int_equal(sr_ctl_verdict_note_cause(&v, 9, 9, SR_CTL_FAIL_REPLICA), 0);   /* same cause: merged */
	assert_int_equal(v.n_notes, 2);
	assert_int_equal(sr_ctl_verdict_note_cause(&v, 12, 12, SR_CTL_FAIL_STORE), 0);
	assert_int_equal(sr_ctl_verdict_note_cause(&v, 14, 14, SR_CTL_FAIL_STORE), 0);
	/* a replica failure over 11..13: the newer verdict stands for 12, 14 keeps its own */
	assert_int_equal(sr_ctl_verdict_note_cause(&v, 11, 13, SR_CTL_FAIL_REPLICA), 0);
	assert_int_equal(v.n_notes, 4);
	/* a store failure inside a replica range splits it */
	assert_int_equal(sr_ctl_verdict_note_cause(&v, 20, 30, SR_CTL_FAIL_REPLICA), 0);
	assert_int_equal(sr_ctl_verdict_note_cause(&v, 25, 26, SR_CTL_FAIL_STORE), 0);
	assert_int_equal(v.n_notes, 7);
	assert_true(sr_ctl_verdict_flush(&v));
	assert_int_equal(sr_ctl_verdict_cause(&v, 3), SR_CTL_KEPT);
	assert_int_equal(sr_ctl_verdict_cause(&v, 4), SR_CTL_FAIL_STORE);
	assert_int_equal(sr_ctl_verdict_cause(&v, 5), SR_CTL_FAIL_REPLICA);
	assert_int_equal(sr_ctl_verdict_cause(&v, 9), SR_CTL_FAIL_REPLICA);
	assert_int_equal(sr_ctl_verdict_cause(&v, 10), SR_CTL_KEPT);
	assert_int_equal(sr_ctl_verdict_cause(&v, 11), SR_CTL_FAIL_REPLICA);
	assert_int_equal(sr_ctl_verdict_cause(&v, 12), SR_CTL_FAIL_REPLICA);
	assert_int_equal(sr_ctl_verdict_cause(&v, 13), SR_CTL_FAIL_REPLICA);
	assert_int_equal(sr_ctl_verdict_cause(&v, 14), SR_CTL_FAIL_STORE);
	assert_int_equal(sr_ctl_verdict_cause(&v, 24), SR_CTL_FAIL_REPLICA);
	assert_int_equal(sr_ctl_verdict_cause(&v, 25), SR_CTL_FAIL_STORE);
	assert_int_equal(sr_ctl_verdict_cause(&v, 26), SR_CTL_FAIL_STORE);
	assert_true(sr_ctl_verdict_failed(&v, 27));
	assert_int_equal(sr_ctl_verdict_cause(&v, 30), SR_CTL_FAIL_REPLICA);
	assert_int_equal(sr_ctl_verdict_cause(&v, 31), SR_CTL_KEPT);
	sr_ctl_verdict_fini(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_notes_merge_and_publish),
		cmocka_unit_test(test_full_queue_holds_back),
		cmocka_unit_test(test_causes_stay_apart),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
