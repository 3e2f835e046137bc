/*
 * net_pkt.c - frame classification (see net_pkt.h for the order of checks).
 *
 * Fields are read with explicit byte loads (be16/be32 below) rather than
 * through casts to DPDK header structs, so the functions are safe on any
 * buffer alignment and obviously free of side effects. Checksums use DPDK's
 * inline rte_raw_cksum, which needs no EAL.
 */
#include "net_pkt.h"

#include <stdbool.h>
#include <string.h>

#include <rte_ip.h>

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_ARP 0x0806
#define IPPROTO_ICMP_ 1
#define IPPROTO_UDP_ 17

static const char *const drop_names[SR_ND_COUNT] = {
	[SR_ND_NONE] = "none",
	[SR_ND_RUNT] = "runt",
	[SR_ND_NOT_OURS] = "not_ours",
	[SR_ND_ETHERTYPE] = "ethertype",
	[SR_ND_ARP_OTHER] = "arp_other",
	[SR_ND_IP_HEADER] = "ip_header",
	[SR_ND_IP_CSUM] = "ip_csum",
	[SR_ND_IP_PROTO] = "ip_proto",
	[SR_ND_ICMP_OTHER] = "icmp_other",
	[SR_ND_ICMP_CSUM] = "icmp_csum",
	[SR_ND_UDP_LEN] = "udp_len",
	[SR_ND_UDP_CSUM] = "udp_csum",
	[SR_ND_UDP_PORT] = "udp_port",
	[SR_ND_FRAG] = "frag",
	[SR_ND_NO_MBUF] = "no_mbuf",
	[SR_ND_RING_FULL] = "ring_full",
	[SR_ND_TX_FULL] = "tx_full",
	[SR_ND_TOO_BIG] = "too_big",
	[SR_ND_REASM_TOO_BIG] = "reasm_too_big",
};

const char *sr_net_drop_name(enum sr_net_drop d)
{
	return (unsigned)d < SR_ND_COUNT ? drop_names[d] : "?";
}

static inline uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t raw32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4); /* stays in network byte order */
	return v;
}

static enum sr_net_verdict drop(enum sr_net_drop *why, enum sr_net_drop reason)
{
	*why = reason;
	return SR_NET_DROP;
}

