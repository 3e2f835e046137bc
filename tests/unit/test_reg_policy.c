/*
 * test_reg_policy.c - operator policy through sr_reg_process with real bytes.
 *
 * The shard gets lib/policy's hook over the shipped default rules (plus AoR
 * rules in one test): a scanner User-Agent is dropped without an answer and
 * counted as SR_DROP_POLICY, a Contact at loopback or at the registrar gets
 * 403 and changes nothing, AoR allow/deny rules decide per AoR, and ordinary
 * phones register as before. Also: the verdict of a misbehaving hook (a
 * status outside 400..599: a 2xx, or a 6xx which a registrar never sends)
 * becomes a plain 403, never a bogus response.
 */
#include "reg_harness.h"

#include "policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALICE "sip:alice@example.com"

struct pol_env {
	struct th_env *e;
	struct sr_policy *p;
	struct sr_policy_reader reader;
};

static struct pol_env pe;

static int setup_rules(const char *extra_rules)
{
	const char *path = getenv("SR_POLICY_RULES");
	if (!path)
		return -1;
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	static char text[65536];
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	snprintf(text + n, sizeof(text) - n, "%s", extra_rules);
	char err[256];
	pe.p = sr_policy_create(1, "198.51.100.1", text, strlen(text), err, sizeof(err));
	if (!pe.p) {
		fprintf(stderr, "policy: %s\n", err);
		return -1;
	}
	pe.reader = (struct sr_policy_reader){ pe.p, 0 };
	struct sr_policy_hooks h = { sr_policy_hook_check, &pe.reader };
	pe.e = th_env_new_policy(NULL, NULL, &h);
	return pe.e ? 0 : -1;
}

static int setup_default(void **state)
{
	(void)state;
	return setup_rules("");
}

static int setup_aor_rules(void **state)
{
	(void)state;
	return setup_rules("aor allow /@example\\.com$/\n"
			   "aor 403 Account Suspended /^sip:mallory@/\n");
}

static int teardown(void **state)
{
	(void)state;
	th_env_free(pe.e);
	sr_policy_free(pe.p);
	memset(&pe, 0, sizeof(pe));
	return 0;
}

static uint64_t policy_drops(void)
{
	struct sr_reg_stats st;
	sr_reg_get_stats(pe.e->shard, &st);
	return st.drops[SR_DROP_POLICY];
}

static int register_with_ua(const char *ua, const char *contact)
{
	char extra[256];
	snprintf(extra, sizeof(extra), "User-Agent: %s\r\n", ua);
	struct th_req r = { .contact = contact, .extra = extra };
	return th_send(pe.e, &r);
}

static void phone_registers(void **state)
{
	(void)state;
	assert_int_equal(register_with_ua("Linphone/5.2.0", "<sip:alice@198.51.100.2:5060>"), 200);
	assert_int_equal(th_binding_count(pe.e, ALICE), 1);
	assert_int_equal(policy_drops(), 0);
}

static void scanner_dropped_and_counted(void **state)
{
	(void)state;
	assert_int_equal(register_with_ua("friendly-scanner", "<sip:100@198.51.100.2>"), 0);
	assert_int_equal(pe.e->res.len, 0);
	assert_int_equal(pe.e->res.drop, SR_DROP_POLICY);
	assert_int_equal(policy_drops(), 1);
	assert_int_equal(register_with_ua("sipvicious", NULL), 0); /* a fetch too */
	assert_int_equal(register_with_ua("VaxSIPUserAgent/3.1", "<sip:1@198.51.100.2>"), 0);
	assert_int_equal(policy_drops(), 3);
	assert_int_equal(th_binding_count(pe.e, ALICE), 0);
	assert_int_equal(pe.e->n_events, 0);
}

static void loopback_contact_refused(void **state)
{
	(void)state;
	assert_int_equal(register_with_ua("Linphone", "<sip:alice@127.0.0.1:5060;transport=udp>"), 403);
	assert_string_equal(th_reason(pe.e), "Contact Not Allowed");
	assert_int_equal(th_binding_count(pe.e, ALICE), 0);
	/* One bad contact among good ones refuses the whole request (atomic). */
	assert_int_equal(register_with_ua("Linphone", "<sip:a@198.51.100.2>, \"me\" <sip:alice@198.51.100.1>"),
			 403);
	assert_int_equal(th_binding_count(pe.e, ALICE), 0);
	assert_int_equal(pe.e->n_events, 0);
	/* A display name that looks like loopback is not the URI. */
	assert_int_equal(register_with_ua("Linphone", "\"sip:x@127.0.0.1\" <sip:alice@198.51.100.2>"), 200);
	assert_int_equal(th_binding_count(pe.e, ALICE), 1);
	assert_int_equal(policy_drops(), 0);
}

/*
 * Issue 15 item 8: every spelling that got past the regex rules, through
 * the real message view and hook: the decision is on the parsed host (and
 * maddr), not the URI text.
 */
