/*
 * test_push_shard.c - lib/push's per-worker decisions on a fake clock:
 * refresh pushes, call pushes and held requests (release by
 * re-registration, refresh_timeout, the bound, cancel, one push per
 * device), PURR holds, and the counters of each.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "push.h"

static const uint64_t secret[2] = { 11, 22 };
static const struct sr_str aor = SR_STR_LIT("sip:alice@example.com");

/* ---------------------------------------------------------------- recording io */

#define MAX_REC 32

struct rec {
	unsigned n_events;
	char reason[MAX_REC][16], prid[MAX_REC][64];
	bool emit_fails;
	unsigned n_released;
	void *released_req[MAX_REC], *released_binding[MAX_REC];
	bool released_last[MAX_REC];
	enum sr_push_hold released_kind[MAX_REC];
	unsigned n_expired;
	void *expired_req[MAX_REC];
	unsigned expired_woken[MAX_REC];
	enum sr_push_hold expired_kind[MAX_REC];
	/* reentrancy: on release, hold this request again for the same device */
	struct sr_push_shard *ps;
	const struct sr_push_binding *rehold;
};

static bool rec_emit(void *ctx, const char *json, size_t len)
{
	struct rec *r = ctx;
	if (r->emit_fails)
		return false;
	json_t *o = json_loadb(json, len, 0, NULL);
	assert_non_null(o);
	assert_true(r->n_events < MAX_REC);
	snprintf(r->reason[r->n_events], 16, "%s", json_string_value(json_object_get(o, "reason")));
	snprintf(r->prid[r->n_events], 64, "%s", json_string_value(json_object_get(o, "pn-prid")));
	r->n_events++;
	json_decref(o);
	return true;
}

static void rec_release(void *ctx, void *req, enum sr_push_hold kind, void *binding, bool last)
{
	struct rec *r = ctx;
	assert_true(r->n_released < MAX_REC);
	r->released_req[r->n_released] = req;
	r->released_binding[r->n_released] = binding;
	r->released_last[r->n_released] = last;
	r->released_kind[r->n_released++] = kind;
	if (r->rehold) {
		struct sr_push_plan plan;
		sr_push_on_call(r->ps, req, aor, r->rehold, 1, 100, 100000, &plan);
		r->rehold = NULL;
	}
}

static void rec_expired(void *ctx, void *req, enum sr_push_hold kind, unsigned woken)
{
	struct rec *r = ctx;
	assert_true(r->n_expired < MAX_REC);
	r->expired_req[r->n_expired] = req;
	r->expired_woken[r->n_expired] = woken;
	r->expired_kind[r->n_expired++] = kind;
}

static const struct sr_push_io io = { rec_emit, rec_release, rec_expired };

static struct rec rec;

static struct sr_push_rules rules(uint32_t skip, bool purr)
{
	struct sr_push_config c;
	sr_push_config_defaults(&c);
	c.enable = true;
	c.purr = purr;
	c.skip_interval = skip;
	c.refresh_timeout = 6;
	snprintf(c.providers, sizeof(c.providers), "apns,fcm");
	struct sr_push_rules r;
	char err[256];
	assert_null(sr_push_rules_init(&r, &c, err, sizeof(err)));
	return r;
}

static struct sr_push_shard *shard(uint32_t skip, bool purr, uint32_t held)
{
	memset(&rec, 0, sizeof(rec));
	struct sr_push_rules r = rules(skip, purr);
	struct sr_push_shard *ps = sr_push_shard_create(&r, secret, held, &io, &rec);
	assert_non_null(ps);
	rec.ps = ps;
	return ps;
}

/* A binding: prid NULL makes an ordinary contact. Packed strings live in a small ring of buffers. */
static struct sr_push_binding binding(const char *prid, uint32_t refreshed_s, uint32_t expires_s, bool pnsreg)
{
	static char bufs[8][128];
	static unsigned next;
	struct sr_push_binding b = { .contact = SR_STR_LIT("sip:a@198.51.100.9:5070"), .refreshed_s = refreshed_s,
				     .expires_s = expires_s, .pnsreg = pnsreg };
	if (!prid)
		return b;
	char *buf = bufs[next++ % 8];
	int n = snprintf(buf, 128, "pn-provider%capns%cpn-prid%c%s%cpn-param%cB%c", 0, 0, 0, prid, 0, 0, 0);
	b.params = sr_str_make(buf, (size_t)n);
	return b;
}

