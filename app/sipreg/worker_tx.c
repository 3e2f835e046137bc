/*
 * worker_tx.c - what a worker sends (see worker_tx.h).
 */
#include "worker_tx.h"

#include <string.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "net_frag.h"
#include "net_reply.h"
#include "persist.h"

static void tx_flush(struct sr_worker *w, uint16_t port)
{
	struct sr_tx_buf *b = &w->tx[port];
	if (b->n == 0)
		return;
	uint64_t bytes = 0;
	for (uint16_t i = 0; i < b->n; i++)
		bytes += b->pkts[i]->pkt_len;
	uint16_t sent = rte_eth_tx_burst(port, (uint16_t)w->id, b->pkts, b->n);
	for (uint16_t i = sent; i < b->n; i++) {
		bytes -= b->pkts[i]->pkt_len;
		rte_pktmbuf_free(b->pkts[i]);
	}
	SR_STAT_ADD(w->stats.net.tx_pkts, sent);
	SR_STAT_ADD(w->stats.net.tx_bytes, bytes);
	if (sent < b->n)
		SR_STAT_ADD(w->stats.net.drops[SR_ND_TX_FULL], (uint64_t)(b->n - sent));
	b->n = 0;
}

void sr_worker_tx_flush_all(struct sr_worker *w)
{
	for (uint16_t p = 0; p < w->app->n_ports; p++)
		tx_flush(w, p);
}

void sr_worker_tx_queue(struct sr_worker *w, struct rte_mbuf *m)
{
	struct sr_tx_buf *b = &w->tx[m->port];
	b->pkts[b->n++] = m;
	if (b->n == SR_TX_BUF)
		tx_flush(w, m->port);
}

/* Builds the Ethernet/IPv4/UDP frame around the len SIP bytes at r's payload area. */
static void reply_frame(struct sr_worker *w, struct rte_mbuf *req, const struct sr_net_pkt *p,
			uint16_t dport, struct rte_mbuf *r, size_t len)
{
	struct sr_app *app = w->app;
	size_t flen = sr_net_udp_reply(rte_pktmbuf_mtod(r, uint8_t *), rte_pktmbuf_mtod(req, uint8_t *), p,
				       &app->local[req->port], dport, (uint16_t)len, w->ip_id);
	w->ip_id = (uint16_t)(w->ip_id + app->n_workers); /* IDs stay distinct across workers */
	r->data_len = (uint16_t)flen;
	r->pkt_len = (uint32_t)flen;
	r->port = req->port;
}

/*
 * The retraction sr_reg_process wrote behind the response (durability=sync,
 * registrar.h) as a frame of its own, or NULL when there is none (or no mbuf:
 * the 200 then still waits for its verdict, and is dropped if it fails).
 */
static struct rte_mbuf *retraction_frame(struct sr_worker *w, struct rte_mbuf *req, const struct sr_net_pkt *p,
					 uint16_t dport, const char *sip, size_t len)
{
	char *out;
	size_t cap;
	if (len == 0)
		return NULL;
	struct rte_mbuf *a = sr_worker_sip_mbuf(w, &out, &cap);
	if (a == NULL || cap < len) {
		rte_pktmbuf_free(a); /* NULL-safe */
		return NULL;
	}
	memcpy(out, sip, len);
	reply_frame(w, req, p, dport, a, len);
	return a;
}

/*
 * Sends the frame r (fragmented above the port's MTU) through the
 * durability hold: out now, or held until the change it answers is decided
 * (change; retraction is the answer sent instead if it fails).
 */
static void frames_out(struct sr_worker *w, struct rte_mbuf *r, bool change, struct rte_mbuf *retraction,
		       struct rte_mbuf *retraction_replica)
{
	struct sr_app *app = w->app;
	uint16_t port = r->port;
	struct rte_mbuf *frags[SR_MAX_BURST];
	int n = 1;
	frags[0] = r;
	if (r->pkt_len - SR_NET_ETH_LEN > app->mtu[port]) {
		n = sr_net_fragment(r, app->mtu[port], w->tx_pool, w->indirect_pool, frags, SR_MAX_BURST);
		if (n > 0 && app->tx_linear[port] && sr_net_linearize(frags, (unsigned)n) != 0) {
			rte_pktmbuf_free_bulk(frags, (unsigned)n);
			n = -1; /* not reached with tx_pool's 8 KiB buffers: a fragment's header mbuf holds an MTU */
		}
		if (n < 0) {
			SR_STAT_INC(w->stats.net.drops[SR_ND_TOO_BIG]);
			rte_pktmbuf_free(retraction);
			rte_pktmbuf_free(retraction_replica);
			return;
		}
		SR_STAT_INC(w->stats.net.tx_fragmented);
	}
	unsigned now = sr_persist_hold(app, w->id, frags, (unsigned)n, change, retraction, retraction_replica);
	for (unsigned i = 0; i < now; i++)
		sr_worker_tx_queue(w, frags[i]);
}

/*
 * Sends the response whose SIP bytes sr_reg_process wrote at r's payload area
 * (and, with durability=sync, its retraction right behind them): out now, or
 * held until its change is committed.
 */
static void send_response(struct sr_worker *w, struct rte_mbuf *req, const struct sr_net_pkt *p,
			  const struct sr_reg_result *res, struct rte_mbuf *r)
{
	uint16_t dport = w->app->cfg.symmetric_responses ? p->src_port : res->reply_port;
	const char *behind = rte_pktmbuf_mtod_offset(r, char *, SR_NET_HDRS_LEN + res->len);
	struct rte_mbuf *retraction = retraction_frame(w, req, p, dport, behind, res->retraction_len);
	/* replication sync: the 503 for a refusal by Redis, right behind the 500 */
	struct rte_mbuf *replica = retraction ? retraction_frame(w, req, p, dport, behind + res->retraction_len,
								 res->retraction_replica_len) : NULL;
	reply_frame(w, req, p, dport, r, res->len);
	frames_out(w, r, res->events > 0, retraction, replica);
}

void sr_worker_tx_sip(struct sr_worker *w, struct rte_mbuf *r)
{
	frames_out(w, r, false, NULL, NULL);
}

struct rte_mbuf *sr_worker_sip_mbuf(struct sr_worker *w, char **out, size_t *cap)
{
	struct rte_mbuf *r = rte_pktmbuf_alloc(w->tx_pool);
	if (r == NULL)
		return NULL;
	*cap = rte_pktmbuf_tailroom(r) - SR_NET_HDRS_LEN;
	if (*cap > 65535 - SR_NET_IP_LEN - SR_NET_UDP_LEN)
		*cap = 65535 - SR_NET_IP_LEN - SR_NET_UDP_LEN;
	*out = rte_pktmbuf_mtod_offset(r, char *, SR_NET_HDRS_LEN);
	return r;
}

void sr_worker_answer(struct sr_worker *w, struct rte_mbuf *m, const struct sr_net_pkt *p,
		      const struct sr_reg_result *res, struct rte_mbuf *r)
{
	if (res->len) {
		sr_worker_count_response(&w->stats, res->status);
		send_response(w, m, p, res, r);
	} else {
		rte_pktmbuf_free(r);
	}
	rte_pktmbuf_free(m);
}

unsigned sr_worker_release_held(struct sr_worker *w, uint64_t now_ms)
{
	struct rte_mbuf *m[SR_MAX_BURST];
	unsigned n = sr_persist_release(w->app, w->id, m, SR_MAX_BURST, now_ms);
	for (unsigned i = 0; i < n; i++)
		sr_worker_tx_queue(w, m[i]);
	return n;
}
