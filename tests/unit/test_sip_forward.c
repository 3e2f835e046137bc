/*
 * test_sip_forward.c - byte-exact tests of the proxy writers (sip_forward.h):
 * the forwarded request (Via, Max-Forwards, Record-Route, Route from Path
 * and the received Route minus ours, body untouched), its CANCEL and ACK,
 * the relayed response without our Via (with gathered headers added), and
 * the proxy's own responses from a kept head. Ranges are found in the test
 * messages with strstr, as the message view would hand them out. Every
 * writer is also replayed into every smaller buffer, with a canary.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sip_forward.h"

static const char INVITE[] = "INVITE sip:bob@example.com SIP/2.0\r\n"
			     "Via: SIP/2.0/UDP 198.51.100.2:5070;branch=z9hG4bK-c1;rport\r\n"
			     "Route: <sip:198.51.100.1:5060;lr>\r\n"
			     "Max-Forwards: 69\r\n"
			     "From: <sip:alice@example.com>;tag=a1\r\n"
			     "To: <sip:bob@example.com>\r\n"
			     "Route: <sip:next.example.net;lr>, <sip:last.example.net;lr>\r\n"
			     "Call-ID: c1@198.51.100.2\r\n"
			     "CSeq: 7 INVITE\r\n"
			     "Contact: <sip:alice@198.51.100.2:5070>\r\n"
			     "Content-Type: application/sdp\r\n"
			     "Content-Length: 4\r\n"
			     "\r\n"
			     "v=0\n";

/* The range of needle in hay (must be there). */
static struct sr_str find(const char *hay, const char *needle)
{
	const char *p = strstr(hay, needle);
	assert_non_null(p);
	return sr_str_make(p, strlen(needle));
}

static size_t offset_after(const char *hay, const char *needle)
{
	struct sr_str s = find(hay, needle);
	return (size_t)(s.p - hay) + s.len;
}

static struct sr_fwd_req invite_ranges(const char *msg)
{
	struct sr_fwd_req rq = { 0 };
	rq.msg = sr_str_make(msg, strlen(msg));
	rq.method = sr_str_make(msg, 6);
	rq.ruri = find(msg, "sip:bob@example.com");
	rq.headers_at = offset_after(msg, "SIP/2.0\r\n");
	rq.body_at = offset_after(msg, "\r\n\r\n");
	rq.max_forwards_line = find(msg, "Max-Forwards: 69\r\n");
	rq.max_forwards = 69;
	rq.n_route_lines = 2;
	rq.route_lines[0] = find(msg, "Route: <sip:198.51.100.1:5060;lr>\r\n");
	rq.route_lines[1] = find(msg, "Route: <sip:next.example.net;lr>, <sip:last.example.net;lr>\r\n");
	rq.n_routes = 3;
	rq.routes[0] = find(msg, "<sip:198.51.100.1:5060;lr>");
	rq.routes[1] = find(msg, "<sip:next.example.net;lr>");
	rq.routes[2] = find(msg, "<sip:last.example.net;lr>");
	rq.from = find(msg, "<sip:alice@example.com>;tag=a1");
	rq.to = find(msg, "<sip:bob@example.com>\r\n");
	rq.to.len -= 2;
	rq.call_id = find(msg, "c1@198.51.100.2");
	rq.cseq = 7;
	return rq;
}

static const struct sr_fwd_branch BRANCH = {
	.ruri = SR_STR_LIT("sip:bob@10.0.0.5:5062;transport=udp"),
	.sent_by = SR_STR_LIT("198.51.100.1:5060"),
	.branch = SR_STR_LIT("z9hG4bKsr01"),
	.record_route = SR_STR_LIT("sip:198.51.100.1:5060;lr"),
	.route_first = SR_STR_LIT("<sip:edge.example.net;lr>"),
	.route_skip = 1,
};

