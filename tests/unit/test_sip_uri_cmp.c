/*
 * test_sip_uri_cmp.c - URI equality by RFC 3261 19.1.4 (sip_uri_cmp.c).
 *
 * Every pair is checked in both directions (equality must be symmetric), and
 * every equal pair must have the same identity hash (sr_uri_hash_str).
 * The whole group runs twice: with no arena bound for libosip2, and with the
 * caller's parse arena bound (as inside sr_reg_process), which the
 * comparison must leave as it was.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sip_arena.h"
#include "sip_uri_cmp.h"

static bool equal_str(const char *a, const char *b)
{
	return sr_uri_equal_str(a, strlen(a), b, strlen(b));
}

static void expect_eq(const char *a, const char *b)
{
	if (!equal_str(a, b) || !equal_str(b, a))
		fail_msg("expected equal: %s == %s", a, b);
	if (sr_uri_hash_str(a, strlen(a)) != sr_uri_hash_str(b, strlen(b)))
		fail_msg("equal URIs with different identity hashes: %s, %s", a, b);
}

static void expect_ne(const char *a, const char *b)
{
	if (equal_str(a, b) || equal_str(b, a))
		fail_msg("expected different: %s != %s", a, b);
}

/* --- RFC 3261 19.1.4, the examples verbatim --- */

static void test_rfc_equal_examples(void **state)
{
	(void)state;
	expect_eq("sip:%61lice@atlanta.com;transport=TCP", "sip:alice@AtLanTa.CoM;Transport=tcp");
	expect_eq("sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5");
	expect_eq("sip:carol@chicago.com", "sip:carol@chicago.com;security=on");
	expect_eq("sip:carol@chicago.com;newparam=5", "sip:carol@chicago.com;security=on");
	expect_eq("sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
		  "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com");
	expect_eq("sip:alice@atlanta.com?subject=project%20x&priority=urgent",
		  "sip:alice@atlanta.com?priority=urgent&subject=project%20x");
}

static void test_rfc_not_equal_examples(void **state)
{
	(void)state;
	expect_ne("SIP:ALICE@AtLanTa.CoM;Transport=udp", "sip:alice@AtLanTa.CoM;Transport=UDP");
	expect_ne("sip:bob@biloxi.com", "sip:bob@biloxi.com:5060");
	expect_ne("sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp");
	expect_ne("sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp");
	expect_ne("sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting");
	expect_ne("sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4");
}

/* Equality is not transitive: both equal sip:carol@chicago.com, not each other. */
static void test_rfc_not_transitive(void **state)
{
	(void)state;
	expect_eq("sip:carol@chicago.com;security=on", "sip:carol@chicago.com");
	expect_eq("sip:carol@chicago.com;security=off", "sip:carol@chicago.com");
	expect_ne("sip:carol@chicago.com;security=on", "sip:carol@chicago.com;security=off");
}

/* --- scheme, userinfo, host, port --- */

static void test_scheme(void **state)
{
	(void)state;
	expect_ne("sip:alice@atlanta.com", "sips:alice@atlanta.com");
	expect_eq("SIPS:alice@atlanta.com", "sips:alice@atlanta.com");
	expect_eq("Sip:alice@atlanta.com", "sip:alice@atlanta.com");
}

static void test_userinfo(void **state)
{
	(void)state;
	expect_ne("sip:Alice@atlanta.com", "sip:alice@atlanta.com");
	expect_eq("sip:a%3Ab%40c@atlanta.com", "sip:a%3ab%40c@atlanta.com");
	expect_ne("sip:alice@atlanta.com", "sip:atlanta.com");
	expect_ne("sip:alice:Secret@atlanta.com", "sip:alice:secret@atlanta.com");
	expect_eq("sip:alice:pw%41@atlanta.com", "sip:alice:pwA@atlanta.com");
	expect_ne("sip:alice:pw@atlanta.com", "sip:alice@atlanta.com");
}

/* "%2541" is "%41" once unescaped, which must not be unescaped again into "A". */
static void test_no_double_unescaping(void **state)
{
	(void)state;
	expect_ne("sip:bob%2541@biloxi.com", "sip:bobA@biloxi.com");
	expect_eq("sip:bob%2541@biloxi.com", "sip:bob%25%34%31@biloxi.com");
	expect_ne("sip:bob@biloxi.com;x=%2541", "sip:bob@biloxi.com;x=a");
	expect_ne("sip:bob@biloxi.com?h=%2541", "sip:bob@biloxi.com?h=A");
}

