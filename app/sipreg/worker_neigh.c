/*
 * worker_neigh.c - a worker's neighbour table and ARP (see worker_neigh.h).
 */
#include "worker_neigh.h"

#include <stdio.h>
#include <string.h>

#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mbuf_ptype.h>
#include <rte_ring.h>

#include "net_neigh.h"
#include "net_reply.h"
#include "worker_tx.h"

/*
 * Like a host's ARP cache (Linux: 3 probes 1 s apart, reachable for about
 * 30 s): at most 3 s of waiting for an address that does not answer, a few
 * datagrams held per address (a routed INVITE and its retransmissions, a
 * keepalive), and room for many resolutions at once after a restart.
 */
#define NEIGH_PENDING 256
#define NEIGH_QUEUE 8
#define NEIGH_REQUESTS 3
#define NEIGH_RETRY_MS 1000
#define NEIGH_REACHABLE_MS 30000
#define PUBLISH_PERIOD_MS 100

struct sr_worker_neigh {
	struct sr_neigh *table;
	struct sr_worker *w;
	uint64_t next_publish_ms;
};

/* --- io for lib/net's table --- */

static void io_request(void *ctx, uint16_t port, uint32_t ip)
{
	struct sr_worker_neigh *wn = ctx;
	struct sr_worker *w = wn->w;
	struct rte_mbuf *r = rte_pktmbuf_alloc(w->tx_pool);
	uint8_t *frame = r ? (uint8_t *)rte_pktmbuf_append(r, SR_NET_ARP_REQUEST_LEN) : NULL;
	if (frame == NULL) { /* no mbuf: the retry asks again */
		rte_pktmbuf_free(r);
		SR_STAT_INC(w->stats.net.drops[SR_ND_NO_MBUF]);
		return;
	}
	sr_net_arp_request(frame, &w->app->local[port], ip);
	r->port = port;
	sr_worker_tx_sip(w, r);
}

/* Fills in both MACs of a held or ready frame and sends it. */
static void aim(struct sr_worker *w, struct rte_mbuf *r, uint16_t port, const uint8_t mac[6])
{
	uint8_t *frame = rte_pktmbuf_mtod(r, uint8_t *);
	memcpy(frame, mac, 6);
	memcpy(frame + 6, w->app->local[port].mac, 6);
	r->port = port;
	sr_worker_tx_sip(w, r);
}

static void io_release(void *ctx, void *pkt, uint16_t port, const uint8_t mac[6])
{
	struct sr_worker_neigh *wn = ctx;
	aim(wn->w, pkt, port, mac);
}

static void io_drop(void *ctx, void *pkt)
{
	(void)ctx;
	rte_pktmbuf_free(pkt);
}

/* --- sending --- */

bool sr_worker_neigh_can_send(struct sr_worker *w, uint32_t ip, uint16_t def_port)
{
	return sr_neigh_can_send(w->neigh->table, ip, def_port);
}

bool sr_worker_neigh_send(struct sr_worker *w, struct rte_mbuf *r, uint32_t ip, uint16_t def_port, uint64_t now_ms)
{
	struct sr_neigh_hop hop;
	switch (sr_neigh_send(w->neigh->table, ip, def_port, r, now_ms, &hop)) {
	case SR_NEIGH_READY:
		aim(w, r, hop.port, hop.mac);
		return true;
	case SR_NEIGH_HELD:
		return true;
	case SR_NEIGH_DROPPED:
		break;
	}
	return false;
}

/* --- learning --- */

/*
 * Gives the ARP frame m to every other worker (worker_neigh.h says why): one
 * copy (m itself is answered or freed here at once), shared by reference
 * count, since its readers only read it; each frees its reference and the
 * last one returns it to the pool.
 */
static void pass_on(struct sr_worker *w, const struct rte_mbuf *m)
{
	struct sr_app *app = w->app;
	if (app->n_workers < 2)
		return;
	struct rte_mbuf *c = rte_pktmbuf_copy(m, m->pool, 0, SR_NET_ETH_LEN + 28);
	if (c == NULL) { /* one drop for the news, however many workers miss it (one copy, not one each) */
		SR_STAT_INC(w->stats.net.drops[SR_ND_NO_MBUF]);
		return;
	}
	c->packet_type = RTE_PTYPE_L2_ETHER_ARP;
	c->port = m->port;
	/* every reference exists before the first ring makes one visible (its reader may free it at once) */
	rte_mbuf_refcnt_set(c, (uint16_t)(app->n_workers - 1));
	for (unsigned o = 0; o < app->n_workers; o++) {
		if (o != w->id && rte_ring_sp_enqueue(app->mesh.ring[w->id][o], c) != 0) {
			rte_pktmbuf_free(c); /* that worker's reference */
			SR_STAT_INC(w->stats.net.drops[SR_ND_RING_FULL]);
		}
	}
}

