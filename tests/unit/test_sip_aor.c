/*
 * test_sip_aor.c - AoR canonicalisation (sip_aor.c).
 *
 * Inputs go through the message view's URI parsers (sr_sip_uri_parse) as on
 * the hot path, so the tests also pin the behaviour the module relies on
 * (an unescaped user part; malformed escapes refused before).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sip_aor.h"

#define OUT_CAP 256

static const struct sr_aor_options case_sens = { .case_sensitive = true, .realm_prefix = NULL };
static const struct sr_aor_options case_insens = { .case_sensitive = false, .realm_prefix = NULL };
static const struct sr_aor_options prefix_sip = { .case_sensitive = true, .realm_prefix = "sip." };

static char arena_buf[16384];

/* Parses s into a static view (valid until the next call). */
static struct sr_sip_uri *parse(const char *s)
{
	static struct sr_arena arena;
	static struct sr_sip_uri u;
	sr_arena_fini(&arena);
	sr_arena_init_buf(&arena, arena_buf, sizeof(arena_buf));
	assert_int_equal(sr_sip_uri_parse(sr_str_cstr(s), &arena, &u), SR_URI_OK);
	return &u;
}

struct canon {
	int rc;
	char out[OUT_CAP];
	size_t len;
	struct sr_str user, host;
};

static void canon_uri(const struct sr_sip_uri *u, const struct sr_aor_options *opt, struct canon *c)
{
	memset(c, 0, sizeof(*c));
	c->rc = sr_aor_canonicalize(u, opt, c->out, sizeof(c->out), &c->len, &c->user, &c->host);
}

static void canon_str(const char *in, const struct sr_aor_options *opt, struct canon *c)
{
	canon_uri(parse(in), opt, c);
}

static void assert_range(struct sr_str got, const char *want)
{
	assert_int_equal(got.len, strlen(want));
	assert_memory_equal(got.p, want, got.len);
}

/* Canonicalises 'in' and checks the AoR and that user/host are the matching ranges of out. */
static void expect_aor(const char *in, const struct sr_aor_options *opt, const char *want)
{
	struct canon c;
	canon_str(in, opt, &c);
	assert_int_equal(c.rc, SR_AOR_OK);
	assert_range(sr_str_make(c.out, c.len), want);
	assert_ptr_equal(c.host.p + c.host.len, c.out + c.len);
	if (c.user.len) {
		assert_true(c.user.p > c.out && c.user.p[-1] == ':');
		assert_ptr_equal(c.user.p + c.user.len + 1, c.host.p);
		assert_int_equal(c.user.p[c.user.len], '@');
	} else {
		assert_ptr_equal(c.user.p, c.host.p);
	}
}

static void expect_rc(const char *in, const struct sr_aor_options *opt, int want)
{
	struct canon c;
	canon_str(in, opt, &c);
	assert_int_equal(c.rc, want);
}

/* --- what is kept and what is dropped --- */

static void test_drops_port_password_params_headers(void **state)
{
	(void)state;
	expect_aor("sip:alice:secret@example.com:5070;transport=tcp;lr?subject=x&h=y", &case_sens,
		   "sip:alice@example.com");
	expect_aor("sip:alice@example.com:5060", &case_sens, "sip:alice@example.com");
	expect_aor("sip:alice@example.com;user=phone", &case_sens, "sip:alice@example.com");
}

static void test_user_and_host_ranges(void **state)
{
	(void)state;
	struct canon c;
	canon_str("sip:Alice@Example.COM:5060", &case_sens, &c);
	assert_int_equal(c.rc, SR_AOR_OK);
	assert_range(c.user, "Alice");
	assert_range(c.host, "example.com");
	/* The ranges are optional. */
	struct sr_sip_uri *u = parse("sip:alice@example.com");
	char out[OUT_CAP];
	size_t len = 0;
	assert_int_equal(sr_aor_canonicalize(u, &case_sens, out, sizeof(out), &len, NULL, NULL), SR_AOR_OK);
	assert_range(sr_str_make(out, len), "sip:alice@example.com");
}

