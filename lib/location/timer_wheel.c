/*
 * timer_wheel.c - hierarchical timer wheel (see timer_wheel.h).
 *
 * Layout. Level 0 has 256 slots of one second, indexed by expires & 255.
 * Level k (k = 1..3) has 64 slots of 2^(8+6(k-1)) seconds (256 s, ~4.5 h,
 * ~12 days), indexed by the matching bits of expires, so level k holds
 * timers up to 2^(14+6(k-1)) seconds ahead (the top level ~2 years). A timer
 * further ahead goes to the top level too, in the slot of its own expiry
 * bits; that slot comes round every 2^26 s and re-places it (by its exact
 * expiry) until it is within reach. No timer can fire early: only level 0
 * feeds the due list, and level 0 only holds exact seconds.
 *
 * Placement rule. With delta = expires - now, a timer goes to the lowest
 * level whose span exceeds delta. For such a timer the first time after
 * 'now' at which its slot is visited is exactly the start of the block
 * holding 'expires' (level 0: 'expires' itself): the block starts after
 * 'now' because delta is at least one slot width, and no earlier block with
 * the same index lies after 'now' because delta is below the level's span.
 * Visiting a slot at second t re-places each of its timers relative to t,
 * which always lands them on a lower level (their delta is below one slot
 * width), so cascading terminates.
 *
 * Advancing. Instead of stepping second by second, sr_tw_advance(now = T)
 * visits, for each level, only the slots whose visit time lies in (tw->now,
 * T]: on level 0 the seconds tw->now+1..T, on level k the multiples of the
 * slot width in that interval - at most one full turn of each level, i.e.
 * at most 256 + 3 * 64 slot visits whatever the jump (a restart after a
 * month costs the same as one second). Level-0 slots are spliced whole onto
 * the due list in time order (every timer there expires by T); higher-level
 * slots are spliced onto a scratch list, then tw->now becomes T and each of
 * their timers is re-placed relative to T (onto 'due' if it expires by T).
 * Slots not visited keep the invariant above relative to T, so this is
 * exactly equivalent to stepping one second at a time, minus the empty
 * seconds. Within one advance, timers are handed out in expiry order except
 * that timers cascaded from higher levels follow those already on level 0.
 *
 * Budget. Expired timers are handed out from 'due' one at a time; when the
 * budget runs out the rest stays on 'due' and the wheel does not move on,
 * so the next call resumes with the oldest timers. A callback runs after its
 * node is unlinked and disarmed, so it may free or re-arm it; a re-arm at or
 * before tw->now lands on 'due' and counts against the same budget.
 *
 * Seconds are uint32_t and are not expected to wrap (year 2106).
 */
#include "timer_wheel.h"

#include <assert.h>
#include <stddef.h>

#define TW_L0_MASK (SR_TW_L0_SLOTS - 1u)
#define TW_LN_MASK (SR_TW_LN_SLOTS - 1u)
/* log2 of the slot width of level k (k >= 1): 8, 14, 20. */
#define TW_SHIFT(k) (SR_TW_L0_BITS + SR_TW_LN_BITS * ((k)-1))

/* --- circular intrusive lists with a sentinel head --- */

static inline void list_init(struct sr_tw_node *head)
{
	head->next = head->prev = head;
}

static inline bool list_empty(const struct sr_tw_node *head)
{
	return head->next == head;
}

static inline void list_add_tail(struct sr_tw_node *head, struct sr_tw_node *n)
{
	n->prev = head->prev;
	n->next = head;
	head->prev->next = n;
	head->prev = n;
}

static inline void list_unlink(struct sr_tw_node *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->next = n->prev = NULL;
}

/* Moves every node of 'from' to the tail of 'to' in O(1); 'from' ends empty. */
static void list_splice_tail(struct sr_tw_node *to, struct sr_tw_node *from)
{
	if (list_empty(from))
		return;
	struct sr_tw_node *first = from->next, *last = from->prev;
	first->prev = to->prev;
	to->prev->next = first;
	last->next = to;
	to->prev = last;
	list_init(from);
}

/* --- placement --- */

