/*
 * test_midreg_state.c - what the mid-registrar keeps and gives back
 * (midreg_harness.h's fake main registrar, store and clock):
 * - absorption: UAs refreshing every 60 s with outgoing_expires 3600 keep
 *   at least 95 % of their REGISTERs away from the main registrar in both
 *   throttling modes (the ratio the shard computes, checked against what
 *   the main registrar received), none in mirror;
 * - a main registrar granting less than outgoing_expires: the UA never gets
 *   more than it, refreshes go up on its schedule;
 * - calls from the main registrar's side: a contact id (ct-param and
 *   ct-username) maps back to that one local binding, an AoR contact to
 *   the whole AoR (a fork); unknown or de-registered ones do not;
 * - the persisted record: encoding round trip, another version and
 *   truncations refused; a restart keeps absorbing on the restored records
 *   and de-registers what no restored binding stands for;
 * - the lease kept with each binding (io.lease) follows its record, is
 *   withdrawn while a REGISTER is upstream, and comes back after a restart;
 * - extra contact parameters given without their leading ';'.
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

#define N_UAS 24

static const struct sr_midreg_stats *stats(const struct mh *h)
{
	return sr_midreg_stats(h->m);
}

static const char *queued(const struct mh *h)
{
	assert_true(h->main.q_tail > h->main.q_head);
	return h->main.queue[(h->main.q_tail - 1) % MH_QUEUE];
}

/* ---------------------------------------------------------------- absorption */

/*
 * N_UAS devices (two per AoR in AoR throttling) register with Expires 120
 * and refresh every 60 s, staggered, for two hours of the fake clock.
 * Returns the shard's absorption ratio after checking it against the main
 * registrar's own count.
 */
static double absorption(enum sr_midreg_mode mode)
{
	struct mh h;
	mh_init(&h, mode, NULL); /* outgoing_expires: the default 3600 */
	static struct mh_ua ua[N_UAS];
	for (unsigned i = 0; i < N_UAS; i++) {
		char aor[64], uri[64];
		unsigned user = mode == SR_MIDREG_AOR_THROTTLING ? i / 2 : i;
		snprintf(aor, sizeof(aor), "sip:u%u@example.com", user);
		snprintf(uri, sizeof(uri), "sip:u%u@198.51.100.2:%u", user, 20001 + i);
		mh_ua_init(&ua[i], i + 1, aor, uri);
	}
	uint64_t t0 = h.now_ms;
	unsigned sent = 0;
	for (uint64_t s = 0; s < 7200; s++) {
		for (unsigned i = 0; i < N_UAS; i++)
			if (s % 60 == (i * 7) % 60) { /* each UA on its own second of the minute */
				mh_register(&h, &ua[i], 120);
				sent++;
			}
		mh_run_to(&h, t0 + (s + 1) * 1000);
	}
	const struct sr_midreg_stats *st = stats(&h);
	assert_int_equal(st->received, sent);
	assert_int_equal(st->absorbed + st->forwarded, sent);
	assert_int_equal(st->upstream_failures, 0);
	assert_int_equal(st->forwarded, h.main.received); /* every forward reached the main registrar once */
	assert_int_equal(h.main.cseq_errors, 0);
	/* The main registrar holds one contact per device (contact modes) or per AoR, all live. */
	unsigned upstream = 0;
	for (unsigned i = 0; i < N_UAS; i++)
		if (mode != SR_MIDREG_AOR_THROTTLING || i % 2 == 0)
			upstream += mh_main_count(&h, ua[i].aor);
	assert_int_equal(upstream, mode == SR_MIDREG_AOR_THROTTLING ? N_UAS / 2 : N_UAS);
	/* contact throttling: every absorbed refresh was covered, so its binding's lease said so (none elsewhere) */
	assert_int_equal(h.leased, mode == SR_MIDREG_CONTACT_THROTTLING ? st->absorbed : 0);
	double ratio = sr_midreg_absorption(st);
	double from_main = 1.0 - (double)h.main.received / (double)sent;
	assert_true(ratio > from_main - 1e-9 && ratio < from_main + 1e-9);
	mh_free(&h);
	return ratio;
}

