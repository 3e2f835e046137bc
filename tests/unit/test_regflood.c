/*
 * test_regflood.c - bench/regflood's socket-free parts: the requests it builds, the
 * response reader, matching responses to requests (Call-ID + CSeq), the accounting of
 * failures (bad status, unexpected, late, timeouts, send errors), the latency
 * histogram, the workload table and the pass/fail verdict and JSON report; for the
 * digest flow (workload auth) the challenge reader, the Authorization and subscriber
 * lines it writes (hashes from lib/auth) and the two-step tracking. The round trip
 * through lib/auth's server-side verification is in test_regflood_auth.c.
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

#include "rf_auth.h"
#include "rf_hist.h"
#include "rf_msg.h"
#include "rf_report.h"
#include "rf_track.h"
#include "rf_work.h"

#define RUN 4242u
#define MS 1000000ull

static const struct sr_rf_ident ident = {"example.com", "rf", "198.51.100.2", 40000, RUN, 600, "pw"};

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
	struct sr_rf_req r = {SR_RF_OP_NEW, 17, 1, 0, NULL};
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

	r = (struct sr_rf_req){SR_RF_OP_FETCH, 17, 5, 0, NULL};
	assert_true(sr_rf_build(buf, sizeof buf, &ident, &r) > 0);
	assert_null(strstr(buf, "Contact:"));
	assert_null(strstr(buf, "Expires:"));
	assert_non_null(strstr(buf, "\r\nCSeq: 5 REGISTER\r\n"));

	r = (struct sr_rf_req){SR_RF_OP_DEREG, 17, 6, 0, NULL};
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
	struct sr_rf_req r = {SR_RF_OP_REFRESH, 123456, 7, 0, NULL};
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
	return (struct sr_rf_resp){status, aor, RUN, cseq, false};
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

/* sipreg's 401 (lib/auth/auth_hooks.c): one challenge per algorithm, SHA-256 first */
static const char sipreg_401[] =
	"SIP/2.0 401 Unauthorized\r\nVia: SIP/2.0/UDP 198.51.100.2:40000;branch=z9hG4bK-x\r\n"
	"Call-ID: 3.4242@regflood\r\nCSeq: 1 REGISTER\r\n"
	"WWW-Authenticate: Digest realm=\"example.com\", nonce=\"n-sha\", algorithm=SHA-256, qop=\"auth\"\r\n"
	"WWW-Authenticate: Digest realm=\"example.com\", nonce=\"n-md5\", algorithm=MD5, qop=\"auth\"\r\n"
	"Content-Length: 0\r\n\r\n";

static int challenge_str(const char *s, int want, struct sr_rf_challenge *c)
{
	return sr_rf_challenge_parse(s, strlen(s), want, c);
}

static void assert_field(struct sr_str f, const char *want)
{
	assert_int_equal(f.len, strlen(want));
	assert_memory_equal(f.p, want, f.len);
}

/* a response with the single header line hdr (c points into it until the next call) */
static int one_challenge(const char *hdr, int want, struct sr_rf_challenge *c)
{
	static char buf[1024];
	snprintf(buf, sizeof buf, "SIP/2.0 401 Unauthorized\r\nCSeq: 1 REGISTER\r\n%s\r\nContent-Length: 0\r\n\r\n", hdr);
	return challenge_str(buf, want, c);
}

