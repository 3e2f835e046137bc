/*
 * test_sip_midreg.c - byte-exact tests of the mid-registrar's writers
 * (sip_midreg.h): the forwarded REGISTER (our Via, Call-ID, CSeq and
 * contacts; Route, Path, the UA's Vias dropped; credentials and other lines
 * kept; compact names; Expires kept only when asked), sipreg's own
 * de-REGISTER, the answer mapped back to the UA from a kept head (the main
 * registrar's other lines, our lines, restored and foreign contacts, the
 * received parameter), our contact URIs (ct-param, ct-username, the AoR
 * contact with its escapes) and reading them back. Every writer is also
 * replayed into every smaller buffer, with a canary.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sip_midreg.h"

#define MAX_LINES 32

/* Splits the header section of msg into lines with names, as the message view would hand them out. */
static unsigned split_lines(const char *msg, struct sr_mid_line *lines, struct sr_str *body)
{
	const char *p = strstr(msg, "\r\n") + 2, *end = strstr(msg, "\r\n\r\n") + 2;
	unsigned n = 0;
	while (p < end) {
		const char *eol = strstr(p, "\r\n") + 2, *colon = strchr(p, ':');
		assert_true(n < MAX_LINES);
		lines[n].line = sr_str_make(p, (size_t)(eol - p));
		lines[n].name = sr_str_make(p, (size_t)(colon - p));
		n++;
		p = eol;
	}
	if (body)
		*body = sr_str_cstr(end + 2);
	return n;
}

static const char UA_REGISTER[] =
	"REGISTER sip:example.com SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 198.51.100.2:5070;branch=z9hG4bK-u1;rport\r\n"
	"Max-Forwards: 70\r\n"
	"Route: <sip:198.51.100.1;lr>\r\n"
	"From: <sip:alice@example.com>;tag=a1\r\n"
	"To: <sip:alice@example.com>\r\n"
	"Call-ID: ua-call@198.51.100.2\r\n"
	"CSeq: 5 REGISTER\r\n"
	"Contact: <sip:alice@198.51.100.2:5070;transport=udp>;expires=60;+sip.instance=\"<urn:uuid:1;a>\";reg-id=1;q=0.5\r\n"
	"Path: <sip:edge.example.net;lr>\r\n"
	"Expires: 60\r\n"
	"Authorization: Digest username=\"alice\", realm=\"example.com\", nonce=\"n\", uri=\"sip:example.com\", "
	"response=\"r\"\r\n"
	"User-Agent: test\r\n"
	"Content-Length: 0\r\n"
	"\r\n";

static const struct sr_mid_uri_form form_param = {
	.self = SR_STR_LIT("198.51.100.1:5060"),
	.ctid_param = SR_STR_LIT("ctid"),
	.at_escape = SR_STR_LIT("%40"),
};

/* Runs a writer into every buffer shorter than its output: each must give 0 and stay inside. */
typedef size_t writer_fn(char *out, size_t cap, const void *arg);

static void check_small_buffers(writer_fn *fn, const void *arg, size_t full)
{
	char buf[4096];
	for (size_t cap = 0; cap < full; cap++) {
		memset(buf, '#', sizeof(buf));
		assert_int_equal(fn(buf, cap, arg), 0);
		for (size_t i = cap; i < sizeof(buf); i++)
			assert_int_equal(buf[i], '#');
	}
}

static size_t fwd_fn(char *out, size_t cap, const void *arg)
{
	return sr_mid_forward(out, cap, arg);
}

