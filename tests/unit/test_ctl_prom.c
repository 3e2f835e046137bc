/*
 * test_ctl_prom.c - the Prometheus text writer (lib/ctl/ctl_prom.c): exact
 * exposition lines, label escaping, growth past the first buffer; the
 * stats sink that renders sipreg's figure walk as Prometheus text, and the
 * naming rules every figure must follow (lib/ctl/ctl_stats.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ctl_prom.h"
#include "ctl_stats.h"

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

/* The walk's calls come out as the same text the direct writer produces. */
static void test_stats_sink(void **state)
{
	(void)state;
	struct sr_prom p;
	sr_prom_init(&p);
	struct sr_stats_prom_sink ps;
	sr_stats_prom_sink_init(&ps, &p);
	struct sr_stats_sink *s = &ps.base;
	sr_stats_one(s, "sipreg_aors", SR_STAT_GAUGE, "AoRs.", 3);
	struct sr_stat_family f = { "sipreg_events_total", SR_STAT_COUNTER, "Binding events.", "type" };
	s->family(s, &f);
	s->sample(s, "added", 5);
	s->sample(s, "removed", 1);
	s->end(s);
	sr_stats_one(s, "sipreg_sip_requests_total", SR_STAT_COUNTER, "Requests.", 9);
	const char *want = "# HELP sipreg_aors AoRs.\n# TYPE sipreg_aors gauge\nsipreg_aors 3\n"
			   "# HELP sipreg_events_total Binding events.\n# TYPE sipreg_events_total counter\n"
			   "sipreg_events_total{type=\"added\"} 5\nsipreg_events_total{type=\"removed\"} 1\n"
			   "# HELP sipreg_sip_requests_total Requests.\n# TYPE sipreg_sip_requests_total counter\n"
			   "sipreg_sip_requests_total 9\n";
	assert_false(p.failed);
	assert_string_equal(p.buf, want);
	sr_prom_fini(&p);
}

/* A ratio gauge is a real sample, not a scaled integer; a sink without real samples leaves it out. */
static void test_stats_ratio(void **state)
{
	(void)state;
	struct sr_prom p;
	sr_prom_init(&p);
	struct sr_stats_prom_sink ps;
	sr_stats_prom_sink_init(&ps, &p);
	sr_stats_ratio(&ps.base, "sipreg_mid_absorption_ratio", "Absorbed.", 0.968);
	sr_stats_ratio(&ps.base, "sipreg_x_ratio", "None yet.", 0.0);
	assert_string_equal(p.buf, "# HELP sipreg_mid_absorption_ratio Absorbed.\n# TYPE sipreg_mid_absorption_ratio gauge\n"
				   "sipreg_mid_absorption_ratio 0.968\n"
				   "# HELP sipreg_x_ratio None yet.\n# TYPE sipreg_x_ratio gauge\nsipreg_x_ratio 0\n");
	assert_true(sr_stats_name_ok("sipreg_mid_absorption_ratio", SR_STAT_GAUGE));
	size_t len = p.len;
	ps.base.sample_real = NULL;
	sr_stats_ratio(&ps.base, "sipreg_mid_absorption_ratio", "Absorbed.", 0.5);
	assert_int_equal(p.len, len);
	sr_prom_fini(&p);
}

static void test_stats_names(void **state)
{
	(void)state;
	assert_true(sr_stats_name_ok("sipreg_responses_total", SR_STAT_COUNTER));
	assert_true(sr_stats_name_ok("sipreg_bindings", SR_STAT_GAUGE));
	assert_true(sr_stats_name_ok("sipreg_worker_busy_permille", SR_STAT_GAUGE));
	assert_false(sr_stats_name_ok("sipreg_bindings", SR_STAT_COUNTER));      /* counter without _total */
	assert_false(sr_stats_name_ok("sipreg_expired_total", SR_STAT_GAUGE));   /* gauge with _total */
	assert_false(sr_stats_name_ok("resp_2xx_total", SR_STAT_COUNTER));       /* no sipreg_ prefix */
	assert_false(sr_stats_name_ok("sipreg_", SR_STAT_GAUGE));                /* prefix only */
	assert_false(sr_stats_name_ok("sipreg_Drops_total", SR_STAT_COUNTER));   /* upper case */
	assert_false(sr_stats_name_ok("sipreg_a-b", SR_STAT_GAUGE));             /* not a Prometheus name */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_grows),
		cmocka_unit_test(test_stats_sink),
		cmocka_unit_test(test_stats_ratio),
		cmocka_unit_test(test_stats_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