static void test_challenge_parse(void **state)
{
	(void)state;
	struct sr_rf_challenge c;
	/* the first usable one, or the one with the algorithm asked for */
	assert_int_equal(challenge_str(sipreg_401, -1, &c), 0);
	assert_int_equal(c.alg, SR_DIGEST_SHA256);
	assert_field(c.realm, "example.com");
	assert_field(c.nonce, "n-sha");
	assert_int_equal(c.opaque.len, 0);
	assert_int_equal(challenge_str(sipreg_401, SR_DIGEST_MD5, &c), 0);
	assert_int_equal(c.alg, SR_DIGEST_MD5);
	assert_field(c.nonce, "n-md5");
	assert_int_equal(challenge_str(sipreg_401, SR_DIGEST_SHA256, &c), 0);
	assert_field(c.nonce, "n-sha");

	/* unquoted values, opaque, any case, blanks, unknown parameters, a qop list */
	assert_int_equal(one_challenge("www-authenticate :  digest REALM=sipreg ,nonce=abc==,  opaque=xyz,"
				       "stale=FALSE, domain=\"sip:example.com\", qop=\"auth-int, auth\", Algorithm=\"md5\"",
				       -1, &c), 0);
	assert_int_equal(c.alg, SR_DIGEST_MD5);
	assert_field(c.realm, "sipreg");
	assert_field(c.nonce, "abc==");
	assert_field(c.opaque, "xyz");
	/* no algorithm parameter: MD5 (RFC 7616 3.3) */
	assert_int_equal(one_challenge("WWW-Authenticate: Digest realm=\"r\", qop=auth, nonce=\"n\"", -1, &c), 0);
	assert_int_equal(c.alg, SR_DIGEST_MD5);
	assert_int_equal(one_challenge("WWW-Authenticate: Digest realm=\"r\", qop=auth, nonce=\"n\"", SR_DIGEST_SHA256,
				       &c), -1);
	/* an unusable challenge first, a usable one after it */
	assert_int_equal(challenge_str("SIP/2.0 401 Unauthorized\r\n"
				       "WWW-Authenticate: Digest realm=\"r\", nonce=\"a\", algorithm=SHA-512-256, qop=\"auth\"\r\n"
				       "WWW-Authenticate: Digest realm=\"r\", nonce=\"b\", algorithm=SHA-256, qop=\"auth\"\r\n\r\n",
				       -1, &c), 0);
	assert_field(c.nonce, "b");

	static const char *const bad[] = {
		"WWW-Authenticate: Digest realm=\"r\", algorithm=MD5, qop=\"auth\"",                /* no nonce */
		"WWW-Authenticate: Digest realm=\"r\", nonce=\"\", algorithm=MD5, qop=\"auth\"",    /* empty nonce */
		"WWW-Authenticate: Digest nonce=\"n\", algorithm=MD5, qop=\"auth\"",                /* no realm */
		"WWW-Authenticate: Digest realm=\"r\", nonce=\"n\", algorithm=MD5",                 /* no qop (RFC 2069) */
		"WWW-Authenticate: Digest realm=\"r\", nonce=\"n\", qop=\"auth-int\"",              /* no qop=auth */
		"WWW-Authenticate: Digest realm=\"r\", nonce=\"n\", algorithm=MD5-sess, qop=auth",  /* -sess */
		"WWW-Authenticate: Basic realm=\"r\"",
		"WWW-Authenticate: Digestrealm=\"r\", nonce=\"n\", qop=auth",
		"WWW-Authenticate: Digest realm=\"r\", nonce=\"n\\\"x\", qop=auth",                 /* escape */
		"WWW-Authenticate: Digest realm=\"r\", nonce=\"n, qop=auth",                        /* open quote */
		"WWW-Authenticate: Digest realm=\"r\", nonce=n\"x\", qop=auth",                     /* quote in token */
		"WWW-Authenticate: Digest realm=\"r\" nonce=\"n\", qop=auth",                       /* no comma */
		"WWW-Authenticate: Digest realm, nonce=\"n\", qop=auth",                            /* no value */
		"Proxy-Authenticate: Digest realm=\"r\", nonce=\"n\", qop=auth",                    /* not ours */
		"X-Note: nothing here",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (one_challenge(bad[i], -1, &c) != -1)
			fail_msg("accepted bad challenge #%zu: %s", i, bad[i]);
	}
	/* a nonce longer than the limit */
	char hdr[700];
	snprintf(hdr, sizeof hdr, "WWW-Authenticate: Digest realm=\"r\", nonce=\"%0*d\", qop=auth",
		 SR_RF_CHALLENGE_FIELD_MAX + 1, 0);
	assert_int_equal(one_challenge(hdr, -1, &c), -1);
	/* a challenge in the body is not one */
	assert_int_equal(challenge_str("SIP/2.0 401 Unauthorized\r\nCSeq: 1 REGISTER\r\n\r\n"
				       "WWW-Authenticate: Digest realm=\"r\", nonce=\"n\", qop=auth\r\n", -1, &c), -1);
}

