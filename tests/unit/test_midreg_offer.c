/*
 * test_midreg_offer.c - deciding first and the taker of the registrar's
 * offers (lib/midreg/midreg_offer.h, sr_midreg_absorbs), and the record
 * index keyed by binding id in the contact modes.
 *
 * - sr_midreg_absorbs on the decision's facts alone gives the verdicts
 *   sr_midreg_register gives on every fact: the same scenario (refreshes,
 *   a new device, a removal, a Contact: *) run both ways leaves the same
 *   figures and the same main registrar, in each mode.
 * - The offer uses the registrar's rule (rq->settings) as given, and
 *   applies the reply port.
 * - Two AoRs whose bindings carry the same id (restored from other stores)
 *   keep their own records.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "midreg_harness.h"
#include "midreg_offer.h"

#define N_UAS 8

/* Refreshes every 60 s with Expires 120 for 30 minutes; at 10 min a new device, at 20 min removals. */
static void scenario(struct mh *h, enum sr_midreg_mode mode)
{
	static struct mh_ua ua[N_UAS + 1];
	for (unsigned i = 0; i < N_UAS + 1; i++) {
		char aor[64], uri[64];
		unsigned user = mode == SR_MIDREG_AOR_THROTTLING ? i / 2 : i;
		snprintf(aor, sizeof(aor), "sip:u%u@example.com", user);
		snprintf(uri, sizeof(uri), "sip:u%u@198.51.100.2:%u", user, 20001 + i);
		mh_ua_init(&ua[i], i + 1, aor, uri);
	}
	uint64_t t0 = h->now_ms;
	for (uint64_t s = 0; s < 1800; s++) {
		unsigned n = s < 600 ? N_UAS : N_UAS + 1; /* the last device joins at 10 min */
		for (unsigned i = 0; i < n; i++)
			if (s % 60 == (i * 7) % 60) {
				if (s >= 1200 && i == 1)
					continue; /* removed below: no more refreshes */
				mh_register(h, &ua[i], 120);
			}
		if (s == 1200) {
			mh_register(h, &ua[1], 0); /* a removal */
			mh_register_many(h, &ua[2], NULL, 0, 0, true); /* Contact: * */
		}
		mh_run_to(h, t0 + (s + 1) * 1000);
	}
}

static void same_verdicts(enum sr_midreg_mode mode)
{
	static struct mh a, b;
	mh_init(&a, mode, NULL);
	mh_init(&b, mode, NULL);
	b.decide_first = true;
	scenario(&a, mode);
	scenario(&b, mode);
	const struct sr_midreg_stats *sa = sr_midreg_stats(a.m), *sb = sr_midreg_stats(b.m);
	assert_int_equal(sa->received, sb->received);
	assert_int_equal(sa->absorbed, sb->absorbed);
	assert_int_equal(sa->forwarded, sb->forwarded);
	assert_int_equal(sa->deregisters, sb->deregisters);
	assert_int_equal(sa->upstream_live, sb->upstream_live);
	assert_int_equal(a.main.received, b.main.received);
	assert_int_equal(a.absorbed_local, b.absorbed_local);
	/* the decision alone absorbed every absorbed REGISTER (mirror absorbs none) */
	assert_int_equal(b.decided_first, sb->absorbed);
	assert_int_equal(a.decided_first, 0);
	if (mode != SR_MIDREG_MIRROR)
		assert_true(sb->absorbed > 0);
	for (unsigned i = 0; i < N_UAS + 1; i++) {
		char aor[64];
		snprintf(aor, sizeof(aor), "sip:u%u@example.com", mode == SR_MIDREG_AOR_THROTTLING ? i / 2 : i);
		assert_int_equal(mh_main_count(&a, aor), mh_main_count(&b, aor));
		assert_int_equal(mh_local_count(&a, aor), mh_local_count(&b, aor));
	}
	mh_free(&a);
	mh_free(&b);
}

static void test_same_verdicts_contact_throttling(void **state)
{
	(void)state;
	same_verdicts(SR_MIDREG_CONTACT_THROTTLING);
}

static void test_same_verdicts_aor_throttling(void **state)
{
	(void)state;
	same_verdicts(SR_MIDREG_AOR_THROTTLING);
}

