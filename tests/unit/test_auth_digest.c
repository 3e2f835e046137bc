/*
 * test_auth_digest.c - the digest computations against the RFC worked
 * examples, the stateless nonces and the nonce-count replay cache.
 *
 * RFC 7616 3.9.1 gives one request answered with MD5 and SHA-256, RFC 2617
 * 3.5 the classic MD5 example; the expected strings are the RFCs' own.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "auth_digest.h"
#include "auth_nonce.h"
#include "auth_replay.h"

#define S(x) sr_str_cstr(x)

static int setup(void **state)
{
	*state = sr_digest_new();
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	sr_digest_free(*state);
	return 0;
}

static void rfc_response(struct sr_digest *d, enum sr_digest_alg alg, const char *user, const char *realm,
			 const char *password, const char *nonce, const char *cnonce, const char *uri,
			 const char *expect)
{
	char ha1[SR_DIGEST_HEX_MAX + 1], out[SR_DIGEST_HEX_MAX + 1];
	assert_int_equal(sr_digest_ha1(d, alg, S(user), S(realm), S(password), ha1), 0);
	struct sr_digest_input in = { S(ha1), S(nonce), S("00000001"), S(cnonce), S("auth"), S("GET"), S(uri) };
	assert_int_equal(sr_digest_response(d, alg, &in, out), 0);
	assert_string_equal(out, expect);
}

#define RFC7616_NONCE "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"
#define RFC7616_CNONCE "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"

static void rfc7616_md5(void **state)
{
	rfc_response(*state, SR_DIGEST_MD5, "Mufasa", "http-auth@example.org", "Circle of Life", RFC7616_NONCE,
		     RFC7616_CNONCE, "/dir/index.html", "8ca523f5e9506fed4657c9700eebdbec");
}

static void rfc7616_sha256(void **state)
{
	rfc_response(*state, SR_DIGEST_SHA256, "Mufasa", "http-auth@example.org", "Circle of Life",
		     RFC7616_NONCE, RFC7616_CNONCE, "/dir/index.html",
		     "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
}

static void rfc2617_md5(void **state)
{
	rfc_response(*state, SR_DIGEST_MD5, "Mufasa", "testrealm@host.com", "Circle Of Life",
		     "dcd98b7102dd2f0e8b11d0f600bfb0c093", "0a4f113b", "/dir/index.html",
		     "6629fae49393a05397450978507c4ef1");
}

static void alg_names(void **state)
{
	(void)state;
	enum sr_digest_alg a;
	assert_int_equal(sr_digest_alg_parse(S("sha-256"), &a), 0);
	assert_int_equal(a, SR_DIGEST_SHA256);
	assert_int_equal(sr_digest_alg_parse(S("MD5"), &a), 0);
	assert_int_equal(a, SR_DIGEST_MD5);
	assert_int_equal(sr_digest_alg_parse(S("MD5-sess"), &a), -1);
	assert_int_equal(sr_digest_alg_parse(S("SHA-512-256"), &a), -1);
	assert_int_equal(sr_digest_hex_len(SR_DIGEST_MD5), 32);
	assert_int_equal(sr_digest_hex_len(SR_DIGEST_SHA256), 64);
}

/* ---- nonces ---- */

#define T0 1795262940000ull
#define LIFE 30000ull

static void nonce_roundtrip_and_unique(void **state)
{
	(void)state;
	struct sr_nonce *n = sr_nonce_new("secret", 6, 3);
	assert_non_null(n);
	char a[SR_NONCE_LEN + 1], b[SR_NONCE_LEN + 1];
	assert_int_equal(sr_nonce_make(n, T0, a), 0);
	assert_int_equal(sr_nonce_make(n, T0, b), 0);
	assert_int_equal(strlen(a), SR_NONCE_LEN);
	assert_string_not_equal(a, b); /* same millisecond, different nonces */
	struct sr_nonce_info ia, ib;
	assert_int_equal(sr_nonce_check(n, S(a), T0 + 1000, LIFE, &ia), SR_NONCE_OK);
	assert_int_equal(sr_nonce_check(n, S(b), T0 + LIFE - 1, LIFE, &ib), SR_NONCE_OK); /* its last instant */
	assert_int_equal(ia.issued_ms, T0);
	assert_int_not_equal(ia.salt, ib.salt);
	assert_int_equal(ia.salt >> 48, 3); /* issuing shard */
	sr_nonce_free(n);
}

static void nonce_stale_after_lifetime(void **state)
{
	(void)state;
	struct sr_nonce *n = sr_nonce_new("secret", 6, 0);
	char a[SR_NONCE_LEN + 1];
	struct sr_nonce_info i;
	assert_int_equal(sr_nonce_make(n, T0, a), 0);
	assert_int_equal(sr_nonce_check(n, S(a), T0 + LIFE - 1, LIFE, &i), SR_NONCE_OK);
	/* stale from issued + lifetime on: the instant its replay-cache entry expires (sr_nonce_stale_at) */
	assert_int_equal(sr_nonce_check(n, S(a), T0 + LIFE, LIFE, &i), SR_NONCE_STALE);
	assert_int_equal(sr_nonce_stale_at(&i, LIFE), T0 + LIFE);
	assert_int_equal(sr_nonce_check(n, S(a), T0 + LIFE + 1, LIFE, &i), SR_NONCE_STALE);
	assert_int_equal(sr_nonce_check(n, S(a), T0 + 10 * LIFE, 0, &i), SR_NONCE_OK); /* lifetime 0: never */
	sr_nonce_free(n);
}

