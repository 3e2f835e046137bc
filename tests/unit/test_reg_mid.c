/*
 * test_reg_mid.c - the registrar's side of registrar.role = mid
 * (lib/registrar/reg_mid.c) with real bytes through sr_reg_process.
 *
 * A stand-in for lib/midreg takes or absorbs each REGISTER and records the
 * facts it was offered; the tests check those facts against the request,
 * that a taken REGISTER changes nothing and gets no answer, that an
 * absorbed one is answered as a final registrar, that a request failing
 * the registrar's own checks is never offered, and that io.apply's
 * sr_reg_mid_apply stores, refreshes and removes with the given expiries,
 * all or nothing, returning the binding ids; that a refresh its binding's
 * lease covers is absorbed unasked. Also lib/sip's two readers
 * the offer and the responses use (sr_mid_header_lines,
 * sr_mid_status_reason).
 */
#include "reg_harness.h"

#include <stdio.h>
#include <string.h>

#define ALICE "sip:alice@example.com"
#define CT "<sip:alice@198.51.100.2:5062>;expires=600;+sip.instance=\"<urn:uuid:1>\""

struct offered {
	bool take;          /* what the stand-in answers */
	unsigned calls;
	char aor[128];
	char ruri[128];
	char user[64];
	char params[128];
	char head[1024];
	char to_tag[32];
	char branch[64];
	char names[16][32];
	unsigned n_lines, n_contacts;
	bool star;
	int64_t requested;
	uint32_t expires;
	uint64_t binding_id;
	uint32_t max_forwards, cseq;
	uint16_t reply_port;
	char msg[2048];
	size_t msg_len;
	char host_state[512];
	size_t hs_len;
	size_t body_len;
};
static struct offered off;

static void cpy(char *dst, size_t cap, struct sr_str s)
{
	snprintf(dst, cap, "%.*s", (int)s.len, s.p);
}

static bool take(void *ctx, struct sr_midreg_req *rq)
{
	(void)ctx;
	off.calls++;
	cpy(off.aor, sizeof(off.aor), rq->aor);
	cpy(off.ruri, sizeof(off.ruri), rq->ruri);
	cpy(off.head, sizeof(off.head), rq->head.lines);
	cpy(off.to_tag, sizeof(off.to_tag), rq->to_tag);
	cpy(off.branch, sizeof(off.branch), rq->txn.branch);
	off.n_lines = rq->n_lines;
	for (unsigned i = 0; i < rq->n_lines && i < 16; i++)
		cpy(off.names[i], sizeof(off.names[i]), rq->lines[i].name);
	off.n_contacts = rq->n_contacts;
	off.star = rq->star;
	if (rq->n_contacts) {
		cpy(off.user, sizeof(off.user), rq->contacts[0].user);
		cpy(off.params, sizeof(off.params), rq->contacts[0].params);
		off.requested = rq->contacts[0].requested;
		off.expires = rq->contacts[0].expires;
		off.binding_id = rq->contacts[0].binding_id;
	}
	off.max_forwards = rq->max_forwards;
	off.cseq = rq->txn.cseq;
	off.reply_port = rq->reply_to.port;
	off.msg_len = rq->msg.len < sizeof(off.msg) ? rq->msg.len : 0;
	memcpy(off.msg, rq->msg.p, off.msg_len);
	off.hs_len = rq->host_state.len < sizeof(off.host_state) ? rq->host_state.len : 0;
	memcpy(off.host_state, rq->host_state.p, off.hs_len);
	off.body_len = rq->body.len;
	return off.take;
}

static int setup(void **state)
{
	memset(&off, 0, sizeof(off));
	struct sr_reg_mid_hooks h = { .take = take };
	*state = th_env_new_mid(&h);
	return *state ? 0 : -1;
}

/* The decision's ask (sr_reg_mid_hooks.absorbs): what it saw, and its answer. */
struct asked {
	bool absorb;
	unsigned calls;
	char aor[128], branch[64], call_id[64];
	unsigned n_contacts, n_lines;
	uint32_t expires, cseq;
	int64_t requested;
	uint64_t binding_id;
	size_t msg_len;
};
static struct asked ask;

