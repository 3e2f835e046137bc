/*
 * net_frag.h - IPv4 reassembly (per worker) and fragmentation of large responses.
 *
 * Reassembly wraps rte_ip_frag: one table per worker (a worker sees all
 * fragments of a datagram because RSS hashes fragments by addresses only),
 * a death row of mbufs to free after each burst, and a periodic sweep of
 * entries that never completed. Every mbuf the table gives up on is counted
 * as a fragment drop.
 *
 * A response longer than the MTU is split with rte_ipv4_fragment_packet
 * (direct buffers for headers, indirect ones pointing into the response),
 * then each fragment gets its Ethernet header back.
 */
#ifndef SR_NET_FRAG_H
#define SR_NET_FRAG_H

#include <stddef.h>
#include <stdint.h>

#include <rte_ip_frag.h>

struct rte_mbuf;
struct rte_mempool;

struct sr_net_reasm {
	struct rte_ip_frag_tbl *tbl;
	struct rte_ip_frag_death_row dr;
	uint64_t ttl_cycles;
	uint64_t next_sweep;
};

/* max_flows datagrams in reassembly at once; a datagram incomplete after ttl_ms is dropped. */
int sr_net_reasm_init(struct sr_net_reasm *r, uint32_t max_flows, uint32_t ttl_ms, int socket);
void sr_net_reasm_free(struct sr_net_reasm *r);

/*
 * Adds the fragment m (l2_len and l3_len set) received at TSC 'tsc'.
 * Returns the reassembled datagram (a chained mbuf) when this fragment
 * completed one, else NULL (kept, or put on the death row).
 */
struct rte_mbuf *sr_net_reasm_add(struct sr_net_reasm *r, struct rte_mbuf *m, uint64_t tsc);

/*
 * The IPv4 datagram of m (l2_len set) as contiguous bytes, its length in
 * *len: in place when m is one segment, else (a reassembled chain) copied
 * into buf[0..cap). NULL when the chain does not fit buf: rte_ip_frag puts
 * no bound on the sum of its fragments (eight jumbo fragments exceed
 * 64 KiB, and an IPv4 datagram's 16-bit length), so the caller drops m,
 * counted as SR_ND_REASM_TOO_BIG.
 */
const uint8_t *sr_net_reasm_datagram(const struct rte_mbuf *m, uint8_t *buf, size_t cap, size_t *len);

/* Frees the death row (sweeping stale entries now and then); returns the mbufs freed. */
unsigned sr_net_reasm_collect(struct sr_net_reasm *r, uint64_t tsc);

/*
 * Splits the single-segment frame m (Ethernet + IPv4 + UDP + payload) into
 * fragments fitting 'mtu' into out[0..max). m is consumed. Returns the
 * number of fragments, or -1 (m freed) when it cannot be done.
 */
int sr_net_fragment(struct rte_mbuf *m, uint16_t mtu, struct rte_mempool *direct,
		    struct rte_mempool *indirect, struct rte_mbuf **out, unsigned max);

/*
 * Copies each chained frame of frames[0..n) into its first segment (rte_pktmbuf_linearize),
 * for a port that cannot send mbuf chains: sr_net_fragment's fragments are a header mbuf
 * from 'direct' with the payload attached behind it, and DPDK 22.11's af_xdp PMD (no
 * RTE_ETH_TX_OFFLOAD_MULTI_SEGS) sends pkt_len bytes from the first segment alone, so
 * the peer got garbage for every fragmented response. Returns 0, or -1 when a first
 * segment has too little tailroom (the frames are left as they were, for the caller to free).
 */
int sr_net_linearize(struct rte_mbuf **frames, unsigned n);

#endif
