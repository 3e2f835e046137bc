/*
 * test_app_auth_config.c - the [auth] keys of sipreg's configuration
 * (app/sipreg/config.c): defaults, values from the command line, refusals
 * naming the key, and the cross-key rules that enabled needs a subscriber file
 * and that the nonce secret comes from the config or a readable file, not both.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

static struct sr_app_config cfg;

static int load(int argc, const char **argv)
{
	memset(&cfg, 0, sizeof(cfg));
	return sr_app_config_load(&cfg, argc, (char **)argv);
}

static void auth_defaults_off(void **state)
{
	(void)state;
	const char *argv[] = { "sipreg", "--set", "registrar.domains=example.com", NULL };
	assert_int_equal(load(3, argv), 0);
	assert_false(cfg.auth.enabled);
	assert_int_equal(cfg.auth.nonce_lifetime_s, 300);
	assert_int_equal(cfg.auth.replay_entries, 65536);
	assert_string_equal(cfg.auth.realm, "");
}

static char subs_path[64];

static int make_subscribers(void **state)
{
	(void)state;
	snprintf(subs_path, sizeof(subs_path), "/tmp/sr-test-subs-XXXXXX");
	int fd = mkstemp(subs_path);
	if (fd < 0)
		return -1;
	static const char line[] = "alice sipreg 0123456789abcdef0123456789abcdef -\n";
	ssize_t n = write(fd, line, sizeof(line) - 1);
	close(fd);
	return n == (ssize_t)sizeof(line) - 1 ? 0 : -1;
}

static int remove_subscribers(void **state)
{
	(void)state;
	unlink(subs_path);
	return 0;
}

static void auth_keys_set(void **state)
{
	(void)state;
	char subs_arg[128];
	snprintf(subs_arg, sizeof(subs_arg), "auth.subscribers=%s", subs_path);
	const char *argv[] = { "sipreg",
			       "--set", "registrar.domains=example.com,trusted.example.net",
			       "--set", "auth.enabled=true",
			       "--set", subs_arg,
			       "--set", "auth.realm=sipreg",
			       "--set", "auth.nonce_secret=s3cret",
			       "--set", "auth.nonce_lifetime=60",
			       "--set", "auth.no_auth_domains=trusted.example.net",
			       "--set", "auth.replay_entries=1024",
			       NULL };
	assert_int_equal(load(17, argv), 0);
	assert_true(cfg.auth.enabled);
	assert_string_equal(cfg.auth.subscribers, subs_path);
	assert_string_equal(cfg.auth.realm, "sipreg");
	assert_string_equal(cfg.auth.nonce_secret, "s3cret");
	assert_int_equal(cfg.auth.nonce_lifetime_s, 60);
	assert_string_equal(cfg.auth.no_auth_domains, "trusted.example.net");
	assert_int_equal(cfg.auth.replay_entries, 1024);
}

static void auth_refusals_name_the_key(void **state)
{
	(void)state;
	char err[512];
	assert_non_null(sr_app_config_set(&cfg, "auth", "enabled", "maybe", err, sizeof(err)));
	assert_non_null(strstr(err, "auth.enabled"));
	assert_non_null(sr_app_config_set(&cfg, "auth", "nonce_lifetime", "86401", err, sizeof(err)));
	assert_non_null(strstr(err, "auth.nonce_lifetime"));
	assert_non_null(sr_app_config_set(&cfg, "auth", "replay_entries", "8", err, sizeof(err)));
	assert_non_null(strstr(err, "auth.replay_entries"));
	assert_non_null(sr_app_config_set(&cfg, "auth", "password", "x", err, sizeof(err)));
	assert_non_null(strstr(err, "unknown key"));
	/* enabled without a subscriber file is refused as a whole configuration */
	const char *argv[] = { "sipreg", "--set", "registrar.domains=example.com", "--set", "auth.enabled=on", NULL };
	assert_int_equal(load(5, argv), -1);
	/* and the file must parse: --check reports a broken one */
	FILE *f = fopen(subs_path, "w");
	assert_non_null(f);
	fputs("# ok\nalice sipreg nothex -\n", f);
	fclose(f);
	char subs_arg[128];
	snprintf(subs_arg, sizeof(subs_arg), "auth.subscribers=%s", subs_path);
	const char *bad[] = { "sipreg", "--set", "registrar.domains=example.com", "--set", "auth.enabled=on",
			      "--set", subs_arg, "--check", NULL };
	assert_int_equal(load(8, bad), -1);
}

static void auth_nonce_secret_file(void **state)
{
	(void)state;
	char subs_arg[128], secret_arg[128];
	snprintf(subs_arg, sizeof(subs_arg), "auth.subscribers=%s", subs_path);
	/* the subscriber file itself holds one line: a readable non-empty file, so a fine secret too */
	snprintf(secret_arg, sizeof(secret_arg), "auth.nonce_secret_file=%s", subs_path);
	const char *ok[] = { "sipreg", "--set", "registrar.domains=example.com", "--set", "auth.enabled=on",
			     "--set", subs_arg, "--set", secret_arg, NULL };
	assert_int_equal(load(9, ok), 0);
	assert_string_equal(cfg.auth.nonce_secret_file, subs_path);
	assert_string_equal(cfg.auth.nonce_secret, "");
	const char *both[] = { "sipreg", "--set", "registrar.domains=example.com", "--set", "auth.enabled=on",
			       "--set", subs_arg, "--set", secret_arg, "--set", "auth.nonce_secret=x", NULL };
	assert_int_equal(load(11, both), -1);
	const char *missing[] = { "sipreg", "--set", "registrar.domains=example.com", "--set", "auth.enabled=on",
				  "--set", subs_arg, "--set", "auth.nonce_secret_file=/nonexistent/secret", NULL };
	assert_int_equal(load(9, missing), -1);
	char err[512];
	assert_null(sr_app_config_set(&cfg, "auth", "nonce_secret_file", "/etc/sipreg/nonce.key", err, sizeof(err)));
	assert_string_equal(cfg.auth.nonce_secret_file, "/etc/sipreg/nonce.key");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(auth_defaults_off),
		cmocka_unit_test_setup_teardown(auth_keys_set, make_subscribers, remove_subscribers),
		cmocka_unit_test_setup_teardown(auth_refusals_name_the_key, make_subscribers, remove_subscribers),
		cmocka_unit_test_setup_teardown(auth_nonce_secret_file, make_subscribers, remove_subscribers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
