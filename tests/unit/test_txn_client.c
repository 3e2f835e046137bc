/*
 * test_txn_client.c - client transactions (RFC 3261 17.1, RFC 6026) driven
 * by a fake clock: Timer A doubling (no cap, 17.1.1.2) until B, E doubling
 * to T2 then F, E at T2 in Proceeding, D, K, M, Timer C with the CANCEL it
 * triggers, the ACK of a non-2xx (hop by hop) re-sent for copies of the
 * final response, response matching by branch and CSeq method (17.1.3),
 * deferred CANCEL (9.1), late timer handling, and the clock rebase.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "txn_harness.h"

static const char INVITE[] = "INVITE sip:callee SIP/2.0\r\n\r\n";
static const char OPTIONS[] = "OPTIONS sip:callee SIP/2.0\r\n\r\n";

static struct sr_txn *start(struct harness *h, const char *method, const char *bytes)
{
	struct sr_txn *t;
	assert_int_equal(sr_txn_client_create(h->ts, sr_str_cstr(method), 0x1234abcd, &h_callee, &t), SR_TXN_OK);
	sr_txn_set_user(t, h, 42);
	assert_int_equal(sr_txn_client_send(h->ts, t, bytes, strlen(bytes), h->now), SR_TXN_OK);
	return t;
}

static int rx(struct harness *h, struct sr_txn *t, int status, const char *cseq_method)
{
	struct sr_txn_resp r = h_resp(status, sr_txn_branch(t), cseq_method);
	return sr_txn_client_response(h->ts, &r, h->now);
}

static void check_times(const struct harness *h, const char *prefix, uint64_t since, const uint64_t *want,
			unsigned n_want)
{
	uint64_t at[64];
	unsigned n = h_send_times(h, 0, prefix, since, at, 64);
	assert_int_equal(n, n_want);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(at[i], want[i]);
}

/* Timer A: 500, 1000, 2000, ... (sends at 0, .5, 1.5, 3.5, 7.5, 15.5, 31.5 s); Timer B at 64*T1. */
static void test_invite_timer_a_and_b(void **state)
{
	(void)state;
	struct harness h;
	h_init(&h, 16, 5000);
	struct sr_txn *t = start(&h, "INVITE", INVITE);
	assert_true(sr_txn_is_client(t));
	assert_int_equal(sr_txn_state(t), SR_TXN_CALLING);
	assert_int_equal(sr_txn_peer(t)->port, h_callee.port);
	h_run_to(&h, 5000 + 40000);
	static const uint64_t want[] = { 0, 500, 1500, 3500, 7500, 15500, 31500 };
	check_times(&h, "INVITE", 5000, want, 7);
	assert_int_equal(h.n_timeouts, 1);
	assert_int_equal(h.timeouts[0].which, 'B');
	assert_int_equal(h.timeouts[0].at, 5000 + 32000);
	assert_int_equal(h.n_terminated, 1);
	assert_int_equal(sr_txn_stats(h.ts)->retransmissions, 6);
	assert_int_equal(sr_txn_stats(h.ts)->live, 0);
	h_free(&h);
}

/* Timer E: 500, 1000, 2000, 4000, 4000, ... (sends at 0, .5, 1.5, 3.5, 7.5, 11.5, ...); Timer F at 64*T1. */
static void test_non_invite_timer_e_and_f(void **state)
{
	(void)state;
	struct harness h;
	h_init(&h, 16, 0);
	start(&h, "OPTIONS", OPTIONS);
	h_run_to(&h, 40000);
	static const uint64_t want[] = { 0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500 };
	check_times(&h, "OPTIONS", 0, want, 11);
	assert_int_equal(h.n_timeouts, 1);
	assert_int_equal(h.timeouts[0].which, 'F');
	assert_int_equal(h.timeouts[0].at, 32000);
	h_free(&h);
}

