/*
 * test_regflood.c - bench/regflood's socket-free parts: the requests it builds, the
 * response reader, matching responses to requests (Call-ID + CSeq), the accounting of
 * failures (bad status, unexpected, late, timeouts, send errors), the latency
 * histogram, the workload table and the pass/fail verdict and JSON report.
 *
 * Responses are made from the generator's own requests (status line + copied Call-ID
 * and CSeq), as a registrar would answer; the clock is a plain number.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rf_hist.h"
#include "rf_msg.h"
#include "rf_report.h"
#include "rf_track.h"
#include "rf_work.h"

#define RUN 4242u
#define MS 1000000ull

static const struct sr_rf_ident ident = {"example.com", "rf", "198.51.100.2", 40000, RUN, 600};

/* the value of header `name` in msg (up to CRLF), copied into out */
static void header(const char *msg, const char *name, char *out, size_t cap)
{
	const char *p = strstr(msg, name);
	assert_non_null(p);
	p += strlen(name);
	size_t n = (size_t)(strstr(p, "\r\n") - p);
	assert_true(n < cap);
	memcpy(out, p, n);
	out[n] = '\0';
}

/* a registrar's answer to req with the given status */
static size_t answer(const char *req, int status, char *out, size_t cap)
{
	char callid[128], cseq[64];
	header(req, "\r\nCall-ID: ", callid, sizeof callid);
	header(req, "\r\nCSeq: ", cseq, sizeof cseq);
	int n = snprintf(out, cap,
			 "SIP/2.0 %d Whatever\r\nVia: SIP/2.0/UDP 198.51.100.2:40000;branch=z9hG4bK-x\r\n"
			 "To: <sip:rf0000001@example.com>;tag=1\r\nCall-ID: %s\r\nCSeq: %s\r\nContent-Length: 0\r\n\r\n",
			 status, callid, cseq);
	return (size_t)n;
}

static void test_build_ops(void **state)
{
	(void)state;
	char buf[1400];
	struct sr_rf_req r = {SR_RF_OP_NEW, 17, 1, 0};
	size_t n = sr_rf_build(buf, sizeof buf, &ident, &r);
	assert_true(n > 0 && n == strlen(buf));
	assert_non_null(strstr(buf, "REGISTER sip:example.com SIP/2.0\r\n"));
	assert_non_null(strstr(buf, "\r\nTo: <sip:rf0000017@example.com>\r\n"));
	assert_non_null(strstr(buf, "\r\nCall-ID: 17.4242@regflood\r\n"));
	assert_non_null(strstr(buf, "\r\nCSeq: 1 REGISTER\r\n"));
	assert_non_null(strstr(buf, "\r\nContact: <sip:rf0000017@198.51.100.2:40000>\r\nExpires: 600\r\n"));
	assert_non_null(strstr(buf, "Content-Length: 0\r\n\r\n"));

	/* the AoR's own Contact port, whichever socket sends */
	r.contact_port = 40003;
	assert_true(sr_rf_build(buf, sizeof buf, &ident, &r) > 0);
	assert_non_null(strstr(buf, "\r\nContact: <sip:rf0000017@198.51.100.2:40003>\r\n"));
	assert_non_null(strstr(buf, "\r\nVia: SIP/2.0/UDP 198.51.100.2:40000;"));

	r = (struct sr_rf_req){SR_RF_OP_FETCH, 17, 5, 0};
	assert_true(sr_rf_build(buf, sizeof buf, &ident, &r) > 0);
	assert_null(strstr(buf, "Contact:"));
	assert_null(strstr(buf, "Expires:"));
	assert_non_null(strstr(buf, "\r\nCSeq: 5 REGISTER\r\n"));

	r = (struct sr_rf_req){SR_RF_OP_DEREG, 17, 6, 0};
	assert_true(sr_rf_build(buf, sizeof buf, &ident, &r) > 0);
	assert_non_null(strstr(buf, "\r\nContact: *\r\nExpires: 0\r\n"));

	/* too small a buffer, an unknown op: nothing, never a truncated request */
	r.op = SR_RF_OP_NEW;
	assert_int_equal(sr_rf_build(buf, 100, &ident, &r), 0);
	r.op = SR_RF_OP_COUNT;
	assert_int_equal(sr_rf_build(buf, sizeof buf, &ident, &r), 0);
}

