/*
 * test_net_frag.c - IPv4 fragmentation of large responses and reassembly of
 * large requests (lib/net/net_frag.c over rte_ip_frag), with real mbufs on
 * an EAL started without hugepages or devices. A reassembled datagram is
 * copied into the worker's scratch buffer only when it fits: with jumbo
 * receive buffers eight fragments reassemble to more than 64 KiB, which
 * rte_ip_frag accepts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>

#include "net_frag.h"
#include "net_frames.h"
#include "net_pkt.h"
#include "test_eal.h"

#define BIG 3000
#define JUMBO_FRAG 9000 /* IP payload bytes of each jumbo fragment (a multiple of 8) */

static struct rte_mempool *direct, *indirect, *jumbo;
static uint8_t payload[BIG];

static int setup(void **state)
{
	(void)state;
	if (sr_test_eal_init() != 0)
		return -1;
	direct = rte_pktmbuf_pool_create("t_direct", 255, 0, 0, RTE_PKTMBUF_HEADROOM + 4096, SOCKET_ID_ANY);
	indirect = rte_pktmbuf_pool_create("t_indirect", 255, 0, 0, 0, SOCKET_ID_ANY);
	jumbo = rte_pktmbuf_pool_create("t_jumbo", 15, 0, 0, RTE_PKTMBUF_HEADROOM + JUMBO_FRAG + 64, SOCKET_ID_ANY);
	for (size_t i = 0; i < BIG; i++)
		payload[i] = (uint8_t)('a' + i % 26);
	return direct && indirect && jumbo ? 0 : -1;
}

static struct rte_mbuf *mbuf_of(const uint8_t *bytes, size_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(direct);
	assert_non_null(m);
	char *p = rte_pktmbuf_append(m, (uint16_t)len);
	assert_non_null(p);
	memcpy(p, bytes, len);
	return m;
}

/* Splits a 3000-byte SIP datagram into MTU-1500 fragments, as linear frames. */
static int make_fragments(uint8_t frames[][2048], size_t *lens)
{
	static uint8_t f[4096];
	struct rte_mbuf *out[8];
	size_t len = t_udp_frame(f, 5070, 5060, payload, BIG, 1);
	int n = sr_net_fragment(mbuf_of(f, len), 1500, direct, indirect, out, 8);
	assert_int_equal(n, 3);
	for (int i = 0; i < n; i++) {
		lens[i] = out[i]->pkt_len;
		assert_true(lens[i] <= 1514);
		const void *b = rte_pktmbuf_read(out[i], 0, out[i]->pkt_len, frames[i]);
		if (b != frames[i])
			memcpy(frames[i], b, lens[i]);
		rte_pktmbuf_free(out[i]);
	}
	return n;
}

static void test_fragment_then_reassemble(void **state)
{
	(void)state;
	uint8_t frames[8][2048];
	size_t lens[8];
	int n = make_fragments(frames, lens);
	struct sr_net_local l = t_local();
	struct sr_net_reasm r;
	assert_int_equal(sr_net_reasm_init(&r, 64, 1000, SOCKET_ID_ANY), 0);

	/* every fragment is a valid IPv4 packet (header checksum recomputed), classified as a fragment */
	struct rte_mbuf *done = NULL;
	for (int i = n - 1; i >= 0; i--) { /* out of order on purpose */
		struct sr_net_pkt p;
		enum sr_net_drop why;
		assert_int_equal(sr_net_classify(frames[i], lens[i], &l, &p, &why), SR_NET_FRAG);
		struct rte_mbuf *m = mbuf_of(frames[i], lens[i]);
		m->l2_len = 14;
		m->l3_len = p.l3_len;
		done = sr_net_reasm_add(&r, m, rte_get_tsc_cycles());
		assert_true((done != NULL) == (i == 0));
	}
	assert_int_equal(sr_net_reasm_collect(&r, rte_get_tsc_cycles()), 0);

	/* the whole datagram, with its UDP checksum intact */
	static uint8_t ip[65536];
	size_t len = done->pkt_len - done->l2_len;
	const uint8_t *b = rte_pktmbuf_read(done, done->l2_len, (uint32_t)len, ip);
	struct sr_net_pkt p;
	enum sr_net_drop why;
	assert_int_equal(sr_net_classify_reassembled(b, len, &l, &p, &why), SR_NET_SIP);
	assert_int_equal(p.payload_len, BIG);
	assert_memory_equal(b + p.payload_off, payload, BIG);
	rte_pktmbuf_free(done);
	sr_net_reasm_free(&r);
}

