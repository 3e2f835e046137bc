/*
 * test_midreg_modes.c - the three working modes against a fake main
 * registrar and a fake clock (midreg_harness.h):
 * - mirror: every REGISTER forwarded with our contact-id contact; the
 *   binding stored only on a 2xx, with the expiry the main registrar
 *   granted; a refusal leaves nothing; the UA gets its own contact back;
 * - contact throttling: each contact forwarded once with outgoing_expires,
 *   refreshes absorbed until the upstream lifetime runs short, then exactly
 *   one forwarded; a de-REGISTER when the local binding expires, when the
 *   UA removes it, for Contact: *, and after an operator's removal;
 * - AoR throttling: one upstream contact per AoR whatever the number of
 *   devices; the last contact's removal or expiry de-registers it;
 * - retransmissions of a forwarded REGISTER absorbed, the final answer
 *   re-sent; CSeq order per binding at the main registrar never violated.
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
#define DEV2 "sip:alice@198.51.100.2:20002"

static const struct sr_midreg_stats *stats(const struct mh *h)
{
	return sr_midreg_stats(h->m);
}

/* Nothing of aor is left anywhere, and the main registrar never saw a CSeq out of order. */
static void assert_all_gone(const struct mh *h, const char *aor)
{
	assert_int_equal(mh_main_count(h, aor), 0);
	assert_int_equal(mh_local_count(h, aor), 0);
	assert_int_equal(stats(h)->records, 0);
	assert_int_equal(stats(h)->upstream_live, 0);
	assert_int_equal(h->main.cseq_errors, 0);
}

static const char *queued(const struct mh *h)
{
	assert_true(h->main.q_tail > h->main.q_head);
	return h->main.queue[(h->main.q_tail - 1) % MH_QUEUE];
}

static void test_mirror_stores_on_2xx_with_granted_expiry(void **state)
{
	(void)state;
	struct mh h;
	mh_init(&h, SR_MIDREG_MIRROR, NULL);
	h.main.max_expires = 1800;
	struct mh_ua ua;
	mh_ua_init(&ua, 1, ALICE, DEV1);

	assert_int_equal(mh_register(&h, &ua, 3600), SR_MIDREG_FORWARDED);
	assert_null(mh_local(&h, ALICE, DEV1)); /* nothing stored before the main registrar's 2xx */
	const char *fwd = queued(&h);
	assert_non_null(strstr(fwd, "REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bKsr03"));
	assert_non_null(strstr(fwd, "\r\nContact: <sip:alice@198.51.100.1:5060;ctid=1234"));
	assert_non_null(strstr(fwd, ">;expires=3600\r\n")); /* mirror: the UA's own expiry */
	assert_non_null(strstr(fwd, "\r\nCall-ID: mr-"));
	assert_null(strstr(fwd, "branch=z9hG4bK-ua1")); /* the UA's Via stays with us */

	mh_pump(&h);
	const struct mh_ua_reply *r = mh_ua_reply(&h, &ua, 0);
	assert_non_null(r);
	assert_int_equal(r->status, 200);
	assert_non_null(strstr(r->bytes, "\r\nContact: <" DEV1 ">;expires=1800\r\n"));
	assert_non_null(strstr(r->bytes, "\r\nCSeq: 1 REGISTER\r\n"));       /* the UA's, not ours */
	assert_non_null(strstr(r->bytes, "\r\nCall-ID: ua1@198.51.100.2\r\n"));
	assert_non_null(strstr(r->bytes, ";branch=z9hG4bK-ua1-1;rport\r\n"));
	assert_non_null(strstr(r->bytes, "\r\nTo: <" ALICE ">;tag=main1\r\n"));
	assert_non_null(strstr(r->bytes, "\r\nDate: Fri, 15 Jan 2027 08:00:00 GMT\r\n"));
	assert_null(strstr(r->bytes, "ctid="));
	const struct mh_binding *b = mh_local(&h, ALICE, DEV1);
	assert_non_null(b);
	assert_int_equal(b->expires_at, mh_now_s(&h) + 1800); /* the main registrar's grant, not the UA's ask */
	assert_int_equal(mh_main_count(&h, ALICE), 1);
	assert_int_equal(stats(&h)->upstream_live, 1);
	/* Answered and settled: the context is free at once, not held for Timer J (32 s) or K (5 s). */
	assert_int_equal(stats(&h)->contexts, 0);

	/* Every refresh goes up, with the same upstream contact and a higher CSeq. */
	mh_run_to(&h, h.now_ms + 60000);
	assert_int_equal(mh_register(&h, &ua, 3600), SR_MIDREG_FORWARDED);
	mh_pump(&h);
	assert_int_equal(mh_main_count(&h, ALICE), 1);
	assert_int_equal(h.main.cseq_errors, 0);
	assert_int_equal(stats(&h)->forwarded, 2);
	assert_int_equal(stats(&h)->absorbed, 0);

	/* A refusal reaches the UA and stores nothing. */
	struct mh_ua other;
	mh_ua_init(&other, 2, "sip:bob@example.com", "sip:bob@198.51.100.2:20002");
	h.main.mode = MH_MAIN_403;
	unsigned since = h.n_ua_out;
	assert_int_equal(mh_register(&h, &other, 3600), SR_MIDREG_FORWARDED);
	mh_pump(&h);
	assert_int_equal(mh_ua_reply(&h, &other, since)->status, 403);
	assert_int_equal(mh_local_count(&h, "sip:bob@example.com"), 0);
	assert_int_equal(stats(&h)->records, 1); /* the refused contact's record is gone */
	assert_int_equal(stats(&h)->upstream_rejected, 1);
	mh_free(&h);
}