/* timer_f_ms: a non-INVITE client gives up then (Timer E unchanged); an INVITE's Timer B stays 64*T1. */
static void test_timer_f_configured(void **state)
{
	(void)state;
	struct harness h;
	struct sr_txn_config cfg = { .capacity = 16, .buf_small = 1024, .buf_large = 2, .worker = 7,
				     .secret = { 1, 2 }, .timer_f_ms = 16000 };
	h_init_cfg(&h, &cfg, 0);
	start(&h, "OPTIONS", OPTIONS);
	h_run_to(&h, 40000);
	static const uint64_t want[] = { 0, 500, 1500, 3500, 7500, 11500, 15500 };
	check_times(&h, "OPTIONS", 0, want, 7);
	assert_int_equal(h.n_timeouts, 1);
	assert_int_equal(h.timeouts[0].which, 'F');
	assert_int_equal(h.timeouts[0].at, 16000);
	start(&h, "INVITE", INVITE);
	h_run_to(&h, 40000 + 40000);
	assert_int_equal(h.n_timeouts, 2);
	assert_int_equal(h.timeouts[1].which, 'B');
	assert_int_equal(h.timeouts[1].at, 40000 + 32000);
	h_free(&h);
}

/* Non-INVITE in Proceeding: E every T2; a final response: Completed, copies absorbed, Timer K = T4. */
static void test_non_invite_proceeding_and_k(void **state)
{
	(void)state;
	struct harness h;
	h_init(&h, 16, 0);
	struct sr_txn *t = start(&h, "OPTIONS", OPTIONS);
	h_run_to(&h, 100);
	assert_int_equal(rx(&h, t, 100, "OPTIONS"), 1);
	assert_int_equal(sr_txn_state(t), SR_TXN_PROCEEDING);
	h_run_to(&h, 10000);
	/* E was armed for 500 at send; then T2 steps: 500, 4500, 8500. */
	static const uint64_t want[] = { 0, 500, 4500, 8500 };
	check_times(&h, "OPTIONS", 0, want, 4);
	assert_int_equal(rx(&h, t, 200, "OPTIONS"), 1);
	assert_int_equal(sr_txn_state(t), SR_TXN_COMPLETED);
	assert_int_equal(h.n_responses, 2);
	assert_int_equal(rx(&h, t, 200, "OPTIONS"), 1); /* a copy: absorbed, not passed up */
	assert_int_equal(h.n_responses, 2);
	h_run_to(&h, 14999);
	assert_int_equal(h.n_terminated, 0);
	h_run_to(&h, 15000);
	assert_int_equal(h.n_terminated, 1);
	assert_int_equal(h.n_sends, 4); /* no retransmission after the final */
	assert_int_equal(h.n_timeouts, 0);
	h_free(&h);
}

/* 486: the layer asks for the ACK, sends it to the same hop, re-sends it for each copy of the 486; Timer D. */
static void test_invite_non2xx_ack_and_timer_d(void **state)
{
	(void)state;
	struct harness h;
	h_init(&h, 16, 0);
	struct sr_txn *t = start(&h, "INVITE", INVITE);
	h_run_to(&h, 200);
	assert_int_equal(rx(&h, t, 486, "INVITE"), 1);
	assert_int_equal(sr_txn_state(t), SR_TXN_COMPLETED);
	assert_int_equal(h.n_builds, 1);
	assert_int_equal(h.builds[0].which, 'A');
	assert_int_equal(h.builds[0].status, 486);
	assert_int_equal(h.n_sends, 2);
	assert_memory_equal(h.sends[1].bytes, "ACK sip:callee", 14);
	assert_non_null(strstr(h.sends[1].bytes, "branch=z9hG4bKsr07"));
	assert_int_equal(h.sends[1].to.ip, h_callee.ip);
	assert_int_equal(h.n_responses, 1);
	assert_int_equal(h.responses[0].status, 486);
	/* The kept request is now the ACK. */
	assert_memory_equal(sr_txn_request(t).p, "ACK", 3);
	assert_int_equal(rx(&h, t, 486, "INVITE"), 1);
	assert_int_equal(h.n_sends, 3);
	assert_memory_equal(h.sends[2].bytes, "ACK", 3);
	assert_int_equal(h.n_responses, 1);
	h_run_to(&h, 200 + 31999);
	assert_int_equal(h.n_sends, 3); /* Timer A stopped at the final response */
	assert_int_equal(h.n_terminated, 0);
	h_run_to(&h, 200 + 32000);
	assert_int_equal(h.n_terminated, 1);
	h_free(&h);
}

