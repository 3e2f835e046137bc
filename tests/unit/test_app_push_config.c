/*
 * test_app_push_config.c - the [push] keys of sipreg's configuration
 * (app/sipreg/config.c, checked by lib/push): the manual's defaults, an INI
 * [push] section with --set on top, refusals that name the key, and the
 * cross-key rules (providers needed, pnsreg_interval above
 * trigger_interval, purr needs enable, an http(s) gateway URL).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../../app/sipreg/config.h"

static struct sr_app_config cfg;

static int load(int argc, const char **argv)
{
	memset(&cfg, 0, sizeof(cfg));
	return sr_app_config_load(&cfg, argc, (char **)argv);
}

static void push_defaults(void **state)
{
	(void)state;
	const char *argv[] = { "sipreg", "--set", "registrar.domains=example.com", NULL };
	assert_int_equal(load(3, argv), 0);
	const struct sr_push_config *p = &cfg.push;
	assert_false(p->enable);
	assert_false(p->purr);
	assert_string_equal(p->providers, "");
	assert_string_equal(p->match_params, "pn-provider,pn-prid,pn-param");
	assert_int_equal(p->pnsreg_interval, 130);
	assert_int_equal(p->trigger_interval, 120);
	assert_int_equal(p->skip_interval, 0);
	assert_int_equal(p->refresh_timeout, 6);
	assert_int_equal(p->held, 1024);
	assert_string_equal(p->gateway.url, "");
	assert_int_equal(p->gateway.queue, 1024);
	assert_int_equal(p->gateway.parallel, 16);
	assert_int_equal(p->gateway.timeout_ms, 2000);
	assert_int_equal(p->gateway.retries, 2);
	assert_int_equal(p->gateway.backoff_ms, 250);
	assert_int_equal(p->gateway.body_max, SR_PUSH_EVENT_MAX);
}

static void push_section_and_set(void **state)
{
	(void)state;
	char path[64];
	snprintf(path, sizeof(path), "/tmp/sr-test-push-%d.ini", (int)getpid());
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("[registrar]\ndomains = example.com\n[routing]\nmode = proxy\nrecord_route = true\n"
	      "[push]\nenable = true\nproviders = apns, fcm\nmatch_params = pn-provider, pn-prid\n"
	      "pnsreg_interval = 140\ntrigger_interval = 130\nskip_interval = 5\nrefresh_timeout = 10\n"
	      "purr = on\nheld = 64\ngateway_url = http://127.0.0.1:8080/push\ngateway_queue = 100\n"
	      "gateway_parallel = 4\ngateway_timeout_ms = 500\ngateway_retries = 3\ngateway_backoff_ms = 50\n",
	      f);
	fclose(f);
	const char *argv[] = { "sipreg", "--config", path, "--set", "push.skip_interval=10", NULL };
	int rc = load(5, argv);
	unlink(path);
	assert_int_equal(rc, 0);
	const struct sr_push_config *p = &cfg.push;
	assert_true(p->enable);
	assert_true(p->purr);
	assert_string_equal(p->providers, "apns, fcm");
	assert_string_equal(p->match_params, "pn-provider, pn-prid");
	assert_int_equal(p->pnsreg_interval, 140);
	assert_int_equal(p->trigger_interval, 130);
	assert_int_equal(p->skip_interval, 10); /* --set over the file */
	assert_int_equal(p->refresh_timeout, 10);
	assert_int_equal(p->held, 64);
	assert_string_equal(p->gateway.url, "http://127.0.0.1:8080/push");
	assert_int_equal(p->gateway.queue, 100);
	assert_int_equal(p->gateway.parallel, 4);
	assert_int_equal(p->gateway.timeout_ms, 500);
	assert_int_equal(p->gateway.retries, 3);
	assert_int_equal(p->gateway.backoff_ms, 50);
	/* what the workers get from it */
	struct sr_push_rules r;
	char err[256];
	assert_null(sr_push_rules_init(&r, p, err, sizeof(err)));
	assert_int_equal(r.n_providers, 2);
	assert_int_equal(r.n_match, 2);
}

static void push_refusals_name_the_key(void **state)
{
	(void)state;
	static const char *const bad[][2] = {
		{ "refresh_timeout", "0" },  { "refresh_timeout", "301" }, { "gateway_retries", "11" },
		{ "gateway_parallel", "0" }, { "purr", "maybe" },           { "trigger_interval", "0" },
		{ "held", "0" },             { "gateway_timeout_ms", "5" }, { "enabled", "true" },
	};
	char err[512];
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (!sr_app_config_set(&cfg, "push", bad[i][0], bad[i][1], err, sizeof(err)))
			fail_msg("push.%s=%s accepted", bad[i][0], bad[i][1]);
		char key[64];
		snprintf(key, sizeof(key), "push.%s", bad[i][0]);
		if (!strstr(err, key))
			fail_msg("'%s' does not name %s", err, key);
	}
	/* rules across keys refuse the whole configuration (the message names the key: lib/push's tests) */
	static const char *const whole[][3] = {
		{ "push.enable=true", NULL, NULL },                                      /* no providers */
		{ "push.providers=apns", "push.purr=true", NULL },                       /* purr without enable */
		{ "push.enable=true", "push.providers=apns", "push.pnsreg_interval=120" }, /* not above trigger */
		{ "push.providers=apns", "push.gateway_url=ftp://h/", NULL },            /* not http(s) */
		{ "push.enable=true", "push.providers=apns", "push.purr=true" },         /* purr without record_route */
	};
	for (size_t i = 0; i < sizeof(whole) / sizeof(whole[0]); i++) {
		const char *argv[10] = { "sipreg", "--set", "registrar.domains=example.com" };
		int argc = 3;
		for (int k = 0; k < 3 && whole[i][k]; k++) {
			argv[argc++] = "--set";
			argv[argc++] = whole[i][k];
		}
		if (load(argc, argv) != -1)
			fail_msg("case %zu accepted", i);
	}
	/* and the same settings made consistent are taken */
	const char *ok[] = { "sipreg", "--set", "registrar.domains=example.com", "--set", "push.enable=true",
			     "--set", "push.providers=apns", "--set", "push.purr=true",
			     "--set", "routing.mode=proxy", "--set", "routing.record_route=true", NULL };
	assert_int_equal(load(13, ok), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(push_defaults),
		cmocka_unit_test(push_section_and_set),
		cmocka_unit_test(push_refusals_name_the_key),
	};
	return cmocka_run_group_tests_name("app_push_config", tests, NULL, NULL);
}
