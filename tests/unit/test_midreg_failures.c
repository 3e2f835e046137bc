/*
 * test_midreg_failures.c - authentication and failures of the main
 * registrar (midreg_harness.h's fake one):
 * - a 401 reaches the UA with its challenge and no state stays; the UA's
 *   next REGISTER goes up with its credentials; an absorbed refresh needs
 *   none;
 * - mirror: a timeout gives the UA 504 with Retry-After and what may have
 *   been registered upstream is de-registered (retried with back-off while
 *   its answers are lost);
 * - every mode: a 503 to a new registration reaches the UA with the main
 *   registrar's Retry-After and leaves nothing behind;
 * - throttling: a refresh that fails upstream stands on the local binding,
 *   the upstream refresh is retried on later refreshes with back-off, and
 *   succeeds once the main registrar is back; a refresh whose answer is
 *   lost (the main registrar took it) still gets its de-REGISTER when the
 *   UA goes silent;
 * - a REGISTER the main registrar accepted but the location store refused:
 *   503 to the UA and the new contact is de-registered upstream;
 * - pools: no context or record left gives 503 with Retry-After;
 * - de-REGISTERs: retried with back-off while the upstream registration may
 *   stand, given up when refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "midreg_harness.h"

#define ALICE "sip:alice@example.com"
#define DEV1 "sip:alice@198.51.100.2:20001"
#define BOB "sip:bob@example.com"
#define DEV2 "sip:bob@198.51.100.2:20002"

static const struct sr_midreg_stats *stats(const struct mh *h)
{
	return sr_midreg_stats(h->m);
}

static const char *queued(const struct mh *h)
{
	assert_true(h->main.q_tail > h->main.q_head);
	return h->main.queue[(h->main.q_tail - 1) % MH_QUEUE];
}

static void challenge(enum sr_midreg_mode mode)
{
	struct mh h;
	mh_init(&h, mode, NULL);
	h.main.mode = MH_MAIN_AUTH;
	struct mh_ua ua;
	mh_ua_init(&ua, 1, ALICE, DEV1);
	assert_int_equal(mh_register(&h, &ua, 60), SR_MIDREG_FORWARDED);
	mh_pump(&h);
	const struct mh_ua_reply *r = mh_ua_reply(&h, &ua, 0);
	assert_int_equal(r->status, 401);
	assert_non_null(strstr(r->bytes, "\r\nWWW-Authenticate: Digest realm=\"example.com\", nonce=\"n1\"\r\n"));
	assert_non_null(strstr(r->bytes, "\r\nCSeq: 1 REGISTER\r\n"));
	assert_null(mh_local(&h, ALICE, DEV1));
	assert_int_equal(stats(&h)->challenges, 1);
	assert_int_equal(stats(&h)->records, 0); /* nothing is registered upstream for it */

	ua.credentials = true;
	assert_int_equal(mh_register(&h, &ua, 60), SR_MIDREG_FORWARDED);
	assert_non_null(strstr(queued(&h), "\r\nAuthorization: Digest username=\"u1\", realm=\"example.com\", nonce=\"n1\", "
					   "uri=\"sip:example.com\", response=\"00\"\r\n"));
	mh_pump(&h);
	assert_int_equal(mh_ua_reply(&h, &ua, 0)->status, 200);
	assert_non_null(mh_local(&h, ALICE, DEV1));
	assert_int_equal(mh_main_count(&h, ALICE), 1);

	if (mode != SR_MIDREG_MIRROR) { /* an absorbed refresh never meets the challenge */
		ua.credentials = false;
		unsigned received = h.main.received;
		mh_run_to(&h, h.now_ms + 50000);
		assert_int_equal(mh_register(&h, &ua, 60), SR_MIDREG_ABSORB);
		mh_pump(&h);
		assert_int_equal(h.main.received, received);
		assert_int_equal(mh_local(&h, ALICE, DEV1)->expires_at, mh_now_s(&h) + 60);
	}
	mh_free(&h);
}