static void test_parse_round_trip(void **state)
{
	(void)state;
	char req[1400], resp[1400];
	struct sr_rf_req r = {SR_RF_OP_REFRESH, 123456, 7, 0};
	assert_true(sr_rf_build(req, sizeof req, &ident, &r) > 0);
	size_t n = answer(req, 200, resp, sizeof resp);
	struct sr_rf_resp out;
	assert_int_equal(sr_rf_parse(resp, n, &out), 0);
	assert_int_equal(out.status, 200);
	assert_int_equal(out.aor, 123456);
	assert_int_equal(out.run, RUN);
	assert_int_equal(out.cseq, 7);
}

static int parse_str(const char *s, struct sr_rf_resp *out)
{
	return sr_rf_parse(s, strlen(s), out);
}

static void test_parse_forms_and_rejects(void **state)
{
	(void)state;
	struct sr_rf_resp o;
	/* compact Call-ID, lower-case names, spaces before the colon */
	assert_int_equal(parse_str("SIP/2.0 423 Interval Too Brief\r\ni: 5.9@regflood\r\ncseq : 3 REGISTER\r\n\r\n", &o), 0);
	assert_int_equal(o.status, 423);
	assert_int_equal(o.aor, 5);
	assert_int_equal(o.run, 9);
	assert_int_equal(o.cseq, 3);
	/* headers after the blank line do not count */
	assert_int_equal(parse_str("SIP/2.0 200 OK\r\nCSeq: 1 REGISTER\r\n\r\nCall-ID: 1.2@regflood\r\n", &o), -1);
	static const char *const bad[] = {
		"",
		"REGISTER sip:example.com SIP/2.0\r\nCall-ID: 1.2@regflood\r\nCSeq: 1 REGISTER\r\n\r\n",
		"SIP/2.0 20 OK\r\nCall-ID: 1.2@regflood\r\nCSeq: 1 REGISTER\r\n\r\n",
		"SIP/2.0 2000 OK\r\nCall-ID: 1.2@regflood\r\nCSeq: 1 REGISTER\r\n\r\n",
		"SIP/2.0 099 OK\r\nCall-ID: 1.2@regflood\r\nCSeq: 1 REGISTER\r\n\r\n",
		"SIP/2.0 700 OK\r\nCall-ID: 1.2@regflood\r\nCSeq: 1 REGISTER\r\n\r\n",
		"SIP/2.0 200 OK\r\nCSeq: 1 REGISTER\r\n\r\n",                           /* no Call-ID */
		"SIP/2.0 200 OK\r\nCall-ID: 1.2@regflood\r\n\r\n",                      /* no CSeq */
		"SIP/2.0 200 OK\r\nCall-ID: abc@host\r\nCSeq: 1 REGISTER\r\n\r\n",      /* not ours */
		"SIP/2.0 200 OK\r\nCall-ID: 1.2@elsewhere\r\nCSeq: 1 REGISTER\r\n\r\n", /* not ours */
		"SIP/2.0 200 OK\r\nCall-ID: 1@regflood\r\nCSeq: 1 REGISTER\r\n\r\n",    /* no run */
		"SIP/2.0 200 OK\r\nCall-ID: 99999999999.2@regflood\r\nCSeq: 1 REGISTER\r\n\r\n",
		"SIP/2.0 200 OK\r\nCall-ID: 1.2@regflood\r\nCSeq: 4294967296 REGISTER\r\n\r\n",
		"SIP/2.0 200 OK\r\nCall-ID: 1.2@regflood\r\nCSeq: REGISTER\r\n\r\n",
		"SIP/2.0 200 OK\r\nCall-ID: 1.2@regfl",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (parse_str(bad[i], &o) != -1)
			fail_msg("accepted bad response #%zu", i);
	}
}

