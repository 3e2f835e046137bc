/*
 * test_app_route_facts.c - the message view's one parse turned into
 * lib/routing's facts (app/sipreg/route_facts.c), and those facts driving a
 * real routing shard: what the worker hands the routing, without a network.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "route_facts.h"

#define assert_str(s, lit) assert_true(sr_str_eq((s), SR_STR_LIT(lit)))

struct fx {
	struct sr_reg_config reg;
	struct sr_host_self self_ip;
	struct sr_arena arena;
	struct sr_arena *prev;
	struct sr_sip_msg m;
	struct sr_route_facts c;
	struct sr_net_pkt p;
	char aor[512];
	char head[4096];
	char msg[4096];
	/* a routing shard's io */
	char sent[4][4096];
	struct sr_txn_dest sent_to[4];
	unsigned n_sent;
	struct sr_route_binding b[2];
	unsigned n_b;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	if (!f || sr_arena_init(&f->arena, 64 * 1024) != 0)
		return -1;
	f->prev = sr_arena_bind_osip(&f->arena);
	sr_reg_config_defaults(&f->reg);
	sr_reg_config_add_domain(&f->reg, "example.com");
	struct sr_str bad;
	if (sr_sip_host_self_parse(&f->self_ip, "198.51.100.1", &bad) != 0)
		return -1;
	f->c = (struct sr_route_facts){
		.reg = &f->reg, .ip = inet_addr("198.51.100.1"), .sip_port = 5060,
		.self = SR_STR_LIT("198.51.100.1:5060"), .self_ip = &f->self_ip, .arena = &f->arena,
		.aor = f->aor, .aor_cap = sizeof(f->aor), .head = f->head, .head_cap = sizeof(f->head),
	};
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	sr_arena_bind_osip(f->prev);
	sr_arena_fini(&f->arena);
	free(f);
	return 0;
}

/* An INVITE to ruri with extra header lines (each with CRLF) after the Via, parsed; returns the parse's rc. */
static int parse(struct fx *f, const char *ruri, const char *extra)
{
	int n = snprintf(f->msg, sizeof(f->msg),
			 "INVITE %s SIP/2.0\r\n"
			 "Via: SIP/2.0/UDP 10.0.0.7:5070;branch=z9hG4bK-c1;rport\r\n"
			 "%s"
			 "Max-Forwards: 70\r\n"
			 "From: \"Alice\" <sip:alice@example.com>;tag=ftag1\r\n"
			 "To: <%s>\r\n"
			 "Call-ID: cid-1@10.0.0.7\r\n"
			 "CSeq: 7 INVITE\r\n"
			 "Content-Length: 4\r\n"
			 "\r\n"
			 "v=0\n",
			 ruri, extra, ruri);
	sr_arena_reset(&f->arena);
	struct sr_sip_error err;
	f->p = (struct sr_net_pkt){ .payload_len = (uint16_t)n, .src_ip = inet_addr("198.51.100.2"), .src_port = 5070 };
	return sr_sip_parse(&f->m, f->msg, (size_t)n, NULL, SR_SIP_FAST, &f->arena, &err);
}

static bool facts(struct fx *f, struct sr_route_req *rq)
{
	return sr_route_facts_request(&f->c, &f->m, f->msg, &f->p, rq);
}

static void request_ranges(void **state)
{
	struct fx *f = *state;
	struct sr_route_req rq;
	assert_int_equal(parse(f, "sip:bob@example.com", ""), SR_SIP_OK);
	assert_true(facts(f, &rq));
	assert_str(rq.fwd.method, "INVITE");
	assert_str(rq.fwd.ruri, "sip:bob@example.com");
	assert_true(rq.fwd.msg.p == f->msg && rq.fwd.msg.len == strlen(f->msg));
	assert_int_equal(rq.fwd.headers_at, strstr(f->msg, "Via:") - f->msg);
	assert_int_equal(rq.fwd.body_at, strstr(f->msg, "v=0") - f->msg);
	assert_int_equal(rq.fwd.max_forwards, 70);
	assert_str(rq.fwd.max_forwards_line, "Max-Forwards: 70\r\n");
	assert_str(rq.fwd.from, "\"Alice\" <sip:alice@example.com>;tag=ftag1");
	assert_int_equal(rq.fwd.cseq, 7);
	assert_str(rq.txn.branch, "z9hG4bK-c1");
	assert_str(rq.txn.sent_by, "10.0.0.7:5070");
	/* the From tag is the one inside the message (the proxy keeps it with its copy) */
	assert_str(rq.txn.from_tag, "ftag1");
	assert_true(rq.txn.from_tag.p > f->msg && rq.txn.from_tag.p < f->msg + strlen(f->msg));
	/* rport: the answers go to the source address and port, like the registrar's */
	assert_int_equal(rq.reply_to.ip, inet_addr("198.51.100.2"));
	assert_int_equal(rq.reply_to.port, 5070);
	assert_int_equal(rq.source.port, 5070);
	/* the head: the response writer's dialog headers, the tag goes after the To value */
	char head[1024];
	snprintf(head, sizeof(head), "%.*s", (int)rq.head.lines.len, rq.head.lines.p);
	assert_non_null(strstr(head, "Via: SIP/2.0/UDP 10.0.0.7:5070;branch=z9hG4bK-c1;rport=5070;received=198.51.100.2\r\n"));
	assert_memory_equal(rq.head.lines.p + rq.head.to_tag_at - 21, "<sip:bob@example.com>\r\n", 23);
	assert_int_equal(rq.ruri, SR_RURI_SERVED);
	assert_str(rq.aor, "sip:bob@example.com");
	assert_int_equal(rq.gruu, SR_GRUU_NONE);
	assert_false(rq.top_route_self);
	assert_int_equal(rq.n_own_vias, 0);
}