static void test_challenge_mirror(void **state)
{
	(void)state;
	challenge(SR_MIDREG_MIRROR);
}

static void test_challenge_contact_throttling(void **state)
{
	(void)state;
	challenge(SR_MIDREG_CONTACT_THROTTLING);
}

static void test_challenge_aor_throttling(void **state)
{
	(void)state;
	challenge(SR_MIDREG_AOR_THROTTLING);
}

/* No answer: 504 to the UA; the REGISTER may have been taken, so it is de-registered, until confirmed. */
static void test_mirror_timeout(void **state)
{
	(void)state;
	struct mh h;
	mh_init(&h, SR_MIDREG_MIRROR, NULL);
	h.main.mode = MH_MAIN_LOSE;
	struct mh_ua ua;
	mh_ua_init(&ua, 1, ALICE, DEV1);
	uint64_t t0 = h.now_ms;
	assert_int_equal(mh_register(&h, &ua, 3600), SR_MIDREG_FORWARDED);
	mh_run_to(&h, t0 + 31900);
	assert_null(mh_ua_reply(&h, &ua, 0)); /* Timer F: 64*T1 */
	mh_run_to(&h, t0 + 32100);
	const struct mh_ua_reply *r = mh_ua_reply(&h, &ua, 0);
	assert_non_null(r);
	assert_int_equal(r->status, 504);
	assert_non_null(strstr(r->bytes, "SIP/2.0 504 Main Registrar Timeout\r\n"));
	assert_non_null(strstr(r->bytes, "\r\nRetry-After: 30\r\n"));
	assert_null(mh_local(&h, ALICE, DEV1));
	assert_int_equal(stats(&h)->upstream_timeouts, 1);
	/* The main registrar did take it: our de-REGISTER removes it although its answer is lost too. */
	assert_int_equal(stats(&h)->deregisters, 1);
	assert_int_equal(h.main.deregisters, 1);
	assert_int_equal(mh_main_count(&h, ALICE), 0);
	/* The de-REGISTER times out in turn (Timer F): kept, and retried once the back-off (30 s + jitter) is over. */
	mh_run_to(&h, t0 + 64500);
	assert_int_equal(stats(&h)->retries, 0);
	assert_int_equal(stats(&h)->records, 1);
	h.main.mode = MH_MAIN_OK;
	mh_run_to(&h, t0 + 64500 + 29000);
	assert_int_equal(stats(&h)->retries, 0); /* not before the back-off */
	mh_run_to(&h, t0 + 64500 + 40000);
	assert_int_equal(stats(&h)->retries, 1);
	assert_int_equal(h.main.deregisters, 2);
	assert_int_equal(stats(&h)->records, 0); /* confirmed: forgotten */
	assert_int_equal(stats(&h)->upstream_live, 0);
	assert_int_equal(h.main.cseq_errors, 0);
	mh_free(&h);
}

/* A 5xx to a new registration reaches the UA with the main registrar's Retry-After; nothing stays anywhere. */
static void unavailable(enum sr_midreg_mode mode)
{
	struct mh h;
	mh_init(&h, mode, NULL);
	h.main.mode = MH_MAIN_503;
	struct mh_ua ua;
	mh_ua_init(&ua, 1, ALICE, DEV1);
	assert_int_equal(mh_register(&h, &ua, 3600), SR_MIDREG_FORWARDED);
	mh_pump(&h);
	const struct mh_ua_reply *r = mh_ua_reply(&h, &ua, 0);
	assert_int_equal(r->status, 503);
	assert_non_null(strstr(r->bytes, "\r\nRetry-After: 20\r\n")); /* the main registrar's own */
	assert_non_null(strstr(r->bytes, "\r\nCSeq: 1 REGISTER\r\n"));
	assert_null(mh_local(&h, ALICE, DEV1));
	assert_int_equal(stats(&h)->upstream_failures, 1);
	assert_int_equal(stats(&h)->stood, 0);
	assert_int_equal(stats(&h)->records, 0);
	assert_int_equal(stats(&h)->deregisters, 0); /* it answered: nothing was registered */
	/* The UA's next attempt, once the main registrar is back, registers as usual. */
	h.main.mode = MH_MAIN_OK;
	mh_run_to(&h, h.now_ms + 20000);
	assert_int_equal(mh_register(&h, &ua, 3600), SR_MIDREG_FORWARDED);
	mh_pump(&h);
	assert_int_equal(mh_ua_reply(&h, &ua, 0)->status, 200);
	assert_non_null(mh_local(&h, ALICE, DEV1));
	assert_int_equal(mh_main_count(&h, ALICE), 1);
	mh_free(&h);
}

