/*
 * bench_auth.c - REGISTER/s on one core with digest authentication off and on.
 *
 * In process, one thread, one shard, no I/O, like bench/core. With
 * authentication on, a registration is two requests: the first gets 401 and a
 * nonce, the second carries the credential (SHA-256 or MD5) and gets 200;
 * without it, one request gets 200. Only the registrar's side is timed (each
 * sr_reg_process call, clock_gettime around it: ~20 ns each, under 1% here);
 * the client's digest computation and message building are not.
 *
 * Usage: bench_auth [REGISTRATIONS]   (default 100,000 per mode)
 * Output: one line per mode, then one JSON object.
 */
#include "auth.h"
#include "auth_digest.h"
#include "registrar.h"

#include <rte_eal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MSG_MAX 1024

enum mode { M_OFF, M_SHA256, M_MD5, M_N };
static const char *const mode_names[M_N] = { "off", "sha256", "md5" };

static uint64_t ns_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static int build(char *out, uint32_t i, uint32_t cseq, const char *auth)
{
	return snprintf(out, MSG_MAX,
			"REGISTER sip:example.com SIP/2.0\r\n"
			"Via: SIP/2.0/UDP 198.51.100.2:5060;branch=z9hG4bK-%u-%u;rport\r\n"
			"Max-Forwards: 70\r\n"
			"From: <sip:u%07u@example.com>;tag=f%u\r\n"
			"To: <sip:u%07u@example.com>\r\n"
			"Call-ID: c%u-bench@198.51.100.2\r\n"
			"CSeq: %u REGISTER\r\n"
			"Contact: <sip:u%07u@198.51.100.2:5060;transport=udp>\r\n"
			"%s"
			"Expires: 3600\r\n"
			"User-Agent: sipreg-bench/0.1\r\n"
			"Content-Length: 0\r\n\r\n",
			i, cseq, i, i, i, i, cseq, i, auth);
}

static const char *password(uint32_t i, char *buf)
{
	snprintf(buf, 32, "pw-%u", i);
	return buf;
}

static int write_subscribers(const char *path, uint32_t n, struct sr_digest *dg)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	for (uint32_t i = 0; i < n; i++) {
		char user[32], pw[32], md5[SR_DIGEST_HEX_MAX + 1], sha[SR_DIGEST_HEX_MAX + 1];
		snprintf(user, sizeof(user), "u%07u", i);
		struct sr_str u = sr_str_cstr(user), r = SR_STR_LIT("example.com"), p = sr_str_cstr(password(i, pw));
		if (sr_digest_ha1(dg, SR_DIGEST_MD5, u, r, p, md5) || sr_digest_ha1(dg, SR_DIGEST_SHA256, u, r, p, sha))
			return fclose(f), -1;
		fprintf(f, "%s example.com %s %s\n", user, md5, sha);
	}
	return fclose(f);
}

/* The Authorization line answering the challenge in resp for user i. */
static int answer(struct sr_digest *dg, enum sr_digest_alg alg, const char *resp, uint32_t i, char *out,
		  size_t cap)
{
	const char *p = strstr(resp, "nonce=\"");
	if (!p)
		return -1;
	p += 7;
	const char *q = strchr(p, '"');
	char user[32], pw[32], ha1[SR_DIGEST_HEX_MAX + 1], rsp[SR_DIGEST_HEX_MAX + 1];
	snprintf(user, sizeof(user), "u%07u", i);
	struct sr_str nonce = sr_str_make(p, (size_t)(q - p));
	if (sr_digest_ha1(dg, alg, sr_str_cstr(user), SR_STR_LIT("example.com"), sr_str_cstr(password(i, pw)), ha1))
		return -1;
	struct sr_digest_input in = { sr_str_cstr(ha1), nonce, SR_STR_LIT("00000001"), SR_STR_LIT("c0ffee"),
				      SR_STR_LIT("auth"), SR_STR_LIT("REGISTER"), SR_STR_LIT("sip:example.com") };
	if (sr_digest_response(dg, alg, &in, rsp))
		return -1;
	snprintf(out, cap,
		 "Authorization: Digest username=\"%s\", realm=\"example.com\", nonce=\"%.*s\", "
		 "uri=\"sip:example.com\", response=\"%s\", algorithm=%s, cnonce=\"c0ffee\", qop=auth, "
		 "nc=00000001\r\n",
		 user, (int)nonce.len, nonce.p, rsp, sr_digest_alg_name(alg));
	return 0;
}

