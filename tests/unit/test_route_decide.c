/*
 * test_route_decide.c - the routing decisions as plain functions of facts:
 * what a new request may do (RFC 3261 16.3, 16.4: Max-Forwards, loops,
 * Proxy-Require, Route, foreign domains, dialogs), how bindings become
 * targets (q groups, Allow and User-Agent filters, GRUU, outbound flows,
 * NAT and Path destinations) and which final response is best (16.7).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "route_harness.h"

static struct sr_route_decision decide(struct rh *h, const struct rh_req *r)
{
	struct sr_route_req rq;
	struct sr_route_decision d;
	rh_build(h, r, &rq);
	sr_route_decide(h->rs, &rq, &d);
	return d;
}

static void test_not_mine(void **state)
{
	(void)state;
	struct rh h;
	struct sr_route_config off = rh_config(SR_ROUTE_OFF, false);
	rh_init(&h, &off);
	assert_int_equal(decide(&h, &(struct rh_req){ 0 }).verdict, SR_ROUTE_V_NOT_MINE);
	assert_int_equal(rh_request(&h, &(struct rh_req){ 0 }), SR_ROUTE_NOT_MINE);
	rh_free(&h);
	rh_init(&h, NULL);
	assert_int_equal(decide(&h, &(struct rh_req){ .method = "REGISTER" }).verdict, SR_ROUTE_V_NOT_MINE);
	assert_int_equal(decide(&h, &(struct rh_req){ .method = "OPTIONS", .ruri = "sip:198.51.100.1",
						      .kind = SR_RURI_SELF }).verdict,
			 SR_ROUTE_V_NOT_MINE);
	assert_int_equal(rh_request(&h, &(struct rh_req){ .method = "REGISTER" }), SR_ROUTE_NOT_MINE);
	assert_int_equal(h.n_sends, 0);
	assert_int_equal(decide(&h, &(struct rh_req){ 0 }).verdict, SR_ROUTE_V_LOOKUP);
	rh_free(&h);
}

static void test_refusals(void **state)
{
	(void)state;
	struct rh h;
	rh_init(&h, NULL);
	struct sr_route_decision d = decide(&h, &(struct rh_req){ .max_forwards = 0 });
	assert_int_equal(d.verdict, SR_ROUTE_V_LOOKUP); /* 0 in the struct means "default 70" */
	d = decide(&h, &(struct rh_req){ .max_forwards = -1 });
	assert_int_equal(d.verdict, SR_ROUTE_V_LOOKUP); /* absent: fine, the writer adds 70 */
	struct sr_route_req rq;
	rh_build(&h, &(struct rh_req){ 0 }, &rq);
	rq.fwd.max_forwards = 0;
	sr_route_decide(h.rs, &rq, &d);
	assert_int_equal(d.status, 483);
	d = decide(&h, &(struct rh_req){ .proxy_require_unknown = "foo" });
	assert_int_equal(d.status, 420);
	d = decide(&h, &(struct rh_req){ .ruri = "sip:bob@elsewhere.net", .kind = SR_RURI_FOREIGN });
	assert_int_equal(d.verdict, SR_ROUTE_V_ANSWER);
	assert_int_equal(d.status, 404);
	/* A Route that is not ours, or one beyond ours: we would be relaying. */
	d = decide(&h, &(struct rh_req){ .routes = { "<sip:other.example.net;lr>" } });
	assert_int_equal(d.status, 403);
	d = decide(&h, &(struct rh_req){ .routes = { "<sip:198.51.100.1:5060;lr>", "<sip:other.example.net;lr>" },
					 .top_route_self = true });
	assert_int_equal(d.status, 403);
	/* Our own Route alone (a caller using us as outbound proxy): popped, then looked up. */
	d = decide(&h, &(struct rh_req){ .routes = { "<sip:198.51.100.1:5060;lr>" }, .top_route_self = true });
	assert_int_equal(d.verdict, SR_ROUTE_V_LOOKUP);
	assert_int_equal(d.route_skip, 1);
	/* In a dialog, a Route of ours needs our signed token. */
	d = decide(&h, &(struct rh_req){ .method = "BYE", .to_tag = "bob-tag", .ruri = "sip:bob@10.0.0.5",
					 .kind = SR_RURI_FOREIGN, .routes = { "<sip:forged@198.51.100.1:5060;lr>" },
					 .top_route_self = true, .top_route_user = "forged" });
	assert_int_equal(d.status, 403);
	/* In a dialog without our Route and not to a served user: refused. */
	d = decide(&h, &(struct rh_req){ .method = "BYE", .to_tag = "bob-tag", .ruri = "sip:bob@10.0.0.5",
					 .kind = SR_RURI_FOREIGN });
	assert_int_equal(d.status, 403);
	rh_free(&h);
}

