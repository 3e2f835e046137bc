/*
 * test_timer_wheel.c - the hierarchical timer wheel against a reference.
 *
 * The reference is trivial: a timer armed for second E must be handed out by
 * the first sr_tw_advance() whose 'now' is >= E (unless the budget runs
 * out), never earlier, exactly once. Every test arms timers, advances in
 * some pattern and checks each expiry against that rule, plus the armed
 * count. Coverage: every level and the parking beyond the top level,
 * boundaries of each level, level-0 index wrap, re-arm earlier and later,
 * cancel, budget-limited advances, huge jumps (bounded time), and callbacks
 * that re-arm or free their node.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "timer_wheel.h"

#define NO_BUDGET (~0u)

struct tmr {
	struct sr_tw_node node; /* first member: the callback casts back */
	uint32_t fired_at;      /* 'now' of the advance that handed it out, 0 = never */
	unsigned fires;
};

/* What the callback knows about the advance in progress. */
struct run {
	int64_t prev_now; /* now of the previous advance (start - 1 at first): all up to it fired */
	uint32_t now;
	unsigned fired;
	bool strict; /* unlimited budget: must fire at the first advance reaching its second */
};

static void on_expire(struct sr_tw_node *n, void *ctx)
{
	struct run *r = ctx;
	struct tmr *t = (struct tmr *)n;
	assert_false(sr_tw_armed(n)); /* disarmed before the callback */
	assert_true(n->expires <= r->now); /* never early */
	if (r->strict)
		assert_true(n->expires > r->prev_now); /* not late either */
	t->fired_at = r->now;
	t->fires++;
	r->fired++;
}

static unsigned advance(struct sr_tw *tw, struct run *r, uint32_t now, unsigned budget,
			sr_tw_expire_fn *fn)
{
	r->now = now;
	r->strict = budget == NO_BUDGET;
	unsigned n = sr_tw_advance(tw, now, budget, fn, r);
	if (r->strict && now > r->prev_now)
		r->prev_now = now;
	return n;
}

static uint32_t rnd32(void)
{
	return ((uint32_t)rand() << 16) ^ (uint32_t)rand();
}

/* A delta from one of the level ranges (and beyond the wheel). */
static uint32_t rnd_delta(void)
{
	static const uint32_t range[] = { 4, 300, 20000, 1u << 21, 1u << 27 };
	return rnd32() % range[rand() % 5];
}

/* --- the reference test --- */

static void test_random_timers_match_reference(void **state)
{
	(void)state;
	enum { N = 4000 };
	static struct tmr t[N];
	struct sr_tw tw;
	const uint32_t start = 1700000123u;
	sr_tw_init(&tw, start);
	struct run r = { .prev_now = (int64_t)start - 1 };
	srand(7);
	for (unsigned i = 0; i < N; i++) {
		t[i] = (struct tmr){ 0 };
		sr_tw_node_init(&t[i].node);
		sr_tw_arm(&tw, &t[i].node, start + rnd_delta());
	}
	assert_int_equal(tw.armed, N);

	uint32_t now = start, end = start + (1u << 27) + 10;
	unsigned steps = 0, total = 0;
	while (now < end) {
		/* Mostly small steps, sometimes long ones. */
		static const uint32_t step[] = { 2, 2, 2, 40, 400, 30000, 3000000 };
		now += 1 + rnd32() % step[rand() % 7];
		if (now > end)
			now = end;
		r.fired = 0;
		unsigned got = advance(&tw, &r, now, NO_BUDGET, on_expire);
		assert_int_equal(got, r.fired);
		total += got;
		unsigned want = 0;
		for (unsigned i = 0; i < N; i++)
			want += t[i].node.expires <= now;
		assert_int_equal(total, want);
		assert_int_equal(tw.armed, N - total);
		/* Timers due later keep firing on time when armed mid-way. */
		if (steps++ % 50 == 0) {
			for (unsigned i = 0; i < N; i += 97) {
				if (t[i].fires == 1 && t[i].node.expires + 1000u < now) {
					t[i].fires = 0;
					total--;
					uint32_t e = now + 1 + rnd_delta() % (end - now);
					sr_tw_arm(&tw, &t[i].node, e);
				}
			}
		}
	}
	for (unsigned i = 0; i < N; i++)
		assert_int_equal(t[i].fires, 1);
	assert_int_equal(tw.armed, 0);
}

/*
 * One timer per interesting delta (each level's first and last second,
 * beyond the top level), from several start offsets; the wheel is moved to
 * the second before expiry with one jump, then one more second.
 */