static void test_host_lowercased_user_kept(void **state)
{
	(void)state;
	expect_aor("sip:Alice@ExAmPle.COM", &case_sens, "sip:Alice@example.com");
	expect_aor("sip:Alice@ExAmPle.COM", NULL, "sip:Alice@example.com"); /* NULL opt: case-sensitive */
}

static void test_scheme_lowercased(void **state)
{
	(void)state;
	expect_aor("SIP:alice@example.com", &case_sens, "sip:alice@example.com");
	expect_aor("SiPs:alice@example.com", &case_sens, "sips:alice@example.com");
	expect_aor("sips:alice@example.com", &case_sens, "sips:alice@example.com");
}

static void test_no_user(void **state)
{
	(void)state;
	expect_aor("sip:Example.com;transport=udp", &case_sens, "sip:example.com");
	expect_aor("sip:@example.com", &case_sens, "sip:example.com");
	struct canon c;
	canon_str("sip:example.com", &case_sens, &c);
	assert_int_equal(c.user.len, 0);
	/* An empty (not absent) user field counts as no user. */
	struct sr_sip_uri *u = parse("sip:alice@example.com");
	u->user = sr_str_make(u->user.p, 0);
	canon_uri(u, &case_sens, &c);
	assert_int_equal(c.rc, SR_AOR_OK);
	assert_range(sr_str_make(c.out, c.len), "sip:example.com");
}

/* --- %-escapes in the user part --- */

/* The premise of the design: the view hands out the user part already unescaped. */
static void test_view_hands_out_decoded_user(void **state)
{
	(void)state;
	assert_range(parse("sip:%61lice%40x%25@h")->user, "alice@x%");
}

static void test_escaped_unreserved_decoded(void **state)
{
	(void)state;
	expect_aor("sip:%61l%69ce@example.com", &case_sens, "sip:alice@example.com");
	expect_aor("sip:%41%7e%2D%5f%2e%21%2a%27%28%29@h", &case_sens, "sip:A~-_.!*'()@h");
	/* user-unreserved: & = + $ , ; ? / */
	expect_aor("sip:a%26b%3dc%2bd%24e%2cf%3bg%3fh%2fi@h", &case_sens, "sip:a&b=c+d$e,f;g?h/i@h");
}

static void test_reserved_kept_escaped_uppercase(void **state)
{
	(void)state;
	expect_aor("sip:a%40b@h", &case_sens, "sip:a%40b@h");
	expect_aor("sip:a%3ab@h", &case_sens, "sip:a%3Ab@h");        /* lower-case hex in */
	expect_aor("sip:a%3cb%3E%20c@h", &case_sens, "sip:a%3Cb%3E%20c@h");
	expect_aor("sip:caf%c3%a9@h", &case_sens, "sip:caf%C3%A9@h"); /* non-ASCII bytes */
	expect_aor("sip:a%25b@h", &case_sens, "sip:a%25b@h");         /* a literal '%' */
}

/* "%2541" is the three characters "%41", not "A": never decode twice. */
static void test_escape_not_decoded_twice(void **state)
{
	(void)state;
	expect_aor("sip:bob%2541@h", &case_sens, "sip:bob%2541@h");
	expect_aor("sip:bob%2561@h", &case_insens, "sip:bob%2561@h");
}

/* A hand-built URI whose user holds a raw '%' gets it escaped too. */
static void test_raw_percent_in_user_escaped(void **state)
{
	(void)state;
	struct sr_sip_uri *u = parse("sip:x@h");
	u->user = SR_STR_LIT("%4");
	struct canon c;
	canon_uri(u, &case_sens, &c);
	assert_int_equal(c.rc, SR_AOR_OK);
	assert_range(sr_str_make(c.out, c.len), "sip:%254@h");
}

/*
 * Malformed escapes never reach the AoR: libosip2 5.x would truncate the user
 * at one ("alice%G1x" parses as "alice", another AoR), so the view checks
 * the raw text first and refuses the URI (issue 15 item 10).
 */