static void test_same_verdicts_mirror(void **state)
{
	(void)state;
	same_verdicts(SR_MIDREG_MIRROR);
}

/* ---------------------------------------------------------------- the offer */

/* A REGISTER's decision facts for aor's one contact (binding id, expiry). */
static struct sr_midreg_req req(const char *aor, uint64_t binding_id, uint32_t expires, uint32_t cseq)
{
	struct sr_midreg_req rq = { .aor = sr_str_cstr(aor), .n_contacts = 1 };
	rq.contacts[0] = (struct sr_midreg_contact){ .requested = expires, .expires = expires, .binding_id = binding_id };
	rq.txn = (struct sr_txn_req){ .branch = SR_STR_LIT("z9hG4bK-t"), .call_id = SR_STR_LIT("c1"), .cseq = cseq };
	return rq;
}

/* The rule is the registrar's (rq->settings, looked up once by reg_rule.c; the shard has no lookup): kept as given. */
static void test_offer_uses_the_registrars_rule(void **state)
{
	(void)state;
	static struct mh h;
	mh_init(&h, SR_MIDREG_CONTACT_THROTTLING, NULL);
	struct mh_ua ua;
	mh_ua_init(&ua, 1, "sip:mem@example.com", "sip:mem@198.51.100.2:20001");
	assert_int_equal(mh_register(&h, &ua, 120), SR_MIDREG_FORWARDED);
	mh_pump(&h);
	const struct mh_binding *b = mh_local(&h, ua.aor, ua.uri);
	assert_non_null(b);

	struct sr_midreg_offer o = { .ms = h.m, .now_ms = h.now_ms };
	struct sr_midreg_settings rule;
	sr_midreg_settings_defaults(&rule);
	rule.memory_only = true;
	struct sr_midreg_req rq = req(ua.aor, b->id, 120, 10);
	rq.settings = &rule;
	assert_true(sr_midreg_offer_absorbs(&o, &rq)); /* the decision reads no rule */
	assert_false(sr_midreg_offer_take(&o, &rq));   /* absorbed either way */
	assert_ptr_equal(rq.settings, &rule);
	rq = req("sip:other@example.com", 0, 120, 1);
	assert_false(sr_midreg_offer_absorbs(&o, &rq)); /* a new contact goes upstream */
	assert_int_equal(sr_midreg_stats(h.m)->absorbed, 2);
	mh_free(&h);
}

/* The reply port the caller sets (symmetric responses) is where the UA's answer goes. */
static void test_offer_reply_port(void **state)
{
	(void)state;
	static struct mh h;
	mh_init(&h, SR_MIDREG_CONTACT_THROTTLING, NULL);
	struct mh_ua ua;
	mh_ua_init(&ua, 1, "sip:bob@example.com", "sip:bob@198.51.100.2:20001");
	/* the harness's own REGISTER, forwarded through the offer: taken with every fact the harness fills */
	assert_int_equal(mh_register(&h, &ua, 120), SR_MIDREG_FORWARDED);
	mh_pump(&h);
	unsigned since = h.n_ua_out;
	struct sr_midreg_offer o = { .ms = h.m, .now_ms = h.now_ms, .reply_port = 40123 };
	struct sr_midreg_req rq = req(ua.aor, 0, 0, 99); /* Contact: * for bob, with the harness's head */
	rq.n_contacts = 0;
	rq.star = true;
	rq.max_forwards = 70;
	rq.msg = sr_str_cstr(ua.last_msg);
	rq.reply_to = (struct sr_txn_dest){ .ip = 0x0200a8c0, .port = 5060 };
	assert_true(sr_midreg_offer_take(&o, &rq)); /* the star goes upstream */
	assert_int_equal(rq.reply_to.port, 40123);
	mh_pump(&h);
	assert_true(h.n_ua_out > since);
	assert_int_equal(h.ua_out[(h.n_ua_out - 1) % MH_UA_OUT].port, 40123);
	mh_free(&h);
}

/* ---------------------------------------------------------------- the binding id index */