/* The list a timer expiring at 'expires' belongs to, relative to tw->now. */
static struct sr_tw_node *slot_for(struct sr_tw *tw, uint32_t expires)
{
	if (expires <= tw->now)
		return &tw->due.head;
	uint64_t delta = (uint64_t)expires - tw->now;
	if (delta < SR_TW_L0_SLOTS)
		return &tw->l0[expires & TW_L0_MASK].head;
	unsigned k = 1; /* the top level also takes whatever is beyond its span */
	while (k < SR_TW_LEVELS - 1 && delta >= (1ull << TW_SHIFT(k + 1)))
		k++;
	return &tw->ln[k - 1][(expires >> TW_SHIFT(k)) & TW_LN_MASK].head;
}

void sr_tw_init(struct sr_tw *tw, uint32_t now)
{
	tw->now = now;
	tw->armed = 0;
	for (unsigned i = 0; i < SR_TW_L0_SLOTS; i++)
		list_init(&tw->l0[i].head);
	for (unsigned k = 0; k < SR_TW_LEVELS - 1; k++)
		for (unsigned i = 0; i < SR_TW_LN_SLOTS; i++)
			list_init(&tw->ln[k][i].head);
	list_init(&tw->due.head);
}

void sr_tw_arm(struct sr_tw *tw, struct sr_tw_node *n, uint32_t expires)
{
	if (sr_tw_armed(n))
		list_unlink(n);
	else
		tw->armed++;
	n->expires = expires;
	list_add_tail(slot_for(tw, expires), n);
}

void sr_tw_cancel(struct sr_tw *tw, struct sr_tw_node *n)
{
	if (!sr_tw_armed(n))
		return;
	assert(tw->armed > 0);
	list_unlink(n);
	tw->armed--;
}

/* --- advancing --- */

/* Moves to 'out' the timers of the level-k (k >= 1) slots whose block starts in (from, to]. */
static void collect_level(struct sr_tw *tw, unsigned k, uint32_t from, uint32_t to,
			  struct sr_tw_node *out)
{
	uint64_t first = ((uint64_t)from >> TW_SHIFT(k)) + 1, last = (uint64_t)to >> TW_SHIFT(k);
	if (last < first)
		return;
	uint64_t n = last - first + 1;
	if (n > SR_TW_LN_SLOTS)
		n = SR_TW_LN_SLOTS;
	for (uint64_t b = first; b < first + n; b++)
		list_splice_tail(out, &tw->ln[k - 1][b & TW_LN_MASK].head);
}

/* Moves the wheel from tw->now to 'to' (> tw->now); expired timers end on 'due'. */
static void move_to(struct sr_tw *tw, uint32_t to)
{
	uint32_t from = tw->now;
	if (tw->armed == 0) {
		tw->now = to;
		return;
	}
	/* Level 0: every second in (from, to], at most one turn; all of it has expired. */
	uint64_t secs = (uint64_t)to - from;
	if (secs > SR_TW_L0_SLOTS)
		secs = SR_TW_L0_SLOTS;
	for (uint64_t i = 1; i <= secs; i++)
		list_splice_tail(&tw->due.head, &tw->l0[(from + i) & TW_L0_MASK].head);

	struct sr_tw_node cascade;
	list_init(&cascade);
	for (unsigned k = 1; k < SR_TW_LEVELS; k++)
		collect_level(tw, k, from, to, &cascade);

	tw->now = to;
	while (!list_empty(&cascade)) {
		struct sr_tw_node *n = cascade.next;
		list_unlink(n);
		list_add_tail(slot_for(tw, n->expires), n);
	}
}

/* Hands out up to 'budget' timers from 'due'. */
static unsigned drain_due(struct sr_tw *tw, unsigned budget, sr_tw_expire_fn *fn, void *ctx)
{
	unsigned done = 0;
	while (done < budget && !list_empty(&tw->due.head)) {
		struct sr_tw_node *n = tw->due.head.next;
		assert(n->expires <= tw->now);
		list_unlink(n);
		tw->armed--;
		done++;
		fn(n, ctx);
	}
	return done;
}

unsigned sr_tw_advance(struct sr_tw *tw, uint32_t now, unsigned budget, sr_tw_expire_fn *fn,
		       void *ctx)
{
	/* Older expiries first; the wheel only moves on when they are all out. */
	unsigned done = drain_due(tw, budget, fn, ctx);
	if (done == budget || now <= tw->now)
		return done;
	move_to(tw, now);
	return done + drain_due(tw, budget - done, fn, ctx);
}
