/*
 * test_route_push.c - the forking proxy with RFC 8599 holds (route_push.c):
 * a request to a sleeping push-only user is held without a branch and
 * forked to the device when it re-registers; 480 when nobody re-registers
 * within refresh_timeout; an awake contact rings at once while a pushed one
 * may still join (its final answer waits for the hold); a CANCEL ends the
 * hold with 487; a full hold table gives 503 with Retry-After. PURR: an
 * in-dialog request naming a sleeping push binding's PURR is held without a
 * branch and forwarded along the dialog when the binding re-registers, or
 * anyway when refresh_timeout passes; one whose PURR names nothing of ours
 * goes at once.
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
#define AOR "sip:bob@example.com"
#define PACKED "pn-provider\0apns\0pn-prid\0tok-1\0"

struct fix {
	struct rh h;
	struct sr_push_shard *ps;
	unsigned emitted;
	char last_event[SR_PUSH_EVENT_MAX];
};

static bool io_emit(void *ctx, const char *json, size_t len)
{
	struct fix *f = ctx;
	f->emitted++;
	snprintf(f->last_event, sizeof(f->last_event), "%.*s", (int)len, json);
	return true;
}

static void io_release(void *ctx, void *req, enum sr_push_hold kind, void *binding, bool last)
{
	struct fix *f = ctx;
	if (kind == SR_PUSH_HOLD_PURR)
		sr_route_push_purr_go(f->h.rs, req, f->h.now);
	else
		sr_route_push_release(f->h.rs, req, binding, last, f->h.now);
}

static void io_expired(void *ctx, void *req, enum sr_push_hold kind, unsigned woken)
{
	struct fix *f = ctx;
	(void)woken;
	if (kind == SR_PUSH_HOLD_PURR)
		sr_route_push_purr_go(f->h.rs, req, f->h.now);
	else
		sr_route_push_expired(f->h.rs, req, f->h.now);
}

static struct fix *fix_new_purr(uint32_t held, bool purr)
{
	static struct fix f;
	memset(&f, 0, sizeof(f));
	struct sr_push_config pc;
	sr_push_config_defaults(&pc);
	pc.enable = true;
	pc.purr = purr;
	snprintf(pc.providers, sizeof(pc.providers), "apns");
	struct sr_push_rules r;
	char err[256];
	assert_null(sr_push_rules_init(&r, &pc, err, sizeof(err)));
	static const struct sr_push_io io = { io_emit, io_release, io_expired };
	const uint64_t secret[2] = { 1, 2 };
	f.ps = sr_push_shard_create(&r, secret, held, &io, &f);
	assert_non_null(f.ps);
	struct sr_route_config cfg = rh_config(SR_ROUTE_PROXY, purr);
	cfg.push = f.ps;
	rh_init(&f.h, &cfg);
	return &f;
}

static struct fix *fix_new(uint32_t held)
{
	return fix_new_purr(held, false);
}

static void fix_free(struct fix *f)
{
	f->h.now += 7000; /* every hold's deadline passed, then every transaction's timers */
	sr_push_advance(f->ps, f->h.now, 100);
	rh_run_to(&f->h, f->h.now + 70000);
	assert_int_equal(sr_route_stats(f->h.rs)->live_contexts, 0);
	rh_free(&f->h);
	sr_push_shard_free(f->ps);
}

/* A push binding of bob, last refreshed at second 0, expiring in an hour. */
static struct sr_route_binding *bind_push(struct fix *f, const char *ip, uint16_t port)
{
	static char contact[4][96];
	static unsigned k;
	char *c = contact[k++ % 4];
	snprintf(c, 96, "sip:bob@%s:%u;pn-provider=apns;pn-prid=tok-1", ip, port);
	struct sr_route_binding *b = rh_bind(&f->h, c, 1000, rh_ip(ip), port);
	b->push = (struct sr_push_binding){ .contact = sr_str_cstr(c), .params = sr_str_make(PACKED, sizeof(PACKED) - 1),
					    .refreshed_s = 0, .expires_s = 3600 };
	return b;
}