/* the value of parameter name="..." in an Authorization line */
static void auth_param(const char *line, const char *name, char *out, size_t cap)
{
	char key[32];
	snprintf(key, sizeof key, " %s=\"", name);
	const char *p = strstr(line, key);
	assert_non_null(p);
	p += strlen(key);
	const char *q = strchr(p, '"');
	assert_non_null(q);
	assert_true((size_t)(q - p) < cap);
	snprintf(out, cap, "%.*s", (int)(q - p), p);
}

static void test_authorization(void **state)
{
	(void)state;
	struct sr_digest *dg = sr_digest_new();
	assert_non_null(dg);
	struct sr_rf_challenge c;
	assert_int_equal(one_challenge("WWW-Authenticate: Digest realm=\"sipreg\", nonce=\"n-1\", opaque=\"op\", "
				       "algorithm=SHA-256, qop=\"auth\"", -1, &c), 0);
	char line[SR_RF_AUTHORIZATION_MAX], v[128];
	size_t n = sr_rf_authorization(line, sizeof line, dg, &ident, 17, 2, &c);
	assert_true(n > 0 && n == strlen(line));
	assert_true(strncmp(line, "Authorization: Digest username=\"rf0000017\", realm=\"sipreg\", nonce=\"n-1\", "
				  "uri=\"sip:example.com\", response=\"", 102) == 0);
	assert_non_null(strstr(line, ", algorithm=SHA-256, "));
	assert_non_null(strstr(line, ", qop=auth, nc=00000001, opaque=\"op\"\r\n"));
	/* the response is H(HA1:nonce:nc:cnonce:auth:H(REGISTER:uri)) with HA1 of the pattern password */
	char cnonce[64], ha1[SR_DIGEST_HEX_MAX + 1], expect[SR_DIGEST_HEX_MAX + 1];
	auth_param(line, "cnonce", cnonce, sizeof cnonce);
	assert_int_equal(sr_digest_ha1(dg, SR_DIGEST_SHA256, SR_STR_LIT("rf0000017"), SR_STR_LIT("sipreg"),
				       SR_STR_LIT("pw0000017"), ha1), 0);
	const struct sr_digest_input in = {sr_str_cstr(ha1),	 SR_STR_LIT("n-1"),	 SR_STR_LIT("00000001"),
					   sr_str_cstr(cnonce), SR_STR_LIT("auth"),	 SR_STR_LIT("REGISTER"),
					   SR_STR_LIT("sip:example.com")};
	assert_int_equal(sr_digest_response(dg, SR_DIGEST_SHA256, &in, expect), 0);
	auth_param(line, "response", v, sizeof v);
	assert_string_equal(v, expect);
	assert_int_equal(strlen(v), 64);
	/* MD5, no opaque: no opaque parameter */
	assert_int_equal(challenge_str(sipreg_401, SR_DIGEST_MD5, &c), 0);
	assert_true(sr_rf_authorization(line, sizeof line, dg, &ident, 17, 2, &c) > 0);
	assert_non_null(strstr(line, ", algorithm=MD5, "));
	assert_null(strstr(line, "opaque"));
	auth_param(line, "response", v, sizeof v);
	assert_int_equal(strlen(v), 32);
	assert_int_equal(sr_rf_authorization(line, 100, dg, &ident, 17, 2, &c), 0); /* does not fit */

	/* the request: NEW's headers, CSeq + 1, the Authorization line; none without one */
	char req[1400];
	struct sr_rf_req r = {SR_RF_OP_AUTH, 17, 2, 0, line};
	assert_true(sr_rf_build(req, sizeof req, &ident, &r) > 0);
	assert_non_null(strstr(req, "\r\nCall-ID: 17.4242@regflood\r\nCSeq: 2 REGISTER\r\n"));
	assert_non_null(strstr(req, "\r\nContact: <sip:rf0000017@198.51.100.2:40000>\r\nExpires: 600\r\n"));
	assert_non_null(strstr(req, "\r\nAuthorization: Digest username=\"rf0000017\""));
	r.authorization = NULL;
	assert_int_equal(sr_rf_build(req, sizeof req, &ident, &r), 0);
	sr_digest_free(dg);
}

