/*
 * net_reply.c - ARP, ICMP echo and UDP reply headers.
 *
 * Nothing here reads SIP: the port a SIP response goes to comes with the
 * registrar's result (sr_reg_result.reply_port, from the parsed top Via).
 */
#include "net_reply.h"

#include <string.h>

#include <rte_ip.h>

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void put_csum(uint8_t *p, uint16_t c)
{
	memcpy(p, &c, 2); /* the sum is computed in memory order: store it as is */
}

size_t sr_net_arp_reply(uint8_t *frame, const struct sr_net_local *local)
{
	uint8_t *a = frame + SR_NET_ETH_LEN;
	uint8_t sha[6], spa[4];

	memcpy(sha, a + 8, 6);
	memcpy(spa, a + 14, 4);
	memcpy(frame, sha, 6);            /* to the requester */
	memcpy(frame + 6, local->mac, 6);
	put16(a + 6, 2);                  /* reply */
	memcpy(a + 8, local->mac, 6);     /* sender: us */
	memcpy(a + 14, &local->ip, 4);
	memcpy(a + 18, sha, 6);           /* target: the requester */
	memcpy(a + 24, spa, 4);
	return SR_NET_ETH_LEN + 28;
}

size_t sr_net_arp_request(uint8_t *frame, const struct sr_net_local *local, uint32_t tpa)
{
	uint8_t *a = frame + SR_NET_ETH_LEN;
	memset(frame, 0, SR_NET_ARP_REQUEST_LEN);
	memset(frame, 0xff, 6);           /* broadcast */
	memcpy(frame + 6, local->mac, 6);
	put16(frame + 12, 0x0806);
	put16(a, 1);                      /* Ethernet */
	put16(a + 2, 0x0800);             /* IPv4 */
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, 1);                  /* request */
	memcpy(a + 8, local->mac, 6);
	memcpy(a + 14, &local->ip, 4);
	memcpy(a + 24, &tpa, 4);          /* target MAC left zero: unknown */
	return SR_NET_ARP_REQUEST_LEN;
}

size_t sr_net_arp_announce(uint8_t *frame, const struct sr_net_local *local)
{
	/* a request for our own address: every stack updates its cache from one */
	return sr_net_arp_request(frame, local, local->ip);
}

/* Swaps MACs (we answer from our own MAC) and IPv4 addresses, resets TTL and the header checksum. */
static void swap_l2_l3(uint8_t *frame, const struct sr_net_pkt *p, const struct sr_net_local *local)
{
	uint8_t *ip = frame + p->l3_off;

	memcpy(frame, frame + 6, 6);
	memcpy(frame + 6, local->mac, 6);
	memcpy(ip + 12, &local->ip, 4);
	memcpy(ip + 16, &p->src_ip, 4);
	ip[8] = 64;
	ip[10] = ip[11] = 0;
	put_csum(ip + 10, (uint16_t)~rte_raw_cksum(ip, p->l3_len));
}

size_t sr_net_icmp_reply(uint8_t *frame, const struct sr_net_pkt *p, const struct sr_net_local *local)
{
	uint8_t *icmp = frame + p->l4_off;
	size_t icmp_len = (size_t)p->payload_len + 8;

	swap_l2_l3(frame, p, local);
	icmp[0] = 0; /* echo reply; id, sequence and data stay */
	icmp[2] = icmp[3] = 0;
	put_csum(icmp + 2, (uint16_t)~rte_raw_cksum(icmp, icmp_len));
	return (size_t)p->l4_off + icmp_len;
}

size_t sr_net_udp_frame(uint8_t *out, const uint8_t dst_mac[6], uint32_t dst_ip, uint16_t dst_port,
			const struct sr_net_local *local, uint16_t payload_len, uint16_t ip_id)
{
	uint8_t *ip = out + SR_NET_ETH_LEN;
	uint8_t *udp = ip + SR_NET_IP_LEN;
	uint16_t udp_len = (uint16_t)(SR_NET_UDP_LEN + payload_len);

	memcpy(out, dst_mac, 6);
	memcpy(out + 6, local->mac, 6);
	put16(out + 12, 0x0800);

	ip[0] = 0x45;
	ip[1] = 0;
	put16(ip + 2, (uint16_t)(SR_NET_IP_LEN + udp_len));
	put16(ip + 4, ip_id);
	put16(ip + 6, 0);
	ip[8] = 64;
	ip[9] = 17;
	ip[10] = ip[11] = 0;
	memcpy(ip + 12, &local->ip, 4);
	memcpy(ip + 16, &dst_ip, 4);
	put_csum(ip + 10, (uint16_t)~rte_raw_cksum(ip, SR_NET_IP_LEN));

	put16(udp, local->sip_port);
	put16(udp + 2, dst_port);
	put16(udp + 4, udp_len);
	udp[6] = udp[7] = 0;
	if (local->udp_csum == SR_NET_CSUM_COMPUTE)
		put_csum(udp + 6, sr_net_udp_cksum(local->ip, dst_ip, udp, udp_len));
	return SR_NET_HDRS_LEN + payload_len;
}

size_t sr_net_udp_reply(uint8_t *out, const uint8_t *req, const struct sr_net_pkt *p,
			const struct sr_net_local *local, uint16_t dst_port, uint16_t payload_len,
			uint16_t ip_id)
{
	/* to the request's source MAC and address */
	return sr_net_udp_frame(out, req + 6, p->src_ip, dst_port, local, payload_len, ip_id);
}
