/*
 * test_nat_ping.c - NAT keepalives (lib/location/nat_ping.h, keepalive.h)
 * over a real registrar shard: bindings are made by REGISTERs from a source
 * that differs from their Contact, time is a fake clock, sends are recorded.
 *
 * What is checked: only NATed (OPTIONS) and outbound (CRLF) bindings are
 * pinged, each once per interval, spread evenly over it; the OPTIONS's
 * shape and destination; an answer (by its branch alone) keeps a binding,
 * a forged one does not; a binding silent for ping_timeout is removed as a
 * normal removal event; a REGISTER refresh counts as a sign of life.
 */
#include "reg_harness.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keepalive.h"
#include "nat_ping.h"

#define MAX_SENDS 4096

struct sent {
	uint32_t ip;
	uint16_t port;
	size_t len;
	char bytes[1024];
};

struct rec {
	struct sent s[MAX_SENDS];
	unsigned n;
};

static void record(void *ctx, uint32_t ip, uint16_t port, const char *bytes, size_t len)
{
	struct rec *r = ctx;
	assert_true(r->n < MAX_SENDS);
	struct sent *s = &r->s[r->n++];
	s->ip = ip;
	s->port = port;
	s->len = len < sizeof(s->bytes) - 1 ? len : sizeof(s->bytes) - 1;
	memcpy(s->bytes, bytes, s->len);
	s->bytes[s->len] = '\0';
}

static struct sr_nat_ping *pinger(struct th_env *e, struct rec *r, uint32_t interval_s, uint32_t timeout_s)
{
	struct sr_nat_ping_config c = { .interval_s = interval_s, .timeout_s = timeout_s, .worker = 3,
					.secret = { 11, 22 }, .self = SR_STR_LIT("198.51.100.1:5060") };
	struct sr_nat_ping *np = sr_nat_ping_create(&c, record, r, e->now_ms);
	assert_non_null(np);
	return np;
}

/* user i registers <sip:ui@10.0.0.1:5060> from 198.51.100.2:(20000 + i): behind NAT */
static void register_natted(struct th_env *e, unsigned i, uint32_t cseq)
{
	char user[32], contact[64], cid[32];
	snprintf(user, sizeof(user), "u%u", i);
	snprintf(contact, sizeof(contact), "<sip:u%u@10.0.0.1:5060>", i);
	snprintf(cid, sizeof(cid), "c%u", i);
	e->src.port = (uint16_t)(20000 + i);
	assert_int_equal(th_register(e, user, contact, cid, cseq), 200);
}

/* The branch of a recorded OPTIONS. */
static struct sr_str branch_of(const struct sent *s)
{
	const char *p = strstr(s->bytes, ";branch=");
	assert_non_null(p);
	return sr_str_make(p + 8, SR_NAT_BRANCH_LEN);
}

static void answer(struct th_env *e, struct sr_nat_ping *np, const struct sent *s)
{
	assert_true(sr_nat_ping_answer(np, th_loc(e), branch_of(s)));
}

/* Runs the pinger in 100 ms steps for ms milliseconds. */
static void run(struct th_env *e, struct sr_nat_ping *np, uint64_t ms)
{
	for (uint64_t t = 0; t < ms; t += 100) {
		e->now_ms += 100;
		sr_nat_ping_advance(np, th_loc(e), e->now_ms, 1000);
	}
}

static void test_only_natted_pinged_spread_over_the_interval(void **state)
{
	(void)state;
	struct th_env *e = th_env_new(NULL, NULL);
	static struct rec r;
	r.n = 0;
	for (unsigned i = 0; i < 100; i++)
		register_natted(e, i, 1);
	e->src.port = 5060; /* a contact that names its source: not behind NAT */
	assert_int_equal(th_register(e, "direct", "<sip:direct@198.51.100.2:5060>", "d", 1), 200);
	struct sr_nat_ping *np = pinger(e, &r, 10, 0);
	unsigned per_second[10] = { 0 };
	for (unsigned s = 0; s < 10; s++) {
		unsigned before = r.n;
		run(e, np, 1000);
		per_second[s] = r.n - before;
	}
	/* 100 pings over 10 s: about 10 a second, never a burst */
	for (unsigned s = 0; s < 10; s++)
		if (per_second[s] < 8 || per_second[s] > 13)
			fail_msg("second %u: %u pings", s, per_second[s]);
	assert_int_equal(r.n, 100);
	/* each NATed binding once, at its source; the direct one never */
	static bool seen[100];
	memset(seen, 0, sizeof(seen));
	for (unsigned k = 0; k < r.n; k++) {
		assert_int_equal(r.s[k].ip, inet_addr("198.51.100.2"));
		unsigned i = r.s[k].port - 20000u;
		assert_true(i < 100 && !seen[i]);
		seen[i] = true;
		assert_null(strstr(r.s[k].bytes, "direct"));
	}
	/* the next round pings them all again */
	run(e, np, 10000);
	assert_int_equal(r.n, 200);
	assert_int_equal(sr_nat_ping_stats(np)->sent, 200);
	assert_true(sr_nat_ping_stats(np)->rounds >= 1);
	sr_nat_ping_free(np);
	th_env_free(e);
}

