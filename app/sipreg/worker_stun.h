/*
 * worker_stun.h - STUN on the SIP port (lib/net/net_stun.h), answered by the
 * worker that received it.
 */
#ifndef SR_WORKER_STUN_H
#define SR_WORKER_STUN_H

#include <stdbool.h>

#include <rte_mbuf.h>

#include "app.h"

/*
 * When the UDP payload of m (located as *p) is a STUN message: a Binding
 * request is answered to its source with its mapped address, anything else
 * counted and dropped; m is consumed and true returned. False: it is SIP.
 */
bool sr_worker_stun(struct sr_worker *w, struct rte_mbuf *m, const struct sr_net_pkt *p, const uint8_t *payload);

#endif
