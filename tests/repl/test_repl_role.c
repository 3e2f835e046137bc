/*
 * test_repl_role.c - the role state machine (repl_role.c) driven by a fake
 * clock: start as active or standby, automatic failover when the heartbeat
 * lapses (and not before, nor right after a Redis outage), promotion by command, compare-and-set races,
 * fencing of a returning node, demotion on a newer epoch, Redis errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "repl_role.h"

#define FAILOVER 500
#define INTERVAL 100

static struct sr_repl_probe hb(const char *node, uint64_t hb_epoch, uint64_t epoch)
{
	struct sr_repl_probe p = { .hb_present = node != NULL, .hb_epoch = hb_epoch, .epoch = epoch };
	if (node)
		snprintf(p.hb_node, sizeof(p.hb_node), "%s", node);
	return p;
}

static struct sr_repl_role_req expect_req(struct sr_repl_role *r, uint64_t now, enum sr_repl_role_req_kind kind)
{
	struct sr_repl_role_req req;
	assert_true(sr_repl_role_next(r, now, &req));
	assert_int_equal(req.kind, kind);
	return req;
}

static void test_active_start_promotes_when_alone(void **state)
{
	(void)state;
	struct sr_repl_role r;
	sr_repl_role_init(&r, "a", true, true, FAILOVER, INTERVAL, 1000);
	expect_req(&r, 1000, SR_ROLE_REQ_PROBE);
	struct sr_repl_role_req req;
	assert_false(sr_repl_role_next(&r, 1000, &req)); /* one request in flight at most */
	struct sr_repl_probe p = hb(NULL, 0, 7);
	assert_int_equal(sr_repl_role_on_probe(&r, 1001, true, &p), SR_ROLE_EV_NONE);
	req = expect_req(&r, 1001, SR_ROLE_REQ_PROMOTE); /* at once, no waiting */
	assert_int_equal(req.epoch, 7);                 /* compare-and-set on what was read */
	assert_false(req.force);
	assert_int_equal(r.state, SR_ROLE_PROMOTING);
	assert_int_equal(sr_repl_role_on_promote(&r, 1002, true, 1, 8), SR_ROLE_EV_ACTIVE);
	assert_int_equal(r.state, SR_ROLE_ACTIVE);
	assert_int_equal(r.epoch, 8);
	assert_false(r.from_standby);
	assert_int_equal(r.failovers, 0);
	assert_false(sr_repl_role_next(&r, 1002 + INTERVAL - 1, &req));
	req = expect_req(&r, 1002 + INTERVAL, SR_ROLE_REQ_BEAT);
	assert_int_equal(req.epoch, 8);
	assert_int_equal(sr_repl_role_on_beat(&r, 1103, true, 1, 8), SR_ROLE_EV_NONE);
	assert_int_equal(r.last_beat_ok_ms, 1103);
}

static void test_returning_node_starts_as_standby(void **state)
{
	(void)state;
	struct sr_repl_role r;
	sr_repl_role_init(&r, "a", true, true, FAILOVER, INTERVAL, 0);
	expect_req(&r, 0, SR_ROLE_REQ_PROBE);
	struct sr_repl_probe p = hb("b", 9, 9);
	assert_int_equal(sr_repl_role_on_probe(&r, 0, true, &p), SR_ROLE_EV_STANDBY);
	assert_int_equal(r.state, SR_ROLE_STANDBY);
	assert_int_equal(r.fenced_starts, 1);
	assert_true(r.target_known);
	assert_string_equal(r.target, "b");
	assert_int_equal(r.target_epoch, 9);
	assert_non_null(strstr(r.why, "not as a second active"));
	/* while b beats, a never asks to promote, however long */
	for (uint64_t t = 100; t < 5000; t += INTERVAL) {
		expect_req(&r, t, SR_ROLE_REQ_PROBE);
		assert_int_equal(sr_repl_role_on_probe(&r, t, true, &p), SR_ROLE_EV_NONE);
	}
}

static void test_standby_fails_over_when_heartbeat_lapses(void **state)
{
	(void)state;
	struct sr_repl_role r;
	sr_repl_role_init(&r, "b", false, true, FAILOVER, INTERVAL, 0);
	expect_req(&r, 0, SR_ROLE_REQ_PROBE);
	struct sr_repl_probe alive = hb("a", 3, 3), gone = hb(NULL, 0, 3);
	assert_int_equal(sr_repl_role_on_probe(&r, 0, true, &alive), SR_ROLE_EV_STANDBY);
	uint64_t t = INTERVAL;
	for (; t < 2000; t += INTERVAL) {
		expect_req(&r, t, SR_ROLE_REQ_PROBE);
		sr_repl_role_on_probe(&r, t, true, &alive);
	}
	/* a's heartbeat expired in Redis: the next probe finds it gone and b promotes at once */
	expect_req(&r, t, SR_ROLE_REQ_PROBE);
	assert_int_equal(sr_repl_role_on_probe(&r, t, true, &gone), SR_ROLE_EV_NONE);
	struct sr_repl_role_req req = expect_req(&r, t, SR_ROLE_REQ_PROMOTE);
	assert_false(req.force);
	assert_int_equal(req.epoch, 3);
	assert_int_equal(sr_repl_role_on_promote(&r, t + 1, true, 1, 4), SR_ROLE_EV_ACTIVE);
	assert_true(r.from_standby);
	assert_int_equal(r.failovers, 1);
	assert_non_null(strstr(r.why, "lapsed"));
}