static void test_absorption_contact_throttling(void **state)
{
	(void)state;
	double r = absorption(SR_MIDREG_CONTACT_THROTTLING);
	print_message("contact throttling: %.4f of REGISTERs absorbed\n", r);
	assert_true(r >= 0.95);
}

static void test_absorption_aor_throttling(void **state)
{
	(void)state;
	double r = absorption(SR_MIDREG_AOR_THROTTLING);
	print_message("AoR throttling: %.4f of REGISTERs absorbed\n", r);
	assert_true(r >= 0.95);
}

static void test_absorption_mirror(void **state)
{
	(void)state;
	assert_true(absorption(SR_MIDREG_MIRROR) == 0.0);
}

/*
 * One UA (DEV1 of ALICE) in contact throttling registers with this expiry
 * and the main registrar (granting at most main_max seconds, 0: its
 * default) answers. Returns the clock at the REGISTER.
 */
static uint64_t registered_upstream(struct mh *h, struct mh_ua *ua, uint32_t main_max, uint32_t expires)
{
	mh_init(h, SR_MIDREG_CONTACT_THROTTLING, NULL);
	if (main_max)
		h->main.max_expires = main_max;
	mh_ua_init(ua, 1, ALICE, DEV1);
	uint64_t t0 = h->now_ms;
	assert_int_equal(mh_register(h, ua, expires), SR_MIDREG_FORWARDED);
	mh_pump(h);
	return t0;
}

/*
 * The main registrar grants less than outgoing_expires (its max_expires 300):
 * the UA never gets more than the upstream grant, and refreshes go up on the
 * upstream schedule, each one in time.
 */
static void test_throttling_short_upstream_grant(void **state)
{
	(void)state;
	struct mh h;
	struct mh_ua ua;
	uint64_t t0 = registered_upstream(&h, &ua, 300, 600);
	assert_non_null(strstr(mh_ua_reply(&h, &ua, 0)->bytes, "Contact: <" DEV1 ">;expires=300\r\n"));
	assert_int_equal(mh_local(&h, ALICE, DEV1)->expires_at, mh_now_s(&h) + 300);
	/* Refreshes every 50 s asking 60: absorbed while the 300 s upstream outlive the next one (60 + 32 s). */
	unsigned forwards = 0;
	for (uint64_t t = 50; t <= 1800; t += 50) {
		mh_run_to(&h, t0 + t * 1000);
		assert_int_equal(mh_main_count(&h, ALICE), 1); /* never lapses upstream */
		if (mh_register(&h, &ua, 60) == SR_MIDREG_FORWARDED) {
			forwards++;
			mh_pump(&h);
		}
		const struct mh_binding *b = mh_local(&h, ALICE, DEV1);
		assert_true(b->expires_at <= mh_main_binding(&h, ALICE, 0)->expires_at); /* never beyond upstream */
	}
	assert_int_equal(forwards, 7); /* at 250, 500, ..., 1750: when less than 92 s of the 300 are left */
	assert_int_equal(h.main.cseq_errors, 0);
	mh_free(&h);
}

/* ---------------------------------------------------------------- calls from the main registrar's side */

/* The user part and the ctid parameter of an upstream contact URI (in bufs). */
static void split_up_uri(const char *uri, char *user, size_t ucap, char *ctid, size_t ccap)
{
	const char *colon = strchr(uri, ':'), *at = strchr(uri, '@'), *p = strstr(uri, ";ctid=");
	snprintf(user, ucap, "%.*s", at ? (int)(at - colon - 1) : 0, colon + 1);
	if (!p) {
		ctid[0] = '\0';
		return;
	}
	p += strlen(";ctid=");
	snprintf(ctid, ccap, "%.*s", (int)strcspn(p, ";>"), p);
}

