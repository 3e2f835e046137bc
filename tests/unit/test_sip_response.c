/*
 * test_sip_response.c - byte-exact tests of the SIP response writer.
 *
 * Requests are filled by hand: the raw header values as sr_sip_parse would
 * hand them out, and the top Via as the message view parses it (a one-line
 * message through sr_sip_parse, on the path g_flags names: the Via tests run
 * on both). Whole responses are compared byte for byte,
 * and the overflow test replays one response into every buffer size from 0
 * to its full length, with a canary behind the capacity.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "sip_response.h"

#define BUF_SIZE 4096

static unsigned g_flags = SR_SIP_FAST; /* how the top Via is parsed */

/* A request view plus the memory its top Via was parsed into. */
struct req_fixture {
	struct sr_sip_msg m;
	struct sr_arena arena;
	char line[1024];
};

/* The top Via as sr_sip_parse fills it, from a message holding only that Via line. */
static void parse_top_via(struct req_fixture *f, const char *via)
{
	static struct sr_sip_msg tmp;
	struct sr_sip_error err;
	int n = snprintf(f->line, sizeof(f->line), "OPTIONS sip:x SIP/2.0\r\nVia: %s\r\n\r\n", via);
	assert_true(n > 0 && (size_t)n < sizeof(f->line));
	assert_int_equal(sr_arena_init(&f->arena, 16384), 0);
	struct sr_arena *prev = sr_arena_bind_osip(&f->arena);
	sr_sip_parse(&tmp, f->line, (size_t)n, NULL, g_flags, &f->arena, &err); /* BAD: no From etc. */
	sr_arena_bind_osip(prev);
	assert_int_equal(tmp.n_via, 1);
	f->m.top_via = tmp.top_via;
}

static void req_init(struct req_fixture *f, const char *const *vias, unsigned n_via)
{
	memset(f, 0, sizeof(*f));
	for (unsigned i = 0; i < n_via; i++)
		f->m.via[i] = sr_str_cstr(vias[i]);
	f->m.n_via = n_via;
	if (n_via) {
		parse_top_via(f, vias[0]);
		f->m.via[0] = f->m.top_via.raw;
	}
	f->m.from_raw = SR_STR_LIT("<sip:alice@example.com>;tag=1928301774");
	f->m.to.raw = SR_STR_LIT("<sip:alice@example.com>");
	f->m.call_id = SR_STR_LIT("a84b4c76e66710@pc33.example.com");
	f->m.cseq = 314159;
	f->m.cseq_method = SR_STR_LIT("REGISTER");
}

static void req_free(struct req_fixture *f)
{
	if (f->m.n_via)
		sr_arena_fini(&f->arena);
}

static struct sr_addr addr(const char *ip, uint16_t port)
{
	struct sr_addr a = { 0, port };
	assert_int_equal(inet_pton(AF_INET, ip, &a.ip), 1);
	return a;
}

static void assert_response(const char *buf, size_t len, const char *expected)
{
	size_t elen = strlen(expected);
	if (len != elen || memcmp(buf, expected, elen) != 0)
		fail_msg("response differs:\n--- got (%zu)\n%.*s\n--- expected (%zu)\n%s", len, (int)len,
			 buf, elen, expected);
}

/* Writes only the Via lines of a one-Via request and compares them. */
static void check_top_via(const char *via, const struct sr_addr *src, const char *expected_line)
{
	struct req_fixture f;
	const char *vias[] = { via };
	char buf[BUF_SIZE];
	struct sr_resp w;

	req_init(&f, vias, 1);
	f.m.from_raw = f.m.to.raw = f.m.call_id = f.m.cseq_method = SR_STR_NULL;
	sr_resp_begin(&w, buf, sizeof(buf), 200, NULL);
	size_t start = w.len;
	sr_resp_dialog_headers(&w, &f.m, src, SR_STR_NULL);
	assert_false(w.overflow);
	assert_response(buf + start, w.len - start, expected_line);
	req_free(&f);
}

/* ---- status line and simple headers ---- */