/* Learns from the ARP frame m; true when it taught anything. */
static bool learn_arp(struct sr_worker *w, const struct rte_mbuf *m, uint64_t now_ms, bool share)
{
	struct sr_net_arp a;
	if (!sr_net_arp_read(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len, &a))
		return false;
	bool learned = sr_neigh_learn_arp(w->neigh->table, m->port, &a, now_ms);
	/* news for us, or another host's announcement: the other workers may hold it or wait for it
	   (not a probe from 0.0.0.0, nor our own address announced by a replication peer) */
	uint32_t ours = w->app->local[m->port].ip;
	if (share && a.spa != 0 && a.spa != ours && (a.tpa == ours || a.tpa == a.spa))
		pass_on(w, m);
	return learned;
}

bool sr_worker_neigh_intake(struct sr_worker *w, struct rte_mbuf *m, enum sr_net_verdict v,
			    const struct sr_net_pkt *p, uint64_t now_ms)
{
	switch (v) {
	case SR_NET_ARP:
	case SR_NET_ARP_NEWS:
		return learn_arp(w, m, now_ms, true);
	case SR_NET_ICMP_ECHO:
		sr_neigh_learn_ip(w->neigh->table, m->port, p->src_ip, rte_pktmbuf_mtod(m, const uint8_t *) + 6, now_ms);
		return true;
	case SR_NET_SIP:
	case SR_NET_FRAG: /* SIP, or the pieces of a SIP datagram: its owner learns it (worker_neigh.h) */
	case SR_NET_DROP:
		break;
	}
	return true;
}

void sr_worker_neigh_source(const struct rte_mbuf *m, uint32_t src_ip, struct sr_neigh_source *s)
{
	s->ip = src_ip;
	s->port = m->port;
	memcpy(s->mac, rte_pktmbuf_mtod(m, const uint8_t *) + 6, 6);
}

void sr_worker_neigh_learn_source(struct sr_worker *w, const struct sr_neigh_source *s, uint64_t now_ms)
{
	sr_neigh_learn_ip(w->neigh->table, s->port, s->ip, s->mac, now_ms);
}

bool sr_worker_neigh_sip_teaches(const struct sr_sip_fate *f)
{
	if (f->taken == SR_TAKE_HANDED_ON)
		return false;
	return f->reg_drop != SR_DROP_NOT_OWNER;
}

bool sr_worker_neigh_from_ring(struct sr_worker *w, struct rte_mbuf *m, uint64_t now_ms)
{
	/* SIP datagrams on the rings are IPv4: a PMD never types one ARP */
	if ((m->packet_type & RTE_PTYPE_L2_MASK) != RTE_PTYPE_L2_ETHER_ARP)
		return false;
	(void)learn_arp(w, m, now_ms, false);
	SR_STAT_INC(w->stats.arp_shared);
	rte_pktmbuf_free(m);
	return true;
}

/* --- the loop --- */

static void publish(struct sr_worker *w)
{
	const struct sr_neigh_stats *s = sr_neigh_stats(w->neigh->table);
	struct sr_worker_stats *st = &w->stats;
	SR_STAT_SET(st->arp_requests, s->requests);
	SR_STAT_SET(st->arp_resolved, s->resolved);
	SR_STAT_SET(st->arp_failed, s->failed);
	SR_STAT_SET(st->neigh_dropped, s->dropped);
	SR_STAT_SET(st->neigh_entries, s->entries);
}

unsigned sr_worker_neigh_advance(struct sr_worker *w, uint64_t now_ms)
{
	struct sr_worker_neigh *wn = w->neigh;
	unsigned n = sr_neigh_advance(wn->table, now_ms);
	if (now_ms >= wn->next_publish_ms) {
		publish(w);
		wn->next_publish_ms = now_ms + PUBLISH_PERIOD_MS;
	}
	return n;
}

int sr_worker_neigh_create(struct sr_worker *w)
{
	const struct sr_app_config *c = &w->app->cfg;
	struct sr_worker_neigh *wn = rte_zmalloc("sr_worker_neigh", sizeof(*wn), RTE_CACHE_LINE_SIZE);
	if (wn == NULL) {
		fprintf(stderr, "sipreg: worker %u: neighbours: out of memory\n", w->id);
		return -1;
	}
	wn->w = w;
	struct sr_neigh_config nc = {
		.entries = c->neighbours, .pending = NEIGH_PENDING, .queue = NEIGH_QUEUE,
		.max_requests = NEIGH_REQUESTS, .retry_ms = NEIGH_RETRY_MS, .reachable_ms = NEIGH_REACHABLE_MS,
		.ip = c->ip, .mask = sr_app_config_netmask(c), .gateway = c->gateway,
	};
	static const struct sr_neigh_io io = { io_request, io_release, io_drop };
	wn->table = sr_neigh_create(&nc, &io, wn);
	if (wn->table == NULL) {
		fprintf(stderr, "sipreg: worker %u: neighbours: cannot create the table (net.neighbours)\n", w->id);
		rte_free(wn);
		return -1;
	}
	w->neigh = wn;
	return 0;
}

void sr_worker_neigh_free(struct sr_worker *w)
{
	struct sr_worker_neigh *wn = w->neigh;
	if (wn == NULL)
		return;
	sr_neigh_free(wn->table);
	rte_free(wn);
	w->neigh = NULL;
}