static void contact_lookup(enum sr_midreg_mode mode, void (*hook)(struct sr_midreg_config *c))
{
	struct mh h;
	mh_init(&h, mode, hook);
	struct mh_ua a, b;
	mh_two_devices(&h, &a, &b, ALICE, DEV1, DEV2, 600);
	assert_int_equal(mh_main_count(&h, ALICE), 2);
	bool ct_username = sr_midreg_cfg(h.m)->uri.ct_username;
	for (unsigned i = 0; i < 2; i++) {
		char user[64], ctid[32], aor[128];
		const struct mh_up_binding *up = mh_main_binding(&h, ALICE, i);
		split_up_uri(up->uri, user, sizeof(user), ctid, sizeof(ctid));
		assert_int_equal(strlen(ct_username ? user : ctid), 16); /* the id is where the setting puts it */
		if (!ct_username)
			assert_string_equal(user, "alice"); /* ct-param keeps the UA's user part */
		struct sr_midreg_target t;
		assert_true(sr_midreg_lookup(h.m, sr_str_cstr(user), sr_str_cstr(ctid), aor, sizeof(aor), &t));
		assert_true(sr_str_eq(t.aor, SR_STR_LIT(ALICE)));
		assert_non_null(strstr(up->uri, "@198.51.100.1:5060")); /* our address upstream, never the device's */
		/* That one binding: the device whose REGISTER made this upstream contact. */
		uint64_t id1 = mh_local(&h, ALICE, DEV1)->id, id2 = mh_local(&h, ALICE, DEV2)->id;
		assert_true(t.binding_id == id1 || t.binding_id == id2);
		uint64_t v;
		assert_true(sr_mid_ctid_parse(sr_str_cstr(ct_username ? user : ctid), &v));
		assert_int_equal(sr_midreg_ctid_owner(v), 0x1234); /* the owner bits the harness gave */
	}
	/* The two upstream contacts name different bindings. */
	char u0[64], c0[32], u1[64], c1[32], aor[128];
	split_up_uri(mh_main_binding(&h, ALICE, 0)->uri, u0, sizeof(u0), c0, sizeof(c0));
	split_up_uri(mh_main_binding(&h, ALICE, 1)->uri, u1, sizeof(u1), c1, sizeof(c1));
	struct sr_midreg_target t0, t1;
	assert_true(sr_midreg_lookup(h.m, sr_str_cstr(u0), sr_str_cstr(c0), aor, sizeof(aor), &t0));
	assert_true(sr_midreg_lookup(h.m, sr_str_cstr(u1), sr_str_cstr(c1), aor, sizeof(aor), &t1));
	assert_true(t0.binding_id != t1.binding_id);

	/* Unknown ids and malformed ones are not ours. */
	struct sr_midreg_target t;
	uint64_t unknown_before = stats(&h)->lookups_unknown;
	assert_false(sr_midreg_lookup(h.m, SR_STR_LIT("0123456789abcdef"), SR_STR_LIT("0123456789abcdef"), aor,
				      sizeof(aor), &t));
	assert_false(sr_midreg_lookup(h.m, SR_STR_LIT("alice"), SR_STR_LIT("xyz"), aor, sizeof(aor), &t));
	assert_int_equal(stats(&h)->lookups_unknown, unknown_before + 2);

	/* The device removes itself: its contact id no longer routes. */
	const char *dev1_up = NULL;
	for (unsigned i = 0; i < 2 && !dev1_up; i++) {
		char user[64], ctid[32];
		const struct mh_up_binding *up = mh_main_binding(&h, ALICE, i);
		split_up_uri(up->uri, user, sizeof(user), ctid, sizeof(ctid));
		if (sr_midreg_lookup(h.m, sr_str_cstr(user), sr_str_cstr(ctid), aor, sizeof(aor), &t) &&
		    t.binding_id == mh_local(&h, ALICE, DEV1)->id)
			dev1_up = up->uri;
	}
	assert_non_null(dev1_up);
	char user[64], ctid[32];
	split_up_uri(dev1_up, user, sizeof(user), ctid, sizeof(ctid));
	mh_register(&h, &a, 0);
	mh_pump(&h);
	assert_null(mh_local(&h, ALICE, DEV1));
	assert_false(sr_midreg_lookup(h.m, sr_str_cstr(user), sr_str_cstr(ctid), aor, sizeof(aor), &t));
	mh_free(&h);
}

static void ct_username(struct sr_midreg_config *c)
{
	c->uri.ct_username = true;
}

