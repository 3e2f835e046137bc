/*
 * bench_flood.c - what the per-source flood table (lib/net/net_flood.c)
 * costs per SIP datagram, in-process: a simulated clock, no frames. Phases,
 * timed with thread CPU time:
 *   known  sr_flood_admit for N requests from HOSTS sources (round robin,
 *          the clock at 1M requests/s, every one under the rate): what
 *          every SIP datagram pays at the worker that receives it
 *   new    NEW requests from sources never seen, each replacing a way of
 *          a full table: a flood of spoofed sources
 * Instructions per admit come from callgrind (run.sh).
 *
 * Usage: bench_flood [N] [HOSTS] [NEW]. Last line: one JSON object.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "net_flood.h"

static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The phases are functions of their own so that callgrind can count each one (run.sh). */
__attribute__((noinline)) static unsigned long run_known(struct sr_flood *f, unsigned long n, unsigned long hosts)
{
	unsigned long passed = 0;
	for (unsigned long i = 0; i < n; i++)
		passed += sr_flood_admit(f, 0x0a000001u + (uint32_t)(i % hosts), i / 1000, NULL) == SR_FLOOD_PASS;
	return passed;
}

__attribute__((noinline)) static unsigned long run_new(struct sr_flood *f, unsigned long n, uint64_t now_ms)
{
	unsigned long passed = 0;
	for (unsigned long i = 0; i < n; i++)
		passed += sr_flood_admit(f, 0x0b000001u + (uint32_t)i, now_ms + i / 1000, NULL) == SR_FLOOD_PASS;
	return passed;
}

int main(int argc, char **argv)
{
	unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 10) : 10000000;
	unsigned long hosts = argc > 2 ? strtoul(argv[2], NULL, 10) : 1000;
	unsigned long fresh = argc > 3 ? strtoul(argv[3], NULL, 10) : 1000000;
	/* as in bench/RESULTS.md "Flood table: bench/flood": 100,000 requests/s per source, 4,096 sources per worker */
	const struct sr_flood_params p = { .rate = 100000, .slots = 4096 };
	const char *err = NULL;
	struct sr_flood *f = sr_flood_create(&p, &err);
	if (f == NULL || hosts == 0 || hosts > 3000)
		return fprintf(stderr, "bench_flood: %s\n", f ? "bad arguments (HOSTS 1..3000)" : err), 2;

	double t0 = cpu_s();
	unsigned long known = run_known(f, n, hosts);
	double t1 = cpu_s();
	unsigned long news = run_new(f, fresh, n / 1000);
	double t2 = cpu_s();
	struct sr_flood_stats st;
	sr_flood_get_stats(f, &st);
	sr_flood_free(f);
	if (known != n || news != fresh || st.evictions == 0)
		return fprintf(stderr, "bench_flood: passed %lu/%lu known, %lu/%lu new, %lu evictions\n", known, n,
			       news, fresh, (unsigned long)st.evictions), 1;
	double known_ns = (t1 - t0) * 1e9 / (double)n, new_ns = (t2 - t1) * 1e9 / (double)fresh;
	printf("known source: %.1f ns per admit (%lu requests, %lu sources)\n", known_ns, n, hosts);
	printf("new source: %.1f ns per admit (%lu sources never seen, %lu evictions)\n", new_ns, fresh,
	       (unsigned long)st.evictions);
	printf("{\"requests\": %lu, \"hosts\": %lu, \"new\": %lu, \"known_ns\": %.1f, \"new_ns\": %.1f}\n", n, hosts,
	       fresh, known_ns, new_ns);
	return 0;
}
