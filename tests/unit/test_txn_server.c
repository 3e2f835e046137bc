/*
 * test_txn_server.c - server transactions (RFC 3261 17.2, RFC 6026) driven
 * by a fake clock: request retransmissions absorbed with the last response
 * re-sent, Timer G doubling to T2, H, I, J, L, the Accepted state, ACK and
 * CANCEL matching (17.2.3), RFC 2543 matching, reliable transports.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "txn_harness.h"

#define BR "z9hG4bK-client-1"
#define VIA "192.168.1.2:5070"

static const char R100[] = "SIP/2.0 100 Trying\r\n\r\n";
static const char R180[] = "SIP/2.0 180 Ringing\r\n\r\n";
static const char R200[] = "SIP/2.0 200 OK\r\n\r\n";
static const char R486[] = "SIP/2.0 486 Busy Here\r\n\r\n";

static int respond(struct harness *h, struct sr_txn *t, int status, const char *bytes)
{
	return sr_txn_server_respond(h->ts, t, status, bytes, strlen(bytes), h->now);
}

static struct sr_txn *new_server(struct harness *h, const char *method, const char *branch)
{
	struct sr_txn_req rq = h_req(method, branch, VIA);
	struct sr_txn *t, *inv;
	assert_int_equal(sr_txn_server_request(h->ts, &rq, &h_caller, h->now, &t, &inv), SR_TXN_RX_NEW);
	assert_non_null(t);
	return t;
}

static int again(struct harness *h, const char *method, const char *branch, const char *via,
		 struct sr_txn **t, struct sr_txn **inv)
{
	struct sr_txn_req rq = h_req(method, branch, via);
	return sr_txn_server_request(h->ts, &rq, &h_caller, h->now, t, inv);
}

/* INVITE, 100, retransmitted INVITE gets the 100 again, 486: Timer G at 500, 1500, 3500, 7500 then every 4 s, H at 32 s. */
static void test_invite_non2xx_timer_g_and_h(void **state)
{
	(void)state;
	struct harness h;
	struct sr_txn *t, *x, *inv;
	h_init(&h, 16, 1000);
	t = new_server(&h, "INVITE", BR);
	assert_int_equal(sr_txn_state(t), SR_TXN_PROCEEDING);
	assert_true(sr_txn_is_invite(t));
	assert_false(sr_txn_is_client(t));
	assert_int_equal(respond(&h, t, 100, R100), SR_TXN_OK);
	assert_int_equal(h.n_sends, 1);
	assert_int_equal(again(&h, "INVITE", BR, VIA, &x, &inv), SR_TXN_RX_ABSORBED);
	assert_null(x);
	assert_int_equal(h.n_sends, 2);
	assert_string_equal(h.sends[1].bytes, R100);
	assert_int_equal(h.sends[1].to.port, h_caller.port);

	assert_int_equal(respond(&h, t, 486, R486), SR_TXN_OK);
	assert_int_equal(sr_txn_state(t), SR_TXN_COMPLETED);
	assert_int_equal(respond(&h, t, 200, R200), SR_TXN_E_STATE);
	h_run_to(&h, 1000 + 40000);
	uint64_t at[32];
	unsigned n = h_send_times(&h, 2, "SIP/2.0 486", 1000, at, 32);
	static const uint64_t want[] = { 0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500 };
	assert_int_equal(n, sizeof(want) / sizeof(want[0]));
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(at[i], want[i]);
	assert_int_equal(h.n_timeouts, 1);
	assert_int_equal(h.timeouts[0].which, 'H');
	assert_int_equal(h.timeouts[0].at, 1000 + 32000);
	assert_int_equal(h.n_terminated, 1);
	assert_int_equal(sr_txn_stats(h.ts)->live, 0);
	assert_int_equal(sr_txn_stats(h.ts)->timeouts, 1);
	h_free(&h);
}

