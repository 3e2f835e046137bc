/*
 * test_policy_mid.c - the mid-registrar's settings from the policy rules
 * (`aor mid FLAGS /REGEX/FLAGS`, lib/policy/policy_mid.c): a matching line
 * fills the settings, the first matching line in file order wins whatever
 * the regexes, flags not named keep their defaults, regex flags apply, bad
 * flags and misplaced mid lines are refused with their line, mid lines
 * never become verdicts, and a reload replaces the settings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "midreg.h"
#include "policy.h"

#include <string.h>

static struct sr_policy *load(const char *text)
{
	char err[256] = "";
	struct sr_policy *p = sr_policy_create(2, "198.51.100.1", text, strlen(text), err, sizeof(err));
	if (!p)
		fail_msg("%s", err);
	return p;
}

/* The settings of aor through reader 1, scanned (no tag kept); defaults when no line matches; *hit: matched. */
static struct sr_midreg_settings lookup(struct sr_policy *p, const char *aor, bool *hit)
{
	struct sr_policy_reader rd = { p, 1 };
	struct sr_midreg_settings s;
	sr_midreg_settings_defaults(&s);
	sr_midreg_settings_fn *fn = sr_policy_mid_settings; /* the signature midreg calls */
	uint32_t tag = 0;
	const struct sr_midreg_settings *r = fn(&rd, sr_str_cstr(aor), &tag);
	*hit = r != NULL;
	if (r)
		s = *r;
	return s;
}

static const char *const RULES =
	"# settings per domain and per AoR pattern\n"
	"ua drop /friendly-scanner/\n"
	"aor mid outgoing-expires=7200,max-contacts=3 /@ims\\.example\\.com$/i\n"
	"aor mid only-request-contacts,matching-mode=rinstance /^sip:pbx-/\n"
	"aor mid aor=sip:$user@tenant.$domain,memory-only /@legacy\\.example$/i\n"
	"aor mid force-registration,path-received /^sip:pbx-9/\n";

static void matching_line_fills_settings(void **state)
{
	(void)state;
	struct sr_policy *p = load(RULES);
	bool hit;
	struct sr_midreg_settings s = lookup(p, "sip:alice@ims.example.com", &hit);
	assert_true(hit);
	assert_int_equal(s.outgoing_expires, 7200);
	assert_int_equal(s.max_contacts, 3);
	/* flags the line leaves out keep the configuration's values */
	assert_int_equal(s.force_registration, -1);
	assert_int_equal(s.matching, SR_MIDREG_MATCH_DEFAULT);
	assert_false(s.memory_only);
	assert_string_equal(s.aor, "");

	s = lookup(p, "sip:carol@LEGACY.example", &hit); /* /i: caseless */
	assert_true(hit);
	assert_true(s.memory_only);
	assert_string_equal(s.aor, "sip:$user@tenant.$domain");
	assert_int_equal(s.outgoing_expires, 0);

	s = lookup(p, "sip:alice@IMS.example.com.evil", &hit); /* anchored on the domain */
	assert_false(hit);
	assert_int_equal(s.outgoing_expires, 0);
	assert_int_equal(s.max_contacts, -1);
	sr_policy_free(p);
}

static void first_line_in_file_order_wins(void **state)
{
	(void)state;
	struct sr_policy *p = load(RULES);
	bool hit;
	/* lines 4 and 6 both match: the earlier line decides */
	struct sr_midreg_settings s = lookup(p, "sip:pbx-9@example.net", &hit);
	assert_true(hit);
	assert_true(s.only_request_contacts);
	assert_int_equal(s.matching, SR_MIDREG_MATCH_PARAM);
	assert_string_equal(s.matching_param, "rinstance");
	assert_int_equal(s.force_registration, -1);
	assert_false(s.path_received);

	/* the other way round, the later line's match ends first (hyperscan reports it first): still the first line wins */
	struct sr_policy *q = load("aor mid force-registration,path-received /^sip:pbx-9/\n"
				   "aor mid only-request-contacts /^sip:pbx-/\n");
	s = lookup(q, "sip:pbx-9@example.net", &hit);
	assert_true(hit);
	assert_int_equal(s.force_registration, 1);
	assert_true(s.path_received);
	assert_false(s.only_request_contacts);
	sr_policy_free(q);
	sr_policy_free(p);
}

static void mid_lines_are_not_verdicts(void **state)
{
	(void)state;
	struct sr_policy *p = load("aor mid memory-only /.*/\n");
	struct sr_str c = SR_STR_LIT("sip:alice@198.51.100.2");
	struct sr_policy_input in = { "ua", 2, 1, &c, SR_STR_LIT("sip:alice@example.com"), 0, NULL };
	struct sr_pol_verdict v = { SR_POL_REJECT, 0, NULL };
	sr_policy_check(p, 0, &in, &v);
	assert_int_equal(v.action, SR_POL_ALLOW);
	/* and verdict rules give no settings */
	struct sr_policy *q = load("aor 403 /alice/\naor allow /example/\n");
	bool hit;
	struct sr_midreg_settings s = lookup(q, "sip:alice@example.com", &hit);
	assert_false(hit);
	assert_int_equal(s.max_contacts, -1);
	sr_policy_free(q);
	sr_policy_free(p);
}