static const char FORWARDED[] = "INVITE sip:bob@10.0.0.5:5062;transport=udp SIP/2.0\r\n"
				"Via: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bKsr01\r\n"
				"Max-Forwards: 68\r\n"
				"Record-Route: <sip:198.51.100.1:5060;lr>\r\n"
				"Route: <sip:edge.example.net;lr>, <sip:next.example.net;lr>, <sip:last.example.net;lr>\r\n"
				"Via: SIP/2.0/UDP 198.51.100.2:5070;branch=z9hG4bK-c1;rport\r\n"
				"From: <sip:alice@example.com>;tag=a1\r\n"
				"To: <sip:bob@example.com>\r\n"
				"Call-ID: c1@198.51.100.2\r\n"
				"CSeq: 7 INVITE\r\n"
				"Contact: <sip:alice@198.51.100.2:5070>\r\n"
				"Content-Type: application/sdp\r\n"
				"Content-Length: 4\r\n"
				"\r\n"
				"v=0\n";

typedef size_t writer_fn(char *out, size_t cap, const void *arg);

/* Writes with fn, compares with want, then checks every smaller capacity gives 0 and stays inside it. */
static void check_writer(writer_fn *fn, const void *arg, const char *want)
{
	static char buf[4096];
	size_t n = fn(buf, sizeof(buf), arg);
	buf[n] = '\0';
	assert_string_equal(buf, want);
	assert_int_equal(n, strlen(want));
	for (size_t cap = 0; cap < n; cap++) {
		memset(buf, '#', cap + 16);
		assert_int_equal(fn(buf, cap, arg), 0);
		for (size_t i = cap; i < cap + 16; i++)
			assert_int_equal(buf[i], '#');
	}
}

struct fwd_arg {
	const struct sr_fwd_req *rq;
	const struct sr_fwd_branch *br;
	struct sr_str to;
};

static size_t w_request(char *out, size_t cap, const void *arg)
{
	const struct fwd_arg *a = arg;
	return sr_fwd_request(out, cap, a->rq, a->br);
}

static size_t w_cancel(char *out, size_t cap, const void *arg)
{
	const struct fwd_arg *a = arg;
	return sr_fwd_cancel(out, cap, a->rq, a->br);
}

static size_t w_ack(char *out, size_t cap, const void *arg)
{
	const struct fwd_arg *a = arg;
	return sr_fwd_ack(out, cap, a->rq, a->br, a->to);
}

static void test_forwarded_request(void **state)
{
	(void)state;
	struct sr_fwd_req rq = invite_ranges(INVITE);
	struct fwd_arg a = { &rq, &BRANCH, SR_STR_NULL };
	check_writer(w_request, &a, FORWARDED);
}

/* No Max-Forwards: 70 is added (16.6 step 3); no Route, no Record-Route, the received Request-URI. */
static void test_forwarded_minimal(void **state)
{
	(void)state;
	static const char msg[] = "OPTIONS sip:bob@example.com SIP/2.0\r\n"
				  "Via: SIP/2.0/UDP 198.51.100.2:5070;branch=z9hG4bK-o\r\n"
				  "CSeq: 1 OPTIONS\r\n"
				  "\r\n";
	struct sr_fwd_req rq = { 0 };
	rq.msg = sr_str_make(msg, strlen(msg));
	rq.method = sr_str_make(msg, 7);
	rq.ruri = find(msg, "sip:bob@example.com");
	rq.headers_at = offset_after(msg, "SIP/2.0\r\n");
	rq.body_at = rq.msg.len;
	struct sr_fwd_branch br = { .sent_by = SR_STR_LIT("198.51.100.1"), .branch = SR_STR_LIT("z9hG4bKx") };
	struct fwd_arg a = { &rq, &br, SR_STR_NULL };
	check_writer(w_request, &a,
		     "OPTIONS sip:bob@example.com SIP/2.0\r\n"
		     "Via: SIP/2.0/UDP 198.51.100.1;branch=z9hG4bKx\r\n"
		     "Max-Forwards: 70\r\n"
		     "Via: SIP/2.0/UDP 198.51.100.2:5070;branch=z9hG4bK-o\r\n"
		     "CSeq: 1 OPTIONS\r\n"
		     "\r\n");
	/* Inconsistent offsets are refused, not followed. */
	rq.body_at = rq.msg.len + 1;
	char out[512];
	assert_int_equal(sr_fwd_request(out, sizeof(out), &rq, &br), 0);
}