static void test_options_shape_and_answer(void **state)
{
	(void)state;
	struct th_env *e = th_env_new(NULL, NULL);
	static struct rec r;
	r.n = 0;
	register_natted(e, 7, 1);
	struct sr_nat_ping *np = pinger(e, &r, 2, 6);
	run(e, np, 2000);
	assert_int_equal(r.n, 1);
	const struct sent *s = &r.s[0];
	assert_int_equal(s->port, 20007);
	const char *m = s->bytes;
	assert_memory_equal(m, "OPTIONS sip:u7@10.0.0.1:5060 SIP/2.0\r\n", 38);
	assert_non_null(strstr(m, "\r\nVia: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bKsn03"));
	assert_non_null(strstr(m, "\r\nTo: <sip:u7@example.com>\r\n"));
	assert_non_null(strstr(m, "\r\nCSeq: 1 OPTIONS\r\n"));
	assert_non_null(strstr(m, "\r\nMax-Forwards: 70\r\n"));
	assert_non_null(strstr(m, "\r\nContent-Length: 0\r\n\r\n"));
	unsigned w = 0;
	assert_true(sr_nat_ping_branch_owner(branch_of(s), &w));
	assert_int_equal(w, 3);
	assert_false(sr_nat_ping_branch_owner(SR_STR_LIT("z9hG4bK-other"), &w));
	assert_int_equal(sr_loc_ka_missed(th_binding(e, "sip:u7@example.com", 0)), 1);
	answer(e, np, s);
	assert_int_equal(sr_loc_ka_missed(th_binding(e, "sip:u7@example.com", 0)), 0);
	assert_int_equal(sr_nat_ping_stats(np)->answered, 1);
	/* a forged MAC (last digit changed) names nothing */
	char forged[SR_NAT_BRANCH_LEN];
	memcpy(forged, branch_of(s).p, sizeof(forged));
	forged[SR_NAT_BRANCH_LEN - 1] = forged[SR_NAT_BRANCH_LEN - 1] == '0' ? '1' : '0';
	assert_false(sr_nat_ping_answer(np, th_loc(e), sr_str_make(forged, sizeof(forged))));
	assert_int_equal(sr_nat_ping_stats(np)->stray, 1);
	/* the next ping is a new transaction (another branch, Call-ID and From tag), answered on its own */
	run(e, np, 2000);
	assert_int_equal(r.n, 2);
	assert_false(sr_str_eq(branch_of(&r.s[0]), branch_of(&r.s[1])));
	assert_int_equal(sr_loc_ka_missed(th_binding(e, "sip:u7@example.com", 0)), 1);
	answer(e, np, &r.s[1]);
	assert_int_equal(sr_loc_ka_missed(th_binding(e, "sip:u7@example.com", 0)), 0);
	sr_nat_ping_free(np);
	th_env_free(e);
}