/* RFC 6026: 2xx -> Accepted; every later 2xx (other forks, retransmissions) goes up; Timer M = 64*T1. */
static void test_invite_2xx_accepted_timer_m(void **state)
{
	(void)state;
	struct harness h;
	h_init(&h, 16, 0);
	struct sr_txn *t = start(&h, "INVITE", INVITE);
	assert_int_equal(rx(&h, t, 180, "INVITE"), 1);
	assert_int_equal(rx(&h, t, 200, "INVITE"), 1);
	assert_int_equal(sr_txn_state(t), SR_TXN_ACCEPTED);
	assert_int_equal(rx(&h, t, 200, "INVITE"), 1);
	assert_int_equal(rx(&h, t, 486, "INVITE"), 1); /* ignored in Accepted */
	assert_int_equal(h.n_responses, 3);
	assert_int_equal(h.responses[2].status, 200);
	assert_int_equal(h.n_builds, 0); /* no ACK for a 2xx: it is the UAC's own transaction */
	h_run_to(&h, 31999);
	assert_int_equal(h.n_terminated, 0);
	h_run_to(&h, 32000);
	assert_int_equal(h.n_terminated, 1);
	assert_int_equal(h.n_sends, 1);
	h_free(&h);
}

/* 17.1.3: a response matches only with our branch and the CSeq method of the request. */
static void test_response_matching(void **state)
{
	(void)state;
	struct harness h;
	h_init(&h, 16, 0);
	struct sr_txn *t = start(&h, "INVITE", INVITE);
	assert_int_equal(rx(&h, t, 180, "OPTIONS"), 0);
	struct sr_txn_resp r = h_resp(180, SR_STR_LIT("z9hG4bKsr07unknown"), "INVITE");
	assert_int_equal(sr_txn_client_response(h.ts, &r, 0), 0);
	r = h_resp(99, sr_txn_branch(t), "INVITE");
	assert_int_equal(sr_txn_client_response(h.ts, &r, 0), 0);
	assert_int_equal(sr_txn_stats(h.ts)->stray_responses, 3);
	assert_int_equal(h.n_responses, 0);
	assert_int_equal(sr_txn_state(t), SR_TXN_CALLING);
	h_free(&h);
}

static void cancel_on_timer_c(struct harness *h, struct sr_txn *t, enum sr_txn_timeout which)
{
	if (which == SR_TXN_TIMER_C)
		assert_int_equal(sr_txn_client_cancel(h->ts, t, h->now), SR_TXN_CANCEL_SENT);
}

