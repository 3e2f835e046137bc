/*
 * test_route_proxy.c - the redirect server and the stateful forking proxy at
 * the logic level: one routing shard, a fake worker (route_harness) that
 * writes the requests and answers as the UAs would, and a fake clock.
 * Scenarios from issue 12's test list: parallel ringing with CANCEL of the
 * loser, serial forking after a 486, 480 when all fail, 408 on timeout, 6xx
 * stops forking, GRUU reaches exactly its instance, Path -> Route, NAT
 * source destination, foreign domain refused; plus the caller's CANCEL,
 * 401/407 aggregation, Record-Route with in-dialog ACK and BYE, loops,
 * Max-Forwards, exhausted pools, 430 flow failover, Timer C, redirect.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "route_harness.h"

#define IP_A "198.51.100.11"
#define IP_B "198.51.100.12"
#define IP_C "198.51.100.13"

static bool starts(const struct rh *h, int i, const char *prefix)
{
	return i >= 0 && (unsigned)i < h->n_sends && strncmp(h->sends[i].bytes, prefix, strlen(prefix)) == 0;
}

static bool to_addr(const struct rh *h, int i, const char *ip, uint16_t port)
{
	return h->sends[i].to.ip == rh_ip(ip) && h->sends[i].to.port == port;
}

/* The branch of the top Via of send i. */
static const char *top_branch(const struct rh *h, unsigned i, char *out, size_t cap)
{
	char via[512];
	rh_header(h, i, "Via", via, sizeof(via));
	const char *b = strstr(via, "branch=");
	assert_non_null(b);
	snprintf(out, cap, "%.*s", (int)strcspn(b + 7, ";"), b + 7);
	return out;
}

/* Sends to the caller that are responses (start with "SIP/2.0 "). */
static unsigned upstream(const struct rh *h, unsigned from)
{
	unsigned n = 0;
	for (unsigned i = from; i < h->n_sends; i++)
		n += starts(h, (int)i, "SIP/2.0 ") && to_addr(h, (int)i, "198.51.100.2", 5070);
	return n;
}

static void all_done(struct rh *h)
{
	rh_run_to(h, h->now + 70000);
	assert_int_equal(sr_route_stats(h->rs)->live_contexts, 0);
	assert_int_equal(sr_txn_stats(sr_route_txn(h->rs))->live, 0);
}

static void test_parallel_ringing_cancels_the_loser(void **state)
{
	(void)state;
	struct rh h;
	char v[512], b1[64], b5[64];
	rh_init(&h, NULL);
	rh_bind(&h, "sip:bob@" IP_A ":5061", 1000, rh_ip(IP_A), 5061);
	rh_bind(&h, "sip:bob@" IP_B ":5062", 1000, rh_ip(IP_B), 5062);
	assert_int_equal(rh_request(&h, &(struct rh_req){ 0 }), SR_ROUTE_HANDLED);
	assert_int_equal(h.lookups, 1);
	assert_string_equal(h.last_aor, "sip:bob@example.com");
	assert_int_equal(h.n_sends, 3);
	assert_true(starts(&h, 0, "SIP/2.0 100 Trying\r\n"));
	assert_true(to_addr(&h, 0, "198.51.100.2", 5070));
	assert_string_equal(rh_header(&h, 0, "To", v, sizeof(v)), "<sip:bob@example.com>"); /* no tag on 100 */
	assert_true(starts(&h, 1, "INVITE sip:bob@" IP_A ":5061 SIP/2.0\r\n"));
	assert_true(to_addr(&h, 1, IP_A, 5061));
	assert_true(starts(&h, 2, "INVITE sip:bob@" IP_B ":5062 SIP/2.0\r\n"));
	assert_true(to_addr(&h, 2, IP_B, 5062));
	assert_string_equal(rh_header(&h, 1, "Max-Forwards", v, sizeof(v)), "69");
	assert_memory_equal(rh_header(&h, 1, "Via", v, sizeof(v)), "SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bKsr05", 48);
	assert_null(strstr(h.sends[1].bytes, "Record-Route")); /* record_route is off */

	/* A rings: relayed without our Via. B answers: relayed, and A (ringing) gets its CANCEL. */
	assert_int_equal(rh_answer(&h, 1, 180, "a-tag", NULL), 1);
	assert_true(starts(&h, 3, "SIP/2.0 180 Ringing\r\n"));
	assert_memory_equal(rh_header(&h, 3, "Via", v, sizeof(v)), "SIP/2.0/UDP 198.51.100.2:5070;branch=z9hG4bK-caller-1", 52);
	assert_int_equal(rh_answer(&h, 2, 200, "b-tag", NULL), 1);
	assert_true(starts(&h, 4, "SIP/2.0 200 OK\r\n"));
	assert_true(to_addr(&h, 4, "198.51.100.2", 5070));
	assert_true(starts(&h, 5, "CANCEL sip:bob@" IP_A ":5061 SIP/2.0\r\n"));
	assert_true(to_addr(&h, 5, IP_A, 5061));
	assert_string_equal(top_branch(&h, 5, b5, sizeof(b5)), top_branch(&h, 1, b1, sizeof(b1)));
	assert_int_equal(h.n_sends, 6); /* B is not cancelled */
	assert_int_equal(rh_answer(&h, 5, 200, "a-tag", NULL), 1); /* the CANCEL's 200 stays here */
	assert_int_equal(rh_answer(&h, 1, 487, "a-tag", NULL), 1);
	assert_true(starts(&h, 6, "ACK sip:bob@" IP_A ":5061 SIP/2.0\r\n")); /* hop by hop */
	assert_string_equal(rh_header(&h, 6, "To", v, sizeof(v)), "<sip:bob@example.com>;tag=a-tag");
	assert_int_equal(h.n_sends, 7);
	assert_int_equal(upstream(&h, 0), 3); /* 100, 180, 200: the 487 stays here */
	assert_int_equal(sr_route_stats(h.rs)->branches, 2);
	assert_int_equal(sr_route_stats(h.rs)->forwarded, 1);
	all_done(&h);
	rh_free(&h);
}

