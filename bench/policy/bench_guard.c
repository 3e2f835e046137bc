/*
 * bench_guard.c - what operator policy and flood protection cost a request.
 *
 * One thread, no I/O, timed with clock_gettime around large loops:
 *   policy   sr_policy_check over a typical phone's fields (User-Agent, one
 *            Contact URI and its host, the AoR) with the shipped rules (the
 *            host: rule classifies each host); again with three
 *            contacts; and with an empty rule set (the floor of the call);
 *   flood    sr_flood_admit for a well-behaved population of 10,000 sources
 *            (one table of 65,536 entries, every request passes).
 * Numbers are ns per request; build optimised (not with sanitizers) to quote.
 *
 * Usage: bench_guard [RULES_FILE] [ITERATIONS]
 *        (default dpdk-config/policy-default.rules, 2,000,000)
 */
#include "net_flood.h"
#include "policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double time_policy(struct sr_policy *p, const struct sr_policy_input *in, unsigned long n)
{
	struct sr_pol_verdict v;
	unsigned long allowed = 0;
	double t0 = now_ns();
	for (unsigned long i = 0; i < n; i++) {
		sr_policy_check(p, 0, in, &v);
		allowed += v.action == SR_POL_ALLOW;
	}
	double dt = now_ns() - t0;
	if (allowed != n) {
		fprintf(stderr, "bench_guard: the phone was refused by the rules\n");
		exit(1);
	}
	return dt / (double)n;
}

int main(int argc, char **argv)
{
	const char *rules = argc > 1 ? argv[1] : "dpdk-config/policy-default.rules";
	unsigned long n = argc > 2 ? strtoul(argv[2], NULL, 10) : 2000000ul;
	if (n == 0) {
		fprintf(stderr, "usage: bench_guard [RULES_FILE] [ITERATIONS>0]\n");
		return 2;
	}
	char err[512];
	struct sr_policy *p = sr_policy_create_file(1, "198.51.100.1", rules, err, sizeof(err));
	struct sr_policy *empty = sr_policy_create(1, NULL, "", 0, err, sizeof(err));
	if (!p || !empty) {
		fprintf(stderr, "bench_guard: %s\n", err);
		return 1;
	}
	struct sr_policy_info info;
	sr_policy_get_info(p, &info);
	const char *ua = "Linphone/5.2.0 (belle-sip/5.2.0)";
	struct sr_str contacts[3] = { SR_STR_LIT("sip:u0001234@198.51.100.2:5060;transport=udp"),
				      SR_STR_LIT("sip:u0001234@198.51.100.3:5062;ob"),
				      SR_STR_LIT("sips:u0001234@[2001:db8::2]:5061") };
	struct sr_str hosts[3] = { SR_STR_LIT("198.51.100.2"), SR_STR_LIT("198.51.100.3"), SR_STR_LIT("2001:db8::2") };
	struct sr_policy_input in = { ua, strlen(ua), 1, contacts, SR_STR_LIT("sip:u0001234@example.com"), 1, hosts };
	time_policy(p, &in, n / 10); /* warm up */
	double one = time_policy(p, &in, n);
	in.n_contacts = in.n_hosts = 3;
	double three = time_policy(p, &in, n);
	in.n_contacts = in.n_hosts = 1;
	double none = time_policy(empty, &in, n);
	printf("policy (%u rules, one hyperscan database): %.0f ns/request with 1 contact, %.0f ns with 3;"
	       " empty rule set %.0f ns\n", info.rules, one, three, none);

	struct sr_flood_params fp = { .rate = 1000, .burst = 1000, .slots = 65536 };
	const char *ferr = NULL;
	struct sr_flood *f = sr_flood_create(&fp, &ferr);
	if (!f) {
		fprintf(stderr, "bench_guard: %s\n", ferr);
		return 1;
	}
	unsigned long passed = 0;
	uint64_t t_ms = 1795262940000ull;
	double t0 = now_ns();
	for (unsigned long i = 0; i < n; i++) {
		if ((i & 1023) == 0)
			t_ms++;
		passed += sr_flood_admit(f, 0xC6336400u + (uint32_t)(i % 10000), t_ms, NULL) == SR_FLOOD_PASS;
	}
	double fl = (now_ns() - t0) / (double)n;
	printf("flood: %.1f ns/request (10000 sources, %lu of %lu passed)\n", fl, passed, n);
	sr_flood_free(f);
	sr_policy_free(p);
	sr_policy_free(empty);
	return 0;
}
