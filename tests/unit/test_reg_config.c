/*
 * test_reg_config.c - registrar configuration defaults, served domains and
 * the consistency check.
 *
 * Every rule of sr_reg_config_check() is triggered from a valid
 * configuration by changing one key, and the message must name that key.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "location.h"
#include "reg_config.h"

static void valid_config(struct sr_reg_config *c)
{
	sr_reg_config_defaults(c);
	assert_int_equal(sr_reg_config_add_domain(c, "example.com"), 0);
	assert_null(sr_reg_config_check(c));
}

static void test_defaults(void **state)
{
	(void)state;
	struct sr_reg_config c;

	memset(&c, 0xff, sizeof(c));
	sr_reg_config_defaults(&c);
	assert_int_equal(c.n_domains, 0);
	assert_int_equal(c.not_served_code, 404);
	assert_int_equal(c.min_expires, 60);
	assert_int_equal(c.max_expires, 3600);
	assert_int_equal(c.default_expires, 3600);
	assert_int_equal(c.expires_max_deviation, 0);
	assert_int_equal(c.default_q, -1);
	assert_int_equal(c.max_contacts, 16);
	assert_int_equal(c.max_path_len, 1024);
	assert_int_equal(c.max_contacts_mode, SR_MAXC_REJECT);
	assert_int_equal(c.retry_after, 30);
	assert_int_equal(c.max_username_len, 64);
	assert_int_equal(c.max_domain_len, 128);
	assert_int_equal(c.max_aor_len, 256);
	assert_int_equal(c.max_contact_len, 512);
	assert_true(c.case_sensitive);
	assert_string_equal(c.realm_prefix, "");
	assert_int_equal(c.path_mode, SR_PATH_LAZY);
	assert_true(c.outbound);
	assert_true(c.gruu);
	assert_int_equal(c.max_aors, 1u << 20);
	assert_int_equal(c.memory_limit, 0);
	assert_int_equal(c.secret, 0);
}

static void test_defaults_need_a_domain(void **state)
{
	(void)state;
	struct sr_reg_config c;

	sr_reg_config_defaults(&c);
	assert_string_equal(sr_reg_config_check(&c),
			    "registrar.domains: at least one served domain is required");
	assert_int_equal(sr_reg_config_add_domain(&c, "example.com"), 0);
	assert_null(sr_reg_config_check(&c));
}

static void test_add_domain(void **state)
{
	(void)state;
	struct sr_reg_config c;
	char name[300];

	sr_reg_config_defaults(&c);
	assert_int_equal(sr_reg_config_add_domain(&c, "Example.COM"), 0);
	assert_int_equal(c.n_domains, 1);
	assert_string_equal(c.domains[0], "example.com");
	/* The same domain again (any case) keeps one copy. */
	assert_int_equal(sr_reg_config_add_domain(&c, "EXAMPLE.com"), 0);
	assert_int_equal(c.n_domains, 1);

	assert_int_equal(sr_reg_config_add_domain(&c, ""), -1);
	assert_int_equal(sr_reg_config_add_domain(&c, NULL), -1);
	memset(name, 'a', 255);
	name[255] = '\0';
	assert_int_equal(sr_reg_config_add_domain(&c, name), 0); /* 255 chars fit */
	name[255] = 'a';
	name[256] = '\0';
	assert_int_equal(sr_reg_config_add_domain(&c, name), -1);
	assert_int_equal(c.n_domains, 2);
}

static void test_add_domain_full(void **state)
{
	(void)state;
	struct sr_reg_config c;
	char name[32];

	sr_reg_config_defaults(&c);
	for (unsigned i = 0; i < SR_REG_MAX_DOMAINS; i++) {
		snprintf(name, sizeof(name), "d%u.example.com", i);
		assert_int_equal(sr_reg_config_add_domain(&c, name), 0);
	}
	assert_int_equal(c.n_domains, SR_REG_MAX_DOMAINS);
	assert_int_equal(sr_reg_config_add_domain(&c, "one-too-many.example.com"), -1);
	/* A duplicate is still accepted: nothing needs to be stored. */
	assert_int_equal(sr_reg_config_add_domain(&c, "d0.example.com"), 0);
	assert_int_equal(c.n_domains, SR_REG_MAX_DOMAINS);
	assert_null(sr_reg_config_check(&c));
}

