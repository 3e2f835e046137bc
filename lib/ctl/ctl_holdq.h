/*
 * ctl_holdq.h - responses held until their changes are committed (sync
 * durability, group commit).
 *
 * A worker in durability=sync does not send a response at once: it pushes
 * it here tagged with the worker's newest event sequence number at that
 * moment, and each poll loop releases, in order, every response whose tag
 * the control core's published committed sequence number has reached. A
 * response tagged with an already committed number (a fetch, or a
 * retransmission answered from state) goes out at once, but never ahead of
 * an earlier held one: responses leave in the order they were made.
 *
 * A response that acknowledges a change is pushed with its retraction (the
 * 500 to send instead when the change is not stored: sr_reg_result) and,
 * with sync replication, the replica's retraction (the 503 when Redis did
 * not take it); when it is taken, the caller asks the verdict queue
 * (ctl_verdict.h) whether and why its sequence number failed and sends the
 * one that says so. A response pushed
 * without one (a fetch, a refusal) only keeps its place in the order.
 *
 * Single-threaded (the owning worker), fixed capacity, no allocation after
 * init; the objects are opaque pointers (mbufs in the data plane).
 */
#ifndef SR_CTL_HOLDQ_H
#define SR_CTL_HOLDQ_H

#include <stdbool.h>
#include <stdint.h>

struct sr_ctl_held {
	void *obj;
	void *retraction; /* sent instead of obj when the change failed; NULL: none */
	void *retraction_replica; /* sent instead when the replica refused it; NULL: none (retraction serves) */
	uint64_t seq;
	bool change;      /* obj acknowledges a change (its frames share one retraction) */
};

struct sr_ctl_holdq {
	struct sr_ctl_held *e;
	uint32_t cap, head, n;
};

/* Returns 0, or -1 when cap is 0 or memory is short. */
int sr_ctl_holdq_init(struct sr_ctl_holdq *q, uint32_t cap);
void sr_ctl_holdq_fini(struct sr_ctl_holdq *q);

/* Queues obj until 'seq' is committed. Returns false when full (the caller decides). */
bool sr_ctl_holdq_push(struct sr_ctl_holdq *q, void *obj, uint64_t seq);
/*
 * Queues obj, which acknowledges the change whose newest event is 'seq',
 * with its retractions (NULL on every frame of a response but one;
 * retraction_replica NULL without sync replication).
 */
bool sr_ctl_holdq_push_change(struct sr_ctl_holdq *q, void *obj, void *retraction, void *retraction_replica,
			      uint64_t seq);

/* Moves up to max entries whose seq <= decided into out[], oldest first; returns how many. */
unsigned sr_ctl_holdq_take(struct sr_ctl_holdq *q, uint64_t decided, struct sr_ctl_held *out, unsigned max);
/* Moves up to max objects whose seq <= committed into out[] (no retraction may be queued); returns how many. */
unsigned sr_ctl_holdq_release(struct sr_ctl_holdq *q, uint64_t committed, void **out, unsigned max);

static inline uint32_t sr_ctl_holdq_count(const struct sr_ctl_holdq *q)
{
	return q->n;
}

/* The sequence number of the oldest entry, UINT64_MAX when empty. */
static inline uint64_t sr_ctl_holdq_next_seq(const struct sr_ctl_holdq *q)
{
	return q->n ? q->e[q->head].seq : UINT64_MAX;
}

#endif