static void test_lookup_contact_throttling_ct_param(void **state)
{
	(void)state;
	contact_lookup(SR_MIDREG_CONTACT_THROTTLING, NULL);
}

static void test_lookup_contact_throttling_ct_username(void **state)
{
	(void)state;
	contact_lookup(SR_MIDREG_CONTACT_THROTTLING, ct_username);
}

static void test_lookup_mirror(void **state)
{
	(void)state;
	contact_lookup(SR_MIDREG_MIRROR, NULL);
}

/* AoR throttling: the AoR contact expands to every binding of the AoR (mid_registrar_lookup's fork). */
static void test_lookup_aor_throttling(void **state)
{
	(void)state;
	struct mh h;
	mh_init(&h, SR_MIDREG_AOR_THROTTLING, NULL);
	struct mh_ua a, b;
	mh_ua_init(&a, 1, ALICE, DEV1);
	mh_ua_init(&b, 2, ALICE, DEV2);
	mh_register(&h, &a, 600);
	mh_pump(&h);
	mh_register(&h, &b, 600);
	char user[64], ctid[32], aor[128];
	split_up_uri(mh_main_binding(&h, ALICE, 0)->uri, user, sizeof(user), ctid, sizeof(ctid));
	assert_string_equal(user, "alice%40example.com");
	struct sr_midreg_target t;
	assert_true(sr_midreg_lookup(h.m, sr_str_cstr(user), SR_STR_NULL, aor, sizeof(aor), &t));
	assert_true(sr_str_eq(t.aor, SR_STR_LIT(ALICE)));
	assert_true(t.binding_id == 0); /* every binding: both devices */
	assert_int_equal(mh_local_count(&h, ALICE), 2);
	assert_false(sr_midreg_lookup(h.m, SR_STR_LIT("bob%40example.com"), SR_STR_NULL, aor, sizeof(aor), &t));
	assert_false(sr_midreg_lookup(h.m, SR_STR_LIT("alice"), SR_STR_NULL, aor, sizeof(aor), &t));
	/* Both devices gone: the AoR contact is de-registered and no longer routes. */
	mh_register(&h, &a, 0);
	mh_register(&h, &b, 0);
	mh_pump(&h);
	assert_int_equal(mh_main_count(&h, ALICE), 0);
	assert_false(sr_midreg_lookup(h.m, sr_str_cstr(user), SR_STR_NULL, aor, sizeof(aor), &t));
	mh_free(&h);
}

/* ---------------------------------------------------------------- persisted records */

static void test_record_encoding(void **state)
{
	(void)state;
	struct sr_midreg_record r = {
		.ctid = 0x1234abcdef012345ull,
		.binding_id = 77,
		.up_expires_at = 1800003600,
		.up_refreshed_at = 1800000000,
		.cseq = 100042,
		.retry_at = 1800000030,
		.mode = SR_MIDREG_CONTACT_THROTTLING,
		.state = SR_MIDREG_REC_LIVE,
		.attempts = 2,
		.aor = SR_STR_LIT(ALICE),
		.user = SR_STR_LIT("alice"),
	};
	uint8_t buf[256];
	size_t n = sr_midreg_record_encode(&r, buf, sizeof(buf));
	assert_int_equal(n, SR_MIDREG_RECORD_FIXED + strlen(ALICE) + strlen("alice"));
	assert_int_equal(buf[0], SR_MIDREG_RECORD_VERSION);
	struct sr_midreg_record d;
	assert_int_equal(sr_midreg_record_decode(buf, n, &d), 0);
	assert_true(d.ctid == r.ctid && d.binding_id == r.binding_id);
	assert_int_equal(d.up_expires_at, r.up_expires_at);
	assert_int_equal(d.up_refreshed_at, r.up_refreshed_at);
	assert_int_equal(d.cseq, r.cseq);
	assert_int_equal(d.retry_at, r.retry_at);
	assert_int_equal(d.mode, r.mode);
	assert_int_equal(d.state, r.state);
	assert_int_equal(d.attempts, r.attempts);
	assert_true(sr_str_eq(d.aor, r.aor));
	assert_true(sr_str_eq(d.user, r.user));
	/* Every smaller buffer is refused, every truncation too. */
	for (size_t cap = 0; cap < n; cap++)
		assert_int_equal(sr_midreg_record_encode(&r, buf, cap), 0);
	n = sr_midreg_record_encode(&r, buf, sizeof(buf));
	for (size_t len = 0; len < n; len++)
		assert_int_not_equal(sr_midreg_record_decode(buf, len, &d), 0);
	assert_int_not_equal(sr_midreg_record_decode(buf, n + 1, &d), 0); /* trailing bytes */
	buf[0] = SR_MIDREG_RECORD_VERSION + 1;
	assert_int_not_equal(sr_midreg_record_decode(buf, n, &d), 0);
}

