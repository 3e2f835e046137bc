/*
 * worker_nat.c - one job: the glue between a worker and its NAT keepalive
 * pinger (lib/location/nat_ping.h; docs/ROUTING.md "NAT traversal").
 *
 * Design decisions:
 * - Each worker pings the bindings of its own shard (the pinger walks the
 *   shard's store), from our SIP address, through worker_send.h (the next
 *   hop from the worker's neighbour table, resolved by ARP when unknown).
 * - Answers come back to the owner without a table: with routing off the
 *   registrar's own rule already sends a response to the owner of its To
 *   AoR, which our OPTIONS names; in any mode sr_worker_nat_owner reads the
 *   worker from the branch the owner pre-scan copied. The answer is
 *   recognised from the top Via branch alone, never parsed further.
 * - The pinger's counters are plain integers; they are copied into the
 *   worker's published statistics every 100 ms, like the shard figures.
 */
#include "worker_nat.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <rte_malloc.h>

#include "nat_ping.h"
#include "registrar.h"
#include "worker.h"
#include "worker_send.h"

#define NAT_BUDGET 256        /* AoRs visited per loop at most */
#define FIGURES_PERIOD_MS 100

struct sr_worker_nat {
	struct sr_nat_ping *np;
	struct sr_worker *w;
	char self[32];               /* "a.b.c.d:port" */
	uint64_t now_ms;             /* of the advance in progress (send_ping's) */
	uint64_t no_neighbour, send_failed;
	uint64_t next_publish_ms;
};

static void send_ping(void *ctx, uint32_t ip, uint16_t port, const char *bytes, size_t len)
{
	struct sr_worker_nat *wn = ctx;
	switch (sr_worker_send_udp(wn->w, 0, ip, port, bytes, len, wn->now_ms)) {
	case SR_SEND_OK: break;
	case SR_SEND_NO_NEIGHBOUR: wn->no_neighbour++; break;
	case SR_SEND_FAILED: wn->send_failed++; break;
	}
}

bool sr_worker_nat_owner(struct sr_worker *w, const struct sr_sip_scan *scan, const struct sr_reg_owner *o,
			 unsigned *owner)
{
	unsigned n;
	if (w->nat == NULL || !(scan->flags & SR_SCAN_RESPONSE) ||
	    !sr_nat_ping_branch_owner(sr_str_make(o->branch, o->branch_len), &n) || n >= w->app->n_workers)
		return false;
	*owner = n;
	return true;
}

bool sr_worker_nat_process(struct sr_worker *w, struct rte_mbuf *m, const struct sr_net_pkt *p, const char *sip,
			   const struct sr_sip_scan *scan)
{
	struct sr_worker_nat *wn = w->nat;
	if (wn == NULL)
		return false;
	if (!(scan->flags & SR_SCAN_RESPONSE))
		return false;
	/*
	 * The branch again: the record that travelled with the datagram holds
	 * where the top Via is, not its branch. Only responses pay for it, and a
	 * response's top Via is its first header line.
	 */
	struct sr_sip_scan again;
	struct sr_reg_owner o;
	unsigned n;
	if (sr_reg_prescan(sip, p->payload_len, &w->app->cfg.reg, &w->arena, &again, &o) != 0 ||
	    !sr_nat_ping_branch_owner(sr_str_make(o.branch, o.branch_len), &n))
		return false;
	sr_nat_ping_answer(wn->np, sr_reg_location(w->shard), sr_str_make(o.branch, o.branch_len)); /* alive */
	rte_pktmbuf_free(m);
	return true;
}

static void publish(struct sr_worker_nat *wn)
{
	const struct sr_nat_ping_stats *s = sr_nat_ping_stats(wn->np);
	struct sr_worker_stats *st = &wn->w->stats;
	SR_STAT_SET(st->nat_pings_sent, s->sent);
	SR_STAT_SET(st->nat_pings_answered, s->answered);
	SR_STAT_SET(st->nat_pings_failed, s->failed);
	SR_STAT_SET(st->nat_pings_stray, s->stray);
	SR_STAT_SET(st->nat_pings_unsent, wn->no_neighbour + wn->send_failed);
}

unsigned sr_worker_nat_advance(struct sr_worker *w, uint64_t now_ms)
{
	struct sr_worker_nat *wn = w->nat;
	if (wn == NULL)
		return 0;
	wn->now_ms = now_ms;
	unsigned n = sr_nat_ping_advance(wn->np, sr_reg_location(w->shard), now_ms, NAT_BUDGET);
	if (now_ms >= wn->next_publish_ms) {
		publish(wn);
		wn->next_publish_ms = now_ms + FIGURES_PERIOD_MS;
	}
	return n;
}

int sr_worker_nat_create(struct sr_worker *w, uint64_t now_ms)
{
	const struct sr_app_config *c = &w->app->cfg;
	w->nat = NULL;
	if (c->nat.ping_interval == 0)
		return 0;
	struct sr_worker_nat *wn = rte_zmalloc("sr_worker_nat", sizeof(*wn), RTE_CACHE_LINE_SIZE);
	if (wn == NULL) {
		fprintf(stderr, "sipreg: worker %u: nat: out of memory\n", w->id);
		return -1;
	}
	wn->w = w;
	char ip[INET_ADDRSTRLEN];
	struct in_addr a = { .s_addr = c->ip };
	inet_ntop(AF_INET, &a, ip, sizeof(ip));
	snprintf(wn->self, sizeof(wn->self), "%s:%u", ip, c->sip_port);
	struct sr_nat_ping_config pc = {
		.interval_s = c->nat.ping_interval, .timeout_s = c->nat.ping_timeout, .worker = (uint8_t)w->id,
		.secret = { c->routing.secret[0], c->routing.secret[1] }, /* random at start, one for all workers */
		.self = sr_str_cstr(wn->self),
	};
	wn->np = sr_nat_ping_create(&pc, send_ping, wn, now_ms);
	if (wn->np == NULL) {
		fprintf(stderr, "sipreg: worker %u: nat: cannot create the pinger\n", w->id);
		rte_free(wn);
		return -1;
	}
	w->nat = wn;
	return 0;
}

void sr_worker_nat_free(struct sr_worker *w)
{
	struct sr_worker_nat *wn = w->nat;
	if (wn == NULL)
		return;
	sr_nat_ping_free(wn->np);
	rte_free(wn);
	w->nat = NULL;
}
