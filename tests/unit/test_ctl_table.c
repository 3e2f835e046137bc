/*
 * test_ctl_table.c - the command table and the answers it builds
 * (lib/ctl/ctl_table.c, ctl_out.c, the command sink of ctl_stats.c):
 * - answers keep the order commands wrote them in, nest dictionaries and
 *   arrays, and close what was opened;
 * - bytes that are not UTF-8 become U+FFFD, the rest of the string stays;
 * - a failing command's answer is exactly {"error": reason}, whatever it had
 *   written, and later writes are ignored; a value without a key is a
 *   reported failure, not a silent drop;
 * - dispatch: the context reaches the command, params are "" when absent,
 *   an unknown name fails saying how to list, "/" lists names and help;
 * - the control socket's lines: a request gives {"<cmd>": answer}\n,
 *   a line that is not a request is answered {"error": ...}\n;
 * - the stats walk renders unlabelled figures as keys and labelled families
 *   as nested dictionaries.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ctl_stats.h"
#include "ctl_table.h"

/* The answer's JSON text (compact), for comparisons. */
static char *text(const struct sr_ctl_out *o)
{
	char *s = sr_ctl_out_text(o, NULL);
	assert_non_null(s);
	return s;
}

static void assert_text(const struct sr_ctl_out *o, const char *want)
{
	char *s = text(o);
	assert_string_equal(s, want);
	free(s);
}

static void test_builder_order_and_nesting(void **state)
{
	(void)state;
	struct sr_ctl_out *o = sr_ctl_out_new();
	assert_non_null(o);
	sr_ctl_out_str(o, "z", "first");
	sr_ctl_out_u64(o, "a", 18446744073709551615ull); /* clamped to what JSON integers hold here */
	sr_ctl_out_int(o, "neg", -5);
	sr_ctl_out_dict(o, "d");
	sr_ctl_out_u64(o, "x", 1);
	sr_ctl_out_array(o, "arr");
	sr_ctl_out_str(o, NULL, "s");
	sr_ctl_out_int(o, "ignored key", 2);
	sr_ctl_out_end(o);
	sr_ctl_out_end(o);
	sr_ctl_out_strf(o, "f", "%s:%u", "198.51.100.2", 5060u);
	sr_ctl_out_end(o); /* one close too many: the answer's own dictionary stays open */
	sr_ctl_out_str(o, "last", "still here");
	assert_null(sr_ctl_out_failed(o));
	assert_text(o, "{\"z\":\"first\",\"a\":9223372036854775807,\"neg\":-5,\"d\":{\"x\":1,\"arr\":[\"s\",2]},"
		       "\"f\":\"198.51.100.2:5060\",\"last\":\"still here\"}");
	sr_ctl_out_free(o);
}