/* A restart with the persisted records: refreshes stay absorbed; an upstream contact nothing stands for goes. */
static void test_restart(void **state)
{
	(void)state;
	struct mh h;
	mh_init(&h, SR_MIDREG_CONTACT_THROTTLING, NULL);
	struct mh_ua a, b;
	mh_two_devices(&h, &a, &b, ALICE, DEV1, DEV2, 600);
	mh_run_to(&h, h.now_ms + 60000);
	assert_int_equal(mh_main_count(&h, ALICE), 2);
	unsigned received = h.main.received;
	/* The location store comes back without DEV2 (e.g. it expired while sipreg was down). */
	struct mh_binding *gone = (struct mh_binding *)mh_local(&h, ALICE, DEV2);
	gone->used = false;
	mh_restart(&h, NULL);
	assert_int_equal(stats(&h)->restored, 2);
	assert_int_equal(stats(&h)->restore_bad, 0);
	assert_int_equal(stats(&h)->deregisters, 1); /* DEV2's upstream contact */
	mh_pump(&h);
	assert_int_equal(mh_main_count(&h, ALICE), 1);
	assert_int_equal(stats(&h)->upstream_live, 1);
	/* DEV1 refreshes: the restored record covers it, nothing goes up; its contact id still routes. */
	mh_run_to(&h, h.now_ms + 10000);
	assert_int_equal(mh_register(&h, &a, 600), SR_MIDREG_ABSORB);
	assert_int_equal(h.main.received, received + 1); /* only the de-REGISTER */
	char user[64], ctid[32], aor[128];
	split_up_uri(mh_main_binding(&h, ALICE, 0)->uri, user, sizeof(user), ctid, sizeof(ctid));
	struct sr_midreg_target t;
	assert_true(sr_midreg_lookup(h.m, sr_str_cstr(user), sr_str_cstr(ctid), aor, sizeof(aor), &t));
	assert_true(t.binding_id == mh_local(&h, ALICE, DEV1)->id);
	/* DEV1 keeps refreshing: one refresh goes up before the upstream hour is over, in CSeq order after the restart. */
	unsigned forwards = 0;
	for (unsigned k = 0; k < 12; k++) {
		mh_run_to(&h, h.now_ms + 300000);
		if (mh_register(&h, &a, 600) == SR_MIDREG_FORWARDED) {
			forwards++;
			mh_pump(&h);
			assert_int_equal(mh_ua_reply(&h, &a, 0)->status, 200);
		}
	}
	assert_int_equal(forwards, 1);
	assert_int_equal(mh_main_count(&h, ALICE), 1);
	assert_int_equal(h.main.cseq_errors, 0);
	mh_free(&h);
}

/*
 * The lease kept with the binding (io.lease) follows its record: the upstream
 * expiry less refresh_margin once the main registrar granted it, 0 while a
 * REGISTER of it is upstream, renewed by the answer. The harness checks at
 * every REGISTER that a covering lease is never more than the decision (it
 * absorbs each such one).
 */
