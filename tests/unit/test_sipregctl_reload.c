/*
 * test_sipregctl_reload.c - the report of `sipregctl reload`
 * (app/sipregctl/cli_reload.c) from canned answers of /sipreg/reload and
 * /sipreg/policy_reload: both reloaded, a part not configured, a refused
 * part (exit status and sipreg's reason), nothing configured, --json.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli_reload.h"

static const char AUTH_OK[] = "{\"/sipreg/reload\": {\"reload\": \"ok\", \"subscribers\": 3, "
			      "\"nonce_secret\": \"rotated\", \"secret_generation\": 2}}";
static const char AUTH_BAD[] = "{\"/sipreg/reload\": {\"error\": \"/etc/subs:4: ha1-md5 must be 32 hex digits\"}}";
static const char AUTH_OFF[] = "{\"/sipreg/reload\": {\"error\": \"authentication is not enabled (auth.enabled)\", "
			       "\"configured\": 0}}";
static const char POLICY_OK[] = "{\"/sipreg/policy_reload\": {\"reload\": \"ok\", \"rules\": 12, \"generation\": 5}}";
static const char POLICY_BAD[] = "{\"/sipreg/policy_reload\": {\"error\": \"rules:7: bad regex\"}}";
static const char POLICY_OFF[] = "{\"/sipreg/policy_reload\": {\"error\": \"no policy configured (policy.rules)\", "
				 "\"configured\": 0}}";

struct out {
	char *buf;
	size_t len;
	char err[1024];
	int rc;
};

static void run(struct out *o, const char *auth, const char *policy, bool json)
{
	FILE *f = open_memstream(&o->buf, &o->len);
	assert_non_null(f);
	o->err[0] = '\0';
	o->rc = sr_cli_format_reload(auth, policy, json, f, o->err, sizeof(o->err));
	fclose(f);
}

static void both_reloaded(void **state)
{
	(void)state;
	struct out o;
	run(&o, AUTH_OK, POLICY_OK, false);
	assert_int_equal(o.rc, 0);
	assert_string_equal(o.buf, "subscribers  reloaded: 3 subscriber(s), nonce secret rotated (generation 2)\n"
				   "policy       reloaded: 12 rule(s) (generation 5)\n");
	free(o.buf);
}

static void unconfigured_part_is_skipped(void **state)
{
	(void)state;
	struct out o;
	run(&o, AUTH_OK, POLICY_OFF, false);
	assert_int_equal(o.rc, 0);
	assert_non_null(strstr(o.buf, "policy       not configured (no policy configured (policy.rules))\n"));
	free(o.buf);
	run(&o, AUTH_OFF, POLICY_OFF, false);
	assert_int_equal(o.rc, -1);
	assert_non_null(strstr(o.err, "nothing to reload"));
	free(o.buf);
}

static void refused_part_fails_with_reason(void **state)
{
	(void)state;
	struct out o;
	run(&o, AUTH_BAD, POLICY_OK, false);
	assert_int_equal(o.rc, -1);
	assert_string_equal(o.err, "reload refused: /sipreg/reload: /etc/subs:4: ha1-md5 must be 32 hex digits");
	/* what did reload is still shown */
	assert_non_null(strstr(o.buf, "policy       reloaded: 12 rule(s)"));
	assert_non_null(strstr(o.buf, "subscribers  REFUSED: /etc/subs:4"));
	free(o.buf);
	run(&o, AUTH_BAD, POLICY_BAD, false);
	assert_int_equal(o.rc, -1);
	assert_string_equal(o.err, "reload refused: /sipreg/reload: /etc/subs:4: ha1-md5 must be 32 hex digits; "
				   "/sipreg/policy_reload: rules:7: bad regex");
	free(o.buf);
	/* no answer, a null answer (unknown command) and non-JSON are refusals too */
	run(&o, AUTH_OK, NULL, false);
	assert_int_equal(o.rc, -1);
	assert_non_null(strstr(o.err, "/sipreg/policy_reload: no answer"));
	free(o.buf);
	run(&o, "{\"/sipreg/reload\": null}", POLICY_OK, false);
	assert_int_equal(o.rc, -1);
	assert_non_null(strstr(o.err, "/sipreg/reload: sipreg refused the command"));
	free(o.buf);
	run(&o, AUTH_OK, "{oops", false);
	assert_int_equal(o.rc, -1);
	assert_non_null(strstr(o.err, "not JSON"));
	free(o.buf);
}

static void json_one_line(void **state)
{
	(void)state;
	struct out o;
	run(&o, AUTH_OK, POLICY_BAD, true);
	assert_int_equal(o.rc, -1);
	assert_string_equal(o.buf, "{\"subscribers\":{\"reload\":\"ok\",\"subscribers\":3,\"nonce_secret\":\"rotated\","
				   "\"secret_generation\":2},\"policy\":{\"error\":\"rules:7: bad regex\"}}\n");
	free(o.buf);
	run(&o, AUTH_OK, NULL, true);
	assert_non_null(strstr(o.buf, "\"policy\":{\"error\":\"no answer\"}"));
	free(o.buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(both_reloaded),
		cmocka_unit_test(unconfigured_part_is_skipped),
		cmocka_unit_test(refused_part_fails_with_reason),
		cmocka_unit_test(json_one_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
