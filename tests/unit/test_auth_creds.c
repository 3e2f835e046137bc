/*
 * test_auth_creds.c - the subscriber file (format, errors with line
 * numbers, lookup, who may register what) and the RCU-swapped store
 * (reload, a bad reload keeping the old table, a reader on another thread).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>

#include "auth_creds.h"
#include "auth_store.h"

#define S(x) sr_str_cstr(x)
#define MD5A "0123456789abcdef0123456789abcdef"
#define SHAA "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static struct sr_creds *parse(const char *text, char *err)
{
	return sr_creds_parse("subs", text, strlen(text), err, 256);
}

static void expect_error(const char *text, const char *msg)
{
	char err[256] = "";
	struct sr_creds *c = parse(text, err);
	assert_null(c);
	if (!strstr(err, msg))
		fail_msg("error '%s' does not contain '%s'", err, msg);
}

static void parse_good_file(void **state)
{
	(void)state;
	char err[256];
	struct sr_creds *c = parse("# comment\n"
				   "\n"
				   "alice example.com " MD5A " " SHAA "\r\n"
				   "  bob\tEXAMPLE.com - " SHAA " sip:bob@example.com,sip:Reception@Example.COM\n"
				   "carol example.com " MD5A " -",
				   err);
	assert_non_null(c);
	assert_int_equal(sr_creds_count(c), 3);
	const struct sr_subscriber *a = sr_creds_find(c, S("alice"), S("Example.com"));
	assert_non_null(a);
	assert_int_equal(a->line, 3);
	assert_int_equal(a->ha1[SR_DIGEST_MD5].len, 32);
	assert_int_equal(a->ha1[SR_DIGEST_SHA256].len, 64);
	const struct sr_subscriber *b = sr_creds_find(c, S("bob"), S("example.com"));
	assert_non_null(b);
	assert_int_equal(b->ha1[SR_DIGEST_MD5].len, 0);
	assert_int_equal(b->n_aors, 2);
	const struct sr_subscriber *k = sr_creds_find(c, S("carol"), S("example.com"));
	assert_non_null(k);
	assert_int_equal(k->ha1[SR_DIGEST_SHA256].len, 0);
	assert_null(sr_creds_find(c, S("Alice"), S("example.com"))); /* users are case-sensitive */
	assert_null(sr_creds_find(c, S("alice"), S("example.org")));
	assert_null(sr_creds_find(c, S("dave"), S("example.com")));
	sr_creds_free(c);
}

static void may_register(void **state)
{
	(void)state;
	char err[256];
	struct sr_creds *c = parse("alice example.com " MD5A " " SHAA "\n"
				   "bob example.com " MD5A " " SHAA " sip:bob@example.com,sip:Reception@Example.COM\n",
				   err);
	assert_non_null(c);
	const struct sr_subscriber *a = sr_creds_find(c, S("alice"), S("example.com"));
	const struct sr_subscriber *b = sr_creds_find(c, S("bob"), S("example.com"));
	assert_true(sr_creds_may_register(a, S("sip:alice@example.com")));
	assert_false(sr_creds_may_register(a, S("sip:bob@example.com")));
	assert_true(sr_creds_may_register(a, S("sip:alice@example.org"))); /* the To domain (see auth_creds.h) */
	assert_false(sr_creds_may_register(a, S("sip:alice@")));
	assert_false(sr_creds_may_register(a, S("sip:alice")));
	assert_false(sr_creds_may_register(a, S("sips:alice@example.com")));
	assert_false(sr_creds_may_register(a, S("sip:alice2@example.com")));
	assert_false(sr_creds_may_register(a, S("sip:Alice@example.com")));
	/* a list: exactly those, host without case, user with case */
	assert_true(sr_creds_may_register(b, S("sip:bob@example.com")));
	assert_true(sr_creds_may_register(b, S("sip:Reception@example.com")));
	assert_false(sr_creds_may_register(b, S("sip:reception@example.com")));
	assert_false(sr_creds_may_register(b, S("sip:alice@example.com")));
	sr_creds_free(c);
}