/* interval 2 s, timeout 5 s: a binding that missed 3 pings (6 s of silence) goes, as a removal event. */
static void test_silent_binding_removed_after_timeout(void **state)
{
	(void)state;
	struct th_env *e = th_env_new(NULL, NULL);
	static struct rec r;
	r.n = 0;
	register_natted(e, 1, 1); /* answers */
	register_natted(e, 2, 1); /* silent */
	struct sr_nat_ping *np = pinger(e, &r, 2, 5);
	e->n_events = 0;
	unsigned answered_upto = 0;
	for (unsigned step = 0; step < 100; step++) { /* 10 s */
		run(e, np, 100);
		for (; answered_upto < r.n; answered_upto++)
			if (r.s[answered_upto].port == 20001)
				answer(e, np, &r.s[answered_upto]);
		if (step == 55) /* 5.6 s: three pings sent, none answered, not yet removed */
			assert_int_equal(th_binding_count(e, "sip:u2@example.com"), 1);
	}
	assert_int_equal(th_binding_count(e, "sip:u1@example.com"), 1);
	assert_int_equal(th_binding_count(e, "sip:u2@example.com"), 0);
	assert_int_equal(e->n_events, 1);
	assert_int_equal(e->events[0].type, SR_EV_REMOVED);
	assert_string_equal(e->events[0].aor, "sip:u2@example.com");
	assert_int_equal(sr_nat_ping_stats(np)->failed, 1);
	/* an answer arriving after the removal is stray */
	unsigned k = 0;
	while (r.s[k].port != 20002)
		k++;
	assert_false(sr_nat_ping_answer(np, th_loc(e), branch_of(&r.s[k])));
	sr_nat_ping_free(np);
	th_env_free(e);
}

/* A REGISTER refresh is a sign of life: the count of missed pings starts again. */
static void test_refresh_resets_silence(void **state)
{
	(void)state;
	struct th_env *e = th_env_new(NULL, NULL);
	static struct rec r;
	r.n = 0;
	register_natted(e, 4, 1);
	struct sr_nat_ping *np = pinger(e, &r, 2, 5);
	run(e, np, 4000);
	assert_int_equal(sr_loc_ka_missed(th_binding(e, "sip:u4@example.com", 0)), 2);
	register_natted(e, 4, 2);
	assert_int_equal(sr_loc_ka_missed(th_binding(e, "sip:u4@example.com", 0)), 0);
	run(e, np, 4000);
	assert_int_equal(th_binding_count(e, "sip:u4@example.com"), 1);
	sr_nat_ping_free(np);
	th_env_free(e);
}

/* An outbound (reg-id) binding gets the double CRLF on its flow, and is not removed for silence. */
static void test_outbound_gets_crlf(void **state)
{
	(void)state;
	struct th_env *e = th_env_new(NULL, NULL);
	static struct rec r;
	r.n = 0;
	e->src.port = 30000;
	struct th_req q = { .to = "sip:ob@example.com",
			    .contact = "<sip:ob@198.51.100.2:30000;ob>;reg-id=1;"
				       "+sip.instance=\"<urn:uuid:00000000-0000-0000-0000-000000000009>\"",
			    .extra = "Supported: outbound, path\r\n" };
	assert_int_equal(th_send(e, &q), 200);
	struct sr_nat_ping *np = pinger(e, &r, 2, 4);
	run(e, np, 20000);
	assert_int_equal(r.n, 10);
	assert_int_equal(r.s[0].len, 4);
	assert_memory_equal(r.s[0].bytes, "\r\n\r\n", 4);
	assert_int_equal(r.s[0].port, 30000);
	assert_int_equal(th_binding_count(e, "sip:ob@example.com"), 1);
	assert_int_equal(sr_nat_ping_stats(np)->crlf, 10);
	sr_nat_ping_free(np);
	th_env_free(e);
}

static void test_config_bounds(void **state)
{
	(void)state;
	struct rec *r = NULL;
	struct sr_nat_ping_config c = { .interval_s = 1, .timeout_s = 64, .self = SR_STR_LIT("1.2.3.4:5060") };
	assert_null(sr_nat_ping_create(&c, record, r, 0)); /* 64 missed pings cannot be counted */
	c.timeout_s = 63;
	struct sr_nat_ping *np = sr_nat_ping_create(&c, record, r, 0);
	assert_non_null(np);
	sr_nat_ping_free(np);
	c.self = SR_STR_NULL;
	assert_null(sr_nat_ping_create(&c, record, r, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_only_natted_pinged_spread_over_the_interval),
		cmocka_unit_test(test_options_shape_and_answer),
		cmocka_unit_test(test_silent_binding_removed_after_timeout),
		cmocka_unit_test(test_refresh_resets_silence),
		cmocka_unit_test(test_outbound_gets_crlf),
		cmocka_unit_test(test_config_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