static void test_forward(void **state)
{
	(void)state;
	struct sr_mid_line lines[MAX_LINES];
	struct sr_str body;
	unsigned n = split_lines(UA_REGISTER, lines, &body);
	char uri[128];
	size_t ul = sr_mid_contact_uri(uri, sizeof(uri), &form_param, SR_STR_LIT("alice"), 0xab);
	const char *cp = strstr(UA_REGISTER, ">;expires=60") + 1;
	struct sr_mid_contact ct = { sr_str_make(uri, ul), sr_str_make(cp, (size_t)(strstr(cp, "\r\n") - cp)), 3600 };
	struct sr_mid_fwd f = {
		.ruri = SR_STR_LIT("sip:example.com"),
		.sent_by = SR_STR_LIT("198.51.100.1:5060"),
		.branch = SR_STR_LIT("z9hG4bKsr01"),
		.max_forwards = 69,
		.n_lines = n,
		.lines = lines,
		.call_id = SR_STR_LIT("mr-1"),
		.cseq = 9,
		.n_contacts = 1,
		.contacts = &ct,
		.body = body,
	};
	static const char want[] =
		"REGISTER sip:example.com SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bKsr01\r\n"
		"Max-Forwards: 69\r\n"
		"From: <sip:alice@example.com>;tag=a1\r\n"
		"To: <sip:alice@example.com>\r\n"
		"Authorization: Digest username=\"alice\", realm=\"example.com\", nonce=\"n\", uri=\"sip:example.com\", "
		"response=\"r\"\r\n"
		"User-Agent: test\r\n"
		"Content-Length: 0\r\n"
		"Call-ID: mr-1\r\n"
		"CSeq: 9 REGISTER\r\n"
		"Contact: <sip:alice@198.51.100.1:5060;ctid=00000000000000ab>;+sip.instance=\"<urn:uuid:1;a>\";q=0.5;"
		"expires=3600\r\n"
		"\r\n";
	char out[2048];
	size_t len = sr_mid_forward(out, sizeof(out), &f);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(out, want, len);
	check_small_buffers(fwd_fn, &f, len);

	/* Mirror: the UA's Expires goes on, and a contact without expiry gets none. */
	f.keep_expires = true;
	ct.expires = -1;
	len = sr_mid_forward(out, sizeof(out), &f);
	out[len] = '\0';
	assert_non_null(strstr(out, "Expires: 60\r\nAuthorization"));
	assert_non_null(strstr(out, "q=0.5\r\n\r\n"));
}

/* Compact names are recognised; a body and its Content-Length travel untouched. */
static void test_forward_compact_and_body(void **state)
{
	(void)state;
	static const char msg[] = "REGISTER sip:example.com SIP/2.0\r\n"
				  "v: SIP/2.0/UDP 198.51.100.2;branch=z9hG4bK-2\r\n"
				  "f: <sip:bob@example.com>;tag=b\r\n"
				  "t: <sip:bob@example.com>\r\n"
				  "i: ua2\r\n"
				  "CSeq: 1 REGISTER\r\n"
				  "m: <sip:198.51.100.2>\r\n"
				  "c: text/plain\r\n"
				  "l: 3\r\n"
				  "\r\n"
				  "abc";
	struct sr_mid_line lines[MAX_LINES];
	struct sr_str body;
	unsigned n = split_lines(msg, lines, &body);
	struct sr_mid_contact ct = { SR_STR_LIT("sip:198.51.100.1:5060;ctid=1"), SR_STR_NULL, 0 };
	struct sr_mid_fwd f = {
		.ruri = SR_STR_LIT("sip:example.com"), .sent_by = SR_STR_LIT("h:1"), .branch = SR_STR_LIT("b"),
		.max_forwards = 70, .n_lines = n, .lines = lines, .call_id = SR_STR_LIT("c"), .cseq = 2,
		.n_contacts = 1, .contacts = &ct, .body = body,
	};
	static const char want[] = "REGISTER sip:example.com SIP/2.0\r\n"
				   "Via: SIP/2.0/UDP h:1;branch=b\r\n"
				   "Max-Forwards: 70\r\n"
				   "f: <sip:bob@example.com>;tag=b\r\n"
				   "t: <sip:bob@example.com>\r\n"
				   "c: text/plain\r\n"
				   "l: 3\r\n"
				   "Call-ID: c\r\n"
				   "CSeq: 2 REGISTER\r\n"
				   "Contact: <sip:198.51.100.1:5060;ctid=1>;expires=0\r\n"
				   "\r\n"
				   "abc";
	char out[1024];
	size_t len = sr_mid_forward(out, sizeof(out), &f);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(out, want, len);
}

static size_t own_fn(char *out, size_t cap, const void *arg)
{
	return sr_mid_own_register(out, cap, arg);
}

