/*
 * worker.c - one worker lcore's poll loop.
 *
 * The loop, top to bottom:
 *   1. rx burst on our queue of every port; per frame: classify (ARP,
 *      ICMP echo, IPv4 fragment, SIP over UDP, or a counted drop);
 *      ARP and ICMP are answered in place; fragments go to reassembly;
 *   2. SIP: the source's token bucket (flood protection, admission.h: over
 *      the limit -> counted drop or 503), then the owner pre-scan (the
 *      first steps of the message walk, up to the To URI of a REGISTER or
 *      the Request-URI of another request), whose AoR hash picks the owner
 *      worker in the bucket table. What the pre-scan found goes into the
 *      mbuf's dynamic field (struct sr_pkt_meta); the owner reads the
 *      source and length from the headers at the offsets set here;
 *      ours -> sr_reg_process_scan now, resuming the walk, writing the
 *      response straight into a fresh mbuf behind its 42 bytes of headers;
 *      not ours -> the mbuf goes to the owner over our SP/SC ring to it
 *      (collected per owner and enqueued once per burst). Should the full
 *      parse find another owner than the pre-scan (SR_DROP_NOT_OWNER), the
 *      request is handed on once more, to that owner;
 *      Requests this worker owns wait until the whole rx burst is
 *      pre-scanned: the location store then prefetches their AoRs together
 *      (sr_loc_prefetch: the table and record misses of the burst overlap)
 *      and they are processed in order. The pre-scan's reading of a
 *      REGISTER's To and AoR travels in the mbuf's private area (struct
 *      sr_reg_carry) so the owner, here or on another worker, takes it
 *      instead of reading it again;
 *   3. tx burst of everything answered (worker_tx.c: every frame a worker
 *      sends, responses framed, fragmented and held there);
 *   4. drain the rings from other workers (same processing as local SIP)
 *      and the control core's query ring;
 *   5. housekeeping with bounded work: free reassembly's death row, expire
 *      at most workers.expire_budget bindings, publish shard figures.
 * STUN on the SIP port is answered where received (worker_stun.c). With
 * routing.mode redirect or proxy, worker_route.c picks the owner of
 * responses (the worker their branch names), takes them and requests other
 * than REGISTER before the registrar, and runs its timers once per loop.
 * With nat.ping_interval, worker_nat.c sends the shard's NAT keepalives
 * once per loop and takes their answers (by branch) first.
 * Every ARP packet and ICMP echo teaches the worker's neighbour table
 * (worker_neigh.c), which what the worker originates uses, and so does
 * every SIP datagram, once, in sip_process at its owner after the flood
 * check (worker_neigh.h); ARP news reaches
 * the other workers over the same rings as SIP.
 * No locks, no malloc (mbufs come from per-lcore mempool caches), no system
 * call per packet (the clock is the TSC; the optional idle sleep happens
 * only after an empty poll).
 */
#include "worker.h"

#include <arpa/inet.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_prefetch.h>
#include <rte_ring.h>

#include "app_auth.h"
#include "admission.h"
#include "net_flood.h"
#include "net_reply.h"
#include "ctl_answer.h"
#include "persist.h"
#include "worker_nat.h"
#include "worker_push.h"
#include "worker_purr.h"
#include "replicate.h"
#include "worker_route.h"
#include "worker_mid.h"
#include "worker_neigh.h"
#include "worker_stun.h"
#include "worker_tx.h"

#define EXPIRE_PERIOD_MS 10
#define PUBLISH_PERIOD_MS 100

static void drop(struct sr_worker *w, struct rte_mbuf *m, enum sr_net_drop why)
{
	SR_STAT_INC(w->stats.net.drops[why]);
	rte_pktmbuf_free(m);
}

/* --- SIP --- */

int sr_worker_meta_register(void)
{
	static const struct rte_mbuf_dynfield desc = {
		.name = "sipreg_pkt_meta",
		.size = sizeof(struct sr_pkt_meta),
		.align = __alignof__(struct sr_pkt_meta),
	};
	return rte_mbuf_dynfield_register(&desc);
}

