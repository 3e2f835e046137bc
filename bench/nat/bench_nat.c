/*
 * bench_nat.c - the cost of NAT keepalives per ping, in-process: the
 * pinger's schedule walk, the choice per binding, the OPTIONS written into
 * its buffer (nat_ping.c), and the answer's lookup (sr_nat_ping_answer).
 * No packets: the send callback only counts and keeps the branch, so what
 * is measured is what the worker adds on top of its tx path (an mbuf copy
 * and a frame, the same as any response).
 *
 * One store of N AoRs (default 1,000,000), each with one binding behind NAT
 * (private Contact, public source), restored directly. Phases, timed with
 * thread CPU time:
 *   ping    one full round: sr_nat_ping_advance called every simulated
 *           millisecond over nat.ping_interval (30 s), as a worker's loop
 *           would; every binding gets its OPTIONS (N pings)
 *   answer  sr_nat_ping_answer for each ping's branch (N answers)
 * Instructions per ping come from callgrind (run.sh, a smaller N).
 *
 * Usage: bench_nat [AORS]. Last line: one JSON object.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_eal.h>

#include "location.h"
#include "nat_ping.h"

#define INTERVAL_S 30

static char *branches;   /* one SR_NAT_BRANCH_LEN slot per ping */
static unsigned long pings, bytes, max_pings;

static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_send(void *ctx, uint32_t ip, uint16_t port, const char *msg, size_t len)
{
	(void)ctx;
	(void)ip;
	(void)port;
	bytes += len;
	/* the branch sits at a fixed place of the Via line after the request line (kept cheap: not the pinger's cost) */
	static const char via[] = "Via: SIP/2.0/UDP 198.51.100.1:5060;branch=";
	const char *nl = memchr(msg, '\n', len);
	if (nl && pings < max_pings)
		memcpy(branches + pings * SR_NAT_BRANCH_LEN, nl + sizeof(via), SR_NAT_BRANCH_LEN);
	pings++;
}

int main(int argc, char **argv)
{
	uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 1000000;
	char *eal[] = { "bench_nat", "--no-huge", "--no-pci", "--no-shconf", "-m", "2048",
			"--no-telemetry", "--log-level=lib.eal:error", NULL };
	if (rte_eal_init(8, eal) < 0) {
		fprintf(stderr, "rte_eal_init failed\n");
		return 1;
	}
	uint32_t now_s = (uint32_t)time(NULL);
	const char *err = NULL;
	struct sr_loc_params lp = { .name = "bench_nat", .max_aors = n + n / 4, .now_s = now_s };
	struct sr_loc *loc = sr_loc_create(&lp, &err);
	max_pings = n;
	branches = malloc((size_t)n * SR_NAT_BRANCH_LEN);
	if (!loc || !branches) {
		fprintf(stderr, "store: %s\n", err ? err : "no memory");
		return 1;
	}
	for (uint32_t i = 0; i < n; i++) {
		char aor[64], contact[64], cid[32];
		snprintf(aor, sizeof(aor), "sip:user%u@example.com", i);
		snprintf(contact, sizeof(contact), "sip:user%u@10.%u.%u.%u:5060", i, (i >> 16) & 255, (i >> 8) & 255,
			 i & 255);
		snprintf(cid, sizeof(cid), "%08x@bench", i);
		struct sr_loc_binding b = {
			.aor = sr_str_cstr(aor),
			.st = { .id = i + 1, .expires = now_s + 3600, .registered_at = now_s, .q = SR_Q_NONE,
				.src_ip = 0x026433c6u + (i << 24), .src_port = (uint16_t)(1024 + i % 60000),
				.flags = SR_BFLAG_NAT },
		};
		b.f[SR_BF_CONTACT] = sr_str_cstr(contact);
		b.f[SR_BF_CALL_ID] = sr_str_cstr(cid);
		if (sr_loc_restore(loc, &b, now_s) != SR_RESTORE_OK) {
			fprintf(stderr, "restore %u failed\n", i);
			return 1;
		}
	}
	uint64_t t0_ms = (uint64_t)now_s * 1000;
	struct sr_nat_ping_config pc = { .interval_s = INTERVAL_S, .timeout_s = 120, .worker = 0,
					 .secret = { 1, 2 }, .self = SR_STR_LIT("198.51.100.1:5060") };
	struct sr_nat_ping *np = sr_nat_ping_create(&pc, on_send, NULL, t0_ms);
	if (!np) {
		fprintf(stderr, "pinger refused\n");
		return 1;
	}
	/* ping: one round, the loop's calls once per simulated millisecond (budget as worker_nat.c) */
	double c0 = cpu_s();
	for (uint64_t t = 1; t <= (uint64_t)INTERVAL_S * 1000; t++)
		sr_nat_ping_advance(np, loc, t0_ms + t, 256);
	double c1 = cpu_s();
	unsigned long sent = pings;
	/* answer: each ping's branch back */
	unsigned long answered = 0;
	for (unsigned long i = 0; i < sent && i < max_pings; i++)
		answered += sr_nat_ping_answer(np, loc, sr_str_make(branches + i * SR_NAT_BRANCH_LEN, SR_NAT_BRANCH_LEN));
	double c2 = cpu_s();
	double ns_ping = sent ? (c1 - c0) * 1e9 / (double)sent : 0;
	double ns_answer = answered ? (c2 - c1) * 1e9 / (double)answered : 0;
	/* 333,000 pings/s (10M contacts at 30 s): share of one core for the pings and their answers */
	double core_share = 333000.0 * (ns_ping + ns_answer) / 1e9;
	printf("aors %u: %lu pings in one %d s round (%.0f bytes each), %lu answered\n", n, sent, INTERVAL_S,
	       sent ? (double)bytes / (double)sent : 0.0, answered);
	printf("ping %.1f ns, answer %.1f ns; 333,000 pings/s + answers = %.3f of one core\n", ns_ping, ns_answer,
	       core_share);
	printf("{\"aors\": %u, \"pings\": %lu, \"answered\": %lu, \"ns_per_ping\": %.1f, \"ns_per_answer\": %.1f, "
	       "\"bytes_per_ping\": %.0f, \"core_share_333k\": %.4f}\n",
	       n, sent, answered, ns_ping, ns_answer, sent ? (double)bytes / (double)sent : 0.0, core_share);
	sr_nat_ping_free(np);
	sr_loc_free(loc);
	free(branches);
	rte_eal_cleanup();
	return sent == n && answered == n ? 0 : 1;
}