/* Folded one's-complement sum over the UDP pseudo header and the datagram (RFC 768). */
static uint16_t udp_sum(uint32_t src_ip, uint32_t dst_ip, const uint8_t *udp, size_t udp_len)
{
	uint8_t ph[12];
	memcpy(ph, &src_ip, 4);
	memcpy(ph + 4, &dst_ip, 4);
	ph[8] = 0;
	ph[9] = IPPROTO_UDP_;
	ph[10] = (uint8_t)(udp_len >> 8);
	ph[11] = (uint8_t)udp_len;
	uint32_t sum = (uint32_t)rte_raw_cksum(ph, sizeof(ph)) + rte_raw_cksum(udp, udp_len);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

uint16_t sr_net_udp_cksum(uint32_t src_ip, uint32_t dst_ip, const uint8_t *udp, size_t udp_len)
{
	uint16_t c = (uint16_t)~udp_sum(src_ip, dst_ip, udp, udp_len);
	return c == 0 ? 0xffff : c; /* 0 would mean "no checksum" */
}

/* Checks everything above the IPv4 header of an unfragmented datagram at ip[0..ip_len). */
static enum sr_net_verdict classify_l4(const uint8_t *base, uint16_t l3_off, uint16_t ip_len,
				       const struct sr_net_local *local, struct sr_net_pkt *p,
				       enum sr_net_drop *why)
{
	const uint8_t *ip = base + l3_off;
	const uint8_t *l4 = ip + p->l3_len;
	uint16_t l4_len = (uint16_t)(ip_len - p->l3_len);
	p->l4_off = (uint16_t)(l3_off + p->l3_len);

	switch (ip[9]) {
	case IPPROTO_ICMP_:
		if (l4_len < 8)
			return drop(why, SR_ND_RUNT);
		if (l4[0] != 8 || l4[1] != 0) /* echo request, code 0 */
			return drop(why, SR_ND_ICMP_OTHER);
		if (rte_raw_cksum(l4, l4_len) != 0xffff)
			return drop(why, SR_ND_ICMP_CSUM);
		p->payload_off = (uint16_t)(p->l4_off + 8);
		p->payload_len = (uint16_t)(l4_len - 8);
		return SR_NET_ICMP_ECHO;
	case IPPROTO_UDP_: {
		if (l4_len < SR_NET_UDP_LEN)
			return drop(why, SR_ND_RUNT);
		uint16_t udp_len = be16(l4 + 4);
		if (udp_len < SR_NET_UDP_LEN || udp_len > l4_len)
			return drop(why, SR_ND_UDP_LEN);
		/* 0 means the sender computed none; else the sum must come out all ones */
		if (be16(l4 + 6) != 0 && udp_sum(p->src_ip, p->dst_ip, l4, udp_len) != 0xffff)
			return drop(why, SR_ND_UDP_CSUM);
		p->src_port = be16(l4);
		p->dst_port = be16(l4 + 2);
		if (p->dst_port != local->sip_port)
			return drop(why, SR_ND_UDP_PORT);
		p->payload_off = (uint16_t)(p->l4_off + SR_NET_UDP_LEN);
		p->payload_len = (uint16_t)(udp_len - SR_NET_UDP_LEN);
		return SR_NET_SIP;
	}
	default:
		return drop(why, SR_ND_IP_PROTO);
	}
}

/* Validates the IPv4 header at base[l3_off..l3_off+avail); fills the L3 part of *p. */
static enum sr_net_verdict classify_ipv4(const uint8_t *base, uint16_t l3_off, size_t avail,
					 bool reassembled, const struct sr_net_local *local,
					 struct sr_net_pkt *p, enum sr_net_drop *why)
{
	const uint8_t *ip = base + l3_off;
	if (avail < SR_NET_IP_LEN)
		return drop(why, SR_ND_RUNT);
	unsigned ihl = (unsigned)(ip[0] & 0x0f) * 4;
	if ((ip[0] >> 4) != 4 || ihl < SR_NET_IP_LEN)
		return drop(why, SR_ND_IP_HEADER);
	uint16_t tot = be16(ip + 2);
	if (tot < ihl)
		return drop(why, SR_ND_IP_HEADER);
	if (tot > avail)
		return drop(why, SR_ND_RUNT);
	if (!reassembled && rte_raw_cksum(ip, ihl) != 0xffff)
		return drop(why, SR_ND_IP_CSUM);

	p->l3_off = l3_off;
	p->l3_len = (uint16_t)ihl;
	p->src_ip = raw32(ip + 12);
	p->dst_ip = raw32(ip + 16);
	if (p->dst_ip != local->ip)
		return drop(why, SR_ND_NOT_OURS);

	uint16_t frag = be16(ip + 6);
	if (!reassembled && (frag & 0x3fff) != 0) /* MF set or offset non-zero */
		return SR_NET_FRAG;
	return classify_l4(base, l3_off, tot, local, p, why);
}

bool sr_net_arp_read(const uint8_t *frame, size_t len, struct sr_net_arp *a)
{
	const uint8_t *h = frame + SR_NET_ETH_LEN;
	if (len < SR_NET_ETH_LEN + 28 || be16(h) != 1 || be16(h + 2) != ETHERTYPE_IPV4 || h[4] != 6 || h[5] != 4)
		return false;
	a->op = be16(h + 6);
	memcpy(a->sha, h + 8, 6);
	a->spa = raw32(h + 14);
	a->tpa = raw32(h + 24);
	return true;
}

static enum sr_net_verdict classify_arp(const uint8_t *frame, size_t len,
					const struct sr_net_local *local, enum sr_net_drop *why)
{
	struct sr_net_arp a;
	if (len < SR_NET_ETH_LEN + 28)
		return drop(why, SR_ND_RUNT);
	if (!sr_net_arp_read(frame, len, &a) || (a.op != 1 && a.op != 2))
		return drop(why, SR_ND_ARP_OTHER);
	/* a request for our address is answered; everything else is news for the neighbour table */
	return a.op == 1 && a.tpa == local->ip ? SR_NET_ARP : SR_NET_ARP_NEWS;
}

enum sr_net_verdict sr_net_classify(const uint8_t *frame, size_t len, const struct sr_net_local *local,
				    struct sr_net_pkt *p, enum sr_net_drop *why)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

	memset(p, 0, sizeof(*p));
	*why = SR_ND_NONE;
	if (len < SR_NET_ETH_LEN)
		return drop(why, SR_ND_RUNT);
	if (memcmp(frame, local->mac, 6) != 0 && memcmp(frame, bcast, 6) != 0)
		return drop(why, SR_ND_NOT_OURS);
	switch (be16(frame + 12)) {
	case ETHERTYPE_ARP:
		return classify_arp(frame, len, local, why);
	case ETHERTYPE_IPV4:
		return classify_ipv4(frame, SR_NET_ETH_LEN, len - SR_NET_ETH_LEN, false, local, p, why);
	default:
		return drop(why, SR_ND_ETHERTYPE);
	}
}

enum sr_net_verdict sr_net_classify_reassembled(const uint8_t *ip, size_t len,
						const struct sr_net_local *local,
						struct sr_net_pkt *p, enum sr_net_drop *why)
{
	memset(p, 0, sizeof(*p));
	*why = SR_ND_NONE;
	return classify_ipv4(ip, 0, len, true, local, p, why);
}

void sr_net_locate_udp(const uint8_t *ip, struct sr_net_pkt *p)
{
	const uint8_t *udp;

	memset(p, 0, sizeof(*p));
	p->l3_len = (uint16_t)((ip[0] & 0x0f) * 4);
	p->l4_off = p->l3_len;
	udp = ip + p->l3_len;
	p->src_ip = raw32(ip + 12);
	p->dst_ip = raw32(ip + 16);
	p->src_port = be16(udp);
	p->dst_port = be16(udp + 2);
	p->payload_off = (uint16_t)(p->l4_off + SR_NET_UDP_LEN);
	p->payload_len = (uint16_t)(be16(udp + 4) - SR_NET_UDP_LEN);
}