static bool absorbs(void *ctx, const struct sr_midreg_req *rq)
{
	(void)ctx;
	ask.calls++;
	cpy(ask.aor, sizeof(ask.aor), rq->aor);
	cpy(ask.branch, sizeof(ask.branch), rq->txn.branch);
	cpy(ask.call_id, sizeof(ask.call_id), rq->txn.call_id);
	ask.cseq = rq->txn.cseq;
	ask.n_contacts = rq->n_contacts;
	ask.n_lines = rq->n_lines;
	ask.msg_len = rq->msg.len;
	if (rq->n_contacts) {
		ask.expires = rq->contacts[0].expires;
		ask.requested = rq->contacts[0].requested;
		ask.binding_id = rq->contacts[0].binding_id;
	}
	return ask.absorb;
}

static int setup_decide_first(void **state)
{
	memset(&off, 0, sizeof(off));
	memset(&ask, 0, sizeof(ask));
	struct sr_reg_mid_hooks h = { .take = take, .absorbs = absorbs };
	*state = th_env_new_mid(&h);
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	th_env_free(*state);
	return 0;
}

static int reg(struct th_env *e, const char *contact, uint32_t cseq)
{
	struct th_req r = { .contact = contact, .cseq = cseq };
	return th_send(e, &r);
}

/* sr_reg_mid_apply on the last offered request with one expiry. */
static int apply(struct th_env *e, uint32_t expires, uint64_t ids[SR_MIDREG_MAX_CONTACTS])
{
	struct sr_midreg_apply a = { .aor = SR_STR_LIT(ALICE), .msg = sr_str_make(off.msg, off.msg_len),
				     .host_state = sr_str_make(off.host_state, off.hs_len), .n = 1 };
	a.expires[0] = expires;
	return sr_reg_mid_apply(e->shard, &a, e->now_ms, ids);
}

/* A taken REGISTER: the facts are the request's, nothing is answered or stored. */
static void test_taken_facts(void **state)
{
	struct th_env *e = *state;
	off.take = true;
	assert_int_equal(reg(e, CT, 7), 0);
	assert_true(e->res.mid_taken);
	assert_int_equal(e->res.len, 0);
	assert_int_equal(off.calls, 1);
	assert_int_equal(th_binding_count(e, ALICE), 0);
	assert_int_equal(e->n_events, 0);
	assert_string_equal(off.aor, ALICE);
	assert_string_equal(off.ruri, "sip:example.com");
	assert_int_equal(off.n_contacts, 1);
	assert_false(off.star);
	assert_string_equal(off.user, "alice");
	assert_string_equal(off.params, ";expires=600;+sip.instance=\"<urn:uuid:1>\"");
	assert_int_equal(off.requested, 600);
	assert_int_equal(off.expires, 600); /* within the default limits: granted as asked */
	assert_int_equal(off.binding_id, 0);
	assert_int_equal(off.max_forwards, 70);
	assert_int_equal(off.cseq, 7);
	assert_int_equal(off.reply_port, 5060);
	assert_int_equal(off.body_len, 0);
	/* every header line with its name, in order */
	static const char *const names[] = { "Via", "Max-Forwards", "From", "To", "Call-ID", "CSeq", "Contact",
					     "Content-Length" };
	assert_int_equal(off.n_lines, 8);
	for (unsigned i = 0; i < 8; i++)
		assert_string_equal(off.names[i], names[i]);
	/* the head of our answers: the UA's Via, From, To (no tag yet), Call-ID, CSeq; the registrar's To tag */
	assert_non_null(strstr(off.head, "Via: SIP/2.0/UDP 198.51.100.2:5060;branch=z9hG4bK-7-"));
	assert_non_null(strstr(off.head, "To: <sip:alice@example.com>\r\n"));
	assert_non_null(strstr(off.head, "CSeq: 7 REGISTER\r\n"));
	assert_int_equal(strlen(off.to_tag), 16);
	assert_int_equal(strncmp(off.branch, "z9hG4bK-7-", 10), 0);
	assert_int_equal(off.msg_len, strlen(off.msg));
	assert_non_null(strstr(off.msg, "REGISTER sip:example.com SIP/2.0\r\n"));
}

/*
 * Decide first: absorbs sees the decision's facts; absorbed, the request is
 * answered as a final registrar and take (with everything forwarding needs)
 * is never called; not absorbed, take gets every fact as without the ask.
 */