static void test_builder_long_and_binary_strings(void **state)
{
	(void)state;
	struct sr_ctl_out *o = sr_ctl_out_new();
	/* a formatted string longer than any fixed buffer comes back whole */
	char big[5000];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	sr_ctl_out_strf(o, "big", "<%s>", big);
	/* not UTF-8: a lone continuation byte, a truncated sequence, an overlong form, a surrogate */
	sr_ctl_out_strn(o, "bad", "a\x80" "b\xE2\x82" "c\xC0\xAF" "d\xED\xA0\x80", 12);
	/* UTF-8 and a NUL pass unchanged (JSON escapes the NUL) */
	sr_ctl_out_strn(o, "ok", "\xC3\xA9\0z", 4);
	const json_t *a = sr_ctl_out_answer(o);
	const char *b = json_string_value(json_object_get(a, "big"));
	assert_non_null(b);
	assert_int_equal(strlen(b), sizeof(big) + 1);
	assert_string_equal(json_string_value(json_object_get(a, "bad")),
			    "a\xEF\xBF\xBD" "b\xEF\xBF\xBD\xEF\xBF\xBD" "c\xEF\xBF\xBD\xEF\xBF\xBD"
			    "d\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
	assert_int_equal(json_string_length(json_object_get(a, "ok")), 4);
	char *s = text(o);
	assert_non_null(strstr(s, "\"ok\":\"\xC3\xA9\\u0000z\""));
	free(s);
	sr_ctl_out_free(o);
}

static void test_builder_fail(void **state)
{
	(void)state;
	struct sr_ctl_out *o = sr_ctl_out_new();
	sr_ctl_out_u64(o, "partial", 1);
	sr_ctl_out_dict(o, "open");
	sr_ctl_out_fail(o, "no such AoR: %s", "sip:x@example.com");
	sr_ctl_out_u64(o, "after", 2);
	sr_ctl_out_end(o);
	sr_ctl_out_fail(o, "a second reason"); /* the first one stands */
	assert_string_equal(sr_ctl_out_failed(o), "no such AoR: sip:x@example.com");
	assert_text(o, "{\"error\":\"no such AoR: sip:x@example.com\"}");
	sr_ctl_out_free(o);

	/* a dictionary value without a key is a bug that must show */
	o = sr_ctl_out_new();
	sr_ctl_out_u64(o, NULL, 1);
	assert_non_null(sr_ctl_out_failed(o));
	assert_non_null(strstr(sr_ctl_out_failed(o), "without a key"));
	sr_ctl_out_free(o);

	/* too deep */
	o = sr_ctl_out_new();
	for (int i = 0; i < SR_CTL_OUT_MAX_DEPTH; i++)
		sr_ctl_out_array(o, "a");
	assert_non_null(sr_ctl_out_failed(o));
	sr_ctl_out_free(o);
}

struct ctx {
	int calls;
	char params[64];
};

static void cmd_echo(void *ctx, const char *params, struct sr_ctl_out *out)
{
	struct ctx *c = ctx;
	c->calls++;
	snprintf(c->params, sizeof(c->params), "%s", params);
	sr_ctl_out_str(out, "params", params);
}

static void cmd_broken(void *ctx, const char *params, struct sr_ctl_out *out)
{
	(void)ctx, (void)params;
	sr_ctl_out_u64(out, "half", 1);
	sr_ctl_out_fail(out, "it broke");
}

static const struct sr_ctl_cmd cmds[] = {
	{ "/t/echo", "Echoes its parameters. Parameters: anything", cmd_echo },
	{ "/t/broken", "Always fails. No parameters", cmd_broken },
};

static void test_dispatch(void **state)
{
	(void)state;
	struct ctx c = { 0 };
	struct sr_ctl_table t = { cmds, 2, &c };
	assert_ptr_equal(sr_ctl_table_find(&t, "/t/broken"), &cmds[1]);
	assert_null(sr_ctl_table_find(&t, "/t/nothing"));

	struct sr_ctl_out *o = sr_ctl_out_new();
	sr_ctl_table_run(&t, "/t/echo", NULL, o);
	assert_int_equal(c.calls, 1);
	assert_string_equal(c.params, "");
	assert_text(o, "{\"params\":\"\"}");
	sr_ctl_out_free(o);

	o = sr_ctl_out_new();
	sr_ctl_table_run(&t, "/t/nothing", "x", o);
	assert_int_equal(c.calls, 1);
	assert_string_equal(sr_ctl_out_failed(o), "unknown command /t/nothing (\"/\" lists the commands)");
	sr_ctl_out_free(o);

	o = sr_ctl_out_new();
	sr_ctl_table_run(&t, "/", NULL, o);
	assert_text(o, "{\"/t/echo\":\"Echoes its parameters. Parameters: anything\","
		       "\"/t/broken\":\"Always fails. No parameters\"}");
	sr_ctl_out_free(o);
}

static void assert_line(const struct sr_ctl_table *t, const char *req, const char *want)
{
	size_t len = 0;
	char *a = sr_ctl_table_serve_line(t, req, strlen(req), &len);
	assert_non_null(a);
	assert_int_equal(len, strlen(a));
	assert_string_equal(a, want);
	free(a);
}

static void test_protocol_lines(void **state)
{
	(void)state;
	struct ctx c = { 0 };
	struct sr_ctl_table t = { cmds, 2, &c };
	assert_line(&t, "{\"cmd\":\"/t/echo\",\"params\":\"sip:a,b\"}", "{\"/t/echo\":{\"params\":\"sip:a,b\"}}\n");
	assert_line(&t, "  {\"params\": null, \"cmd\": \"/t/echo\"} \r", "{\"/t/echo\":{\"params\":\"\"}}\n");
	assert_line(&t, "{\"cmd\":\"/t/broken\"}", "{\"/t/broken\":{\"error\":\"it broke\"}}\n");
	assert_line(&t, "{\"cmd\":\"/t/x\"}",
		    "{\"/t/x\":{\"error\":\"unknown command /t/x (\\\"/\\\" lists the commands)\"}}\n");

	const char *bad[] = { "/sipreg/stats", "[1,2]", "{\"cmd\":7}", "{\"cmd\":\"/t/echo\",\"params\":[1]}", "" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t len;
		char *a = sr_ctl_table_serve_line(&t, bad[i], strlen(bad[i]), &len);
		assert_non_null(a);
		json_t *j = json_loads(a, 0, NULL);
		assert_non_null(j);
		assert_int_equal(json_object_size(j), 1);
		const char *e = json_string_value(json_object_get(j, "error"));
		assert_non_null(e);
		assert_non_null(strstr(e, "not a request"));
		assert_int_equal(a[len - 1], '\n');
		json_decref(j);
		free(a);
	}
	assert_int_equal(c.calls, 2);
}

static void test_stats_sink(void **state)
{
	(void)state;
	struct sr_ctl_out *o = sr_ctl_out_new();
	struct sr_stats_out_sink s;
	sr_stats_out_sink_init(&s, o);
	sr_stats_one(&s.base, "sipreg_rx_packets_total", SR_STAT_COUNTER, "Frames.", 7);
	struct sr_stat_family f = { "sipreg_responses_total", SR_STAT_COUNTER, "By class.", "class" };
	s.base.family(&s.base, &f);
	s.base.sample(&s.base, "2xx", 5);
	s.base.sample(&s.base, "4xx", 1);
	s.base.end(&s.base);
	sr_stats_one(&s.base, "sipreg_workers", SR_STAT_GAUGE, "Workers.", 2);
	sr_stats_ratio(&s.base, "sipreg_mid_absorption_ratio", "Absorbed.", 0.5); /* a real, not thousandths */
	assert_text(o, "{\"sipreg_rx_packets_total\":7,\"sipreg_responses_total\":{\"2xx\":5,\"4xx\":1},"
		       "\"sipreg_workers\":2,\"sipreg_mid_absorption_ratio\":0.5}");
	sr_ctl_out_free(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builder_order_and_nesting),
		cmocka_unit_test(test_builder_long_and_binary_strings),
		cmocka_unit_test(test_builder_fail),
		cmocka_unit_test(test_dispatch),
		cmocka_unit_test(test_protocol_lines),
		cmocka_unit_test(test_stats_sink),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