static void test_serial_forking_after_486(void **state)
{
	(void)state;
	struct rh h;
	rh_init(&h, NULL);
	rh_bind(&h, "sip:bob@" IP_B ":5062", 500, rh_ip(IP_B), 5062);
	rh_bind(&h, "sip:bob@" IP_A ":5061", 1000, rh_ip(IP_A), 5061);
	rh_request(&h, &(struct rh_req){ 0 });
	assert_int_equal(h.n_sends, 2); /* 100, and only the highest q */
	assert_true(starts(&h, 1, "INVITE sip:bob@" IP_A));
	h.now += 2000;
	rh_answer(&h, 1, 486, "a-tag", NULL);
	assert_true(starts(&h, 2, "ACK sip:bob@" IP_A));
	assert_true(starts(&h, 3, "INVITE sip:bob@" IP_B ":5062 SIP/2.0\r\n"));
	assert_true(to_addr(&h, 3, IP_B, 5062));
	rh_answer(&h, 3, 180, "b-tag", NULL);
	rh_answer(&h, 3, 200, "b-tag", NULL);
	assert_int_equal(upstream(&h, 0), 3); /* 100, 180, 200; never the 486 */
	assert_int_equal(rh_find(&h, 0, "SIP/2.0 486"), -1);
	all_done(&h);
	rh_free(&h);
}

/*
 * 405 with the methods they accept when every binding's registered Allow
 * excludes the method (RFC 3261 21.4.6); a binding without Allow takes
 * everything, and an extension method is never filtered.
 */
static void test_405_when_allow_excludes(void **state)
{
	(void)state;
	struct rh h;
	char v[256];
	rh_init(&h, NULL);
	rh_bind(&h, "sip:bob@" IP_A, 1000, rh_ip(IP_A), 5060)->allow = SR_SIP_ALLOW_PRESENT | SR_M_MESSAGE;
	rh_bind(&h, "sip:bob@" IP_B, 1000, rh_ip(IP_B), 5060)->allow = SR_SIP_ALLOW_PRESENT | SR_M_OPTIONS | SR_M_MESSAGE;
	rh_request(&h, &(struct rh_req){ 0 });
	assert_int_equal(h.n_sends, 1);
	assert_true(starts(&h, 0, "SIP/2.0 405 Method Not Allowed\r\n"));
	assert_string_equal(rh_header(&h, 0, "Allow", v, sizeof(v)), "OPTIONS, MESSAGE");
	assert_non_null(strstr(rh_header(&h, 0, "To", v, sizeof(v)), ";tag=")); /* our own final: tagged */
	assert_int_equal(sr_route_stats(h.rs)->filtered, 2);
	assert_int_equal(sr_route_stats(h.rs)->method_refused, 1);
	rh_free(&h);

	/* an empty Allow registered: 405 with an empty Allow (the UA accepts no method we know) */
	rh_init(&h, NULL);
	rh_bind(&h, "sip:bob@" IP_A, 1000, rh_ip(IP_A), 5060)->allow = SR_SIP_ALLOW_PRESENT;
	rh_request(&h, &(struct rh_req){ 0 });
	assert_true(starts(&h, 0, "SIP/2.0 405 Method Not Allowed\r\n"));
	assert_string_equal(rh_header(&h, 0, "Allow", v, sizeof(v)), "");
	rh_free(&h);

	/* one binding without Allow registered takes it: one branch, to that binding */
	rh_init(&h, NULL);
	rh_bind(&h, "sip:bob@" IP_A, 1000, rh_ip(IP_A), 5060)->allow = SR_SIP_ALLOW_PRESENT | SR_M_MESSAGE;
	rh_bind(&h, "sip:bob@" IP_B, 1000, rh_ip(IP_B), 5060);
	rh_request(&h, &(struct rh_req){ 0 });
	assert_int_equal(h.n_sends, 2); /* 100 Trying upstream, the INVITE to B */
	assert_true(to_addr(&h, 1, IP_B, 5060));
	assert_int_equal(sr_route_stats(h.rs)->filtered, 1);
	assert_int_equal(sr_route_stats(h.rs)->method_refused, 0);
	rh_free(&h);
}