static struct sr_pkt_meta *meta_of(const struct sr_worker *w, struct rte_mbuf *m)
{
	return RTE_MBUF_DYNFIELD(m, w->app->meta_off, struct sr_pkt_meta *);
}

/*
 * What the pre-scan carries for the owner, in the mbuf's private area (the
 * rx pool has one: main.c); NULL for an mbuf of another pool. Every datagram
 * sr_reg_process_carried sees went through sip_dispatch's pre-scan, which
 * rewrites it, so a recycled mbuf's old record is never read.
 */
static struct sr_reg_carry *carry_of(struct rte_mbuf *m)
{
	return rte_pktmbuf_priv_size(m->pool) >= sizeof(struct sr_reg_carry) ? rte_mbuf_to_priv(m) : NULL;
}

/*
 * The source address and SIP length of a datagram another worker classified,
 * read from its IP and UDP headers at the offsets it set (l2_len, l3_len;
 * the UDP length was checked then).
 */
static void pkt_from_headers(const struct rte_mbuf *m, struct sr_net_pkt *p)
{
	uint8_t ip_buf[4], udp_buf[SR_NET_UDP_LEN];
	const uint8_t *ip_src = rte_pktmbuf_read(m, (uint32_t)m->l2_len + 12, sizeof(ip_buf), ip_buf);
	const uint8_t *udp = rte_pktmbuf_read(m, (uint32_t)m->l2_len + m->l3_len, sizeof(udp_buf), udp_buf);
	memset(p, 0, sizeof(*p));
	memcpy(&p->src_ip, ip_src, sizeof(p->src_ip)); /* stays in network order */
	p->src_port = (uint16_t)(udp[0] << 8 | udp[1]);
	p->payload_len = (uint16_t)((udp[4] << 8 | udp[5]) - SR_NET_UDP_LEN);
}

/*
 * The SIP bytes of m (l2_len and l3_len set): in place for a single segment,
 * else (a reassembled datagram) copied into the worker's scratch buffer.
 */
static const char *sip_bytes(struct sr_worker *w, struct rte_mbuf *m, uint16_t len)
{
	uint32_t off = (uint32_t)m->l2_len + m->l3_len + SR_NET_UDP_LEN;
	if (m->nb_segs == 1)
		return rte_pktmbuf_mtod_offset(m, const char *, off);
	return rte_pktmbuf_read(m, off, len, w->scratch);
}

bool sr_worker_owns(void *ctx, uint64_t aor_hash)
{
	const struct sr_worker *w = ctx;
	return w->app->owner[(uint32_t)aor_hash % SR_BUCKETS] == w->id;
}

/*
 * A request refused by flood protection (v: limited or blocked): counted,
 * then dropped or answered 503 with Retry-After (flood.action). Consumes m.
 */
static void flood_refuse(struct sr_worker *w, struct rte_mbuf *m, const struct sr_net_pkt *p,
			 const char *sip, enum sr_flood_verdict v, uint32_t retry_after_s)
{
	if (v == SR_FLOOD_BLOCKED)
		SR_STAT_INC(w->stats.flood_blocked);
	else
		SR_STAT_INC(w->stats.flood_limited);
	char *out;
	size_t cap;
	struct rte_mbuf *r;
	if (w->app->cfg.flood_action != SR_FLOOD_503 || (r = sr_worker_sip_mbuf(w, &out, &cap)) == NULL) {
		rte_pktmbuf_free(m);
		return;
	}
	struct sr_addr src = { .ip = p->src_ip, .port = p->src_port };
	struct sr_reg_result res;
	sr_reg_refuse(w->shard, sip, p->payload_len, &src, 503, retry_after_s, out, cap, &res);
	sr_worker_answer(w, m, p, &res, r);
}

