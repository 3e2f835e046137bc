/*
 * test_net_pkt.c - lib/net's pure packet functions without a NIC:
 * classification and drop reasons, ARP/ICMP replies made in place, UDP
 * reply headers (checked by classifying the reply from the peer's side)
 * and the choice of the SIP reply port (RFC 3261 18.2.2, RFC 3581).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "net_frames.h"
#include "net_pkt.h"
#include "net_reply.h"

static const char SIP[] = "OPTIONS sip:example.com SIP/2.0\r\n"
			  "Via: SIP/2.0/UDP 198.51.100.2:5070;branch=z9hG4bK1;rport\r\n\r\n";

static enum sr_net_verdict classify(const uint8_t *f, size_t len, struct sr_net_pkt *p, enum sr_net_drop *why)
{
	struct sr_net_local l = t_local();
	return sr_net_classify(f, len, &l, p, why);
}

static void test_udp_sip_accepted(void **state)
{
	(void)state;
	uint8_t f[2048];
	struct sr_net_pkt p;
	enum sr_net_drop why;
	size_t len = t_udp_frame(f, 5070, 5060, SIP, sizeof(SIP) - 1, 1);

	assert_int_equal(classify(f, len, &p, &why), SR_NET_SIP);
	assert_int_equal(p.src_port, 5070);
	assert_int_equal(p.dst_port, 5060);
	assert_int_equal(p.src_ip, t_ip(T_PEER_IP));
	assert_int_equal(p.payload_off, 42);
	assert_int_equal(p.payload_len, sizeof(SIP) - 1);
	assert_memory_equal(f + p.payload_off, SIP, sizeof(SIP) - 1);

	/* no checksum (0) is allowed in IPv4 */
	len = t_udp_frame(f, 5070, 5060, SIP, sizeof(SIP) - 1, 0);
	assert_int_equal(classify(f, len, &p, &why), SR_NET_SIP);

	/* Ethernet padding after the datagram is ignored */
	len = t_udp_frame(f, 5070, 5060, "x", 1, 1);
	memset(f + len, 0, 60 - len);
	assert_int_equal(classify(f, 60, &p, &why), SR_NET_SIP);
	assert_int_equal(p.payload_len, 1);
}

static void expect_drop(const uint8_t *f, size_t len, enum sr_net_drop want)
{
	struct sr_net_pkt p;
	enum sr_net_drop why;
	assert_int_equal(classify(f, len, &p, &why), SR_NET_DROP);
	assert_string_equal(sr_net_drop_name(why), sr_net_drop_name(want));
}

static void test_drops_counted_by_reason(void **state)
{
	(void)state;
	uint8_t f[2048], g[2048];
	size_t len = t_udp_frame(f, 5070, 5060, SIP, sizeof(SIP) - 1, 1);

	expect_drop(f, 10, SR_ND_RUNT);
	expect_drop(f, 30, SR_ND_RUNT);
	expect_drop(f, len - 5, SR_ND_RUNT); /* IP total length beyond the frame */

	memcpy(g, f, len);
	g[0] = 0x04; /* another unicast MAC */
	expect_drop(g, len, SR_ND_NOT_OURS);

	memcpy(g, f, len);
	t_put16(g + 12, 0x86dd);
	expect_drop(g, len, SR_ND_ETHERTYPE);

	memcpy(g, f, len);
	g[14 + 10] ^= 0x55; /* IP header checksum */
	expect_drop(g, len, SR_ND_IP_CSUM);

	memcpy(g, f, len);
	g[len - 1] ^= 0x01; /* payload byte: UDP checksum no longer matches */
	expect_drop(g, len, SR_ND_UDP_CSUM);

	t_udp_frame(g, 5070, 5061, SIP, sizeof(SIP) - 1, 1);
	expect_drop(g, len, SR_ND_UDP_PORT);

	/* UDP length larger than the IP payload */
	memcpy(g, f, len);
	t_put16(g + 14 + 20 + 4, (uint16_t)(len - 34 + 1));
	expect_drop(g, len, SR_ND_UDP_LEN);
	memcpy(g, f, len);
	t_put16(g + 14 + 20 + 4, 4);
	expect_drop(g, len, SR_ND_UDP_LEN);

	/* not our address */
	memcpy(g, f, len);
	t_ipv4(g + 14, 17, t_ip(T_PEER_IP), t_ip("198.51.100.9"), (uint16_t)(len - 14), 1, 0);
	expect_drop(g, len, SR_ND_NOT_OURS);

	/* TCP */
	memcpy(g, f, len);
	t_ipv4(g + 14, 6, t_ip(T_PEER_IP), t_ip(T_OUR_IP), (uint16_t)(len - 14), 1, 0);
	expect_drop(g, len, SR_ND_IP_PROTO);

	/* header length below 20, version 6 */
	memcpy(g, f, len);
	g[14] = 0x44;
	expect_drop(g, len, SR_ND_IP_HEADER);
	memcpy(g, f, len);
	g[14] = 0x65;
	expect_drop(g, len, SR_ND_IP_HEADER);
}