static void test_own_register(void **state)
{
	(void)state;
	struct sr_mid_own o = {
		.ruri = SR_STR_LIT("sip:example.com"),
		.sent_by = SR_STR_LIT("198.51.100.1:5060"),
		.branch = SR_STR_LIT("z9hG4bKsr02"),
		.aor = SR_STR_LIT("sip:alice@example.com"),
		.from_tag = SR_STR_LIT("mr1"),
		.call_id = SR_STR_LIT("mr-1"),
		.cseq = 10,
		.contact_uri = SR_STR_LIT("sip:alice%40example.com@198.51.100.1:5060"),
		.expires = 0,
	};
	static const char want[] = "REGISTER sip:example.com SIP/2.0\r\n"
				   "Via: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bKsr02\r\n"
				   "Max-Forwards: 70\r\n"
				   "From: <sip:alice@example.com>;tag=mr1\r\n"
				   "To: <sip:alice@example.com>\r\n"
				   "Call-ID: mr-1\r\n"
				   "CSeq: 10 REGISTER\r\n"
				   "Contact: <sip:alice%40example.com@198.51.100.1:5060>;expires=0\r\n"
				   "Content-Length: 0\r\n"
				   "\r\n";
	char out[1024];
	size_t len = sr_mid_own_register(out, sizeof(out), &o);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(out, want, len);
	check_small_buffers(own_fn, &o, len);
}

static const char HEAD[] = "Via: SIP/2.0/UDP 198.51.100.2:5070;branch=z9hG4bK-u1;rport=5070;received=203.0.113.7\r\n"
			   "From: <sip:alice@example.com>;tag=a1\r\n"
			   "To: <sip:alice@example.com>\r\n"
			   "Call-ID: ua-call@198.51.100.2\r\n"
			   "CSeq: 5 REGISTER\r\n";

static const char UP_200[] = "SIP/2.0 200 Fine\r\n"
			     "Via: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bKsr01\r\n"
			     "From: <sip:alice@example.com>;tag=a1\r\n"
			     "To: <sip:alice@example.com>;tag=up1\r\n"
			     "Call-ID: mr-1\r\n"
			     "CSeq: 9 REGISTER\r\n"
			     "Contact: <sip:alice@198.51.100.1:5060;ctid=00000000000000ab>;expires=3600\r\n"
			     "Contact: <sip:carol@203.0.113.9>;expires=100\r\n"
			     "Service-Route: <sip:orig@scscf.example.com;lr>\r\n"
			     "Expires: 3600\r\n"
			     "Date: Sat, 21 Nov 2026 11:49:00 GMT\r\n"
			     "Content-Type: text/plain\r\n"
			     "Content-Length: 2\r\n"
			     "\r\n"
			     "hi";

struct reply_arg {
	const struct sr_mid_reply *r;
	char scratch[2048];
};

static size_t reply_fn(char *out, size_t cap, const void *arg)
{
	struct reply_arg *a = (struct reply_arg *)arg;
	return sr_mid_reply(out, cap, a->scratch, sizeof(a->scratch), a->r);
}

