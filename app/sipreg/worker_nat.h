/*
 * worker_nat.h - a worker's glue to its NAT keepalive pinger
 * (lib/location/nat_ping.h, nat.ping_interval > 0): the pings' sends, the
 * owner of their answers, the answers, and the published counters.
 */
#ifndef SR_WORKER_NAT_H
#define SR_WORKER_NAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "app.h"
#include "net_pkt.h"
#include "registrar.h"

/* Creates w->nat when nat.ping_interval is not 0 (NULL otherwise). Returns 0, or -1 after a message. */
int sr_worker_nat_create(struct sr_worker *w, uint64_t now_ms);
void sr_worker_nat_free(struct sr_worker *w);
/*
 * Dispatch: the owner of an answer to one of our pings (the worker its
 * branch names). False for anything else (the other rules apply).
 */
bool sr_worker_nat_owner(struct sr_worker *w, const struct sr_sip_scan *scan, const struct sr_reg_owner *o,
			 unsigned *owner);
/*
 * A SIP datagram this worker owns (scan: what the owner pre-scan found):
 * its source's MAC is learned for the pings, and an answer to a ping is
 * taken (true, m freed). False: m untouched, for the routing or the
 * registrar.
 */
bool sr_worker_nat_process(struct sr_worker *w, struct rte_mbuf *m, const struct sr_net_pkt *p, const char *sip,
			   const struct sr_sip_scan *scan);
/* Sends the pings due (spread over the interval) and publishes the counters; returns the AoRs visited. */
unsigned sr_worker_nat_advance(struct sr_worker *w, uint64_t now_ms);

#endif