static void test_fragments_go_to_reassembly(void **state)
{
	(void)state;
	uint8_t f[2048];
	struct sr_net_pkt p;
	enum sr_net_drop why;
	size_t len = t_udp_frame(f, 5070, 5060, SIP, sizeof(SIP) - 1, 1);

	t_ipv4(f + 14, 17, t_ip(T_PEER_IP), t_ip(T_OUR_IP), (uint16_t)(len - 14), 7, 0x2000); /* MF */
	assert_int_equal(classify(f, len, &p, &why), SR_NET_FRAG);
	assert_int_equal(p.l3_len, 20);
	t_ipv4(f + 14, 17, t_ip(T_PEER_IP), t_ip(T_OUR_IP), (uint16_t)(len - 14), 7, 0x0010); /* offset */
	assert_int_equal(classify(f, len, &p, &why), SR_NET_FRAG);
	/* DF alone is not a fragment */
	t_ipv4(f + 14, 17, t_ip(T_PEER_IP), t_ip(T_OUR_IP), (uint16_t)(len - 14), 7, 0x4000);
	assert_int_equal(classify(f, len, &p, &why), SR_NET_SIP);
}

static size_t arp_request(uint8_t *f, const char *target)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	size_t off = t_eth(f, bcast, T_PEER_MAC, 0x0806);
	uint8_t *a = f + off;
	uint32_t spa = t_ip(T_PEER_IP), tpa = t_ip(target);
	t_put16(a, 1);
	t_put16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	t_put16(a + 6, 1);
	memcpy(a + 8, T_PEER_MAC, 6);
	memcpy(a + 14, &spa, 4);
	memset(a + 18, 0, 6);
	memcpy(a + 24, &tpa, 4);
	memset(a + 28, 0, 18); /* padding to 60 bytes */
	return 60;
}

static void test_arp(void **state)
{
	(void)state;
	uint8_t f[64];
	struct sr_net_pkt p;
	enum sr_net_drop why;
	struct sr_net_local l = t_local();
	size_t len = arp_request(f, T_OUR_IP);

	assert_int_equal(classify(f, len, &p, &why), SR_NET_ARP);
	assert_int_equal(sr_net_arp_reply(f, &l), 42);
	uint32_t ours = t_ip(T_OUR_IP), peer = t_ip(T_PEER_IP);
	assert_memory_equal(f, T_PEER_MAC, 6);     /* back to the requester */
	assert_memory_equal(f + 6, T_OUR_MAC, 6);
	assert_int_equal(f[14 + 7], 2);            /* opcode reply */
	assert_memory_equal(f + 14 + 8, T_OUR_MAC, 6);
	assert_memory_equal(f + 14 + 14, &ours, 4);
	assert_memory_equal(f + 14 + 18, T_PEER_MAC, 6);
	assert_memory_equal(f + 14 + 24, &peer, 4);
	/* a reply is not answered again */
	assert_int_equal(classify(f, len, &p, &why), SR_NET_DROP);

	/* a request for another address is news for the neighbour table, not answered */
	len = arp_request(f, "198.51.100.7");
	assert_int_equal(classify(f, len, &p, &why), SR_NET_ARP_NEWS);
	expect_drop(f, 30, SR_ND_RUNT);
}

static void test_arp_announce(void **state)
{
	(void)state;
	uint8_t f[SR_NET_ARP_ANNOUNCE_LEN];
	struct sr_net_local l = t_local();
	uint32_t ours = t_ip(T_OUR_IP);
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, zero[6] = { 0 };
	memset(f, 0xaa, sizeof(f));
	assert_int_equal(sr_net_arp_announce(f, &l), 60);
	assert_memory_equal(f, bcast, 6);
	assert_memory_equal(f + 6, T_OUR_MAC, 6);
	assert_int_equal(f[12], 0x08);
	assert_int_equal(f[13], 0x06);
	assert_int_equal(f[14 + 1], 1);            /* Ethernet */
	assert_int_equal(f[14 + 2], 0x08);         /* IPv4 */
	assert_int_equal(f[14 + 4], 6);
	assert_int_equal(f[14 + 5], 4);
	assert_int_equal(f[14 + 7], 1);            /* a request */
	assert_memory_equal(f + 14 + 8, T_OUR_MAC, 6);
	assert_memory_equal(f + 14 + 14, &ours, 4);
	assert_memory_equal(f + 14 + 18, zero, 6);
	assert_memory_equal(f + 14 + 24, &ours, 4);
	for (size_t i = 42; i < sizeof(f); i++)
		assert_int_equal(f[i], 0);
	/* a request for our own address: we would answer it ourselves, so classification must see it as ARP */
	struct sr_net_pkt p;
	enum sr_net_drop why;
	assert_int_equal(classify(f, sizeof(f), &p, &why), SR_NET_ARP);
}