/* Mirror: local and upstream expire together, so an expiry sends nothing; an operator's removal de-registers. */
static void test_mirror_admin_removal(void **state)
{
	(void)state;
	struct mh h;
	mh_init(&h, SR_MIDREG_MIRROR, NULL);
	struct mh_ua a, b;
	mh_ua_init(&a, 1, ALICE, DEV1);
	mh_ua_init(&b, 2, ALICE, DEV2);
	mh_register(&h, &a, 120);
	mh_register(&h, &b, 600);
	mh_pump(&h);
	assert_int_equal(mh_main_count(&h, ALICE), 2);
	mh_run_to(&h, h.now_ms + 121000);
	assert_null(mh_local(&h, ALICE, DEV1));
	assert_int_equal(stats(&h)->deregisters, 0);
	assert_int_equal(mh_main_count(&h, ALICE), 1);
	mh_admin_remove(&h, ALICE, DEV2);
	mh_pump(&h);
	assert_int_equal(stats(&h)->deregisters, 1);
	assert_int_equal(h.main.deregisters, 1);
	assert_int_equal(mh_main_count(&h, ALICE), 0);
	assert_int_equal(stats(&h)->records, 0);
	assert_int_equal(stats(&h)->upstream_live, 0);
	mh_free(&h);
}

static void test_contact_throttling(void **state)
{
	(void)state;
	struct mh h;
	mh_init(&h, SR_MIDREG_CONTACT_THROTTLING, NULL);
	struct mh_ua ua;
	mh_ua_init(&ua, 1, ALICE, DEV1);
	uint64_t t0 = h.now_ms;

	assert_int_equal(mh_register(&h, &ua, 60), SR_MIDREG_FORWARDED);
	assert_non_null(strstr(queued(&h), ";expires=3600\r\n")); /* raised to outgoing_expires */
	mh_pump(&h);
	assert_int_equal(mh_ua_reply(&h, &ua, 0)->status, 200);
	assert_non_null(strstr(mh_ua_reply(&h, &ua, 0)->bytes, "Contact: <" DEV1 ">;expires=60\r\n"));
	assert_int_equal(mh_main_binding(&h, ALICE, 0)->expires_at, mh_now_s(&h) + 3600);
	assert_int_equal(mh_local(&h, ALICE, DEV1)->expires_at, mh_now_s(&h) + 60);

	/* Refreshes every 50 s: absorbed while 3600 s upstream outlive the next one (60 s + 32 s margin). */
	unsigned forwarded_at = 0, n = 0;
	for (uint64_t t = 50; t <= 3600; t += 50) {
		mh_run_to(&h, t0 + t * 1000);
		enum sr_midreg_verdict v = mh_register(&h, &ua, 60);
		n++;
		if (v == SR_MIDREG_FORWARDED) {
			assert_int_equal(forwarded_at, 0); /* exactly one refresh goes up */
			forwarded_at = (unsigned)t;
			mh_pump(&h);
		} else {
			assert_int_equal(v, SR_MIDREG_ABSORB);
		}
	}
	assert_true(forwarded_at > 3600 - 60 - 32 && forwarded_at < 3600); /* before the upstream expiry */
	assert_int_equal(stats(&h)->forwarded, 2);
	assert_int_equal(stats(&h)->absorbed, n - 1);
	assert_int_equal(mh_main_count(&h, ALICE), 1); /* the same upstream contact, refreshed */
	assert_int_equal(mh_main_binding(&h, ALICE, 0)->expires_at, (uint32_t)(t0 / 1000) + forwarded_at + 3600);
	assert_int_equal(h.main.received, 2);
	assert_int_equal(h.main.cseq_errors, 0);

	/* The UA goes silent: its local binding expires, and the main registrar is told at once. */
	mh_run_to(&h, h.now_ms + 61000);
	assert_null(mh_local(&h, ALICE, DEV1));
	assert_int_equal(stats(&h)->deregisters, 1);
	assert_int_equal(mh_main_count(&h, ALICE), 0);
	assert_int_equal(stats(&h)->records, 0);
	assert_int_equal(stats(&h)->upstream_live, 0);
	assert_int_equal(h.main.cseq_errors, 0);
	mh_free(&h);
}