/* Timer C: 180 s after the last provisional other than 100 the TU is told and cancels; 64*T1 later the branch gives up. */
static void test_timer_c_cancels_then_gives_up(void **state)
{
	(void)state;
	struct harness h;
	h_init(&h, 16, 0);
	h.on_timeout = cancel_on_timer_c;
	struct sr_txn *t = start(&h, "INVITE", INVITE);
	h_run_to(&h, 1000);
	rx(&h, t, 100, "INVITE"); /* starts C */
	h_run_to(&h, 2000);
	rx(&h, t, 180, "INVITE"); /* resets C */
	h_run_to(&h, 100000);
	rx(&h, t, 100, "INVITE"); /* a 100 does not reset C */
	h_run_to(&h, 2000 + 179999);
	assert_int_equal(h.n_timeouts, 0);
	h_run_to(&h, 2000 + 180000);
	assert_int_equal(h.n_timeouts, 1);
	assert_int_equal(h.timeouts[0].which, 'C');
	assert_int_equal(h.n_builds, 1);
	assert_int_equal(h.builds[0].which, 'X');
	assert_memory_equal(h.sends[h.n_sends - 1].bytes, "CANCEL", 6);
	assert_int_equal(sr_txn_stats(h.ts)->live, 2); /* INVITE + CANCEL */
	/* The callee never answers: the CANCEL gives up after F, the INVITE 64*T1 after C. */
	h_run_to(&h, 2000 + 180000 + 32000);
	assert_int_equal(h.n_timeouts, 2);
	assert_int_equal(h.timeouts[1].which, 'B');
	assert_int_equal(sr_txn_stats(h.ts)->live, 0);
	h_free(&h);
}

/* 9.1: a CANCEL before any provisional response waits for one; after a final response there is nothing to cancel. */
static void test_cancel_deferred_until_provisional(void **state)
{
	(void)state;
	struct harness h;
	h_init(&h, 16, 0);
	struct sr_txn *t = start(&h, "INVITE", INVITE);
	assert_int_equal(sr_txn_client_cancel(h.ts, t, 0), SR_TXN_CANCEL_DEFERRED);
	assert_int_equal(h.n_sends, 1);
	h_run_to(&h, 700);
	rx(&h, t, 180, "INVITE");
	assert_int_equal(h.n_builds, 1);
	assert_memory_equal(h.sends[h.n_sends - 1].bytes, "CANCEL", 6);
	/* The CANCEL is a non-INVITE client transaction with the INVITE's branch, retransmitted by E. */
	uint64_t at[8];
	h_run_to(&h, 700 + 1600);
	unsigned n = h_send_times(&h, 0, "CANCEL", 700, at, 8);
	assert_int_equal(n, 3);
	assert_int_equal(at[1], 500);
	assert_int_equal(at[2], 1500);
	struct sr_txn_resp r = h_resp(200, sr_txn_branch(t), "CANCEL");
	assert_int_equal(sr_txn_client_response(h.ts, &r, h.now), 1);
	assert_int_equal(h.n_responses, 1); /* the CANCEL's 200 is not passed to the TU */
	assert_int_equal(sr_txn_client_cancel(h.ts, t, h.now), SR_TXN_CANCEL_NOTHING); /* already sent */
	rx(&h, t, 487, "INVITE");
	assert_int_equal(h.responses[1].status, 487);
	assert_int_equal(sr_txn_client_cancel(h.ts, t, h.now), SR_TXN_CANCEL_NOTHING);
	h_free(&h);
}

/* A timer handled late is re-armed from the time it ran: no burst of catch-up retransmissions. */
static void test_late_advance_no_burst(void **state)
{
	(void)state;
	struct harness h;
	h_init(&h, 16, 0);
	start(&h, "INVITE", INVITE);
	h.now = 10000;
	sr_txn_advance(h.ts, 10000, 100);
	assert_int_equal(h.n_sends, 2);
	h_run_to(&h, 10999);
	assert_int_equal(h.n_sends, 2);
	h_run_to(&h, 11000);
	assert_int_equal(h.n_sends, 3);
	h_free(&h);
}