static size_t icmp_echo(uint8_t *f, uint8_t type)
{
	size_t off = t_eth(f, T_OUR_MAC, T_PEER_MAC, 0x0800);
	uint8_t *icmp = f + off + 20;
	size_t icmp_len = 8 + 33; /* odd data length */
	t_ipv4(f + off, 1, t_ip(T_PEER_IP), t_ip(T_OUR_IP), (uint16_t)(20 + icmp_len), 3, 0);
	icmp[0] = type;
	icmp[1] = 0;
	t_put16(icmp + 2, 0);
	t_put16(icmp + 4, 0x1234);
	t_put16(icmp + 6, 9);
	for (size_t i = 8; i < icmp_len; i++)
		icmp[i] = (uint8_t)i;
	t_put16(icmp + 2, t_fold(t_sum(icmp, icmp_len, 0)));
	return off + 20 + icmp_len;
}

static void test_icmp_echo(void **state)
{
	(void)state;
	uint8_t f[128];
	struct sr_net_pkt p;
	enum sr_net_drop why;
	struct sr_net_local l = t_local();
	size_t len = icmp_echo(f, 8);

	assert_int_equal(classify(f, len, &p, &why), SR_NET_ICMP_ECHO);
	assert_int_equal(sr_net_icmp_reply(f, &p, &l), len);
	assert_memory_equal(f, T_PEER_MAC, 6);
	uint32_t src, dst;
	memcpy(&src, f + 14 + 12, 4);
	memcpy(&dst, f + 14 + 16, 4);
	assert_int_equal(src, t_ip(T_OUR_IP));
	assert_int_equal(dst, t_ip(T_PEER_IP));
	assert_int_equal(f[34], 0);                                   /* echo reply */
	assert_int_equal(t_fold(t_sum(f + 14, 20, 0)), 0);             /* IP checksum valid */
	assert_int_equal(t_fold(t_sum(f + 34, len - 34, 0)), 0);       /* ICMP checksum valid */
	assert_int_equal(f[34 + 4] << 8 | f[34 + 5], 0x1234);         /* identifier kept */

	len = icmp_echo(f, 13); /* timestamp request */
	expect_drop(f, len, SR_ND_ICMP_OTHER);
	len = icmp_echo(f, 8);
	f[len - 1] ^= 0xff;
	expect_drop(f, len, SR_ND_ICMP_CSUM);
}

static void test_udp_reply_headers(void **state)
{
	(void)state;
	uint8_t req[2048], out[2048];
	struct sr_net_pkt p, q;
	enum sr_net_drop why;
	struct sr_net_local l = t_local();
	size_t len = t_udp_frame(req, 5070, 5060, SIP, sizeof(SIP) - 1, 1);
	static const char resp[] = "SIP/2.0 200 OK\r\n\r\n"; /* odd length on purpose */

	assert_int_equal(classify(req, len, &p, &why), SR_NET_SIP);
	memcpy(out + SR_NET_HDRS_LEN, resp, sizeof(resp) - 1);
	size_t flen = sr_net_udp_reply(out, req, &p, &l, 5070, sizeof(resp) - 1, 77);
	assert_int_equal(flen, SR_NET_HDRS_LEN + sizeof(resp) - 1);

	/* seen from the peer: to its MAC and address, from ours, both checksums right */
	struct sr_net_local peer = { .ip = t_ip(T_PEER_IP), .sip_port = 5070 };
	memcpy(peer.mac, T_PEER_MAC, 6);
	assert_int_equal(sr_net_classify(out, flen, &peer, &q, &why), SR_NET_SIP);
	assert_int_equal(q.src_ip, t_ip(T_OUR_IP));
	assert_int_equal(q.src_port, 5060);
	assert_memory_equal(out + 6, T_OUR_MAC, 6);
	assert_int_equal(out[14 + 4] << 8 | out[14 + 5], 77); /* IP id */
	uint16_t sent = (uint16_t)(out[40] << 8 | out[41]);
	out[40] = out[41] = 0;
	assert_int_equal(t_udp_csum(out + 14, out + 34, (uint16_t)(flen - 34)), sent); /* independent sum */
	assert_memory_equal(out + q.payload_off, resp, sizeof(resp) - 1);

	/* net.udp_checksum=zero: no UDP checksum (RFC 768), which the peer accepts; the IP one stays */
	l.udp_csum = SR_NET_CSUM_ZERO;
	memcpy(out + SR_NET_HDRS_LEN, resp, sizeof(resp) - 1);
	flen = sr_net_udp_reply(out, req, &p, &l, 5070, sizeof(resp) - 1, 78);
	assert_int_equal(out[40] << 8 | out[41], 0);
	assert_int_equal(sr_net_classify(out, flen, &peer, &q, &why), SR_NET_SIP);
	assert_memory_equal(out + q.payload_off, resp, sizeof(resp) - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_udp_sip_accepted),
		cmocka_unit_test(test_drops_counted_by_reason),
		cmocka_unit_test(test_fragments_go_to_reassembly),
		cmocka_unit_test(test_arp),
		cmocka_unit_test(test_arp_announce),
		cmocka_unit_test(test_icmp_echo),
		cmocka_unit_test(test_udp_reply_headers),
	};
	return cmocka_run_group_tests_name("net_pkt", tests, NULL, NULL);
}
