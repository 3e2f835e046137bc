/*
 * test_midreg_settings.c - the per-domain / per-AoR settings of the
 * operator's rules (the flags of OpenSIPS' mid_registrar_save, word for
 * word), the custom AoR template, the [mid] options' checks, and the
 * settings the shard itself acts on (outgoing-expires,
 * only-request-contacts) from lib/policy's lookup, handed in rq->settings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "midreg_harness.h"
#include "policy.h"

#define ALICE "sip:alice@example.com"
#define DEV1 "sip:alice@198.51.100.2:20001"
#define DEV2 "sip:alice@198.51.100.2:20002"

static int parse(const char *flags, struct sr_midreg_settings *s, char *err, size_t cap)
{
	sr_midreg_settings_defaults(s);
	return sr_midreg_settings_parse(flags, strlen(flags), s, err, cap);
}

static void test_flags(void **state)
{
	(void)state;
	struct sr_midreg_settings s;
	char err[256];
	assert_int_equal(parse("", &s, err, sizeof(err)), 0);
	assert_int_equal(s.outgoing_expires, 0); /* unset: the configuration's */
	assert_int_equal(s.max_contacts, -1);
	assert_int_equal(s.force_registration, -1);
	assert_int_equal(s.matching, SR_MIDREG_MATCH_DEFAULT);

	assert_int_equal(parse(" outgoing-expires=7200, max-contacts=3 ,force-registration,matching-mode=1,"
			       "path-received,only-request-contacts,memory-only,aor=sip:$user@$domain",
			       &s, err, sizeof(err)), 0);
	assert_int_equal(s.outgoing_expires, 7200);
	assert_int_equal(s.max_contacts, 3);
	assert_int_equal(s.force_registration, 1);
	assert_int_equal(s.matching, SR_MIDREG_MATCH_CONTACT_CALLID);
	assert_true(s.path_received && s.only_request_contacts && s.memory_only);
	assert_string_equal(s.aor, "sip:$user@$domain");

	assert_int_equal(parse("matching-mode=0,no-force-registration,max-contacts=0", &s, err, sizeof(err)), 0);
	assert_int_equal(s.matching, SR_MIDREG_MATCH_CONTACT);
	assert_int_equal(s.force_registration, 0);
	assert_int_equal(s.max_contacts, 0); /* unlimited */
	assert_int_equal(parse("matching-mode=rinstance", &s, err, sizeof(err)), 0);
	assert_int_equal(s.matching, SR_MIDREG_MATCH_PARAM);
	assert_string_equal(s.matching_param, "rinstance");
}

