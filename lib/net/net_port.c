/*
 * net_port.c - port configuration: queues, RSS, MTU and MAC discovery.
 */
#include "net_port.h"

#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>

uint64_t sr_net_port_tx_offloads(uint64_t tx_offload_capa)
{
	/* Many PMDs pick a single-segment TX burst unless MULTI_SEGS is configured, so the capability alone
	 * does not make chains safe: request it whenever it is offered. No MBUF_FAST_FREE: IP fragments are
	 * indirect mbufs (net_frag.c), which that offload forbids. */
	return tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
}

bool sr_net_port_tx_multi_seg(uint64_t tx_offloads)
{
	return (tx_offloads & RTE_ETH_TX_OFFLOAD_MULTI_SEGS) != 0;
}

int sr_net_port_start(uint16_t port, const struct sr_net_port_conf *c, struct sr_net_port_info *info,
		      char *err, size_t err_len)
{
	struct rte_eth_dev_info di;
	struct rte_eth_conf conf;
	int rc;

	memset(info, 0, sizeof(*info));
	rc = rte_eth_dev_info_get(port, &di);
	if (rc != 0) {
		snprintf(err, err_len, "port %u: cannot read device info (%s)", port, rte_strerror(-rc));
		return -1;
	}
	snprintf(info->driver, sizeof(info->driver), "%s", di.driver_name);
	if (c->n_queues > di.max_rx_queues || c->n_queues > di.max_tx_queues) {
		snprintf(err, err_len,
			 "port %u (%s): %u workers need %u RX and TX queues, the port has %u/%u "
			 "(af_packet: qpairs in port.vdev; af_xdp: one queue on veth, workers.count=1)",
			 port, di.driver_name, c->n_queues, c->n_queues, di.max_rx_queues, di.max_tx_queues);
		return -1;
	}

	memset(&conf, 0, sizeof(conf));
	uint64_t want = RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_FRAG_IPV4 | RTE_ETH_RSS_NONFRAG_IPV4_UDP;
	uint64_t rss = want & di.flow_type_rss_offloads;
	if (c->n_queues > 1 && rss != 0) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = rss;
		info->rss = true;
	}
	conf.txmode.offloads = sr_net_port_tx_offloads(di.tx_offload_capa);
	/* chains are sent only where the port was configured for them, not merely where it could be */
	info->tx_multi_seg = sr_net_port_tx_multi_seg(conf.txmode.offloads);
	rc = rte_eth_dev_configure(port, c->n_queues, c->n_queues, &conf);
	if (rc != 0) {
		snprintf(err, err_len, "port %u: configure failed (%s)", port, rte_strerror(-rc));
		return -1;
	}

	uint16_t rxd = c->rx_desc, txd = c->tx_desc;
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(port, &rxd, &txd);
	if (rc != 0) {
		snprintf(err, err_len, "port %u: descriptor counts refused (%s)", port, rte_strerror(-rc));
		return -1;
	}
	int socket = rte_eth_dev_socket_id(port);
	for (uint16_t q = 0; q < c->n_queues; q++) {
		rc = rte_eth_rx_queue_setup(port, q, rxd, (unsigned)socket, NULL, c->rx_pool);
		if (rc == 0)
			rc = rte_eth_tx_queue_setup(port, q, txd, (unsigned)socket, NULL);
		if (rc != 0) {
			snprintf(err, err_len, "port %u: queue %u set-up failed (%s)", port, q,
				 rte_strerror(-rc));
			return -1;
		}
	}
	rc = rte_eth_dev_start(port);
	if (rc != 0) {
		snprintf(err, err_len, "port %u: start failed (%s)", port, rte_strerror(-rc));
		return -1;
	}

	struct rte_ether_addr mac;
	rte_eth_macaddr_get(port, &mac);
	memcpy(info->mac, mac.addr_bytes, 6);
	if (rte_eth_dev_get_mtu(port, &info->mtu) != 0 || info->mtu < 576)
		info->mtu = RTE_ETHER_MTU;
	return 0;
}

void sr_net_port_stop(uint16_t port)
{
	rte_eth_dev_stop(port);
	rte_eth_dev_close(port);
}

struct rte_mempool *sr_net_pool_create_priv(const char *name, unsigned n, uint16_t data_room, uint16_t priv,
					    int socket)
{
	unsigned cache = n / 8 < RTE_MEMPOOL_CACHE_MAX_SIZE ? n / 8 : RTE_MEMPOOL_CACHE_MAX_SIZE;
	return rte_pktmbuf_pool_create(name, n, cache, (uint16_t)RTE_ALIGN(priv, RTE_MBUF_PRIV_ALIGN),
				       (uint16_t)(RTE_PKTMBUF_HEADROOM + data_room), socket);
}

struct rte_mempool *sr_net_pool_create(const char *name, unsigned n, uint16_t data_room, int socket)
{
	return sr_net_pool_create_priv(name, n, data_room, 0, socket);
}
