/*
 * test_policy.c - lib/policy on its own: the rules grammar, the shipped
 * default rules, matching per field, deny/allow precedence, refusal of bad
 * rules with line numbers (ours and hyperscan's), and reload: swap, keep the
 * old rules on a bad file, the bounded grace period, and a reader thread
 * checking continuously while the control thread reloads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "policy.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define SELF "198.51.100.1"

static struct sr_policy *load_default(void)
{
	const char *path = getenv("SR_POLICY_RULES");
	assert_non_null(path);
	char err[256] = "";
	struct sr_policy *p = sr_policy_create_file(1, SELF, path, err, sizeof(err));
	if (!p)
		fail_msg("%s", err);
	return p;
}

static struct sr_policy *load_text(const char *text)
{
	char err[256] = "";
	struct sr_policy *p = sr_policy_create(1, SELF, text, strlen(text), err, sizeof(err));
	if (!p)
		fail_msg("%s", err);
	return p;
}

/*
 * Verdict for a request with the given UA, one contact URI (or NULL) whose
 * parsed host is 'host' (NULL: none given), and AoR.
 */
static struct sr_pol_verdict check_host(struct sr_policy *p, const char *ua, const char *contact,
					const char *host, const char *aor)
{
	struct sr_str c = contact ? sr_str_cstr(contact) : SR_STR_NULL, h = sr_str_cstr(host);
	struct sr_policy_input in = { ua, ua ? strlen(ua) : 0, contact ? 1 : 0, &c,
				      aor ? sr_str_cstr(aor) : SR_STR_NULL, host ? 1 : 0, &h };
	struct sr_pol_verdict v = { SR_POL_ALLOW, 0, NULL };
	sr_policy_check(p, 0, &in, &v);
	return v;
}

static struct sr_pol_verdict check(struct sr_policy *p, const char *ua, const char *contact,
				   const char *aor)
{
	return check_host(p, ua, contact, NULL, aor);
}

static int action(struct sr_policy *p, const char *ua, const char *contact, const char *aor)
{
	return (int)check(p, ua, contact, aor).action;
}

#define ALICE "sip:alice@example.com"

static void default_rules_drop_scanners(void **state)
{
	(void)state;
	struct sr_policy *p = load_default();
	struct sr_policy_info info;
	sr_policy_get_info(p, &info);
	assert_true(info.rules >= 13);
	static const char *const scanners[] = {
		"friendly-scanner", "Friendly-Scanner 1.0", "sipvicious", "SIPVicious-0.3.4", "sipcli/v1.8",
		"VaxSIPUserAgent/3.1", "sip-scan", "smap 0.6.0", "iWar", "pplsip",
	};
	for (unsigned i = 0; i < sizeof(scanners) / sizeof(scanners[0]); i++)
		assert_int_equal(action(p, scanners[i], "sip:a@198.51.100.2", ALICE), SR_POL_DROP);
	static const char *const phones[] = {
		"Linphone/5.2.0 (belle-sip/5.2.0)", "Yealink SIP-T46S 66.86.0.15", "PolycomVVX-VVX_410",
		"Zoiper rv2.10", "", "Asterisk PBX 20.5.0", "not-smap",
	};
	for (unsigned i = 0; i < sizeof(phones) / sizeof(phones[0]); i++)
		assert_int_equal(action(p, phones[i], "sip:a@198.51.100.2", ALICE), SR_POL_ALLOW);
	assert_int_equal(action(p, NULL, NULL, ALICE), SR_POL_ALLOW); /* no UA, no contact */
	sr_policy_free(p);
}

/*
 * The shipped host: rule over contact hosts as the message view hands them
 * over (the spellings themselves: test_sip_host; the whole path from the
 * bytes: test_reg_policy). The URI text alone no longer decides anything.
 */