static void test_level_boundaries_exact_second(void **state)
{
	(void)state;
	static const uint32_t deltas[] = { 0, 1, 2, 254, 255, 256, 257, 511, 512, 16383, 16384,
					   16385, (1u << 20) - 1, 1u << 20, (1u << 20) + 1,
					   (1u << 26) - 1, 1u << 26, (1u << 26) + 1, 1u << 27,
					   (1u << 30) + 12345 };
	static const uint32_t starts[] = { 0, 1, 255, 256, 12345, (1u << 20) - 1, 1u << 26,
					   1700000000u };
	for (size_t s = 0; s < sizeof(starts) / sizeof(starts[0]); s++) {
		for (size_t d = 0; d < sizeof(deltas) / sizeof(deltas[0]); d++) {
			struct sr_tw tw;
			struct tmr t = { 0 };
			uint32_t e = starts[s] + deltas[d];
			sr_tw_init(&tw, starts[s]);
			struct run r = { .prev_now = (int64_t)starts[s] - 1 };
			sr_tw_node_init(&t.node);
			sr_tw_arm(&tw, &t.node, e);
			if (deltas[d] > 1) {
				/* Half-way first, so cascading happens in between. */
				advance(&tw, &r, starts[s] + deltas[d] / 2, NO_BUDGET, on_expire);
				advance(&tw, &r, e - 1, NO_BUDGET, on_expire);
				assert_int_equal(t.fires, 0);
				assert_true(sr_tw_armed(&t.node));
			}
			advance(&tw, &r, e, NO_BUDGET, on_expire);
			if (deltas[d] == 0) /* not after now: fires at the next advance */
				advance(&tw, &r, e + 1, NO_BUDGET, on_expire);
			assert_int_equal(t.fires, 1);
			assert_int_equal(tw.armed, 0);
		}
	}
}

/* Second-by-second stepping across several level-0 and level-1 wraps. */
static void test_step_by_second_across_wraps(void **state)
{
	(void)state;
	enum { N = 3000 };
	static struct tmr t[N];
	struct sr_tw tw;
	const uint32_t start = (1u << 14) - 300; /* level-1 wrap within reach too */
	sr_tw_init(&tw, start);
	struct run r = { .prev_now = start };
	srand(11);
	for (unsigned i = 0; i < N; i++) {
		t[i] = (struct tmr){ 0 };
		sr_tw_node_init(&t[i].node);
		sr_tw_arm(&tw, &t[i].node, start + 1 + rnd32() % 40000);
	}
	for (uint32_t now = start + 1; now <= start + 40001; now++) {
		advance(&tw, &r, now, NO_BUDGET, on_expire);
		/* on_expire checks each fires exactly at its second (strict). */
	}
	for (unsigned i = 0; i < N; i++) {
		assert_int_equal(t[i].fires, 1);
		assert_int_equal(t[i].fired_at, t[i].node.expires);
	}
}

static void test_rearm_earlier_and_later(void **state)
{
	(void)state;
	struct sr_tw tw;
	struct tmr a = { 0 }, b = { 0 };
	sr_tw_init(&tw, 1000);
	struct run r = { .prev_now = 1000 };
	sr_tw_node_init(&a.node);
	sr_tw_node_init(&b.node);
	sr_tw_arm(&tw, &a.node, 1000 + 100000); /* level 2 */
	sr_tw_arm(&tw, &b.node, 1000 + 10);
	sr_tw_arm(&tw, &a.node, 1000 + 10); /* earlier, to level 0 */
	sr_tw_arm(&tw, &b.node, 1000 + 20000); /* later, to level 2 */
	assert_int_equal(tw.armed, 2);
	assert_int_equal(advance(&tw, &r, 1010, NO_BUDGET, on_expire), 1);
	assert_int_equal(a.fires, 1);
	assert_int_equal(b.fires, 0);
	assert_int_equal(advance(&tw, &r, 1000 + 19999, NO_BUDGET, on_expire), 0);
	assert_int_equal(advance(&tw, &r, 1000 + 100000, NO_BUDGET, on_expire), 1);
	assert_int_equal(b.fired_at, 1000 + 100000);
	assert_int_equal(b.fires, 1);
	assert_int_equal(a.fires, 1); /* the old level-2 position was left */
	assert_int_equal(tw.armed, 0);

	/* Re-arm into the past: fires at the next advance. */
	sr_tw_arm(&tw, &a.node, 5);
	assert_int_equal(advance(&tw, &r, tw.now, 100, on_expire), 1);
	assert_int_equal(a.fires, 2);
}

