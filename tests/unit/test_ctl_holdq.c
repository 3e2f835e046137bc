/*
 * test_ctl_holdq.c - the sync-durability hold queue (lib/ctl/ctl_holdq.c):
 * nothing leaves before its sequence number is committed, everything
 * leaves in order, a full queue refuses, wrap-around keeps order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ctl_holdq.h"

static int objs[16];

static void test_release_by_committed_seq(void **state)
{
	(void)state;
	struct sr_ctl_holdq q;
	void *out[16];
	assert_int_equal(sr_ctl_holdq_init(&q, 0), -1);
	assert_int_equal(sr_ctl_holdq_init(&q, 4), 0);
	assert_true(sr_ctl_holdq_push(&q, &objs[0], 1));
	assert_true(sr_ctl_holdq_push(&q, &objs[1], 3));
	assert_true(sr_ctl_holdq_push(&q, &objs[2], 3)); /* a fetch after the change: same tag */
	assert_int_equal(sr_ctl_holdq_release(&q, 0, out, 16), 0);
	assert_int_equal(sr_ctl_holdq_release(&q, 2, out, 16), 1);
	assert_ptr_equal(out[0], &objs[0]);
	assert_int_equal(sr_ctl_holdq_release(&q, 3, out, 1), 1); /* max respected */
	assert_ptr_equal(out[0], &objs[1]);
	assert_int_equal(sr_ctl_holdq_release(&q, 3, out, 16), 1);
	assert_ptr_equal(out[0], &objs[2]);
	assert_int_equal(sr_ctl_holdq_count(&q), 0);
	sr_ctl_holdq_fini(&q);
}

static void test_full_and_wrap(void **state)
{
	(void)state;
	struct sr_ctl_holdq q;
	void *out[16];
	assert_int_equal(sr_ctl_holdq_init(&q, 3), 0);
	uint64_t seq = 0;
	for (int round = 0; round < 5; round++) {
		for (int i = 0; i < 3; i++)
			assert_true(sr_ctl_holdq_push(&q, &objs[i], ++seq));
		assert_false(sr_ctl_holdq_push(&q, &objs[3], seq)); /* full */
		assert_int_equal(sr_ctl_holdq_release(&q, seq - 1, out, 16), 2);
		assert_ptr_equal(out[0], &objs[0]);
		assert_ptr_equal(out[1], &objs[1]);
		assert_int_equal(sr_ctl_holdq_release(&q, seq, out, 16), 1);
		assert_ptr_equal(out[0], &objs[2]);
		assert_true(sr_ctl_holdq_push(&q, &objs[4], seq)); /* one in the middle of the array */
		assert_int_equal(sr_ctl_holdq_release(&q, seq, out, 16), 1);
	}
	sr_ctl_holdq_fini(&q);
}

/* A change's frames keep their retraction; a fetch's only its place in the order. */
static void test_change_keeps_its_retraction(void **state)
{
	(void)state;
	struct sr_ctl_holdq q;
	struct sr_ctl_held h[8];
	assert_int_equal(sr_ctl_holdq_init(&q, 4), 0);
	assert_true(sr_ctl_holdq_push_change(&q, &objs[0], NULL, NULL, 5)); /* first fragment */
	assert_true(sr_ctl_holdq_push_change(&q, &objs[1], &objs[9], NULL, 5)); /* last, with the 500 */
	assert_true(sr_ctl_holdq_push(&q, &objs[2], 5));
	assert_true(sr_ctl_holdq_push_change(&q, &objs[3], &objs[8], &objs[5], 6)); /* and the replica's 503 */
	assert_false(sr_ctl_holdq_push_change(&q, &objs[4], &objs[7], NULL, 7));
	assert_int_equal(sr_ctl_holdq_take(&q, 4, h, 8), 0);
	assert_int_equal(sr_ctl_holdq_take(&q, 5, h, 8), 3);
	assert_true(h[0].change && h[0].retraction == NULL && h[0].obj == &objs[0]);
	assert_true(h[1].change && h[1].retraction == &objs[9] && h[1].retraction_replica == NULL);
	assert_true(!h[2].change && h[2].retraction == NULL);
	assert_int_equal(sr_ctl_holdq_take(&q, 6, h, 8), 1);
	assert_true(h[0].seq == 6 && h[0].retraction == &objs[8] && h[0].retraction_replica == &objs[5]);
	sr_ctl_holdq_fini(&q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_release_by_committed_seq),
		cmocka_unit_test(test_full_and_wrap),
		cmocka_unit_test(test_change_keeps_its_retraction),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
