/*
 * worker_nat.c - one job: the glue between a worker and its NAT keepalive
 * pinger (lib/location/nat_ping.h; docs/ROUTING.md "NAT traversal").
 *
 * Design decisions:
 * - Each worker pings the bindings of its own shard (the pinger walks the
 *   shard's store), from our SIP address, through worker_send.h; the next
 *   hop's MAC is learned from every SIP datagram the worker owns (the
 *   REGISTER of a binding reaches its owner, so its source is known there).
 * - Answers come back to the owner without a table: with routing off the
 *   registrar's own rule already sends a response to the owner of its To
 *   AoR, which our OPTIONS names; in any mode sr_worker_nat_owner reads the
 *   worker from the branch first. The answer is recognised from the top Via
 *   branch alone (the pre-scan's), never parsed further.
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
	struct sr_neigh_table neigh;
	char self[32];               /* "a.b.c.d:port" */
	uint64_t no_neighbour, send_failed;
	uint64_t next_publish_ms;
};

static void send_ping(void *ctx, uint32_t ip, uint16_t port, const char *bytes, size_t len)
{
	struct sr_worker_nat *wn = ctx;
	switch (sr_worker_send_udp(wn->w, &wn->neigh, sr_neigh_port(&wn->neigh, ip, 0), ip, port, bytes, len)) {
	case SR_SEND_OK: break;
	case SR_SEND_NO_NEIGHBOUR: wn->no_neighbour++; break;
	case SR_SEND_FAILED: wn->send_failed++; break;
	}
}

/* The top Via branch of a response (the pre-scan's); empty for anything else. */
static struct sr_str response_branch(struct sr_worker *w, const char *sip, size_t len)
{
	struct sr_reg_route_key k;
	if (len < 8 || memcmp(sip, "SIP/2.0 ", 8) != 0 ||
	    sr_reg_prescan_route(sip, len, &w->app->cfg.reg, &w->arena, &k) != 0 || k.kind != SR_PRESCAN_RESPONSE)
		return SR_STR_NULL;
	return k.branch;
}

bool sr_worker_nat_owner(struct sr_worker *w, const char *sip, size_t len, unsigned *owner)
{
	unsigned o;
	if (w->nat == NULL || !sr_nat_ping_branch_owner(response_branch(w, sip, len), &o) || o >= w->app->n_workers)
		return false;
	*owner = o;
	return true;
}

bool sr_worker_nat_process(struct sr_worker *w, struct rte_mbuf *m, const struct sr_net_pkt *p, const char *sip)
{
	struct sr_worker_nat *wn = w->nat;
	if (wn == NULL)
		return false;
	sr_neigh_learn(&wn->neigh, m->port, rte_pktmbuf_mtod(m, const uint8_t *) + 6, p->src_ip);
	unsigned o;
	struct sr_str branch = response_branch(w, sip, p->payload_len);
	bool ours = sr_nat_ping_branch_owner(branch, &o);
	if (ours)
		sr_nat_ping_answer(wn->np, sr_reg_location(w->shard), branch); /* any response: alive */
	sr_arena_reset(&w->arena);
	if (ours)
		rte_pktmbuf_free(m);
	return ours;
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