static void test_mirror_503(void **state)
{
	(void)state;
	unavailable(SR_MIDREG_MIRROR);
}

static void test_contact_throttling_503(void **state)
{
	(void)state;
	unavailable(SR_MIDREG_CONTACT_THROTTLING);
}

static void test_aor_throttling_503(void **state)
{
	(void)state;
	unavailable(SR_MIDREG_AOR_THROTTLING);
}

static void short_outgoing(struct sr_midreg_config *c)
{
	c->outgoing_expires = 600;
}

/* mid.upstream_timeout = 16 (the default of the configuration file): Timer F of the upstream transactions. */
static void upstream_timeout_16(struct sr_midreg_config *c)
{
	c->txn.timer_f_ms = 16000;
	c->outgoing_expires = 100;
}

/*
 * The main registrar silent: the UA's answer must come before its own Timer F
 * (32 s) ends its transaction. A new contact gets 504 after mid.upstream_timeout,
 * a throttled refresh that had to go up its 200 from the local binding.
 */
static void test_answer_before_ua_timer_f(void **state)
{
	(void)state;
	struct mh h;
	mh_init(&h, SR_MIDREG_CONTACT_THROTTLING, upstream_timeout_16);
	struct mh_ua ua, ub;
	mh_ua_init(&ua, 1, ALICE, DEV1);
	mh_ua_init(&ub, 2, BOB, DEV2);
	uint64_t t0 = h.now_ms;
	assert_int_equal(mh_register(&h, &ua, 60), SR_MIDREG_FORWARDED);
	mh_pump(&h);
	h.main.mode = MH_MAIN_LOSE;
	assert_int_equal(mh_register(&h, &ub, 60), SR_MIDREG_FORWARDED);
	mh_run_to(&h, t0 + 15900);
	assert_null(mh_ua_reply(&h, &ub, 0));
	mh_run_to(&h, t0 + 16100);
	assert_non_null(mh_ua_reply(&h, &ub, 0));
	assert_int_equal(mh_ua_reply(&h, &ub, 0)->status, 504);
	assert_int_equal(stats(&h)->upstream_timeouts, 1);
	/* t = 50: 50 s of upstream lifetime left, less than 60 + 32: alice's refresh goes up and is lost */
	mh_run_to(&h, t0 + 50000);
	uint64_t t1 = h.now_ms;
	unsigned before = h.n_ua_out;
	assert_int_equal(mh_register(&h, &ua, 60), SR_MIDREG_FORWARDED);
	mh_run_to(&h, t1 + 15900);
	assert_null(mh_ua_reply(&h, &ua, before));
	mh_run_to(&h, t1 + 16100); /* her 200 on the local binding at 16 s, not 32 */
	assert_non_null(mh_ua_reply(&h, &ua, before));
	assert_int_equal(mh_ua_reply(&h, &ua, before)->status, 200);
	assert_int_equal(stats(&h)->stood, 1);
	mh_free(&h);
}

