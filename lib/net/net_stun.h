/*
 * net_stun.h - STUN Binding requests (RFC 5389) on the SIP port, answered:
 * RFC 5626 clients send them to keep their UDP flow through a NAT open and
 * to learn the address the registrar sees.
 *
 * Demultiplexing from SIP (RFC 5389 section 8, RFC 5626 section 4.4.2): a
 * STUN message starts with two zero bits and carries the magic cookie at
 * bytes 4-7, its length field counts the rest of the datagram; SIP text
 * never looks like that (its first byte is a letter, or CR of a CRLF
 * keepalive, and a keepalive is 2 or 4 bytes).
 *
 * Pure functions over bytes, like the ARP and ICMP replies.
 */
#ifndef SR_NET_STUN_H
#define SR_NET_STUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SR_STUN_HEADER_LEN 20
#define SR_STUN_RESPONSE_MAX 40 /* header, XOR-MAPPED-ADDRESS (12), FINGERPRINT (8) */

/* True when payload[0..len) is a STUN message (any class or method): never give it to the SIP parser. */
bool sr_net_is_stun(const uint8_t *payload, size_t len);

/*
 * The Binding success response to a Binding request (same transaction id)
 * with XOR-MAPPED-ADDRESS = the request's source (IPv4 network order, port
 * host order), and FINGERPRINT when the request carried one. Writes at most
 * SR_STUN_RESPONSE_MAX bytes into out and returns the length; 0 when the
 * message is not a Binding request (indications, responses: nothing to
 * answer).
 */
size_t sr_net_stun_binding_response(const uint8_t *req, size_t len, uint32_t src_ip, uint16_t src_port,
				    uint8_t out[SR_STUN_RESPONSE_MAX]);

#endif