static void request_uri_kinds(void **state)
{
	struct fx *f = *state;
	struct sr_route_req rq;
	static const struct {
		const char *ruri;
		enum sr_route_ruri kind;
	} cases[] = {
		{ "sip:bob@EXAMPLE.com;user=phone", SR_RURI_SERVED },
		{ "sip:bob@foreign.example.net", SR_RURI_FOREIGN },
		{ "sip:example.com", SR_RURI_SELF },        /* a served domain without user: the registrar's */
		{ "sip:198.51.100.1:5060", SR_RURI_SELF },  /* our address */
		{ "sip:bob@198.51.100.1", SR_RURI_SELF },
		{ "tel:+15551234", SR_RURI_FOREIGN },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse(f, cases[i].ruri, ""), SR_SIP_OK);
		assert_true(facts(f, &rq));
		if (rq.ruri != cases[i].kind)
			fail_msg("%s: kind %d, expected %d", cases[i].ruri, rq.ruri, cases[i].kind);
	}
	assert_int_equal(parse(f, "sip:bob@example.com;gr=urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6", ""), SR_SIP_OK);
	assert_true(facts(f, &rq));
	assert_int_equal(rq.gruu, SR_GRUU_PUBLIC);
	assert_str(rq.gruu_id, "urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6");
	assert_str(rq.aor, "sip:bob@example.com");
	assert_int_equal(parse(f, "sip:tgruu.abc@example.com;gr", ""), SR_SIP_OK);
	assert_true(facts(f, &rq));
	assert_int_equal(rq.gruu, SR_GRUU_TEMP);
	assert_str(rq.gruu_id, "tgruu.abc");
	assert_str(rq.aor, "sip:tgruu.abc@example.com"); /* not one of ours: looked up as it is, found nowhere */

	/* One of the registrar's temporary GRUUs: looked up under the AoR it carries, matched by its user part. */
	struct sr_tgruu_keys k;
	sr_tgruu_keys_from(f->reg.secret, &k);
	f->c.tgruu = &k;
	char user[SR_TGRUU_MAX_USER], ruri[SR_TGRUU_MAX_USER + 32];
	size_t ul = sr_tgruu_user(&k, SR_STR_LIT("sip:bob@example.com"), SR_STR_LIT("<urn:uuid:1>"),
				  SR_STR_LIT("cid-9"), user, sizeof(user));
	assert_true(ul > 0);
	snprintf(ruri, sizeof(ruri), "sip:%.*s@example.com;gr", (int)ul, user);
	assert_int_equal(parse(f, ruri, ""), SR_SIP_OK);
	assert_true(facts(f, &rq));
	assert_int_equal(rq.ruri, SR_RURI_SERVED);
	assert_int_equal(rq.gruu, SR_GRUU_TEMP);
	assert_true(sr_str_eq(rq.gruu_id, sr_str_make(user, ul)));
	assert_str(rq.aor, "sip:bob@example.com");
	f->c.tgruu = NULL;
	assert_int_equal(rq.purr.len, 0);
	/* RFC 8599: a UA's dialog contact with its PURR */
	assert_int_equal(parse(f, "sip:pat@198.51.100.2:5140;pn-prid=t;pn-purr=8d1000000000000000010e79da27b71e", ""),
			 SR_SIP_OK);
	assert_true(facts(f, &rq));
	assert_str(rq.purr, "8d1000000000000000010e79da27b71e");
}

