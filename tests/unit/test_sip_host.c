/*
 * test_sip_host.c - the URI host classifier (lib/sip/sip_host.c), one table
 * row per spelling: every host of issue 15 item 8 that a regex let through,
 * the other inet_aton and IPv6 forms of the same addresses, and hosts that
 * merely look alike and must stay unclassified. Own addresses are
 * 198.51.100.1 and 2001:db8::5060.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "sip_host.h"

#define LO SR_HOST_LOOPBACK
#define ANY SR_HOST_UNSPECIFIED
#define SELF SR_HOST_SELF

static const struct {
	const char *host;
	unsigned want;
} cases[] = {
	/* loopback, every IPv4 spelling inet_aton accepts */
	{ "127.0.0.1", LO },
	{ "127.1", LO },
	{ "127.0.1", LO },
	{ "127.255.255.254", LO },
	{ "2130706433", LO },
	{ "0x7f000001", LO },
	{ "0X7F000001", LO },
	{ "0x7f.1", LO },
	{ "0x7f.0x0.0x0.0x1", LO },
	{ "0177.0.0.1", LO },      /* octal 0177 = 127 */
	{ "017700000001", LO },    /* octal, one part */
	{ "0x00000000007f000001", LO },
	{ "127.0.0.1.", LO },      /* the DNS root */
	{ "127.000.000.001", LO }, /* leading zeros: octal and decimal agree */
	/* loopback, IPv6 */
	{ "::1", LO },
	{ "[::1]", LO },
	{ "0:0:0:0:0:0:0:1", LO },
	{ "[0:0:0:0:0:0:0:1]", LO },
	{ "[0000:0000:0000:0000:0000:0000:0000:0001]", LO },
	{ "[::1%25lo]", LO },      /* RFC 6874 zone */
	{ "::1%lo", LO },
	{ "[::ffff:127.0.0.1]", LO },
	{ "::ffff:7f00:1", LO },
	{ "[::FFFF:127.1.2.3]", LO },
	{ "[::127.0.0.1]", LO },   /* v4-compatible */
	{ "[::ffff:0:127.0.0.1]", LO }, /* v4-translated */
	/* loopback names */
	{ "localhost", LO },
	{ "LocalHost", LO },
	{ "localhost.", LO },
	{ "pbx.localhost", LO },
	{ "PBX.LOCALHOST.", LO },
	/* unspecified ("this network", 0.0.0.0/8) */
	{ "0", ANY },
	{ "0.0.0.0", ANY },
	{ "0.0.0.0.", ANY },
	{ "0x0", ANY },
	{ "0x", ANY },             /* 4.4BSD's inet_aton reads a bare 0x as 0 (glibc's refuses it) */
	{ "00", ANY },
	{ "0.0", ANY },
	{ "0.1.2.3", ANY },
	{ "123", ANY },            /* one part: 0.0.0.123 */
	{ "::", ANY },
	{ "[::]", ANY },
	{ "[0:0:0:0:0:0:0:0]", ANY },
	{ "[::ffff:0.0.0.0]", ANY },
	/* the registrar itself */
	{ "198.51.100.1", SELF },
	{ "198.51.100.001", SELF },
	{ "198.51.100.1.", SELF },
	{ "198.51.25601", SELF },  /* 100 * 256 + 1 */
	{ "198.3367937", SELF },   /* 51 * 65536 + 100 * 256 + 1 */
	{ "3325256705", SELF },
	{ "0xc6336401", SELF },
	{ "0306.063.0144.01", SELF }, /* all octal */
	{ "[::ffff:198.51.100.1]", SELF },
	{ "[::ffff:c633:6401]", SELF },
	{ "[::198.51.100.1]", SELF },
	{ "[2001:db8::5060]", SELF },
	{ "[2001:DB8:0:0:0:0:0:5060]", SELF },
	{ "2001:0db8::5060", SELF },
	/* leading zeros read both ways: octal .010 = .8, decimal .010 = .10 */
	{ "198.51.100.010", 0 },
	{ "0198.51.100.1", SELF }, /* no octal reading (9), the decimal one is ours */
	/* not ours, not special */
	{ "198.51.100.2", 0 },
	{ "198.51.100.10", 0 },
	{ "[::ffff:198.51.100.2]", 0 },
	{ "[2001:db8::5061]", 0 },
	{ "128.0.0.1", 0 },
	{ "1.0.0.127", 0 },
	{ "example.com", 0 },
	{ "localhost.example.com", 0 },
	{ "notlocalhost", 0 },
	{ "198.51.100.1.example.net", 0 },
	{ "1270.0.0.1", 0 },       /* 1270 does not fit a byte */
	{ "127.0.0.1.1", 0 },      /* five parts */
	{ "127.0.0.256", 0 },
	{ "127.0.65536", 0 },
	{ "4294967296", 0 },       /* 2**32 */
	{ "0x100000000", 0 },
	{ "127..1", 0 },
	{ ".127.0.0.1", 0 },
	{ "127.0.0.1..", 0 },
	{ "09.0.0.1", 0 },         /* octal fails, decimal 9.0.0.1 */
	{ "0x7g000001", 0 },
	{ "\x11\x12\x17.0.0.1", 0 }, /* control bytes are no digits */
	{ "[127.0.0.1]", 0 },      /* brackets hold IPv6 only */
	{ "[::1", 0 },
	{ "[fe80::1]", 0 },
	{ "", 0 },
	{ ".", 0 },
};