static void test_fresh_standby_waits_before_promoting(void **state)
{
	(void)state;
	struct sr_repl_role r;
	sr_repl_role_init(&r, "b", false, true, FAILOVER, INTERVAL, 10000);
	struct sr_repl_probe none = hb(NULL, 0, 0);
	expect_req(&r, 10000, SR_ROLE_REQ_PROBE);
	assert_int_equal(sr_repl_role_on_probe(&r, 10000, true, &none), SR_ROLE_EV_STANDBY);
	assert_false(r.target_known);
	uint64_t t = 10000 + INTERVAL;
	for (; t < 10000 + FAILOVER; t += INTERVAL) { /* the intended active may still be connecting */
		expect_req(&r, t, SR_ROLE_REQ_PROBE);
		sr_repl_role_on_probe(&r, t, true, &none);
	}
	expect_req(&r, t, SR_ROLE_REQ_PROBE);
	sr_repl_role_on_probe(&r, t, true, &none);
	expect_req(&r, t, SR_ROLE_REQ_PROMOTE);
}

static void test_redis_outage_is_not_a_dead_active(void **state)
{
	(void)state;
	struct sr_repl_role r;
	sr_repl_role_init(&r, "b", false, true, FAILOVER, INTERVAL, 0);
	struct sr_repl_probe alive = hb("a", 3, 3), gone = hb(NULL, 0, 3);
	expect_req(&r, 0, SR_ROLE_REQ_PROBE);
	sr_repl_role_on_probe(&r, 0, true, &alive);
	uint64_t t = INTERVAL;
	for (; t < 3000; t += INTERVAL) { /* following a */
		expect_req(&r, t, SR_ROLE_REQ_PROBE);
		sr_repl_role_on_probe(&r, t, true, &alive);
	}
	for (; t < 6000; t += INTERVAL) { /* Redis unreachable for 3 s */
		expect_req(&r, t, SR_ROLE_REQ_PROBE);
		sr_repl_role_on_probe(&r, t, false, NULL);
	}
	/* Redis is back, a's heartbeat expired meanwhile: b gives a failover_ms to beat again */
	uint64_t back = t;
	for (; t < back + FAILOVER; t += INTERVAL) {
		expect_req(&r, t, SR_ROLE_REQ_PROBE);
		sr_repl_role_on_probe(&r, t, true, &gone);
		assert_false(r.promote_pending);
	}
	expect_req(&r, t, SR_ROLE_REQ_PROBE);
	sr_repl_role_on_probe(&r, t, true, &alive); /* a beat again: nothing happens */
	assert_int_equal(r.state, SR_ROLE_STANDBY);
	assert_false(r.promote_pending);
	/* had a not come back, b would have promoted after failover_ms of answered probes */
	for (t += INTERVAL; t < back + 3 * FAILOVER; t += INTERVAL) {
		expect_req(&r, t, SR_ROLE_REQ_PROBE);
		sr_repl_role_on_probe(&r, t, true, &gone);
		if (r.promote_pending)
			break;
	}
	assert_true(r.promote_pending);
}

static void test_no_auto_failover_but_command(void **state)
{
	(void)state;
	struct sr_repl_role r;
	sr_repl_role_init(&r, "b", false, false, FAILOVER, INTERVAL, 0);
	struct sr_repl_probe alive = hb("a", 5, 5), none = hb(NULL, 0, 5);
	expect_req(&r, 0, SR_ROLE_REQ_PROBE);
	sr_repl_role_on_probe(&r, 0, true, &alive);
	for (uint64_t t = INTERVAL; t < 3000; t += INTERVAL) {
		expect_req(&r, t, SR_ROLE_REQ_PROBE);
		sr_repl_role_on_probe(&r, t, true, &none); /* lapsed, but automatic failover is off */
	}
	sr_repl_role_promote(&r);
	struct sr_repl_role_req req = expect_req(&r, 3000, SR_ROLE_REQ_PROMOTE); /* at once, not at the interval */
	assert_true(req.force);
	assert_int_equal(sr_repl_role_on_promote(&r, 3001, true, 1, 6), SR_ROLE_EV_ACTIVE);
	assert_non_null(strstr(r.why, "by command"));
	assert_int_equal(r.failovers, 1);
	sr_repl_role_promote(&r); /* already active: nothing to do */
	assert_false(r.promote_cmd);
}