static void test_lease_follows_record(void **state)
{
	(void)state;
	struct mh h;
	struct mh_ua ua;
	uint64_t t0 = registered_upstream(&h, &ua, 300, 60);
	const struct mh_binding *b = mh_local(&h, ALICE, DEV1);
	assert_int_equal(b->lease, mh_now_s(&h) + 300 - 32); /* the upstream 300 s less the margin */
	unsigned leased = h.leased;
	/* refreshes every 50 s asking 60: at 50 ... 200 s, t + 60 <= 268, covered by the lease alone */
	for (uint64_t t = 50; t <= 200; t += 50) {
		mh_run_to(&h, t0 + t * 1000);
		assert_int_equal(mh_register(&h, &ua, 60), SR_MIDREG_ABSORB);
	}
	assert_int_equal(h.leased, leased + 4);
	/* at 250 s, 250 + 60 > 268: not covered, the refresh goes up and the lease is withdrawn meanwhile */
	mh_run_to(&h, t0 + 250000);
	assert_int_equal(mh_register(&h, &ua, 60), SR_MIDREG_FORWARDED);
	assert_int_equal(h.leased, leased + 4);
	assert_int_equal(mh_local(&h, ALICE, DEV1)->lease, 0);
	/* another refresh meanwhile is asked, not leased (the decision absorbs it: the one in flight extends) */
	assert_int_equal(mh_register(&h, &ua, 60), SR_MIDREG_ABSORB);
	assert_int_equal(h.leased, leased + 4);
	mh_pump(&h);
	assert_int_equal(mh_local(&h, ALICE, DEV1)->lease, mh_now_s(&h) + 300 - 32); /* renewed by the 2xx */
	mh_free(&h);
}

/* Leases are not persisted: a restart republishes the restored LIVE records' ones, and refreshes stay leased. */
static void test_lease_restored(void **state)
{
	(void)state;
	struct mh h;
	struct mh_ua ua;
	registered_upstream(&h, &ua, 0, 600);
	uint32_t lease = mh_local(&h, ALICE, DEV1)->lease;
	assert_int_equal(lease, mh_now_s(&h) + 3600 - 32);
	mh_run_to(&h, h.now_ms + 60000);
	mh_restart(&h, NULL); /* clears every lease, as the store's restore does, then restores the records */
	assert_int_equal(mh_local(&h, ALICE, DEV1)->lease, lease);
	unsigned leased = h.leased;
	assert_int_equal(mh_register(&h, &ua, 600), SR_MIDREG_ABSORB);
	assert_int_equal(h.leased, leased + 1);
	mh_free(&h);
}

/* A garbled persisted record is refused at start and counted; the rest restore. */
static void test_restore_refuses_bad_record(void **state)
{
	(void)state;
	struct mh h;
	mh_init(&h, SR_MIDREG_CONTACT_THROTTLING, NULL);
	uint8_t junk[8] = { SR_MIDREG_RECORD_VERSION, 1, 2, 3 };
	assert_int_equal(sr_midreg_restore(h.m, junk, sizeof(junk), h.now_ms), -1);
	assert_int_equal(stats(&h)->restore_bad, 1);
	assert_int_equal(stats(&h)->records, 0);
	mh_free(&h);
}

/* ---------------------------------------------------------------- configuration */

static void extra_without_semicolon(struct sr_midreg_config *c)
{
	c->uri.extra_params = SR_STR_LIT("transport=udp");
}

static void test_extra_params_leading_semicolon_added(void **state)
{
	(void)state;
	struct mh h;
	mh_init(&h, SR_MIDREG_CONTACT_THROTTLING, extra_without_semicolon);
	struct mh_ua a;
	mh_ua_init(&a, 1, ALICE, DEV1);
	mh_register(&h, &a, 60);
	assert_non_null(strstr(queued(&h), ";transport=udp>;expires=3600\r\n"));
	mh_free(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_absorption_contact_throttling),
		cmocka_unit_test(test_absorption_aor_throttling),
		cmocka_unit_test(test_absorption_mirror),
		cmocka_unit_test(test_throttling_short_upstream_grant),
		cmocka_unit_test(test_lookup_contact_throttling_ct_param),
		cmocka_unit_test(test_lookup_contact_throttling_ct_username),
		cmocka_unit_test(test_lookup_mirror),
		cmocka_unit_test(test_lookup_aor_throttling),
		cmocka_unit_test(test_record_encoding),
		cmocka_unit_test(test_restart),
		cmocka_unit_test(test_lease_follows_record),
		cmocka_unit_test(test_lease_restored),
		cmocka_unit_test(test_restore_refuses_bad_record),
		cmocka_unit_test(test_extra_params_leading_semicolon_added),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