static void routes_vias_and_refusals(void **state)
{
	struct fx *f = *state;
	struct sr_route_req rq;
	assert_int_equal(parse(f, "sip:bob@10.0.0.9:5080",
			       "Via: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bKsr00abc\r\n"
			       "Route: <sip:srTOKEN@198.51.100.1:5060;lr>\r\n"
			       "Proxy-Require: foo\r\n"),
			 SR_SIP_OK);
	assert_true(facts(f, &rq));
	assert_true(rq.top_route_self);
	assert_str(rq.top_route_user, "srTOKEN");
	assert_int_equal(rq.fwd.n_routes, 1);
	assert_int_equal(rq.fwd.n_route_lines, 1);
	assert_int_equal(rq.n_own_vias, 1); /* our Via lower down: loop detection sees its branch */
	assert_str(rq.own_via_branch[0], "z9hG4bKsr00abc");
	assert_str(rq.proxy_require_unknown, "foo");
	assert_int_equal(rq.ruri, SR_RURI_FOREIGN);

	/* another proxy's Route is not ours */
	assert_int_equal(parse(f, "sip:bob@example.com", "Route: <sip:198.51.100.1:5070;lr>\r\n"), SR_SIP_OK);
	assert_true(facts(f, &rq));
	assert_false(rq.top_route_self);

	/* a folded From is unfolded into the arena: not a range of the datagram, not routed */
	assert_int_equal(parse(f, "sip:bob@example.com", ""), SR_SIP_OK);
	char folded[4096];
	size_t at = (size_t)(strstr(f->msg, "From: \"Alice\" ") + 13 - f->msg);
	snprintf(folded, sizeof(folded), "%.*s\r\n%s", (int)at, f->msg, f->msg + at);
	strcpy(f->msg, folded);
	f->p.payload_len = (uint16_t)strlen(f->msg);
	sr_arena_reset(&f->arena);
	struct sr_sip_error err;
	assert_int_equal(sr_sip_parse(&f->m, f->msg, strlen(f->msg), NULL, SR_SIP_FAST, &f->arena, &err), SR_SIP_OK);
	assert_false(facts(f, &rq));

	/* more Route values than a forwarded request may carry */
	char routes[1024] = "Route: ";
	for (int i = 0; i < SR_FWD_MAX_ROUTES + 1; i++)
		snprintf(routes + strlen(routes), sizeof(routes) - strlen(routes), "%s<sip:h%d;lr>", i ? "," : "", i);
	strcat(routes, "\r\n");
	assert_int_equal(parse(f, "sip:bob@example.com", routes), SR_SIP_OK);
	assert_false(facts(f, &rq));
}

static void response_ranges(void **state)
{
	struct fx *f = *state;
	static const char resp[] = "SIP/2.0 407 Proxy Authentication Required\r\n"
				   "Via: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bKsr01x, SIP/2.0/UDP 10.0.0.7;branch=z9hG4bK-c1\r\n"
				   "From: <sip:alice@example.com>;tag=ftag1\r\n"
				   "To: <sip:bob@example.com>;tag=t9\r\n"
				   "Call-ID: cid-1\r\nCSeq: 7 INVITE\r\n"
				   "Proxy-Authenticate: Digest realm=\"x\"\r\n"
				   "Content-Length: 0\r\n\r\n";
	struct sr_sip_error err;
	assert_int_equal(sr_sip_parse(&f->m, resp, strlen(resp), NULL, SR_SIP_FAST, &f->arena, &err), SR_SIP_OK);
	struct sr_route_resp rp;
	assert_true(sr_route_facts_response(&f->m, resp, strlen(resp), &rp));
	assert_int_equal(rp.txn.status, 407);
	assert_str(rp.txn.branch, "z9hG4bKsr01x");
	assert_str(rp.txn.cseq_method, "INVITE");
	assert_str(rp.fwd.top_via, "SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bKsr01x");
	assert_true(rp.fwd.top_via_line.p == strstr(resp, "Via:"));
	assert_int_equal(rp.fwd.headers_end, strlen(resp) - 2);
	assert_str(rp.to, "<sip:bob@example.com>;tag=t9");
	assert_int_equal(rp.n_auth, 1);
	assert_str(rp.auth[0], "Proxy-Authenticate: Digest realm=\"x\"\r\n");

	/* the owner resumes from the pre-scan, which read the top Via: the same ranges, the whole line too */
	struct sr_sip_scan scan;
	struct sr_sip_owner owner;
	sr_sip_scan_owner(resp, strlen(resp), SR_SIP_FAST, &f->arena, &scan, &owner);
	assert_int_equal(owner.kind, SR_OWNER_BRANCH);
	assert_int_equal(scan.n_lines, 1);
	assert_int_equal(sr_sip_parse(&f->m, resp, strlen(resp), &scan, SR_SIP_FAST, &f->arena, &err), SR_SIP_OK);
	assert_true(f->m.resumed);
	struct sr_route_resp again;
	assert_true(sr_route_facts_response(&f->m, resp, strlen(resp), &again));
	assert_true(again.fwd.top_via_line.p == rp.fwd.top_via_line.p);
	assert_int_equal(again.fwd.top_via_line.len, rp.fwd.top_via_line.len);
	assert_str(again.txn.branch, "z9hG4bKsr01x");
}

