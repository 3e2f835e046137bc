/*
 * net_neigh.h - a worker's neighbour table: IPv4 address -> MAC, learned
 * from what arrives and resolved by ARP (RFC 826) when a datagram must go
 * to an address never seen. Sans-I/O: the caller hands in frames' facts and
 * a clock, and gets its ARP requests, released datagrams and drops back
 * through three callbacks (struct sr_neigh_io); nothing here touches a NIC.
 *
 * Design decisions:
 * - Where a datagram goes (sr_neigh_send): an address on our own subnet is
 *   resolved itself; another goes to the configured gateway (resolved the
 *   same way); without a gateway, to the MAC it was last seen behind (an
 *   off-link source arrives through its router), else to the port's last
 *   neighbour (the old behaviour of the app, for a sipreg behind one router
 *   and no net.gateway).
 * - Learning: every IPv4 frame the owner hands in (sr_neigh_learn_ip; the
 *   app's choice of frames: worker_neigh.h) confirms its source, adding it
 *   if new (an on-link sender is alive at that MAC); ARP follows RFC 826's merge rule: any
 *   ARP packet updates an entry we already hold for its sender, and one
 *   whose target is our address also adds it. Confirmations closer than
 *   a second to the last one do not write the entry (one hot cache line
 *   less per packet).
 * - Table: a power-of-two number of entries in 4-way buckets (the hash of
 *   the address picks the bucket). A new address takes a free way, else
 *   replaces the way confirmed longest ago that is not being resolved:
 *   bounded memory, and the entries in use stay. If all four ways are
 *   being resolved, the new address is not taken (counted).
 * - Ageing: an entry not confirmed for reachable_ms is stale. It is still
 *   used (no datagram waits for it), but its next use sends one ARP
 *   request (a probe); an unanswered probe series removes the entry, so a
 *   host that left is forgotten and the next datagram resolves afresh.
 * - Resolution: an unknown on-link address becomes "incomplete" and takes
 *   one of a few pending slots, each holding a bounded queue of datagrams
 *   (opaque pointers). An ARP request is sent at once and every retry_ms
 *   after; max_requests unanswered ones give up: the entry goes, its
 *   datagrams are dropped through io.drop and counted. Any learning of the
 *   address releases them in order through io.release. Only the pending
 *   slots are walked by sr_neigh_advance, never the table.
 * - The ARP request itself is written by net_reply.h's sr_net_arp_request.
 */
#ifndef SR_NET_NEIGH_H
#define SR_NET_NEIGH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net_pkt.h"

#define SR_NEIGH_MAX_PORTS 8
#define SR_NEIGH_MAX_QUEUE 16 /* datagrams held per address being resolved, at most */

struct sr_neigh_config {
	uint32_t entries;      /* table size: rounded up to a power of two, at least 4 */
	uint32_t pending;      /* addresses being resolved (or probed) at once */
	uint32_t queue;        /* datagrams held per address being resolved, 1..SR_NEIGH_MAX_QUEUE */
	uint32_t max_requests; /* ARP requests before giving up, >= 1 */
	uint32_t retry_ms;     /* between two requests for one address */
	uint32_t reachable_ms; /* a confirmation stays fresh this long; then the entry is stale */
	uint32_t ip;           /* our address, network order */
	uint32_t mask;         /* our subnet's mask, network order (0: every address is on-link) */
	uint32_t gateway;      /* the next hop for other addresses, network order; 0: none */
};

/* What the table asks of its owner; ctx is sr_neigh_create's. Callbacks must not call the table. */
struct sr_neigh_io {
	/* Send an ARP request for ip out of port. */
	void (*request)(void *ctx, uint16_t port, uint32_t ip);
	/* A held datagram's next hop is known: send it to mac out of port. */
	void (*release)(void *ctx, void *pkt, uint16_t port, const uint8_t mac[6]);
	/* A held datagram cannot be delivered (resolution failed): free it. */
	void (*drop)(void *ctx, void *pkt);
};

/* Plain counters of one table (its owner is the only writer and reader). */
struct sr_neigh_stats {
	uint64_t requests;    /* ARP requests asked for (first, retries and probes) */
	uint64_t resolved;    /* outstanding resolutions or probes answered */
	uint64_t failed;      /* resolutions or probes given up after max_requests */
	uint64_t dropped;     /* datagrams dropped: no next hop, queue or slot, or resolution failed */
	uint64_t learned;     /* entries added */
	uint64_t evicted;     /* entries replaced by a new address */
	uint64_t table_full;  /* new addresses not taken: every way of their bucket being resolved */
	uint64_t entries;     /* entries in use now */
};

/* Where a datagram goes next. */
struct sr_neigh_hop {
	uint8_t mac[6];
	uint16_t port;
};

enum sr_neigh_rc {
	SR_NEIGH_READY,   /* *hop is filled: send the datagram now */
	SR_NEIGH_HELD,    /* the table keeps the datagram until io.release or io.drop */
	SR_NEIGH_DROPPED, /* no next hop and nothing held: the caller frees it (counted in dropped) */
};

struct sr_neigh;

/* NULL on a bad configuration or out of memory. */
struct sr_neigh *sr_neigh_create(const struct sr_neigh_config *cfg, const struct sr_neigh_io *io, void *ctx);
/* Frees the table; datagrams still held go to io.drop (not counted). NULL-safe. */
void sr_neigh_free(struct sr_neigh *n);

/*
 * A datagram pkt to dst (network order), out of def_port unless dst's next
 * hop was learned on another port.
 */
enum sr_neigh_rc sr_neigh_send(struct sr_neigh *n, uint32_t dst, uint16_t def_port, void *pkt, uint64_t now_ms,
			       struct sr_neigh_hop *hop);

/*
 * Whether sr_neigh_send would send or hold a datagram to dst now (same
 * arguments), asked before the datagram is built: false exactly when it
 * would be dropped (no next hop, a full queue, no pending slot, a bucket of
 * four addresses being resolved), counted then as sr_neigh_send counts it
 * (dropped, table_full), so the caller builds and frees nothing. Changes
 * nothing else: no entry taken, no request sent.
 */
bool sr_neigh_can_send(struct sr_neigh *n, uint32_t dst, uint16_t def_port);

/* An IPv4 frame from src_ip (network order) came in on port from src_mac. */
void sr_neigh_learn_ip(struct sr_neigh *n, uint16_t port, uint32_t src_ip, const uint8_t src_mac[6],
		       uint64_t now_ms);

/*
 * The ARP packet a came in on port (RFC 826 merge: an entry for its sender
 * is updated; one is added when its target is our address). A sender of
 * 0.0.0.0 (an RFC 5227 probe), our own address or a multicast MAC teaches
 * nothing. Returns true when it added, changed or confirmed an entry.
 */
bool sr_neigh_learn_arp(struct sr_neigh *n, uint16_t port, const struct sr_net_arp *a, uint64_t now_ms);

/* Retries and give-ups due by now_ms; returns the number of addresses acted on. */
unsigned sr_neigh_advance(struct sr_neigh *n, uint64_t now_ms);

/* The learned MAC of ip (fresh or stale); false when none. */
bool sr_neigh_lookup(const struct sr_neigh *n, uint32_t ip, struct sr_neigh_hop *hop);

const struct sr_neigh_stats *sr_neigh_stats(const struct sr_neigh *n);

#endif