/* 480 when nothing can be tried: every binding skipped not only for its Allow; or the only branch's flow failed (430, no other flow). */
static void test_480_when_all_fail(void **state)
{
	(void)state;
	struct rh h;
	char v[256];
	rh_init(&h, NULL);
	rh_bind(&h, "sip:bob@" IP_A, 1000, rh_ip(IP_A), 5060)->allow = SR_M_MESSAGE;
	rh_bind(&h, "sip:bob@" IP_B, 1000, rh_ip(IP_B), 5060)->source.ip = 0; /* no destination known */
	rh_request(&h, &(struct rh_req){ 0 });
	assert_int_equal(h.n_sends, 1);
	assert_true(starts(&h, 0, "SIP/2.0 480 Temporarily Unavailable\r\n"));
	assert_non_null(strstr(rh_header(&h, 0, "To", v, sizeof(v)), ";tag=")); /* our own final: tagged */
	assert_int_equal(sr_route_stats(h.rs)->filtered, 2);
	assert_int_equal(sr_route_stats(h.rs)->no_binding, 1);
	assert_int_equal(sr_route_stats(h.rs)->method_refused, 0);
	rh_free(&h);

	rh_init(&h, NULL);
	rh_bind(&h, "sip:bob@" IP_A, 1000, rh_ip(IP_A), 5060);
	rh_request(&h, &(struct rh_req){ 0 });
	rh_answer(&h, 1, 430, NULL, NULL);
	int i = rh_find(&h, 2, "SIP/2.0 480");
	assert_true(i > 0);
	assert_true(to_addr(&h, i, "198.51.100.2", 5070));
	all_done(&h);
	rh_free(&h);
}

/* No answer at all: Timer B, then our 408 upstream; for a non-INVITE Timer F. */
static void test_408_on_timeout(void **state)
{
	(void)state;
	struct rh h;
	rh_init(&h, NULL);
	rh_bind(&h, "sip:bob@" IP_A, 1000, rh_ip(IP_A), 5060);
	uint64_t t0 = h.now;
	rh_request(&h, &(struct rh_req){ 0 });
	rh_run_to(&h, t0 + 31999);
	assert_int_equal(rh_find(&h, 0, "SIP/2.0 408"), -1);
	assert_int_equal(rh_count(&h, 0, "INVITE"), 7); /* Timer A retransmissions */
	rh_run_to(&h, t0 + 32000);
	int i = rh_find(&h, 0, "SIP/2.0 408 Request Timeout\r\n");
	assert_true(i > 0);
	/* The caller's ACK of our 408 is absorbed by the server transaction. */
	unsigned before = h.n_sends;
	rh_request(&h, &(struct rh_req){ .method = "ACK" });
	assert_int_equal(h.n_sends, before);
	rh_free(&h);

	rh_init(&h, NULL);
	rh_bind(&h, "sip:bob@" IP_A, 1000, rh_ip(IP_A), 5060);
	t0 = h.now;
	rh_request(&h, &(struct rh_req){ .method = "MESSAGE" });
	assert_true(starts(&h, 0, "MESSAGE sip:bob@" IP_A)); /* no 100 for a non-INVITE */
	rh_run_to(&h, t0 + 32000);
	assert_true(rh_find(&h, 0, "SIP/2.0 408") > 0);
	all_done(&h);
	rh_free(&h);
}

static void test_6xx_stops_forking(void **state)
{
	(void)state;
	struct rh h;
	rh_init(&h, NULL);
	rh_bind(&h, "sip:bob@" IP_A, 1000, rh_ip(IP_A), 5060);
	rh_bind(&h, "sip:bob@" IP_B, 1000, rh_ip(IP_B), 5060);
	rh_bind(&h, "sip:bob@" IP_C, 500, rh_ip(IP_C), 5060);
	rh_request(&h, &(struct rh_req){ 0 });
	rh_answer(&h, 1, 180, "a-tag", NULL);
	rh_answer(&h, 2, 603, "b-tag", NULL);
	int c = rh_find(&h, 0, "CANCEL sip:bob@" IP_A);
	assert_true(c > 0);
	assert_int_equal(rh_find(&h, 0, "SIP/2.0 603"), -1); /* held until A is done */
	rh_answer(&h, (unsigned)c, 200, "a-tag", NULL);
	rh_answer(&h, 1, 487, "a-tag", NULL);
	int i = rh_find(&h, 0, "SIP/2.0 603 Decline\r\n");
	assert_true(i > 0);
	char v[256];
	assert_memory_equal(rh_header(&h, i, "Via", v, sizeof(v)), "SIP/2.0/UDP 198.51.100.2:5070", 29);
	assert_int_equal(rh_find(&h, 0, "INVITE sip:bob@" IP_C), -1); /* the lower q was never tried */
	all_done(&h);
	rh_free(&h);
}