static const char *names(unsigned cls, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s%s%s%s", cls & LO ? "loopback " : "", cls & ANY ? "unspecified " : "",
		 cls & SELF ? "self " : "", cls ? "" : "none");
	return buf;
}

static struct sr_host_self self_addrs(void)
{
	struct sr_host_self s = { 0 };
	struct sr_str bad;
	assert_int_equal(sr_sip_host_self_parse(&s, "198.51.100.1, 2001:db8::5060", &bad), 0);
	assert_int_equal(s.n, 2);
	return s;
}

static void every_spelling(void **state)
{
	(void)state;
	struct sr_host_self self = self_addrs();
	unsigned failures = 0;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned got = sr_sip_host_classify(sr_str_cstr(cases[i].host), &self);
		if (got != cases[i].want) {
			char a[64], b[64];
			print_error("host \"%s\": %s, want %s\n", cases[i].host, names(got, a, sizeof(a)),
				    names(cases[i].want, b, sizeof(b)));
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

/* Each host is read within its length: the bytes after it are never looked at. */
static void reads_only_its_bytes(void **state)
{
	(void)state;
	struct sr_host_self self = self_addrs();
	const char text[] = "127.0.0.1:5060";
	assert_int_equal(sr_sip_host_classify(sr_str_make(text, 9), &self), LO);
	const char v6[] = "::1]:5060";
	assert_int_equal(sr_sip_host_classify(sr_str_make(v6, 3), &self), LO);
	const char nul[] = "127.0.0.1\0x";
	assert_int_equal(sr_sip_host_classify(sr_str_make(nul, sizeof(nul) - 1), &self), 0);
	/* without own addresses nothing is self */
	assert_int_equal(sr_sip_host_classify(SR_STR_LIT("198.51.100.1"), NULL), 0);
	assert_int_equal(sr_sip_host_classify(SR_STR_LIT("127.1"), NULL), LO);
}

static void strict_ip_literals(void **state)
{
	(void)state;
	struct sr_ip a, b;
	assert_int_equal(sr_sip_host_ip(SR_STR_LIT("[2001:DB8::10]"), &a), 0);
	assert_int_equal(sr_sip_host_ip(SR_STR_LIT("2001:db8:0:0::10"), &b), 0);
	assert_memory_equal(a.b, b.b, 16);
	assert_int_equal(sr_sip_host_ip(SR_STR_LIT("198.51.100.1"), &a), 0);
	assert_int_equal(sr_sip_host_ip(SR_STR_LIT("[::ffff:198.51.100.1]"), &b), 0);
	assert_memory_equal(a.b, b.b, 16); /* IPv4 is kept v4-mapped */
	static const char *const loose[] = { "127.1", "2130706433", "0177.0.0.1", "198.51.100.001",
					      "example.com", "[127.0.0.1]", "[::1%25lo]", "", "[]" };
	for (size_t i = 0; i < sizeof(loose) / sizeof(loose[0]); i++)
		if (sr_sip_host_ip(sr_str_cstr(loose[i]), &a) == 0)
			fail_msg("\"%s\" taken for a strict IP literal", loose[i]);
}

static void self_list_parse(void **state)
{
	(void)state;
	struct sr_host_self s = { 0 };
	struct sr_str bad;
	assert_int_equal(sr_sip_host_self_parse(&s, "", &bad), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(sr_sip_host_self_parse(&s, NULL, &bad), 0);
	assert_int_equal(sr_sip_host_self_parse(&s, " 10.0.0.1,\t[2001:db8::1] ,", &bad), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(sr_sip_host_self_parse(&s, "10.0.0.2 sip.example.com", &bad), -1);
	assert_true(sr_str_eq(bad, SR_STR_LIT("sip.example.com")));
	struct sr_host_self full = { 0 };
	assert_int_equal(sr_sip_host_self_parse(&full, "1.1.1.1 1.1.1.2 1.1.1.3 1.1.1.4 1.1.1.5 1.1.1.6 "
						       "1.1.1.7 1.1.1.8 1.1.1.9", &bad), -1);
	assert_true(sr_str_eq(bad, SR_STR_LIT("1.1.1.9")));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_spelling),
		cmocka_unit_test(reads_only_its_bytes),
		cmocka_unit_test(strict_ip_literals),
		cmocka_unit_test(self_list_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