/* The device re-registers from ip:port: what the worker hands lib/push after the REGISTER. */
static unsigned wake(struct fix *f, const char *ip, uint16_t port)
{
	static char contact[96];
	snprintf(contact, sizeof(contact), "sip:bob@%s:%u;pn-provider=apns;pn-prid=tok-1", ip, port);
	static struct sr_route_binding nb;
	nb = (struct sr_route_binding){ .contact = sr_str_cstr(contact), .q = 1000,
					.source = { rh_ip(ip), port, false } };
	nb.push = (struct sr_push_binding){ .contact = nb.contact, .params = sr_str_make(PACKED, sizeof(PACKED) - 1),
					    .refreshed_s = (uint32_t)(f->h.now / 1000), .expires_s = 7200 };
	return sr_push_on_register(f->ps, SR_STR_LIT(AOR), &nb.push, &nb);
}

static void test_held_then_forked_to_the_woken_device(void **state)
{
	(void)state;
	struct fix *f = fix_new(8);
	bind_push(f, IP_A, 5061);
	rh_request(&f->h, &(struct rh_req){ 0 });
	assert_int_equal(f->h.n_sends, 1); /* 100 Trying only: no branch to the sleeping device */
	assert_memory_equal(f->h.sends[0].bytes, "SIP/2.0 100 Trying\r\n", 20);
	assert_int_equal(f->emitted, 1);
	assert_non_null(strstr(f->last_event, "\"reason\":\"call\""));
	assert_non_null(strstr(f->last_event, "\"pn-prid\":\"tok-1\""));
	assert_int_equal(sr_push_stats(f->ps)->holding, 1);

	f->h.now += 1500;
	assert_int_equal(wake(f, IP_B, 5099), 1);
	assert_int_equal(f->h.n_sends, 2);
	assert_memory_equal(f->h.sends[1].bytes, "INVITE sip:bob@" IP_B ":5099;pn-provider=apns;pn-prid=tok-1 SIP/2.0",
			    strlen("INVITE sip:bob@" IP_B ":5099;pn-provider=apns;pn-prid=tok-1 SIP/2.0"));
	assert_int_equal(f->h.sends[1].to.ip, rh_ip(IP_B));
	assert_int_equal(f->h.sends[1].to.port, 5099);
	assert_int_equal(sr_push_stats(f->ps)->holding, 0);
	assert_int_equal(rh_answer(&f->h, 1, 200, "b-tag", NULL), 1);
	assert_int_equal(rh_find(&f->h, 2, "SIP/2.0 200 OK"), 2);
	fix_free(f);
}

static void test_480_when_nobody_wakes(void **state)
{
	(void)state;
	struct fix *f = fix_new(8);
	bind_push(f, IP_A, 5061);
	rh_request(&f->h, &(struct rh_req){ 0 });
	f->h.now += 5900;
	assert_int_equal(sr_push_advance(f->ps, f->h.now, 10), 0);
	assert_int_equal(rh_find(&f->h, 1, "SIP/2.0 480"), -1);
	f->h.now += 200; /* refresh_timeout (6 s) passed */
	assert_int_equal(sr_push_advance(f->ps, f->h.now, 10), 1);
	assert_true(rh_find(&f->h, 1, "SIP/2.0 480 Temporarily Unavailable") > 0);
	assert_int_equal(sr_push_stats(f->ps)->timed_out, 1);
	assert_int_equal(rh_count(&f->h, 0, "INVITE"), 0);
	fix_free(f);
}

static void test_awake_contact_rings_while_pushed_one_may_join(void **state)
{
	(void)state;
	struct fix *f = fix_new(8);
	rh_bind(&f->h, "sip:bob@" IP_A ":5061", 1000, rh_ip(IP_A), 5061); /* a desk phone */
	bind_push(f, IP_B, 5062);
	rh_request(&f->h, &(struct rh_req){ 0 });
	int inv = rh_find(&f->h, 0, "INVITE sip:bob@" IP_A ":5061 SIP/2.0");
	assert_true(inv > 0);
	assert_int_equal(rh_count(&f->h, 0, "INVITE"), 1);
	assert_int_equal(f->emitted, 1);
	/* the desk phone is busy: its 486 waits for the pushed device */
	rh_answer(&f->h, (unsigned)inv, 486, "a-tag", NULL);
	assert_int_equal(rh_find(&f->h, 0, "SIP/2.0 486"), -1);
	f->h.now += 6100;
	sr_push_advance(f->ps, f->h.now, 10);
	assert_true(rh_find(&f->h, 0, "SIP/2.0 486") > 0);
	fix_free(f);
}