/* RFC 5627: the request for a GRUU reaches exactly its instance, with the Request-URI set to its contact. */
static void test_gruu_reaches_its_instance(void **state)
{
	(void)state;
	struct rh h;
	rh_init(&h, NULL);
	struct sr_route_binding *b = rh_bind(&h, "sip:bob@" IP_A ";transport=udp", 1000, rh_ip(IP_A), 5060);
	b->instance = SR_STR_LIT("<urn:uuid:00000000-0000-1000-8000-aaaaaaaaaaaa>");
	b = rh_bind(&h, "sip:bob@" IP_B, 1000, rh_ip(IP_B), 5060);
	b->instance = SR_STR_LIT("<urn:uuid:00000000-0000-1000-8000-bbbbbbbbbbbb>");
	rh_request(&h, &(struct rh_req){ .ruri = "sip:bob@example.com;gr=urn:uuid:00000000-0000-1000-8000-aaaaaaaaaaaa",
					 .gruu = SR_GRUU_PUBLIC,
					 .gruu_id = "urn:uuid:00000000-0000-1000-8000-aaaaaaaaaaaa" });
	assert_int_equal(rh_count(&h, 0, "INVITE"), 1);
	assert_true(starts(&h, 1, "INVITE sip:bob@" IP_A ";transport=udp SIP/2.0\r\n"));
	assert_true(to_addr(&h, 1, IP_A, 5060));
	/* A GRUU of an instance that is not registered now: 480; a temporary GRUU nobody holds: 404. */
	rh_request(&h, &(struct rh_req){ .branch = "z9hG4bK-2", .call_id = "c2",
					 .gruu = SR_GRUU_PUBLIC, .gruu_id = "urn:uuid:gone" });
	assert_true(rh_find(&h, 2, "SIP/2.0 480") > 0);
	rh_request(&h, &(struct rh_req){ .branch = "z9hG4bK-3", .call_id = "c3",
					 .gruu = SR_GRUU_TEMP, .gruu_id = "tgruu.0000" });
	assert_true(rh_find(&h, 2, "SIP/2.0 404") > 0);
	rh_free(&h);
}

/* RFC 3327: the binding's Path becomes the Route, and the branch goes to its first hop. */
static void test_path_becomes_route(void **state)
{
	(void)state;
	struct rh h;
	char v[256];
	rh_init(&h, NULL);
	struct sr_route_binding *b = rh_bind(&h, "sip:bob@10.20.0.5:5070", 1000, rh_ip("198.51.100.60"), 5080);
	b->path = SR_STR_LIT("<sip:198.51.100.60:5080;lr>, <sip:pcscf.example.net;lr>");
	b->path_hop = (struct sr_txn_dest){ rh_ip("198.51.100.60"), 5080, false };
	rh_request(&h, &(struct rh_req){ 0 });
	assert_true(starts(&h, 1, "INVITE sip:bob@10.20.0.5:5070 SIP/2.0\r\n"));
	assert_true(to_addr(&h, 1, "198.51.100.60", 5080));
	assert_string_equal(rh_header(&h, 1, "Route", v, sizeof(v)),
			    "<sip:198.51.100.60:5080;lr>, <sip:pcscf.example.net;lr>");
	/* The ACK of a failure repeats the Route (17.1.1.3). */
	rh_answer(&h, 1, 486, "b", NULL);
	int a = rh_find(&h, 2, "ACK");
	assert_true(a > 0);
	assert_string_equal(rh_header(&h, (unsigned)a, "Route", v, sizeof(v)),
			    "<sip:198.51.100.60:5080;lr>, <sip:pcscf.example.net;lr>");
	assert_true(to_addr(&h, a, "198.51.100.60", 5080));
	rh_free(&h);
}

/* A contact behind NAT (private address) is reached at its REGISTER's source; the Request-URI stays the contact. */
static void test_nat_source_destination(void **state)
{
	(void)state;
	struct rh h;
	rh_init(&h, NULL);
	struct sr_route_binding *b = rh_bind(&h, "sip:bob@192.168.1.20:5060", 1000, rh_ip("203.0.113.44"), 34567);
	b->contact_addr = (struct sr_txn_dest){ rh_ip("192.168.1.20"), 5060, false };
	rh_request(&h, &(struct rh_req){ 0 });
	assert_true(starts(&h, 1, "INVITE sip:bob@192.168.1.20:5060 SIP/2.0\r\n"));
	assert_true(to_addr(&h, 1, "203.0.113.44", 34567));
	rh_free(&h);
}

/* Never an open relay: a foreign domain gets 404 and nothing is forwarded; its retransmission gets the 404 again. */
static void test_foreign_domain_refused(void **state)
{
	(void)state;
	struct rh h;
	rh_init(&h, NULL);
	rh_bind(&h, "sip:bob@" IP_A, 1000, rh_ip(IP_A), 5060);
	struct rh_req r = { .ruri = "sip:victim@203.0.113.99", .kind = SR_RURI_FOREIGN };
	rh_request(&h, &r);
	assert_int_equal(h.n_sends, 1);
	assert_true(starts(&h, 0, "SIP/2.0 404 Domain Not Served Here\r\n"));
	assert_int_equal(h.lookups, 0);
	rh_request(&h, &r);
	assert_int_equal(h.n_sends, 2);
	assert_true(starts(&h, 1, "SIP/2.0 404"));
	rh_request(&h, &(struct rh_req){ .method = "ACK", .ruri = "sip:victim@203.0.113.99", .kind = SR_RURI_FOREIGN });
	assert_int_equal(h.n_sends, 2);
	assert_int_equal(sr_route_stats(h.rs)->refused_foreign, 1);
	rh_free(&h);
}