static void test_command_overrides_live_heartbeat_and_old_active_demotes(void **state)
{
	(void)state;
	struct sr_repl_role a, b;
	sr_repl_role_init(&a, "a", true, true, FAILOVER, INTERVAL, 0);
	sr_repl_role_init(&b, "b", false, true, FAILOVER, INTERVAL, 0);
	/* a becomes active at epoch 1, b follows it */
	expect_req(&a, 0, SR_ROLE_REQ_PROBE);
	struct sr_repl_probe p = hb(NULL, 0, 0);
	sr_repl_role_on_probe(&a, 0, true, &p);
	expect_req(&a, 0, SR_ROLE_REQ_PROMOTE);
	sr_repl_role_on_promote(&a, 0, true, 1, 1);
	expect_req(&b, 0, SR_ROLE_REQ_PROBE);
	p = hb("a", 1, 1);
	sr_repl_role_on_probe(&b, 0, true, &p);
	/* the operator promotes b while a is alive: forced compare-and-set on epoch 1 */
	sr_repl_role_promote(&b);
	struct sr_repl_role_req req = expect_req(&b, 10, SR_ROLE_REQ_PROMOTE);
	assert_true(req.force);
	assert_int_equal(req.epoch, 1);
	assert_int_equal(sr_repl_role_on_promote(&b, 11, true, 1, 2), SR_ROLE_EV_ACTIVE);
	/* a's next beat finds epoch 2: it demotes itself and says why */
	req = expect_req(&a, INTERVAL, SR_ROLE_REQ_BEAT);
	assert_int_equal(req.epoch, 1);
	assert_int_equal(sr_repl_role_on_beat(&a, INTERVAL, true, 0, 2), SR_ROLE_EV_STANDBY);
	assert_int_equal(a.state, SR_ROLE_STANDBY);
	assert_int_equal(a.demotions, 1);
	assert_non_null(strstr(a.why, "demoted"));
	assert_non_null(strstr(a.why, "epoch 2"));
	/* and goes on to follow b */
	expect_req(&a, INTERVAL, SR_ROLE_REQ_PROBE);
	p = hb("b", 2, 2);
	assert_int_equal(sr_repl_role_on_probe(&a, INTERVAL, true, &p), SR_ROLE_EV_FOLLOW);
	assert_string_equal(a.target, "b");
}

static void test_lost_compare_and_set(void **state)
{
	(void)state;
	struct sr_repl_role r;
	sr_repl_role_init(&r, "b", false, true, FAILOVER, INTERVAL, 0);
	struct sr_repl_probe none = hb(NULL, 0, 4), c_alive = hb("c", 5, 5);
	expect_req(&r, 0, SR_ROLE_REQ_PROBE);
	sr_repl_role_on_probe(&r, 0, true, &none);
	expect_req(&r, FAILOVER, SR_ROLE_REQ_PROBE);
	sr_repl_role_on_probe(&r, FAILOVER, true, &none);
	expect_req(&r, FAILOVER, SR_ROLE_REQ_PROMOTE);
	/* node c promoted first: the epoch moved */
	assert_int_equal(sr_repl_role_on_promote(&r, FAILOVER + 1, true, 0, 5), SR_ROLE_EV_NONE);
	assert_int_equal(r.state, SR_ROLE_STANDBY);
	assert_int_equal(r.epoch, 5);
	expect_req(&r, FAILOVER + 1, SR_ROLE_REQ_PROBE); /* looks again at once */
	assert_int_equal(sr_repl_role_on_probe(&r, FAILOVER + 1, true, &c_alive), SR_ROLE_EV_FOLLOW);
	assert_string_equal(r.target, "c");
	assert_int_equal(r.failovers, 0);
	/* a heartbeat appeared between the probe and the compare-and-set */
	struct sr_repl_role s;
	sr_repl_role_init(&s, "d", true, true, FAILOVER, INTERVAL, 0);
	expect_req(&s, 0, SR_ROLE_REQ_PROBE);
	sr_repl_role_on_probe(&s, 0, true, &none);
	expect_req(&s, 0, SR_ROLE_REQ_PROMOTE);
	assert_int_equal(sr_repl_role_on_promote(&s, 1, true, -1, 4), SR_ROLE_EV_NONE);
	assert_int_equal(s.state, SR_ROLE_STARTING);
	expect_req(&s, 1, SR_ROLE_REQ_PROBE);
	assert_int_equal(sr_repl_role_on_probe(&s, 1, true, &c_alive), SR_ROLE_EV_STANDBY);
}

