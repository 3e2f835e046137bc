/*
 * worker_neigh.h - one job: the glue between a worker and its neighbour
 * table (lib/net/net_neigh.h): learning at intake, ARP requests out,
 * datagrams held for a resolution, ARP news shared with the other workers.
 *
 * Design decisions:
 * - One table per worker, used by everything the worker originates (the
 *   routing, NAT keepalives, the mid-registrar: worker_send.c). It learns
 *   from ARP and ICMP echo requests at intake, and from each SIP datagram
 *   once, at the worker that owns it (sip_process in worker.c), whether it
 *   came in on that worker's queue or was handed over (the frame is still
 *   whole). The owner is the worker that sends to that source later (its
 *   shard's contacts). The datagram teaches only once its owner is settled
 *   and its source passed the flood check: not at the worker that received
 *   it and handed it on, not before the full parse or the routing hands it
 *   on again (SR_DROP_NOT_OWNER, a main registrar's call for another
 *   worker's contact): one decision says so (sr_worker_neigh_sip_teaches);
 *   and never when it is refused (a blocked source, a flood refusal), which
 *   sip_process does before it reads the source at all. A
 *   STUN request never reaches that path: it is answered where it arrived.
 *   The branches that settle ownership consume the frame, so its source is
 *   read first (struct sr_neigh_source) and taught after.
 *   Fragments teach nothing themselves: the reassembled datagram does.
 * - A SIP datagram from a new address adds an entry, even if its source is
 *   spoofed: the table is bounded (net.neighbours) and a new address only
 *   replaces the entry confirmed longest ago that is not being resolved
 *   (net_neigh.h), so a spoofed flood under the per-source rate costs at
 *   worst one ARP round trip for a contact whose entry it pushed out, not
 *   memory (a sender on our link can claim an address in use, but no more
 *   than with ARP, which has no defence either). Learning it saves that
 *   round trip for the first request routed to a new contact, and an
 *   off-link source without net.gateway has no other way in (the MAC it
 *   came from is its router's; ARP never names it).
 * - ARP replies come back on whichever receive queue the NIC picks (an ARP
 *   frame has no flow to hash), not necessarily to the worker that asked.
 *   So the worker that receives ARP news for us (a reply, a request naming
 *   us) or a gratuitous ARP learns from it and passes one copy of its 42
 *   bytes to every other worker over the existing worker-to-worker rings,
 *   marked with the mbuf's packet type (RTE_PTYPE_L2_ETHER_ARP) and shared
 *   by reference count (one reference per worker told); each receiving
 *   worker learns and frees its reference. ARP between other hosts is
 *   merged where it arrives only.
 * - A datagram to an address being resolved is held as its mbuf, a whole
 *   frame with a blank destination MAC; the reply fills in both MACs (the
 *   source is the port's, should the answer come on another port) and the
 *   frame leaves through the worker's tx path, fragmented if large.
 * - Resolution parameters are fixed here (NEIGH_* in worker_neigh.c); the
 *   table size, subnet and gateway are net.neighbours, net.prefix_len and
 *   net.gateway.
 */
#ifndef SR_WORKER_NEIGH_H
#define SR_WORKER_NEIGH_H

#include <stdbool.h>
#include <stdint.h>

#include "app.h"
#include "worker_route.h"

struct rte_mbuf;

int sr_worker_neigh_create(struct sr_worker *w);
void sr_worker_neigh_free(struct sr_worker *w);

/*
 * Learns from a frame received on our queue (v, p: its classification):
 * ARP and ICMP echo; SIP and fragments are left to the datagram's owner.
 * For SR_NET_ARP_NEWS, returns whether it taught anything (else it is a
 * counted drop); otherwise true.
 */
bool sr_worker_neigh_intake(struct sr_worker *w, struct rte_mbuf *m, enum sr_net_verdict v,
			    const struct sr_net_pkt *p, uint64_t now_ms);

/* Where a SIP datagram came from: read from its frame, taught once its owner is settled. */
struct sr_neigh_source {
	uint32_t ip; /* network order */
	uint16_t port;
	uint8_t mac[6];
};

/* Reads the source of the frame m whose IPv4 source is src_ip. */
void sr_worker_neigh_source(const struct rte_mbuf *m, uint32_t src_ip, struct sr_neigh_source *s);

/* Learns s: a SIP datagram at its owner (received here or handed over), after the flood check. */
void sr_worker_neigh_learn_source(struct sr_worker *w, const struct sr_neigh_source *s, uint64_t now_ms);

/*
 * What became of a SIP datagram at a worker, as sip_process (worker.c)
 * learns it step by step, once its source passed the flood check (a
 * refused datagram is answered or dropped before: it has no fate to ask).
 */
struct sr_sip_fate {
	enum sr_sip_take taken;         /* what NAT, the mid-registrar or the routing did (else NOT_MINE) */
	enum sr_drop_reason reg_drop;   /* the registrar's drop reason, when it ran (else SR_DROP_NONE) */
};

/*
 * Whether a SIP datagram with fate f teaches its source to this worker's
 * table: only once this worker is its owner, so not when the routing
 * handed it on (SR_TAKE_HANDED_ON) nor when the registrar says another
 * shard owns it (SR_DROP_NOT_OWNER): that owner learns.
 */
bool sr_worker_neigh_sip_teaches(const struct sr_sip_fate *f);

/* An object of a worker-to-worker ring that is ARP news: learned and freed (true); false: not news. */
bool sr_worker_neigh_from_ring(struct sr_worker *w, struct rte_mbuf *m, uint64_t now_ms);

/*
 * Whether a datagram to ip can be sent or held now (sr_neigh_can_send):
 * asked before the frame is built, so one that would be dropped costs no
 * mbuf and no copy. False: no next hop, counted.
 */
bool sr_worker_neigh_can_send(struct sr_worker *w, uint32_t ip, uint16_t def_port);

/*
 * Sends the frame r (built with sr_net_udp_frame, any destination MAC) to
 * ip: now, or once ip (or the gateway) is resolved. now_ms: the poll loop's
 * clock, passed down by the sender (no clock read per datagram). False when
 * there is no next hop (r is then the caller's to free; counted).
 */
bool sr_worker_neigh_send(struct sr_worker *w, struct rte_mbuf *r, uint32_t ip, uint16_t def_port, uint64_t now_ms);

/* Retries and give-ups; publishes the counters every 100 ms. */
unsigned sr_worker_neigh_advance(struct sr_worker *w, uint64_t now_ms);

#endif
