/*
 * test_repl_backlog.c - the writer's backlog (repl_backlog.c): sequence
 * numbers, send cursor, acknowledgement from the front, rewind after a
 * failure, dropping what was not sent, segment boundaries and changes
 * larger than a segment; contents are checked byte for byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "repl_backlog.h"

/* Change number i: AoR "sip:u<i>@x", a record of (i % 700) + 1 bytes of (uint8_t)i, or a removal every 5th. */
static struct sr_repl_change make(uint64_t i, char *aor, uint8_t *rec)
{
	struct sr_repl_change c = { .id = i * 7, .expires = (uint32_t)(1000 + i) };
	c.aor_len = (size_t)snprintf(aor, 32, "sip:u%llu@x", (unsigned long long)i);
	c.aor = aor;
	if (i % 5 == 4) {
		c.op = SR_REPL_REMOVED;
	} else {
		c.op = SR_REPL_ADDED;
		c.rec_len = i % 700 + 1;
		memset(rec, (int)(i & 0xff), c.rec_len);
		c.rec = rec;
	}
	return c;
}

static void check(const struct sr_repl_backlog_item *it, uint64_t i)
{
	char aor[32];
	uint8_t rec[800];
	struct sr_repl_change c = make(i, aor, rec);
	assert_true(it->seq == i);
	assert_int_equal(it->c.op, c.op);
	assert_true(it->c.id == c.id);
	assert_int_equal(it->c.expires, c.expires);
	assert_int_equal(it->c.aor_len, c.aor_len);
	assert_memory_equal(it->c.aor, c.aor, c.aor_len);
	assert_int_equal(it->c.rec_len, c.rec_len);
	if (c.rec_len) {
		assert_memory_equal(it->c.rec, c.rec, c.rec_len);
		/* the envelope around it is what the AoR hash stores */
		assert_int_equal(it->env_len, SR_REPL_ENVELOPE_HDR + c.rec_len);
		uint32_t exp;
		const uint8_t *r;
		size_t rl;
		const char *err;
		assert_int_equal(sr_repl_envelope_decode(it->env, it->env_len, &exp, &r, &rl, &err), 0);
		assert_int_equal(exp, c.expires);
		assert_ptr_equal(r, it->c.rec);
	} else {
		assert_null(it->env);
	}
}

static void add_range(struct sr_repl_backlog *q, uint64_t from, uint64_t to)
{
	char aor[32];
	uint8_t rec[800];
	for (uint64_t i = from; i <= to; i++) {
		struct sr_repl_change c = make(i, aor, rec);
		assert_true(sr_repl_backlog_add(q, &c, 5) == i);
	}
}

/* Takes up to n changes from the cursor, checking they are from..; returns the next expected. */
static uint64_t take(struct sr_repl_backlog *q, uint64_t from, unsigned n)
{
	struct sr_repl_backlog_item it;
	for (unsigned k = 0; k < n && sr_repl_backlog_peek(q, &it); k++) {
		check(&it, from++);
		sr_repl_backlog_advance(q);
	}
	return from;
}

static void test_send_ack_rewind(void **state)
{
	(void)state;
	struct sr_repl_backlog q;
	struct sr_repl_backlog_item it;
	sr_repl_backlog_init(&q, 1);
	assert_false(sr_repl_backlog_peek(&q, &it));
	assert_false(sr_repl_backlog_front(&q, &it));
	add_range(&q, 1, 10);
	assert_int_equal(q.count, 10);
	assert_int_equal(take(&q, 1, 4), 5);
	sr_repl_backlog_ack(&q, 2); /* 1 and 2 confirmed */
	assert_int_equal(q.count, 8);
	assert_true(sr_repl_backlog_front(&q, &it));
	check(&it, 3);
	assert_int_equal(take(&q, 5, 2), 7); /* the cursor did not move back */
	sr_repl_backlog_rewind(&q);           /* 3..6 failed: everything from the front again */
	assert_int_equal(take(&q, 3, 100), 11);
	assert_false(sr_repl_backlog_peek(&q, &it));
	add_range(&q, 11, 12);
	assert_int_equal(take(&q, 11, 100), 13);
	sr_repl_backlog_ack(&q, 12);
	assert_int_equal(q.count, 0);
	assert_int_equal(q.bytes, 0);
	assert_true(sr_repl_backlog_last_seq(&q) == 12);
	add_range(&q, 13, 13); /* an emptied backlog reuses its segment */
	assert_int_equal(take(&q, 13, 100), 14);
	sr_repl_backlog_fini(&q);
}

