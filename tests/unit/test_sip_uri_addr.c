/*
 * test_sip_uri_addr.c - the hop and Via accessors a proxy uses
 * (lib/sip/sip_uri_addr.h): user, host, port and IPv4 literal of Route and
 * Path URIs, the sent-by and branch of a Via value.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <osipparser2/osip_uri.h>

#include "sip_uri_addr.h"

#define assert_str(s, lit) assert_true(sr_str_eq((s), SR_STR_LIT(lit)))

static void uri_parts(void **state)
{
	(void)state;
	struct sr_arena arena;
	assert_int_equal(sr_arena_init(&arena, 64 * 1024), 0);
	struct sr_arena *prev = sr_arena_bind_osip(&arena);
	struct sr_uri_parts u;

	assert_int_equal(sr_sip_uri_parts(SR_STR_LIT("<sip:srTOKEN@198.51.100.1:5060;lr>"), &arena, &u), 0);
	assert_str(u.user, "srTOKEN");
	assert_str(u.host, "198.51.100.1");
	assert_int_equal(u.port, 5060);
	assert_int_equal(u.ipv4, inet_addr("198.51.100.1"));

	assert_int_equal(sr_sip_uri_parts(SR_STR_LIT(" \"Edge\" <sip:edge.example.net;lr>"), &arena, &u), 0);
	assert_int_equal(u.user.len, 0);
	assert_str(u.host, "edge.example.net");
	assert_int_equal(u.port, 0);
	assert_int_equal(u.ipv4, 0); /* a name: no address (no DNS on the data plane) */

	assert_int_equal(sr_sip_uri_parts(SR_STR_LIT("sip:bob@198.51.100.3"), &arena, &u), 0);
	assert_int_equal(u.ipv4, inet_addr("198.51.100.3"));

	assert_int_equal(sr_sip_uri_parts(SR_STR_LIT("<tel:+15551234>"), &arena, &u), -1);
	assert_int_equal(sr_sip_uri_parts(SR_STR_LIT("<sip:h:99999>"), &arena, &u), -1);
	assert_int_equal(sr_sip_uri_parts(SR_STR_LIT("<sip:h"), &arena, &u), -1);
	sr_arena_bind_osip(prev);
	sr_arena_fini(&arena);
}

static void via_fields(void **state)
{
	(void)state;
	struct sr_str v = SR_STR_LIT("SIP/2.0/UDP 198.51.100.1:5060;rport;Branch = z9hG4bKsr01;received=1.2.3.4");
	assert_str(sr_sip_via_sent_by(v), "198.51.100.1:5060");
	assert_str(sr_sip_via_branch(v), "z9hG4bKsr01");
	v = SR_STR_LIT("SIP/2.0/UDP  host.example.net ;branch=z9hG4bK-x");
	assert_str(sr_sip_via_sent_by(v), "host.example.net");
	assert_str(sr_sip_via_branch(v), "z9hG4bK-x");
	v = SR_STR_LIT("SIP/2.0/UDP 198.51.100.2;branchx=1;maddr=x");
	assert_int_equal(sr_sip_via_branch(v).len, 0);
	assert_int_equal(sr_sip_via_sent_by(SR_STR_LIT("SIP/2.0/UDP")).len, 0);
}

/* The first hop of a Path list, and a tag's bytes inside its header value. */
static void hop_and_tag(void **state)
{
	(void)state;
	struct sr_arena arena;
	assert_int_equal(sr_arena_init(&arena, 64 * 1024), 0);
	struct sr_arena *prev = sr_arena_bind_osip(&arena);
	struct sr_uri_parts u;
	assert_int_equal(sr_sip_first_hop(SR_STR_LIT("<sip:198.51.100.7:5070;lr>, <sip:198.51.100.8;lr>"), &arena, &u), 0);
	assert_int_equal(u.ipv4, inet_addr("198.51.100.7"));
	assert_int_equal(u.port, 5070);
	assert_int_equal(sr_sip_first_hop(SR_STR_LIT("sip:198.51.100.7;lr"), &arena, &u), -1); /* no name-addr */
	sr_arena_bind_osip(prev);
	sr_arena_fini(&arena);

	struct sr_str from = SR_STR_LIT("\"ab=x\" <sip:a@example.com>;tag=ab");
	struct sr_str t = sr_sip_tag_in(from, SR_STR_LIT("ab"));
	assert_ptr_equal(t.p, from.p + from.len - 2); /* the tag's own bytes, not the display name's "ab" */
	assert_int_equal(t.len, 2);
	assert_int_equal(sr_sip_tag_in(from, SR_STR_LIT("zz")).len, 0);
}