static void test_status_line(void **state)
{
	(void)state;
	char buf[BUF_SIZE];
	struct sr_resp w;

	sr_resp_begin(&w, buf, sizeof(buf), 200, NULL);
	size_t n = sr_resp_finish(&w);
	assert_response(buf, n, "SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n");

	sr_resp_begin(&w, buf, sizeof(buf), 400, "Missing Call-ID header");
	n = sr_resp_finish(&w);
	assert_response(buf, n, "SIP/2.0 400 Missing Call-ID header\r\nContent-Length: 0\r\n\r\n");

	sr_resp_begin(&w, buf, sizeof(buf), 423, NULL);
	n = sr_resp_finish(&w);
	assert_response(buf, n, "SIP/2.0 423 Interval Too Brief\r\nContent-Length: 0\r\n\r\n");
}

static void test_header_helpers(void **state)
{
	(void)state;
	char buf[BUF_SIZE];
	struct sr_resp w;

	sr_resp_begin(&w, buf, sizeof(buf), 503, NULL);
	sr_resp_header_uint(&w, "Retry-After", 30);
	sr_resp_header_uint(&w, "Min-Expires", 0);
	sr_resp_header_uint(&w, "X-Big", UINT64_MAX);
	/* every digit count the formatter decides by compares, and the first it counts by division */
	const uint64_t widths[] = { 9, 10, 99, 100, 999, 1000, 9999, 10000, 99999, 100000, 999999, 1000000, 1234567 };
	for (size_t i = 0; i < sizeof(widths) / sizeof(widths[0]); i++)
		sr_resp_header_uint(&w, "X-N", widths[i]);
	sr_resp_header_cstr(&w, "Server", "sipreg");
	sr_resp_header(&w, "Supported", SR_STR_LIT("path, outbound, gruu"));
	sr_resp_header(&w, "X-Empty", SR_STR_NULL);
	size_t n = sr_resp_finish(&w);
	assert_response(buf, n,
			"SIP/2.0 503 Service Unavailable\r\n"
			"Retry-After: 30\r\n"
			"Min-Expires: 0\r\n"
			"X-Big: 18446744073709551615\r\n"
			"X-N: 9\r\nX-N: 10\r\nX-N: 99\r\nX-N: 100\r\nX-N: 999\r\nX-N: 1000\r\nX-N: 9999\r\n"
			"X-N: 10000\r\nX-N: 99999\r\nX-N: 100000\r\nX-N: 999999\r\nX-N: 1000000\r\nX-N: 1234567\r\n"
			"Server: sipreg\r\n"
			"Supported: path, outbound, gruu\r\n"
			"X-Empty: \r\n"
			"Content-Length: 0\r\n\r\n");
}

/* ---- dialog headers ---- */

static void test_dialog_headers_full(void **state)
{
	(void)state;
	const char *vias[] = {
		"SIP/2.0/UDP pc33.example.com:5060;branch=z9hG4bKnashds7",
		"SIP/2.0/TCP proxy.example.net;branch=z9hG4bK77ef4c2312983.1;received=192.0.2.2",
		"SIP/2.0/UDP [2001:db8::1]:5070;branch=z9hG4bK776asdhds",
	};
	struct req_fixture f;
	struct sr_addr src = addr("192.0.2.4", 5060);
	char buf[BUF_SIZE];
	struct sr_resp w;

	req_init(&f, vias, 3);
	sr_resp_begin(&w, buf, sizeof(buf), 200, NULL);
	sr_resp_dialog_headers(&w, &f.m, &src, SR_STR_LIT("37GkEhwl6"));
	size_t n = sr_resp_finish(&w);
	assert_response(buf, n,
			"SIP/2.0 200 OK\r\n"
			"Via: SIP/2.0/UDP pc33.example.com:5060;branch=z9hG4bKnashds7;received=192.0.2.4\r\n"
			"Via: SIP/2.0/TCP proxy.example.net;branch=z9hG4bK77ef4c2312983.1;received=192.0.2.2\r\n"
			"Via: SIP/2.0/UDP [2001:db8::1]:5070;branch=z9hG4bK776asdhds\r\n"
			"From: <sip:alice@example.com>;tag=1928301774\r\n"
			"To: <sip:alice@example.com>;tag=37GkEhwl6\r\n"
			"Call-ID: a84b4c76e66710@pc33.example.com\r\n"
			"CSeq: 314159 REGISTER\r\n"
			"Content-Length: 0\r\n\r\n");
	/* where the tag went: a proxy keeps a head without it and adds its tag there later */
	assert_memory_equal(buf + w.to_value_end, ";tag=37GkEhwl6\r\n", 16);
	req_free(&f);
}