static void test_incomplete_datagram_is_dropped_and_counted(void **state)
{
	(void)state;
	uint8_t frames[8][2048];
	size_t lens[8];
	make_fragments(frames, lens);
	struct sr_net_reasm r;
	assert_int_equal(sr_net_reasm_init(&r, 64, 100, SOCKET_ID_ANY), 0);

	struct rte_mbuf *m = mbuf_of(frames[0], lens[0]);
	m->l2_len = 14;
	m->l3_len = 20;
	uint64_t t0 = rte_get_tsc_cycles();
	assert_null(sr_net_reasm_add(&r, m, t0));
	assert_int_equal(sr_net_reasm_collect(&r, t0), 0);
	/* one second later (timeout 100 ms) the lone fragment is given up */
	assert_int_equal(sr_net_reasm_collect(&r, t0 + rte_get_tsc_hz()), 1);
	sr_net_reasm_free(&r);
	assert_int_equal(rte_mempool_in_use_count(direct), 0);
}

/* Eight jumbo fragments of one datagram (id), each JUMBO_FRAG payload bytes, last one without MF. */
static struct rte_mbuf *reassemble_jumbo(struct sr_net_reasm *r, unsigned n_frags)
{
	static uint8_t f[SR_NET_ETH_LEN + 20 + JUMBO_FRAG];
	struct rte_mbuf *done = NULL;
	for (unsigned k = 0; k < n_frags; k++) {
		size_t off = t_eth(f, T_OUR_MAC, T_PEER_MAC, 0x0800);
		uint16_t flags = (uint16_t)((k + 1 < n_frags ? 0x2000 : 0) | (k * JUMBO_FRAG / 8));
		t_ipv4(f + off, 17, t_ip(T_PEER_IP), t_ip(T_OUR_IP), 20 + JUMBO_FRAG, 77, flags);
		memset(f + off + 20, 'a' + (int)k, JUMBO_FRAG);
		struct rte_mbuf *m = rte_pktmbuf_alloc(jumbo);
		assert_non_null(m);
		memcpy(rte_pktmbuf_append(m, sizeof(f)), f, sizeof(f));
		m->l2_len = SR_NET_ETH_LEN;
		m->l3_len = 20;
		done = sr_net_reasm_add(r, m, rte_get_tsc_cycles());
		assert_true((done != NULL) == (k + 1 == n_frags));
	}
	return done;
}

static void test_reassembled_datagram_larger_than_scratch_is_refused(void **state)
{
	(void)state;
	struct sr_net_reasm r;
	assert_int_equal(sr_net_reasm_init(&r, 64, 1000, SOCKET_ID_ANY), 0);
	static uint8_t scratch[64 * 1024 + 64]; /* the worker's 64 KiB, and a canary past it */
	memset(scratch, 0x5a, sizeof(scratch));

	/* eight fragments: 72,020 bytes of datagram, more than the 64 KiB scratch */
	struct rte_mbuf *m = reassemble_jumbo(&r, 8);
	assert_non_null(m);
	assert_int_equal(m->pkt_len - m->l2_len, 20 + 8 * JUMBO_FRAG);
	size_t len = 0;
	assert_null(sr_net_reasm_datagram(m, scratch, 64 * 1024, &len));
	assert_int_equal(len, 20 + 8 * JUMBO_FRAG);
	assert_string_equal(sr_net_drop_name(SR_ND_REASM_TOO_BIG), "reasm_too_big"); /* the /metrics label */
	for (size_t i = 0; i < sizeof(scratch); i++)
		if (scratch[i] != 0x5a)
			fail_msg("scratch byte %zu written", i);
	rte_pktmbuf_free(m);

	/* seven fit (63,020 bytes): copied whole, contiguous */
	m = reassemble_jumbo(&r, 7);
	const uint8_t *ip = sr_net_reasm_datagram(m, scratch, 64 * 1024, &len);
	assert_ptr_equal(ip, scratch);
	assert_int_equal(len, 20 + 7 * JUMBO_FRAG);
	assert_int_equal(ip[20], 'a');
	assert_int_equal(ip[20 + 6 * JUMBO_FRAG], 'a' + 6);
	assert_int_equal(scratch[64 * 1024], 0x5a);
	rte_pktmbuf_free(m);

	/* a single segment is read in place, never copied */
	uint8_t f[2048];
	size_t flen = t_udp_frame(f, 5070, 5060, payload, 1000, 1);
	m = mbuf_of(f, flen);
	m->l2_len = SR_NET_ETH_LEN;
	ip = sr_net_reasm_datagram(m, scratch, 16, &len);
	assert_ptr_equal(ip, rte_pktmbuf_mtod_offset(m, uint8_t *, SR_NET_ETH_LEN));
	assert_int_equal(len, flen - SR_NET_ETH_LEN);
	rte_pktmbuf_free(m);
	assert_int_equal(sr_net_reasm_collect(&r, rte_get_tsc_cycles()), 0);
	sr_net_reasm_free(&r);
	assert_int_equal(rte_mempool_in_use_count(jumbo), 0);
}