/* ---- the facts drive a real routing shard ---- */

static void io_send(void *ctx, const struct sr_txn_dest *to, const char *bytes, size_t len)
{
	struct fx *f = ctx;
	assert_true(f->n_sent < 4 && len < sizeof(f->sent[0]));
	memcpy(f->sent[f->n_sent], bytes, len);
	f->sent[f->n_sent][len] = '\0';
	f->sent_to[f->n_sent++] = *to;
}

static unsigned io_lookup(void *ctx, const struct sr_route_req *rq, const struct sr_route_binding **out,
			  bool *user_known)
{
	struct fx *f = ctx;
	assert_true(sr_str_eq(rq->aor, SR_STR_LIT("sip:bob@example.com")));
	*out = f->b;
	*user_known = true;
	return f->n_b;
}

static struct sr_route_shard *shard(struct fx *f, enum sr_route_mode mode)
{
	static const struct sr_route_io io = { io_send, io_lookup, NULL };
	struct sr_route_config rc = {
		.mode = mode, .record_route = true, .self = SR_STR_LIT("198.51.100.1:5060"), .contexts = 4,
		.txn = { .capacity = 16, .buf_small = 2048, .buf_large = 1, .worker = 1, .secret = { 1, 2 } },
	};
	f->b[0] = (struct sr_route_binding){ .contact = SR_STR_LIT("sip:bob@192.168.1.20:5060"), .q = 1000,
					     .expires_in = 600,
					     .source = { inet_addr("198.51.100.2"), 5090, false } };
	f->n_b = 1;
	struct sr_route_shard *rs = sr_route_shard_create(&rc, &io, f, 1000);
	assert_non_null(rs);
	return rs;
}

static void facts_drive_redirect(void **state)
{
	struct fx *f = *state;
	struct sr_route_shard *rs = shard(f, SR_ROUTE_REDIRECT);
	struct sr_route_req rq;
	assert_int_equal(parse(f, "sip:bob@example.com", ""), SR_SIP_OK);
	assert_true(facts(f, &rq));
	assert_int_equal(sr_route_request(rs, &rq, 1000), SR_ROUTE_HANDLED);
	assert_int_equal(f->n_sent, 1);
	const char *r = f->sent[0];
	assert_true(strncmp(r, "SIP/2.0 302 ", 12) == 0);
	assert_non_null(strstr(r, "\r\nVia: SIP/2.0/UDP 10.0.0.7:5070;branch=z9hG4bK-c1;rport=5070;received=198.51.100.2\r\n"));
	assert_non_null(strstr(r, "\r\nTo: <sip:bob@example.com>;tag="));
	assert_non_null(strstr(r, "\r\nContact: <sip:bob@192.168.1.20:5060>"));
	assert_int_equal(f->sent_to[0].port, 5070);
	sr_route_shard_free(rs);
}

static void facts_drive_proxy(void **state)
{
	struct fx *f = *state;
	struct sr_route_shard *rs = shard(f, SR_ROUTE_PROXY);
	struct sr_route_req rq;
	assert_int_equal(parse(f, "sip:bob@example.com", ""), SR_SIP_OK);
	assert_true(facts(f, &rq));
	assert_int_equal(sr_route_request(rs, &rq, 1000), SR_ROUTE_HANDLED);
	assert_int_equal(f->n_sent, 2); /* 100 Trying to the caller, the INVITE to the callee's NAT source */
	assert_true(strncmp(f->sent[0], "SIP/2.0 100 ", 12) == 0);
	const char *inv = f->sent[1];
	static const char start[] =
		"INVITE sip:bob@192.168.1.20:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bKsr01";
	assert_true(strncmp(inv, start, sizeof(start) - 1) == 0); /* Request-URI: the contact; our branch names worker 1 */
	assert_non_null(strstr(inv, "\r\nMax-Forwards: 69\r\n"));
	assert_non_null(strstr(inv, "\r\nRecord-Route: <sip:sr"));
	assert_non_null(strstr(inv, "\r\nFrom: \"Alice\" <sip:alice@example.com>;tag=ftag1\r\n"));
	assert_non_null(strstr(inv, "\r\n\r\nv=0\n"));
	assert_int_equal(f->sent_to[1].ip, inet_addr("198.51.100.2"));
	assert_int_equal(f->sent_to[1].port, 5090);
	sr_route_shard_free(rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(request_ranges),
		T(request_uri_kinds),
		T(routes_vias_and_refusals),
		T(response_ranges),
		T(facts_drive_redirect),
		T(facts_drive_proxy),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