static void test_reply(void **state)
{
	(void)state;
	struct sr_fwd_head head = { SR_STR_LIT(HEAD), (size_t)(strstr(HEAD, "\r\nCall-ID") - HEAD) };
	struct sr_mid_line lines[MAX_LINES];
	unsigned n = split_lines(UP_200, lines, NULL);
	struct sr_mid_reply_contact rc = {
		.uri = SR_STR_LIT("sip:alice@198.51.100.2:5070;transport=udp"),
		.params = SR_STR_LIT(";+sip.instance=\"<urn:uuid:1;a>\""),
		.expires = 60,
		.q = 500,
		.received = SR_STR_LIT("sip:203.0.113.7:40000"),
		.received_param = SR_STR_LIT("received"),
	};
	struct sr_str foreign = SR_STR_LIT("<sip:carol@203.0.113.9>;expires=100");
	struct sr_mid_reply r = {
		.status = 200,
		.reason = SR_STR_LIT("Fine"),
		.head = &head,
		.to_tag = SR_STR_LIT("up1"),
		.n_lines = n,
		.lines = lines,
		.extra = SR_STR_LIT("Path: <sip:edge.example.net;lr>\r\n"),
		.n_contacts = 1,
		.contacts = &rc,
		.n_foreign = 1,
		.foreign = &foreign,
	};
	static const char want[] =
		"SIP/2.0 200 Fine\r\n"
		"Via: SIP/2.0/UDP 198.51.100.2:5070;branch=z9hG4bK-u1;rport=5070;received=203.0.113.7\r\n"
		"From: <sip:alice@example.com>;tag=a1\r\n"
		"To: <sip:alice@example.com>;tag=up1\r\n"
		"Call-ID: ua-call@198.51.100.2\r\n"
		"CSeq: 5 REGISTER\r\n"
		"Service-Route: <sip:orig@scscf.example.com;lr>\r\n"
		"Date: Sat, 21 Nov 2026 11:49:00 GMT\r\n"
		"Path: <sip:edge.example.net;lr>\r\n"
		"Contact: <sip:alice@198.51.100.2:5070;transport=udp>;+sip.instance=\"<urn:uuid:1;a>\";"
		"received=\"sip:203.0.113.7:40000\";expires=60;q=0.5\r\n"
		"Contact: <sip:carol@203.0.113.9>;expires=100\r\n"
		"Content-Length: 0\r\n"
		"\r\n";
	struct reply_arg a = { .r = &r };
	char out[2048];
	size_t len = reply_fn(out, sizeof(out), &a);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(out, want, len);
	check_small_buffers(reply_fn, &a, len);

	/* A challenge: the main registrar's WWW-Authenticate goes back, the standard phrase when it has none. */
	static const char up401[] = "SIP/2.0 401 Unauthorized\r\n"
				    "Via: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bKsr01\r\n"
				    "WWW-Authenticate: Digest realm=\"example.com\", nonce=\"xyz\"\r\n"
				    "Content-Length: 0\r\n"
				    "\r\n";
	n = split_lines(up401, lines, NULL);
	struct sr_mid_reply r401 = { .status = 401, .head = &head, .to_tag = SR_STR_LIT("t"), .n_lines = n,
				     .lines = lines };
	a.r = &r401;
	len = reply_fn(out, sizeof(out), &a);
	out[len] = '\0';
	assert_true(strncmp(out, "SIP/2.0 401 Unauthorized\r\n", 26) == 0);
	assert_non_null(strstr(out, "To: <sip:alice@example.com>;tag=t\r\n"));
	assert_non_null(strstr(out, "CSeq: 5 REGISTER\r\nWWW-Authenticate: Digest realm=\"example.com\", nonce=\"xyz\"\r\n"
				    "Content-Length: 0\r\n\r\n"));
}

static void test_contact_uris(void **state)
{
	(void)state;
	char out[256];
	size_t n = sr_mid_contact_uri(out, sizeof(out), &form_param, SR_STR_LIT("alice"), 0x0123456789abcdefull);
	assert_int_equal(n, strlen("sip:alice@198.51.100.1:5060;ctid=0123456789abcdef"));
	assert_memory_equal(out, "sip:alice@198.51.100.1:5060;ctid=0123456789abcdef", n);
	n = sr_mid_contact_uri(out, sizeof(out), &form_param, SR_STR_NULL, 1);
	assert_memory_equal(out, "sip:198.51.100.1:5060;ctid=0000000000000001", n);

	struct sr_mid_uri_form user = form_param;
	user.ct_username = true;
	user.extra_params = SR_STR_LIT(";transport=udp");
	n = sr_mid_contact_uri(out, sizeof(out), &user, SR_STR_LIT("alice"), 0xabc);
	assert_int_equal(n, strlen("sip:0000000000000abc@198.51.100.1:5060;transport=udp"));
	assert_memory_equal(out, "sip:0000000000000abc@198.51.100.1:5060;transport=udp", n);
	assert_int_equal(sr_mid_contact_uri(out, 10, &user, SR_STR_NULL, 1), 0);

	uint64_t id;
	assert_true(sr_mid_ctid_parse(SR_STR_LIT("0123456789ABCDEF"), &id));
	assert_true(id == 0x0123456789abcdefull);
	assert_true(sr_mid_ctid_parse(SR_STR_LIT("ff"), &id) && id == 0xff);
	assert_false(sr_mid_ctid_parse(SR_STR_LIT(""), &id));
	assert_false(sr_mid_ctid_parse(SR_STR_LIT("0123456789abcdef0"), &id));
	assert_false(sr_mid_ctid_parse(SR_STR_LIT("12g"), &id));
}