/* CANCEL and ACK repeat the INVITE's Request-URI, Via, Route, From, Call-ID and CSeq number. */
static void test_cancel_and_ack(void **state)
{
	(void)state;
	struct sr_fwd_req rq = invite_ranges(INVITE);
	struct fwd_arg a = { &rq, &BRANCH, SR_STR_LIT("<sip:bob@example.com>;tag=b9") };
	check_writer(w_cancel, &a,
		     "CANCEL sip:bob@10.0.0.5:5062;transport=udp SIP/2.0\r\n"
		     "Via: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bKsr01\r\n"
		     "Max-Forwards: 70\r\n"
		     "Route: <sip:edge.example.net;lr>, <sip:next.example.net;lr>, <sip:last.example.net;lr>\r\n"
		     "From: <sip:alice@example.com>;tag=a1\r\n"
		     "To: <sip:bob@example.com>\r\n"
		     "Call-ID: c1@198.51.100.2\r\n"
		     "CSeq: 7 CANCEL\r\n"
		     "Content-Length: 0\r\n"
		     "\r\n");
	check_writer(w_ack, &a,
		     "ACK sip:bob@10.0.0.5:5062;transport=udp SIP/2.0\r\n"
		     "Via: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bKsr01\r\n"
		     "Max-Forwards: 70\r\n"
		     "Route: <sip:edge.example.net;lr>, <sip:next.example.net;lr>, <sip:last.example.net;lr>\r\n"
		     "From: <sip:alice@example.com>;tag=a1\r\n"
		     "To: <sip:bob@example.com>;tag=b9\r\n"
		     "Call-ID: c1@198.51.100.2\r\n"
		     "CSeq: 7 ACK\r\n"
		     "Content-Length: 0\r\n"
		     "\r\n");
}

/* A kept copy with rebased ranges writes the same branch (serial forking long after the parse). */
static void test_rebase(void **state)
{
	(void)state;
	static char copy[sizeof(INVITE)];
	struct sr_fwd_req rq = invite_ranges(INVITE);
	memcpy(copy, INVITE, sizeof(INVITE));
	sr_fwd_req_rebase(&rq, INVITE, copy);
	assert_ptr_equal(rq.msg.p, copy);
	assert_ptr_equal(rq.ruri.p, copy + (strstr(INVITE, "sip:bob") - INVITE));
	assert_ptr_equal(rq.routes[2].p, copy + (strstr(INVITE, "<sip:last") - INVITE));
	char out[1024];
	size_t n = sr_fwd_request(out, sizeof(out), &rq, &BRANCH);
	assert_int_equal(n, strlen(FORWARDED));
	assert_memory_equal(out, FORWARDED, n);
	/* The bytes come from the copy, not the original. */
	memset(copy, 'x', 6);
	n = sr_fwd_request(out, sizeof(out), &rq, &BRANCH);
	assert_memory_equal(out, "xxxxxx sip:bob@10.0.0.5", 23);
}

struct resp_arg {
	const struct sr_fwd_resp *rs;
	struct sr_str extra;
};

static size_t w_response(char *out, size_t cap, const void *arg)
{
	const struct resp_arg *a = arg;
	return sr_fwd_response(out, cap, a->rs, a->extra);
}

static struct sr_fwd_resp resp_ranges(const char *msg, const char *via_line, const char *via)
{
	struct sr_fwd_resp rs = { 0 };
	rs.msg = sr_str_make(msg, strlen(msg));
	rs.top_via_line = find(msg, via_line);
	rs.top_via = find(msg, via);
	rs.headers_end = (size_t)(strstr(msg, "\r\n\r\n") - msg) + 2;
	return rs;
}