/* ---------------------------------------------------------------- refresh pushes */

static void test_refresh_point(void **state)
{
	(void)state;
	struct sr_push_rules r = rules(0, false);
	struct sr_push_binding b = binding("T", 1000, 4600, false);
	assert_int_equal(sr_push_refresh_at(&r, &b), 4600 - 120); /* trigger_interval before expiry */
	b.pnsreg = true;
	assert_int_equal(sr_push_refresh_at(&r, &b), 4600 - 120); /* the same point: only if it failed to refresh */
	b = binding("T", 1000, 1200, false);
	assert_int_equal(sr_push_refresh_at(&r, &b), 1100);       /* never before half the lifetime */
	b = binding("T", 1000, 1030, false);
	assert_int_equal(sr_push_refresh_at(&r, &b), 1015);
	b = binding("T", 1000, 1001, false);
	assert_int_equal(sr_push_refresh_at(&r, &b), 0);          /* too short to push */
	b = binding(NULL, 1000, 4600, false);
	assert_int_equal(sr_push_refresh_at(&r, &b), 0);          /* not a push contact */
	b = binding("T", 1000, 4600, false);
	r.enable = false;
	assert_int_equal(sr_push_refresh_at(&r, &b), 0);
}

static void test_refresh_push(void **state)
{
	(void)state;
	struct sr_push_shard *ps = shard(0, false, 8);
	struct sr_push_binding b = binding("T1", 1000, 4600, false);
	uint32_t at = sr_push_refresh_at(sr_push_shard_rules(ps), &b);
	assert_int_equal(sr_push_on_refresh_timer(ps, aor, &b, at), 4600); /* re-arm at expiry */
	assert_int_equal(rec.n_events, 1);
	assert_string_equal(rec.reason[0], "refresh");
	assert_string_equal(rec.prid[0], "T1");
	assert_int_equal(sr_push_stats(ps)->triggered[SR_PUSH_R_REFRESH], 1);
	/* at expiry: no push, the store expires it */
	assert_int_equal(sr_push_on_refresh_timer(ps, aor, &b, 4600), 4600);
	assert_int_equal(rec.n_events, 1);
	/* an ordinary contact never */
	struct sr_push_binding plain = binding(NULL, 1000, 4600, false);
	sr_push_on_refresh_timer(ps, aor, &plain, at);
	assert_int_equal(rec.n_events, 1);
	/* the control core's ring is full: counted as lost, not as triggered */
	rec.emit_fails = true;
	sr_push_on_refresh_timer(ps, aor, &b, at);
	assert_int_equal(sr_push_stats(ps)->lost, 1);
	assert_int_equal(sr_push_stats(ps)->triggered[SR_PUSH_R_REFRESH], 1);
	sr_push_shard_free(ps);

	/* skip_interval: a contact that refreshed that recently is not pushed */
	ps = shard(30, false, 8);
	b = binding("T1", 1000, 1040, false);
	at = sr_push_refresh_at(sr_push_shard_rules(ps), &b);
	assert_int_equal(at, 1020);
	sr_push_on_refresh_timer(ps, aor, &b, at);
	assert_int_equal(rec.n_events, 0);
	assert_int_equal(sr_push_stats(ps)->skipped, 1);
	sr_push_shard_free(ps);
}

/* ---------------------------------------------------------------- call pushes */