static void test_to_tag_kept_when_present(void **state)
{
	(void)state;
	const char *vias[] = { "SIP/2.0/UDP 192.0.2.4:5060;branch=z9hG4bK1" };
	struct req_fixture f;
	char buf[BUF_SIZE];
	struct sr_resp w;

	req_init(&f, vias, 1);
	f.m.to.raw = SR_STR_LIT("\"Alice\" <sip:alice@example.com>;tag=abc");
	f.m.to.tag = SR_STR_LIT("abc");
	sr_resp_begin(&w, buf, sizeof(buf), 200, NULL);
	sr_resp_dialog_headers(&w, &f.m, NULL, SR_STR_LIT("ours"));
	size_t n = sr_resp_finish(&w);
	assert_response(buf, n,
			"SIP/2.0 200 OK\r\n"
			"Via: SIP/2.0/UDP 192.0.2.4:5060;branch=z9hG4bK1\r\n"
			"From: <sip:alice@example.com>;tag=1928301774\r\n"
			"To: \"Alice\" <sip:alice@example.com>;tag=abc\r\n"
			"Call-ID: a84b4c76e66710@pc33.example.com\r\n"
			"CSeq: 314159 REGISTER\r\n"
			"Content-Length: 0\r\n\r\n");
	req_free(&f);
}

static void test_to_tag_empty_argument(void **state)
{
	(void)state;
	struct req_fixture f;
	char buf[BUF_SIZE];
	struct sr_resp w;

	req_init(&f, NULL, 0);
	sr_resp_begin(&w, buf, sizeof(buf), 100, NULL);
	sr_resp_dialog_headers(&w, &f.m, NULL, SR_STR_NULL);
	size_t n = sr_resp_finish(&w);
	assert_response(buf, n,
			"SIP/2.0 100 Trying\r\n"
			"From: <sip:alice@example.com>;tag=1928301774\r\n"
			"To: <sip:alice@example.com>\r\n"
			"Call-ID: a84b4c76e66710@pc33.example.com\r\n"
			"CSeq: 314159 REGISTER\r\n"
			"Content-Length: 0\r\n\r\n");
}

static void test_missing_headers_skipped(void **state)
{
	(void)state;
	struct sr_sip_msg m;
	char buf[BUF_SIZE];
	struct sr_resp w;

	memset(&m, 0, sizeof(m));
	m.call_id = SR_STR_LIT("only-call-id");
	sr_resp_begin(&w, buf, sizeof(buf), 400, "Missing CSeq header");
	sr_resp_dialog_headers(&w, &m, NULL, SR_STR_LIT("tag"));
	size_t n = sr_resp_finish(&w);
	assert_response(buf, n,
			"SIP/2.0 400 Missing CSeq header\r\n"
			"Call-ID: only-call-id\r\n"
			"Content-Length: 0\r\n\r\n");
}

/* ---- top Via: received and rport ---- */

static void test_via_host_matches_source(void **state)
{
	(void)state;
	struct sr_addr src = addr("192.0.2.4", 5060);
	check_top_via("SIP/2.0/UDP 192.0.2.4:5060;branch=z9hG4bK1", &src,
		      "Via: SIP/2.0/UDP 192.0.2.4:5060;branch=z9hG4bK1\r\n");
	/* A port that differs is not a reason for received (only rport reports ports). */
	src = addr("192.0.2.4", 40000);
	check_top_via("SIP/2.0/UDP 192.0.2.4:5060;branch=z9hG4bK1", &src,
		      "Via: SIP/2.0/UDP 192.0.2.4:5060;branch=z9hG4bK1\r\n");
}

static void test_via_received_added(void **state)
{
	(void)state;
	struct sr_addr src = addr("203.0.113.250", 5060);
	check_top_via("SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1", &src,
		      "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1;received=203.0.113.250\r\n");
	/* A host name always differs from the source address. */
	check_top_via("SIP/2.0/UDP client.example.com;branch=z9hG4bK2", &src,
		      "Via: SIP/2.0/UDP client.example.com;branch=z9hG4bK2;received=203.0.113.250\r\n");
	/* every width of a dotted quad's bytes (one, two and three digits, zero) */
	static const char *const quads[] = { "10.0.99.255", "100.9.1.0" };
	for (size_t i = 0; i < sizeof(quads) / sizeof(quads[0]); i++) {
		char line[128];
		snprintf(line, sizeof(line), "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK3;received=%s\r\n", quads[i]);
		struct sr_addr q = addr(quads[i], 5060);
		check_top_via("SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK3", &q, line);
	}
	/* Without a source (e.g. an internal test request) nothing is added. */
	check_top_via("SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1;rport", NULL,
		      "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1;rport\r\n");
}

