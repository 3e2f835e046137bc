/*
 * timer_wheel.h - per-shard hierarchical timer wheel for binding expiry.
 *
 * One tick is one second (binding lifetimes are whole seconds). Four levels
 * of slots cover any lifetime a registrar can grant; a timer lives in the
 * slot of the coarsest level that still separates it from 'now' and
 * cascades down as time passes. Nodes are intrusive (embedded in the
 * binding), so arm, re-arm and cancel are O(1) list operations with no
 * allocation. sr_tw_advance() does a bounded amount of work per call so a
 * worker's poll loop never stalls on a burst of expiries.
 */
#ifndef SR_TIMER_WHEEL_H
#define SR_TIMER_WHEEL_H

#include <stdbool.h>
#include <stdint.h>

struct sr_tw_node {
	struct sr_tw_node *next, *prev; /* NULL when not armed */
	uint32_t expires;               /* absolute second at which it fires */
};

#define SR_TW_LEVELS 4
#define SR_TW_L0_BITS 8 /* 256 one-second slots */
#define SR_TW_LN_BITS 6 /* 64 slots on each higher level */
#define SR_TW_L0_SLOTS (1u << SR_TW_L0_BITS)
#define SR_TW_LN_SLOTS (1u << SR_TW_LN_BITS)

struct sr_tw_slot {
	struct sr_tw_node head; /* circular list sentinel */
};

struct sr_tw {
	uint32_t now;     /* last second fully processed */
	uint64_t armed;   /* number of armed timers */
	struct sr_tw_slot l0[SR_TW_L0_SLOTS];
	struct sr_tw_slot ln[SR_TW_LEVELS - 1][SR_TW_LN_SLOTS];
	struct sr_tw_slot due; /* timers whose time has come, not yet handed out (budget ran out) */
};

typedef void sr_tw_expire_fn(struct sr_tw_node *node, void *ctx);

/* Starts the wheel at second 'now'. */
void sr_tw_init(struct sr_tw *tw, uint32_t now);

static inline void sr_tw_node_init(struct sr_tw_node *n)
{
	n->next = n->prev = 0;
	n->expires = 0;
}

static inline bool sr_tw_armed(const struct sr_tw_node *n)
{
	return n->next != 0;
}

/* Arms n to fire at 'expires' (absolute second); re-arms if already armed. A time not after 'now' fires at the next advance. */
void sr_tw_arm(struct sr_tw *tw, struct sr_tw_node *n, uint32_t expires);
/* Disarms n; harmless if not armed. */
void sr_tw_cancel(struct sr_tw *tw, struct sr_tw_node *n);

/*
 * Moves the wheel up to second 'now' and calls fn for at most 'budget'
 * expired timers (each is disarmed before fn runs, so fn may free it or
 * re-arm it). Returns the number of timers expired; call again when it
 * returns 'budget' to continue. Any jump of 'now' costs at most one turn of
 * each level (no per-second loop); a budget of 0 does nothing.
 */
unsigned sr_tw_advance(struct sr_tw *tw, uint32_t now, unsigned budget, sr_tw_expire_fn *fn,
		       void *ctx);

#endif
