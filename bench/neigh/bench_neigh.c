/*
 * bench_neigh.c - what the neighbour table (lib/net/net_neigh.c) adds per
 * packet, in-process: no frames, a simulated clock, callbacks that only
 * count. Phases, timed with thread CPU time:
 *   learn    sr_neigh_learn_ip for N received frames from HOSTS on-link
 *            sources (round robin, the clock at 1M frames/s): the cost
 *            every accepted IPv4 frame pays at intake
 *   send     sr_neigh_send to those HOSTS (N sends): the lookup of
 *            everything sipreg originates, next hop known
 *   resolve  HOSTS addresses never seen: send (held, ARP request), the
 *            reply learned (sr_neigh_learn_arp), the datagram released
 * Instructions per operation come from callgrind (run.sh).
 *
 * Usage: bench_neigh [N] [HOSTS]. Last line: one JSON object.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "net_neigh.h"

static unsigned long requests, released, dropped;

static void io_request(void *ctx, uint16_t port, uint32_t ip)
{
	(void)ctx, (void)port, (void)ip;
	requests++;
}

static void io_release(void *ctx, void *pkt, uint16_t port, const uint8_t mac[6])
{
	(void)ctx, (void)pkt, (void)port, (void)mac;
	released++;
}

static void io_drop(void *ctx, void *pkt)
{
	(void)ctx, (void)pkt;
	dropped++;
}

static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Host h of the 10.0.0.0/8 subnet, network order. */
static uint32_t host(unsigned long h)
{
	return htonl(0x0a000000u + 1 + (uint32_t)h);
}

static void mac_of(unsigned long h, uint8_t mac[6])
{
	uint32_t v = (uint32_t)h;
	mac[0] = 0x02, mac[1] = 0;
	memcpy(mac + 2, &v, 4);
}

/* The phases are functions of their own so that callgrind can count each one (run.sh). */
__attribute__((noinline)) static void run_learn(struct sr_neigh *n, unsigned long frames, unsigned long hosts)
{
	uint8_t mac[6];
	for (unsigned long i = 0; i < frames; i++) {
		unsigned long h = i % hosts;
		mac_of(h, mac);
		sr_neigh_learn_ip(n, 0, host(h), mac, i / 1000);
	}
}

__attribute__((noinline)) static unsigned long run_send(struct sr_neigh *n, unsigned long sends, unsigned long hosts,
							 uint64_t now_ms)
{
	struct sr_neigh_hop hop;
	unsigned long ready = 0;
	for (unsigned long i = 0; i < sends; i++)
		ready += sr_neigh_send(n, host(i % hosts), 0, &hop, now_ms, &hop) == SR_NEIGH_READY;
	return ready;
}

__attribute__((noinline)) static void run_resolve(struct sr_neigh *n, unsigned long hosts, uint64_t now_ms)
{
	struct sr_neigh_hop hop;
	struct sr_net_arp a = { .op = 2, .tpa = htonl(0x0a000000u) };
	for (unsigned long h = 0; h < hosts; h++) {
		(void)sr_neigh_send(n, host(h), 0, &hop, now_ms, &hop);
		a.spa = host(h);
		mac_of(h, a.sha);
		sr_neigh_learn_arp(n, 0, &a, now_ms);
	}
}

int main(int argc, char **argv)
{
	unsigned long frames = argc > 1 ? strtoul(argv[1], NULL, 10) : 10000000;
	unsigned long hosts = argc > 2 ? strtoul(argv[2], NULL, 10) : 1000;
	struct sr_neigh_config c = {
		.entries = 4096, .pending = 256, .queue = 8, .max_requests = 3, .retry_ms = 1000, .reachable_ms = 30000,
		.ip = htonl(0x0a000000u), .mask = htonl(0xff000000u), .gateway = 0,
	};
	static const struct sr_neigh_io io = { io_request, io_release, io_drop };
	struct sr_neigh *n = sr_neigh_create(&c, &io, NULL);
	if (n == NULL || hosts == 0 || hosts > 3000)
		return fprintf(stderr, "bench_neigh: bad arguments (HOSTS 1..3000)\n"), 2;

	double t0 = cpu_s();
	run_learn(n, frames, hosts);
	double t1 = cpu_s();
	unsigned long ready = run_send(n, frames, hosts, frames / 1000);
	double t2 = cpu_s();
	sr_neigh_free(n);
	n = sr_neigh_create(&c, &io, NULL);
	double t3 = cpu_s();
	run_resolve(n, hosts, 0);
	double t4 = cpu_s();
	const struct sr_neigh_stats *st = sr_neigh_stats(n);
	if (ready != frames || released != hosts || st->resolved != hosts || dropped)
		return fprintf(stderr, "bench_neigh: ready %lu/%lu, released %lu/%lu, dropped %lu\n", ready, frames,
			       released, hosts, dropped), 1;
	double learn_ns = (t1 - t0) * 1e9 / (double)frames, send_ns = (t2 - t1) * 1e9 / (double)frames;
	double resolve_ns = (t4 - t3) * 1e9 / (double)hosts;
	printf("learn: %.1f ns per frame, send: %.1f ns per datagram (%lu frames, %lu hosts)\n", learn_ns, send_ns,
	       frames, hosts);
	printf("resolve: %.1f ns per address (send held, request, reply learned, released)\n", resolve_ns);
	printf("{\"frames\": %lu, \"hosts\": %lu, \"learn_ns\": %.1f, \"send_ns\": %.1f, \"resolve_ns\": %.1f}\n", frames,
	       hosts, learn_ns, send_ns, resolve_ns);
	sr_neigh_free(n);
	return 0;
}
