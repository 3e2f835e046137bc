/*
 * net_reply.h - building replies on the wire, as pure functions over bytes.
 *
 * ARP and ICMP echo replies are made in place in the request's buffer by
 * swapping addresses. A SIP response cannot overwrite the request it is
 * computed from, so it is written into a fresh buffer and only its 42 bytes
 * of Ethernet/IPv4/UDP headers are derived from the request here.
 *
 * Where a SIP response goes (RFC 3261 18.2.2 with RFC 3581): always to the
 * source MAC and IP address of the request, never to an address read from
 * Via. The port is the caller's (lib/sip's sr_resp_reply_port, read from the
 * parsed top Via).
 */
#ifndef SR_NET_REPLY_H
#define SR_NET_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net_pkt.h"

/* Turns the ARP request in frame[0..len) into our reply; returns the reply length. */
size_t sr_net_arp_reply(uint8_t *frame, const struct sr_net_local *local);

/*
 * Writes an ARP request for tpa (network order) from local, broadcast, into
 * frame[0..SR_NET_ARP_REQUEST_LEN); returns its length (padded to the
 * Ethernet minimum). What the neighbour table (net_neigh.h) asks for.
 */
#define SR_NET_ARP_REQUEST_LEN 60
size_t sr_net_arp_request(uint8_t *frame, const struct sr_net_local *local, uint32_t tpa);

/*
 * Writes a gratuitous ARP announcing that our address is at our MAC (an
 * ARP request, broadcast, sender and target address both ours, RFC 5227
 * section 3) into frame[0..SR_NET_ARP_ANNOUNCE_LEN): what a node taking
 * over a service address sends so that neighbours update their caches.
 * Returns its length (padded to the Ethernet minimum).
 */
#define SR_NET_ARP_ANNOUNCE_LEN SR_NET_ARP_REQUEST_LEN
size_t sr_net_arp_announce(uint8_t *frame, const struct sr_net_local *local);

/* Turns the ICMP echo request classified as *p into the echo reply; returns its length. */
size_t sr_net_icmp_reply(uint8_t *frame, const struct sr_net_pkt *p, const struct sr_net_local *local);

/*
 * Writes Ethernet, IPv4 (20 bytes, DF clear, TTL 64) and UDP headers into
 * out[0..SR_NET_HDRS_LEN) for a reply to the request frame 'req' (classified
 * as *p) carrying payload_len bytes that already sit at out + SR_NET_HDRS_LEN.
 * The IPv4 checksum is computed, the UDP one as local->udp_csum says.
 * Returns the frame length.
 */
size_t sr_net_udp_reply(uint8_t *out, const uint8_t *req, const struct sr_net_pkt *p,
			const struct sr_net_local *local, uint16_t dst_port, uint16_t payload_len,
			uint16_t ip_id);

/*
 * The same headers for a datagram of our own (a proxied request or relayed
 * response) to dst_ip:dst_port through the neighbour dst_mac.
 */
size_t sr_net_udp_frame(uint8_t *out, const uint8_t dst_mac[6], uint32_t dst_ip, uint16_t dst_port,
			const struct sr_net_local *local, uint16_t payload_len, uint16_t ip_id);

#endif
