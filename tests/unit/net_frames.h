/*
 * net_frames.h - hand-made frames for the lib/net unit tests.
 *
 * The builders compute checksums with their own plain RFC 1071 loop (not
 * lib/net's), so a test checks the library against an independent
 * implementation. Addresses: peer 198.51.100.2 (MAC 02:..:02), us
 * 198.51.100.1 (MAC 02:..:01), SIP port 5060.
 */
#ifndef SR_TEST_NET_FRAMES_H
#define SR_TEST_NET_FRAMES_H

#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "net_pkt.h"

static const uint8_t T_OUR_MAC[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t T_PEER_MAC[6] = { 0x02, 0, 0, 0, 0, 0x02 };
#define T_OUR_IP "198.51.100.1"
#define T_PEER_IP "198.51.100.2"

static inline uint32_t t_ip(const char *s)
{
	uint32_t a;
	inet_pton(AF_INET, s, &a);
	return a;
}

static inline struct sr_net_local t_local(void)
{
	struct sr_net_local l = { 0 }; /* every setting at its default (udp_csum: computed) */
	memcpy(l.mac, T_OUR_MAC, 6);
	l.ip = t_ip(T_OUR_IP);
	l.sip_port = 5060;
	return l;
}

/* One's-complement sum of big-endian 16-bit words. */
static inline uint32_t t_sum(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)(p[n - 1] << 8);
	return s;
}

static inline uint16_t t_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static inline void t_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline size_t t_eth(uint8_t *f, const uint8_t *dst, const uint8_t *src, uint16_t type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	t_put16(f + 12, type);
	return 14;
}

/* IPv4 header (20 bytes) with a correct checksum. frag = flags/offset field. */
static inline void t_ipv4(uint8_t *ip, uint8_t proto, uint32_t src, uint32_t dst, uint16_t total,
			  uint16_t id, uint16_t frag)
{
	memset(ip, 0, 20);
	ip[0] = 0x45;
	t_put16(ip + 2, total);
	t_put16(ip + 4, id);
	t_put16(ip + 6, frag);
	ip[8] = 64;
	ip[9] = proto;
	memcpy(ip + 12, &src, 4);
	memcpy(ip + 16, &dst, 4);
	t_put16(ip + 10, t_fold(t_sum(ip, 20, 0)));
}

static inline uint16_t t_udp_csum(const uint8_t *ip, const uint8_t *udp, uint16_t udp_len)
{
	uint8_t ph[12];
	memcpy(ph, ip + 12, 8);
	ph[8] = 0;
	ph[9] = 17;
	t_put16(ph + 10, udp_len);
	uint16_t c = t_fold(t_sum(udp, udp_len, t_sum(ph, 12, 0)));
	return c ? c : 0xffff;
}

/* A whole Ethernet/IPv4/UDP frame from the peer to us; returns its length. */
static inline size_t t_udp_frame(uint8_t *f, uint16_t sport, uint16_t dport, const void *payload,
				 size_t len, int with_csum)
{
	size_t off = t_eth(f, T_OUR_MAC, T_PEER_MAC, 0x0800);
	uint8_t *ip = f + off, *udp = ip + 20;
	uint16_t udp_len = (uint16_t)(8 + len);
	t_ipv4(ip, 17, t_ip(T_PEER_IP), t_ip(T_OUR_IP), (uint16_t)(20 + udp_len), 1, 0);
	t_put16(udp, sport);
	t_put16(udp + 2, dport);
	t_put16(udp + 4, udp_len);
	t_put16(udp + 6, 0);
	memcpy(udp + 8, payload, len);
	if (with_csum)
		t_put16(udp + 6, t_udp_csum(ip, udp, udp_len));
	return off + 20 + udp_len;
}

#endif