/* The caller cancels: 200 for its CANCEL, CANCEL to every ringing branch, one 487 upstream. */
static void test_caller_cancel(void **state)
{
	(void)state;
	struct rh h;
	char v[256];
	rh_init(&h, NULL);
	rh_bind(&h, "sip:bob@" IP_A, 1000, rh_ip(IP_A), 5060);
	rh_bind(&h, "sip:bob@" IP_B, 1000, rh_ip(IP_B), 5060);
	rh_request(&h, &(struct rh_req){ 0 });
	rh_answer(&h, 1, 180, "a-tag", NULL);
	rh_answer(&h, 2, 180, "b-tag", NULL);
	unsigned mark = h.n_sends;
	rh_request(&h, &(struct rh_req){ .method = "CANCEL" });
	assert_true(starts(&h, (int)mark, "SIP/2.0 200 OK\r\n"));
	assert_string_equal(rh_header(&h, mark, "CSeq", v, sizeof(v)), "1 CANCEL");
	int ca = rh_find(&h, mark, "CANCEL sip:bob@" IP_A), cb = rh_find(&h, mark, "CANCEL sip:bob@" IP_B);
	assert_true(ca > 0 && cb > 0);
	/* A retransmitted CANCEL gets its 200 again, nothing else. */
	unsigned before = h.n_sends;
	rh_request(&h, &(struct rh_req){ .method = "CANCEL" });
	assert_int_equal(h.n_sends, before + 1);
	rh_answer(&h, 1, 487, "a-tag", NULL);
	assert_int_equal(rh_find(&h, mark, "SIP/2.0 487"), -1);
	rh_answer(&h, 2, 487, "b-tag", NULL);
	int i = rh_find(&h, mark, "SIP/2.0 487 Request Terminated\r\n");
	assert_true(i > 0);
	assert_int_equal(rh_count(&h, mark, "SIP/2.0 487"), 1);
	assert_int_equal(sr_route_stats(h.rs)->cancels, 1);
	/* A CANCEL for nothing: 481. */
	rh_request(&h, &(struct rh_req){ .method = "CANCEL", .branch = "z9hG4bK-unknown" });
	assert_true(starts(&h, (int)h.n_sends - 1, "SIP/2.0 481"));
	all_done(&h);
	rh_free(&h);
}

/* 16.7 step 7: the challenges of every 401/407 go up in the one response chosen. */
static void test_401_407_aggregation(void **state)
{
	(void)state;
	struct rh h;
	rh_init(&h, NULL);
	rh_bind(&h, "sip:bob@" IP_A, 1000, rh_ip(IP_A), 5060);
	rh_bind(&h, "sip:bob@" IP_B, 1000, rh_ip(IP_B), 5060);
	rh_bind(&h, "sip:bob@" IP_C, 1000, rh_ip(IP_C), 5060);
	rh_request(&h, &(struct rh_req){ 0 });
	rh_answer(&h, 1, 486, "a", NULL);
	rh_answer(&h, 2, 401, "b", "WWW-Authenticate: Digest realm=\"b.example\", nonce=\"1\"\r\n");
	rh_answer(&h, 3, 407, "c", "Proxy-Authenticate: Digest realm=\"c.example\", nonce=\"2\"\r\n");
	int i = rh_find(&h, 0, "SIP/2.0 401 Unauthorized\r\n");
	assert_true(i > 0);
	const char *m = h.sends[i].bytes;
	assert_non_null(strstr(m, "WWW-Authenticate: Digest realm=\"b.example\", nonce=\"1\"\r\n"));
	assert_non_null(strstr(m, "Proxy-Authenticate: Digest realm=\"c.example\", nonce=\"2\"\r\n"));
	assert_null(strstr(m, "branch=z9hG4bKsr")); /* our Via is gone */
	assert_int_equal(upstream(&h, 0), 2); /* 100 and the 401 */
	all_done(&h);
	rh_free(&h);
}

