/*
 * test_reg_expiry.c - binding expiry through the shard (sr_reg_process + sr_reg_expire).
 *
 * A binding granted N seconds at second T is alive through T+N-1 and gone
 * at T+N, with an SR_EV_EXPIRED event; refreshes re-arm, removals cancel,
 * the expire budget bounds the work per call, long jumps in time work, and
 * a random stress run is checked against a reference model: every binding
 * disappears exactly when it is due, never before.
 */
#include "reg_harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALICE "sip:alice@example.com"

static struct th_env *env(void **state)
{
	struct th_env *e = *state;
	e->n_events = 0;
	return e;
}

static unsigned count_events(const struct th_env *e, enum sr_event_type t)
{
	unsigned n = 0;
	for (unsigned i = 0; i < e->n_events; i++)
		n += e->events[i].type == t;
	return n;
}

static void expires_at_exactly_its_second(void **state)
{
	struct th_env *e = env(state);
	assert_int_equal(th_register(e, "alice", "<sip:a@198.51.100.2>;expires=120", "c1", 1), 200);
	e->n_events = 0;
	assert_int_equal(th_advance(e, 119), 0);
	assert_int_equal(th_binding_count(e, ALICE), 1);
	assert_int_equal(e->n_events, 0);
	assert_int_equal(th_advance(e, 1), 1);
	assert_int_equal(th_binding_count(e, ALICE), 0);
	assert_int_equal(e->n_events, 1);
	assert_int_equal(e->events[0].type, SR_EV_EXPIRED);
	assert_string_equal(e->events[0].aor, ALICE);
	assert_string_equal(e->events[0].contact, "sip:a@198.51.100.2");
	assert_int_equal(e->events[0].expires, TH_T0_MS / 1000 + 120);
	struct sr_reg_stats st;
	sr_reg_get_stats(e->shard, &st);
	assert_int_equal(st.expired, 1);
	assert_int_equal(st.bindings, 0);
}

static void sub_second_time(void **state)
{
	struct th_env *e = env(state);
	assert_int_equal(th_register(e, "alice", "<sip:a@198.51.100.2>;expires=60", "c1", 1), 200);
	/* 59.999 s later it is still there; the 60th second removes it */
	e->now_ms += 59999;
	assert_int_equal(sr_reg_expire(e->shard, e->now_ms, 10), 0);
	e->now_ms += 1;
	assert_int_equal(sr_reg_expire(e->shard, e->now_ms, 10), 1);
}

static void aor_disappears_with_last_binding(void **state)
{
	struct th_env *e = env(state);
	assert_int_equal(th_register(e, "alice", "<sip:a@198.51.100.2>;expires=100, <sip:b@198.51.100.2>;expires=200",
				     "c1", 1), 200);
	assert_int_equal(th_advance(e, 100), 1);
	assert_non_null(th_aor(e, ALICE));
	assert_int_equal(th_binding_count(e, ALICE), 1);
	assert_string_equal(th_field(th_binding(e, ALICE, 0), SR_BF_CONTACT), "sip:b@198.51.100.2");
	/* the fetch lists the survivor with its remaining time */
	assert_int_equal(th_register(e, "alice", NULL, "c9", 1), 200);
	assert_string_equal(th_header(e, "Contact", 0), "<sip:b@198.51.100.2>;expires=100");
	assert_int_equal(th_advance(e, 100), 1);
	assert_null(th_aor(e, ALICE));
	assert_int_equal(th_register(e, "alice", NULL, "c9", 2), 200);
	assert_int_equal(th_header_count(e, "Contact"), 0);
	struct sr_reg_stats st;
	sr_reg_get_stats(e->shard, &st);
	assert_int_equal(st.aors, 0);
}

static void refresh_pushes_expiry_back(void **state)
{
	struct th_env *e = env(state);
	assert_int_equal(th_register(e, "alice", "<sip:a@198.51.100.2>;expires=120", "c1", 1), 200);
	assert_int_equal(th_advance(e, 100), 0);
	assert_int_equal(th_register(e, "alice", "<sip:a@198.51.100.2>;expires=120", "c1", 2), 200);
	assert_int_equal(th_advance(e, 100), 0); /* the old deadline (T0+120) passed: still there */
	assert_int_equal(th_binding_count(e, ALICE), 1);
	assert_int_equal(th_advance(e, 19), 0);
	assert_int_equal(th_advance(e, 1), 1);
	assert_int_equal(count_events(e, SR_EV_EXPIRED), 1);
	assert_int_equal(th_binding_count(e, ALICE), 0);
}