static void test_track_ownership(void **state)
{
	(void)state;
	struct sr_rf_track t[3];
	for (uint32_t i = 0; i < 3; i++)
		assert_int_equal(sr_rf_track_init(&t[i], i, 3, 1000, 10, RUN, 100 * MS, 16), 0);
	/* 10 AoRs over 3 threads: 4, 3, 3; every AoR has exactly one owner */
	assert_int_equal(t[0].n_local, 4);
	assert_int_equal(t[1].n_local, 3);
	assert_int_equal(t[2].n_local, 3);
	for (uint32_t aor = 1000; aor < 1010; aor++) {
		int owners = 0;
		for (uint32_t i = 0; i < 3; i++) {
			int64_t l = sr_rf_track_local(&t[i], aor);
			if (l >= 0) {
				owners++;
				assert_int_equal(sr_rf_track_aor(&t[i], (uint32_t)l), aor);
			}
		}
		assert_int_equal(owners, 1);
	}
	for (uint32_t i = 0; i < 3; i++) {
		assert_int_equal(sr_rf_track_local(&t[i], 999), -1);
		assert_int_equal(sr_rf_track_local(&t[i], 1010 + i), -1);
		sr_rf_track_free(&t[i]);
	}
	struct sr_rf_track bad;
	assert_int_equal(sr_rf_track_init(&bad, 3, 3, 0, 10, RUN, MS, 16), -1);
	assert_int_equal(sr_rf_track_init(&bad, 0, 0, 0, 10, RUN, MS, 16), -1);
	assert_int_equal(sr_rf_track_init(&bad, 0, 1, 0, 0, RUN, MS, 16), -1);
	assert_int_equal(sr_rf_track_init(&bad, 0, 1, UINT32_MAX, 10, RUN, MS, 16), -1);
}

static struct sr_rf_resp resp(uint32_t aor, uint32_t cseq, int status)
{
	return (struct sr_rf_resp){status, aor, RUN, cseq};
}

static void test_track_matching(void **state)
{
	(void)state;
	struct sr_rf_track t;
	assert_int_equal(sr_rf_track_init(&t, 0, 1, 0, 4, RUN, 100 * MS, 16), 0);
	struct sr_rf_req rq;
	assert_int_equal(sr_rf_track_send(&t, 0, SR_RF_OP_NEW, 10 * MS, &rq), 0);
	assert_int_equal(rq.aor, 0);
	assert_int_equal(rq.cseq, 1);
	/* one request outstanding per AoR */
	assert_int_equal(sr_rf_track_send(&t, 0, SR_RF_OP_REFRESH, 10 * MS, &rq), -1);
	assert_int_equal(t.outstanding, 1);

	struct sr_rf_resp r = resp(0, 1, 100);
	assert_int_equal(sr_rf_track_response(&t, &r, 11 * MS), SR_RF_OK); /* provisional: still pending */
	assert_int_equal(t.outstanding, 1);
	assert_int_equal(t.st.ok, 0);
	r = resp(0, 2, 200); /* a CSeq never sent */
	assert_int_equal(sr_rf_track_response(&t, &r, 11 * MS), SR_RF_UNEXPECTED);
	r = resp(0, 1, 200);
	r.run = RUN + 1; /* another run's answer */
	assert_int_equal(sr_rf_track_response(&t, &r, 11 * MS), SR_RF_UNEXPECTED);
	r = resp(9, 1, 200); /* an AoR this thread does not own */
	assert_int_equal(sr_rf_track_response(&t, &r, 11 * MS), SR_RF_UNEXPECTED);
	assert_int_equal(sr_rf_track_response(&t, NULL, 11 * MS), SR_RF_UNEXPECTED); /* unreadable */
	r = resp(0, 1, 200);
	assert_int_equal(sr_rf_track_response(&t, &r, 12 * MS + 500), SR_RF_OK);
	assert_int_equal(t.outstanding, 0);
	assert_int_equal(t.st.ok, 1);
	assert_int_equal(t.st.lat.count, 1);
	assert_int_equal(t.st.lat.max, 2 * MS + 500);
	assert_true(t.slots[0].registered);
	/* the same answer again: a duplicate */
	assert_int_equal(sr_rf_track_response(&t, &r, 13 * MS), SR_RF_UNEXPECTED);
	assert_int_equal(t.st.unexpected, 5);

	/* refresh answered 500: a failure, the AoR is free again */
	assert_int_equal(sr_rf_track_send(&t, 0, SR_RF_OP_REFRESH, 20 * MS, &rq), 0);
	assert_int_equal(rq.cseq, 2);
	r = resp(0, 2, 500);
	assert_int_equal(sr_rf_track_response(&t, &r, 21 * MS), SR_RF_BAD_STATUS);
	assert_int_equal(t.st.bad_status, 1);
	assert_int_equal(t.st.last_bad_status, 500);
	assert_int_equal(t.outstanding, 0);

	/* de-registration clears the binding state */
	assert_int_equal(sr_rf_track_send(&t, 0, SR_RF_OP_DEREG, 30 * MS, &rq), 0);
	r = resp(0, 3, 200);
	assert_int_equal(sr_rf_track_response(&t, &r, 31 * MS), SR_RF_OK);
	assert_false(t.slots[0].registered);
	assert_true(t.slots[0].removed);

	assert_int_equal(t.st.sent, 3);
	assert_int_equal(t.st.sent_op[SR_RF_OP_NEW], 1);
	assert_int_equal(t.st.sent_op[SR_RF_OP_REFRESH], 1);
	assert_int_equal(t.st.sent_op[SR_RF_OP_DEREG], 1);
	assert_int_equal(sr_rf_stats_failures(&t.st), 6);
	sr_rf_track_free(&t);
}