/* Record-Route with a signed token: ACK and BYE of the dialog find their way; a forged token is refused. */
static void test_record_route_and_dialog(void **state)
{
	(void)state;
	struct rh h;
	char v[512];
	struct sr_route_config cfg = rh_config(SR_ROUTE_PROXY, true);
	rh_init(&h, &cfg);
	struct sr_route_binding *b = rh_bind(&h, "sip:bob@192.168.1.20:5060", 1000, rh_ip("203.0.113.44"), 34567);
	b->contact_addr = (struct sr_txn_dest){ rh_ip("192.168.1.20"), 5060, false };
	rh_request(&h, &(struct rh_req){ 0 });
	rh_header(&h, 1, "Record-Route", v, sizeof(v));
	assert_memory_equal(v, "<sip:sr", 7);
	assert_non_null(strstr(v, "@198.51.100.1:5060;lr>"));
	char token[64];
	snprintf(token, sizeof(token), "%.*s", (int)(strchr(v, '@') - v - 5), v + 5);
	char route[128];
	snprintf(route, sizeof(route), "<sip:%s@198.51.100.1:5060;lr>", token);
	rh_answer(&h, 1, 200, "bob-tag", NULL);

	/* The ACK of the 2xx: a new transaction, forwarded statelessly to the callee's flow, our Route popped. */
	unsigned mark = h.n_sends;
	rh_request(&h, &(struct rh_req){ .method = "ACK", .branch = "z9hG4bK-ack-1", .to_tag = "bob-tag",
					 .ruri = "sip:bob@192.168.1.20:5060", .kind = SR_RURI_FOREIGN,
					 .routes = { route }, .top_route_self = true, .top_route_user = token });
	assert_int_equal(h.n_sends, mark + 1);
	assert_true(starts(&h, (int)mark, "ACK sip:bob@192.168.1.20:5060 SIP/2.0\r\n"));
	assert_true(to_addr(&h, (int)mark, "203.0.113.44", 34567));
	assert_null(strstr(h.sends[mark].bytes, "Route:"));
	assert_memory_equal(rh_header(&h, mark, "Via", v, sizeof(v)), "SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bKsr05", 48);
	assert_int_equal(sr_route_stats(h.rs)->acks_forwarded, 1);

	/* The callee hangs up: its BYE (From tag = its own) goes back to the caller's address. */
	mark = h.n_sends;
	rh_request(&h, &(struct rh_req){ .method = "BYE", .branch = "z9hG4bK-bye-1", .from_tag = "bob-tag",
					 .to_tag = "alice-tag", .call_id = "call-1@198.51.100.2", .cseq = 9,
					 .ruri = "sip:alice@198.51.100.2:5070", .kind = SR_RURI_FOREIGN,
					 .routes = { route }, .top_route_self = true, .top_route_user = token,
					 .source = { rh_ip("203.0.113.44"), 34567, false } });
	int bye = rh_find(&h, mark, "BYE sip:alice@198.51.100.2:5070 SIP/2.0\r\n");
	assert_true(bye >= 0);
	assert_true(to_addr(&h, bye, "198.51.100.2", 5070));
	assert_null(strstr(h.sends[bye].bytes, "Record-Route")); /* not a dialog-creating request */
	rh_answer(&h, (unsigned)bye, 200, NULL, NULL);
	int ok = rh_find(&h, mark, "SIP/2.0 200 OK");
	assert_true(ok > 0);
	assert_true(to_addr(&h, ok, "203.0.113.44", 34567));
	assert_int_equal(sr_route_stats(h.rs)->in_dialog, 1);

	/* A token we did not write (one digit changed) is refused. */
	token[10] = token[10] == '0' ? '1' : '0';
	snprintf(route, sizeof(route), "<sip:%s@198.51.100.1:5060;lr>", token);
	mark = h.n_sends;
	rh_request(&h, &(struct rh_req){ .method = "BYE", .branch = "z9hG4bK-bye-2", .to_tag = "bob-tag",
					 .ruri = "sip:victim@203.0.113.99", .kind = SR_RURI_FOREIGN, .routes = { route },
					 .top_route_self = true, .top_route_user = token });
	assert_int_equal(h.n_sends, mark + 1);
	assert_true(starts(&h, (int)mark, "SIP/2.0 403"));
	all_done(&h);
	rh_free(&h);
}

/* A request coming back with our Via and the same loop hash: 482, not forwarded again. */
static void test_loop_482(void **state)
{
	(void)state;
	struct rh h;
	char br[64];
	rh_init(&h, NULL);
	rh_bind(&h, "sip:bob@" IP_A, 1000, rh_ip(IP_A), 5060);
	rh_request(&h, &(struct rh_req){ 0 });
	top_branch(&h, 1, br, sizeof(br));
	unsigned mark = h.n_sends;
	rh_request(&h, &(struct rh_req){ .branch = "z9hG4bK-looped", .own_via_branch = br });
	assert_int_equal(h.n_sends, mark + 1);
	assert_true(starts(&h, (int)mark, "SIP/2.0 482 Loop Detected\r\n"));
	assert_int_equal(sr_route_stats(h.rs)->loops, 1);
	rh_free(&h);
}

static void test_max_forwards_483(void **state)
{
	(void)state;
	struct rh h;
	struct sr_route_req rq;
	rh_init(&h, NULL);
	rh_bind(&h, "sip:bob@" IP_A, 1000, rh_ip(IP_A), 5060);
	rh_build(&h, &(struct rh_req){ 0 }, &rq);
	rq.fwd.max_forwards = 0;
	sr_route_request(h.rs, &rq, h.now);
	assert_int_equal(h.n_sends, 1);
	assert_true(starts(&h, 0, "SIP/2.0 483 Too Many Hops\r\n"));
	assert_int_equal(sr_route_stats(h.rs)->too_many_hops, 1);
	/* Absent Max-Forwards: forwarded with 70. */
	char v[32];
	rh_request(&h, &(struct rh_req){ .branch = "z9hG4bK-2", .call_id = "c2", .max_forwards = -1 });
	int i = rh_find(&h, 1, "INVITE");
	assert_true(i > 0);
	assert_string_equal(rh_header(&h, (unsigned)i, "Max-Forwards", v, sizeof(v)), "70");
	rh_free(&h);
}

