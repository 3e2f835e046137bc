/*
 * test_sipregctl_format.c - sipregctl's output (app/sipregctl/cli_format.c)
 * from canned answers of the control socket: human layouts, --json, and the errors a
 * null answer, an {"error"} value or non-JSON give.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli_format.h"

struct out {
	char *buf;
	size_t len;
	FILE *f;
};

static int run(struct out *o, const char *cmd, const char *reply, bool json, char *err, size_t cap)
{
	o->f = open_memstream(&o->buf, &o->len);
	assert_non_null(o->f);
	int rc = sr_cli_format(cmd, reply, json, o->f, err, cap);
	fclose(o->f);
	return rc;
}

static const char AOR[] =
	"{\"/sipreg/aor\": {\"aor\": \"sip:alice@example.com\", \"worker\": 1, \"bindings\": 3, "
	"\"contact\": [\"sip:a@198.51.100.2:5070\", \"sip:b@198.51.100.2\"], \"expires\": [590, 30], "
	"\"q\": [500, -1], \"call_id\": [\"c1\", \"c2\"], \"cseq\": [7, 1], "
	"\"user_agent\": [\"phone/1.0\", \"\"], \"source\": [\"198.51.100.2:5070\", \"198.51.100.2:5071\"], "
	"\"path\": [\"<sip:edge.example.com;lr>\", \"\"], \"instance\": [\"<urn:uuid:1>\", \"\"], \"reg_id\": [1, -1], "
	"\"gruu\": [1, 0], \"push\": [\"pn-provider=apns;pn-prid=t1;pn-param=p\", \"\"], \"id\": [17, 42]}}";

static void test_aor_human(void **state)
{
	(void)state;
	struct out o;
	char err[256];
	assert_int_equal(run(&o, "/sipreg/aor", AOR, false, err, sizeof(err)), 0);
	assert_non_null(strstr(o.buf, "sip:alice@example.com: 3 binding(s), worker 1\n"));
	assert_non_null(strstr(o.buf, "  [1]\n    contact         sip:a@198.51.100.2:5070\n"
				      "    expires in (s)  590\n    q (1/1000)      500\n"));
	assert_non_null(strstr(o.buf, "    received from   198.51.100.2:5071\n"));
	assert_non_null(strstr(o.buf, "    Path            <sip:edge.example.com;lr>\n    +sip.instance   <urn:uuid:1>\n"
				      "    reg-id          1\n    GRUU (1: yes)   1\n"
				      "    push (RFC 8599) pn-provider=apns;pn-prid=t1;pn-param=p\n    binding id      17\n"));
	assert_non_null(strstr(o.buf, "(1 more not shown)"));
	free(o.buf);
}

static void test_rm_human(void **state)
{
	(void)state;
	struct out o;
	char err[256];
	const char *reply = "{\"/sipreg/rm\": {\"aor\": \"sip:bob@example.com\", \"worker\": 0, \"removed\": 2, "
			    "\"bindings\": 0, \"contact\": []}}";
	assert_int_equal(run(&o, "/sipreg/rm", reply, false, err, sizeof(err)), 0);
	assert_string_equal(o.buf, "removed 2 binding(s); left:\nsip:bob@example.com: 0 binding(s), worker 0\n");
	free(o.buf);
}

static void test_json_is_compact_value(void **state)
{
	(void)state;
	struct out o;
	char err[256];
	assert_int_equal(run(&o, "/sipreg/stats", "{\"/sipreg/stats\": {\"aors\": 5, \"bindings\": 6}}", true,
			     err, sizeof(err)), 0);
	assert_string_equal(o.buf, "{\"aors\":5,\"bindings\":6}\n");
	free(o.buf);
	assert_int_equal(run(&o, "/sipreg/stats", "{\"/sipreg/stats\": {\"aors\": 5, \"bindings\": 6}}", false,
			     err, sizeof(err)), 0);
	assert_non_null(strstr(o.buf, "aors"));
	assert_non_null(strstr(o.buf, " 5\n"));
	free(o.buf);
}

/* A labelled family (nested object) prints on one line as label=value pairs. */
static void test_stats_families_on_one_line(void **state)
{
	(void)state;
	struct out o;
	char err[256];
	const char *reply = "{\"/sipreg/stats\": {\"sipreg_aors\": 5, "
			    "\"sipreg_responses_total\": {\"2xx\": 7, \"4xx\": 1}}}";
	assert_int_equal(run(&o, "/sipreg/stats", reply, false, err, sizeof(err)), 0);
	assert_string_equal(o.buf, "sipreg_aors                            5\n"
				   "sipreg_responses_total                 2xx=7 4xx=1\n");
	free(o.buf);
}