static void test_quick_restart_reclaims_with_new_epoch(void **state)
{
	(void)state;
	struct sr_repl_role r;
	sr_repl_role_init(&r, "a", true, true, FAILOVER, INTERVAL, 0);
	expect_req(&r, 0, SR_ROLE_REQ_PROBE);
	struct sr_repl_probe mine = hb("a", 3, 3); /* our previous run's heartbeat has not expired yet */
	assert_int_equal(sr_repl_role_on_probe(&r, 0, true, &mine), SR_ROLE_EV_NONE);
	struct sr_repl_role_req req = expect_req(&r, 0, SR_ROLE_REQ_PROMOTE);
	assert_true(req.force);
	assert_int_equal(req.epoch, 3);
	assert_int_equal(sr_repl_role_on_promote(&r, 1, true, 1, 4), SR_ROLE_EV_ACTIVE);
	assert_false(r.from_standby);
}

static void test_redis_errors(void **state)
{
	(void)state;
	struct sr_repl_role r;
	sr_repl_role_init(&r, "a", true, true, FAILOVER, INTERVAL, 0);
	expect_req(&r, 0, SR_ROLE_REQ_PROBE);
	assert_int_equal(sr_repl_role_on_probe(&r, 0, false, NULL), SR_ROLE_EV_NONE);
	assert_int_equal(r.state, SR_ROLE_STARTING); /* unknown: neither active nor standby */
	struct sr_repl_role_req req;
	assert_false(sr_repl_role_next(&r, INTERVAL - 1, &req)); /* retried after an interval */
	expect_req(&r, INTERVAL, SR_ROLE_REQ_PROBE);
	struct sr_repl_probe none = hb(NULL, 0, 0);
	sr_repl_role_on_probe(&r, INTERVAL, true, &none);
	expect_req(&r, INTERVAL, SR_ROLE_REQ_PROMOTE);
	assert_int_equal(sr_repl_role_on_promote(&r, INTERVAL, false, 0, 0), SR_ROLE_EV_NONE);
	assert_int_equal(r.state, SR_ROLE_STARTING);
	assert_false(sr_repl_role_next(&r, INTERVAL * 2 - 1, &req));
	expect_req(&r, INTERVAL * 2, SR_ROLE_REQ_PROMOTE); /* the promotion is retried, not forgotten */
	sr_repl_role_on_promote(&r, INTERVAL * 2, true, 1, 1);
	/* an active node that loses Redis stays active: the workers keep serving */
	for (uint64_t t = INTERVAL * 3; t < 10000; t += INTERVAL) {
		expect_req(&r, t, SR_ROLE_REQ_BEAT);
		assert_int_equal(sr_repl_role_on_beat(&r, t, false, 0, 0), SR_ROLE_EV_NONE);
	}
	assert_int_equal(r.state, SR_ROLE_ACTIVE);
	assert_true(r.beat_failures > 90);
}

static void test_follow_on_new_epoch(void **state)
{
	(void)state;
	struct sr_repl_role r;
	sr_repl_role_init(&r, "c", false, true, FAILOVER, INTERVAL, 0);
	struct sr_repl_probe p = hb("a", 1, 1);
	expect_req(&r, 0, SR_ROLE_REQ_PROBE);
	assert_int_equal(sr_repl_role_on_probe(&r, 0, true, &p), SR_ROLE_EV_STANDBY);
	expect_req(&r, INTERVAL, SR_ROLE_REQ_PROBE);
	assert_int_equal(sr_repl_role_on_probe(&r, INTERVAL, true, &p), SR_ROLE_EV_NONE);
	p = hb("a", 2, 2); /* a restarted and took over again */
	expect_req(&r, 2 * INTERVAL, SR_ROLE_REQ_PROBE);
	assert_int_equal(sr_repl_role_on_probe(&r, 2 * INTERVAL, true, &p), SR_ROLE_EV_FOLLOW);
	assert_int_equal(r.target_epoch, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_active_start_promotes_when_alone),
		cmocka_unit_test(test_returning_node_starts_as_standby),
		cmocka_unit_test(test_standby_fails_over_when_heartbeat_lapses),
		cmocka_unit_test(test_fresh_standby_waits_before_promoting),
		cmocka_unit_test(test_redis_outage_is_not_a_dead_active),
		cmocka_unit_test(test_no_auto_failover_but_command),
		cmocka_unit_test(test_command_overrides_live_heartbeat_and_old_active_demotes),
		cmocka_unit_test(test_lost_compare_and_set),
		cmocka_unit_test(test_quick_restart_reclaims_with_new_epoch),
		cmocka_unit_test(test_redis_errors),
		cmocka_unit_test(test_follow_on_new_epoch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