static void test_decide_first(void **state)
{
	struct th_env *e = *state;
	off.take = false;
	ask.absorb = true;
	assert_int_equal(reg(e, CT, 1), 200); /* absorbed: stored and answered as a final registrar */
	assert_false(e->res.mid_taken);
	assert_int_equal(th_binding_count(e, ALICE), 1);
	assert_int_equal(ask.calls, 1);
	assert_int_equal(off.calls, 0);
	assert_string_equal(ask.aor, ALICE);
	assert_int_equal(strncmp(ask.branch, "z9hG4bK-1-", 10), 0);
	assert_true(strlen(ask.call_id) > 0);
	assert_int_equal(ask.cseq, 1);
	assert_int_equal(ask.n_contacts, 1);
	assert_int_equal(ask.expires, 600);
	assert_int_equal(ask.requested, 600);
	assert_int_equal(ask.binding_id, 0);
	uint64_t id = th_binding(e, ALICE, 0)->id;

	/* the refresh names the binding; not absorbed: take gets the full facts, nothing is answered */
	ask.absorb = false;
	off.take = true;
	assert_int_equal(reg(e, CT, 2), 0);
	assert_true(e->res.mid_taken);
	assert_int_equal(ask.calls, 2);
	assert_int_equal(ask.binding_id, id);
	assert_int_equal(ask.n_lines, 0); /* the header lines are gathered only after the ask */
	assert_int_equal(off.calls, 1);
	assert_int_equal(off.binding_id, id);
	assert_int_equal(off.n_lines, 8);
	assert_string_equal(off.user, "alice");
	assert_string_equal(off.params, ";expires=600;+sip.instance=\"<urn:uuid:1>\"");
	assert_int_equal(off.reply_port, 5060);
	assert_int_equal(off.msg_len, strlen(off.msg));
	assert_int_equal(strlen(off.to_tag), 16);
	assert_int_equal(off.max_forwards, 70);
}

/* The lease hook (sr_reg_mid_hooks.absorbed): refreshes the binding's lease covers, absorbed unasked. */
static unsigned leased_calls;

static void absorbed(void *ctx)
{
	(void)ctx;
	leased_calls++;
}

static int setup_leased(void **state)
{
	memset(&off, 0, sizeof(off));
	memset(&ask, 0, sizeof(ask));
	leased_calls = 0;
	struct sr_reg_mid_hooks h = { .take = take, .absorbs = absorbs, .absorbed = absorbed };
	*state = th_env_new_mid(&h);
	return *state ? 0 : -1;
}

/*
 * The lease kept with the binding (lib/midreg's, through sr_loc_set_lease):
 * a refresh it covers (now + grant <= lease) is answered as a final
 * registrar and counted, neither absorbs nor take asked; one second short,
 * the decision is asked. The store keeps the lease across a refresh that
 * replaces the binding's object, and a lease for an unknown binding is refused.
 */
static void test_leased(void **state)
{
	struct th_env *e = *state;
	struct sr_loc *loc = sr_reg_location(e->shard);
	ask.absorb = true;
	assert_int_equal(reg(e, CT, 1), 200); /* new: no lease, asked */
	assert_int_equal(ask.calls, 1);
	const struct sr_binding *b = th_binding(e, ALICE, 0);
	uint64_t id = b->id;
	assert_int_equal(sr_loc_lease(b), 0);
	uint32_t now_s = (uint32_t)(e->now_ms / 1000);
	assert_true(sr_loc_set_lease(loc, SR_STR_LIT(ALICE), id, now_s + 600));
	assert_false(sr_loc_set_lease(loc, SR_STR_LIT(ALICE), id + 1, 1));
	assert_false(sr_loc_set_lease(loc, SR_STR_LIT("sip:nobody@example.com"), id, 1));

	/* covered: 200, refreshed, counted through the hook, nothing asked */
	e->now_ms += 1000;
	ask.absorb = false;
	off.take = true;
	assert_int_equal(reg(e, "<sip:alice@198.51.100.2:5062>;expires=599;+sip.instance=\"<urn:uuid:1>\";x=1", 2),
			 200);
	assert_false(e->res.mid_taken);
	assert_int_equal(leased_calls, 1);
	assert_int_equal(ask.calls, 1);
	assert_int_equal(off.calls, 0);
	b = th_binding(e, ALICE, 0);
	assert_int_equal(b->id, id);
	assert_int_equal(sr_binding_expires(b), now_s + 600);
	assert_string_equal(th_field(b, SR_BF_PARAMS), ";+sip.instance=\"<urn:uuid:1>\";x=1"); /* another object */
	assert_int_equal(sr_loc_lease(b), now_s + 600); /* kept with it */

	/* one second beyond the lease: the decision is asked (here it sends the REGISTER up) */
	assert_int_equal(reg(e, CT, 3), 0);
	assert_true(e->res.mid_taken);
	assert_int_equal(leased_calls, 1);
	assert_int_equal(ask.calls, 2);
	assert_int_equal(off.calls, 1);
}