static void nonce_forged_refused(void **state)
{
	(void)state;
	struct sr_nonce *n = sr_nonce_new("secret", 6, 0), *other = sr_nonce_new("other", 5, 0);
	char a[SR_NONCE_LEN + 1];
	struct sr_nonce_info i;
	assert_int_equal(sr_nonce_make(n, T0, a), 0);
	assert_int_equal(sr_nonce_check(other, S(a), T0, LIFE, &i), SR_NONCE_BAD); /* another secret */
	char t[SR_NONCE_LEN + 1];
	memcpy(t, a, sizeof(t));
	t[5] = t[5] == '0' ? '1' : '0'; /* moved timestamp */
	assert_int_equal(sr_nonce_check(n, S(t), T0, LIFE, &i), SR_NONCE_BAD);
	memcpy(t, a, sizeof(t));
	t[SR_NONCE_LEN - 1] = t[SR_NONCE_LEN - 1] == 'a' ? 'b' : 'a'; /* MAC */
	assert_int_equal(sr_nonce_check(n, S(t), T0, LIFE, &i), SR_NONCE_BAD);
	t[0] = 'x';
	assert_int_equal(sr_nonce_check(n, S(t), T0, LIFE, &i), SR_NONCE_BAD);
	assert_int_equal(sr_nonce_check(n, S("abc"), T0, LIFE, &i), SR_NONCE_BAD);
	assert_int_equal(sr_nonce_check(n, S(""), T0, LIFE, &i), SR_NONCE_BAD);
	/* from the future (beyond the 5 s slack) */
	assert_int_equal(sr_nonce_make(n, T0 + 60000, a), 0);
	assert_int_equal(sr_nonce_check(n, S(a), T0, LIFE, &i), SR_NONCE_BAD);
	assert_null(sr_nonce_new("", 0, 0));
	sr_nonce_free(n);
	sr_nonce_free(other);
}

/* ---- nonce-count replay cache ---- */

static void replay_nc_must_grow(void **state)
{
	(void)state;
	struct sr_replay *r = sr_replay_new(16);
	assert_non_null(r);
	struct sr_nonce_info a = { T0, 1 }, b = { T0, 2 };
	assert_true(sr_replay_accept(r, &a, 1, T0, T0 + LIFE));
	assert_false(sr_replay_accept(r, &a, 1, T0 + 1, T0 + LIFE)); /* replay */
	assert_true(sr_replay_accept(r, &b, 1, T0 + 1, T0 + LIFE));  /* another nonce */
	assert_true(sr_replay_accept(r, &a, 3, T0 + 2, T0 + LIFE));
	assert_false(sr_replay_accept(r, &a, 2, T0 + 3, T0 + LIFE)); /* older nc */
	assert_false(sr_replay_accept(r, &a, 3, T0 + 3, T0 + LIFE));
	/* once the nonce is dead its entry is reused (the nonce check refuses it as stale first) */
	assert_true(sr_replay_accept(r, &a, 1, T0 + LIFE + 1, T0 + 2 * LIFE));
	assert_int_equal(sr_replay_live_evictions(r), 0);
	sr_replay_free(r);
}

static void replay_capacity_counts_live_evictions(void **state)
{
	(void)state;
	/* well sized: every live nonce stays protected */
	struct sr_replay *r = sr_replay_new(1024);
	for (uint64_t i = 0; i < 64; i++) {
		struct sr_nonce_info x = { T0, i };
		assert_true(sr_replay_accept(r, &x, 1, T0, T0 + LIFE));
	}
	for (uint64_t i = 0; i < 64; i++) {
		struct sr_nonce_info x = { T0, i };
		assert_false(sr_replay_accept(r, &x, 1, T0, T0 + LIFE));
	}
	assert_int_equal(sr_replay_live_evictions(r), 0);
	sr_replay_free(r);
	/* overfull: 256 live nonces in 64 entries must evict live ones, and say so */
	r = sr_replay_new(64);
	for (uint64_t i = 0; i < 256; i++) {
		struct sr_nonce_info x = { T0, i };
		assert_true(sr_replay_accept(r, &x, 1, T0, T0 + LIFE));
	}
	assert_true(sr_replay_live_evictions(r) >= 256 - 64);
	sr_replay_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(rfc7616_md5, setup, teardown),
		cmocka_unit_test_setup_teardown(rfc7616_sha256, setup, teardown),
		cmocka_unit_test_setup_teardown(rfc2617_md5, setup, teardown),
		cmocka_unit_test(alg_names),
		cmocka_unit_test(nonce_roundtrip_and_unique),
		cmocka_unit_test(nonce_stale_after_lifetime),
		cmocka_unit_test(nonce_forged_refused),
		cmocka_unit_test(replay_nc_must_grow),
		cmocka_unit_test(replay_capacity_counts_live_evictions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