static void test_via_received_replaced(void **state)
{
	(void)state;
	struct sr_addr src = addr("198.51.100.2", 5060);
	check_top_via("SIP/2.0/UDP 10.0.0.1;received=1.2.3.4;branch=z9hG4bK1", &src,
		      "Via: SIP/2.0/UDP 10.0.0.1;received=198.51.100.2;branch=z9hG4bK1\r\n");
	/* Host matches and no rport: the client's own received is left alone. */
	check_top_via("SIP/2.0/UDP 198.51.100.2;received=1.2.3.4;branch=z9hG4bK1", &src,
		      "Via: SIP/2.0/UDP 198.51.100.2;received=1.2.3.4;branch=z9hG4bK1\r\n");
}

static void test_via_rport_filled(void **state)
{
	(void)state;
	struct sr_addr src = addr("198.51.100.2", 5062);
	/* RFC 3581: received is added even when the host matches. */
	check_top_via("SIP/2.0/UDP 198.51.100.2:5060;rport;branch=z9hG4bKkjshdyff", &src,
		      "Via: SIP/2.0/UDP 198.51.100.2:5060;rport=5062;branch=z9hG4bKkjshdyff"
		      ";received=198.51.100.2\r\n");
	/* The RFC 3581 section 4 example. */
	src = addr("192.0.2.1", 9988);
	check_top_via("SIP/2.0/UDP 10.1.1.1:4540;rport;branch=z9hG4bKkjshdyff", &src,
		      "Via: SIP/2.0/UDP 10.1.1.1:4540;rport=9988;branch=z9hG4bKkjshdyff"
		      ";received=192.0.2.1\r\n");
	/* received before rport: both replaced where they stand. */
	check_top_via("SIP/2.0/UDP 10.1.1.1:4540;received=9.9.9.9;branch=z9hG4bK3;rport", &src,
		      "Via: SIP/2.0/UDP 10.1.1.1:4540;received=192.0.2.1;branch=z9hG4bK3;rport=9988\r\n");
	/* rport before received. */
	check_top_via("SIP/2.0/UDP 10.1.1.1:4540;rport;received=9.9.9.9;branch=z9hG4bK3", &src,
		      "Via: SIP/2.0/UDP 10.1.1.1:4540;rport=9988;received=192.0.2.1;branch=z9hG4bK3\r\n");
	/* Parameter names are case-insensitive. */
	check_top_via("SIP/2.0/UDP 10.1.1.1:4540;branch=z9hG4bK4;RPort", &src,
		      "Via: SIP/2.0/UDP 10.1.1.1:4540;branch=z9hG4bK4;rport=9988;received=192.0.2.1\r\n");
}

static void test_via_rport_with_value_kept(void **state)
{
	(void)state;
	struct sr_addr src = addr("192.0.2.1", 9988);
	check_top_via("SIP/2.0/UDP 192.0.2.1:4540;rport=1234;branch=z9hG4bK5", &src,
		      "Via: SIP/2.0/UDP 192.0.2.1:4540;rport=1234;branch=z9hG4bK5\r\n");
}

static void test_via_odd_spacing_and_quotes(void **state)
{
	(void)state;
	struct sr_addr src = addr("192.0.2.1", 9988);
	/* Whitespace around the parameters stays as sent. */
	check_top_via("SIP/2.0/UDP 10.1.1.1:4540 ; rport ; branch=z9hG4bK6", &src,
		      "Via: SIP/2.0/UDP 10.1.1.1:4540 ; rport=9988 ; branch=z9hG4bK6"
		      ";received=192.0.2.1\r\n");
	/* A ";rport" inside a quoted value is not a parameter. */
	check_top_via("SIP/2.0/UDP 192.0.2.1:4540;x=\"a;rport\";branch=z9hG4bK7", &src,
		      "Via: SIP/2.0/UDP 192.0.2.1:4540;x=\"a;rport\";branch=z9hG4bK7\r\n");
}