/* io.apply: stored with the main registrar's expiry, the id returned; a refresh names it; expiry 0 removes it. */
static void test_apply_store_refresh_remove(void **state)
{
	struct th_env *e = *state;
	off.take = true;
	assert_int_equal(reg(e, CT, 1), 0);
	uint64_t ids[SR_MIDREG_MAX_CONTACTS];
	assert_int_equal(apply(e, 300, ids), 0);
	assert_int_not_equal(ids[0], 0);
	assert_int_equal(th_binding_count(e, ALICE), 1);
	const struct sr_binding *b = th_binding(e, ALICE, 0);
	assert_int_equal(b->id, ids[0]);
	assert_int_equal(sr_binding_expires(b), (uint32_t)(e->now_ms / 1000) + 300);
	assert_string_equal(th_field(b, SR_BF_CONTACT), "sip:alice@198.51.100.2:5062");
	assert_int_equal(e->n_events, 1);
	assert_int_equal(e->events[0].type, SR_EV_ADDED);

	/* the UA's refresh is offered naming that binding; absorbed, it is answered as a final registrar */
	off.take = false;
	assert_int_equal(reg(e, CT, 2), 200);
	assert_false(e->res.mid_taken);
	assert_int_equal(off.binding_id, ids[0]);
	assert_int_equal(sr_binding_expires(th_binding(e, ALICE, 0)), (uint32_t)(e->now_ms / 1000) + 600);

	/* a removal confirmed upstream: applied with expiry 0 */
	off.take = true;
	assert_int_equal(reg(e, "<sip:alice@198.51.100.2:5062>;expires=0", 3), 0);
	assert_int_equal(off.expires, 0);
	assert_int_equal(off.binding_id, ids[0]);
	assert_int_equal(th_binding_count(e, ALICE), 1); /* nothing changes before the main registrar answers */
	uint64_t ids2[SR_MIDREG_MAX_CONTACTS];
	assert_int_equal(apply(e, 0, ids2), 0);
	assert_int_equal(ids2[0], 0);
	assert_int_equal(th_binding_count(e, ALICE), 0);
	assert_int_equal(e->events[e->n_events - 1].type, SR_EV_REMOVED);
}

/* A kept request overtaken by a newer REGISTER absorbed meanwhile: applying it keeps the newer binding. */
static void test_apply_overtaken(void **state)
{
	struct th_env *e = *state;
	off.take = false;
	assert_int_equal(reg(e, CT, 1), 200);
	uint64_t id = th_binding(e, ALICE, 0)->id;
	off.take = true;
	assert_int_equal(reg(e, CT, 2), 0); /* upstream */
	struct offered kept = off;
	off.take = false;
	e->now_ms += 5000;
	assert_int_equal(reg(e, CT, 3), 200); /* absorbed meanwhile */
	off = kept;
	uint64_t ids[SR_MIDREG_MAX_CONTACTS];
	assert_int_equal(apply(e, 300, ids), 0);
	assert_int_equal(ids[0], id);
	assert_int_equal(th_binding_count(e, ALICE), 1);
	assert_int_equal(sr_binding_expires(th_binding(e, ALICE, 0)), (uint32_t)(e->now_ms / 1000) + 600);
}

/* The registrar's own checks come first: a request they refuse is answered here and never offered. */
static void test_checks_first(void **state)
{
	struct th_env *e = *state;
	off.take = true;
	assert_int_equal(reg(e, "<sip:alice@198.51.100.2:5062>;expires=1", 1), 423); /* below min_expires */
	assert_int_equal(off.calls, 0);
	struct th_req r = { .contact = CT, .to = "sip:alice@elsewhere.example" };
	assert_int_equal(th_send(e, &r), 404); /* a domain not served */
	assert_int_equal(off.calls, 0);
	/* a query (no Contact) is answered from the local bindings, never offered */
	assert_int_equal(reg(e, NULL, 1), 200);
	assert_int_equal(off.calls, 0);
}