/* registered_at is the last REGISTER's second, the binding's id stays: routing and push read "last refreshed". */
static void refresh_restamps_registered_at(void **state)
{
	struct th_env *e = env(state);
	assert_int_equal(th_register(e, "alice", "<sip:a@198.51.100.2>;expires=120", "c1", 1), 200);
	const struct sr_binding *b = th_binding(e, ALICE, 0);
	uint64_t id = b->id;
	assert_int_equal(b->registered_at, TH_T0_MS / 1000);
	assert_int_equal(th_advance(e, 100), 0);
	assert_int_equal(th_register(e, "alice", "<sip:a@198.51.100.2>;expires=120", "c1", 2), 200);
	b = th_binding(e, ALICE, 0);
	assert_int_equal(b->id, id);
	assert_int_equal(b->registered_at, TH_T0_MS / 1000 + 100);
}

static void refresh_can_shorten(void **state)
{
	struct th_env *e = env(state);
	assert_int_equal(th_register(e, "alice", "<sip:a@198.51.100.2>;expires=3600", "c1", 1), 200);
	assert_int_equal(th_register(e, "alice", "<sip:a@198.51.100.2>;expires=60", "c1", 2), 200);
	assert_int_equal(th_advance(e, 60), 1);
	assert_int_equal(th_advance(e, 3600), 0);
}

static void expires_zero_cancels_timer(void **state)
{
	struct th_env *e = env(state);
	assert_int_equal(th_register(e, "alice", "<sip:a@198.51.100.2>;expires=120", "c1", 1), 200);
	assert_int_equal(th_register(e, "alice", "<sip:a@198.51.100.2>;expires=0", "c1", 2), 200);
	assert_int_equal(count_events(e, SR_EV_REMOVED), 1);
	e->n_events = 0;
	assert_int_equal(th_advance(e, 10000), 0);
	assert_int_equal(e->n_events, 0);
	/* so does Contact: * */
	assert_int_equal(th_register(e, "alice", "<sip:a@198.51.100.2>;expires=120", "c1", 3), 200);
	struct th_req star = { .contact = "*", .call_id = "c1", .cseq = 4, .extra = "Expires: 0\r\n" };
	assert_int_equal(th_send(e, &star), 200);
	e->n_events = 0;
	assert_int_equal(th_advance(e, 10000), 0);
	assert_int_equal(e->n_events, 0);
	struct sr_reg_stats st;
	sr_reg_get_stats(e->shard, &st);
	assert_int_equal(st.expired, 0);
}

static void budget_bounds_work(void **state)
{
	struct th_env *e = env(state);
	char user[32], cid[32];
	for (int i = 0; i < 1000; i++) {
		snprintf(user, sizeof(user), "u%d", i);
		snprintf(cid, sizeof(cid), "c%d", i);
		assert_int_equal(th_register(e, user, "<sip:x@198.51.100.2>;expires=300", cid, 1), 200);
	}
	e->now_ms += 300 * 1000ull;
	assert_int_equal(sr_reg_expire(e->shard, e->now_ms, 100), 100);
	struct sr_reg_stats st;
	sr_reg_get_stats(e->shard, &st);
	assert_int_equal(st.bindings, 900);
	unsigned total = 100, calls = 1, n;
	while ((n = sr_reg_expire(e->shard, e->now_ms, 100)) > 0) {
		assert_true(n <= 100);
		total += n;
		calls++;
	}
	assert_int_equal(total, 1000);
	assert_int_equal(calls, 10);
	sr_reg_get_stats(e->shard, &st);
	assert_int_equal(st.bindings, 0);
	assert_int_equal(st.aors, 0);
	assert_int_equal(st.expired, 1000);
	/* the wheel kept working: the leftovers of a budget are served before newer ones */
	assert_int_equal(th_register(e, "late", "<sip:x@198.51.100.2>;expires=60", "late", 1), 200);
	assert_int_equal(th_advance(e, 60), 1);
}