static void test_track_timeouts(void **state)
{
	(void)state;
	struct sr_rf_track t;
	assert_int_equal(sr_rf_track_init(&t, 0, 1, 0, 8, RUN, 100 * MS, 4), 0);
	struct sr_rf_req rq;
	for (uint32_t i = 0; i < 4; i++)
		assert_int_equal(sr_rf_track_send(&t, i, SR_RF_OP_NEW, (10 + i) * MS, &rq), 0);
	/* the FIFO holds 4: the fifth send waits */
	assert_int_equal(sr_rf_track_send(&t, 4, SR_RF_OP_NEW, 15 * MS, &rq), -2);
	assert_int_equal(t.st.sent, 4);
	/* AoR 1 answered in time */
	struct sr_rf_resp r = resp(1, 1, 200);
	assert_int_equal(sr_rf_track_response(&t, &r, 50 * MS), SR_RF_OK);
	/* nothing is old enough yet */
	assert_int_equal(sr_rf_track_expire(&t, 109 * MS), 0);
	/* AoR 0 (sent at 10 ms) times out at 110 ms, AoR 2 and 3 not yet */
	assert_int_equal(sr_rf_track_expire(&t, 110 * MS), 1);
	assert_int_equal(t.st.timeouts, 1);
	assert_int_equal(t.outstanding, 2);
	/* the answered AoR 1 was skipped on the way: AoR 2 and 3 expire together */
	assert_int_equal(sr_rf_track_expire(&t, 200 * MS), 2);
	assert_int_equal(t.st.timeouts, 3);
	assert_int_equal(t.outstanding, 0);
	assert_int_equal(sr_rf_track_expire(&t, 300 * MS), 0);
	/* the answer to a timed-out request is late; a second copy is unexpected */
	r = resp(0, 1, 200);
	assert_int_equal(sr_rf_track_response(&t, &r, 301 * MS), SR_RF_LATE);
	assert_int_equal(sr_rf_track_response(&t, &r, 301 * MS), SR_RF_UNEXPECTED);
	assert_int_equal(t.st.late, 1);
	/* the FIFO has room again; the AoR's next request gets the next CSeq */
	assert_int_equal(sr_rf_track_send(&t, 0, SR_RF_OP_NEW, 400 * MS, &rq), 0);
	assert_int_equal(rq.cseq, 2);
	/* a request the kernel refused is a send error, not a timeout */
	sr_rf_track_send_failed(&t, 0);
	assert_int_equal(t.st.send_errors, 1);
	assert_int_equal(t.outstanding, 0);
	assert_int_equal(sr_rf_track_expire(&t, 900 * MS), 0);
	assert_int_equal(t.st.timeouts, 3);
	sr_rf_track_send_failed(&t, 0); /* not pending: no effect */
	assert_int_equal(t.st.send_errors, 1);
	sr_rf_track_free(&t);
}