static void test_host(void **state)
{
	(void)state;
	expect_eq("sip:bob@[2001:DB8::1]", "sip:bob@[2001:db8::1]");
	expect_ne("sip:bob@[2001:db8::1]", "sip:bob@[2001:db8::2]");
	expect_ne("sip:bob@biloxi.com", "sip:bob@biloxi.co");
}

static void test_port(void **state)
{
	(void)state;
	expect_eq("sip:bob@biloxi.com:5060", "sip:bob@biloxi.com:5060");
	expect_eq("sip:bob@biloxi.com:5060;x=1", "sip:bob@biloxi.com:05060");
	expect_ne("sip:bob@biloxi.com:5060", "sip:bob@biloxi.com:5061");
	expect_ne("sips:bob@biloxi.com", "sips:bob@biloxi.com:5061");
}

/* --- parameters --- */

/* user, ttl, method, maddr, transport: present in one only makes them differ. */
static void test_strict_params(void **state)
{
	(void)state;
	static const char *const strict[] = {
		"user=phone", "ttl=15", "method=INVITE", "maddr=239.255.255.1", "transport=tcp",
	};
	char with[128];
	for (size_t i = 0; i < sizeof(strict) / sizeof(strict[0]); i++) {
		snprintf(with, sizeof(with), "sip:bob@biloxi.com;%s", strict[i]);
		expect_ne("sip:bob@biloxi.com", with);
		expect_ne("sip:bob@biloxi.com;newparam=1", with);
		expect_eq(with, with);
	}
	expect_eq("sip:bob@biloxi.com;maddr=239.255.255.1;ttl=15", "sip:bob@biloxi.com;TTL=15;MADDR=239.255.255.1");
	expect_ne("sip:bob@biloxi.com;maddr=239.255.255.1", "sip:bob@biloxi.com;maddr=239.255.255.2");
	expect_ne("sip:bob@biloxi.com;ttl=15", "sip:bob@biloxi.com;ttl=16");
	expect_ne("sip:+1555@biloxi.com;user=phone", "sip:+1555@biloxi.com;user=ip");
	expect_eq("sip:bob@biloxi.com;method=register", "sip:bob@biloxi.com;method=REGISTER");
	expect_eq("sip:bob@biloxi.com;%74ransport=%54CP", "sip:bob@biloxi.com;transport=tcp");
}

static void test_other_params(void **state)
{
	(void)state;
	expect_eq("sip:bob@biloxi.com;foo=Bar", "sip:bob@biloxi.com;FOO=bar");
	expect_eq("sip:bob@biloxi.com;foo=%41", "sip:bob@biloxi.com;foo=a");
	expect_ne("sip:bob@biloxi.com;foo=1;lr", "sip:bob@biloxi.com;lr;foo=2");
	expect_eq("sip:bob@biloxi.com;lr", "sip:bob@biloxi.com;lr;ob");
	/* A repeated name: its first occurrence counts, on both sides. */
	expect_eq("sip:bob@biloxi.com;x=1;x=2", "sip:bob@biloxi.com;x=1");
	expect_ne("sip:bob@biloxi.com;x=2;x=1", "sip:bob@biloxi.com;x=1");
}

/* --- header components --- */

static void test_headers(void **state)
{
	(void)state;
	expect_eq("sip:bob@biloxi.com?Subject=hi", "sip:bob@biloxi.com?subject=hi");
	expect_ne("sip:bob@biloxi.com?subject=Hi", "sip:bob@biloxi.com?subject=hi");
	expect_eq("sip:bob@biloxi.com?subject=%68i", "sip:bob@biloxi.com?subject=hi");
	expect_ne("sip:bob@biloxi.com?a=1", "sip:bob@biloxi.com?a=1&b=2");
	expect_eq("sip:bob@biloxi.com?a=1&b=2&a=3", "sip:bob@biloxi.com?a=3&b=2&a=1");
	expect_ne("sip:bob@biloxi.com?a=1&a=1", "sip:bob@biloxi.com?a=1&a=2");
}

/* --- other schemes: case-insensitive scheme, byte-equal rest --- */

static void test_other_schemes(void **state)
{
	(void)state;
	expect_eq("TEL:+15551234567", "tel:+15551234567");
	expect_ne("tel:+15551234567", "tel:+15551234568");
	expect_ne("tel:+15551234567", "sip:+15551234567@biloxi.com");
	expect_ne("urn:service:sos", "urn:service:SOS");
}

/* --- sr_uri_equal on hand-built URIs --- */

