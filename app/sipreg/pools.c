/*
 * pools.c - mbuf pool sizes (see pools.h).
 */
#include "pools.h"

unsigned sr_pool_rx_mbufs(const struct sr_app_config *c, unsigned workers, unsigned n_ports)
{
	if (c->mbufs)
		return c->mbufs;
	return n_ports * workers * (c->rx_desc + 2 * c->burst) + workers * (workers - 1) * c->ring_size +
	       workers * c->reasm_flows * 4 + (workers + 1) * 512 + 1024;
}

unsigned sr_pool_tx_mbufs(const struct sr_app_config *c, unsigned workers, unsigned n_ports)
{
	unsigned n = workers * (n_ports * c->tx_desc + n_ports * SR_TX_BUF + 2 * SR_MAX_BURST) +
		     (workers + 1) * 512 + 1024;
	/* a held response keeps its mbuf until its group is committed, and a held change also its
	 * retraction (the 500 sent if the commit fails): without these the pool ran dry */
	if (c->persistence && c->durability == SR_DURABILITY_SYNC)
		n += 2 * workers * c->event_ring;
	/* with sync replication a held change has a third: the 503 sent if Redis does not take it */
	if (c->persistence && c->durability == SR_DURABILITY_SYNC && sr_repl_enabled(&c->repl) &&
	    c->repl.durability == SR_REPL_SYNC)
		n += workers * c->event_ring;
	return n;
}
