/*
 * worker_tx.h - one job: every frame a worker sends leaves through here.
 *
 * Design decisions:
 * - Frames collect per port in the worker's tx buffer (struct sr_tx_buf)
 *   and leave in one rte_eth_tx_burst per port when the buffer is full and
 *   twice per loop (sr_worker_tx_flush_all: after the rx burst, after the
 *   rings and held responses); what the NIC refuses is freed and counted.
 * - A registrar response is written straight into its own mbuf behind room
 *   for the headers (sr_worker_sip_mbuf); sr_worker_answer puts Ethernet,
 *   IPv4 and UDP around it (addressed back to the request's frame),
 *   fragments it above the port's MTU and passes it through the
 *   durability hold (persist.h), with the retractions the registrar wrote
 *   behind it; so every response has one writer and one way out.
 * - What a worker originates (worker_send.c, ARP requests) takes the same
 *   way out through sr_worker_tx_sip, never held.
 */
#ifndef SR_WORKER_TX_H
#define SR_WORKER_TX_H

#include <stddef.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "app.h"

/* An mbuf for a SIP datagram and the room for SIP bytes behind its 42 bytes of headers; NULL when none. */
struct rte_mbuf *sr_worker_sip_mbuf(struct sr_worker *w, char **out, size_t *cap);
/* Queues a SIP frame (headers written, r->port set) for the tx burst, fragmented above the MTU. */
void sr_worker_tx_sip(struct sr_worker *w, struct rte_mbuf *r);

/* Queues the whole frame m for m->port's tx burst (sent at once when the buffer fills). */
void sr_worker_tx_queue(struct sr_worker *w, struct rte_mbuf *m);
/* Sends every port's queued frames. */
void sr_worker_tx_flush_all(struct sr_worker *w);

/*
 * Sends the response r holds for the request m (p: its classification;
 * res: what the registrar wrote, counted by status), or frees r when
 * nothing was written; frees m.
 */
void sr_worker_answer(struct sr_worker *w, struct rte_mbuf *m, const struct sr_net_pkt *p,
		      const struct sr_reg_result *res, struct rte_mbuf *r);

/* Sends the responses durability=sync held whose changes are now decided (200s, or their retractions). */
unsigned sr_worker_release_held(struct sr_worker *w, uint64_t now_ms);

#endif