/* Registers n AoRs; returns server nanoseconds per registration, or -1. */
static double run(enum mode m, uint32_t n, const char *subs, struct sr_digest *dg)
{
	struct sr_reg_config cfg;
	sr_reg_config_defaults(&cfg);
	sr_reg_config_add_domain(&cfg, "example.com");
	cfg.max_aors = n + n / 4;
	cfg.secret = 42;
	uint64_t now_ms = (uint64_t)time(NULL) * 1000;
	struct sr_auth *a = NULL;
	struct sr_auth_worker *w = NULL;
	struct sr_reg_params p = { .cfg = &cfg, .shard_id = (unsigned)m, .now_ms = now_ms };
	char err[256];
	if (m != M_OFF) {
		struct sr_auth_config ac;
		sr_auth_config_defaults(&ac);
		ac.enabled = true;
		snprintf(ac.subscribers, sizeof(ac.subscribers), "%s", subs);
		snprintf(ac.nonce_secret, sizeof(ac.nonce_secret), "bench-secret");
		if (!(a = sr_auth_new(&ac, 1, err, sizeof(err))) || !(w = sr_auth_worker_new(a, 0, err, sizeof(err)))) {
			fprintf(stderr, "auth: %s\n", err);
			return -1;
		}
		p.auth = sr_auth_worker_hooks(w);
	}
	const char *serr = NULL;
	struct sr_registrar *s = sr_reg_create(&p, &serr);
	if (!s) {
		fprintf(stderr, "shard: %s\n", serr);
		return -1;
	}
	static char req[MSG_MAX], resp[4096], auth[512];
	struct sr_addr src = { .ip = __builtin_bswap32(0xC6336402), .port = 5060 };
	struct sr_reg_result res;
	uint64_t busy = 0;
	uint32_t ok = 0;
	enum sr_digest_alg alg = m == M_MD5 ? SR_DIGEST_MD5 : SR_DIGEST_SHA256;
	for (uint32_t i = 0; i < n; i++) {
		int len = build(req, i, 1, "");
		uint64_t t0 = ns_now();
		sr_reg_process(s, req, (size_t)len, &src, now_ms, resp, sizeof(resp) - 1, &res);
		busy += ns_now() - t0;
		if (m != M_OFF) {
			resp[res.len] = '\0';
			if (res.status != 401 || answer(dg, alg, resp, i, auth, sizeof(auth)) != 0)
				break;
			len = build(req, i, 2, auth);
			t0 = ns_now();
			sr_reg_process(s, req, (size_t)len, &src, now_ms, resp, sizeof(resp) - 1, &res);
			busy += ns_now() - t0;
		}
		ok += res.status == 200;
	}
	sr_reg_free(s);
	sr_auth_worker_free(w);
	sr_auth_free(a);
	if (ok != n) {
		fprintf(stderr, "%s: %u of %u registrations succeeded\n", mode_names[m], ok, n);
		return -1;
	}
	return (double)busy / n;
}

int main(int argc, char **argv)
{
	uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 100000;
	char *eal[] = { "bench_auth", "--no-huge", "--no-pci", "--no-shconf", "-m", "1024",
			"--no-telemetry", "--log-level=lib.eal:error", NULL };
	if (n == 0 || rte_eal_init(8, eal) < 0) {
		fprintf(stderr, "usage: bench_auth [REGISTRATIONS > 0] (or rte_eal_init failed)\n");
		return 1;
	}
	struct sr_digest *dg = sr_digest_new();
	char subs[] = "/tmp/sr-bench-subs-XXXXXX";
	int fd = mkstemp(subs);
	if (!dg || fd < 0 || write_subscribers(subs, n, dg) != 0) {
		fprintf(stderr, "cannot write the subscriber file\n");
		return 1;
	}
	close(fd);
	double ns[M_N];
	int rc = 0;
	for (int m = 0; m < M_N; m++) {
		ns[m] = run((enum mode)m, n, subs, dg);
		if (ns[m] < 0) {
			rc = 1;
			continue;
		}
		printf("auth %-6s %8.0f ns per registration (%s)  %9.0f registrations/s per core\n", mode_names[m],
		       ns[m], m == M_OFF ? "1 request" : "2 requests: 401, 200", 1e9 / ns[m]);
	}
	unlink(subs);
	sr_digest_free(dg);
	if (rc == 0)
		printf("{\"registrations\": %u, \"off_ns\": %.0f, \"sha256_ns\": %.0f, \"md5_ns\": %.0f, "
		       "\"off_per_s\": %.0f, \"sha256_per_s\": %.0f, \"md5_per_s\": %.0f}\n",
		       n, ns[M_OFF], ns[M_SHA256], ns[M_MD5], 1e9 / ns[M_OFF], 1e9 / ns[M_SHA256], 1e9 / ns[M_MD5]);
	return rc;
}