/* Whether a Contact names the address its REGISTER came from: anything else is behind NAT. */
static void uri_is_source(void **state)
{
	(void)state;
	static const struct {
		const char *uri;
		bool same;
	} cases[] = {
		{ "sip:a@198.51.100.9", true },            /* default port 5060 */
		{ "sip:a@198.51.100.9:5060", true },
		{ "sip:a@198.51.100.9:5070", false },      /* another port: a NAT mapping */
		{ "sip:a@10.0.0.9:5060", false },          /* a private address */
		{ "sip:a@phone.example.net", false },      /* a name */
		{ "sips:a@198.51.100.9", false },          /* sips defaults to 5061 */
		{ "sips:a@198.51.100.9:5060", true },
		{ "sip:a@198.51.100.9.1", false },         /* not a dotted quad */
		{ "sip:a@198.51.100", false },
		{ "sip:a@198.51.100.1009", false },
		{ "sip:a@198.51.100.8", false },           /* another host */
		{ "sip:a@198.51.100.9:65596", false },     /* 5060 + 65536: no wrap-around */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[1024];
		struct sr_arena arena;
		struct sr_sip_uri u;
		sr_arena_init_buf(&arena, buf, sizeof(buf));
		/* a port over 65535 does not parse at all: never the source either */
		bool parsed = sr_sip_uri_parse(sr_str_cstr(cases[i].uri), &arena, &u) == SR_URI_OK;
		if ((parsed && sr_sip_uri_is_source(&u, inet_addr("198.51.100.9"), 5060)) != cases[i].same)
			fail_msg("%s", cases[i].uri);
		sr_arena_fini(&arena);
	}
	assert_false(sr_sip_uri_is_source(NULL, inet_addr("198.51.100.9"), 5060));
}

/* One URI parameter from the URI's text (RFC 8599 pn-purr): name-addr or bare, value as sent. */
static void uri_param_in(void **state)
{
	(void)state;
	struct sr_str v;
	assert_true(sr_sip_uri_param_in(SR_STR_LIT("sip:a@198.51.100.9:5070;pn-provider=apns;PN-PURR=0a1b;lr"), "pn-purr",
					&v));
	assert_true(sr_str_eq(v, SR_STR_LIT("0a1b")));
	assert_true(sr_sip_uri_param_in(SR_STR_LIT("<sip:a@h;lr;pn-purr=%41b>;expires=5"), "pn-purr", &v));
	assert_true(sr_str_eq(v, SR_STR_LIT("%41b")));
	assert_true(sr_sip_uri_param_in(SR_STR_LIT("sip:a@h;lr"), "lr", &v));
	assert_int_equal(v.len, 0);
	/* not a parameter: a header, a contact parameter outside < >, a longer name, the user part */
	assert_false(sr_sip_uri_param_in(SR_STR_LIT("sip:a@h?pn-purr=1"), "pn-purr", &v));
	assert_false(sr_sip_uri_param_in(SR_STR_LIT("<sip:a@h>;pn-purr=1"), "pn-purr", &v));
	assert_false(sr_sip_uri_param_in(SR_STR_LIT("sip:a@h;pn-purrx=1"), "pn-purr", &v));
	assert_false(sr_sip_uri_param_in(SR_STR_LIT("sip:pn-purr@h"), "pn-purr", &v));
	assert_false(sr_sip_uri_param_in(SR_STR_NULL, "pn-purr", &v));
}

/* path-received: the first Path URI's received parameter, plain, %-escaped, quoted; IPv4 only. */
static void path_received(void **state)
{
	(void)state;
	struct sr_arena arena;
	assert_int_equal(sr_arena_init(&arena, 64 * 1024), 0);
	struct sr_arena *prev = sr_arena_bind_osip(&arena);
	uint32_t ip = 0;
	uint16_t port = 0;
	struct in_addr want;
	inet_pton(AF_INET, "203.0.113.7", &want);
	assert_true(sr_sip_path_received(SR_STR_LIT("<sip:lb.example.com;lr;received=sip:203.0.113.7:5099>"), &arena, &ip,
					 &port));
	assert_int_equal(ip, want.s_addr);
	assert_int_equal(port, 5099);
	assert_true(sr_sip_path_received(SR_STR_LIT(" <sip:lb;lr;received=sip:203.0.113.7%3A5070%3Btransport%3Dtcp>, <sip:x;lr>"),
					 &arena, &ip, &port));
	assert_int_equal(ip, want.s_addr);
	assert_int_equal(port, 5070);
	assert_true(sr_sip_path_received(SR_STR_LIT("<sip:lb;received=\"203.0.113.7\";lr>"), &arena, &ip, &port));
	assert_int_equal(port, 5060); /* no scheme, no port */
	/* only the first URI counts; a name is no address; no received, no address */
	assert_false(sr_sip_path_received(SR_STR_LIT("<sip:lb;lr>, <sip:x;received=sip:203.0.113.7>"), &arena, &ip, &port));
	assert_false(sr_sip_path_received(SR_STR_LIT("<sip:lb;received=sip:ua.example.com:5060>"), &arena, &ip, &port));
	assert_false(sr_sip_path_received(SR_STR_LIT("<sip:lb;received=>"), &arena, &ip, &port));
	assert_false(sr_sip_path_received(SR_STR_LIT("<sip:lb;received=sip:u@203.0.113.7>"), &arena, &ip, &port));
	assert_false(sr_sip_path_received(SR_STR_NULL, &arena, &ip, &port));
	sr_arena_bind_osip(prev);
	sr_arena_fini(&arena);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(uri_parts),
		cmocka_unit_test(via_fields),
		cmocka_unit_test(hop_and_tag),
		cmocka_unit_test(uri_is_source),
		cmocka_unit_test(uri_param_in),
		cmocka_unit_test(path_received),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