/* A throttled refresh that fails upstream stands locally; the upstream refresh is retried with back-off. */
static void stands(enum sr_midreg_mode mode)
{
	struct mh h;
	mh_init(&h, mode, short_outgoing);
	struct mh_ua ua;
	mh_ua_init(&ua, 1, ALICE, DEV1);
	uint64_t t0 = h.now_ms;
	assert_int_equal(mh_register(&h, &ua, 60), SR_MIDREG_FORWARDED);
	mh_pump(&h);
	for (uint64_t t = 50; t <= 500; t += 50) {
		mh_run_to(&h, t0 + t * 1000);
		assert_int_equal(mh_register(&h, &ua, 60), SR_MIDREG_ABSORB);
	}
	/* t = 550: 50 s of upstream lifetime left, less than 60 + 32: this refresh goes up, and is lost. */
	h.main.mode = MH_MAIN_DROP;
	mh_run_to(&h, t0 + 550000);
	assert_int_equal(mh_register(&h, &ua, 60), SR_MIDREG_FORWARDED);
	mh_run_to(&h, t0 + 582100);
	assert_int_equal(mh_ua_reply(&h, &ua, 0)->status, 200); /* stood on the local binding */
	assert_non_null(strstr(mh_ua_reply(&h, &ua, 0)->bytes, "Contact: <" DEV1 ">;expires=60\r\n"));
	assert_int_equal(mh_local(&h, ALICE, DEV1)->expires_at, (uint32_t)(t0 / 1000) + 582 + 60);
	assert_int_equal(stats(&h)->stood, 1);
	/* t = 600: the upstream registration lapsed, but the back-off (30 s and up) is not over: absorbed. */
	mh_run_to(&h, t0 + 600000);
	assert_int_equal(stats(&h)->upstream_live, 0);
	assert_int_equal(mh_register(&h, &ua, 60), SR_MIDREG_ABSORB);
	/* t = 650: retried (the UA's refresh carries it); the main registrar fails with 503 this time. */
	h.main.mode = MH_MAIN_503;
	mh_run_to(&h, t0 + 650000);
	assert_int_equal(mh_register(&h, &ua, 60), SR_MIDREG_FORWARDED);
	mh_pump(&h);
	assert_int_equal(stats(&h)->retries, 1);
	assert_int_equal(stats(&h)->stood, 2);
	assert_int_equal(mh_ua_reply(&h, &ua, 0)->status, 200);
	/* Back-off doubled (60 s and up): t = 700 absorbed, t = 750 retried, and the main registrar is back. */
	h.main.mode = MH_MAIN_OK;
	mh_run_to(&h, t0 + 700000);
	assert_int_equal(mh_register(&h, &ua, 60), SR_MIDREG_ABSORB);
	mh_run_to(&h, t0 + 750000);
	assert_int_equal(mh_register(&h, &ua, 60), SR_MIDREG_FORWARDED);
	mh_pump(&h);
	assert_int_equal(stats(&h)->upstream_live, 1);
	assert_int_equal(mh_main_count(&h, ALICE), 1);
	assert_int_equal(mh_main_binding(&h, ALICE, 0)->expires_at, (uint32_t)(t0 / 1000) + 750 + 600);
	mh_run_to(&h, t0 + 800000);
	assert_int_equal(mh_register(&h, &ua, 60), SR_MIDREG_ABSORB); /* back to absorbing */
	assert_int_equal(h.main.cseq_errors, 0);
	assert_int_equal(stats(&h)->upstream_failures, 2);
	mh_free(&h);
}

static void test_contact_throttling_refresh_stands(void **state)
{
	(void)state;
	stands(SR_MIDREG_CONTACT_THROTTLING);
}

static void test_aor_throttling_refresh_stands(void **state)
{
	(void)state;
	stands(SR_MIDREG_AOR_THROTTLING);
}

/*
 * A refresh whose answer is lost may have extended the upstream registration
 * by a whole outgoing_expires: when the UA then goes silent, the de-REGISTER
 * still goes up (the old upstream expiry has passed by then).
 */