/* Each refusal names the flag at fault. */
static void test_flag_errors(void **state)
{
	(void)state;
	static const char *const bad[][2] = {
		{ "outgoing-expires=0", "outgoing-expires" }, { "outgoing-expires=abc", "outgoing-expires" },
		{ "outgoing-expires", "outgoing-expires" },   { "max-contacts=-1", "max-contacts" },
		{ "matching-mode=a b", "matching-mode" },     { "aor=alice@$domain", "aor" },
		{ "aor=sip:$host", "aor" },                   { "no-reply", "no-reply" },
		{ "force-registration=1", "force-registration" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sr_midreg_settings s;
		char err[256] = "";
		assert_int_equal(parse(bad[i][0], &s, err, sizeof(err)), -1);
		if (!strstr(err, bad[i][1]))
			fail_msg("'%s': message '%s' does not name '%s'", bad[i][0], err, bad[i][1]);
	}
}

static void test_custom_aor(void **state)
{
	(void)state;
	char out[64];
	size_t n = sr_midreg_custom_aor("sip:$user@$domain", SR_STR_LIT("alice"), SR_STR_LIT("example.com"), out,
					sizeof(out));
	assert_int_equal(n, strlen("sip:alice@example.com"));
	assert_memory_equal(out, "sip:alice@example.com", n);
	n = sr_midreg_custom_aor("sip:$user@tenant.$domain$$", SR_STR_LIT("bob"), SR_STR_LIT("example.net"), out,
				 sizeof(out));
	assert_memory_equal(out, "sip:bob@tenant.example.net$", n);
	assert_int_equal(sr_midreg_custom_aor("sip:$user@$realm", SR_STR_LIT("a"), SR_STR_LIT("b"), out, sizeof(out)), 0);
	assert_int_equal(sr_midreg_custom_aor("sip:$user@$domain", SR_STR_LIT("alice"), SR_STR_LIT("example.com"), out,
					      10), 0);
}

static void test_options(void **state)
{
	(void)state;
	struct sr_midreg_options o;
	sr_midreg_options_defaults(&o);
	assert_null(sr_midreg_options_check(&o));
	char host[64];
	uint16_t port;
	assert_true(sr_midreg_hostport("main.example.net:5070", host, sizeof(host), &port));
	assert_string_equal(host, "main.example.net");
	assert_int_equal(port, 5070);
	assert_true(sr_midreg_hostport("198.51.100.9:5060", host, sizeof(host), &port));
	assert_false(sr_midreg_hostport("main.example.net", host, sizeof(host), &port));
	assert_false(sr_midreg_hostport(":5060", host, sizeof(host), &port));
	assert_false(sr_midreg_hostport("[2001:db8::1]:5060", host, sizeof(host), &port)); /* no IPv6 data plane */
	assert_false(sr_midreg_hostport("h:65536", host, sizeof(host), &port));
	assert_false(sr_midreg_hostport("h:50x", host, sizeof(host), &port));

	struct sr_midreg_options b = o;
	snprintf(b.extra_contact_params, sizeof(b.extra_contact_params), "transport=udp;lr");
	assert_null(sr_midreg_options_check(&b));
	snprintf(b.extra_contact_params, sizeof(b.extra_contact_params), ";");
	assert_non_null(strstr(sr_midreg_options_check(&b), "mid.extra_contact_params"));
	b = o;
	b.contact_id_insertion = 2;
	assert_non_null(strstr(sr_midreg_options_check(&b), "mid.contact_id_insertion"));
	b = o;
	snprintf(b.at_escape_str, sizeof(b.at_escape_str), "a b");
	assert_non_null(strstr(sr_midreg_options_check(&b), "mid.at_escape_str"));
}

/* ---------------------------------------------------------------- the settings the shard acts on */

/*
 * The operator's rule as sipreg looks it up (the registrar's settings hook:
 * lib/policy's sr_policy_mid_settings over an `aor mid` line): AoRs of
 * example.com get 7200 s upstream and only their own contacts in a 2xx.
 * The shard is handed the result in rq->settings, as take() is.
 */
static void test_rule_settings_applied(void **state)
{
	(void)state;
	static const char line[] = "aor mid outgoing-expires=7200,only-request-contacts /@example\\.com$/i\n";
	char err[256] = "";
	struct sr_policy_reader reader = { sr_policy_create(1, "198.51.100.1", line, sizeof(line) - 1, err, sizeof(err)), 0 };
	if (!reader.p)
		fail_msg("rule refused: %s", err);
	struct mh h;
	mh_init(&h, SR_MIDREG_CONTACT_THROTTLING, NULL);
	uint32_t tag = 0;
	const struct sr_midreg_settings *alice = sr_policy_mid_settings(&reader, SR_STR_LIT(ALICE), &tag);
	tag = 0;
	const struct sr_midreg_settings *other = sr_policy_mid_settings(&reader, SR_STR_LIT("sip:carol@example.org"), &tag);
	assert_non_null(alice);
	assert_int_equal(alice->outgoing_expires, 7200);
	assert_null(other); /* no rule: the configuration's values */

	h.settings = alice;
	struct mh_ua a, b;
	mh_two_devices(&h, &a, &b, ALICE, DEV1, DEV2, 60);
	assert_int_equal(mh_main_binding(&h, ALICE, 0)->expires_at, mh_now_s(&h) + 7200); /* the rule's, not 3600 */
	/* only-request-contacts: b's 200 lists b's contact, not a's. */
	const char *ok = mh_ua_reply(&h, &b, 0)->bytes;
	assert_non_null(strstr(ok, "Contact: <" DEV2 ">"));
	assert_null(strstr(ok, "Contact: <" DEV1 ">"));

	/* Without the rule: the configuration's outgoing_expires and every contact of the AoR. */
	h.settings = other;
	struct mh_ua c;
	mh_ua_init(&c, 3, ALICE, "sip:alice@198.51.100.2:20003");
	mh_register(&h, &c, 60);
	mh_pump(&h);
	assert_non_null(strstr(h.main.last, ";expires=3600\r\n"));
	ok = mh_ua_reply(&h, &c, 0)->bytes;
	assert_non_null(strstr(ok, "Contact: <" DEV1 ">"));
	assert_non_null(strstr(ok, "Contact: <" DEV2 ">"));
	mh_free(&h);
	sr_policy_free(reader.p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_flag_errors),
		cmocka_unit_test(test_custom_aor),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_rule_settings_applied),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
