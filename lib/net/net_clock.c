/*
 * net_clock.c - the one clock sample the TSC-based wall clock is scaled against.
 */
#include "net_clock.h"

#include <time.h>

#include <rte_cycles.h>

void sr_clock_init(struct sr_clock *c)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	c->base_tsc = rte_get_tsc_cycles();
	c->base_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	c->hz = rte_get_tsc_hz();
}
