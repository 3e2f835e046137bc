/*
 * test_sipregctl_watch.c - `sipregctl watch` rendering (app/sipregctl/
 * cli_watch.c): human lines for contactsAdded / contactsRemoved / synced,
 * --json passes lines through, a cut message is an error naming its reason,
 * anything else is refused with what is wrong.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli_watch.h"

struct out {
	char *buf;
	size_t len;
	char err[256];
	int rc;
};

static void run(struct out *o, const char *line, bool json)
{
	FILE *f = open_memstream(&o->buf, &o->len);
	assert_non_null(f);
	o->err[0] = 0;
	o->rc = sr_cli_watch_line(line, json, f, o->err, sizeof(o->err));
	fclose(f);
}

static void test_human_and_json(void **state)
{
	(void)state;
	struct out o;
	const char *add = "{\"event\":\"contactsAdded\",\"aor\":\"sip:a@x\",\"contacts\":[\"sip:a@1\",\"sip:a@2\"]}";
	run(&o, add, false);
	assert_int_equal(o.rc, 0);
	assert_string_equal(o.buf, "added   sip:a@x sip:a@1 sip:a@2\n");
	free(o.buf);
	run(&o, "{\"event\":\"contactsRemoved\",\"aor\":\"sip:a@x\",\"contacts\":[\"sip:a@1\"]}", false);
	assert_string_equal(o.buf, "removed sip:a@x sip:a@1\n");
	free(o.buf);
	run(&o, "{\"event\":\"synced\"}", false);
	assert_string_equal(o.buf, "-- synced: current state above, live changes below\n");
	free(o.buf);
	run(&o, add, true);
	assert_int_equal(o.rc, 0);
	assert_int_equal(o.len, strlen(add) + 1);
	assert_memory_equal(o.buf, add, strlen(add));
	free(o.buf);
}

static void test_cut_and_bad_lines(void **state)
{
	(void)state;
	struct out o;
	run(&o, "{\"event\":\"cut\",\"reason\":\"slow\"}", true);
	assert_int_equal(o.rc, 1);
	assert_string_equal(o.err, "sipreg cut this subscriber off: slow");
	free(o.buf);
	run(&o, "not json", false);
	assert_int_equal(o.rc, -1);
	assert_non_null(strstr(o.err, "not a listener message"));
	free(o.buf);
	run(&o, "{\"event\":\"contactsAdded\",\"aor\":\"sip:a@x\"}", false);
	assert_int_equal(o.rc, -1);
	assert_non_null(strstr(o.err, "without aor or contacts"));
	free(o.buf);
	run(&o, "{\"event\":\"other\"}", false);
	assert_int_equal(o.rc, -1);
	assert_string_equal(o.err, "unknown listener event 'other'");
	free(o.buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_human_and_json),
		cmocka_unit_test(test_cut_and_bad_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