static void test_call_all_asleep(void **state)
{
	(void)state;
	struct sr_push_shard *ps = shard(0, false, 8);
	struct sr_push_binding b[3] = { binding("D1", 100, 3700, false), binding("D2", 100, 3700, false),
					binding("D1", 50, 3700, false) /* a second binding of device D1 */ };
	int req, new1, new2;
	struct sr_push_plan plan;
	assert_int_equal(sr_push_on_call(ps, &req, aor, b, 3, 200, 200000, &plan), SR_PUSH_CALL_HOLD);
	assert_int_equal(plan.fork_mask, 0);
	assert_int_equal(plan.push_mask, 7);
	/* one push per device, reason call */
	assert_int_equal(rec.n_events, 2);
	assert_string_equal(rec.reason[0], "call");
	assert_string_equal(rec.prid[0], "D1");
	assert_string_equal(rec.prid[1], "D2");
	const struct sr_push_stats *st = sr_push_stats(ps);
	assert_int_equal(st->triggered[SR_PUSH_R_CALL], 2);
	assert_int_equal(st->held, 1);
	assert_int_equal(st->holding, 1);

	/* an ordinary contact registering wakes nobody; neither does another device */
	struct sr_push_binding other = binding("D9", 201, 3801, false), plain = binding(NULL, 201, 3801, false);
	assert_int_equal(sr_push_on_register(ps, aor, &plain, &new1), 0);
	assert_int_equal(sr_push_on_register(ps, aor, &other, &new1), 0);
	/* the same device under another AoR is another device */
	struct sr_push_binding d2 = binding("D2", 201, 3801, false);
	assert_int_equal(sr_push_on_register(ps, SR_STR_LIT("sip:bob@example.com"), &d2, &new1), 0);

	/* D2 re-registers: a branch to its new binding; the request still waits for D1 */
	assert_int_equal(sr_push_on_register(ps, aor, &d2, &new1), 1);
	assert_int_equal(rec.n_released, 1);
	assert_ptr_equal(rec.released_req[0], &req);
	assert_ptr_equal(rec.released_binding[0], &new1);
	assert_int_equal(rec.released_kind[0], SR_PUSH_HOLD_CALL);
	assert_false(rec.released_last[0]);
	/* D1 re-registers (with another contact address: the device is what counts) */
	struct sr_push_binding d1 = binding("D1", 202, 3802, false);
	d1.contact = SR_STR_LIT("sip:a@198.51.100.9:6000");
	assert_int_equal(sr_push_on_register(ps, aor, &d1, &new2), 1);
	assert_true(rec.released_last[1]);
	assert_ptr_equal(rec.released_binding[1], &new2);
	assert_int_equal(st->released, 2);
	assert_int_equal(st->holding, 0);
	/* the hold is gone: no timeout later, a second re-registration releases nothing */
	assert_int_equal(sr_push_advance(ps, 200000 + 6000, 10), 0);
	assert_int_equal(sr_push_on_register(ps, aor, &d1, &new2), 0);
	sr_push_shard_free(ps);
}

static void test_call_mixed_and_fresh(void **state)
{
	(void)state;
	struct sr_push_shard *ps = shard(10, false, 8);
	int req;
	struct sr_push_plan plan;
	/* a desk phone and a sleeping mobile: fork to the phone now, push the mobile and let it join */
	struct sr_push_binding b[3] = { binding(NULL, 100, 3700, false), binding("M", 100, 3700, false),
					binding("F", 195, 3795, false) /* refreshed 5 s ago: awake */ };
	assert_int_equal(sr_push_on_call(ps, &req, aor, b, 3, 200, 200000, &plan), SR_PUSH_CALL_FORK_WAIT);
	assert_int_equal(plan.fork_mask, 5);
	assert_int_equal(plan.push_mask, 2);
	assert_int_equal(plan.skip_mask, 4);
	assert_int_equal(rec.n_events, 1);
	assert_string_equal(rec.prid[0], "M");
	assert_int_equal(sr_push_stats(ps)->skipped, 1);
	assert_int_equal(sr_push_stats(ps)->holding, 1);

	/* nothing to push: route as usual, no hold */
	struct sr_push_binding awake[2] = { binding(NULL, 100, 3700, false), binding("F", 195, 3795, false) };
	assert_int_equal(sr_push_on_call(ps, &req, aor, awake, 2, 200, 200000, &plan), SR_PUSH_CALL_FORK);
	assert_int_equal(plan.fork_mask, 3);
	assert_int_equal(plan.push_mask, 0);
	assert_int_equal(sr_push_stats(ps)->held, 1);
	/* skip_interval is "within": 10 s after the refresh it is asleep again */
	assert_int_equal(sr_push_on_call(ps, &req, aor, &awake[1], 1, 205, 205000, &plan), SR_PUSH_CALL_HOLD);
	sr_push_shard_free(ps);

	/* push off: everything forks, no event */
	memset(&rec, 0, sizeof(rec));
	struct sr_push_rules off = rules(0, false);
	off.enable = false;
	ps = sr_push_shard_create(&off, secret, 8, &io, &rec);
	assert_int_equal(sr_push_on_call(ps, &req, aor, &b[1], 1, 200, 200000, &plan), SR_PUSH_CALL_FORK);
	assert_int_equal(plan.fork_mask, 1);
	assert_int_equal(rec.n_events, 0);
	sr_push_shard_free(ps);
}