static void test_small_datagram_is_not_fragmented(void **state)
{
	(void)state;
	uint8_t f[2048];
	struct rte_mbuf *out[8];
	size_t len = t_udp_frame(f, 5070, 5060, payload, 1000, 1);
	assert_int_equal(sr_net_fragment(mbuf_of(f, len), 1500, direct, indirect, out, 8), 1);
	assert_int_equal(out[0]->pkt_len, len);
	rte_pktmbuf_free(out[0]);
}

/* For a port without multi-segment transmit (af_xdp): each fragment becomes one segment, same bytes. */
static void test_fragments_linearized_keep_their_bytes(void **state)
{
	(void)state;
	static uint8_t f[4096], before[3][2048];
	struct rte_mbuf *out[8];
	size_t len = t_udp_frame(f, 5070, 5060, payload, BIG, 1);
	int n = sr_net_fragment(mbuf_of(f, len), 1500, direct, indirect, out, 8);
	assert_int_equal(n, 3);
	for (int i = 0; i < n; i++) {
		assert_true(out[i]->nb_segs > 1); /* what af_xdp sent wrong: a header with the payload chained */
		const void *b = rte_pktmbuf_read(out[i], 0, out[i]->pkt_len, before[i]);
		if (b != before[i])
			memcpy(before[i], b, out[i]->pkt_len);
	}
	assert_int_equal(sr_net_linearize(out, (unsigned)n), 0);
	for (int i = 0; i < n; i++) {
		assert_int_equal(out[i]->nb_segs, 1);
		assert_int_equal(out[i]->data_len, out[i]->pkt_len);
		assert_memory_equal(rte_pktmbuf_mtod(out[i], void *), before[i], out[i]->pkt_len);
	}
	rte_pktmbuf_free_bulk(out, (unsigned)n);
	assert_int_equal(rte_mempool_in_use_count(indirect), 0); /* the payload references were released */
}

/* A chain whose first segment cannot hold the rest is refused whole and left unchanged. */
static void test_linearize_refuses_a_chain_without_tailroom(void **state)
{
	(void)state;
	struct rte_mbuf *ok = mbuf_of(payload, 100), *tail = mbuf_of(payload, 100);
	struct rte_mbuf *chain = rte_pktmbuf_alloc(indirect); /* no data room at all */
	assert_non_null(chain);
	assert_int_equal(rte_pktmbuf_chain(chain, tail), 0);
	struct rte_mbuf *frames[2] = { ok, chain };
	assert_int_equal(sr_net_linearize(frames, 2), -1);
	assert_int_equal(chain->nb_segs, 2);
	assert_int_equal(chain->pkt_len, 100);
	rte_pktmbuf_free_bulk(frames, 2);
	assert_int_equal(rte_mempool_in_use_count(direct), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fragment_then_reassemble),
		cmocka_unit_test(test_incomplete_datagram_is_dropped_and_counted),
		cmocka_unit_test(test_small_datagram_is_not_fragmented),
		cmocka_unit_test(test_fragments_linearized_keep_their_bytes),
		cmocka_unit_test(test_linearize_refuses_a_chain_without_tailroom),
		cmocka_unit_test(test_reassembled_datagram_larger_than_scratch_is_refused),
	};
	return cmocka_run_group_tests_name("net_frag", tests, setup, NULL);
}
