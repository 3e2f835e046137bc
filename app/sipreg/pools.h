/*
 * pools.h - how many mbufs the receive and transmit pools get, from the
 * configuration and the worker and port counts (main.c creates the pools).
 * Plain arithmetic, so the unit tests check the sizing rules directly.
 */
#ifndef SR_POOLS_H
#define SR_POOLS_H

#include "app.h"

/* port.mbufs, or when 0: descriptors, full hand-off rings, reassembly, per-lcore caches, slack. */
unsigned sr_pool_rx_mbufs(const struct sr_app_config *c, unsigned workers, unsigned n_ports);

/*
 * Transmit descriptors, the workers' queued responses and bursts, caches and
 * slack; with durability=sync also every response a worker may hold until
 * its change is committed, with its retraction (twice control.event_ring
 * per worker).
 */
unsigned sr_pool_tx_mbufs(const struct sr_app_config *c, unsigned workers, unsigned n_ports);

#endif