/* Contact: * is offered as such (no contacts), and apply with it removes every binding. */
static void test_star(void **state)
{
	struct th_env *e = *state;
	off.take = false;
	assert_int_equal(reg(e, CT, 1), 200); /* absorbed: stored by the registrar itself */
	off.take = true;
	struct th_req r = { .contact = "*", .cseq = 2, .extra = "Expires: 0\r\n" };
	assert_int_equal(th_send(e, &r), 0);
	assert_true(off.star);
	assert_int_equal(off.n_contacts, 0);
	assert_int_equal(th_binding_count(e, ALICE), 1);
	struct sr_midreg_apply a = { .aor = SR_STR_LIT(ALICE), .msg = sr_str_make(off.msg, off.msg_len),
				     .host_state = sr_str_make(off.host_state, off.hs_len), .star = true };
	uint64_t ids[SR_MIDREG_MAX_CONTACTS];
	assert_int_equal(sr_reg_mid_apply(e->shard, &a, e->now_ms, ids), 0);
	assert_int_equal(th_binding_count(e, ALICE), 0);
}

/* A kept request the store cannot take now (the AoR table full) is refused as a whole: a status, nothing stored. */
static void test_apply_bad_state(void **state)
{
	struct th_env *e = *state;
	off.take = true;
	assert_int_equal(reg(e, CT, 1), 0);
	uint64_t ids[SR_MIDREG_MAX_CONTACTS];
	struct sr_midreg_apply a = { .aor = SR_STR_LIT(ALICE), .msg = sr_str_make(off.msg, off.msg_len),
				     .host_state = SR_STR_LIT("short"), .n = 1 };
	a.expires[0] = 300;
	assert_int_equal(sr_reg_mid_apply(e->shard, &a, e->now_ms, ids), 500);
	assert_int_equal(th_binding_count(e, ALICE), 0);
}

/* lib/sip's readers: header lines with names (a folded one whole), a response's reason phrase. */
static void test_readers(void **state)
{
	(void)state;
	const char *msg = "SIP/2.0 401 Unauthorized Here\r\n"
			  "Via: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bK1\r\n"
			  "WWW-Authenticate: Digest realm=\"x\",\r\n"
			  " nonce=\"n\"\r\n"
			  "CSeq : 1 REGISTER\r\n"
			  "\r\n";
	size_t headers_at = strlen("SIP/2.0 401 Unauthorized Here\r\n");
	struct sr_mid_line lines[4];
	unsigned n;
	assert_true(sr_mid_header_lines(msg, headers_at, strlen(msg), lines, 4, &n));
	assert_int_equal(n, 3);
	assert_true(sr_str_eq(lines[1].name, SR_STR_LIT("WWW-Authenticate")));
	assert_int_equal(lines[1].line.len, strlen("WWW-Authenticate: Digest realm=\"x\",\r\n nonce=\"n\"\r\n"));
	assert_true(sr_str_eq(lines[2].name, SR_STR_LIT("CSeq")));
	assert_false(sr_mid_header_lines(msg, headers_at, strlen(msg), lines, 2, &n)); /* more than cap */
	assert_true(sr_str_eq(sr_mid_status_reason(msg, headers_at), SR_STR_LIT("Unauthorized Here")));
	assert_int_equal(sr_mid_status_reason("SIP/2.0 200\r\n", 13).len, 0);
	/* user parts as written: the AoR contact's escape stays (the view would unescape it) */
	assert_true(sr_str_eq(sr_mid_uri_user_raw(SR_STR_LIT("sip:frank%40example.com@198.51.100.1:5060")),
			      SR_STR_LIT("frank%40example.com")));
	assert_int_equal(sr_mid_uri_user_raw(SR_STR_LIT("sip:198.51.100.1;lr")).len, 0);
	assert_int_equal(sr_mid_uri_user_raw(SR_STR_LIT("garbage")).len, 0);
	assert_int_equal(sr_mid_uri_user_raw(SR_STR_NULL).len, 0); /* a response's absent Request-URI (fuzz_sip_parse) */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_taken_facts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_store_refresh_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_decide_first, setup_decide_first, teardown),
		cmocka_unit_test_setup_teardown(test_leased, setup_leased, teardown),
		cmocka_unit_test_setup_teardown(test_apply_overtaken, setup, teardown),
		cmocka_unit_test_setup_teardown(test_checks_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_star, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_bad_state, setup, teardown),
		cmocka_unit_test(test_readers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