static void lost_refresh_then_silent(enum sr_midreg_mode mode)
{
	struct mh h;
	mh_init(&h, mode, short_outgoing);
	struct mh_ua ua;
	mh_ua_init(&ua, 1, ALICE, DEV1);
	uint64_t t0 = h.now_ms;
	mh_register(&h, &ua, 60);
	mh_pump(&h);
	for (uint64_t t = 50; t <= 500; t += 50) {
		mh_run_to(&h, t0 + t * 1000);
		assert_int_equal(mh_register(&h, &ua, 60), SR_MIDREG_ABSORB);
	}
	h.main.mode = MH_MAIN_LOSE; /* it takes the refresh (until 550 + 600), its answers are lost */
	mh_run_to(&h, t0 + 550000);
	assert_int_equal(mh_register(&h, &ua, 60), SR_MIDREG_FORWARDED);
	mh_run_to(&h, t0 + 582100);
	assert_int_equal(stats(&h)->stood, 1);
	assert_int_equal(stats(&h)->upstream_live, 0); /* not confirmed */
	assert_int_equal(mh_main_count(&h, ALICE), 1);
	h.main.mode = MH_MAIN_OK;
	/* The UA goes silent: its binding expires at 642, after the old upstream expiry (600). */
	mh_run_to(&h, t0 + 650000);
	assert_null(mh_local(&h, ALICE, DEV1));
	assert_int_equal(stats(&h)->deregisters, 1);
	assert_int_equal(mh_main_count(&h, ALICE), 0); /* nothing stale upstream */
	mh_run_to(&h, t0 + 700000);
	assert_int_equal(stats(&h)->records, 0);
	assert_int_equal(h.main.cseq_errors, 0);
	mh_free(&h);
}

static void test_contact_throttling_lost_refresh_then_silent(void **state)
{
	(void)state;
	lost_refresh_then_silent(SR_MIDREG_CONTACT_THROTTLING);
}

static void test_aor_throttling_lost_refresh_then_silent(void **state)
{
	(void)state;
	lost_refresh_then_silent(SR_MIDREG_AOR_THROTTLING);
}

/* Accepted upstream, refused by the location store: the UA hears it, the main registrar forgets it. */
static void test_store_refused(void **state)
{
	(void)state;
	struct mh h;
	mh_init(&h, SR_MIDREG_CONTACT_THROTTLING, NULL);
	h.apply_rc = 503;
	struct mh_ua ua;
	mh_ua_init(&ua, 1, ALICE, DEV1);
	mh_register(&h, &ua, 60);
	mh_pump(&h);
	const struct mh_ua_reply *r = mh_ua_reply(&h, &ua, 0);
	assert_int_equal(r->status, 503);
	assert_non_null(strstr(r->bytes, "\r\nRetry-After: 30\r\n"));
	assert_int_equal(stats(&h)->store_refused, 1);
	assert_int_equal(stats(&h)->deregisters, 1);
	assert_int_equal(mh_main_count(&h, ALICE), 0);
	assert_int_equal(stats(&h)->records, 0);
	mh_free(&h);
}

static void one_context(struct sr_midreg_config *c)
{
	c->contexts = 1;
	c->records = 2;
}