static void test_ack_beyond_cursor(void **state)
{
	(void)state;
	struct sr_repl_backlog q;
	sr_repl_backlog_init(&q, 1);
	add_range(&q, 1, 6);
	assert_int_equal(take(&q, 1, 2), 3);
	sr_repl_backlog_ack(&q, 4); /* e.g. a resynchronisation covered 1..4 */
	assert_int_equal(take(&q, 5, 100), 7); /* the cursor never sits behind the front */
	sr_repl_backlog_fini(&q);
}

static void test_drop_unsent(void **state)
{
	(void)state;
	struct sr_repl_backlog q;
	struct sr_repl_backlog_item it;
	sr_repl_backlog_init(&q, 1);
	add_range(&q, 1, 3000); /* several segments */
	assert_int_equal(take(&q, 1, 1000), 1001);
	uint64_t before = q.bytes;
	assert_true(sr_repl_backlog_drop_unsent(&q) == 2000);
	assert_int_equal(q.count, 1000);
	assert_true(q.bytes < before);
	assert_false(sr_repl_backlog_peek(&q, &it));
	add_range(&q, 3001, 3002); /* numbers are not reused */
	assert_int_equal(take(&q, 3001, 100), 3003);
	sr_repl_backlog_rewind(&q);
	assert_int_equal(take(&q, 1, 1000), 1001); /* what was in flight is still there */
	assert_true(sr_repl_backlog_peek(&q, &it));
	check(&it, 3001);
	sr_repl_backlog_ack(&q, 1000);
	sr_repl_backlog_ack(&q, 3002);
	assert_int_equal(q.count, 0);
	assert_int_equal(q.bytes, 0);
	/* dropping when everything is in flight drops nothing */
	add_range(&q, 3003, 3004);
	take(&q, 3003, 2);
	assert_true(sr_repl_backlog_drop_unsent(&q) == 0);
	sr_repl_backlog_fini(&q);
}

static void test_many_segments_and_big_change(void **state)
{
	(void)state;
	struct sr_repl_backlog q;
	struct sr_repl_backlog_item it;
	sr_repl_backlog_init(&q, 1);
	uint64_t next_add = 1, next_take = 1, acked = 0;
	/* producer ahead of consumer, acknowledgements lagging, rewinds now and then */
	for (int round = 0; round < 200; round++) {
		add_range(&q, next_add, next_add + 99);
		next_add += 100;
		next_take = take(&q, next_take, 70);
		if (round % 7 == 6) {
			sr_repl_backlog_rewind(&q);
			next_take = take(&q, acked + 1, (unsigned)(next_take - acked - 1));
		}
		uint64_t a = acked + (next_take - acked) / 2;
		sr_repl_backlog_ack(&q, a);
		acked = a;
		assert_true(sr_repl_backlog_front(&q, &it));
		check(&it, acked + 1);
		assert_int_equal(q.count, next_add - acked - 1);
	}
	/* a change larger than a segment */
	size_t big = 600u << 10;
	uint8_t *rec = malloc(big);
	assert_non_null(rec);
	memset(rec, 0xab, big);
	struct sr_repl_change c = { .op = SR_REPL_REFRESHED, .id = 1, .expires = 2, .aor = "sip:big@x", .aor_len = 9,
				    .rec = rec, .rec_len = big };
	uint64_t s = sr_repl_backlog_add(&q, &c, 0);
	assert_true(s == next_add);
	next_take = take(&q, next_take, (unsigned)(s - next_take));
	assert_true(sr_repl_backlog_peek(&q, &it));
	assert_true(it.seq == s);
	assert_int_equal(it.c.rec_len, big);
	assert_memory_equal(it.c.rec, rec, big);
	sr_repl_backlog_advance(&q);
	sr_repl_backlog_ack(&q, s);
	assert_int_equal(q.count, 0);
	free(rec);
	sr_repl_backlog_fini(&q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_send_ack_rewind),
		cmocka_unit_test(test_ack_beyond_cursor),
		cmocka_unit_test(test_drop_unsent),
		cmocka_unit_test(test_many_segments_and_big_change),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