static void test_call_timeout(void **state)
{
	(void)state;
	struct sr_push_shard *ps = shard(0, false, 8);
	int r1, r2, nb;
	struct sr_push_plan plan;
	struct sr_push_binding one = binding("A", 100, 3700, false);
	struct sr_push_binding two[2] = { binding("B", 100, 3700, false), binding("C", 100, 3700, false) };
	sr_push_on_call(ps, &r1, aor, &one, 1, 200, 200000, &plan);
	sr_push_on_call(ps, &r2, aor, two, 2, 201, 201000, &plan);
	struct sr_push_binding c = binding("C", 202, 3802, false);
	sr_push_on_register(ps, aor, &c, &nb);
	/* refresh_timeout is 6 s from each hold */
	assert_int_equal(sr_push_advance(ps, 205999, 10), 0);
	assert_int_equal(sr_push_advance(ps, 206000, 10), 1);
	assert_ptr_equal(rec.expired_req[0], &r1);
	assert_int_equal(rec.expired_woken[0], 0); /* nothing woke: the routing answers 480 */
	assert_int_equal(rec.expired_kind[0], SR_PUSH_HOLD_CALL);
	assert_int_equal(sr_push_advance(ps, 300000, 10), 1);
	assert_ptr_equal(rec.expired_req[1], &r2);
	assert_int_equal(rec.expired_woken[1], 1); /* C woke and has its branch */
	assert_int_equal(sr_push_stats(ps)->timed_out, 2);
	assert_int_equal(sr_push_stats(ps)->holding, 0);
	/* a late re-registration finds nobody waiting */
	struct sr_push_binding a = binding("A", 400, 4000, false);
	assert_int_equal(sr_push_on_register(ps, aor, &a, &nb), 0);
	sr_push_shard_free(ps);
}

static void test_deadline_order_and_budget(void **state)
{
	(void)state;
	struct sr_push_shard *ps = shard(0, false, 16);
	int req[5];
	struct sr_push_plan plan;
	/* held at 10, 14, 11 (a clock step back), 12, 13 seconds: they expire in deadline order */
	const uint64_t at[5] = { 10000, 14000, 11000, 12000, 13000 };
	for (int i = 0; i < 5; i++) {
		char prid[8];
		snprintf(prid, sizeof(prid), "P%d", i);
		struct sr_push_binding b = binding(prid, 1, 3601, false);
		assert_int_equal(sr_push_on_call(ps, &req[i], aor, &b, 1, 5, at[i], &plan), SR_PUSH_CALL_HOLD);
	}
	assert_int_equal(sr_push_advance(ps, 100000, 2), 2); /* the budget is honoured */
	assert_ptr_equal(rec.expired_req[0], &req[0]);
	assert_ptr_equal(rec.expired_req[1], &req[2]);
	assert_int_equal(sr_push_advance(ps, 100000, 10), 3);
	assert_ptr_equal(rec.expired_req[2], &req[3]);
	assert_ptr_equal(rec.expired_req[3], &req[4]);
	assert_ptr_equal(rec.expired_req[4], &req[1]);
	sr_push_shard_free(ps);
}