static void test_hist(void **state)
{
	(void)state;
	/* every value lies in its bucket, within 1/32 above it, buckets in order */
	unsigned prev = 0;
	for (uint64_t v = 0; v < 100000; v += 1 + v / 64) {
		unsigned b = sr_rf_hist_bucket(v);
		assert_true(b < SR_RF_HIST_BUCKETS);
		assert_true(b >= prev);
		prev = b;
		uint64_t hi = sr_rf_hist_bucket_high(b);
		assert_true(hi >= v);
		assert_true(hi - v <= v / 32 + 1);
		if (b > 0)
			assert_true(sr_rf_hist_bucket_high(b - 1) < v);
	}
	assert_true(sr_rf_hist_bucket(UINT64_MAX) < SR_RF_HIST_BUCKETS);
	assert_true(sr_rf_hist_bucket_high(sr_rf_hist_bucket(UINT64_MAX)) == UINT64_MAX);

	struct sr_rf_hist *h = calloc(1, sizeof *h), *g = calloc(1, sizeof *g);
	assert_int_equal(sr_rf_hist_percentile(h, 0.99), 0);
	for (uint64_t i = 1; i <= 1000; i++)
		sr_rf_hist_record(h, i * 1000); /* 1..1000 us in ns */
	uint64_t p50 = sr_rf_hist_percentile(h, 0.5), p99 = sr_rf_hist_percentile(h, 0.99);
	assert_true(p50 >= 500000 && p50 <= 500000 + 500000 / 32);
	assert_true(p99 >= 990000 && p99 <= 990000 + 990000 / 32);
	assert_int_equal(sr_rf_hist_percentile(h, 1.0), 1000000);
	/* merging adds: a slow tail of 1 % moves p99 */
	for (int i = 0; i < 20; i++)
		sr_rf_hist_record(g, 50 * MS);
	sr_rf_hist_merge(h, g);
	assert_int_equal(h->count, 1020);
	assert_int_equal(h->max, 50 * MS);
	assert_true(sr_rf_hist_percentile(h, 0.99) >= 50 * MS - 50 * MS / 32);
	free(h);
	free(g);
}

