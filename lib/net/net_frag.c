/*
 * net_frag.c - see net_frag.h.
 */
#define ALLOW_EXPERIMENTAL_API 1 /* rte_ip_frag_table_del_expired_entries */
#include "net_frag.h"

#include <string.h>

#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "net_pkt.h"

/* Buckets x entries: rte_ip_frag wants a power-of-two bucket count and at most 16 entries each. */
#define REASM_BUCKET_ENTRIES 16

int sr_net_reasm_init(struct sr_net_reasm *r, uint32_t max_flows, uint32_t ttl_ms, int socket)
{
	memset(r, 0, sizeof(*r));
	uint32_t buckets = rte_align32pow2((max_flows + REASM_BUCKET_ENTRIES - 1) / REASM_BUCKET_ENTRIES);
	r->ttl_cycles = rte_get_tsc_hz() / 1000 * ttl_ms;
	r->tbl = rte_ip_frag_table_create(buckets, REASM_BUCKET_ENTRIES, max_flows, r->ttl_cycles, socket);
	return r->tbl ? 0 : -1;
}

void sr_net_reasm_free(struct sr_net_reasm *r)
{
	if (r->tbl) {
		rte_ip_frag_free_death_row(&r->dr, 0);
		rte_ip_frag_table_destroy(r->tbl);
		r->tbl = NULL;
	}
}

struct rte_mbuf *sr_net_reasm_add(struct sr_net_reasm *r, struct rte_mbuf *m, uint64_t tsc)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, m->l2_len);
	return rte_ipv4_frag_reassemble_packet(r->tbl, &r->dr, m, tsc, ip);
}

const uint8_t *sr_net_reasm_datagram(const struct rte_mbuf *m, uint8_t *buf, size_t cap, size_t *len)
{
	*len = m->pkt_len - m->l2_len;
	if (m->nb_segs == 1)
		return rte_pktmbuf_mtod_offset(m, const uint8_t *, m->l2_len);
	if (*len > cap)
		return NULL;
	return rte_pktmbuf_read(m, m->l2_len, (uint32_t)*len, buf);
}

unsigned sr_net_reasm_collect(struct sr_net_reasm *r, uint64_t tsc)
{
	/* sweep stale entries at most every ttl/4: it walks the whole table */
	if (tsc >= r->next_sweep) {
		rte_ip_frag_table_del_expired_entries(r->tbl, &r->dr, tsc);
		r->next_sweep = tsc + r->ttl_cycles / 4 + 1;
	}
	unsigned n = r->dr.cnt;
	if (n)
		rte_ip_frag_free_death_row(&r->dr, 0);
	return n;
}

int sr_net_fragment(struct rte_mbuf *m, uint16_t mtu, struct rte_mempool *direct,
		    struct rte_mempool *indirect, struct rte_mbuf **out, unsigned max)
{
	uint8_t eth[SR_NET_ETH_LEN];

	memcpy(eth, rte_pktmbuf_mtod(m, void *), sizeof(eth));
	rte_pktmbuf_adj(m, SR_NET_ETH_LEN); /* the fragmenter wants the IP header first */
	int n = rte_ipv4_fragment_packet(m, out, (uint16_t)max, mtu, direct, indirect);
	uint16_t port = m->port;
	rte_pktmbuf_free(m); /* fragments hold references to its data */
	if (n < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		struct rte_mbuf *f = out[i];
		char *p = rte_pktmbuf_prepend(f, SR_NET_ETH_LEN);
		if (p == NULL) {
			rte_pktmbuf_free_bulk(out, (unsigned)n);
			return -1;
		}
		memcpy(p, eth, sizeof(eth));
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(p + SR_NET_ETH_LEN);
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		f->port = port;
		f->ol_flags = 0;
	}
	return n;
}

int sr_net_linearize(struct rte_mbuf **frames, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (frames[i]->nb_segs > 1 && rte_pktmbuf_tailroom(frames[i]) < frames[i]->pkt_len - frames[i]->data_len)
			return -1; /* checked for all first: none is changed unless all can be */
	for (unsigned i = 0; i < n; i++)
		if (frames[i]->nb_segs > 1 && rte_pktmbuf_linearize(frames[i]) != 0)
			return -1; /* not reached: the tailroom was checked above */
	return 0;
}