static void test_malformed_escape_refused(void **state)
{
	(void)state;
	static const char *const bad[] = { "sip:alice%G1x@h", "sip:alice%4@h", "sip:alice%zz@example.com",
					   "sip:alice%0gx@example.com", "sip:alice%@h", "sip:a%00b@h" };
	char buf[4096];
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sr_arena arena;
		struct sr_sip_uri u;
		sr_arena_init_buf(&arena, buf, sizeof(buf));
		assert_int_equal(sr_sip_uri_parse(sr_str_cstr(bad[i]), &arena, &u), SR_URI_BAD);
		sr_arena_fini(&arena);
		char out[OUT_CAP];
		size_t len;
		assert_int_equal(sr_aor_canonicalize_text(sr_str_cstr(bad[i]), &case_sens, out, sizeof(out), &len),
				 SR_AOR_BAD_ESCAPE);
	}
	char out[OUT_CAP];
	size_t len;
	assert_int_equal(sr_aor_canonicalize_text(SR_STR_LIT("sip:%61lice@EXAMPLE.com"), &case_sens, out,
						  sizeof(out), &len), SR_AOR_OK);
	assert_range(sr_str_make(out, len), "sip:alice@example.com");
	assert_int_equal(sr_aor_canonicalize_text(SR_STR_LIT("tel:+1555"), &case_sens, out, sizeof(out), &len),
			 SR_AOR_BAD_SCHEME);
}

/* --- options --- */

static void test_case_insensitive_user(void **state)
{
	(void)state;
	expect_aor("sip:AliCe%42@Example.com", &case_insens, "sip:aliceb@example.com");
	/* Hex digits of the escapes stay upper-case. */
	expect_aor("sip:A%3cB%c3%89@h", &case_insens, "sip:a%3Cb%C3%89@h");
}

static void test_realm_prefix(void **state)
{
	(void)state;
	expect_aor("sip:alice@sip.example.com", &prefix_sip, "sip:alice@example.com");
	expect_aor("sip:alice@SIP.Example.com", &prefix_sip, "sip:alice@example.com");
	expect_aor("sip:alice@example.com", &prefix_sip, "sip:alice@example.com");
	expect_aor("sip:alice@sipexample.com", &prefix_sip, "sip:alice@sipexample.com");
	expect_aor("sip:alice@sip.", &prefix_sip, "sip:alice@sip."); /* nothing would remain */
	const struct sr_aor_options empty = { .case_sensitive = true, .realm_prefix = "" };
	expect_aor("sip:alice@sip.example.com", &empty, "sip:alice@sip.example.com");
}

/* --- hosts --- */

static void test_ipv6_host(void **state)
{
	(void)state;
	expect_aor("sip:alice@[2001:DB8::1]:5060;transport=tcp", &case_sens, "sip:alice@[2001:db8::1]");
	expect_aor("sip:[2001:DB8::A]", &case_sens, "sip:[2001:db8::a]");
	struct canon c;
	canon_str("sip:alice@[::1]", &case_sens, &c);
	assert_range(c.host, "[::1]");
}

static void test_ipv4_host(void **state)
{
	(void)state;
	expect_aor("sip:alice@192.0.2.4:5060", &prefix_sip, "sip:alice@192.0.2.4");
}

/* --- refusals --- */

static void test_non_sip_scheme_refused(void **state)
{
	(void)state;
	expect_rc("tel:+15551234567", &case_sens, SR_AOR_BAD_SCHEME);
	expect_rc("mailto:alice@example.com", &case_sens, SR_AOR_BAD_SCHEME);
	expect_rc("sipx:alice@example.com", &case_sens, SR_AOR_BAD_SCHEME);
	char out[OUT_CAP];
	size_t len = 7;
	assert_int_equal(sr_aor_canonicalize(NULL, &case_sens, out, sizeof(out), &len, NULL, NULL),
			 SR_AOR_BAD_SCHEME);
	assert_int_equal(len, 0);
}

static void test_no_host(void **state)
{
	(void)state;
	struct sr_sip_uri *u = parse("sip:alice@example.com");
	u->host = SR_STR_NULL;
	struct canon c;
	canon_uri(u, &case_sens, &c);
	assert_int_equal(c.rc, SR_AOR_NO_HOST);
}

