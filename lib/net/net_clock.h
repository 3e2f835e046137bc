/*
 * net_clock.h - wall-clock milliseconds without a system call per packet.
 *
 * The registrar keeps time in Unix milliseconds. Workers read the TSC and
 * scale it against one clock_gettime(CLOCK_REALTIME) sample taken at start,
 * which is exact enough for expiry (drift of an invariant TSC over days is
 * far below the 1 s precision bindings need).
 */
#ifndef SR_NET_CLOCK_H
#define SR_NET_CLOCK_H

#include <stdint.h>

struct sr_clock {
	uint64_t base_ms;  /* Unix time at base_tsc */
	uint64_t base_tsc;
	uint64_t hz;       /* TSC ticks per second */
};

/* Samples the wall clock and the TSC (needs the EAL for the TSC rate). */
void sr_clock_init(struct sr_clock *c);

static inline uint64_t sr_clock_ms(const struct sr_clock *c, uint64_t tsc)
{
	uint64_t d = tsc - c->base_tsc;
	/* split so that d * 1000 cannot overflow however long we run */
	return c->base_ms + d / c->hz * 1000 + d % c->hz * 1000 / c->hz;
}

#endif
