/*
 * test_sipregctl_reload.c - the report of `sipregctl reload`
 * (app/sipregctl/cli_reload.c) from canned answers of /sipreg/reload (one
 * answer, one dictionary per part): both reloaded, a part not configured,
 * a refused part (exit status and sipreg's reason, the other part still
 * shown), nothing configured, a failed command, --json.
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

#define SUB_OK "\"subscribers\": {\"reload\": \"ok\", \"subscribers\": 3, \"nonce_secret\": \"rotated\", " \
	       "\"secret_generation\": 2}"
#define SUB_BAD "\"subscribers\": {\"error\": \"/etc/subs:4: ha1-md5 must be 32 hex digits\"}"
#define SUB_OFF "\"subscribers\": {\"error\": \"authentication is not enabled (auth.enabled)\", \"configured\": 0}"
#define POL_OK "\"policy\": {\"reload\": \"ok\", \"rules\": 12, \"generation\": 5}"
#define POL_BAD "\"policy\": {\"error\": \"rules:7: bad regex\"}"
#define POL_OFF "\"policy\": {\"error\": \"no policy configured (policy.rules)\", \"configured\": 0}"
#define ANSWER(verdict, error, sub, pol) \
	"{\"/sipreg/reload\": {\"reload\": \"" verdict "\", " error sub ", " pol "}}"

struct out {
	char *buf;
	size_t len;
	char err[1024];
	int rc;
};

static void run(struct out *o, const char *reply, bool json)
{
	FILE *f = open_memstream(&o->buf, &o->len);
	assert_non_null(f);
	o->err[0] = '\0';
	o->rc = sr_cli_format_reload(reply, json, f, o->err, sizeof(o->err));
	fclose(f);
}

static void both_reloaded(void **state)
{
	(void)state;
	struct out o;
	run(&o, ANSWER("ok", "", SUB_OK, POL_OK), false);
	assert_int_equal(o.rc, 0);
	assert_string_equal(o.buf, "subscribers  reloaded: 3 subscriber(s), nonce secret rotated (generation 2)\n"
				   "policy       reloaded: 12 rule(s) (generation 5)\n");
	free(o.buf);
}

static void unconfigured_part_is_skipped(void **state)
{
	(void)state;
	struct out o;
	run(&o, ANSWER("ok", "", SUB_OK, POL_OFF), false);
	assert_int_equal(o.rc, 0);
	assert_non_null(strstr(o.buf, "policy       not configured (no policy configured (policy.rules))\n"));
	free(o.buf);
	run(&o, ANSWER("nothing", "\"error\": \"nothing to reload: neither auth.enabled nor policy.rules\", ",
		       SUB_OFF, POL_OFF), false);
	assert_int_equal(o.rc, -1);
	assert_string_equal(o.err, "nothing to reload: neither auth.enabled nor policy.rules");
	free(o.buf);
}

static void refused_part_fails_with_reason(void **state)
{
	(void)state;
	struct out o;
	run(&o, ANSWER("refused", "\"error\": \"subscribers: /etc/subs:4: ha1-md5 must be 32 hex digits\", ", SUB_BAD,
		       POL_OK), false);
	assert_int_equal(o.rc, -1);
	assert_string_equal(o.err, "reload refused: subscribers: /etc/subs:4: ha1-md5 must be 32 hex digits");
	/* what did reload is still shown */
	assert_non_null(strstr(o.buf, "policy       reloaded: 12 rule(s)"));
	assert_non_null(strstr(o.buf, "subscribers  REFUSED: /etc/subs:4"));
	free(o.buf);
	/* a failed command, a null answer and non-JSON are refusals too */
	run(&o, "{\"/sipreg/reload\": {\"error\": \"sipreg is stopping\"}}", false);
	assert_int_equal(o.rc, -1);
	assert_string_equal(o.err, "reload: sipreg is stopping");
	free(o.buf);
	run(&o, "{\"/sipreg/reload\": null}", false);
	assert_int_equal(o.rc, -1);
	assert_non_null(strstr(o.err, "sipreg refused the command"));
	free(o.buf);
	run(&o, "{oops", false);
	assert_int_equal(o.rc, -1);
	assert_non_null(strstr(o.err, "not JSON"));
	free(o.buf);
	run(&o, NULL, false);
	assert_int_equal(o.rc, -1);
	assert_non_null(strstr(o.err, "no answer"));
	free(o.buf);
}

static void json_one_line(void **state)
{
	(void)state;
	struct out o;
	run(&o, ANSWER("refused", "\"error\": \"policy: rules:7: bad regex\", ", SUB_OK, POL_BAD), true);
	assert_int_equal(o.rc, -1);
	assert_string_equal(o.buf, "{\"reload\":\"refused\",\"error\":\"policy: rules:7: bad regex\",\"subscribers\":"
				   "{\"reload\":\"ok\",\"subscribers\":3,\"nonce_secret\":\"rotated\","
				   "\"secret_generation\":2},\"policy\":{\"error\":\"rules:7: bad regex\"}}\n");
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
