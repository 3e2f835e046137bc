/*
 * worker_send.h - datagrams a worker originates (the routing's requests and
 * responses, NAT keepalives) rather than answers: the next hop's MAC and
 * the frame around the bytes.
 *
 * Design decisions:
 * - There is no ARP resolution of our own yet: the MAC of an IPv4 address
 *   is learned from the source MAC of the SIP frames the worker processes
 *   (a binding's REGISTER, a caller's request and a callee's responses all
 *   reach the worker that owns the AoR), in a small direct-mapped table per
 *   user; an address never seen goes to the port's last-seen neighbour (the
 *   gateway, when sipreg sits behind a router).
 * - The bytes are copied into a fresh mbuf behind Ethernet, IPv4 and UDP
 *   headers and leave through the worker's tx burst, fragmented above the
 *   MTU, exactly like the registrar's responses.
 */
#ifndef SR_WORKER_SEND_H
#define SR_WORKER_SEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app.h"

#define SR_NEIGH_SLOTS 1024 /* learned IPv4 -> MAC, direct-mapped */

struct sr_neigh_table {
	struct {
		uint32_t ip;
		uint16_t port;
		uint8_t mac[6];
	} slot[SR_NEIGH_SLOTS];
	uint8_t last_mac[SR_MAX_PORTS][6]; /* the last neighbour seen per port */
	bool last_known[SR_MAX_PORTS];
};

/* Remembers that ip was seen behind src_mac on port. */
void sr_neigh_learn(struct sr_neigh_table *t, uint16_t port, const uint8_t *src_mac, uint32_t ip);
/* The MAC to send to ip through port (learned, else the port's last neighbour); NULL when none. */
const uint8_t *sr_neigh_find(const struct sr_neigh_table *t, uint16_t port, uint32_t ip);
/* The port ip was learned on; def when it was never seen. */
uint16_t sr_neigh_port(const struct sr_neigh_table *t, uint32_t ip, uint16_t def);

enum sr_send_rc { SR_SEND_OK, SR_SEND_NO_NEIGHBOUR, SR_SEND_FAILED };
/*
 * Sends len bytes from our SIP address on port to ip:dport (ip network
 * order, dport host order). SR_SEND_FAILED: no mbuf, or larger than one.
 */
enum sr_send_rc sr_worker_send_udp(struct sr_worker *w, const struct sr_neigh_table *t, uint16_t port, uint32_t ip,
				   uint16_t dport, const char *bytes, size_t len);

#endif