static void test_cancel_ends_the_hold(void **state)
{
	(void)state;
	struct fix *f = fix_new(8);
	bind_push(f, IP_A, 5061);
	rh_request(&f->h, &(struct rh_req){ 0 });
	rh_request(&f->h, &(struct rh_req){ .method = "CANCEL" });
	assert_true(rh_find(&f->h, 1, "SIP/2.0 487 Request Terminated") > 0);
	assert_int_equal(sr_push_stats(f->ps)->cancelled, 1);
	assert_int_equal(sr_push_stats(f->ps)->holding, 0);
	assert_int_equal(wake(f, IP_B, 5099), 0); /* nothing waits any more */
	assert_int_equal(rh_count(&f->h, 0, "INVITE"), 0);
	fix_free(f);
}

static void test_full_table_503(void **state)
{
	(void)state;
	struct fix *f = fix_new(1);
	bind_push(f, IP_A, 5061);
	rh_request(&f->h, &(struct rh_req){ 0 });
	/* another device of bob's gets pushed too: its request finds the table full */
	struct sr_route_binding *b = bind_push(f, IP_B, 5062);
	static const char other[] = "pn-provider\0apns\0pn-prid\0tok-2\0";
	b->push.params = sr_str_make(other, sizeof(other) - 1);
	f->h.n_bindings = 0;
	f->h.bindings[0] = *b;
	f->h.n_bindings = 1;
	rh_request(&f->h, &(struct rh_req){ .branch = "z9hG4bK-caller-2", .call_id = "call-2@198.51.100.2" });
	int i = rh_find(&f->h, 1, "SIP/2.0 503");
	assert_true(i > 0);
	char v[32];
	assert_string_not_equal(rh_header(&f->h, (unsigned)i, "Retry-After", v, sizeof(v)), "");
	assert_int_equal(sr_push_stats(f->ps)->held_full, 1);
	fix_free(f);
}

/*
 * A dialog alice -> bob through us with Record-Route; returns our Route
 * value and its token (static). found: the glue finds bob's push binding by
 * the PURR, asleep (refreshed at second 0, ten seconds ago).
 */
static const char *dialog(struct fix *f, const char **token, bool found)
{
	static char v[512], tok[64], route[128];
	rh_bind(&f->h, "sip:bob@192.168.1.20:5060", 1000, rh_ip(IP_A), 5060);
	rh_request(&f->h, &(struct rh_req){ 0 });
	rh_header(&f->h, 1, "Record-Route", v, sizeof(v));
	snprintf(tok, sizeof(tok), "%.*s", (int)(strchr(v, '@') - v - 5), v + 5);
	snprintf(route, sizeof(route), "<sip:%s@198.51.100.1:5060;lr>", tok);
	rh_answer(&f->h, 1, 200, "bob-tag", NULL);
	*token = tok;
	f->h.purr_found = found;
	f->h.purr_pb = (struct sr_push_binding){ .contact = SR_STR_LIT("sip:bob@192.168.1.20:5060"),
						 .params = sr_str_make(PACKED, sizeof(PACKED) - 1), .expires_s = 3600 };
	f->h.now += 10000;
	return route;
}

/* An in-dialog request from alice to bob whose Request-URI carries a PURR. */
static struct rh_req in_dialog(const char *method, const char *branch, uint32_t cseq, const char *route,
			       const char *token)
{
	return (struct rh_req){ .method = method, .branch = branch, .to_tag = "bob-tag", .cseq = cseq,
				.ruri = "sip:bob@192.168.1.20:5060;pn-purr=00aa0000000000000007abcdefabcdef",
				.kind = SR_RURI_FOREIGN, .routes = { route }, .top_route_self = true,
				.top_route_user = token, .purr = "00aa0000000000000007abcdefabcdef" };
}