/* The AoR contact of AoR throttling and back: escapes for what a user part may not hold. */
static void test_aor_contact(void **state)
{
	(void)state;
	char out[256], aor[256];
	size_t n = sr_mid_aor_contact_uri(out, sizeof(out), &form_param, SR_STR_LIT("sip:alice@example.com"));
	assert_int_equal(n, strlen("sip:alice%40example.com@198.51.100.1:5060"));
	assert_memory_equal(out, "sip:alice%40example.com@198.51.100.1:5060", n);

	n = sr_mid_aor_contact_uri(out, sizeof(out), &form_param, SR_STR_LIT("sip:a%40b@[2001:db8::1]"));
	static const char v6[] = "sip:a%40b%40%5B2001%3Adb8%3A%3A1%5D@198.51.100.1:5060";
	assert_int_equal(n, strlen(v6));
	assert_memory_equal(out, v6, n);
	/* Back: split at the last escape, the domain unescaped, the user as it was. */
	struct sr_str user = sr_str_make(out + 4, n - 4 - strlen("@198.51.100.1:5060"));
	size_t k = sr_mid_aor_from_user(aor, sizeof(aor), user, SR_STR_LIT("%40"), SR_STR_LIT("sip"));
	assert_int_equal(k, strlen("sip:a%40b@[2001:db8::1]"));
	assert_memory_equal(aor, "sip:a%40b@[2001:db8::1]", k);

	struct sr_mid_uri_form under = form_param;
	under.at_escape = SR_STR_LIT("___");
	n = sr_mid_aor_contact_uri(out, sizeof(out), &under, SR_STR_LIT("sip:zach@sipdomain.invalid"));
	assert_memory_equal(out, "sip:zach___sipdomain.invalid@198.51.100.1:5060", n);
	k = sr_mid_aor_from_user(aor, sizeof(aor), SR_STR_LIT("zach___sipdomain.invalid"), SR_STR_LIT("___"),
				 SR_STR_LIT("sip"));
	assert_memory_equal(aor, "sip:zach@sipdomain.invalid", k);
	/* An AoR without a user part. */
	n = sr_mid_aor_contact_uri(out, sizeof(out), &form_param, SR_STR_LIT("sip:example.com"));
	assert_memory_equal(out, "sip:%40example.com@198.51.100.1:5060", n);
	k = sr_mid_aor_from_user(aor, sizeof(aor), SR_STR_LIT("%40example.com"), SR_STR_LIT("%40"), SR_STR_LIT("sip"));
	assert_memory_equal(aor, "sip:example.com", k);

	assert_int_equal(sr_mid_aor_from_user(aor, sizeof(aor), SR_STR_LIT("alice"), SR_STR_LIT("%40"),
					      SR_STR_LIT("sip")), 0);
	assert_int_equal(sr_mid_aor_from_user(aor, sizeof(aor), SR_STR_LIT("alice%40"), SR_STR_LIT("%40"),
					      SR_STR_LIT("sip")), 0);
	assert_int_equal(sr_mid_aor_contact_uri(out, sizeof(out), &form_param, SR_STR_LIT("alice")), 0);
	assert_int_equal(sr_mid_aor_from_user(aor, 5, SR_STR_LIT("alice%40example.com"), SR_STR_LIT("%40"),
					      SR_STR_LIT("sip")), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forward),
		cmocka_unit_test(test_forward_compact_and_body),
		cmocka_unit_test(test_own_register),
		cmocka_unit_test(test_reply),
		cmocka_unit_test(test_contact_uris),
		cmocka_unit_test(test_aor_contact),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