static void test_add_domain_realm_prefix(void **state)
{
	(void)state;
	struct sr_reg_config c;

	sr_reg_config_defaults(&c);
	strcpy(c.realm_prefix, "sip.");
	assert_int_equal(sr_reg_config_add_domain(&c, "SIP.Example.com"), 0);
	assert_string_equal(c.domains[0], "example.com");
	/* Nothing would be left: the name is kept whole. */
	assert_int_equal(sr_reg_config_add_domain(&c, "sip."), 0);
	assert_string_equal(c.domains[1], "sip.");
	assert_int_equal(sr_reg_config_add_domain(&c, "other.org"), 0);
	assert_string_equal(c.domains[2], "other.org");
}

/*
 * sr_reg_config_serves: the canonical host (lower case, prefix stripped)
 * equal to a served domain, byte for byte and whole; a host not lower-cased
 * is not canonical and is not served (its callers canonicalize first, which
 * spares a case-blind compare per domain), and the longest name (255) is
 * matched on its full length.
 */
static void test_serves(void **state)
{
	(void)state;
	struct sr_reg_config c;
	char name[256];

	sr_reg_config_defaults(&c);
	strcpy(c.realm_prefix, "sip.");
	assert_int_equal(sr_reg_config_add_domain(&c, "Example.COM"), 0);
	assert_int_equal(sr_reg_config_add_domain(&c, "sip.Other.org"), 0);
	memset(name, 'a', 255);
	name[255] = '\0';
	assert_int_equal(sr_reg_config_add_domain(&c, name), 0);

	assert_true(sr_reg_config_serves(&c, SR_STR_LIT("example.com")));
	assert_true(sr_reg_config_serves(&c, SR_STR_LIT("other.org")));
	assert_true(sr_reg_config_serves(&c, sr_str_make(name, 255)));
	assert_false(sr_reg_config_serves(&c, sr_str_make(name, 254)));
	assert_false(sr_reg_config_serves(&c, SR_STR_LIT("example.co")));
	assert_false(sr_reg_config_serves(&c, SR_STR_LIT("example.com.evil")));
	assert_false(sr_reg_config_serves(&c, SR_STR_LIT("xample.com")));
	assert_false(sr_reg_config_serves(&c, SR_STR_LIT("sip.other.org"))); /* not canonical: the prefix stays */
	assert_false(sr_reg_config_serves(&c, SR_STR_LIT("Example.com")));   /* not canonical: not lower case */
	assert_false(sr_reg_config_serves(&c, SR_STR_NULL));
}