static void test_call_bounded(void **state)
{
	(void)state;
	struct sr_push_shard *ps = shard(0, false, 1);
	int r1, r2, r3;
	struct sr_push_plan plan;
	struct sr_push_binding a = binding("A", 100, 3700, false), b = binding("B", 100, 3700, false);
	assert_int_equal(sr_push_on_call(ps, &r1, aor, &a, 1, 200, 200000, &plan), SR_PUSH_CALL_HOLD);
	/* the table is full: nothing else to ring, so 503; and no push for a request nobody holds */
	assert_int_equal(sr_push_on_call(ps, &r2, aor, &b, 1, 200, 200000, &plan), SR_PUSH_CALL_BUSY);
	assert_int_equal(plan.push_mask, 0);
	assert_int_equal(rec.n_events, 1);
	/* with another contact: fork to everyone, the sleeping one at its last address */
	struct sr_push_binding mixed[2] = { binding(NULL, 100, 3700, false), b };
	assert_int_equal(sr_push_on_call(ps, &r3, aor, mixed, 2, 200, 200000, &plan), SR_PUSH_CALL_FORK);
	assert_int_equal(plan.fork_mask, 3);
	assert_int_equal(plan.push_mask, 0);
	assert_int_equal(rec.n_events, 1);
	assert_int_equal(sr_push_stats(ps)->held_full, 2);
	assert_int_equal(sr_push_stats(ps)->held, 1);
	sr_push_shard_free(ps);
}

static void test_coalesce_and_cancel(void **state)
{
	(void)state;
	struct sr_push_shard *ps = shard(0, false, 8);
	int r1, r2, r3, nb;
	struct sr_push_plan p1, p2, p3;
	struct sr_push_binding a = binding("A", 100, 3700, false);
	sr_push_on_call(ps, &r1, aor, &a, 1, 200, 200000, &p1);
	/* a second call to the same sleeping device: held too, but the push already on its way is enough */
	sr_push_on_call(ps, &r2, aor, &a, 1, 201, 201000, &p2);
	sr_push_on_call(ps, &r3, aor, &a, 1, 201, 201000, &p3);
	assert_int_equal(rec.n_events, 1);
	assert_int_equal(sr_push_stats(ps)->coalesced, 2);
	/* the caller of r2 gives up (CANCEL): forgotten; a stale handle cancels nothing */
	assert_true(sr_push_cancel(ps, p2.handle));
	assert_false(sr_push_cancel(ps, p2.handle));
	assert_int_equal(sr_push_stats(ps)->cancelled, 1);
	/* one re-registration releases every request still waiting for the device */
	struct sr_push_binding again = binding("A", 202, 3802, false);
	assert_int_equal(sr_push_on_register(ps, aor, &again, &nb), 2);
	assert_ptr_equal(rec.released_req[0], &r3); /* most recent first: any order is right, each exactly once */
	assert_ptr_equal(rec.released_req[1], &r1);
	/* a released hold's handle is stale too, even once its slot is reused */
	assert_false(sr_push_cancel(ps, p1.handle));
	sr_push_on_call(ps, &r1, aor, &a, 1, 300, 300000, &p2);
	assert_false(sr_push_cancel(ps, p1.handle));
	assert_true(sr_push_cancel(ps, p2.handle));
	sr_push_shard_free(ps);
}

static void test_release_reentrant(void **state)
{
	(void)state;
	struct sr_push_shard *ps = shard(0, false, 8);
	int r1, nb;
	struct sr_push_plan plan;
	struct sr_push_binding a = binding("A", 100, 3700, false);
	sr_push_on_call(ps, &r1, aor, &a, 1, 200, 200000, &plan);
	/* the release callback holds a request for the same device again: it waits for the next wake-up */
	rec.rehold = &a;
	assert_int_equal(sr_push_on_register(ps, aor, &a, &nb), 1);
	assert_int_equal(sr_push_stats(ps)->holding, 1);
	assert_int_equal(rec.n_events, 2); /* the new hold pushed again: nobody else waited any more */
	assert_int_equal(sr_push_on_register(ps, aor, &a, &nb), 1);
	assert_int_equal(sr_push_stats(ps)->holding, 0);
	sr_push_shard_free(ps);
}