static void refused(const char *text, const char *want1, const char *want2)
{
	char err[256] = "";
	assert_null(sr_policy_create(1, "198.51.100.1", text, strlen(text), err, sizeof(err)));
	if (!strstr(err, want1) || (want2 && !strstr(err, want2)))
		fail_msg("for %s got '%s'", text, err);
}

static void bad_mid_lines_refused_with_line(void **state)
{
	(void)state;
	/* the flag at fault is named, with its line */
	refused("ua drop /x/\naor mid outgoing-expires=7200,no-reply /x/\n", "line 2:", "'no-reply'");
	refused("aor mid max-contacts=lots /x/\n", "line 1:", "max-contacts");
	refused("\n\naor mid aor=tel:$user /x/\n", "line 3:", "aor:");
	refused("contact mid memory-only /x/\n", "line 1:", "aor field only");
	refused("aor mid /x/\n", "line 1:", "names its flags");
	refused("aor mid memory-only extra words /x/\n", "line 1:", "reason phrase");
	refused("aor mid memory-only /x(/\n", "line 1:", NULL); /* hyperscan's refusal, by line */
	refused("aor mid memory-only /x/q\n", "line 1:", "regex flag");
}

static void reload_replaces_settings(void **state)
{
	(void)state;
	struct sr_policy *p = load("aor mid outgoing-expires=100 /@a\\.example$/\n");
	bool hit;
	assert_int_equal(lookup(p, "sip:u@a.example", &hit).outgoing_expires, 100);
	char err[256] = "";
	const char *next = "aor mid outgoing-expires=200 /@b\\.example$/\n";
	assert_int_equal(sr_policy_reload(p, next, strlen(next), 1000, err, sizeof(err)), 0);
	lookup(p, "sip:u@a.example", &hit);
	assert_false(hit);
	assert_int_equal(lookup(p, "sip:u@b.example", &hit).outgoing_expires, 200);
	assert_true(hit);
	/* a bad reload keeps the rules in force */
	const char *bad = "aor mid outgoing-expires=0 /@c\\.example$/\n";
	assert_int_equal(sr_policy_reload(p, bad, strlen(bad), 1000, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "outgoing-expires"));
	assert_int_equal(lookup(p, "sip:u@b.example", &hit).outgoing_expires, 200);
	/* a file without mid lines: no settings at all */
	assert_int_equal(sr_policy_reload(p, "ua drop /x/\n", 12, 1000, err, sizeof(err)), 0);
	lookup(p, "sip:u@b.example", &hit);
	assert_false(hit);
	sr_policy_free(p);
}

/* A tag answers without a scan while the rules stand; a reload makes it stale; a tag of no mid line is not trusted. */
static void tags_answer_until_reload(void **state)
{
	(void)state;
	struct sr_policy *p = load(RULES);
	struct sr_policy_reader rd = { p, 1 };
	uint32_t ims = 0, none = 0, t;
	const struct sr_midreg_settings *s = sr_policy_mid_settings(&rd, SR_STR_LIT("sip:alice@ims.example.com"), &ims);
	assert_non_null(s);
	assert_int_equal(s->outgoing_expires, 7200);
	assert_int_not_equal(ims, 0);
	assert_null(sr_policy_mid_settings(&rd, SR_STR_LIT("sip:bob@example.org"), &none));
	assert_int_not_equal(none, 0);
	assert_int_not_equal(none, ims);
	/* the tag is the answer: another AoR's text is not even scanned (the registrar keeps one tag per AoR) */
	t = ims;
	assert_ptr_equal(sr_policy_mid_settings(&rd, SR_STR_LIT("sip:bob@example.org"), &t), s);
	assert_int_equal(t, ims);
	t = none;
	assert_null(sr_policy_mid_settings(&rd, SR_STR_LIT("sip:alice@ims.example.com"), &t));
	assert_int_equal(t, none);
	/* a tag of this db naming the `ua drop` line (rule 0): not a mid line, scanned */
	t = (ims & 0xffff0000u) | 1;
	assert_ptr_equal(sr_policy_mid_settings(&rd, SR_STR_LIT("sip:alice@ims.example.com"), &t), s);
	assert_int_equal(t, ims);

	/* a reload: the kept tags are stale, the next lookup scans the new rules */
	char err[256] = "";
	const char *next = "aor mid outgoing-expires=900 /^sip:bob@/\n";
	assert_int_equal(sr_policy_reload(p, next, strlen(next), 1000, err, sizeof(err)), 0);
	t = ims;
	assert_null(sr_policy_mid_settings(&rd, SR_STR_LIT("sip:alice@ims.example.com"), &t));
	assert_int_not_equal(t, ims);
	t = none;
	s = sr_policy_mid_settings(&rd, SR_STR_LIT("sip:bob@example.org"), &t);
	assert_non_null(s);
	assert_int_equal(s->outgoing_expires, 900);
	assert_int_not_equal(t, none);
	/* no policy behind the reader: no rule, nothing to keep */
	struct sr_policy_reader nobody = { NULL, 0 };
	t = 7;
	assert_null(sr_policy_mid_settings(&nobody, SR_STR_LIT("sip:bob@example.org"), &t));
	assert_int_equal(t, 0);
	sr_policy_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(matching_line_fills_settings),
		cmocka_unit_test(first_line_in_file_order_wins),
		cmocka_unit_test(mid_lines_are_not_verdicts),
		cmocka_unit_test(bad_mid_lines_refused_with_line),
		cmocka_unit_test(reload_replaces_settings),
		cmocka_unit_test(tags_answer_until_reload),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