/* The wheel counts uint32 ms from a base: timers keep their exact times across rebases (every ~24.8 days). */
static void test_clock_rebase(void **state)
{
	(void)state;
	struct harness h;
	const uint64_t start_ms = 1700000000000ull; /* a Unix-epoch-like clock */
	h_init(&h, 16, start_ms);
	/* Jump to just before the first rebase point, then let transactions span it. */
	uint64_t t0 = start_ms + (1ull << 31) - 3000;
	h.now = t0;
	sr_txn_advance(h.ts, t0, 100);
	start(&h, "INVITE", INVITE);
	struct sr_txn *o = start(&h, "OPTIONS", OPTIONS);
	(void)o;
	h_run_to(&h, t0 + 40000);
	static const uint64_t want_inv[] = { 0, 500, 1500, 3500, 7500, 15500, 31500 };
	check_times(&h, "INVITE", t0, want_inv, 7);
	assert_int_equal(h.n_timeouts, 2);
	assert_int_equal(h.timeouts[0].at, t0 + 32000);
	assert_int_equal(h.timeouts[1].at, t0 + 32000);
	/* Several more rebases in one jump (the wheel never sees a count past 2^32). */
	uint64_t t1 = start_ms + 5 * (1ull << 31) + 123;
	h.now = t1;
	while (sr_txn_advance(h.ts, t1, 100) == 100)
		;
	unsigned before = h.n_sends;
	start(&h, "INVITE", INVITE);
	h_run_to(&h, t1 + 2000);
	static const uint64_t want2[] = { 0, 500, 1500 };
	uint64_t at[8];
	unsigned n = h_send_times(&h, before, "INVITE", t1, at, 8);
	assert_int_equal(n, 3);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(at[i], want2[i]);
	h_free(&h);
}

/* Client slots come from the same bounded pool; a request too big for any buffer is refused, not sent. */
static void test_client_pool_and_buffers(void **state)
{
	(void)state;
	struct harness h;
	struct sr_txn *t[3];
	h_init(&h, 2, 0);
	assert_int_equal(sr_txn_client_create(h.ts, SR_STR_LIT("INVITE"), 1, &h_callee, &t[0]), SR_TXN_OK);
	assert_int_equal(sr_txn_client_create(h.ts, SR_STR_LIT("INVITE"), 1, &h_callee, &t[1]), SR_TXN_OK);
	assert_int_equal(sr_txn_client_create(h.ts, SR_STR_LIT("INVITE"), 1, &h_callee, &t[2]), SR_TXN_E_POOL);
	assert_null(t[2]);
	/* Branches are distinct, name worker 7 and are authentic under the shard secret. */
	struct sr_str b0 = sr_txn_branch(t[0]), b1 = sr_txn_branch(t[1]);
	assert_false(sr_str_eq(b0, b1));
	struct sr_txn_branch_info bi;
	assert_true(sr_txn_branch_parse(b0, &bi));
	assert_int_equal(bi.worker, 7);
	assert_int_equal(bi.loop_hash, 1);
	sr_txn_client_abandon(h.ts, t[1]);
	assert_int_equal(sr_txn_stats(h.ts)->live, 1);
	static char huge[SR_BUF_LARGE_SIZE + 10];
	memset(huge, 'x', sizeof(huge));
	assert_int_equal(sr_txn_client_send(h.ts, t[0], huge, sizeof(huge), 0), SR_TXN_E_BUF);
	assert_int_equal(h.n_sends, 0);
	assert_int_equal(h.n_terminated, 0); /* abandoned without callbacks */
	assert_int_equal(sr_txn_stats(h.ts)->live, 0);
	h_free(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_invite_timer_a_and_b),
		cmocka_unit_test(test_non_invite_timer_e_and_f),
		cmocka_unit_test(test_timer_f_configured),
		cmocka_unit_test(test_non_invite_proceeding_and_k),
		cmocka_unit_test(test_invite_non2xx_ack_and_timer_d),
		cmocka_unit_test(test_invite_2xx_accepted_timer_m),
		cmocka_unit_test(test_response_matching),
		cmocka_unit_test(test_timer_c_cancels_then_gives_up),
		cmocka_unit_test(test_cancel_deferred_until_provisional),
		cmocka_unit_test(test_late_advance_no_burst),
		cmocka_unit_test(test_clock_rebase),
		cmocka_unit_test(test_client_pool_and_buffers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