/* One bad value per rule: each must be reported with its key. */
static void test_check_messages(void **state)
{
	(void)state;
	struct sr_reg_config c;

#define EXPECT_MSG(change, msg)                                                                   \
	do {                                                                                      \
		valid_config(&c);                                                                 \
		change;                                                                           \
		const char *got = sr_reg_config_check(&c);                                        \
		if (!got || strcmp(got, msg) != 0)                                                \
			fail_msg("after `%s`: got \"%s\", expected \"%s\"", #change,              \
				 got ? got : "(null)", msg);                                      \
	} while (0)

	EXPECT_MSG(c.n_domains = 0, "registrar.domains: at least one served domain is required");
	EXPECT_MSG(c.max_domain_len = 5,
		   "registrar.domains: a served domain is longer than registrar.max_domain_len");
	EXPECT_MSG(c.not_served_code = 604, "registrar.not_served_code: must be a 4xx code");
	EXPECT_MSG(c.not_served_code = 200, "registrar.not_served_code: must be a 4xx code");
	EXPECT_MSG(c.not_served_code = 500, "registrar.not_served_code: must be a 4xx code");
	EXPECT_MSG(c.min_expires = 3601, "registrar.min_expires: must not exceed registrar.max_expires");
	EXPECT_MSG(c.default_expires = 0, "registrar.default_expires: must be at least 1");
	EXPECT_MSG(c.default_expires = 30,
		   "registrar.default_expires: must lie between min_expires and max_expires");
	EXPECT_MSG(c.default_expires = 7200,
		   "registrar.default_expires: must lie between min_expires and max_expires");
	EXPECT_MSG(c.expires_max_deviation = 60,
		   "registrar.expires_max_deviation: must be smaller than registrar.min_expires");
	EXPECT_MSG((c.min_expires = 0, c.expires_max_deviation = 1),
		   "registrar.expires_max_deviation: must be smaller than registrar.min_expires");
	EXPECT_MSG(c.default_q = -2, "registrar.default_q: must be -1 or 0..1000");
	EXPECT_MSG(c.default_q = 1001, "registrar.default_q: must be -1 or 0..1000");
	EXPECT_MSG(c.max_contacts_mode = (enum sr_max_contacts_mode)7,
		   "registrar.max_contacts_mode: must be reject or force");
	EXPECT_MSG(c.max_username_len = 0, "registrar.max_username_len: must be at least 1");
	EXPECT_MSG(c.max_domain_len = 0,
		   "registrar.domains: a served domain is longer than registrar.max_domain_len");
	EXPECT_MSG(c.max_contact_len = 0, "registrar.max_contact_len: must be at least 1");
	/* issue 15 item 1: the AoR's count is 16 bits; unlimited or above the store's cap is refused */
	EXPECT_MSG(c.max_contacts = 0, "registrar.max_contacts: must be 1..1024 (the hard per-AoR binding cap)");
	EXPECT_MSG(c.max_contacts = SR_LOC_MAX_PER_AOR + 1,
		   "registrar.max_contacts: must be 1..1024 (the hard per-AoR binding cap)");
	EXPECT_MSG(c.max_contacts = 65536, "registrar.max_contacts: must be 1..1024 (the hard per-AoR binding cap)");
	EXPECT_MSG(c.max_path_len = 0, "registrar.max_path_len: must be 1..65535");
	EXPECT_MSG(c.max_aor_len = 64 + 128 + 5,
		   "registrar.max_aor_len: must hold \"sips:\" max_username_len \"@\" max_domain_len");
	EXPECT_MSG(c.max_aors = 0, "registrar.max_aors: must be at least 1");
	EXPECT_MSG(c.path_mode = (enum sr_path_mode)9, "registrar.path_mode: must be off, lazy or strict");
	EXPECT_MSG(memset(c.realm_prefix, 'x', sizeof(c.realm_prefix)), "registrar.realm_prefix: too long");
#undef EXPECT_MSG
}

/* max_domain_len 0 with no domain to compare gets its own message. */
static void test_check_zero_domain_len(void **state)
{
	(void)state;
	struct sr_reg_config c;

	valid_config(&c);
	c.max_domain_len = 0;
	c.domains[0][0] = '\0'; /* an (impossible) empty domain fits any limit */
	assert_string_equal(sr_reg_config_check(&c), "registrar.max_domain_len: must be at least 1");
}

/* Values at the edge of every rule are accepted. */
static void test_check_edges_accepted(void **state)
{
	(void)state;
	struct sr_reg_config c;

	valid_config(&c);
	c.min_expires = c.max_expires = c.default_expires = 3600;
	assert_null(sr_reg_config_check(&c));

	valid_config(&c);
	c.min_expires = 0; /* no minimum */
	c.max_expires = 0; /* no maximum */
	c.default_expires = 1;
	assert_null(sr_reg_config_check(&c));
	c.default_expires = UINT32_MAX;
	assert_null(sr_reg_config_check(&c));

	valid_config(&c);
	c.expires_max_deviation = 59; /* min_expires 60: every grant stays >= 1 s */
	assert_null(sr_reg_config_check(&c));

	valid_config(&c);
	c.default_q = 0;
	assert_null(sr_reg_config_check(&c));
	c.default_q = 1000;
	assert_null(sr_reg_config_check(&c));

	valid_config(&c);
	c.not_served_code = 403;
	c.max_contacts = 1;
	c.max_contacts_mode = SR_MAXC_FORCE;
	c.path_mode = SR_PATH_STRICT;
	c.max_aor_len = 64 + 128 + 6;
	c.max_aors = 1;
	c.retry_after = 0;
	assert_null(sr_reg_config_check(&c));
	c.path_mode = SR_PATH_OFF;
	c.max_domain_len = (uint32_t)strlen("example.com");
	assert_null(sr_reg_config_check(&c));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_defaults_need_a_domain),
		cmocka_unit_test(test_add_domain),
		cmocka_unit_test(test_add_domain_full),
		cmocka_unit_test(test_add_domain_realm_prefix),
		cmocka_unit_test(test_serves),
		cmocka_unit_test(test_check_messages),
		cmocka_unit_test(test_check_zero_domain_len),
		cmocka_unit_test(test_check_edges_accepted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