static void every_spelling_of_a_hijack_contact_refused(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"<sip:x;y@127.0.0.1:5060>", "<sip:alice@127.1>", "<sip:alice@2130706433>",
		"<sip:alice@0x7f000001>", "<sip:alice@0177.0.0.1>", "<sip:alice@0>",
		"<sip:alice@198.51.100.001>", "<sip:alice@[::ffff:127.0.0.1]>", "<sip:alice@[0:0:0:0:0:0:0:1]:5060>",
		"<sip:alice@[::ffff:198.51.100.1]>", "<sip:alice@localhost.>", "<sip:alice@0.0.0.0.>",
		"<sip:alice@LOCALHOST:5060>", "<sip:alice@[::1%25lo]>", "<sip:alice:pw@127.0.0.1>",
		"<sips:alice@3325256705;transport=tls>", "<sip:alice@198.51.100.2;maddr=127.0.0.1>",
		"<sip:alice@198.51.100.2;lr;maddr=[::1]>", "sip:alice@127.0.0.1",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int st = register_with_ua("Linphone", bad[i]);
		if (st != 403)
			fail_msg("Contact: %s answered %d, want 403", bad[i], st);
		assert_string_equal(th_reason(pe.e), "Contact Not Allowed");
	}
	assert_int_equal(th_binding_count(pe.e, ALICE), 0);
	assert_int_equal(pe.e->n_events, 0);
	/* neighbours of those addresses are ordinary contacts */
	assert_int_equal(register_with_ua("Linphone", "<sip:alice@198.51.100.10>, <sip:alice@[2001:db8::1]>, "
						      "<sip:alice@127.example.net>, <sip:127.0.0.1@198.51.100.2>"),
			 200);
	assert_int_equal(th_binding_count(pe.e, ALICE), 4);
}

static void aor_allow_and_deny(void **state)
{
	(void)state;
	assert_int_equal(th_register(pe.e, "alice", "<sip:alice@198.51.100.2>", "c1", 1), 200);
	assert_int_equal(th_register(pe.e, "mallory", "<sip:m@198.51.100.2>", "c2", 1), 403);
	assert_string_equal(th_reason(pe.e), "Account Suspended");
	assert_int_equal(th_binding_count(pe.e, "sip:mallory@example.com"), 0);
	/* The scanner rule still drops even for an allowed AoR. */
	assert_int_equal(register_with_ua("friendly-scanner", "<sip:alice@198.51.100.2>"), 0);
	assert_int_equal(policy_drops(), 1);
}

/* An authentication hook that challenges everything and counts its calls. */
static unsigned auth_calls;
static int challenge_all(void *ctx, const struct sr_sip_msg *m, uint64_t now_ms, struct sr_auth_identity *id,
			 char *hdrs, size_t cap, size_t *hdr_len)
{
	(void)ctx, (void)m, (void)now_ms, (void)id, (void)hdrs, (void)cap, (void)hdr_len;
	auth_calls++;
	return 401;
}

/* Policy decides before authentication: a scanner gets no challenge, a hijack contact no 401. */
static void policy_runs_before_auth(void **state)
{
	(void)state;
	sr_reg_free(pe.e->shard);
	struct sr_reg_params p = { .cfg = &pe.e->cfg, .shard_id = 777, .now_ms = pe.e->now_ms,
				     .auth = { challenge_all, NULL, NULL },
				     .policy = { sr_policy_hook_check, &pe.reader } };
	const char *err = NULL;
	pe.e->shard = sr_reg_create(&p, &err);
	assert_non_null(pe.e->shard);
	auth_calls = 0;
	assert_int_equal(register_with_ua("friendly-scanner", "<sip:100@198.51.100.2>"), 0);
	assert_int_equal(policy_drops(), 1);
	assert_int_equal(register_with_ua("Linphone", "<sip:alice@127.0.0.1>"), 403);
	assert_int_equal(auth_calls, 0);
	assert_int_equal(register_with_ua("Linphone", "<sip:alice@198.51.100.2>"), 401);
	assert_int_equal(auth_calls, 1);
}

/* A hook that rejects with the status in *ctx, which a registrar may not send. */
static void bogus_hook(void *ctx, const struct sr_sip_msg *m, struct sr_str aor, struct sr_pol_verdict *v)
{
	(void)m, (void)aor;
	v->action = SR_POL_REJECT;
	v->status = *(const int *)ctx;
	v->reason = "Bogus";
}

static void bogus_verdict_becomes_403(void **state)
{
	(void)state;
	static const int statuses[] = { 200, 600, 603, 699, 399, 700 };
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		struct sr_policy_hooks h = { bogus_hook, (void *)&statuses[i] };
		struct th_env *e = th_env_new_policy(NULL, NULL, &h);
		assert_non_null(e);
		int st = th_register(e, "alice", "<sip:alice@198.51.100.2>", "c1", 1);
		if (st != 403)
			fail_msg("hook verdict %d answered %d, want 403", statuses[i], st);
		assert_string_equal(th_reason(e), "Forbidden");
		assert_int_equal(th_binding_count(e, ALICE), 0);
		th_env_free(e);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(phone_registers, setup_default, teardown),
		cmocka_unit_test_setup_teardown(scanner_dropped_and_counted, setup_default, teardown),
		cmocka_unit_test_setup_teardown(loopback_contact_refused, setup_default, teardown),
		cmocka_unit_test_setup_teardown(every_spelling_of_a_hijack_contact_refused, setup_default, teardown),
		cmocka_unit_test_setup_teardown(aor_allow_and_deny, setup_aor_rules, teardown),
		cmocka_unit_test_setup_teardown(policy_runs_before_auth, setup_default, teardown),
		cmocka_unit_test(bogus_verdict_becomes_403),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