static void parse_errors_name_the_line(void **state)
{
	(void)state;
	expect_error("alice example.com " MD5A "\n", "subs:1: expected 'user realm");
	expect_error("# x\nalice example.com " MD5A " " SHAA " sip:a@b extra\n", "subs:2: expected");
	expect_error("\n\nalice example.com 0123 " SHAA "\n", "subs:3: ha1-md5 must be 32 hex digits");
	expect_error("alice example.com " MD5A " " MD5A "\n", "subs:1: ha1-sha256 must be 64 hex digits");
	expect_error("alice example.com " MD5A " zz" SHAA "\n", "subs:1: ha1-sha256");
	expect_error("alice example.com - -\n", "subs:1: no HA1 at all");
	expect_error("alice example.com - " SHAA " tel:+123\n", "subs:1: AoR 'tel:+123' is not a sip:");
	expect_error("alice example.com - " SHAA " sip:example.com\n", "subs:1: AoR 'sip:example.com' needs user@host");
	expect_error("alice example.com - " SHAA " sip:a@b,,sip:c@d\n", "subs:1: empty AoR");
	expect_error("alice example.com - " SHAA " sip:a@\n", "needs user@host");
	expect_error("alice example.com - " SHAA "\nbob x - " SHAA "\nalice EXAMPLE.COM " MD5A " -\n",
		     "subs:3: user 'alice' of realm 'example.com' already defined on line 1");
	char nul[] = "alice example.com - " SHAA "\nbob\0 x - " SHAA "\n";
	char err[256];
	assert_null(sr_creds_parse("subs", nul, sizeof(nul) - 1, err, sizeof(err)));
	assert_non_null(strstr(err, "subs:2: NUL byte"));
	/* empty file: valid, nobody can register */
	struct sr_creds *c = parse("# nobody yet\n", err);
	assert_non_null(c);
	assert_int_equal(sr_creds_count(c), 0);
	assert_null(sr_creds_find(c, S("alice"), S("example.com")));
	sr_creds_free(c);
	assert_null(sr_creds_load("/nonexistent/subscribers", err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/subscribers: No such file"));
}

/* The example shipped in dpdk-config/ parses, and its HA1 values are those of the passwords it names. */
static void shipped_example_parses(void **state)
{
	(void)state;
	const char *path = getenv("SR_SUBSCRIBERS_EXAMPLE");
	if (!path)
		skip();
	char err[256], ha1[SR_DIGEST_HEX_MAX + 1];
	struct sr_creds *c = sr_creds_load(path, err, sizeof(err));
	if (!c)
		fail_msg("%s", err);
	struct sr_digest *d = sr_digest_new();
	const struct sr_subscriber *a = sr_creds_find(c, S("alice"), S("example.com"));
	assert_non_null(a);
	assert_int_equal(sr_digest_ha1(d, SR_DIGEST_SHA256, S("alice"), S("example.com"), S("alice-secret"), ha1), 0);
	assert_true(sr_str_eq(a->ha1[SR_DIGEST_SHA256], S(ha1)));
	const struct sr_subscriber *b = sr_creds_find(c, S("bob"), S("example.com"));
	assert_non_null(b);
	assert_int_equal(sr_digest_ha1(d, SR_DIGEST_MD5, S("bob"), S("example.com"), S("bob-secret"), ha1), 0);
	assert_true(sr_str_eq(b->ha1[SR_DIGEST_MD5], S(ha1)));
	assert_true(sr_creds_may_register(b, S("sip:reception@example.com")));
	sr_digest_free(d);
	sr_creds_free(c);
}

/* ---- the store ---- */

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static char tmp_path[64];

static int tmp_setup(void **state)
{
	(void)state;
	snprintf(tmp_path, sizeof(tmp_path), "/tmp/sr-subs-XXXXXX");
	int fd = mkstemp(tmp_path);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int tmp_teardown(void **state)
{
	(void)state;
	unlink(tmp_path);
	return 0;
}

static void store_reload_swaps_and_keeps_old_on_error(void **state)
{
	(void)state;
	char err[256];
	size_t n = 0;
	write_file(tmp_path, "alice example.com " MD5A " -\n");
	struct sr_auth_store *st = sr_auth_store_new(tmp_path, 2, err, sizeof(err));
	assert_non_null(st);
	assert_non_null(sr_creds_find(sr_auth_store_get(st), S("alice"), S("example.com")));
	write_file(tmp_path, "bob example.com " MD5A " -\ncarol example.com " MD5A " -\n");
	assert_int_equal(sr_auth_store_reload(st, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_null(sr_creds_find(sr_auth_store_get(st), S("alice"), S("example.com")));
	assert_non_null(sr_creds_find(sr_auth_store_get(st), S("bob"), S("example.com")));
	write_file(tmp_path, "bob example.com " MD5A " -\nbroken\n");
	assert_int_equal(sr_auth_store_reload(st, &n, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ":2: expected"));
	assert_non_null(sr_creds_find(sr_auth_store_get(st), S("carol"), S("example.com"))); /* old kept */
	sr_auth_store_free(st);
	write_file(tmp_path, "x\n");
	assert_null(sr_auth_store_new(tmp_path, 2, err, sizeof(err)));
	assert_non_null(strstr(err, ":1:"));
}

/* A reader thread looks subscribers up continuously while the table is replaced under it. */
struct reader {
	struct sr_auth_store *st;
	atomic_bool stop;
	atomic_ulong lookups, misses;
	atomic_bool online;
};

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	if (sr_auth_store_reader_online(r->st, 1) != 0)
		return NULL;
	atomic_store(&r->online, true);
	while (!atomic_load(&r->stop)) {
		const struct sr_creds *c = sr_auth_store_get(r->st);
		/* every table version holds alice: a miss would mean a freed or torn table */
		const struct sr_subscriber *s = sr_creds_find(c, S("alice"), S("example.com"));
		if (!s || s->user.len != 5 || memcmp(s->user.p, "alice", 5) != 0)
			atomic_fetch_add(&r->misses, 1);
		atomic_fetch_add(&r->lookups, 1);
		sr_auth_store_quiescent(r->st, 1);
	}
	sr_auth_store_reader_offline(r->st, 1);
	return NULL;
}

static void store_reload_under_a_reader(void **state)
{
	(void)state;
	char err[256];
	size_t n;
	write_file(tmp_path, "alice example.com " MD5A " -\n");
	struct reader r = { .st = sr_auth_store_new(tmp_path, 2, err, sizeof(err)) };
	assert_non_null(r.st);
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, reader_main, &r), 0);
	for (int i = 0; i < 2000 && !atomic_load(&r.online); i++)
		usleep(1000);
	assert_true(atomic_load(&r.online));
	for (int i = 0; i < 50; i++) {
		char text[256];
		snprintf(text, sizeof(text), "u%d example.com " MD5A " -\nalice example.com " MD5A " -\n", i);
		write_file(tmp_path, text);
		assert_int_equal(sr_auth_store_reload(r.st, &n, err, sizeof(err)), 0);
		assert_int_equal(n, 2);
	}
	atomic_store(&r.stop, true);
	pthread_join(t, NULL);
	assert_true(atomic_load(&r.lookups) > 0);
	assert_int_equal(atomic_load(&r.misses), 0);
	assert_non_null(sr_creds_find(sr_auth_store_get(r.st), S("u49"), S("example.com")));
	sr_auth_store_free(r.st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_good_file),
		cmocka_unit_test(may_register),
		cmocka_unit_test(parse_errors_name_the_line),
		cmocka_unit_test(shipped_example_parses),
		cmocka_unit_test_setup_teardown(store_reload_swaps_and_keeps_old_on_error, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(store_reload_under_a_reader, tmp_setup, tmp_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