static void test_write_subscribers(void **state)
{
	(void)state;
	struct sr_digest *dg = sr_digest_new();
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	assert_non_null(out);
	assert_int_equal(sr_rf_write_subscribers(out, dg, &ident, "example.com", 5, 3), 0);
	fclose(out);
	/* comment lines, then one "user realm ha1-md5 ha1-sha256" line per AoR 5, 6, 7 */
	unsigned users = 0;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		if (line[0] == '#')
			continue;
		char user[32], realm[32], md5[80], sha[80], ha1[SR_DIGEST_HEX_MAX + 1], pw[32];
		assert_int_equal(sscanf(line, "%31s %31s %79s %79s", user, realm, md5, sha), 4);
		snprintf(pw, sizeof pw, "pw%07u", 5 + users);
		char want_user[32];
		snprintf(want_user, sizeof want_user, "rf%07u", 5 + users);
		assert_string_equal(user, want_user);
		assert_string_equal(realm, "example.com");
		assert_int_equal(sr_digest_ha1(dg, SR_DIGEST_MD5, sr_str_cstr(user), sr_str_cstr(realm), sr_str_cstr(pw),
					       ha1), 0);
		assert_string_equal(md5, ha1);
		assert_int_equal(sr_digest_ha1(dg, SR_DIGEST_SHA256, sr_str_cstr(user), sr_str_cstr(realm),
					       sr_str_cstr(pw), ha1), 0);
		assert_string_equal(sha, ha1);
		users++;
	}
	assert_int_equal(users, 3);
	free(text);
	sr_digest_free(dg);
}

/* a 401 answered by the sender: the flow's second request goes out at once */
static void challenge_and_answer(struct sr_rf_track *t, uint32_t aor, uint64_t now)
{
	struct sr_rf_resp r = resp(aor, 1, 401);
	r.challenge = true;
	assert_int_equal(sr_rf_track_response(t, &r, now), SR_RF_CHALLENGED);
	struct sr_rf_req rq;
	assert_int_equal(sr_rf_track_send(t, aor, SR_RF_OP_AUTH, now, &rq), 0);
	assert_int_equal(rq.cseq, 2);
}