/*
 * The full parse found another owner than the pre-scan: the request goes to
 * that owner, once (a second disagreement would be a bug; it is counted and
 * dropped rather than processed where it would split the AoR's state).
 */
static void reroute(struct sr_worker *w, struct rte_mbuf *m, struct sr_pkt_meta *meta, uint64_t aor_hash)
{
	unsigned owner = w->app->owner[(uint32_t)aor_hash % SR_BUCKETS];
	if (owner == w->id || (meta->scan.flags & SR_SCAN_REROUTED)) {
		SR_STAT_INC(w->stats.sip_drops[SR_DROP_NOT_OWNER]);
		rte_pktmbuf_free(m);
		return;
	}
	meta->scan.flags |= SR_SCAN_REROUTED | SR_SCAN_OWNER;
	meta->scan.owner_key = (uint32_t)aor_hash;
	SR_STAT_INC(w->stats.owner_rerouted);
	if (rte_ring_sp_enqueue(w->app->mesh.ring[w->id][owner], m) != 0)
		drop(w, m, SR_ND_RING_FULL);
	else
		SR_STAT_INC(w->stats.net.ring_out);
}

/* Teaches the neighbour table the source l2 of a SIP datagram whose fate allows it (worker_neigh.h). */
static void teach(struct sr_worker *w, const struct sr_neigh_source *l2, const struct sr_sip_fate *fate,
		  uint64_t now_ms)
{
	if (sr_worker_neigh_sip_teaches(fate))
		sr_worker_neigh_learn_source(w, l2, now_ms);
}

/*
 * Runs the registrar on a SIP datagram this worker owns, then answers it.
 * p and sip: its classification and bytes when this worker received it,
 * else NULL (handed over by another worker). Consumes m.
 */
static void sip_process(struct sr_worker *w, struct rte_mbuf *m, const struct sr_net_pkt *p, const char *sip,
			uint64_t now_ms)
{
	struct sr_pkt_meta *meta = meta_of(w, m);
	struct sr_net_pkt from_headers;
	struct sr_reg_result res;
	uint32_t retry_after_s = 0;

	if (p == NULL) {
		pkt_from_headers(m, &from_headers);
		p = &from_headers;
		sip = sip_bytes(w, m, p->payload_len);
	}
	struct sr_addr src = { .ip = p->src_ip, .port = p->src_port };
	enum sr_flood_verdict v = sr_flood_check_blocked(w->flood, p->src_ip, now_ms, &retry_after_s);
	if (v != SR_FLOOD_PASS) {
		flood_refuse(w, m, p, sip, v, retry_after_s); /* a refused source teaches the neighbour table nothing */
		return;
	}
	/*
	 * The neighbour table learns the source once this worker is known to be
	 * the datagram's owner (sr_worker_neigh_sip_teaches); the branches below
	 * consume the frame before that is settled, so its facts are kept aside
	 * first, and each outcome is put to that one decision.
	 */
	struct sr_neigh_source l2;
	sr_worker_neigh_source(m, p->src_ip, &l2);
	struct sr_sip_fate fate = { .taken = SR_TAKE_NOT_MINE, .reg_drop = SR_DROP_NONE };
	if (sr_worker_nat_process(w, m, p, sip, &meta->scan) || /* an answer to a NAT keepalive */
	    sr_worker_mid_process(w, m, p, sip, &meta->scan, now_ms)) /* role = mid: the main's answer */
		fate.taken = SR_TAKE_TAKEN;
	else
		fate.taken = sr_worker_route_process(w, m, p, sip, &meta->scan, now_ms);
	if (fate.taken != SR_TAKE_NOT_MINE) {
		teach(w, &l2, &fate, now_ms);
		return;
	}
	char *out;
	size_t cap;
	struct rte_mbuf *r = sr_worker_sip_mbuf(w, &out, &cap);
	if (r == NULL) {
		drop(w, m, SR_ND_NO_MBUF); /* before the registrar settled its owner: teaches nothing */
		return;
	}

	sr_reg_process_carried(w->shard, sip, p->payload_len, &meta->scan, carry_of(m), &src, now_ms, out, cap, &res);
	SR_STAT_INC(w->stats.sip_requests);
	fate.reg_drop = res.drop;
	teach(w, &l2, &fate, now_ms);
	if (res.mid_taken) { /* forwarded to the main registrar: its answer comes later */
		rte_pktmbuf_free(r);
		rte_pktmbuf_free(m);
		return;
	}
	if (res.drop == SR_DROP_NOT_OWNER) {
		rte_pktmbuf_free(r);
		reroute(w, m, meta, res.aor_hash);
		return;
	}
	sr_admission_after(w, p->src_ip, res.credentials, res.len ? res.status : 0, now_ms);
	if (res.len == 0)
		SR_STAT_INC(w->stats.sip_drops[res.drop < SR_DROP_COUNT ? res.drop : SR_DROP_GARBAGE]);
	sr_worker_answer(w, m, p, &res, r);
}