static void default_rules_refuse_hijack_contacts(void **state)
{
	(void)state;
	struct sr_policy *p = load_default();
	static const char *const bad[] = {
		"127.0.0.1", "127.1.2.3", "127.1", "2130706433", "0x7f000001", "0177.0.0.1", "localhost",
		"localhost.", "::1", "0:0:0:0:0:0:0:1", "::ffff:127.0.0.1", "0.0.0.0", "0", "0.0.0.0.",
		"198.51.100.1", "198.51.100.001", "::ffff:198.51.100.1",
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sr_pol_verdict v = check_host(p, "Linphone", "sip:alice@h", bad[i], ALICE);
		if (v.action != SR_POL_REJECT)
			fail_msg("contact host %s not refused", bad[i]);
		assert_int_equal(v.status, 403);
		assert_string_equal(v.reason, "Contact Not Allowed");
	}
	static const char *const good[] = {
		"198.51.100.2", "198.51.100.10", "198.51.100.1.example.net", "1270.0.0.1",
		"localhost.example.com", "2001:db8::1", "example.com",
	};
	for (unsigned i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (check_host(p, "Linphone", "sip:alice@127.0.0.1", good[i], ALICE).action != SR_POL_ALLOW)
			fail_msg("contact host %s refused", good[i]);
	sr_policy_free(p);
}

/* host: rules keep their place in the file order among deny rules; bad host: lines name their line. */
static void host_rules_order_and_grammar(void **state)
{
	(void)state;
	struct sr_policy *p = load_text("contact 480 Not Here /@away\\./\n"
					"contact drop host:loopback\n"
					"contact 403 Own Address HOST:Self,unspecified\n"
					"ua 499 Late /./\n");
	struct sr_pol_verdict v = check_host(p, "x", "sip:a@away.example", "127.0.0.1", ALICE);
	assert_int_equal(v.status, 480); /* line 1 before line 2 */
	assert_int_equal(check_host(p, "x", "sip:a@h", "127.1", ALICE).action, SR_POL_DROP);
	v = check_host(p, "x", "sip:a@h", "[::ffff:198.51.100.1]", ALICE);
	assert_int_equal(v.status, 403);
	assert_string_equal(v.reason, "Own Address");
	assert_int_equal(check_host(p, "x", "sip:a@h", "0", ALICE).status, 403);
	assert_int_equal(check_host(p, "x", "sip:a@h", "198.51.100.2", ALICE).status, 499);
	/* a second host (the maddr) counts as much as the first */
	struct sr_str c = SR_STR_LIT("sip:a@h;maddr=127.0.0.1"), hosts[2] = { SR_STR_LIT("h"), SR_STR_LIT("127.0.0.1") };
	struct sr_policy_input in = { "", 0, 1, &c, SR_STR_LIT(ALICE), 2, hosts };
	sr_policy_check(p, 0, &in, &v);
	assert_int_equal(v.action, SR_POL_DROP);
	sr_policy_free(p);
	/* a file of host: rules only needs no hyperscan database */
	p = load_text("contact 403 host:loopback\n");
	assert_int_equal(check_host(p, "x", "sip:a@h", "::1", ALICE).status, 403);
	assert_int_equal(check_host(p, "x", "sip:a@h", "198.51.100.1", ALICE).action, SR_POL_ALLOW);
	sr_policy_free(p);
}

static void rules_apply_to_their_field_only(void **state)
{
	(void)state;
	struct sr_policy *p = load_text("ua drop /evil/\n"
					"contact 403 Bad Contact /evil/\n"
					"aor 404 No Such AoR /evil/\n");
	assert_int_equal(action(p, "evil", "sip:a@b", ALICE), SR_POL_DROP);
	struct sr_pol_verdict v = check(p, "good", "sip:evil@b", ALICE);
	assert_int_equal(v.action, SR_POL_REJECT);
	assert_int_equal(v.status, 403);
	assert_string_equal(v.reason, "Bad Contact");
	v = check(p, "good", "sip:a@b", "sip:evil@example.com");
	assert_int_equal(v.status, 404);
	assert_string_equal(v.reason, "No Such AoR");
	/* The first matching deny line decides, whatever the field order of the scan. */
	v = check(p, "evil", "sip:evil@b", "sip:evil@example.com");
	assert_int_equal(v.action, SR_POL_DROP);
	assert_int_equal(action(p, "EVIL", "sip:EVIL@b", ALICE), SR_POL_ALLOW); /* no i flag */
	sr_policy_free(p);
}

static void several_contacts_any_one_refuses(void **state)
{
	(void)state;
	struct sr_policy *p = load_default();
	struct sr_str c[3] = { SR_STR_LIT("sip:a@198.51.100.2"), SR_STR_LIT("sip:b@198.51.100.3"),
			       SR_STR_LIT("sip:c@127.0.0.1") };
	struct sr_str h[3] = { SR_STR_LIT("198.51.100.2"), SR_STR_LIT("198.51.100.3"), SR_STR_LIT("127.0.0.1") };
	struct sr_policy_input in = { "ua", 2, 3, c, SR_STR_LIT(ALICE), 3, h };
	struct sr_pol_verdict v;
	sr_policy_check(p, 0, &in, &v);
	assert_int_equal(v.action, SR_POL_REJECT);
	in.n_contacts = in.n_hosts = 2;
	sr_policy_check(p, 0, &in, &v);
	assert_int_equal(v.action, SR_POL_ALLOW);
	sr_policy_free(p);
}

static void aor_allowlist_and_denylist(void **state)
{
	(void)state;
	struct sr_policy *p = load_text("# only our customers, and never the test account\n"
					"aor allow /^sips?:[^@]+@example\\.com$/i\n"
					"\n"
					"aor allow /^sip:[^@]+@partner\\.net$/\n"
					"aor 403 Account Locked /^sip:mallory@/\n");
	assert_int_equal(action(p, "ua", NULL, ALICE), SR_POL_ALLOW);
	assert_int_equal(action(p, "ua", NULL, "sip:bob@partner.net"), SR_POL_ALLOW);
	struct sr_pol_verdict v = check(p, "ua", NULL, "sip:bob@other.org");
	assert_int_equal(v.action, SR_POL_REJECT);
	assert_int_equal(v.status, 403);
	assert_string_equal(v.reason, "Forbidden");
	v = check(p, "ua", NULL, "sip:mallory@example.com"); /* deny wins over allow */
	assert_int_equal(v.action, SR_POL_REJECT);
	assert_string_equal(v.reason, "Account Locked");
	/* An allowlisted AoR field with no AoR (bad To URI) is refused too. */
	assert_int_equal(action(p, "ua", NULL, NULL), SR_POL_REJECT);
	sr_policy_free(p);
}

static void empty_rules_allow_everything(void **state)
{
	(void)state;
	struct sr_policy *p = load_text("# nothing\n\n   \n");
	assert_int_equal(action(p, "friendly-scanner", "sip:a@127.0.0.1", ALICE), SR_POL_ALLOW);
	sr_policy_free(p);
}

/* The text must be refused with an error message containing want. */
static void assert_refused(const char *text, const char *self, const char *want)
{
	char err[256] = "";
	struct sr_policy *p = sr_policy_create(1, self, text, strlen(text), err, sizeof(err));
	if (p) {
		sr_policy_free(p);
		fail_msg("accepted: %s", text);
	}
	if (!strstr(err, want))
		fail_msg("error '%s' does not contain '%s'", err, want);
}

static void bad_rules_refused_with_line(void **state)
{
	(void)state;
	assert_refused("ua drop /a/\nheader drop /x/\n", SELF, "line 2: unknown field 'header'");
	assert_refused("ua reject /x/\n", SELF, "line 1: unknown action 'reject'");
	assert_refused("ua 200 /x/\n", SELF, "line 1: unknown action '200'");
	assert_refused("ua 700 /x/\n", SELF, "line 1: unknown action");
	/* a registrar never sends 6xx (RFC 3261 10.3): refused at load, by line */
	assert_refused("ua drop /a/\n# note\nua 603 Decline /x/\n", SELF, "line 3: status 603: a registrar never answers 6xx");
	assert_refused("aor 600 /x/\n", SELF, "line 1: status 600");
	assert_refused("contact 699 Busy /x/\n", SELF, "line 1: status 699");
	struct sr_policy *edge = load_text("ua 400 /a/\nua 599 Too Busy /b/\n"); /* the accepted range's ends */
	assert_int_equal(check(edge, "b", NULL, NULL).status, 599);
	sr_policy_free(edge);
	assert_refused("ua drop friendly\n", SELF, "line 1: missing /regex/");
	assert_refused("ua drop /abc\n", SELF, "line 1: regex not closed");
	assert_refused("ua drop //\n", SELF, "line 1: empty regex");
	assert_refused("ua drop /x/q\n", SELF, "line 1: unknown regex flag");
	assert_refused("ua drop Go Away /x/\n", SELF, "line 1: a reason phrase only goes with a status");
	assert_refused("ua\n", SELF, "line 1: unknown action");
	/* %SELF% is gone (a regex cannot see every spelling of an address): refused with the way out */
	assert_refused("ua drop /x/\ncontact 403 /^sip:[^@]*@%SELF%/\n", SELF,
		       "line 2: %SELF% is no longer expanded: refuse contacts at the registrar's own addresses with 'contact 403 host:self'");
	assert_refused("contact 403 host:self\n", NULL, "line 1: host:self used but the registrar's own addresses are not set");
	assert_refused("contact 403 host:loopback,nowhere\n", SELF, "line 1: unknown host class 'nowhere'");
	assert_refused("contact 403 host:\n", SELF, "line 1: host: names no class");
	assert_refused("contact 403 host:loopback, self\n", SELF, "line 1: host: takes one comma-separated list");
	assert_refused("ua 403 host:loopback\n", SELF, "line 1: host: goes with the contact field only");
	assert_refused("contact allow host:self\n", SELF, "line 1: host: rules refuse");
	assert_refused("contact drop Why host:self\n", SELF, "line 1: a reason phrase only goes with a status");
	assert_refused("ua drop /x/\n", "198.51.100.1, sip.example.com", "own addresses: 'sip.example.com' is not an IP address");
	assert_refused("ua drop /a\0b/\n", SELF, "line 1:"); /* strlen stops at NUL: regex not closed */
	/* Hyperscan's own refusal names the rule's line and carries its message. */
	assert_refused("# ok\nua drop /fine/\n\nua drop /(unclosed/\n", SELF, "line 4: ");
	assert_refused("ua drop /(unclosed/\n", SELF, "Missing close parenthesis");
	assert_refused("aor drop /a\\1/\n", SELF, "line 1: "); /* back-references are not supported */
	char err[256];
	const char nul[] = "ua drop /x/\nua drop /a\0b/\n";
	assert_null(sr_policy_create(1, SELF, nul, sizeof(nul) - 1, err, sizeof(err)));
	assert_non_null(strstr(err, "line 2: NUL byte"));
	assert_null(sr_policy_create_file(1, SELF, "/nonexistent/policy.rules", err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/policy.rules"));
}

static void reload_swaps_and_bad_reload_keeps_old(void **state)
{
	(void)state;
	struct sr_policy *p = load_text("ua drop /one/\n");
	struct sr_policy_info info;
	sr_policy_get_info(p, &info);
	assert_int_equal(info.generation, 1);
	char err[256] = "";
	const char *two = "ua drop /two/\nua drop /three/\n";
	assert_int_equal(sr_policy_reload(p, two, strlen(two), 1000, err, sizeof(err)), 0);
	assert_int_equal(action(p, "one", NULL, ALICE), SR_POL_ALLOW);
	assert_int_equal(action(p, "two", NULL, ALICE), SR_POL_DROP);
	sr_policy_get_info(p, &info);
	assert_int_equal(info.rules, 2);
	assert_int_equal(info.generation, 2);
	const char *bad = "ua drop /ok/\nua drop /[z-a]/\n";
	assert_int_equal(sr_policy_reload(p, bad, strlen(bad), 1000, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "line 2: "));
	assert_int_equal(action(p, "two", NULL, ALICE), SR_POL_DROP); /* old rules still live */
	sr_policy_get_info(p, &info);
	assert_int_equal(info.generation, 2);
	sr_policy_free(p);
}

static void reload_waits_for_online_readers_bounded(void **state)
{
	(void)state;
	struct sr_policy *p = load_text("ua drop /one/\n");
	char err[256] = "";
	const char *two = "ua drop /two/\n";
	sr_policy_reader_online(p, 0);
	/* The reader never reports quiescence: the swap happens, freeing the old one waits. */
	assert_int_equal(sr_policy_reload(p, two, strlen(two), 20, err, sizeof(err)), 1);
	assert_int_equal(action(p, "two", NULL, ALICE), SR_POL_DROP);
	assert_int_equal(sr_policy_reload(p, two, strlen(two), 20, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "quiescent"));
	sr_policy_quiescent(p, 0);
	/* The token of the next grace period is newer than that report: go offline to let it pass. */
	sr_policy_reader_offline(p, 0);
	assert_int_equal(sr_policy_reload(p, "ua drop /one/\n", 14, 1000, err, sizeof(err)), 0);
	assert_int_equal(action(p, "one", NULL, ALICE), SR_POL_DROP);
	sr_policy_free(p);
}

/* ---- a reader thread checking while the control thread reloads ---- */

struct reader_arg {
	struct sr_policy *p;
	atomic_bool stop;
	unsigned long checks, bad;
};

static void *reader_main(void *arg)
{
	struct reader_arg *a = arg;
	sr_policy_reader_online(a->p, 1);
	struct sr_str c = SR_STR_LIT("sip:alice@198.51.100.2");
	struct sr_policy_input in = { "scanner-A", 9, 1, &c, SR_STR_LIT(ALICE), 0, NULL };
	/* Bounded even if the main thread failed to set stop. */
	for (unsigned long i = 0; i < 50000000ul && !atomic_load(&a->stop); i++) {
		struct sr_pol_verdict v;
		sr_policy_check(a->p, 1, &in, &v);
		/* Both rule sets drop "scanner-A", with different rules: never anything else. */
		if (v.action != SR_POL_DROP)
			a->bad++;
		a->checks++;
		sr_policy_quiescent(a->p, 1);
	}
	sr_policy_reader_offline(a->p, 1);
	return NULL;
}

static void reload_under_concurrent_readers(void **state)
{
	(void)state;
	const char *set_a = "ua drop /scanner-A/\ncontact 403 /@127\\./\n";
	const char *set_b = "aor 403 /^sip:bob@/\nua drop /scanner-[A-Z]/\nua drop /x{2,5}y/i\n";
	char err[256] = "";
	struct sr_policy *p = sr_policy_create(2, SELF, set_a, strlen(set_a), err, sizeof(err));
	assert_non_null(p);
	struct reader_arg a = { .p = p };
	atomic_init(&a.stop, false);
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, reader_main, &a), 0);
	int timeouts = 0;
	for (int i = 0; i < 40; i++) {
		const char *txt = i % 2 ? set_a : set_b;
		int rc = sr_policy_reload(p, txt, strlen(txt), 2000, err, sizeof(err));
		assert_true(rc == 0 || rc == 1);
		timeouts += rc;
	}
	atomic_store(&a.stop, true);
	pthread_join(t, NULL);
	assert_int_equal(timeouts, 0);
	assert_true(a.checks > 0);
	assert_int_equal(a.bad, 0);
	struct sr_policy_info info;
	sr_policy_get_info(p, &info);
	assert_int_equal(info.generation, 41);
	sr_policy_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(default_rules_drop_scanners),
		cmocka_unit_test(default_rules_refuse_hijack_contacts),
		cmocka_unit_test(host_rules_order_and_grammar),
		cmocka_unit_test(rules_apply_to_their_field_only),
		cmocka_unit_test(several_contacts_any_one_refuses),
		cmocka_unit_test(aor_allowlist_and_denylist),
		cmocka_unit_test(empty_rules_allow_everything),
		cmocka_unit_test(bad_rules_refused_with_line),
		cmocka_unit_test(reload_swaps_and_bad_reload_keeps_old),
		cmocka_unit_test(reload_waits_for_online_readers_bounded),
		cmocka_unit_test(reload_under_concurrent_readers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