/* Exhausted pools: 503 with Retry-After, counted; the next call goes through once a context is free. */
static void test_exhausted_pools(void **state)
{
	(void)state;
	struct rh h;
	char v[64];
	struct sr_route_config cfg = rh_config(SR_ROUTE_PROXY, false);
	cfg.contexts = 1;
	cfg.txn.capacity = 3;
	rh_init(&h, &cfg);
	rh_bind(&h, "sip:bob@" IP_A, 1000, rh_ip(IP_A), 5060);
	rh_request(&h, &(struct rh_req){ 0 });
	assert_int_equal(rh_count(&h, 0, "INVITE"), 1);
	/* Second call: a server transaction is free, a context is not. */
	rh_request(&h, &(struct rh_req){ .branch = "z9hG4bK-2", .call_id = "c2" });
	int i = rh_find(&h, 2, "SIP/2.0 503 Service Unavailable\r\n");
	assert_true(i > 0);
	assert_string_equal(rh_header(&h, (unsigned)i, "Retry-After", v, sizeof(v)), "5");
	/* Third call: no transaction either (3 in use): answered statelessly. */
	rh_request(&h, &(struct rh_req){ .branch = "z9hG4bK-3", .call_id = "c3" });
	assert_true(starts(&h, (int)h.n_sends - 1, "SIP/2.0 503"));
	assert_int_equal(sr_route_stats(h.rs)->exhausted, 2);
	rh_answer(&h, 1, 200, "b", NULL);
	all_done(&h);
	unsigned mark = h.n_sends;
	rh_request(&h, &(struct rh_req){ .branch = "z9hG4bK-4", .call_id = "c4" });
	assert_true(rh_find(&h, mark, "INVITE") > 0);
	rh_free(&h);
}

/* RFC 5626: a 430 Flow Failed moves the branch to another flow of the same instance. */
static void test_430_tries_the_next_flow(void **state)
{
	(void)state;
	struct rh h;
	rh_init(&h, NULL);
	const struct sr_str inst = SR_STR_LIT("<urn:uuid:00000000-0000-1000-8000-cccccccccccc>");
	struct sr_route_binding *b = rh_bind(&h, "sip:bob@192.168.0.10;ob", 1000, rh_ip("203.0.113.7"), 40001);
	b->instance = inst;
	b->reg_id = 1;
	b->registered_at = 10;
	b = rh_bind(&h, "sip:bob@192.168.0.10;ob", 1000, rh_ip("203.0.113.7"), 40002);
	b->instance = inst;
	b->reg_id = 2;
	b->registered_at = 20;
	rh_request(&h, &(struct rh_req){ 0 });
	assert_int_equal(rh_count(&h, 0, "INVITE"), 1); /* one flow per instance */
	assert_true(to_addr(&h, 1, "203.0.113.7", 40002));
	rh_answer(&h, 1, 430, NULL, NULL);
	int i = rh_find(&h, 2, "INVITE");
	assert_true(i > 0);
	assert_true(to_addr(&h, i, "203.0.113.7", 40001));
	rh_answer(&h, (unsigned)i, 200, "b", NULL);
	assert_true(rh_find(&h, 2, "SIP/2.0 200") > 0);
	assert_int_equal(rh_find(&h, 0, "SIP/2.0 430"), -1);
	all_done(&h);
	rh_free(&h);
}

/* 16.7 step 6: a 503 is not passed on; the caller gets 500. */
static void test_503_becomes_500(void **state)
{
	(void)state;
	struct rh h;
	rh_init(&h, NULL);
	rh_bind(&h, "sip:bob@" IP_A, 1000, rh_ip(IP_A), 5060);
	rh_request(&h, &(struct rh_req){ 0 });
	rh_answer(&h, 1, 503, "b", "Retry-After: 60\r\n");
	assert_true(rh_find(&h, 2, "SIP/2.0 500 Server Internal Error\r\n") > 0);
	assert_int_equal(rh_find(&h, 2, "SIP/2.0 503"), -1);
	rh_free(&h);
}

/* Timer C: a branch ringing for 3 minutes is cancelled; its 487 is the answer. */
static void test_timer_c_cancels_a_ringing_branch(void **state)
{
	(void)state;
	struct rh h;
	rh_init(&h, NULL);
	rh_bind(&h, "sip:bob@" IP_A, 1000, rh_ip(IP_A), 5060);
	rh_request(&h, &(struct rh_req){ 0 });
	uint64_t t0 = h.now;
	rh_answer(&h, 1, 180, "a", NULL);
	rh_run_to(&h, t0 + 179999);
	assert_int_equal(rh_find(&h, 0, "CANCEL"), -1);
	rh_run_to(&h, t0 + 180000);
	int c = rh_find(&h, 0, "CANCEL sip:bob@" IP_A);
	assert_true(c > 0);
	rh_answer(&h, (unsigned)c, 200, "a", NULL);
	rh_answer(&h, 1, 487, "a", NULL);
	assert_true(rh_find(&h, 0, "SIP/2.0 487") > 0);
	all_done(&h);
	rh_free(&h);
}