/* 16.3 step 4: a request carrying our Via with the hash it would get again is a loop; with another Request-URI, a spiral. */
static void test_loop_detection(void **state)
{
	(void)state;
	struct rh h;
	rh_init(&h, NULL);
	struct sr_route_decision first = decide(&h, &(struct rh_req){ 0 });
	assert_int_equal(first.verdict, SR_ROUTE_V_LOOKUP);
	char ours[SR_TXN_BRANCH_LEN + 1] = { 0 };
	sr_txn_branch_write((uint64_t[2]){ 1, 2 }, 5, first.loop_hash, 77, ours);
	struct sr_route_decision d = decide(&h, &(struct rh_req){ .own_via_branch = ours });
	assert_int_equal(d.status, 482);
	/* Retargeted (another Request-URI): a spiral, not a loop. */
	d = decide(&h, &(struct rh_req){ .own_via_branch = ours, .ruri = "sip:carol@example.com" });
	assert_int_equal(d.verdict, SR_ROUTE_V_LOOKUP);
	/* Any other field of the hash changes it too; a Via of ours that is not in our form is ignored. */
	d = decide(&h, &(struct rh_req){ .own_via_branch = ours, .cseq = 2 });
	assert_int_equal(d.verdict, SR_ROUTE_V_LOOKUP);
	d = decide(&h, &(struct rh_req){ .own_via_branch = "z9hG4bK-not-ours" });
	assert_int_equal(d.verdict, SR_ROUTE_V_LOOKUP);
	rh_free(&h);
}

static unsigned targets(struct rh *h, const struct rh_req *r, struct sr_route_target *out, unsigned *filtered)
{
	struct sr_route_req rq;
	rh_build(h, r, &rq);
	return sr_route_targets(h->rs, &rq, h->bindings, h->n_bindings, out, SR_ROUTE_MAX_TARGETS, filtered);
}

/* q ordering: highest first, equal q one parallel group, registration order within; no q counts as 1.0. */
static void test_targets_q_groups(void **state)
{
	(void)state;
	struct rh h;
	struct sr_route_target t[SR_ROUTE_MAX_TARGETS];
	unsigned f;
	rh_init(&h, NULL);
	uint32_t ip = rh_ip("198.51.100.2");
	rh_bind(&h, "sip:low@10.0.0.1", 100, ip, 6001);
	rh_bind(&h, "sip:mid1@10.0.0.2", 500, ip, 6002);
	rh_bind(&h, "sip:top@10.0.0.3", SR_ROUTE_Q_NONE, ip, 6003);
	rh_bind(&h, "sip:mid2@10.0.0.4", 500, ip, 6004);
	assert_int_equal(targets(&h, &(struct rh_req){ 0 }, t, &f), 4);
	assert_int_equal(f, 0);
	static const char *order[] = { "sip:top@10.0.0.3", "sip:mid1@10.0.0.2", "sip:mid2@10.0.0.4", "sip:low@10.0.0.1" };
	static const uint16_t groups[] = { 0, 1, 1, 2 }, qs[] = { 1000, 500, 500, 100 };
	for (unsigned i = 0; i < 4; i++) {
		assert_true(sr_str_eq(t[i].ruri, sr_str_cstr(order[i])));
		assert_int_equal(t[i].group, groups[i]);
		assert_int_equal(t[i].q, qs[i]);
		assert_int_equal(t[i].alt, SR_ROUTE_NO_ALT);
		assert_int_equal(t[i].expires_in, 3600);
	}
	rh_free(&h);
}

static bool reject_scanner(void *arg, struct sr_str ua)
{
	(void)arg;
	return !(ua.len >= 8 && memcmp(ua.p, "friendly", 8) == 0);
}

/* Filters: the registered Allow (extension methods pass), the User-Agent predicate; both counted. */
static void test_targets_filters(void **state)
{
	(void)state;
	struct rh h;
	struct sr_route_target t[SR_ROUTE_MAX_TARGETS];
	unsigned f;
	struct sr_route_config cfg = rh_config(SR_ROUTE_PROXY, false);
	cfg.ua_filter = reject_scanner;
	rh_init(&h, &cfg);
	uint32_t ip = rh_ip("198.51.100.2");
	rh_bind(&h, "sip:msgonly@10.0.0.1", 1000, ip, 6001)->allow = SR_M_MESSAGE | SR_M_OPTIONS;
	rh_bind(&h, "sip:phone@10.0.0.2", 1000, ip, 6002)->allow = SR_M_INVITE | SR_M_ACK | SR_M_BYE | SR_M_CANCEL;
	rh_bind(&h, "sip:any@10.0.0.3", 1000, ip, 6003);
	rh_bind(&h, "sip:scanner@10.0.0.4", 1000, ip, 6004)->user_agent = SR_STR_LIT("friendly-scanner");
	assert_int_equal(targets(&h, &(struct rh_req){ 0 }, t, &f), 2);
	assert_int_equal(f, 2);
	assert_true(sr_str_eq(t[0].ruri, SR_STR_LIT("sip:phone@10.0.0.2")));
	assert_true(sr_str_eq(t[1].ruri, SR_STR_LIT("sip:any@10.0.0.3")));
	assert_int_equal(targets(&h, &(struct rh_req){ .method = "MESSAGE" }, t, &f), 2);
	assert_true(sr_str_eq(t[0].ruri, SR_STR_LIT("sip:msgonly@10.0.0.1")));
	assert_int_equal(targets(&h, &(struct rh_req){ .method = "FOO" }, t, &f), 3); /* extension method */
	rh_free(&h);
}