/* Each contact once; the UA's own removal goes up; Contact: * removes every contact of ours upstream. */
static void test_contact_throttling_removals(void **state)
{
	(void)state;
	struct mh h;
	mh_init(&h, SR_MIDREG_CONTACT_THROTTLING, NULL);
	struct mh_ua a, b;
	mh_ua_init(&a, 1, ALICE, DEV1);
	mh_ua_init(&b, 2, ALICE, DEV2);
	assert_int_equal(mh_register(&h, &a, 300), SR_MIDREG_FORWARDED);
	assert_int_equal(mh_register(&h, &b, 300), SR_MIDREG_FORWARDED);
	mh_pump(&h);
	assert_int_equal(mh_main_count(&h, ALICE), 2);
	assert_string_not_equal(mh_main_binding(&h, ALICE, 0)->uri, mh_main_binding(&h, ALICE, 1)->uri);
	/* The 200 lists both of the AoR's contacts as the UAs know them. */
	const char *ok = mh_ua_reply(&h, &b, 0)->bytes;
	assert_non_null(strstr(ok, "Contact: <" DEV1 ">;expires=300\r\n")); /* no received: received_param is unset */
	assert_non_null(strstr(ok, "Contact: <" DEV2 ">"));
	assert_null(strstr(ok, "198.51.100.1"));

	mh_run_to(&h, h.now_ms + 10000);
	assert_int_equal(mh_register(&h, &a, 0), SR_MIDREG_FORWARDED); /* a removal goes up: it carries credentials */
	assert_non_null(strstr(queued(&h), ";expires=0\r\n"));
	mh_pump(&h);
	assert_null(mh_local(&h, ALICE, DEV1));
	assert_int_equal(mh_main_count(&h, ALICE), 1);
	assert_int_equal(stats(&h)->records, 1);
	assert_int_equal(stats(&h)->deregisters, 0); /* the UA's REGISTER was the de-REGISTER */

	assert_int_equal(mh_register_many(&h, &b, NULL, 0, 0, true), SR_MIDREG_FORWARDED);
	assert_non_null(strstr(queued(&h), ";ctid="));
	assert_null(strstr(queued(&h), "Contact: *"));
	mh_pump(&h);
	assert_all_gone(&h, ALICE);
	mh_free(&h);
}