/* A retransmitted INVITE at the proxy gets the 100 again and is not forwarded twice. */
static void test_retransmission_absorbed(void **state)
{
	(void)state;
	struct rh h;
	rh_init(&h, NULL);
	rh_bind(&h, "sip:bob@" IP_A, 1000, rh_ip(IP_A), 5060);
	rh_request(&h, &(struct rh_req){ 0 });
	rh_request(&h, &(struct rh_req){ 0 });
	assert_int_equal(rh_count(&h, 0, "INVITE"), 1);
	assert_int_equal(rh_count(&h, 0, "SIP/2.0 100"), 2);
	assert_int_equal(h.lookups, 1);
	rh_free(&h);
}

/* Redirect: 302 with the contacts by q; 480 without bindings; 404 for a user we do not know. */
static void test_redirect(void **state)
{
	(void)state;
	struct rh h;
	struct sr_route_config cfg = rh_config(SR_ROUTE_REDIRECT, false);
	rh_init(&h, &cfg);
	rh_bind(&h, "sip:bob@" IP_A ":5061", 500, rh_ip(IP_A), 5061);
	rh_bind(&h, "sip:bob@" IP_B ":5062", SR_ROUTE_Q_NONE, rh_ip(IP_B), 5062)->expires_in = 100;
	rh_bind(&h, "sip:bob@" IP_C ":5063", 100, rh_ip(IP_C), 5063);
	rh_bind(&h, "sip:bob@10.0.0.9:5060", 50, rh_ip(IP_C), 40009)->nat = true; /* behind NAT */
	rh_request(&h, &(struct rh_req){ 0 });
	assert_int_equal(h.n_sends, 1);
	const char *m = h.sends[0].bytes;
	assert_memory_equal(m, "SIP/2.0 302 Moved Temporarily\r\n", 31);
	const char *b = strstr(m, "Contact: <sip:bob@" IP_B ":5062>;expires=100;q=1\r\n");
	const char *a = strstr(m, "Contact: <sip:bob@" IP_A ":5061>;expires=3600;q=0.5\r\n");
	const char *c = strstr(m, "Contact: <sip:bob@" IP_C ":5063>;expires=3600;q=0.1\r\n");
	const char *n = strstr(m, "Contact: <sip:bob@10.0.0.9:5060>;expires=3600;q=0.05;received=\"sip:" IP_C ":40009\"\r\n");
	assert_true(b && a && c && n && b < a && a < c && c < n);
	assert_non_null(strstr(m, "To: <sip:bob@example.com>;tag="));
	/* The 302 is retransmitted until the ACK (Timer G), re-sent for a retransmitted INVITE, and the ACK is absorbed. */
	rh_run_to(&h, h.now + 500);
	assert_int_equal(rh_count(&h, 0, "SIP/2.0 302"), 2);
	rh_request(&h, &(struct rh_req){ 0 });
	assert_int_equal(rh_count(&h, 0, "SIP/2.0 302"), 3);
	rh_request(&h, &(struct rh_req){ .method = "ACK" });
	rh_run_to(&h, h.now + 10000);
	assert_int_equal(rh_count(&h, 0, "SIP/2.0 302"), 3);
	assert_int_equal(sr_route_stats(h.rs)->redirects, 1);
	assert_int_equal(rh_count(&h, 0, "INVITE"), 0);

	h.n_bindings = 0;
	rh_request(&h, &(struct rh_req){ .branch = "z9hG4bK-2", .call_id = "c2" });
	assert_true(starts(&h, (int)h.n_sends - 1, "SIP/2.0 480"));
	h.user_known = false;
	rh_request(&h, &(struct rh_req){ .branch = "z9hG4bK-3", .call_id = "c3" });
	assert_true(starts(&h, (int)h.n_sends - 1, "SIP/2.0 404 Not Found"));
	rh_free(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parallel_ringing_cancels_the_loser),
		cmocka_unit_test(test_serial_forking_after_486),
		cmocka_unit_test(test_405_when_allow_excludes),
		cmocka_unit_test(test_480_when_all_fail),
		cmocka_unit_test(test_408_on_timeout),
		cmocka_unit_test(test_6xx_stops_forking),
		cmocka_unit_test(test_gruu_reaches_its_instance),
		cmocka_unit_test(test_path_becomes_route),
		cmocka_unit_test(test_nat_source_destination),
		cmocka_unit_test(test_foreign_domain_refused),
		cmocka_unit_test(test_caller_cancel),
		cmocka_unit_test(test_401_407_aggregation),
		cmocka_unit_test(test_record_route_and_dialog),
		cmocka_unit_test(test_loop_482),
		cmocka_unit_test(test_max_forwards_483),
		cmocka_unit_test(test_exhausted_pools),
		cmocka_unit_test(test_430_tries_the_next_flow),
		cmocka_unit_test(test_503_becomes_500),
		cmocka_unit_test(test_timer_c_cancels_a_ringing_branch),
		cmocka_unit_test(test_retransmission_absorbed),
		cmocka_unit_test(test_redirect),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