/* The hash is not constant: what 19.1.4 compares changes it. */
static void test_hash_discriminates(void **state)
{
	(void)state;
	static const char *const distinct[] = {
		"sip:alice@atlanta.com", "sips:alice@atlanta.com", "sip:Alice@atlanta.com",
		"sip:alice:pw@atlanta.com", "sip:alice@atlanta.org", "sip:alice@atlanta.com:5060",
		"sip:alice@atlanta.com:5061", "sip:alice@atlanta.com;transport=tcp",
		"sip:alice@atlanta.com;transport=udp", "sip:alice@atlanta.com;maddr=10.0.0.1",
		"sip:alice@atlanta.com;user=phone", "sip:alice@atlanta.com;ttl=1", "sip:alice@atlanta.com;method=INVITE",
		"sip:alice@atlanta.com?subject=x", "sip:alice@atlanta.com?subject=X", "tel:+15551234",
		"tel:+15551235", "sip:atlanta.com",
	};
	size_t n = sizeof(distinct) / sizeof(distinct[0]);
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (sr_uri_hash_str(distinct[i], strlen(distinct[i])) ==
			    sr_uri_hash_str(distinct[j], strlen(distinct[j])))
				fail_msg("same hash: %s, %s", distinct[i], distinct[j]);
}

/*
 * Random URIs built from pieces that 19.1.4 treats specially: every pair
 * that compares equal has the same hash (the other direction is not
 * required: ;a=1 and ;a=2 differ but hash alike).
 */
static void test_hash_agrees_with_equality(void **state)
{
	(void)state;
	static const char *const users[] = { "", "alice@", "%61lice@", "Alice@", "alice:pw@" };
	static const char *const hosts[] = { "h.example.com", "H.Example.COM", "10.0.0.1" };
	static const char *const ports[] = { "", ":5060", ":05060", ":5061" };
	static const char *const params[] = { "", ";ob", ";transport=udp", ";transport=UDP", ";lr",
					      ";x=1", ";x=2", ";maddr=10.0.0.2", ";Transport=udp;ob" };
	static const char *const headers[] = { "", "?a=1", "?A=1", "?a=1&b=2", "?b=2&a=1" };
	char u[64][128];
	uint64_t seed = 12345;
	for (int i = 0; i < 64; i++) {
		uint64_t r[6];
		for (int k = 0; k < 6; k++) {
			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			r[k] = seed >> 33;
		}
		snprintf(u[i], sizeof(u[i]), "%s:%s%s%s%s%s", r[0] % 5 ? "sip" : "SIP", users[r[1] % 5],
			 hosts[r[2] % 3], ports[r[3] % 4], params[r[4] % 9], headers[r[5] % 5]);
	}
	unsigned equal_pairs = 0;
	for (int i = 0; i < 64; i++)
		for (int j = 0; j < 64; j++) {
			if (!equal_str(u[i], u[j]))
				continue;
			equal_pairs++;
			if (sr_uri_hash_str(u[i], strlen(u[i])) != sr_uri_hash_str(u[j], strlen(u[j])))
				fail_msg("equal, hashes differ: %s, %s", u[i], u[j]);
		}
	assert_true(equal_pairs > 64); /* more than the diagonal: the check had work to do */
}

static void test_null_safety(void **state)
{
	(void)state;
	char buf[4096];
	struct sr_arena arena;
	sr_arena_init_buf(&arena, buf, sizeof(buf));
	struct sr_sip_uri a, b;
	assert_int_equal(sr_sip_uri_parse(SR_STR_LIT("sip:biloxi.com;lr"), &arena, &a), SR_URI_OK);
	assert_int_equal(sr_sip_uri_parse(SR_STR_LIT("sip:biloxi.com;lr"), &arena, &b), SR_URI_OK);
	assert_true(sr_uri_equal(&a, &b));
	assert_false(sr_uri_equal(&a, NULL));
	assert_false(sr_uri_equal(NULL, &b));
	assert_false(sr_uri_equal(NULL, NULL));
	/* An absent field equals an empty one. */
	b.user = sr_str_make("", 0);
	assert_true(sr_uri_equal(&a, &b));
	/* No scheme at all: never equal. */
	a.scheme_text = SR_STR_NULL;
	assert_false(sr_uri_equal(&a, &b));
	assert_false(sr_uri_equal(&b, &a));
	sr_arena_fini(&arena);
}

/* --- sr_uri_equal_str: lengths, parse failures, the fast path, big strings --- */

static void test_str_lengths_and_failures(void **state)
{
	(void)state;
	/* Only len bytes count; the inputs need not be NUL-terminated. */
	const char *buf = "sip:bob@biloxi.com;transport=tcpXYZ";
	assert_true(sr_uri_equal_str(buf, 32, "sip:bob@biloxi.com;TRANSPORT=TCP", 32));
	assert_false(sr_uri_equal_str(buf, 18, buf, 32));
	/* Unparsable or empty input, or an embedded NUL, is never equal to anything. */
	assert_false(sr_uri_equal_str("sip:bob@", 8, "sip:bob@biloxi.com", 18));
	assert_false(sr_uri_equal_str("sip:bob@biloxi.com", 18, "sip:bob@", 8));
	assert_false(sr_uri_equal_str("", 0, "", 0));
	assert_false(sr_uri_equal_str(NULL, 0, "sip:b", 5));
	assert_false(sr_uri_equal_str("sip:bob@biloxi.com\0x", 20, "sip:bob@biloxi.com", 18));
}