static void test_purr_held_until_the_binding_wakes(void **state)
{
	(void)state;
	struct fix *f = fix_new_purr(8, true);
	const char *token, *route = dialog(f, &token, true);
	unsigned mark = f->h.n_sends;
	struct rh_req r = in_dialog("INFO", "z9hG4bK-info-1", 2, route, token);
	assert_int_equal(rh_request(&f->h, &r), SR_ROUTE_HANDLED);
	assert_string_equal(f->h.last_purr, "00aa0000000000000007abcdefabcdef");
	assert_int_equal(f->h.n_sends, mark); /* held: nothing forwarded, no answer yet */
	assert_int_equal(f->emitted, 1);
	assert_non_null(strstr(f->last_event, "\"reason\":\"purr\""));
	assert_int_equal(sr_push_stats(f->ps)->held, 1);
	assert_int_equal(sr_push_stats(f->ps)->triggered[SR_PUSH_R_PURR], 1);

	/* a retransmission is absorbed by the server transaction, not pushed again */
	rh_request(&f->h, &r);
	assert_int_equal(f->emitted, 1);

	/* bob re-registers: the INFO goes along the dialog as planned */
	f->h.now += 500;
	assert_int_equal(wake(f, IP_A, 5060), 1);
	int fwd = rh_find(&f->h, mark, "INFO sip:bob@192.168.1.20:5060;pn-purr=00aa0000000000000007abcdefabcdef SIP/2.0\r\n");
	assert_true(fwd >= 0);
	assert_true(f->h.sends[fwd].to.ip == rh_ip(IP_A) && f->h.sends[fwd].to.port == 5060);
	rh_answer(&f->h, (unsigned)fwd, 200, NULL, NULL);
	assert_true(rh_find(&f->h, mark, "SIP/2.0 200 OK") > fwd);
	assert_int_equal(sr_push_stats(f->ps)->released, 1);
	assert_int_equal(sr_push_stats(f->ps)->holding, 0);
	fix_free(f);
}

static void test_purr_sent_anyway_after_refresh_timeout(void **state)
{
	(void)state;
	struct fix *f = fix_new_purr(8, true);
	const char *token, *route = dialog(f, &token, true);
	unsigned mark = f->h.n_sends;
	struct rh_req r = in_dialog("BYE", "z9hG4bK-bye-1", 3, route, token);
	rh_request(&f->h, &r);
	assert_int_equal(f->h.n_sends, mark);
	f->h.now += 5900; /* refresh_timeout is 6 s: not yet */
	sr_push_advance(f->ps, f->h.now, 100);
	assert_int_equal(f->h.n_sends, mark);
	f->h.now += 200;
	assert_int_equal(sr_push_advance(f->ps, f->h.now, 100), 1);
	int fwd = rh_find(&f->h, mark, "BYE sip:bob@192.168.1.20:5060;pn-purr=");
	assert_true(fwd >= 0);
	assert_true(f->h.sends[fwd].to.ip == rh_ip(IP_A) && f->h.sends[fwd].to.port == 5060);
	assert_int_equal(sr_push_stats(f->ps)->timed_out, 1);
	fix_free(f);
}

static void test_purr_not_ours_goes_at_once(void **state)
{
	(void)state;
	struct fix *f = fix_new_purr(8, true);
	const char *token, *route = dialog(f, &token, false); /* a PURR we did not write, or its binding is gone */
	unsigned mark = f->h.n_sends;
	struct rh_req r = in_dialog("INFO", "z9hG4bK-info-9", 4, route, token);
	rh_request(&f->h, &r);
	assert_true(rh_find(&f->h, mark, "INFO sip:bob@192.168.1.20:5060;pn-purr=") >= 0);
	assert_int_equal(f->emitted, 0);
	assert_int_equal(sr_push_stats(f->ps)->held, 0);
	fix_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_held_then_forked_to_the_woken_device),
		cmocka_unit_test(test_480_when_nobody_wakes),
		cmocka_unit_test(test_awake_contact_rings_while_pushed_one_may_join),
		cmocka_unit_test(test_cancel_ends_the_hold),
		cmocka_unit_test(test_full_table_503),
		cmocka_unit_test(test_purr_held_until_the_binding_wakes),
		cmocka_unit_test(test_purr_sent_anyway_after_refresh_timeout),
		cmocka_unit_test(test_purr_not_ours_goes_at_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