/* ---------------------------------------------------------------- PURR */

static void test_purr(void **state)
{
	(void)state;
	int req, nb;
	uint64_t handle;
	struct sr_push_binding b = binding("P", 100, 3700, false);
	/* push.purr off: sent at once */
	struct sr_push_shard *ps = shard(0, false, 8);
	assert_int_equal(sr_push_on_purr(ps, &req, aor, &b, 200, 200000, &handle), SR_PUSH_PURR_SEND);
	assert_int_equal(rec.n_events, 0);
	sr_push_shard_free(ps);

	ps = shard(10, true, 1);
	/* the binding is gone, or is no push contact: sent at once */
	assert_int_equal(sr_push_on_purr(ps, &req, aor, NULL, 200, 200000, &handle), SR_PUSH_PURR_SEND);
	struct sr_push_binding plain = binding(NULL, 100, 3700, false);
	assert_int_equal(sr_push_on_purr(ps, &req, aor, &plain, 200, 200000, &handle), SR_PUSH_PURR_SEND);
	/* refreshed 5 s ago: awake, sent at once */
	assert_int_equal(sr_push_on_purr(ps, &req, aor, &b, 105, 105000, &handle), SR_PUSH_PURR_SEND);
	assert_int_equal(sr_push_stats(ps)->skipped, 1);
	/* asleep: pushed (reason purr) and held until the binding re-registers */
	assert_int_equal(sr_push_on_purr(ps, &req, aor, &b, 200, 200000, &handle), SR_PUSH_PURR_HOLD);
	assert_int_equal(rec.n_events, 1);
	assert_string_equal(rec.reason[0], "purr");
	assert_int_equal(sr_push_stats(ps)->triggered[SR_PUSH_R_PURR], 1);
	/* the table (1) is full: the next one is sent at once, without a push */
	int req2;
	uint64_t h2;
	struct sr_push_binding q = binding("Q", 100, 3700, false);
	assert_int_equal(sr_push_on_purr(ps, &req2, aor, &q, 200, 200000, &h2), SR_PUSH_PURR_SEND);
	assert_int_equal(sr_push_stats(ps)->held_full, 1);
	assert_int_equal(rec.n_events, 1);
	/* the re-registration sends it */
	struct sr_push_binding again = binding("P", 201, 3801, false);
	assert_int_equal(sr_push_on_register(ps, aor, &again, &nb), 1);
	assert_int_equal(rec.released_kind[0], SR_PUSH_HOLD_PURR);
	assert_true(rec.released_last[0]);
	/* no re-registration: sent anyway when refresh_timeout passes (the manual's BYE case) */
	assert_int_equal(sr_push_on_purr(ps, &req, aor, &b, 300, 300000, &handle), SR_PUSH_PURR_HOLD);
	assert_int_equal(sr_push_advance(ps, 306000, 10), 1);
	assert_int_equal(rec.expired_kind[0], SR_PUSH_HOLD_PURR);
	sr_push_shard_free(ps);
}

static void test_create_refuses(void **state)
{
	(void)state;
	struct sr_push_rules r = rules(0, false);
	struct sr_push_io none = { 0 };
	assert_null(sr_push_shard_create(&r, secret, 8, &none, NULL));
	assert_null(sr_push_shard_create(&r, secret, 0, &io, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refresh_point),
		cmocka_unit_test(test_refresh_push),
		cmocka_unit_test(test_call_all_asleep),
		cmocka_unit_test(test_call_mixed_and_fresh),
		cmocka_unit_test(test_call_timeout),
		cmocka_unit_test(test_deadline_order_and_budget),
		cmocka_unit_test(test_call_bounded),
		cmocka_unit_test(test_coalesce_and_cancel),
		cmocka_unit_test(test_release_reentrant),
		cmocka_unit_test(test_purr),
		cmocka_unit_test(test_create_refuses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