static void test_cancel(void **state)
{
	(void)state;
	enum { N = 1000 };
	static struct tmr t[N];
	struct sr_tw tw;
	sr_tw_init(&tw, 0);
	struct run r = { 0 };
	srand(3);
	for (unsigned i = 0; i < N; i++) {
		t[i] = (struct tmr){ 0 };
		sr_tw_node_init(&t[i].node);
		sr_tw_arm(&tw, &t[i].node, 1 + rnd_delta());
	}
	for (unsigned i = 0; i < N; i += 2)
		sr_tw_cancel(&tw, &t[i].node);
	sr_tw_cancel(&tw, &t[0].node); /* twice: harmless */
	struct tmr never = { 0 };
	sr_tw_node_init(&never.node);
	sr_tw_cancel(&tw, &never.node); /* never armed: harmless */
	assert_int_equal(tw.armed, N / 2);
	for (unsigned i = 0; i < N; i += 2)
		assert_false(sr_tw_armed(&t[i].node));
	assert_int_equal(advance(&tw, &r, 1u << 28, NO_BUDGET, on_expire), N / 2);
	for (unsigned i = 0; i < N; i++)
		assert_int_equal(t[i].fires, i % 2);
	assert_int_equal(tw.armed, 0);
}

static void test_budget_resumes(void **state)
{
	(void)state;
	enum { N = 1000 };
	static struct tmr t[N];
	struct sr_tw tw;
	sr_tw_init(&tw, 100);
	struct run r = { .prev_now = 100 };
	/* 600 at second 110, the rest spread over 111..140 and a few much later. */
	for (unsigned i = 0; i < N; i++) {
		t[i] = (struct tmr){ 0 };
		sr_tw_node_init(&t[i].node);
		uint32_t e = i < 600 ? 110 : i < 990 ? 111 + i % 30 : 5000 + i;
		sr_tw_arm(&tw, &t[i].node, e);
	}
	unsigned got, total = 0, calls = 0;
	do {
		got = advance(&tw, &r, 110, 64, on_expire);
		assert_true(got <= 64);
		total += got;
		calls++;
	} while (got == 64);
	assert_int_equal(total, 600);
	assert_int_equal(calls, 10); /* 9 full calls, then 24 */
	assert_int_equal(tw.armed, N - 600);

	/* A multi-second advance hands out the oldest seconds first. */
	assert_int_equal(advance(&tw, &r, 125, 5, on_expire), 5);
	unsigned early = 0;
	for (unsigned i = 600; i < 990; i++)
		early += t[i].fires && t[i].node.expires > 111;
	assert_int_equal(early, 0);
	while (advance(&tw, &r, 140, 7, on_expire) == 7)
		;
	for (unsigned i = 0; i < 990; i++)
		assert_int_equal(t[i].fires, 1);
	assert_int_equal(tw.armed, 10);
	/* A zero budget hands out nothing. */
	assert_int_equal(advance(&tw, &r, 1u << 20, 0, on_expire), 0);
	assert_int_equal(tw.armed, 10);
	while (advance(&tw, &r, 1u << 20, 3, on_expire) == 3)
		;
	assert_int_equal(tw.armed, 0);
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/*
 * A jump of ~3.5e9 seconds with timers on every level: one call, bounded
 * time (stepping second by second would take minutes), everything fires
 * exactly once, and the wheel works relative to the new time afterwards.
 */
static void test_huge_jump(void **state)
{
	(void)state;
	enum { N = 2000 };
	static struct tmr t[N];
	struct sr_tw tw;
	const uint32_t start = 1000;
	sr_tw_init(&tw, start);
	struct run r = { .prev_now = (int64_t)start - 1 };
	srand(5);
	for (unsigned i = 0; i < N; i++) {
		t[i] = (struct tmr){ 0 };
		sr_tw_node_init(&t[i].node);
		uint32_t e = i < N / 2 ? start + rnd_delta() : start + rnd32() % 3500000000u;
		sr_tw_arm(&tw, &t[i].node, e);
	}
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	uint32_t far = start + 3500000000u;
	assert_int_equal(advance(&tw, &r, far, NO_BUDGET, on_expire), N);
	assert_true(seconds_since(&t0) < 0.5);
	assert_int_equal(tw.armed, 0);

	/* Re-arm relative to the new time; jump on in steps longer than a top-level turn. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned i = 0; i < N; i++)
		sr_tw_arm(&tw, &t[i].node, far + 1 + rnd32() % 300000000u);
	for (uint32_t now = far + 1; tw.armed; now += 77777777u)
		advance(&tw, &r, now, NO_BUDGET, on_expire);
	assert_true(seconds_since(&t0) < 0.5);
	for (unsigned i = 0; i < N; i++)
		assert_int_equal(t[i].fires, 2);
}

struct run_with_wheel {
	struct run r;
	struct sr_tw *tw;
};

/* Callback re-arms its own node a few times, 5 s later each time. */
static void rearm_cb(struct sr_tw_node *n, void *ctx)
{
	struct run_with_wheel *rw = ctx;
	on_expire(n, &rw->r);
	struct tmr *t = (struct tmr *)n;
	if (t->fires < 4)
		sr_tw_arm(rw->tw, n, n->expires + 5);
}

static void test_callback_rearms(void **state)
{
	(void)state;
	struct sr_tw tw;
	struct tmr t = { 0 };
	sr_tw_init(&tw, 250);
	struct run_with_wheel rw = { .r = { .prev_now = 250 }, .tw = &tw };
	sr_tw_node_init(&t.node);
	sr_tw_arm(&tw, &t.node, 254); /* re-arms cross the level-0 wrap */
	uint32_t fired[4];
	for (uint32_t now = 251; now <= 300; now++) {
		unsigned before = t.fires;
		rw.r.now = now;
		rw.r.strict = true;
		sr_tw_advance(&tw, now, NO_BUDGET, rearm_cb, &rw);
		rw.r.prev_now = now;
		if (t.fires != before)
			fired[t.fires - 1] = now;
	}
	assert_int_equal(t.fires, 4);
	assert_int_equal(fired[0], 254);
	assert_int_equal(fired[1], 259);
	assert_int_equal(fired[2], 264);
	assert_int_equal(fired[3], 269);
	assert_int_equal(tw.armed, 0);
}

/* Callback re-arms into the past: the budget still bounds the call. */
static void rearm_now_cb(struct sr_tw_node *n, void *ctx)
{
	struct run_with_wheel *rw = ctx;
	rw->r.fired++;
	sr_tw_arm(rw->tw, n, rw->tw->now);
}

static void test_callback_rearm_in_past_is_bounded(void **state)
{
	(void)state;
	struct sr_tw tw;
	struct tmr t = { 0 };
	sr_tw_init(&tw, 10);
	struct run_with_wheel rw = { .tw = &tw };
	sr_tw_node_init(&t.node);
	sr_tw_arm(&tw, &t.node, 11);
	assert_int_equal(sr_tw_advance(&tw, 20, 50, rearm_now_cb, &rw), 50);
	assert_int_equal(rw.r.fired, 50);
	assert_true(sr_tw_armed(&t.node));
	assert_int_equal(tw.armed, 1);
	sr_tw_cancel(&tw, &t.node);
	assert_int_equal(sr_tw_advance(&tw, 21, 50, rearm_now_cb, &rw), 0);
}

/* Callback frees its node (ASan catches any later touch by the wheel). */
static void free_cb(struct sr_tw_node *n, void *ctx)
{
	(*(unsigned *)ctx)++;
	free(n);
}

static void test_callback_frees(void **state)
{
	(void)state;
	enum { N = 500 };
	struct sr_tw tw;
	sr_tw_init(&tw, 0);
	srand(9);
	for (unsigned i = 0; i < N; i++) {
		struct sr_tw_node *n = malloc(sizeof(*n));
		assert_non_null(n);
		sr_tw_node_init(n);
		sr_tw_arm(&tw, n, 1 + rnd32() % 50000);
	}
	unsigned freed = 0;
	for (uint32_t now = 0; tw.armed; now += 1 + rnd32() % 700)
		sr_tw_advance(&tw, now, 17, free_cb, &freed);
	assert_int_equal(freed, N);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_timers_match_reference),
		cmocka_unit_test(test_level_boundaries_exact_second),
		cmocka_unit_test(test_step_by_second_across_wraps),
		cmocka_unit_test(test_rearm_earlier_and_later),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_budget_resumes),
		cmocka_unit_test(test_huge_jump),
		cmocka_unit_test(test_callback_rearms),
		cmocka_unit_test(test_callback_rearm_in_past_is_bounded),
		cmocka_unit_test(test_callback_frees),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