static void restore_live(struct mh *h, const char *aor, uint64_t ctid, uint64_t binding_id)
{
	struct sr_midreg_record r = { .ctid = ctid, .binding_id = binding_id, .up_expires_at = mh_now_s(h) + 3600,
				      .up_refreshed_at = mh_now_s(h), .cseq = 1, .mode = SR_MIDREG_CONTACT_THROTTLING,
				      .state = SR_MIDREG_REC_LIVE, .aor = sr_str_cstr(aor) };
	uint8_t buf[256];
	size_t n = sr_midreg_record_encode(&r, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(sr_midreg_restore(h->m, buf, n, h->now_ms), 0);
}

static void add_binding(struct mh *h, unsigned slot, const char *aor, const char *uri, uint64_t id)
{
	struct mh_binding *b = &h->store[slot];
	*b = (struct mh_binding){ .used = true, .id = id, .expires_at = mh_now_s(h) + 120 };
	snprintf(b->aor, sizeof(b->aor), "%s", aor);
	snprintf(b->uri, sizeof(b->uri), "%s", uri);
}

/*
 * Two AoRs whose bindings came back from different stores with the same id
 * keep their own records, whether the requests carry an AoR hash (ha, hb:
 * the registrar's; 0 none) or not. With hashes, the first refresh of each
 * matches the AoR's bytes and the second is found by the hash alone.
 */
static void shared_binding_ids(uint64_t ha, uint64_t hb)
{
	static struct mh h;
	mh_init(&h, SR_MIDREG_CONTACT_THROTTLING, NULL);
	add_binding(&h, 0, "sip:a@example.com", "sip:a@198.51.100.2:1", 7);
	add_binding(&h, 1, "sip:b@example.com", "sip:b@198.51.100.2:2", 7);
	restore_live(&h, "sip:a@example.com", 0x1000000000000001ull, 7);
	restore_live(&h, "sip:b@example.com", 0x2000000000000002ull, 7);
	sr_midreg_restore_done(h.m, h.now_ms);
	struct sr_midreg_req ra = req("sip:a@example.com", 7, 120, 5), rb = req("sip:b@example.com", 7, 120, 5);
	ra.aor_hash = ha;
	rb.aor_hash = hb;
	for (unsigned round = 0; round < 2; round++) {
		assert_true(sr_midreg_absorbs(h.m, &ra, h.now_ms));
		assert_true(sr_midreg_absorbs(h.m, &rb, h.now_ms));
	}
	/* a third AoR with the same binding id and its own hash has no record: a new contact */
	struct sr_midreg_req rn = req("sip:c@example.com", 7, 120, 5);
	rn.aor_hash = ha ? ha ^ hb : 0;
	assert_false(sr_midreg_absorbs(h.m, &rn, h.now_ms));
	/* a's binding goes: only a's record is de-registered upstream, b's refreshes are still absorbed */
	h.store[0].used = false;
	sr_midreg_binding_gone(h.m, sr_str_cstr("sip:a@example.com"), 7, h.now_ms);
	assert_int_equal(sr_midreg_stats(h.m)->deregisters, 1);
	assert_false(sr_midreg_absorbs(h.m, &ra, h.now_ms)); /* a's contact is new again: upstream */
	assert_true(sr_midreg_absorbs(h.m, &rb, h.now_ms));
	/* an id no record has is a new contact */
	struct sr_midreg_req rc = req("sip:a@example.com", 8, 120, 6);
	rc.aor_hash = ha;
	assert_false(sr_midreg_absorbs(h.m, &rc, h.now_ms));
	mh_free(&h);
}

static void test_shared_binding_ids_keep_their_records(void **state)
{
	(void)state;
	shared_binding_ids(0, 0);
}

static void test_shared_binding_ids_by_aor_hash(void **state)
{
	(void)state;
	shared_binding_ids(0xa11ce5a11ce5a11cull, 0xb0bb0bb0bb0bb0bbull);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_verdicts_contact_throttling),
		cmocka_unit_test(test_same_verdicts_aor_throttling),
		cmocka_unit_test(test_same_verdicts_mirror),
		cmocka_unit_test(test_offer_uses_the_registrars_rule),
		cmocka_unit_test(test_offer_reply_port),
		cmocka_unit_test(test_shared_binding_ids_keep_their_records),
		cmocka_unit_test(test_shared_binding_ids_by_aor_hash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