static void test_track_digest_flow(void **state)
{
	(void)state;
	struct sr_rf_track t;
	assert_int_equal(sr_rf_track_init(&t, 0, 1, 0, 8, RUN, 100 * MS, 64), 0);
	t.expect_challenge = true;
	struct sr_rf_req rq;
	for (uint32_t aor = 0; aor < 7; aor++)
		assert_int_equal(sr_rf_track_send(&t, aor, SR_RF_OP_NEW, 10 * MS, &rq), 0);

	/* AoR 0: 401, the authenticated request, 200: one flow, one ok, latency of the whole flow */
	challenge_and_answer(&t, 0, 12 * MS);
	assert_int_equal(t.st.challenged, 1);
	assert_int_equal(t.st.lat_challenge.max, 2 * MS);
	assert_int_equal(t.st.ok, 0);
	struct sr_rf_resp r = resp(0, 2, 200);
	assert_int_equal(sr_rf_track_response(&t, &r, 15 * MS), SR_RF_OK);
	assert_int_equal(t.st.ok, 1);
	assert_int_equal(t.st.lat.max, 5 * MS);
	assert_true(t.slots[0].registered);
	assert_int_equal(sr_rf_stats_failures(&t.st), 0);

	/* AoR 1: 401 again to the authenticated request */
	challenge_and_answer(&t, 1, 12 * MS);
	r = resp(1, 2, 401);
	r.challenge = true; /* a fresh challenge does not make the second 401 acceptable */
	assert_int_equal(sr_rf_track_response(&t, &r, 13 * MS), SR_RF_BAD_STATUS);
	assert_int_equal(t.st.last_bad_status, 401);
	/* AoR 2: 403 to the first request */
	r = resp(2, 1, 403);
	assert_int_equal(sr_rf_track_response(&t, &r, 13 * MS), SR_RF_BAD_STATUS);
	assert_int_equal(t.st.last_bad_status, 403);
	/* AoR 3: a 401 without a usable challenge */
	r = resp(3, 1, 401);
	assert_int_equal(sr_rf_track_response(&t, &r, 13 * MS), SR_RF_BAD_CHALLENGE);
	assert_int_equal(t.st.bad_challenge, 1);
	/* AoR 4: 200 without a challenge (authentication off?) is no flow */
	r = resp(4, 1, 200);
	assert_int_equal(sr_rf_track_response(&t, &r, 13 * MS), SR_RF_BAD_STATUS);
	assert_int_equal(t.st.last_bad_status, 200);
	assert_false(t.slots[4].registered);
	/* AoR 5: the first request times out; AoR 6: the second one does */
	challenge_and_answer(&t, 6, 50 * MS);
	assert_int_equal(sr_rf_track_expire(&t, 110 * MS), 1); /* AoR 5, sent at 10 ms */
	assert_int_equal(t.outstanding, 1);
	assert_int_equal(sr_rf_track_expire(&t, 150 * MS), 1); /* AoR 6's AUTH, sent at 50 ms */
	assert_int_equal(t.outstanding, 0);
	assert_int_equal(t.st.timeouts, 2);

	assert_int_equal(t.st.ok, 1);
	assert_int_equal(t.st.challenged, 3);
	assert_int_equal(sr_rf_stats_failures(&t.st), 6); /* AoRs 1 to 6 */
	assert_int_equal(t.st.sent, 10);                   /* 7 flows started, 3 answered */
	assert_int_equal(sr_rf_stats_started(&t.st), 7);
	assert_int_equal(t.st.sent_op[SR_RF_OP_AUTH], 3);
	sr_rf_track_free(&t);

	/* other workloads: a 401 is a bad status like any other */
	assert_int_equal(sr_rf_track_init(&t, 0, 1, 0, 1, RUN, 100 * MS, 4), 0);
	assert_int_equal(sr_rf_track_send(&t, 0, SR_RF_OP_NEW, 0, &rq), 0);
	r = resp(0, 1, 401);
	r.challenge = true;
	assert_int_equal(sr_rf_track_response(&t, &r, MS), SR_RF_BAD_STATUS);
	assert_int_equal(t.st.challenged, 0);
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
	assert_int_equal(sr_rf_workload_op(SR_RF_WL_AUTH, &fresh, 0), SR_RF_OP_NEW);
	assert_int_equal(sr_rf_workload_op(SR_RF_WL_AUTH, &reg, 0), -1); /* its AUTH is the loop's answer */
	assert_true(sr_rf_workload_digest(SR_RF_WL_AUTH));
	assert_false(sr_rf_workload_digest(SR_RF_WL_NEW));
	assert_false(sr_rf_workload_warmup(SR_RF_WL_AUTH));
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

	/* digest flows: rates and the behind check count flows, REGISTERs are reported too */
	memset(r, 0, sizeof *r);
	r->workload = "auth";
	r->digest = true;
	r->offered_rate = 1000;
	r->period_s = 2.0;
	r->run.sent = 3880; /* 1940 flows started, all challenged and answered */
	r->run.sent_op[SR_RF_OP_NEW] = r->run.sent_op[SR_RF_OP_AUTH] = 1940;
	r->run.challenged = r->run.ok = 1940;
	sr_rf_hist_record(&r->run.lat, 900000);
	sr_rf_hist_record(&r->run.lat_challenge, 400000);
	assert_true(sr_rf_result_passed(r));
	assert_true(sr_rf_result_achieved(r) == 970.0);
	assert_true(sr_rf_result_registers(r) == 1940.0);
	assert_false(sr_rf_result_behind(r)); /* 1940 flows of the 2000 due: 97 % */
	r->run.sent_op[SR_RF_OP_AUTH] = 1941;  /* 1939 flows started, although 3880 requests were sent */
	assert_true(sr_rf_result_behind(r));
	assert_true(sr_rf_result_json(r, buf, sizeof buf) > 0);
	static const char *const keys[] = {"\"workload\":\"auth\"", "\"achieved_per_s\":970,",
					   "\"registers_per_s\":1940,", "\"challenged\":1940,\"bad_challenge\":0,",
					   "\"p99_us\":900.0,", "\"challenge_p99_us\":400.0}"};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (!strstr(buf, keys[i]))
			fail_msg("no %s in %s", keys[i], buf);
	r->run.bad_challenge = 1;
	assert_false(sr_rf_result_passed(r));
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
		cmocka_unit_test(test_challenge_parse),
		cmocka_unit_test(test_authorization),
		cmocka_unit_test(test_write_subscribers),
		cmocka_unit_test(test_track_digest_flow),
		cmocka_unit_test(test_hist),
		cmocka_unit_test(test_workloads),
		cmocka_unit_test(test_verdict_and_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
