/*
 * net_pkt.h - classification of received frames: Ethernet, ARP, IPv4, ICMP, UDP.
 *
 * Pure functions over bytes: they take a frame (or, after reassembly, an
 * IPv4 datagram) and say what to do with it, without touching an mbuf, a
 * port or a clock, so unit tests feed them hand-made frames without a NIC.
 * Every frame that is not for us or is broken gets exactly one drop reason;
 * the worker counts them per reason.
 *
 * Checks, in order: Ethernet length and destination (our MAC or broadcast),
 * EtherType; for IPv4 the version, header length, total length against the
 * frame, header checksum, destination address (ours only: we are not a
 * router), fragments (handed to reassembly before any L4 check); then ICMP
 * echo request with its checksum, or UDP with its length, its checksum when
 * present (0 means "none" in IPv4) and the destination port.
 */
#ifndef SR_NET_PKT_H
#define SR_NET_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SR_NET_ETH_LEN 14
#define SR_NET_IP_LEN 20   /* IPv4 header without options: what we send */
#define SR_NET_UDP_LEN 8
#define SR_NET_HDRS_LEN (SR_NET_ETH_LEN + SR_NET_IP_LEN + SR_NET_UDP_LEN)

/* What we are on the wire. */
/*
 * The UDP checksum of the datagrams we send (net.udp_checksum). IPv4 lets a
 * sender leave it zero (RFC 768); computing it costs a pass over every
 * response. NIC offload is not offered: the development PMDs (af_packet,
 * AF_XDP on veth) have none, so it could not be tested here.
 */
enum sr_net_udp_csum {
	SR_NET_CSUM_COMPUTE,
	SR_NET_CSUM_ZERO,
};

struct sr_net_local {
	uint8_t mac[6];
	uint32_t ip;       /* network byte order */
	uint16_t sip_port; /* host order */
	uint8_t udp_csum;  /* enum sr_net_udp_csum */
};

enum sr_net_verdict {
	SR_NET_DROP,      /* see the drop reason */
	SR_NET_ARP,       /* an ARP request for our address: answer it (and learn from it) */
	SR_NET_ARP_NEWS,  /* any other Ethernet/IPv4 ARP (a reply, a gratuitous ARP, a request
			     for another address): learned from (net_neigh.h), never answered */
	SR_NET_ICMP_ECHO, /* an ICMP echo request to us: answer it */
	SR_NET_FRAG,      /* an IPv4 fragment to us: reassemble first */
	SR_NET_SIP,       /* a UDP datagram to our SIP port */
};

/* Why a frame was dropped; the names are the telemetry keys (sr_net_drop_name). */
enum sr_net_drop {
	SR_ND_NONE,
	SR_ND_RUNT,          /* shorter than the headers it claims */
	SR_ND_NOT_OURS,      /* unicast to another MAC, or IPv4 to another address */
	SR_ND_ETHERTYPE,     /* neither ARP nor IPv4 (IPv6, LLDP, ...) */
	SR_ND_ARP_OTHER,     /* ARP that is not Ethernet/IPv4 (or ARP news nobody learns from) */
	SR_ND_IP_HEADER,     /* bad version, header length or total length */
	SR_ND_IP_CSUM,
	SR_ND_IP_PROTO,      /* neither UDP nor ICMP */
	SR_ND_ICMP_OTHER,    /* ICMP other than echo request */
	SR_ND_ICMP_CSUM,
	SR_ND_UDP_LEN,       /* UDP length field inconsistent with the IP datagram */
	SR_ND_UDP_CSUM,
	SR_ND_UDP_PORT,      /* UDP to a port we do not serve */
	SR_ND_FRAG,          /* fragments dropped by reassembly (bad, overlapping, timed out) */
	SR_ND_NO_MBUF,       /* mbuf pool empty */
	SR_ND_RING_FULL,     /* the owner's ring was full */
	SR_ND_TX_FULL,       /* the TX queue did not take the packet */
	SR_ND_TOO_BIG,       /* a response that could not be fragmented */
	SR_ND_REASM_TOO_BIG, /* a reassembled datagram larger than the worker's scratch buffer */
	SR_ND_COUNT
};

const char *sr_net_drop_name(enum sr_net_drop d);

/* What classification found out; offsets are from the start of the buffer given. */
struct sr_net_pkt {
	uint16_t l3_off;       /* IPv4 header */
	uint16_t l3_len;       /* its length with options */
	uint16_t l4_off;       /* ICMP or UDP header */
	uint16_t payload_off;  /* UDP payload */
	uint16_t payload_len;  /* UDP payload bytes (ICMP: message bytes after the header) */
	uint32_t src_ip, dst_ip; /* network byte order */
	uint16_t src_port, dst_port; /* host order */
};

/* The facts of an Ethernet/IPv4 ARP packet (addresses in network order). */
struct sr_net_arp {
	uint16_t op;    /* 1 request, 2 reply */
	uint8_t sha[6]; /* sender's MAC */
	uint32_t spa;   /* sender's address */
	uint32_t tpa;   /* target address */
};

/* Reads the ARP packet of an Ethernet frame; false when it is not Ethernet/IPv4 ARP. */
bool sr_net_arp_read(const uint8_t *frame, size_t len, struct sr_net_arp *a);

/* Classifies an Ethernet frame of 'len' bytes. Fills *p; sets *why on SR_NET_DROP. */
enum sr_net_verdict sr_net_classify(const uint8_t *frame, size_t len, const struct sr_net_local *local,
				    struct sr_net_pkt *p, enum sr_net_drop *why);

/*
 * Classifies a reassembled IPv4 datagram (starting at its IP header). The
 * reassembler rewrote the header (fragment fields cleared, checksum zeroed),
 * so the header checksum is not checked again; everything else is.
 */
enum sr_net_verdict sr_net_classify_reassembled(const uint8_t *ip, size_t len,
						const struct sr_net_local *local,
						struct sr_net_pkt *p, enum sr_net_drop *why);

/*
 * Re-reads addresses, ports and offsets of a UDP datagram that classification
 * already accepted (ip points at its IPv4 header): a worker receiving it over
 * a ring does not check the sums again. Offsets are from ip.
 */
void sr_net_locate_udp(const uint8_t *ip, struct sr_net_pkt *p);

/*
 * UDP checksum (RFC 768) of udp[0..udp_len) with its checksum field zeroed,
 * as stored in memory order (copy it into the header with memcpy); never 0.
 */
uint16_t sr_net_udp_cksum(uint32_t src_ip, uint32_t dst_ip, const uint8_t *udp, size_t udp_len);

#endif