/* Destinations: NAT source, Path hop (or the source when the hop is a name), the Contact only without a source. */
static void test_targets_destinations(void **state)
{
	(void)state;
	struct rh h;
	struct sr_route_target t[SR_ROUTE_MAX_TARGETS];
	unsigned f;
	rh_init(&h, NULL);
	struct sr_route_binding *b = rh_bind(&h, "sip:nat@192.168.0.10:5060", 900, rh_ip("203.0.113.7"), 40001);
	b->contact_addr = (struct sr_txn_dest){ rh_ip("192.168.0.10"), 5060, false };
	b = rh_bind(&h, "sip:pathed@10.1.1.1", 800, rh_ip("198.51.100.50"), 5060);
	b->path = SR_STR_LIT("<sip:198.51.100.60:5080;lr>, <sip:core.example.net;lr>");
	b->path_hop = (struct sr_txn_dest){ rh_ip("198.51.100.60"), 5080, false };
	b = rh_bind(&h, "sip:pathname@10.1.1.2", 700, rh_ip("198.51.100.51"), 5062);
	b->path = SR_STR_LIT("<sip:edge.example.net;lr>");
	b = rh_bind(&h, "sip:restored@198.51.100.70:5070", 600, 0, 0);
	b->contact_addr = (struct sr_txn_dest){ rh_ip("198.51.100.70"), 5070, false };
	rh_bind(&h, "sip:nowhere@host.example.net", 500, 0, 0);
	assert_int_equal(targets(&h, &(struct rh_req){ 0 }, t, &f), 4);
	assert_int_equal(f, 1); /* the one with no address at all */
	assert_int_equal(t[0].dest.ip, rh_ip("203.0.113.7"));
	assert_int_equal(t[0].dest.port, 40001);
	assert_true(sr_str_eq(t[0].ruri, SR_STR_LIT("sip:nat@192.168.0.10:5060")));
	assert_int_equal(t[1].dest.ip, rh_ip("198.51.100.60"));
	assert_int_equal(t[1].dest.port, 5080);
	assert_true(sr_str_eq(t[1].route, SR_STR_LIT("<sip:198.51.100.60:5080;lr>, <sip:core.example.net;lr>")));
	assert_int_equal(t[2].dest.ip, rh_ip("198.51.100.51"));
	assert_int_equal(t[2].dest.port, 5062);
	assert_int_equal(t[3].dest.ip, rh_ip("198.51.100.70"));
	assert_int_equal(t[3].route.len, 0);
	rh_free(&h);
}

/* RFC 5627: a GRUU reaches exactly its instance (public: by URN, temporary: by its own token). */
static void test_targets_gruu(void **state)
{
	(void)state;
	struct rh h;
	struct sr_route_target t[SR_ROUTE_MAX_TARGETS];
	unsigned f;
	rh_init(&h, NULL);
	uint32_t ip = rh_ip("198.51.100.2");
	struct sr_route_binding *b = rh_bind(&h, "sip:desk@10.0.0.1", 1000, ip, 6001);
	b->instance = SR_STR_LIT("<urn:uuid:00000000-0000-1000-8000-aaaaaaaaaaaa>");
	b->temp_gruu = SR_STR_LIT("tgruu.1111");
	b = rh_bind(&h, "sip:mobile@10.0.0.2", 1000, ip, 6002);
	b->instance = SR_STR_LIT("<urn:uuid:00000000-0000-1000-8000-bbbbbbbbbbbb>");
	b->temp_gruu = SR_STR_LIT("tgruu.2222");
	rh_bind(&h, "sip:old@10.0.0.3", 1000, ip, 6003);
	assert_int_equal(targets(&h, &(struct rh_req){ 0 }, t, &f), 3);
	assert_int_equal(targets(&h, &(struct rh_req){ .gruu = SR_GRUU_PUBLIC,
							 .gruu_id = "urn:uuid:00000000-0000-1000-8000-bbbbbbbbbbbb" },
				 t, &f),
			 1);
	assert_true(sr_str_eq(t[0].ruri, SR_STR_LIT("sip:mobile@10.0.0.2")));
	assert_int_equal(targets(&h, &(struct rh_req){ .gruu = SR_GRUU_TEMP, .gruu_id = "tgruu.1111" }, t, &f), 1);
	assert_true(sr_str_eq(t[0].ruri, SR_STR_LIT("sip:desk@10.0.0.1")));
	assert_int_equal(targets(&h, &(struct rh_req){ .gruu = SR_GRUU_TEMP, .gruu_id = "tgruu.9999" }, t, &f), 0);
	assert_int_equal(f, 0); /* not filtered: no such GRUU */
	rh_free(&h);
}