/* 486 then ACK: Confirmed, retransmissions stop, ACK copies absorbed, Timer I (T4) ends it. */
static void test_invite_ack_confirms_timer_i(void **state)
{
	(void)state;
	struct harness h;
	struct sr_txn *t, *x, *inv;
	h_init(&h, 16, 0);
	t = new_server(&h, "INVITE", BR);
	respond(&h, t, 486, R486);
	h_run_to(&h, 600); /* one retransmission at 500 */
	assert_int_equal(h.n_sends, 2);
	/* In Completed a retransmitted INVITE gets the final response again. */
	assert_int_equal(again(&h, "INVITE", BR, VIA, &x, &inv), SR_TXN_RX_ABSORBED);
	assert_int_equal(h.n_sends, 3);
	assert_string_equal(h.sends[2].bytes, R486);
	assert_int_equal(again(&h, "ACK", BR, VIA, &x, &inv), SR_TXN_RX_ABSORBED);
	assert_null(x);
	assert_int_equal(sr_txn_state(t), SR_TXN_CONFIRMED);
	assert_int_equal(again(&h, "ACK", BR, VIA, &x, &inv), SR_TXN_RX_ABSORBED);
	assert_int_equal(again(&h, "INVITE", BR, VIA, &x, &inv), SR_TXN_RX_ABSORBED);
	h_run_to(&h, 600 + 4999);
	assert_int_equal(h.n_sends, 3); /* nothing more: G stopped, copies absorbed silently */
	assert_int_equal(h.n_terminated, 0);
	h_run_to(&h, 600 + 5000);
	assert_int_equal(h.n_terminated, 1);
	assert_int_equal(h.n_timeouts, 0);
	assert_int_equal(sr_txn_stats(h.ts)->absorbed, 4);
	h_free(&h);
}

/* RFC 6026: 2xx -> Accepted; INVITE copies absorbed without a send, later 2xx pass, Timer L = 64*T1. */
static void test_invite_2xx_accepted_timer_l(void **state)
{
	(void)state;
	struct harness h;
	struct sr_txn *t, *x, *inv;
	h_init(&h, 16, 0);
	t = new_server(&h, "INVITE", BR);
	respond(&h, t, 180, R180);
	assert_int_equal(respond(&h, t, 200, R200), SR_TXN_OK);
	assert_int_equal(sr_txn_state(t), SR_TXN_ACCEPTED);
	assert_int_equal(h.n_sends, 2);
	assert_int_equal(again(&h, "INVITE", BR, VIA, &x, &inv), SR_TXN_RX_ABSORBED);
	assert_int_equal(h.n_sends, 2);
	assert_int_equal(respond(&h, t, 200, R200), SR_TXN_OK); /* another fork's 2xx */
	assert_int_equal(h.n_sends, 3);
	assert_int_equal(respond(&h, t, 486, R486), SR_TXN_E_STATE);
	/* An ACK with the INVITE's branch in Accepted goes to the TU with the transaction. */
	assert_int_equal(again(&h, "ACK", BR, VIA, &x, &inv), SR_TXN_RX_ACK);
	assert_ptr_equal(x, t);
	h_run_to(&h, 31999);
	assert_int_equal(h.n_terminated, 0);
	h_run_to(&h, 32000);
	assert_int_equal(h.n_terminated, 1);
	assert_int_equal(h.n_sends, 3); /* no 2xx retransmission by the layer */
	/* Now the ACK of the 2xx matches nothing: the TU forwards it. */
	assert_int_equal(again(&h, "ACK", BR, VIA, &x, &inv), SR_TXN_RX_ACK);
	assert_null(x);
	h_free(&h);
}