/* Every cap below the exact length fails without writing past it; the exact length fits. */
static void check_caps(const char *in, const struct sr_aor_options *opt, const char *want)
{
	struct sr_sip_uri *u = parse(in);
	size_t need = strlen(want);
	char buf[OUT_CAP + 1];
	for (size_t cap = 0; cap <= need; cap++) {
		memset(buf, '#', sizeof(buf));
		size_t len = 99;
		int rc = sr_aor_canonicalize(u, opt, buf, cap, &len, NULL, NULL);
		assert_int_equal(buf[cap], '#');
		if (cap < need) {
			assert_int_equal(rc, SR_AOR_TOO_LONG);
			assert_int_equal(len, 0);
		} else {
			assert_int_equal(rc, SR_AOR_OK);
			assert_range(sr_str_make(buf, len), want);
		}
	}
}

static void test_too_long(void **state)
{
	(void)state;
	check_caps("sip:a%40b@Example.com", &case_sens, "sip:a%40b@example.com");
	/* An escape that does not fit must fail even though the shorter "@h" after it would. */
	check_caps("sip:a%40@h", &case_sens, "sip:a%40@h");
	check_caps("sips:[2001:db8::1]", &case_sens, "sips:[2001:db8::1]");
	check_caps("sip:alice@sip.example.com", &prefix_sip, "sip:alice@example.com");
}

/* --- sr_aor_domain --- */

static void expect_domain(const char *host, const char *prefix, const char *want)
{
	char out[OUT_CAP];
	size_t n = sr_aor_domain(sr_str_cstr(host), prefix, out, sizeof(out));
	assert_range(sr_str_make(out, n), want);
}

static void test_domain(void **state)
{
	(void)state;
	expect_domain("SIP.Example.COM", "sip.", "example.com");
	expect_domain("SIP.Example.COM", NULL, "sip.example.com");
	expect_domain("sip.", "sip.", "sip.");
	expect_domain("2001:DB8::1", NULL, "[2001:db8::1]");
	expect_domain("[2001:DB8::1]", NULL, "[2001:db8::1]");
	expect_domain("", "sip.", "");
	char out[4];
	assert_int_equal(sr_aor_domain(sr_str_cstr("ABCD"), NULL, out, sizeof(out)), 4);
	assert_memory_equal(out, "abcd", 4);
	assert_int_equal(sr_aor_domain(sr_str_cstr("ABCDE"), NULL, out, sizeof(out)), 0);
	assert_int_equal(sr_aor_domain(sr_str_cstr("::1"), NULL, out, sizeof(out)), 0); /* needs 5 */
	/* eight bytes at a time: only 'A'..'Z' change, their neighbours and bytes above 0x7f do not */
	expect_domain("@AZ[`az{@AZ[`az{\xc1\xdaX", NULL, "@az[`az{@az[`az{\xc1\xdax");
	expect_domain("HOST-0123.EXAMPLE.ORG", "", "host-0123.example.org");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_drops_port_password_params_headers),
		cmocka_unit_test(test_user_and_host_ranges),
		cmocka_unit_test(test_host_lowercased_user_kept),
		cmocka_unit_test(test_scheme_lowercased),
		cmocka_unit_test(test_no_user),
		cmocka_unit_test(test_view_hands_out_decoded_user),
		cmocka_unit_test(test_escaped_unreserved_decoded),
		cmocka_unit_test(test_reserved_kept_escaped_uppercase),
		cmocka_unit_test(test_escape_not_decoded_twice),
		cmocka_unit_test(test_raw_percent_in_user_escaped),
		cmocka_unit_test(test_malformed_escape_refused),
		cmocka_unit_test(test_case_insensitive_user),
		cmocka_unit_test(test_realm_prefix),
		cmocka_unit_test(test_ipv6_host),
		cmocka_unit_test(test_ipv4_host),
		cmocka_unit_test(test_non_sip_scheme_refused),
		cmocka_unit_test(test_no_host),
		cmocka_unit_test(test_too_long),
		cmocka_unit_test(test_domain),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