/* RFC 5626 5.3: one flow per instance, the most recently refreshed; the others chained as alternates. */
static void test_targets_outbound_flows(void **state)
{
	(void)state;
	struct rh h;
	struct sr_route_target t[SR_ROUTE_MAX_TARGETS];
	unsigned f;
	rh_init(&h, NULL);
	uint32_t ip = rh_ip("203.0.113.7");
	const struct sr_str inst = SR_STR_LIT("<urn:uuid:00000000-0000-1000-8000-cccccccccccc>");
	struct sr_route_binding *b = rh_bind(&h, "sip:ob@192.168.0.10;ob", 1000, ip, 40001);
	b->instance = inst;
	b->reg_id = 1;
	b->registered_at = 100;
	b = rh_bind(&h, "sip:ob@192.168.0.10;ob", 1000, ip, 40002);
	b->instance = inst;
	b->reg_id = 2;
	b->registered_at = 300; /* the newest */
	b = rh_bind(&h, "sip:ob@192.168.0.10;ob", 1000, ip, 40003);
	b->instance = inst;
	b->reg_id = 3;
	b->registered_at = 200;
	rh_bind(&h, "sip:other@10.0.0.9", 1000, rh_ip("198.51.100.9"), 5060);
	unsigned n = targets(&h, &(struct rh_req){ 0 }, t, &f);
	assert_int_equal(n, 4);
	assert_int_equal(t[0].dest.port, 40002);
	assert_int_equal(t[0].group, 0);
	assert_true(sr_str_eq(t[1].ruri, SR_STR_LIT("sip:other@10.0.0.9")));
	assert_int_equal(t[1].group, 0);
	/* alternates: after the primaries, reachable only through the chain */
	assert_int_equal(t[2].group, SR_ROUTE_ALTERNATE);
	assert_int_equal(t[3].group, SR_ROUTE_ALTERNATE);
	unsigned a = t[0].alt, seen = 0;
	uint16_t ports = 0;
	while (a != SR_ROUTE_NO_ALT) {
		ports |= (uint16_t)(1u << (t[a].dest.port - 40000));
		a = t[a].alt;
		seen++;
	}
	assert_int_equal(seen, 2);
	assert_int_equal(ports, (1u << 1) | (1u << 3));
	assert_int_equal(t[1].alt, SR_ROUTE_NO_ALT);
	rh_free(&h);
}

static void test_best_response(void **state)
{
	(void)state;
	assert_true(sr_route_better(486, 0));
	assert_true(sr_route_better(603, 486));
	assert_false(sr_route_better(486, 603));
	assert_true(sr_route_better(302, 486));  /* the lowest class */
	assert_true(sr_route_better(486, 503));
	assert_true(sr_route_better(401, 486));  /* resubmission information first */
	assert_true(sr_route_better(407, 404));
	assert_false(sr_route_better(486, 401));
	assert_true(sr_route_better(486, 408));  /* our timeout last in 4xx */
	assert_false(sr_route_better(408, 480));
	assert_true(sr_route_better(500, 503));
	assert_false(sr_route_better(486, 404)); /* same rank: the first one stays */
	assert_false(sr_route_better(600, 603));
}

static void test_method_bits(void **state)
{
	(void)state;
	assert_int_equal(sr_route_method_bit(SR_STR_LIT("INVITE")), SR_M_INVITE);
	assert_int_equal(sr_route_method_bit(SR_STR_LIT("UPDATE")), SR_M_UPDATE);
	assert_int_equal(sr_route_method_bit(SR_STR_LIT("invite")), SR_M_OTHER); /* methods are case-sensitive */
	assert_int_equal(sr_route_method_bit(SR_STR_LIT("INVITEX")), SR_M_OTHER);
	assert_int_equal(sr_route_method_bit(SR_STR_NULL), SR_M_OTHER);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_not_mine),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_loop_detection),
		cmocka_unit_test(test_targets_q_groups),
		cmocka_unit_test(test_targets_filters),
		cmocka_unit_test(test_targets_destinations),
		cmocka_unit_test(test_targets_gruu),
		cmocka_unit_test(test_targets_outbound_flows),
		cmocka_unit_test(test_best_response),
		cmocka_unit_test(test_method_bits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