/* Non-INVITE: Trying absorbs silently, Proceeding re-sends the 1xx, Completed the final, Timer J = 64*T1. */
static void test_non_invite_trying_proceeding_completed_j(void **state)
{
	(void)state;
	struct harness h;
	struct sr_txn *t, *x, *inv;
	h_init(&h, 16, 0);
	t = new_server(&h, "BYE", BR);
	assert_int_equal(sr_txn_state(t), SR_TXN_TRYING);
	assert_false(sr_txn_is_invite(t));
	assert_int_equal(again(&h, "BYE", BR, VIA, &x, &inv), SR_TXN_RX_ABSORBED);
	assert_int_equal(h.n_sends, 0);
	respond(&h, t, 180, R180);
	assert_int_equal(sr_txn_state(t), SR_TXN_PROCEEDING);
	assert_int_equal(again(&h, "BYE", BR, VIA, &x, &inv), SR_TXN_RX_ABSORBED);
	assert_int_equal(h.n_sends, 2);
	assert_string_equal(h.sends[1].bytes, R180);
	h_run_to(&h, 100);
	respond(&h, t, 200, R200);
	assert_int_equal(sr_txn_state(t), SR_TXN_COMPLETED);
	assert_int_equal(respond(&h, t, 200, R200), SR_TXN_E_STATE);
	assert_int_equal(again(&h, "BYE", BR, VIA, &x, &inv), SR_TXN_RX_ABSORBED);
	assert_string_equal(h.sends[h.n_sends - 1].bytes, R200);
	unsigned sends = h.n_sends;
	h_run_to(&h, 100 + 31999);
	assert_int_equal(h.n_sends, sends); /* no retransmission of non-INVITE responses by timer */
	assert_int_equal(h.n_terminated, 0);
	h_run_to(&h, 100 + 32000);
	assert_int_equal(h.n_terminated, 1);
	h_free(&h);
}

/* 17.2.3: the key is branch + sent-by + method; ACK matches INVITE; CANCEL matches its INVITE and is its own transaction. */
static void test_cancel_matching(void **state)
{
	(void)state;
	struct harness h;
	struct sr_txn *t, *c, *x, *inv;
	h_init(&h, 16, 0);
	t = new_server(&h, "INVITE", BR);
	assert_int_equal(again(&h, "CANCEL", BR, VIA, &c, &inv), SR_TXN_RX_CANCEL);
	assert_non_null(c);
	assert_ptr_equal(inv, t);
	assert_ptr_not_equal(c, t);
	assert_false(sr_txn_is_invite(c));
	assert_int_equal(sr_txn_state(c), SR_TXN_TRYING);
	respond(&h, c, 200, R200);
	/* A retransmitted CANCEL is absorbed by the CANCEL transaction: the 200 again. */
	assert_int_equal(again(&h, "CANCEL", BR, VIA, &x, &inv), SR_TXN_RX_ABSORBED);
	assert_null(inv);
	assert_string_equal(h.sends[h.n_sends - 1].bytes, R200);
	/* Other branch, other sent-by: no INVITE to cancel. */
	assert_int_equal(again(&h, "CANCEL", "z9hG4bK-other", VIA, &x, &inv), SR_TXN_RX_CANCEL_NOMATCH);
	assert_null(x);
	assert_int_equal(again(&h, "CANCEL", BR, "192.168.1.9:5070", &x, &inv), SR_TXN_RX_CANCEL_NOMATCH);
	/* Same branch, another method: another transaction (17.2.3 compares the method). */
	assert_int_equal(again(&h, "OPTIONS", BR, VIA, &x, &inv), SR_TXN_RX_NEW);
	assert_ptr_not_equal(x, t);
	/* An ACK matching nothing is for the TU (the ACK of a 2xx). */
	assert_int_equal(again(&h, "ACK", "z9hG4bK-ack2xx", VIA, &x, &inv), SR_TXN_RX_ACK);
	assert_null(x);
	assert_int_equal(sr_txn_stats(h.ts)->live, 3);
	h_free(&h);
}