/* Finds the owner of a SIP datagram (l2_len, l3_len set; p: its classification) and processes it here or hands it over. */
static void sip_dispatch(struct sr_worker *w, struct rte_mbuf *m, const struct sr_net_pkt *p, uint64_t now_ms)
{
	struct sr_app *app = w->app;
	struct sr_pkt_meta *meta = meta_of(w, m);
	unsigned owner = w->id;
	uint32_t retry_after_s = 0;

	const char *sip = sip_bytes(w, m, p->payload_len);
	enum sr_flood_verdict v = sr_flood_admit(w->flood, p->src_ip, now_ms, &retry_after_s);
	if (v != SR_FLOOD_PASS) {
		flood_refuse(w, m, p, sip, v, retry_after_s);
		return;
	}
	if (sr_worker_stun(w, m, p, (const uint8_t *)sip))
		return; /* STUN on the SIP port: answered here, never parsed as SIP */
	struct sr_reg_owner o;
	if (sr_reg_prescan_carry(sip, p->payload_len, &app->cfg.reg, &w->arena, &meta->scan, &o, carry_of(m)) != 0)
		SR_STAT_INC(w->stats.prescan_failed);
	else if (sr_worker_nat_owner(w, &meta->scan, &o, &owner))
		; /* an answer to a NAT keepalive: the worker its branch names */
	else if (sr_worker_mid_owner(w, &meta->scan, &o, &owner))
		; /* registrar.role = mid: a response goes to the worker its branch names */
	else if (sr_worker_route_owner(w, &meta->scan, &o, &owner))
		; /* routing on: a response goes to the worker its branch names */
	else if (sr_worker_purr_owner(w, &o, &owner))
		; /* RFC 8599: a request naming one of our PURRs goes where its binding is */
	else if (meta->scan.flags & SR_SCAN_OWNER)
		owner = app->owner[meta->scan.owner_key % SR_BUCKETS];
	else
		SR_STAT_INC(w->stats.prescan_failed);

	if (owner == w->id && m->nb_segs == 1) { /* after the burst (a reassembled one is in w->scratch: now) */
		struct sr_local_buf *l = &w->local;
		l->p[l->n] = *p;
		l->pkts[l->n++] = m;
		if ((meta->scan.flags & (SR_SCAN_OWNER | SR_SCAN_REQUEST)) == (SR_SCAN_OWNER | SR_SCAN_REQUEST))
			l->hash[l->n_hash++] = o.hash;
		return;
	}
	if (owner == w->id) {
		sip_process(w, m, p, sip, now_ms);
		return;
	}
	struct sr_handoff_buf *b = &w->handoff[owner];
	b->pkts[b->n++] = m; /* at most one rx burst: sent by handoff_flush after the burst */
}

