/*
 * net_port.h - DPDK port and mbuf pool set-up.
 *
 * Every port gets one RX and one TX queue per worker (queue i belongs to
 * worker i, so no queue is ever shared). With more than one worker, RSS
 * over IPv4/UDP is requested, restricted to the hash types the port
 * announces in dev_info.flow_type_rss_offloads; a port without RSS (or the
 * af_packet PMD, which spreads flows over its qpairs by itself) still works.
 */
#ifndef SR_NET_PORT_H
#define SR_NET_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rte_mempool;

struct sr_net_port_conf {
	uint16_t n_queues;  /* = worker count */
	uint16_t rx_desc;
	uint16_t tx_desc;
	struct rte_mempool *rx_pool;
};

struct sr_net_port_info {
	uint8_t mac[6];
	uint16_t mtu;
	bool rss;           /* RSS was configured */
	bool tx_multi_seg;  /* RTE_ETH_TX_OFFLOAD_MULTI_SEGS was configured: the PMD sends mbuf chains (af_xdp cannot) */
	char driver[32];
};

/* The TX offloads a port is configured with, from the ones it announces (dev_info.tx_offload_capa):
 * multi-segment transmit when offered, nothing else. */
uint64_t sr_net_port_tx_offloads(uint64_t tx_offload_capa);
/* Whether mbuf chains may be sent on a port configured with tx_offloads. */
bool sr_net_port_tx_multi_seg(uint64_t tx_offloads);

/* Configures and starts a port. Returns 0, or -1 with a message in err. */
int sr_net_port_start(uint16_t port, const struct sr_net_port_conf *c, struct sr_net_port_info *info,
		      char *err, size_t err_len);
void sr_net_port_stop(uint16_t port);

/* A packet mbuf pool whose buffers hold data_room bytes after the headroom. NULL on failure. */
struct rte_mempool *sr_net_pool_create(const char *name, unsigned n, uint16_t data_room, int socket);
/* The same with priv bytes of private area per mbuf (rte_mbuf_to_priv), rounded up to RTE_MBUF_PRIV_ALIGN. */
struct rte_mempool *sr_net_pool_create_priv(const char *name, unsigned n, uint16_t data_room, uint16_t priv,
					    int socket);

#endif
