/*
 * test_ctl_backlog.c - a listener subscriber's bounded buffer (lib/ctl/ctl_backlog.c):
 * lines queue and leave in order through partial writes; a subscriber that
 * does not read is cut off with reason "slow" when the next line does not
 * fit (counted once), the buffer never grows; a writer error cuts with
 * "closed"; a cut subscriber takes nothing more.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ctl_backlog.h"

struct peer {
	char got[256];
	size_t len;
	size_t per_call; /* bytes accepted per write call */
	unsigned calls_left; /* write calls that accept bytes before "would block" */
	int fail;
};

static long peer_write(void *ctx, const uint8_t *p, size_t n)
{
	struct peer *pr = ctx;
	if (pr->fail)
		return -1;
	if (pr->calls_left == 0)
		return 0;
	pr->calls_left--;
	size_t k = n < pr->per_call ? n : pr->per_call;
	memcpy(pr->got + pr->len, p, k);
	pr->len += k;
	return (long)k;
}

static void test_in_order_partial_writes(void **state)
{
	(void)state;
	uint64_t cuts[SR_CUT_COUNT] = { 0 };
	struct sr_ctl_backlog s;
	assert_int_equal(sr_ctl_backlog_init(&s, 0), -1);
	assert_int_equal(sr_ctl_backlog_init(&s, 16), 0);
	struct peer p = { .per_call = 3, .calls_left = 2 };
	assert_int_equal(sr_ctl_backlog_push(&s, "one\n", 4, cuts), 0);
	assert_int_equal(sr_ctl_backlog_push(&s, "two\n", 4, cuts), 0);
	assert_int_equal(sr_ctl_backlog_flush(&s, peer_write, &p, cuts), 2); /* 6 of 8 written, then would block */
	/* 2 bytes pending at offset 6: this line still fits behind them */
	assert_int_equal(sr_ctl_backlog_push(&s, "three-3\n", 8, cuts), 0);
	assert_int_equal(sr_ctl_backlog_push(&s, "four\n", 5, cuts), 0); /* fits only after moving the pending bytes to the front */
	p.calls_left = 100;
	assert_int_equal(sr_ctl_backlog_flush(&s, peer_write, &p, cuts), 0);
	p.got[p.len] = 0;
	assert_string_equal(p.got, "one\ntwo\nthree-3\nfour\n");
	assert_int_equal(cuts[SR_CUT_SLOW] + cuts[SR_CUT_CLOSED], 0);
	sr_ctl_backlog_fini(&s);
}

static void test_slow_subscriber_is_cut(void **state)
{
	(void)state;
	uint64_t cuts[SR_CUT_COUNT] = { 0 };
	struct sr_ctl_backlog s;
	assert_int_equal(sr_ctl_backlog_init(&s, 10), 0);
	struct peer p = { .per_call = 100, .calls_left = 0 }; /* never reads */
	assert_int_equal(sr_ctl_backlog_push(&s, "aaaa\n", 5, cuts), 0);
	assert_int_equal(sr_ctl_backlog_flush(&s, peer_write, &p, cuts), 5);
	assert_int_equal(sr_ctl_backlog_push(&s, "bbbb\n", 5, cuts), 0);
	assert_int_equal(sr_ctl_backlog_push(&s, "c\n", 2, cuts), -1);
	assert_int_equal(s.cut, SR_CUT_SLOW);
	assert_string_equal(sr_ctl_cut_reason_str(s.cut), "slow");
	assert_int_equal(cuts[SR_CUT_SLOW], 1);
	assert_true(s.len <= s.cap && s.cap == 10);
	/* once cut: refused, counted only once, nothing more written */
	assert_int_equal(sr_ctl_backlog_push(&s, "d\n", 2, cuts), -1);
	p.calls_left = 10;
	assert_int_equal(sr_ctl_backlog_flush(&s, peer_write, &p, cuts), -1);
	assert_int_equal(p.len, 0);
	assert_int_equal(cuts[SR_CUT_SLOW], 1);
	sr_ctl_backlog_fini(&s);
}

static void test_writer_error_closes(void **state)
{
	(void)state;
	uint64_t cuts[SR_CUT_COUNT] = { 0 };
	struct sr_ctl_backlog s;
	assert_int_equal(sr_ctl_backlog_init(&s, 64), 0);
	struct peer p = { .fail = 1 };
	assert_int_equal(sr_ctl_backlog_push(&s, "x\n", 2, cuts), 0);
	assert_int_equal(sr_ctl_backlog_flush(&s, peer_write, &p, cuts), -1);
	assert_int_equal(s.cut, SR_CUT_CLOSED);
	assert_string_equal(sr_ctl_cut_reason_str(s.cut), "closed");
	assert_int_equal(cuts[SR_CUT_CLOSED], 1);
	assert_int_equal(cuts[SR_CUT_SLOW], 0);
	sr_ctl_backlog_cut(&s, SR_CUT_ERROR, cuts); /* already cut: neither changed nor counted */
	assert_int_equal(s.cut, SR_CUT_CLOSED);
	assert_int_equal(cuts[SR_CUT_ERROR], 0);
	sr_ctl_backlog_fini(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_order_partial_writes),
		cmocka_unit_test(test_slow_subscriber_is_cut),
		cmocka_unit_test(test_writer_error_closes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
