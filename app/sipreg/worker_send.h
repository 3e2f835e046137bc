/*
 * worker_send.h - datagrams a worker originates (the routing's requests and
 * responses, NAT keepalives, the mid-registrar's REGISTERs) rather than
 * answers: the frame around the bytes, and its next hop.
 *
 * Design decisions:
 * - The bytes are copied into a fresh mbuf behind Ethernet, IPv4 and UDP
 *   headers and leave through the worker's tx burst, fragmented above the
 *   MTU, exactly like the registrar's responses.
 * - The next hop's MAC comes from the worker's one neighbour table
 *   (worker_neigh.h): learned, or resolved by ARP while the frame waits.
 *   The table is asked first whether it can send or hold one at all
 *   (sr_worker_neigh_can_send): a datagram it would drop (no next hop, a
 *   full queue, no pending slot) costs no mbuf and no copy.
 */
#ifndef SR_WORKER_SEND_H
#define SR_WORKER_SEND_H

#include <stddef.h>
#include <stdint.h>

#include "app.h"

enum sr_send_rc {
	SR_SEND_OK,           /* sent, or held until its next hop is resolved */
	SR_SEND_NO_NEIGHBOUR, /* no next hop, and it could not be held (counted by the table too) */
	SR_SEND_FAILED,       /* no mbuf, or larger than one */
};

/*
 * Sends len bytes from our SIP address to ip:dport (ip network order, dport
 * host order), out of port unless ip was learned on another. now_ms: the
 * poll loop's clock of the call in progress (the neighbour table's timers).
 */
enum sr_send_rc sr_worker_send_udp(struct sr_worker *w, uint16_t port, uint32_t ip, uint16_t dport, const char *bytes,
				   size_t len, uint64_t now_ms);

#endif