static void long_jumps(void **state)
{
	(void)state;
	struct sr_reg_config cfg;
	th_default_config(&cfg);
	cfg.max_expires = 0; /* no ceiling: lifetimes of days and months */
	struct th_env *e = th_env_new(&cfg, NULL);
	assert_non_null(e);
	static const uint32_t lifetimes[] = { 61, 255, 256, 257, 16383, 16384, 86400, 864000, 3000000, 40000000 };
	enum { N = sizeof(lifetimes) / sizeof(lifetimes[0]) };
	for (unsigned i = 0; i < N; i++) {
		char user[16], contact[64];
		snprintf(user, sizeof(user), "l%u", i);
		snprintf(contact, sizeof(contact), "<sip:x@198.51.100.2>;expires=%u", lifetimes[i]);
		assert_int_equal(th_register(e, user, contact, "c", 1), 200);
	}
	/* step from deadline to deadline with big jumps: each goes exactly at its second */
	uint32_t at = 0;
	for (unsigned i = 0; i < N; i++) {
		char aor[64];
		snprintf(aor, sizeof(aor), "sip:l%u@example.com", i);
		assert_int_equal(th_advance(e, lifetimes[i] - 1 - at), 0);
		assert_int_equal(th_binding_count(e, aor), 1);
		assert_int_equal(th_advance(e, 1), 1);
		assert_int_equal(th_binding_count(e, aor), 0);
		at = lifetimes[i];
	}
	/* one jump of a year over several deadlines expires them all at once */
	for (unsigned i = 0; i < 5; i++) {
		char user[16];
		snprintf(user, sizeof(user), "y%u", i);
		assert_int_equal(th_register(e, user, "<sip:y@198.51.100.2>;expires=100000", "c", 1), 200);
	}
	assert_int_equal(th_advance(e, 365u * 86400u), 5);
	th_env_free(e);
}

/* Random registrations, refreshes, removals and time steps against a reference model. */
static void stress_against_model(void **state)
{
	struct th_env *e = env(state);
	enum { USERS = 400, OPS = 5000 };
	static uint32_t due[USERS];   /* absolute second the binding is due; 0: none */
	static uint32_t cseq[USERS];
	memset(due, 0, sizeof(due));
	memset(cseq, 0, sizeof(cseq));
	srand(12345);
	uint64_t expired_total = 0, expected_total = 0;
	for (int op = 0; op < OPS; op++) {
		uint32_t now = (uint32_t)(e->now_ms / 1000);
		int r = rand() % 100;
		if (r < 60) {
			unsigned u = (unsigned)rand() % USERS;
			uint32_t exp = r < 5 ? 0 : 60 + (uint32_t)(rand() % 3541);
			char user[16], cid[16], contact[64];
			snprintf(user, sizeof(user), "s%u", u);
			snprintf(cid, sizeof(cid), "k%u", u);
			snprintf(contact, sizeof(contact), "<sip:s@198.51.100.2>;expires=%u", exp);
			assert_int_equal(th_register(e, user, contact, cid, ++cseq[u]), 200);
			due[u] = exp ? now + exp : 0;
		} else {
			/* advance by 0..600 s, sometimes with a sub-second part */
			uint64_t step_ms = (uint64_t)(rand() % 601) * 1000 + (r % 3 == 0 ? (uint64_t)(rand() % 1000) : 0);
			e->now_ms += step_ms;
			uint32_t t = (uint32_t)(e->now_ms / 1000);
			unsigned want = 0;
			for (unsigned u = 0; u < USERS; u++)
				if (due[u] && due[u] <= t) {
					want++;
					due[u] = 0;
				}
			unsigned got = 0, n;
			while ((n = sr_reg_expire(e->shard, e->now_ms, 50)) > 0)
				got += n;
			assert_int_equal(got, want);
			expected_total += want;
			expired_total += got;
			/* exactly the model's bindings are alive */
			for (unsigned u = 0; u < USERS; u++) {
				char aor[32];
				snprintf(aor, sizeof(aor), "sip:s%u@example.com", u);
				unsigned have = th_binding_count(e, aor);
				if (have != (due[u] ? 1u : 0u))
					fail_msg("op %d: %s has %u bindings, model says due %u (now %u)", op, aor, have,
						 due[u], t);
				if (have)
					assert_int_equal(sr_binding_expires(th_binding(e, aor, 0)), due[u]);
			}
		}
	}
	struct sr_reg_stats st;
	sr_reg_get_stats(e->shard, &st);
	assert_int_equal(st.expired, expected_total);
	assert_int_equal(expired_total, expected_total);
	assert_true(expected_total > 500);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, th_setup, th_teardown)
		T(expires_at_exactly_its_second),
		T(sub_second_time),
		T(aor_disappears_with_last_binding),
		T(refresh_pushes_expiry_back),
		T(refresh_restamps_registered_at),
		T(refresh_can_shorten),
		T(expires_zero_cancels_timer),
		T(budget_bounds_work),
		T(long_jumps),
		T(stress_against_model),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