/* ---- Contact ---- */

static void check_contact(const struct sr_resp_contact *c, const char *expected_line)
{
	char buf[BUF_SIZE];
	struct sr_resp w;

	sr_resp_begin(&w, buf, sizeof(buf), 200, NULL);
	size_t start = w.len;
	sr_resp_contact(&w, c);
	assert_false(w.overflow);
	assert_response(buf + start, w.len - start, expected_line);
}

static void test_contact_q_values(void **state)
{
	(void)state;
	static const struct {
		int q;
		const char *text;
	} cases[] = {
		{ 1000, ";q=1" }, { 500, ";q=0.5" }, { 125, ";q=0.125" }, { 0, ";q=0" },
		{ 10, ";q=0.01" }, { 1, ";q=0.001" }, { 250, ";q=0.25" }, { 999, ";q=0.999" },
		{ 100, ";q=0.1" }, { 1500, ";q=1" }, { -1, "" },
	};
	char expected[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sr_resp_contact c = {
			.uri = SR_STR_LIT("sip:alice@192.0.2.4"), .expires = 3600, .q = cases[i].q,
		};
		snprintf(expected, sizeof(expected), "Contact: <sip:alice@192.0.2.4>;expires=3600%s\r\n",
			 cases[i].text);
		check_contact(&c, expected);
	}
}

/* A contact behind NAT carries where its REGISTER came from (OpenSIPS received_param), quoted. */
static void test_contact_received(void **state)
{
	(void)state;
	struct sr_resp_contact c = {
		.uri = SR_STR_LIT("sip:alice@10.0.0.7:5062"), .expires = 60, .q = -1,
		.received_ip = inet_addr("198.51.100.20"), .received_port = 40123,
	};
	check_contact(&c, "Contact: <sip:alice@10.0.0.7:5062>;expires=60;received=\"sip:198.51.100.20:40123\"\r\n");
	char r[SR_RECEIVED_LEN];
	assert_int_equal(sr_resp_received_uri(r, inet_addr("255.255.255.255"), 65535), 25);
	assert_string_equal(r, "sip:255.255.255.255:65535");
}

static void test_contact_params_and_gruu(void **state)
{
	(void)state;
	struct sr_resp_contact c = {
		.uri = SR_STR_LIT("sip:bob@198.51.100.2:5062;transport=tcp"),
		.params = SR_STR_LIT(";+sip.instance=\"<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>\";reg-id=1"),
		.expires = 0,
		.q = 700,
		.pub_gruu = SR_STR_LIT("sip:bob@example.com;gr=urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6"),
		.temp_gruu = SR_STR_LIT("sip:tgruu.7hs==jd7vnzga5w7fajsc7-ajd6fabz0f8g5@example.com;gr"),
	};
	check_contact(&c,
		      "Contact: <sip:bob@198.51.100.2:5062;transport=tcp>"
		      ";+sip.instance=\"<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>\";reg-id=1"
		      ";expires=0;q=0.7"
		      ";pub-gruu=\"sip:bob@example.com;gr=urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6\""
		      ";temp-gruu=\"sip:tgruu.7hs==jd7vnzga5w7fajsc7-ajd6fabz0f8g5@example.com;gr\"\r\n");

	c.pub_gruu = SR_STR_NULL;
	c.q = -1;
	c.params = SR_STR_NULL;
	c.expires = UINT32_MAX;
	check_contact(&c,
		      "Contact: <sip:bob@198.51.100.2:5062;transport=tcp>;expires=4294967295"
		      ";temp-gruu=\"sip:tgruu.7hs==jd7vnzga5w7fajsc7-ajd6fabz0f8g5@example.com;gr\"\r\n");
}

/* ---- Date ---- */

static void check_date(int64_t t, const char *expected_value)
{
	char buf[BUF_SIZE];
	char expected[64];
	struct sr_resp w;

	sr_resp_begin(&w, buf, sizeof(buf), 200, NULL);
	size_t start = w.len;
	sr_resp_date(&w, t);
	assert_false(w.overflow);
	snprintf(expected, sizeof(expected), "Date: %s\r\n", expected_value);
	assert_response(buf + start, w.len - start, expected);
}