/* RFC 2543 clients (no magic cookie): matched on Request-URI, From tag, Call-ID, CSeq and top Via. */
static void test_rfc2543_matching(void **state)
{
	(void)state;
	struct harness h;
	struct sr_txn *t, *x, *inv;
	h_init(&h, 16, 0);
	struct sr_txn_req rq = h_req("INVITE", "", VIA);
	assert_int_equal(sr_txn_server_request(h.ts, &rq, &h_caller, 0, &t, &inv), SR_TXN_RX_NEW);
	struct sr_str b = sr_txn_branch(t);
	assert_true(b.len == 21 && memcmp(b.p, "2543-", 5) == 0);
	assert_int_equal(sr_txn_server_request(h.ts, &rq, &h_caller, 0, &x, &inv), SR_TXN_RX_ABSORBED);
	struct sr_txn_req old_branch = h_req("INVITE", "1234", VIA); /* a 2543 branch is ignored too */
	assert_int_equal(sr_txn_server_request(h.ts, &old_branch, &h_caller, 0, &x, &inv), SR_TXN_RX_ABSORBED);
	respond(&h, t, 486, R486);
	struct sr_txn_req ack = h_req("ACK", "", VIA);
	assert_int_equal(sr_txn_server_request(h.ts, &ack, &h_caller, 0, &x, &inv), SR_TXN_RX_ABSORBED);
	assert_int_equal(sr_txn_state(t), SR_TXN_CONFIRMED);
	struct sr_txn_req other = h_req("INVITE", "", VIA);
	other.cseq = 2;
	assert_int_equal(sr_txn_server_request(h.ts, &other, &h_caller, 0, &x, &inv), SR_TXN_RX_NEW);
	other.cseq = 1;
	other.from_tag = SR_STR_LIT("other");
	assert_int_equal(sr_txn_server_request(h.ts, &other, &h_caller, 0, &x, &inv), SR_TXN_RX_NEW);
	/* Neither branch nor Call-ID: nothing to match on. */
	other.call_id = SR_STR_NULL;
	assert_int_equal(sr_txn_server_request(h.ts, &other, &h_caller, 0, &x, &inv), SR_TXN_E_KEY);
	h_free(&h);
}

static void test_bad_keys(void **state)
{
	(void)state;
	struct harness h;
	struct sr_txn *x, *inv;
	char longbr[200];
	memset(longbr, 'a', sizeof(longbr) - 1);
	memcpy(longbr, "z9hG4bK", 7);
	longbr[sizeof(longbr) - 1] = '\0';
	h_init(&h, 16, 0);
	assert_int_equal(again(&h, "INVITE", longbr, VIA, &x, &inv), SR_TXN_E_KEY);
	assert_int_equal(again(&h, "INVITE", BR, "", &x, &inv), SR_TXN_E_KEY);
	assert_int_equal(sr_txn_stats(h.ts)->live, 0);
	h_free(&h);
}

/* Reliable transport: no Timer G, Timer I and J are zero. */
static void test_reliable_transport(void **state)
{
	(void)state;
	struct harness h;
	struct sr_txn *t, *x, *inv;
	struct sr_txn_dest tcp = h_caller;
	tcp.reliable = true;
	h_init(&h, 16, 0);
	struct sr_txn_req rq = h_req("INVITE", BR, VIA);
	assert_int_equal(sr_txn_server_request(h.ts, &rq, &tcp, 0, &t, &inv), SR_TXN_RX_NEW);
	respond(&h, t, 486, R486);
	h_run_to(&h, 5000);
	assert_int_equal(h.n_sends, 1);
	assert_int_equal(again(&h, "ACK", BR, VIA, &x, &inv), SR_TXN_RX_ABSORBED);
	assert_int_equal(h.n_terminated, 1);
	struct sr_txn_req bye = h_req("BYE", BR, VIA);
	assert_int_equal(sr_txn_server_request(h.ts, &bye, &tcp, 0, &t, &inv), SR_TXN_RX_NEW);
	respond(&h, t, 200, R200);
	assert_int_equal(h.n_terminated, 2);
	assert_int_equal(sr_txn_stats(h.ts)->live, 0);
	h_free(&h);
}