static void test_errors_name_the_cause(void **state)
{
	(void)state;
	struct out o;
	char err[256];
	assert_int_equal(run(&o, "/sipreg/aor", "{\"/sipreg/aor\": null}", false, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/sipreg/aor: sipreg refused the command"));
	free(o.buf);
	assert_int_equal(run(&o, "/sipreg/snapshot",
			     "{\"/sipreg/snapshot\": {\"error\": \"snapshot /x: already holds a data.mdb\"}}", false,
			     err, sizeof(err)), -1);
	assert_string_equal(err, "/sipreg/snapshot: snapshot /x: already holds a data.mdb");
	free(o.buf);
	assert_int_equal(run(&o, "/sipreg/stats", "not json", false, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "the answer is not JSON"));
	free(o.buf);
	assert_int_equal(run(&o, "/sipreg/snapshot", "{\"/sipreg/snapshot\": {\"snapshot\": \"/tmp/s\"}}", false,
			     err, sizeof(err)), 0);
	assert_string_equal(o.buf, "snapshot written to /tmp/s\n");
	free(o.buf);
}

static void test_dump_page(void **state)
{
	(void)state;
	struct out o;
	char err[256], next[80];
	const char *page = "{\"/sipreg/dump\": {\"next\": \"00ff\", \"aor\": [\"sip:a@example.com\", \"sip:b@example.com\"], "
			   "\"contact\": [\"sip:a@198.51.100.2\", \"sip:b@198.51.100.3\"], \"expires\": [60, 5]}}";
	o.f = open_memstream(&o.buf, &o.len);
	assert_int_equal(sr_cli_format_dump_page(page, false, o.f, next, sizeof(next), err, sizeof(err)), 2);
	fclose(o.f);
	assert_string_equal(o.buf, "sip:a@example.com sip:a@198.51.100.2 60\nsip:b@example.com sip:b@198.51.100.3 5\n");
	assert_string_equal(next, "00ff");
	free(o.buf);
	o.f = open_memstream(&o.buf, &o.len);
	assert_int_equal(sr_cli_format_dump_page(page, true, o.f, next, sizeof(next), err, sizeof(err)), 2);
	fclose(o.f);
	assert_non_null(strstr(o.buf, "{\"aor\":\"sip:a@example.com\",\"contact\":\"sip:a@198.51.100.2\",\"expires\":60}\n"));
	free(o.buf);
	o.f = open_memstream(&o.buf, &o.len);
	assert_int_equal(sr_cli_format_dump_page("{\"/sipreg/dump\": {\"error\": \"persistence is off\"}}", false, o.f,
						 next, sizeof(next), err, sizeof(err)), -1);
	assert_string_equal(err, "/sipreg/dump: persistence is off");
	assert_int_equal(sr_cli_format_dump_page("{\"/sipreg/dump\": {\"next\": \"\", \"aor\": [\"x\"], \"contact\": [], "
						 "\"expires\": []}}", false, o.f, next, sizeof(next), err, sizeof(err)), -1);
	assert_string_equal(err, "/sipreg/dump: malformed page");
	fclose(o.f);
	free(o.buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aor_human),
		cmocka_unit_test(test_rm_human),
		cmocka_unit_test(test_dump_page),
		cmocka_unit_test(test_json_is_compact_value),
		cmocka_unit_test(test_stats_families_on_one_line),
		cmocka_unit_test(test_errors_name_the_cause),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