/* The requests of the last rx burst this worker owns: their AoRs prefetched together, then processed. */
static void local_flush(struct sr_worker *w, uint64_t now_ms)
{
	struct sr_local_buf *l = &w->local;
	if (l->n_hash)
		sr_loc_prefetch(sr_reg_location(w->shard), l->hash, l->n_hash);
	for (uint16_t i = 0; i < l->n; i++)
		sip_process(w, l->pkts[i], &l->p[i], sip_bytes(w, l->pkts[i], l->p[i].payload_len), now_ms);
	l->n = l->n_hash = 0;
}

/* The same for a batch handed over by other workers: the hashes the pre-scan carried. */
static void prefetch_carried(struct sr_worker *w, void **objs, unsigned n)
{
	uint64_t hash[SR_MAX_BURST];
	unsigned k = 0;
	for (unsigned i = 0; i < n; i++) {
		/* ARP news shares the rings; its copies' private areas were never written (worker_neigh.c) */
		if ((((struct rte_mbuf *)objs[i])->packet_type & RTE_PTYPE_L2_MASK) == RTE_PTYPE_L2_ETHER_ARP)
			continue;
		const struct sr_reg_carry *c = carry_of(objs[i]);
		if (c && (c->flags & SR_CARRY_AOR))
			hash[k++] = c->aor_hash;
	}
	if (k)
		sr_loc_prefetch(sr_reg_location(w->shard), hash, k);
}

/* Hands each owner its share of the last rx burst with one ring operation. */
static void handoff_flush(struct sr_worker *w)
{
	struct sr_app *app = w->app;
	for (unsigned owner = 0; owner < app->n_workers; owner++) {
		struct sr_handoff_buf *b = &w->handoff[owner];
		if (b->n == 0)
			continue;
		unsigned sent = rte_ring_sp_enqueue_burst(app->mesh.ring[w->id][owner], (void **)b->pkts, b->n, NULL);
		SR_STAT_ADD(w->stats.net.ring_out, sent);
		for (unsigned i = sent; i < b->n; i++)
			drop(w, b->pkts[i], SR_ND_RING_FULL);
		b->n = 0;
	}
}

/* --- one received frame --- */

static void on_frame(struct sr_worker *w, struct rte_mbuf *m, uint64_t tsc, uint64_t now_ms)
{
	const struct sr_net_local *local = &w->app->local[m->port];
	uint8_t *frame = rte_pktmbuf_mtod(m, uint8_t *);
	struct sr_net_pkt p;
	enum sr_net_drop why;
	size_t len;

	SR_STAT_INC(w->stats.net.rx_pkts);
	SR_STAT_ADD(w->stats.net.rx_bytes, m->pkt_len);
	if (!sr_app_serving(w->app)) { /* a replication standby answers for nothing (replicate_role.c) */
		sr_replicate_standby_drop(w, m);
		return;
	}
	if (m->nb_segs != 1) { /* we configure no scattered RX: a PMD that does it anyway */
		drop(w, m, SR_ND_TOO_BIG);
		return;
	}
	enum sr_net_verdict v = sr_net_classify(frame, m->data_len, local, &p, &why);
	bool news = sr_worker_neigh_intake(w, m, v, &p, now_ms); /* before an ARP reply rewrites the frame */
	switch (v) {
	case SR_NET_ARP:
		len = sr_net_arp_reply(frame, local);
		rte_pktmbuf_trim(m, (uint16_t)(m->data_len - len));
		SR_STAT_INC(w->stats.net.arp_replies);
		sr_worker_tx_queue(w, m);
		return;
	case SR_NET_ICMP_ECHO:
		len = sr_net_icmp_reply(frame, &p, local);
		rte_pktmbuf_trim(m, (uint16_t)(m->data_len - len)); /* drops Ethernet padding */
		SR_STAT_INC(w->stats.net.icmp_replies);
		sr_worker_tx_queue(w, m);
		return;
	case SR_NET_FRAG:
		SR_STAT_INC(w->stats.net.frags_in);
		m->l2_len = SR_NET_ETH_LEN;
		m->l3_len = p.l3_len;
		m = sr_net_reasm_add(&w->reasm, m, tsc);
		if (m == NULL)
			return; /* incomplete (kept) or refused (on the death row, counted later) */
		SR_STAT_INC(w->stats.net.reassembled);
		/* the reassembled datagram needs its UDP checks now; jumbo fragments can exceed the scratch */
		const uint8_t *ip = sr_net_reasm_datagram(m, w->scratch, sizeof(w->scratch), &len);
		if (ip == NULL) {
			drop(w, m, SR_ND_REASM_TOO_BIG);
			return;
		}
		if (sr_net_classify_reassembled(ip, len, local, &p, &why) != SR_NET_SIP) {
			drop(w, m, why == SR_ND_NONE ? SR_ND_IP_PROTO : why);
			return;
		}
		m->l3_len = p.l3_len;
		sip_dispatch(w, m, &p, now_ms);
		return;
	case SR_NET_SIP:
		m->l2_len = SR_NET_ETH_LEN;
		m->l3_len = p.l3_len;
		sip_dispatch(w, m, &p, now_ms);
		return;
	case SR_NET_ARP_NEWS:
		if (news) {
			rte_pktmbuf_free(m);
			return;
		}
		why = SR_ND_ARP_OTHER; /* it taught us nothing */
		break;
	case SR_NET_DROP:
		break;
	}
	drop(w, m, why);
}