/* The pool is bounded: a request beyond it is refused with E_POOL and counted; a freed slot is reused. */
static void test_pool_exhaustion(void **state)
{
	(void)state;
	struct harness h;
	struct sr_txn *t[3], *x, *inv;
	char br[32];
	h_init(&h, 3, 0);
	for (int i = 0; i < 3; i++) {
		snprintf(br, sizeof(br), "z9hG4bK-%d", i);
		t[i] = new_server(&h, "MESSAGE", br);
	}
	assert_int_equal(again(&h, "MESSAGE", "z9hG4bK-3", VIA, &x, &inv), SR_TXN_E_POOL);
	assert_int_equal(sr_txn_stats(h.ts)->pool_exhausted, 1);
	/* A retransmission of a live one is still absorbed. */
	assert_int_equal(again(&h, "MESSAGE", "z9hG4bK-1", VIA, &x, &inv), SR_TXN_RX_ABSORBED);
	respond(&h, t[0], 200, R200);
	h_run_to(&h, 32000); /* Timer J frees t[0] */
	assert_int_equal(sr_txn_stats(h.ts)->live, 2);
	assert_int_equal(again(&h, "MESSAGE", "z9hG4bK-3", VIA, &x, &inv), SR_TXN_RX_NEW);
	assert_ptr_equal(x, t[0]); /* the freed slot */
	h_free(&h);
}

/* A response too big for a small buffer takes a large one; when none is left it is sent once, not kept. */
static void test_big_responses(void **state)
{
	(void)state;
	struct harness h;
	struct sr_txn *t[3], *x, *inv;
	static char big[3000];
	memset(big, 'x', sizeof(big) - 1);
	memcpy(big, "SIP/2.0 486 Busy Here\r\n", 23);
	h_init(&h, 8, 0); /* 2 large buffers */
	char br[32];
	for (int i = 0; i < 3; i++) {
		snprintf(br, sizeof(br), "z9hG4bK-%d", i);
		t[i] = new_server(&h, "INVITE", br);
	}
	assert_int_equal(respond(&h, t[0], 486, big), SR_TXN_OK);
	assert_int_equal(respond(&h, t[1], 486, big), SR_TXN_OK);
	assert_int_equal(respond(&h, t[2], 486, big), SR_TXN_E_BUF);
	assert_int_equal(sr_txn_stats(h.ts)->buf_exhausted, 1);
	assert_int_equal(h.n_sends, 3);
	assert_int_equal(h.sends[2].len, strlen(big));
	/* t[1]'s copy is kept: a retransmitted INVITE gets it; t[2] has nothing to re-send. */
	assert_int_equal(again(&h, "INVITE", "z9hG4bK-1", VIA, &x, &inv), SR_TXN_RX_ABSORBED);
	assert_int_equal(h.n_sends, 4);
	assert_int_equal(h.sends[3].len, strlen(big));
	assert_int_equal(again(&h, "INVITE", "z9hG4bK-2", VIA, &x, &inv), SR_TXN_RX_ABSORBED);
	assert_int_equal(h.n_sends, 4);
	h_free(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_invite_non2xx_timer_g_and_h),
		cmocka_unit_test(test_invite_ack_confirms_timer_i),
		cmocka_unit_test(test_invite_2xx_accepted_timer_l),
		cmocka_unit_test(test_non_invite_trying_proceeding_completed_j),
		cmocka_unit_test(test_cancel_matching),
		cmocka_unit_test(test_rfc2543_matching),
		cmocka_unit_test(test_bad_keys),
		cmocka_unit_test(test_reliable_transport),
		cmocka_unit_test(test_pool_exhaustion),
		cmocka_unit_test(test_big_responses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