static void test_date_known(void **state)
{
	(void)state;
	check_date(0, "Thu, 01 Jan 1970 00:00:00 GMT");
	check_date(1795262940, "Sat, 21 Nov 2026 12:09:00 GMT");
	check_date(1709251199, "Thu, 29 Feb 2024 23:59:59 GMT");
	check_date(1709251200, "Fri, 01 Mar 2024 00:00:00 GMT");
	check_date(951825600, "Tue, 29 Feb 2000 12:00:00 GMT");
	check_date(-1, "Wed, 31 Dec 1969 23:59:59 GMT");
	check_date(-2203891200, "Thu, 01 Mar 1900 00:00:00 GMT");
	check_date(253402300799, "Fri, 31 Dec 9999 23:59:59 GMT");
	/* Out of the four-digit range: clamped, never a malformed header. */
	check_date(INT64_MAX, "Fri, 31 Dec 9999 23:59:59 GMT");
	check_date(INT64_MIN, "Sat, 01 Jan 0000 00:00:00 GMT");
	/* The per-thread cache must follow the second, also going back. */
	check_date(0, "Thu, 01 Jan 1970 00:00:00 GMT");
}

/* Cross-checks the calendar arithmetic against gmtime_r over many instants. */
static void test_date_matches_gmtime(void **state)
{
	(void)state;
	static const char *const wd[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const mo[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	char expected[64];
	uint64_t x = 88172645463325252ull;

	for (int i = 0; i < 200000; i++) {
		int64_t t;
		if (i < 100000) {
			t = -5000000000LL + (int64_t)i * 86399 * 13; /* from 1811 on, ~13 days and -13 s a step */
		} else {
			x ^= x << 13; /* xorshift64 */
			x ^= x >> 7;
			x ^= x << 17;
			t = (int64_t)(x % 253402300800ull);
		}
		time_t tt = (time_t)t;
		struct tm tm;
		assert_non_null(gmtime_r(&tt, &tm));
		snprintf(expected, sizeof(expected), "%s, %02d %s %04d %02d:%02d:%02d GMT", wd[tm.tm_wday],
			 tm.tm_mday, mo[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
		check_date(t, expected);
	}
}

/* ---- overflow ---- */

/* One response using every writer call; returns sr_resp_finish(). */
static size_t write_everything(struct sr_resp *w, char *buf, size_t cap, const struct sr_sip_msg *m)
{
	struct sr_addr src = addr("192.0.2.1", 9988);
	struct sr_resp_contact c = {
		.uri = SR_STR_LIT("sip:alice@10.1.1.1:4540"),
		.params = SR_STR_LIT(";reg-id=1"),
		.expires = 3600,
		.q = 125,
		.pub_gruu = SR_STR_LIT("sip:alice@example.com;gr=urn:uuid:1"),
		.temp_gruu = SR_STR_LIT("sip:tgruu.x@example.com;gr"),
	};

	sr_resp_begin(w, buf, cap, 200, NULL);
	sr_resp_dialog_headers(w, m, &src, SR_STR_LIT("totag"));
	sr_resp_contact(w, &c);
	sr_resp_header_cstr(w, "Supported", "path, outbound, gruu");
	sr_resp_header_uint(w, "Expires", 3600);
	sr_resp_date(w, 1795262940);
	return sr_resp_finish(w);
}

static void test_overflow_every_size(void **state)
{
	(void)state;
	const char *vias[] = {
		"SIP/2.0/UDP 10.1.1.1:4540;rport;branch=z9hG4bKkjshdyff",
		"SIP/2.0/UDP proxy.example.net;branch=z9hG4bK2",
	};
	struct req_fixture f;
	static char full[BUF_SIZE], buf[BUF_SIZE];
	struct sr_resp w;
	const unsigned char canary = 0xA5;

	req_init(&f, vias, 2);
	size_t total = write_everything(&w, full, sizeof(full), &f.m);
	assert_true(total > 0 && total < sizeof(full) - 64);
	assert_int_equal(total, w.len);

	for (size_t cap = 0; cap <= total + 8; cap++) {
		memset(buf, canary, sizeof(buf));
		size_t n = write_everything(&w, buf, cap, &f.m);
		if (cap < total) {
			assert_int_equal(n, 0);
			assert_true(w.overflow);
			assert_true(w.len <= cap);
			/* What was written is a prefix of the full response. */
			assert_memory_equal(buf, full, w.len);
		} else {
			assert_int_equal(n, total);
			assert_memory_equal(buf, full, total);
		}
		for (size_t i = cap; i < sizeof(buf); i++)
			if ((unsigned char)buf[i] != canary)
				fail_msg("cap %zu: byte %zu written past the capacity", cap, i);
	}
	/* A NULL buffer behaves like capacity 0. */
	assert_int_equal(write_everything(&w, NULL, 100, &f.m), 0);
	req_free(&f);
}

/* ---- reason phrases ---- */

static void test_reason_table(void **state)
{
	(void)state;
	static const struct {
		int code;
		const char *reason;
	} cases[] = {
		{ 100, "Trying" }, { 180, "Ringing" }, { 181, "Call Is Being Forwarded" },
		{ 182, "Queued" }, { 183, "Session Progress" }, { 200, "OK" }, { 202, "Accepted" },
		{ 301, "Moved Permanently" }, { 302, "Moved Temporarily" }, { 400, "Bad Request" },
		{ 401, "Unauthorized" }, { 403, "Forbidden" }, { 404, "Not Found" },
		{ 405, "Method Not Allowed" }, { 408, "Request Timeout" }, { 410, "Gone" },
		{ 413, "Request Entity Too Large" }, { 414, "Request-URI Too Long" },
		{ 415, "Unsupported Media Type" }, { 416, "Unsupported URI Scheme" },
		{ 420, "Bad Extension" }, { 421, "Extension Required" }, { 423, "Interval Too Brief" },
		{ 430, "Flow Failed" }, { 439, "First Hop Lacks Outbound Support" },
		{ 480, "Temporarily Unavailable" }, { 481, "Call/Transaction Does Not Exist" },
		{ 482, "Loop Detected" }, { 483, "Too Many Hops" }, { 484, "Address Incomplete" },
		{ 485, "Ambiguous" }, { 486, "Busy Here" }, { 487, "Request Terminated" },
		{ 488, "Not Acceptable Here" }, { 500, "Server Internal Error" },
		{ 501, "Not Implemented" }, { 503, "Service Unavailable" }, { 504, "Server Time-out" },
		{ 505, "Version Not Supported" }, { 513, "Message Too Large" },
		{ 600, "Busy Everywhere" }, { 603, "Decline" }, { 604, "Does Not Exist Anywhere" },
		{ 606, "Not Acceptable" }, { 0, "Unknown" }, { 299, "Unknown" }, { 429, "Unknown" },
		{ -1, "Unknown" }, { 1000, "Unknown" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(sr_resp_reason(cases[i].code), cases[i].reason);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_line),
		cmocka_unit_test(test_header_helpers),
		cmocka_unit_test(test_dialog_headers_full),
		cmocka_unit_test(test_to_tag_kept_when_present),
		cmocka_unit_test(test_to_tag_empty_argument),
		cmocka_unit_test(test_missing_headers_skipped),
		cmocka_unit_test(test_via_host_matches_source),
		cmocka_unit_test(test_via_received_added),
		cmocka_unit_test(test_via_received_replaced),
		cmocka_unit_test(test_via_rport_filled),
		cmocka_unit_test(test_via_rport_with_value_kept),
		cmocka_unit_test(test_via_odd_spacing_and_quotes),
		cmocka_unit_test(test_contact_q_values),
		cmocka_unit_test(test_contact_params_and_gruu),
		cmocka_unit_test(test_contact_received),
		cmocka_unit_test(test_date_known),
		cmocka_unit_test(test_date_matches_gmtime),
		cmocka_unit_test(test_overflow_every_size),
		cmocka_unit_test(test_reason_table),
	};
	/* the Via echo again with each top Via parsed on the libosip2 path */
	const struct CMUnitTest via_tests[] = {
		cmocka_unit_test(test_dialog_headers_full),
		cmocka_unit_test(test_via_host_matches_source),
		cmocka_unit_test(test_via_received_added),
		cmocka_unit_test(test_via_received_replaced),
		cmocka_unit_test(test_via_rport_filled),
		cmocka_unit_test(test_via_rport_with_value_kept),
		cmocka_unit_test(test_via_odd_spacing_and_quotes),
	};
	int failed = cmocka_run_group_tests_name("fast", tests, NULL, NULL);
	g_flags = 0;
	failed += cmocka_run_group_tests_name("libosip2", via_tests, NULL, NULL);
	return failed;
}