/* --- rings from other workers and from control --- */

static unsigned drain_rings(struct sr_worker *w, uint64_t now_ms)
{
	struct sr_app *app = w->app;
	void *objs[SR_MAX_BURST];
	unsigned total = 0;

	for (unsigned from = 0; from < app->n_workers; from++) {
		if (from == w->id)
			continue;
		unsigned n = rte_ring_sc_dequeue_burst(app->mesh.ring[from][w->id], objs, w->app->cfg.burst, NULL);
		prefetch_carried(w, objs, n);
		unsigned sip = 0; /* hand-offs are SIP datagrams; ARP news has its own figure (sipreg_arp_shared_total) */
		for (unsigned i = 0; i < n; i++)
			if (!sr_worker_neigh_from_ring(w, objs[i], now_ms)) {
				sip_process(w, objs[i], NULL, NULL, now_ms);
				sip++;
			}
		SR_STAT_ADD(w->stats.net.ring_in, sip);
		total += n;
	}
	return total;
}

/* Removes first when asked (the store announces it), then writes every binding left into control's buffer. */
static void answer_query(struct sr_worker *w, struct sr_aor_query *q, uint64_t now_ms)
{
	struct sr_loc *loc = sr_reg_location(w->shard);
	struct sr_str aor = sr_str_make(q->aor, q->aor_len);
	if (q->remove) {
		int n = sr_loc_remove(loc, aor, sr_str_make(q->contact, q->contact_len));
		q->busy = n < 0; /* no room for the removals' events: nothing removed */
		q->removed = n < 0 ? 0 : (unsigned)n;
	}
	q->len = sr_ctl_answer_encode(loc, aor, (uint32_t)(now_ms / 1000), q->buf, q->cap, &q->total);
	SR_STAT_INC(w->stats.queries);
	__atomic_store_n(&q->done, 1, __ATOMIC_RELEASE);
}

static void drain_queries(struct sr_worker *w, uint64_t now_ms)
{
	void *q;
	while (rte_ring_sc_dequeue(w->queries, &q) == 0)
		answer_query(w, q, now_ms);
}

/* --- housekeeping --- */

static void publish(struct sr_worker *w)
{
	struct sr_reg_stats st;
	sr_reg_get_stats(w->shard, &st);
	SR_STAT_SET(w->stats.aors, st.aors);
	SR_STAT_SET(w->stats.bindings, st.bindings);
	SR_STAT_SET(w->stats.binding_bytes, st.binding_bytes);
	SR_STAT_SET(w->stats.expired, st.expired);
	SR_STAT_SET(w->stats.arena_overflows, st.arena_overflows);
	SR_STAT_SET(w->stats.parsed_fast, st.parsed_fast);
	SR_STAT_SET(w->stats.parsed_slow, st.parsed_slow);
	SR_STAT_SET(w->stats.parsed_resumed, st.parsed_resumed);
}

