/*
 * worker_route.h - a worker's glue to lib/routing (routing.mode redirect or
 * proxy): its routing shard, the owner of a datagram, the one parse of a
 * routed message turned into lib/routing's facts, sends and lookups.
 */
#ifndef SR_WORKER_ROUTE_H
#define SR_WORKER_ROUTE_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "app.h"
#include "location.h"

/* Figures of one worker's routing, published every 100 ms for /sipreg/stats and /metrics. */
struct sr_route_figures {
	/* lib/routing (sr_route_stats) */
	uint64_t requests, lookups, redirects, forwarded, branches, in_dialog, acks_forwarded, relayed;
	uint64_t local[7];
	uint64_t refused_foreign, loops, too_many_hops, no_binding, filtered, method_refused, exhausted, cancels, dropped;
	uint64_t live_contexts;
	/* lib/transaction (sr_txn_stats) */
	uint64_t txn_server, txn_client, txn_pool_exhausted, txn_buf_exhausted, txn_retransmissions;
	uint64_t txn_absorbed, txn_timeouts, txn_stray_responses, txn_live;
	/* this glue */
	uint64_t sent;            /* datagrams the routing sent */
	uint64_t no_neighbour;    /* sends dropped: no MAC known for the next hop */
	uint64_t send_failed;     /* sends dropped: no mbuf, or larger than one */
	uint64_t unroutable;      /* parsed requests the routing could not take (left to the registrar) */
};

/* Creates w->route when routing.mode is not off (NULL otherwise). Returns 0, or -1 after a message. */
int sr_worker_route_create(struct sr_worker *w, uint64_t now_ms);
void sr_worker_route_free(struct sr_worker *w);

/*
 * Dispatch with routing on: a response goes to the worker its branch names
 * (o: what the owner pre-scan found). Returns false when the pre-scan's
 * owner applies (routing off, or a request: the owner of its AoR).
 */
bool sr_worker_route_owner(struct sr_worker *w, const struct sr_sip_scan *scan, const struct sr_reg_owner *o,
			   unsigned *owner);

/* What a worker's glue (NAT, mid-registrar, routing) did with a SIP datagram it was offered. */
enum sr_sip_take {
	SR_TAKE_NOT_MINE,  /* left to the registrar: m untouched */
	SR_TAKE_TAKEN,     /* processed here: m consumed */
	SR_TAKE_HANDED_ON, /* handed to another worker, which owns it: m consumed */
};

/*
 * A SIP datagram this worker owns (p located, sip its payload, scan what the
 * owner pre-scan found): parsed once, resuming from scan, and given to the
 * routing. Returns SR_TAKE_TAKEN when the routing took it (m is freed),
 * SR_TAKE_HANDED_ON when it went to the worker of the contact a main
 * registrar's call is for, SR_TAKE_NOT_MINE when it is the registrar's.
 */
enum sr_sip_take sr_worker_route_process(struct sr_worker *w, struct rte_mbuf *m, const struct sr_net_pkt *p,
					 const char *sip, const struct sr_sip_scan *scan, uint64_t now_ms);

/* Runs the routing's due timers and publishes its figures; returns the work done. */
unsigned sr_worker_route_advance(struct sr_worker *w, uint64_t now_ms);

/*
 * RFC 8599 (worker_push.c): the held proxy context 'req' gets a branch to
 * the re-registered binding v ('last': it waits for nothing more), or its
 * refresh_timeout passed (480 when it has no branch).
 */
void sr_worker_route_release(struct sr_worker *w, void *req, const struct sr_loc_binding *v, bool last,
			     uint64_t now_ms);
void sr_worker_route_expired(struct sr_worker *w, void *req, uint64_t now_ms);
/* RFC 8599 PURR: the in-dialog request 'req' held for its binding is forwarded now (woken or timed out). */
void sr_worker_route_purr_go(struct sr_worker *w, void *req, uint64_t now_ms);

/* The published figures of worker w (NULL when routing is off). */
const struct sr_route_figures *sr_worker_route_figures(const struct sr_worker *w);

#endif
