/*
 * test_siphash.c - SipHash-2-4 (lib/registrar/siphash.c): the test vector
 * of the SipHash paper (Appendix A: key 00..0f, message 00..0e), agreement
 * with OpenSSL's SipHash (EVP_MAC "SIPHASH", 8-byte output) on random keys
 * and messages of every length up to 100 bytes, the incremental interface
 * giving the one-shot result for every split, and derived keys that differ
 * per label and per master key.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "siphash.h"

static struct sr_siphash_key key_of(const uint8_t k[16])
{
	struct sr_siphash_key key = { 0, 0 };
	for (int i = 7; i >= 0; i--) {
		key.k0 = key.k0 << 8 | k[i];
		key.k1 = key.k1 << 8 | k[8 + i];
	}
	return key;
}

static void paper_vector(void **state)
{
	(void)state;
	uint8_t k[16], m[15];
	for (int i = 0; i < 16; i++)
		k[i] = (uint8_t)i;
	for (int i = 0; i < 15; i++)
		m[i] = (uint8_t)i;
	struct sr_siphash_key key = key_of(k);
	assert_true(key.k0 == 0x0706050403020100ull && key.k1 == 0x0f0e0d0c0b0a0908ull);
	assert_true(sr_siphash(&key, m, sizeof(m)) == 0xa129ca6149be45e5ull);
}

/* OpenSSL's SipHash-2-4 with an 8-byte output: the little-endian bytes of the 64-bit value. */
static uint64_t openssl_siphash(const uint8_t k[16], const uint8_t *m, size_t n)
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "SIPHASH", NULL);
	assert_non_null(mac);
	EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(mac);
	assert_non_null(ctx);
	size_t size = 8;
	OSSL_PARAM params[] = { OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &size), OSSL_PARAM_construct_end() };
	uint8_t out[8];
	size_t len = 0;
	assert_true(EVP_MAC_init(ctx, k, 16, params));
	assert_true(EVP_MAC_update(ctx, m, n));
	assert_true(EVP_MAC_final(ctx, out, &len, sizeof(out)));
	assert_int_equal(len, 8);
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | out[i];
	return v;
}

static void agrees_with_openssl(void **state)
{
	(void)state;
	srand(20261121);
	uint8_t k[16], m[100];
	for (int round = 0; round < 20; round++) {
		for (int i = 0; i < 16; i++)
			k[i] = (uint8_t)rand();
		for (size_t i = 0; i < sizeof(m); i++)
			m[i] = (uint8_t)rand();
		struct sr_siphash_key key = key_of(k);
		for (size_t n = 0; n <= sizeof(m); n++)
			if (sr_siphash(&key, m, n) != openssl_siphash(k, m, n))
				fail_msg("round %d, %zu bytes: differs from OpenSSL", round, n);
	}
}

static void incremental_equals_one_shot(void **state)
{
	(void)state;
	struct sr_siphash_key key = { 0x0123456789abcdefull, 0xfedcba9876543210ull };
	uint8_t m[40];
	for (size_t i = 0; i < sizeof(m); i++)
		m[i] = (uint8_t)(i * 37 + 11);
	for (size_t n = 0; n <= sizeof(m); n++) {
		uint64_t want = sr_siphash(&key, m, n);
		for (size_t a = 0; a <= n; a++)
			for (size_t b = a; b <= n; b++) {
				struct sr_siphash h;
				sr_siphash_init(&h, &key);
				sr_siphash_update(&h, m, a);
				sr_siphash_update(&h, m + a, b - a);
				sr_siphash_update(&h, m + b, n - b);
				if (sr_siphash_final(&h) != want)
					fail_msg("%zu bytes split at %zu and %zu", n, a, b);
			}
	}
	/* final() leaves the state usable: more input changes the result */
	struct sr_siphash h;
	sr_siphash_init(&h, &key);
	sr_siphash_update(&h, m, 5);
	uint64_t five = sr_siphash_final(&h);
	assert_true(five == sr_siphash_final(&h));
	sr_siphash_update(&h, m + 5, 3);
	assert_true(sr_siphash_final(&h) == sr_siphash(&key, m, 8));
}

/*
 * sr_siphash_fields hashes the bytes sr_siphash_field gives, for every
 * alignment of the fields in the stream and lengths past any buffer (the
 * To-tag of a 300-byte Call-ID), fields at odd addresses included.
 */
static void fields_in_one_pass_equal_incremental(void **state)
{
	(void)state;
	struct sr_siphash_key key = { 0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull };
	static uint8_t m[700];
	for (size_t i = 0; i < sizeof(m); i++)
		m[i] = (uint8_t)(i * 131 + 7);
	const size_t lens[] = { 0, 1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 60, 244, 245, 300 };
	const size_t n_lens = sizeof(lens) / sizeof(lens[0]);
	for (size_t a = 0; a < n_lens; a++)
		for (size_t b = 0; b < n_lens; b++)
			for (size_t t = 0; t <= 9; t++) {
				const uint8_t *f0 = m + 1, *f1 = m + 3 + lens[a], *tail = m + 650;
				struct sr_siphash h;
				sr_siphash_init(&h, &key);
				sr_siphash_field(&h, f0, lens[a]);
				sr_siphash_field(&h, f1, lens[b]);
				sr_siphash_update(&h, tail, t);
				struct sr_siphash_span f[2] = { { f0, lens[a] }, { f1, lens[b] } };
				if (sr_siphash_fields(&key, f, 2, tail, t) != sr_siphash_final(&h))
					fail_msg("fields of %zu and %zu bytes, tail %zu", lens[a], lens[b], t);
			}
	/* no field at all: the tail alone is the one-shot hash */
	assert_true(sr_siphash_fields(&key, NULL, 0, m, 40) == sr_siphash(&key, m, 40));
}

/* Length-prefixed fields: ("ab", "c") and ("a", "bc") hash differently. */
static void fields_are_unambiguous(void **state)
{
	(void)state;
	struct sr_siphash_key key = { 1, 2 };
	struct sr_siphash x, y;
	sr_siphash_init(&x, &key);
	sr_siphash_field(&x, "ab", 2);
	sr_siphash_field(&x, "c", 1);
	sr_siphash_init(&y, &key);
	sr_siphash_field(&y, "a", 1);
	sr_siphash_field(&y, "bc", 2);
	assert_true(sr_siphash_final(&x) != sr_siphash_final(&y));
}

static void derived_keys_differ(void **state)
{
	(void)state;
	struct sr_siphash_key m1 = { 42, 0 }, m2 = { 43, 0 };
	struct sr_siphash_key a = sr_siphash_derive(&m1, "to-tag"), b = sr_siphash_derive(&m1, "temp-gruu"),
			      c = sr_siphash_derive(&m2, "to-tag"), d = sr_siphash_derive(&m1, "to-tag");
	assert_true(a.k0 == d.k0 && a.k1 == d.k1);
	assert_true(a.k0 != b.k0 && a.k1 != b.k1);
	assert_true(a.k0 != c.k0 && a.k1 != c.k1);
	assert_true(a.k0 != a.k1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(paper_vector),
		cmocka_unit_test(agrees_with_openssl),
		cmocka_unit_test(incremental_equals_one_shot),
		cmocka_unit_test(fields_are_unambiguous),
		cmocka_unit_test(fields_in_one_pass_equal_incremental),
		cmocka_unit_test(derived_keys_differ),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