/* 16.7 step 9: our Via goes (the line, or the value and its comma), gathered lines join the headers. */
static void test_relayed_response(void **state)
{
	(void)state;
	static const char own_line[] = "SIP/2.0 401 Unauthorized\r\n"
				       "Via: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bKsr01\r\n"
				       "Via: SIP/2.0/UDP 198.51.100.2:5070;branch=z9hG4bK-c1;rport=5070\r\n"
				       "WWW-Authenticate: Digest realm=\"b\"\r\n"
				       "Content-Length: 2\r\n"
				       "\r\n"
				       "ok";
	struct sr_fwd_resp rs = resp_ranges(own_line, "Via: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bKsr01\r\n",
					    "SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bKsr01");
	struct resp_arg a = { &rs, SR_STR_LIT("WWW-Authenticate: Digest realm=\"c\"\r\n") };
	check_writer(w_response, &a,
		     "SIP/2.0 401 Unauthorized\r\n"
		     "Via: SIP/2.0/UDP 198.51.100.2:5070;branch=z9hG4bK-c1;rport=5070\r\n"
		     "WWW-Authenticate: Digest realm=\"b\"\r\n"
		     "Content-Length: 2\r\n"
		     "WWW-Authenticate: Digest realm=\"c\"\r\n"
		     "\r\n"
		     "ok");
	static const char shared[] = "SIP/2.0 180 Ringing\r\n"
				     "v: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bKsr01 , SIP/2.0/UDP 198.51.100.2\r\n"
				     "Content-Length: 0\r\n"
				     "\r\n";
	rs = resp_ranges(shared, "v: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bKsr01 , SIP/2.0/UDP 198.51.100.2\r\n",
			 "SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bKsr01");
	a.extra = SR_STR_NULL;
	check_writer(w_response, &a,
		     "SIP/2.0 180 Ringing\r\n"
		     "v: SIP/2.0/UDP 198.51.100.2\r\n"
		     "Content-Length: 0\r\n"
		     "\r\n");
	/* A Via range outside the headers is refused. */
	rs.top_via = find(shared, "Content-Length: 0");
	char out[512];
	assert_int_equal(sr_fwd_response(out, sizeof(out), &rs, SR_STR_NULL), 0);
}

struct local_arg {
	int status;
	const struct sr_fwd_head *head;
	struct sr_str tag;
};

static size_t w_local(char *out, size_t cap, const void *arg)
{
	const struct local_arg *a = arg;
	return sr_fwd_local_response(out, cap, a->status, NULL, a->head, a->tag, SR_STR_NULL);
}

static void test_local_responses(void **state)
{
	(void)state;
	static const char lines[] = "Via: SIP/2.0/UDP 198.51.100.2:5070;branch=z9hG4bK-c1;rport=5070\r\n"
				    "From: <sip:alice@example.com>;tag=a1\r\n"
				    "To: <sip:bob@example.com>\r\n"
				    "Call-ID: c1@198.51.100.2\r\n"
				    "CSeq: 7 INVITE\r\n";
	struct sr_fwd_head head = { sr_str_make(lines, strlen(lines)),
				    (size_t)(strstr(lines, ">\r\nCall-ID") - lines) + 1 };
	struct local_arg a = { 480, &head, SR_STR_LIT("px1") };
	check_writer(w_local, &a,
		     "SIP/2.0 480 Temporarily Unavailable\r\n"
		     "Via: SIP/2.0/UDP 198.51.100.2:5070;branch=z9hG4bK-c1;rport=5070\r\n"
		     "From: <sip:alice@example.com>;tag=a1\r\n"
		     "To: <sip:bob@example.com>;tag=px1\r\n"
		     "Call-ID: c1@198.51.100.2\r\n"
		     "CSeq: 7 INVITE\r\n"
		     "Content-Length: 0\r\n"
		     "\r\n");
	/* 100 Trying: no tag (17.2.1). */
	char out[1024];
	size_t n = sr_fwd_local_response(out, sizeof(out), 100, NULL, &head, SR_STR_NULL, SR_STR_NULL);
	out[n] = '\0';
	assert_non_null(strstr(out, "SIP/2.0 100 Trying\r\n"));
	assert_non_null(strstr(out, "To: <sip:bob@example.com>\r\n"));
	/* A To that has its tag already keeps it alone. */
	head.to_tag_at = 0;
	n = sr_fwd_local_response(out, sizeof(out), 408, "Request Timeout", &head, SR_STR_LIT("px1"),
				  SR_STR_LIT("Retry-After: 5\r\n"));
	out[n] = '\0';
	assert_null(strstr(out, "px1"));
	assert_non_null(strstr(out, "CSeq: 7 INVITE\r\nRetry-After: 5\r\nContent-Length: 0\r\n\r\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forwarded_request),
		cmocka_unit_test(test_forwarded_minimal),
		cmocka_unit_test(test_cancel_and_ack),
		cmocka_unit_test(test_rebase),
		cmocka_unit_test(test_relayed_response),
		cmocka_unit_test(test_local_responses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