static void test_pools_exhausted(void **state)
{
	(void)state;
	struct mh h;
	mh_init(&h, SR_MIDREG_CONTACT_THROTTLING, one_context);
	struct mh_ua a, b, c;
	mh_ua_init(&a, 1, ALICE, DEV1);
	mh_ua_init(&b, 2, "sip:bob@example.com", "sip:bob@198.51.100.2:20002");
	mh_ua_init(&c, 3, "sip:carol@example.com", "sip:carol@198.51.100.2:20003");
	/* Lifetimes that outlast the test: no binding expires (a de-REGISTER would need the context). */
	assert_int_equal(mh_register(&h, &a, 3600), SR_MIDREG_FORWARDED);
	assert_int_equal(mh_register(&h, &b, 3600), SR_MIDREG_HANDLED); /* the one context is busy */
	const struct mh_ua_reply *r = mh_ua_reply(&h, &b, 0);
	assert_int_equal(r->status, 503);
	assert_non_null(strstr(r->bytes, "\r\nRetry-After: 30\r\n"));
	mh_pump(&h);
	mh_run_to(&h, h.now_ms + 40000); /* the transactions end, the context is free again */
	assert_int_equal(stats(&h)->contexts, 0);
	assert_int_equal(mh_register(&h, &b, 3600), SR_MIDREG_FORWARDED);
	mh_pump(&h);
	assert_int_equal(mh_ua_reply(&h, &b, 0)->status, 200);
	assert_int_equal(stats(&h)->records, 2);
	mh_run_to(&h, h.now_ms + 40000);
	assert_int_equal(mh_register(&h, &c, 3600), SR_MIDREG_HANDLED); /* no record left */
	assert_int_equal(mh_ua_reply(&h, &c, 0)->status, 503);
	assert_int_equal(stats(&h)->exhausted, 2);
	assert_int_equal(stats(&h)->records, 2);
	assert_int_equal(stats(&h)->contexts, 0);
	mh_free(&h);
}

/* A de-REGISTER nobody answers is retried with back-off, and given up once the upstream lifetime is over. */
static void test_dereg_retries_then_gives_up(void **state)
{
	(void)state;
	struct mh h;
	mh_init(&h, SR_MIDREG_CONTACT_THROTTLING, short_outgoing);
	struct mh_ua ua;
	mh_ua_init(&ua, 1, ALICE, DEV1);
	mh_register(&h, &ua, 60);
	mh_pump(&h);
	h.main.mode = MH_MAIN_DROP;
	mh_run_to(&h, h.now_ms + 700000);
	assert_int_equal(stats(&h)->deregisters, 1);
	assert_true(stats(&h)->retries >= 3); /* 30, 60, 120, 240 s ... within the 600 s upstream lifetime */
	assert_int_equal(stats(&h)->records, 0);
	assert_int_equal(stats(&h)->contexts, 0);
	mh_free(&h);
}

static void test_dereg_refused(void **state)
{
	(void)state;
	struct mh h;
	mh_init(&h, SR_MIDREG_CONTACT_THROTTLING, NULL);
	struct mh_ua ua;
	mh_ua_init(&ua, 1, ALICE, DEV1);
	mh_register(&h, &ua, 60);
	mh_pump(&h);
	h.main.mode = MH_MAIN_AUTH; /* a main registrar that challenges sipreg's own REGISTERs */
	mh_run_to(&h, h.now_ms + 61000);
	assert_int_equal(stats(&h)->deregisters, 1);
	assert_int_equal(stats(&h)->dereg_refused, 1);
	assert_int_equal(stats(&h)->retries, 0);
	assert_int_equal(stats(&h)->records, 0);
	mh_free(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_challenge_mirror),
		cmocka_unit_test(test_challenge_contact_throttling),
		cmocka_unit_test(test_challenge_aor_throttling),
		cmocka_unit_test(test_mirror_timeout),
		cmocka_unit_test(test_answer_before_ua_timer_f),
		cmocka_unit_test(test_mirror_503),
		cmocka_unit_test(test_contact_throttling_503),
		cmocka_unit_test(test_aor_throttling_503),
		cmocka_unit_test(test_contact_throttling_refresh_stands),
		cmocka_unit_test(test_aor_throttling_refresh_stands),
		cmocka_unit_test(test_contact_throttling_lost_refresh_then_silent),
		cmocka_unit_test(test_aor_throttling_lost_refresh_then_silent),
		cmocka_unit_test(test_store_refused),
		cmocka_unit_test(test_pools_exhausted),
		cmocka_unit_test(test_dereg_retries_then_gives_up),
		cmocka_unit_test(test_dereg_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
