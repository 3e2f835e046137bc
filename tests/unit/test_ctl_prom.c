/*
 * test_ctl_prom.c - the Prometheus text writer (lib/ctl/ctl_prom.c): exact
 * exposition lines, label escaping, growth past the first buffer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ctl_prom.h"

static void test_lines(void **state)
{
	(void)state;
	struct sr_prom p;
	sr_prom_init(&p);
	sr_prom_one(&p, "sipreg_bindings", "gauge", "Bindings in all shards.", 42);
	sr_prom_family(&p, "sipreg_responses_total", "counter", "Responses sent by status class.");
	sr_prom_sample(&p, "sipreg_responses_total", "class", "2xx", 7);
	sr_prom_sample(&p, "sipreg_responses_total", "class", "a\"b\\c\nd", UINT64_MAX);
	sr_prom_sample(&p, "sipreg_responses_total", "class", NULL, 0); /* a missing label value is empty, not a crash */
	assert_false(p.failed);
	const char *want = "# HELP sipreg_bindings Bindings in all shards.\n"
			   "# TYPE sipreg_bindings gauge\n"
			   "sipreg_bindings 42\n"
			   "# HELP sipreg_responses_total Responses sent by status class.\n"
			   "# TYPE sipreg_responses_total counter\n"
			   "sipreg_responses_total{class=\"2xx\"} 7\n"
			   "sipreg_responses_total{class=\"a\\\"b\\\\c\\nd\"} 18446744073709551615\n"
			   "sipreg_responses_total{class=\"\"} 0\n";
	assert_int_equal(p.len, strlen(want));
	assert_memory_equal(p.buf, want, p.len);
	sr_prom_fini(&p);
}

static void test_grows(void **state)
{
	(void)state;
	struct sr_prom p;
	sr_prom_init(&p);
	for (int i = 0; i < 2000; i++) {
		char v[16];
		snprintf(v, sizeof(v), "%d", i);
		sr_prom_sample(&p, "sipreg_x", "i", v, (uint64_t)i);
	}
	assert_false(p.failed);
	assert_true(p.len > 4096);
	assert_non_null(strstr(p.buf, "sipreg_x{i=\"1999\"} 1999\n"));
	assert_true(p.buf[p.len] == '\0');
	sr_prom_fini(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_grows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