static void housekeeping(struct sr_worker *w, uint64_t tsc, uint64_t now_ms)
{
	unsigned freed = sr_net_reasm_collect(&w->reasm, tsc);
	if (freed)
		SR_STAT_ADD(w->stats.net.drops[SR_ND_FRAG], freed);

	/* a full budget means more are due: come back on the next loop */
	if (now_ms >= w->next_expire_ms) {
		unsigned budget = w->app->cfg.expire_budget;
		unsigned n = sr_reg_expire(w->shard, now_ms, budget);
		w->next_expire_ms = n == budget ? now_ms : now_ms + EXPIRE_PERIOD_MS;
	}
	if (tsc >= w->next_publish_tsc) {
		publish(w);
		w->next_publish_tsc = tsc + w->app->clock.hz / 1000 * PUBLISH_PERIOD_MS;
	}
}

void sr_worker_on_event(void *ctx, const struct sr_loc_event *ev)
{
	struct sr_worker *w = ctx;
	if ((unsigned)ev->type < 4)
		SR_STAT_INC(w->stats.events[ev->type]);
	sr_persist_emit(w->app, w->id, ev);
	sr_worker_push_on_event(w, ev);
	sr_worker_mid_on_event(w, ev);
}

int sr_worker_main(void *arg)
{
	struct sr_worker *w = arg;
	struct sr_app *app = w->app;
	struct rte_mbuf *pkts[SR_MAX_BURST];
	const uint16_t burst = (uint16_t)app->cfg.burst;

	sr_app_auth_online(w);
	sr_admission_online(w);
	while (!sr_app_stopping(app)) {
		uint64_t tsc = rte_get_tsc_cycles();
		uint64_t now_ms = sr_clock_ms(&app->clock, tsc);
		unsigned work = 0;

		for (uint16_t port = 0; port < app->n_ports; port++) {
			uint16_t n = rte_eth_rx_burst(port, (uint16_t)w->id, pkts, burst);
			for (uint16_t i = 0; i < n; i++) {
				if (i + 1 < n)
					rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
				on_frame(w, pkts[i], tsc, now_ms);
			}
			handoff_flush(w);
			local_flush(w, now_ms);
			work += n;
		}
		sr_worker_tx_flush_all(w);

		work += drain_rings(w, now_ms);
		drain_queries(w, now_ms);
		work += sr_worker_route_advance(w, now_ms);
		work += sr_worker_mid_advance(w, now_ms);
		work += sr_worker_nat_advance(w, now_ms);
		work += sr_worker_neigh_advance(w, now_ms);
		work += sr_worker_push_advance(w, now_ms); /* after the rx burst: a REGISTER's 200 goes first */
		work += sr_worker_release_held(w, now_ms);
		work += sr_replicate_worker_poll(w, now_ms);
		sr_worker_tx_flush_all(w);

		housekeeping(w, tsc, now_ms);
		sr_app_auth_quiescent(w); /* no credential table pointer is held across iterations */
		sr_admission_quiescent(w); /* nor a policy database pointer */
		if (work)
			SR_STAT_ADD(w->stats.busy_cycles, rte_get_tsc_cycles() - tsc);
		else if (app->cfg.idle_sleep_us)
			rte_delay_us_sleep(app->cfg.idle_sleep_us);
	}

	/* stop: answer what other workers already handed us, then leave */
	drain_rings(w, sr_clock_ms(&app->clock, rte_get_tsc_cycles()));
	sr_worker_tx_flush_all(w);
	publish(w);
	sr_app_auth_offline(w);
	sr_admission_offline(w);
	return 0;
}