/* Byte-identical strings are equal without parsing, even if libosip2 would refuse them. */
static void test_str_identical_fast_path(void **state)
{
	(void)state;
	assert_true(sr_uri_equal_str("sip:bob@", 8, "sip:bob@", 8));
	assert_false(sr_uri_equal_str("sip:bob@", 8, "sip:bob@ ", 9));
}

/* Strings beyond the stack arena spill into a block that is freed (LeakSanitizer checks). */
static void test_str_large(void **state)
{
	(void)state;
	enum { VAL = 3000 };
	size_t cap = VAL + 128;
	char *a = malloc(cap), *b = malloc(cap), *val = malloc(VAL + 1);
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(val);
	memset(val, 'v', VAL);
	val[VAL] = '\0';
	snprintf(a, cap, "sip:bob@biloxi.com;lr;big=%s?h=1", val);
	snprintf(b, cap, "sip:bob@BILOXI.com;big=%s;lr?h=1", val);
	expect_eq(a, b);
	b[strlen(b) - 10] = 'w';
	expect_ne(a, b);
	free(a);
	free(b);
	free(val);
}

/* In the arena group: the comparison parses into its own memory and leaves the caller's binding alone. */
static void test_str_leaves_bound_arena(void **state)
{
	struct sr_arena *arena = *state;
	size_t before = arena->used;
	/* the second URI needs libosip2 (an escape), which allocates */
	assert_true(equal_str("sip:bob@biloxi.com;lr", "sip:b%6Fb@BILOXI.COM;lr"));
	assert_int_equal(arena->used, before);
	assert_ptr_equal(sr_arena_bind_osip(arena), arena);
}

/* Each test starts from an empty arena, as each message does on a worker. */
static int reset_arena(void **state)
{
	sr_arena_reset(*state);
	return 0;
}

static int bind_arena(void **state)
{
	static struct sr_arena arena;
	if (sr_arena_init(&arena, 256 * 1024) != 0)
		return -1;
	sr_arena_bind_osip(&arena);
	*state = &arena;
	return 0;
}

static int unbind_arena(void **state)
{
	sr_arena_bind_osip(NULL);
	sr_arena_fini(*state);
	return 0;
}

/* The same list for both groups; 'setup' runs before each test (NULL: none). */
#define URI_CMP_TESTS(setup)                                            \
	cmocka_unit_test_setup(test_rfc_equal_examples, setup),         \
	cmocka_unit_test_setup(test_rfc_not_equal_examples, setup),     \
	cmocka_unit_test_setup(test_rfc_not_transitive, setup),         \
	cmocka_unit_test_setup(test_scheme, setup),                     \
	cmocka_unit_test_setup(test_userinfo, setup),                   \
	cmocka_unit_test_setup(test_no_double_unescaping, setup),       \
	cmocka_unit_test_setup(test_host, setup),                       \
	cmocka_unit_test_setup(test_port, setup),                       \
	cmocka_unit_test_setup(test_strict_params, setup),              \
	cmocka_unit_test_setup(test_other_params, setup),               \
	cmocka_unit_test_setup(test_headers, setup),                    \
	cmocka_unit_test_setup(test_other_schemes, setup),              \
	cmocka_unit_test_setup(test_null_safety, setup),                \
	cmocka_unit_test_setup(test_str_lengths_and_failures, setup),   \
	cmocka_unit_test_setup(test_str_identical_fast_path, setup),    \
	cmocka_unit_test_setup(test_str_large, setup),                  \
	cmocka_unit_test_setup(test_hash_discriminates, setup),         \
	cmocka_unit_test_setup(test_hash_agrees_with_equality, setup)

int main(void)
{
	const struct CMUnitTest with_malloc[] = { URI_CMP_TESTS(NULL) };
	const struct CMUnitTest with_arena[] = {
		URI_CMP_TESTS(reset_arena),
		cmocka_unit_test_setup(test_str_leaves_bound_arena, reset_arena),
	};
	int failed = cmocka_run_group_tests_name("uri_cmp_malloc", with_malloc, NULL, NULL);
	failed += cmocka_run_group_tests_name("uri_cmp_arena", with_arena, bind_arena, unbind_arena);
	return failed;
}