static void test_workloads(void **state)
{
	(void)state;
	enum sr_rf_workload w;
	assert_int_equal(sr_rf_workload_parse("refresh", &w), 0);
	assert_int_equal(w, SR_RF_WL_REFRESH);
	assert_int_equal(sr_rf_workload_parse("REFRESH", &w), -1);
	assert_int_equal(sr_rf_workload_parse("", &w), -1);
	for (int i = 0; i < SR_RF_WL_COUNT; i++) {
		assert_int_equal(sr_rf_workload_parse(sr_rf_workload_name((enum sr_rf_workload)i), &w), 0);
		assert_int_equal(w, i);
	}
	struct sr_rf_slot fresh = {0}, reg = {.cseq = 1, .registered = 1}, gone = {.cseq = 2, .removed = 1};
	assert_int_equal(sr_rf_workload_op(SR_RF_WL_NEW, &fresh, 0), SR_RF_OP_NEW);
	assert_int_equal(sr_rf_workload_op(SR_RF_WL_NEW, &reg, 0), -1);
	assert_int_equal(sr_rf_workload_op(SR_RF_WL_REFRESH, &reg, 0), SR_RF_OP_REFRESH);
	assert_int_equal(sr_rf_workload_op(SR_RF_WL_REFRESH, &fresh, 0), -1);
	assert_int_equal(sr_rf_workload_op(SR_RF_WL_FETCH, &reg, 0), SR_RF_OP_FETCH);
	assert_int_equal(sr_rf_workload_op(SR_RF_WL_DEREG, &reg, 0), SR_RF_OP_DEREG);
	assert_int_equal(sr_rf_workload_op(SR_RF_WL_DEREG, &gone, 0), -1);
	assert_int_equal(sr_rf_workload_op(SR_RF_WL_MIX, &gone, 3), SR_RF_OP_NEW);
	int n[SR_RF_OP_COUNT] = {0};
	for (uint32_t r = 0; r < 1000; r++)
		n[sr_rf_workload_op(SR_RF_WL_MIX, &reg, r)]++;
	assert_int_equal(n[SR_RF_OP_REFRESH], 700);
	assert_int_equal(n[SR_RF_OP_FETCH], 200);
	assert_int_equal(n[SR_RF_OP_DEREG], 100);
	assert_true(sr_rf_workload_warmup(SR_RF_WL_REFRESH));
	assert_false(sr_rf_workload_warmup(SR_RF_WL_NEW));
	assert_false(sr_rf_workload_warmup(SR_RF_WL_MIX));
}

static void test_verdict_and_json(void **state)
{
	(void)state;
	struct sr_rf_result *r = calloc(1, sizeof *r);
	r->workload = "new";
	r->threads = 1;
	r->offered_rate = 1000;
	r->period_s = 2.0;
	assert_false(sr_rf_result_passed(r)); /* nothing answered is no pass */
	r->run.sent = r->run.ok = 2000;
	sr_rf_hist_record(&r->run.lat, 150000);
	assert_true(sr_rf_result_passed(r));
	assert_false(sr_rf_result_behind(r));
	assert_true(sr_rf_result_achieved(r) == 1000.0);
	char buf[1024];
	assert_true(sr_rf_result_json(r, buf, sizeof buf) > 0);
	assert_non_null(strstr(buf, "\"result\":\"pass\""));
	assert_non_null(strstr(buf, "\"achieved_per_s\":1000,"));
	assert_non_null(strstr(buf, "\"p99_us\":150.0,"));
	assert_non_null(strstr(buf, "\"generator_behind\":false"));
	assert_int_equal(sr_rf_result_json(r, buf, 40), 0);
	/* each kind of failure, in either phase, fails the run */
	uint64_t *kinds[] = {&r->run.bad_status, &r->run.unexpected, &r->run.late, &r->run.timeouts,
			     &r->run.send_errors, &r->warm.bad_status, &r->warm.timeouts};
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		*kinds[i] = 1;
		assert_false(sr_rf_result_passed(r));
		assert_true(sr_rf_result_json(r, buf, sizeof buf) > 0);
		assert_non_null(strstr(buf, "\"result\":\"fail\""));
		*kinds[i] = 0;
	}
	/* fewer than 97 % of the due requests sent: the generator fell behind */
	r->run.sent = 1900;
	assert_true(sr_rf_result_behind(r));
	/* judged over the sending time only: AoRs used up after 1.9 s, answers drained by 2 s */
	r->send_s = 1.9;
	assert_false(sr_rf_result_behind(r));
	r->send_s = 0;
	r->offered_rate = 0; /* closed loop: never behind */
	assert_false(sr_rf_result_behind(r));
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_ops),
		cmocka_unit_test(test_parse_round_trip),
		cmocka_unit_test(test_parse_forms_and_rejects),
		cmocka_unit_test(test_track_ownership),
		cmocka_unit_test(test_track_matching),
		cmocka_unit_test(test_track_timeouts),
		cmocka_unit_test(test_hist),
		cmocka_unit_test(test_workloads),
		cmocka_unit_test(test_verdict_and_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