static void test_aor_throttling(void **state)
{
	(void)state;
	struct mh h;
	mh_init(&h, SR_MIDREG_AOR_THROTTLING, NULL);
	struct mh_ua a, b, bob;
	mh_ua_init(&a, 1, ALICE, DEV1);
	mh_ua_init(&b, 2, ALICE, DEV2);
	mh_ua_init(&bob, 3, "sip:bob@example.com", "sip:bob@198.51.100.2:20003");

	assert_int_equal(mh_register(&h, &a, 120), SR_MIDREG_FORWARDED); /* the AoR's first contact */
	const char *fwd = queued(&h);
	assert_non_null(strstr(fwd, "\r\nContact: <sip:alice%40example.com@198.51.100.1:5060>;expires=3600\r\n"));
	assert_null(strstr(fwd, "20001")); /* the device's contact stays here */
	mh_pump(&h);
	assert_int_equal(mh_ua_reply(&h, &a, 0)->status, 200);
	assert_non_null(strstr(mh_ua_reply(&h, &a, 0)->bytes, "Contact: <" DEV1 ">;expires=120\r\n"));
	assert_null(strstr(mh_ua_reply(&h, &a, 0)->bytes, "%40"));
	assert_int_equal(mh_main_count(&h, ALICE), 1);

	assert_int_equal(mh_register(&h, &b, 120), SR_MIDREG_ABSORB); /* more devices: absorbed */
	assert_int_equal(mh_register(&h, &bob, 120), SR_MIDREG_FORWARDED);
	mh_pump(&h);
	assert_int_equal(mh_local_count(&h, ALICE), 2);
	assert_int_equal(mh_main_count(&h, ALICE), 1);
	assert_int_equal(mh_main_count(&h, "sip:bob@example.com"), 1);
	assert_string_equal(mh_main_binding(&h, ALICE, 0)->uri, "sip:alice%40example.com@198.51.100.1:5060");

	/* Refreshes from both devices for an hour: the one upstream contact is refreshed when it runs short. */
	uint64_t t0 = h.now_ms;
	for (uint64_t t = 60; t <= 3660; t += 60) {
		mh_run_to(&h, t0 + t * 1000);
		mh_register(&h, &a, 120);
		mh_register(&h, &b, 120);
		mh_register(&h, &bob, 120);
		mh_pump(&h);
		assert_int_equal(mh_main_count(&h, ALICE), 1);
	}
	assert_int_equal(h.main.received, 4); /* alice and bob once at the start, once each near the end */
	assert_int_equal(h.main.cseq_errors, 0);

	assert_int_equal(mh_register(&h, &a, 0), SR_MIDREG_ABSORB); /* not the last contact */
	assert_int_equal(mh_main_count(&h, ALICE), 1);
	/* The last device goes silent: its expiry takes the AoR's upstream contact with it. */
	mh_run_to(&h, h.now_ms + 121000);
	assert_int_equal(mh_local_count(&h, ALICE), 0);
	assert_int_equal(mh_main_count(&h, ALICE), 0);
	assert_int_equal(stats(&h)->deregisters, 2); /* alice's and bob's (who went silent too) */

	/* A device comes back: the AoR is registered upstream again. */
	assert_int_equal(mh_register(&h, &a, 120), SR_MIDREG_FORWARDED);
	mh_pump(&h);
	assert_int_equal(mh_main_count(&h, ALICE), 1);
	/* Its own removal, the last contact: forwarded as the AoR contact's removal. */
	assert_int_equal(mh_register(&h, &a, 0), SR_MIDREG_FORWARDED);
	assert_non_null(strstr(queued(&h), "<sip:alice%40example.com@198.51.100.1:5060>;expires=0\r\n"));
	mh_pump(&h);
	assert_all_gone(&h, ALICE);
	mh_free(&h);
}

/* A copy of a forwarded REGISTER is absorbed while upstream, and gets the same final answer afterwards. */
static void test_retransmission(void **state)
{
	(void)state;
	struct mh h;
	mh_init(&h, SR_MIDREG_CONTACT_THROTTLING, NULL);
	struct mh_ua ua;
	mh_ua_init(&ua, 1, ALICE, DEV1);
	assert_int_equal(mh_register(&h, &ua, 60), SR_MIDREG_FORWARDED);
	assert_int_equal(mh_retransmit(&h, &ua), SR_MIDREG_HANDLED);
	assert_int_equal(h.main.q_tail - h.main.q_head, 1); /* only one went up */
	assert_int_equal(stats(&h)->retransmissions, 1);
	mh_pump(&h);
	unsigned since = h.n_ua_out;
	assert_int_equal(mh_retransmit(&h, &ua), SR_MIDREG_ABSORB); /* answered again from the binding, as today */
	assert_int_equal(mh_ua_reply(&h, &ua, since)->status, 200);

	/* The same for a refused one: the server transaction sends the 403 again. */
	struct mh_ua bob;
	mh_ua_init(&bob, 2, "sip:bob@example.com", "sip:bob@198.51.100.2:20002");
	h.main.mode = MH_MAIN_403;
	mh_register(&h, &bob, 60);
	mh_pump(&h);
	since = h.n_ua_out;
	assert_int_equal(mh_retransmit(&h, &bob), SR_MIDREG_HANDLED);
	assert_int_equal(mh_ua_reply(&h, &bob, since)->status, 403);
	assert_int_equal(h.main.received, 2);
	mh_free(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mirror_stores_on_2xx_with_granted_expiry),
		cmocka_unit_test(test_mirror_admin_removal),
		cmocka_unit_test(test_contact_throttling),
		cmocka_unit_test(test_contact_throttling_removals),
		cmocka_unit_test(test_aor_throttling),
		cmocka_unit_test(test_retransmission),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
