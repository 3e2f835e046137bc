/*
 * ctl_verdict.h - which of a worker's binding events failed to be stored,
 * told by the control core to that worker (durability=sync).
 *
 * The control core decides every event of a worker in sequence order:
 * committed, or failed (its batch's commit failed, or it was dropped
 * because its AoR is being resynced: persist.c). It publishes a decided
 * watermark per worker; below the watermark, the failed numbers are here,
 * as ranges in increasing order. The worker, taking its held responses in
 * order (ctl_holdq.h), asks for each whether its sequence number failed and
 * sends the 200 or its retraction.
 *
 * Each failed range carries its cause (enum sr_ctl_fail): the node's own
 * store refused it (a failed commit, an AoR being resynced), or the replica
 * did (replication.durability=sync: Redis away or not durable). The worker
 * answers the two differently (500 and 503, both with Retry-After), so a
 * note of one cause never merges with a note of the other; where two notes
 * of different causes overlap, the later one stands for the overlap (it is
 * the newer decision about those events).
 *
 * Two sides:
 * - producer (control core): notes failures as they are decided
 *   (sr_ctl_verdict_note; overlapping and adjacent ranges merge, so a failed
 *   batch replaces the single drops inside it), then publishes them
 *   (sr_ctl_verdict_flush) before moving the watermark past them. A full
 *   queue keeps the notes; sr_ctl_verdict_unpublished says how far the
 *   watermark may go meanwhile.
 * - consumer (worker): sr_ctl_verdict_failed with non-decreasing numbers,
 *   sr_ctl_verdict_skip to drop what it no longer needs.
 *
 * The queue is single-producer/single-consumer on C11 atomics (no lock);
 * the producer's notes grow with realloc on the control core, the consumer
 * never allocates.
 */
#ifndef SR_CTL_VERDICT_H
#define SR_CTL_VERDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Why events failed; 0 (SR_CTL_KEPT) means they did not. */
enum sr_ctl_fail {
	SR_CTL_KEPT = 0,
	SR_CTL_FAIL_STORE,   /* the node's store did not take them */
	SR_CTL_FAIL_REPLICA, /* the replica (Redis, sync replication) did not take them */
};

struct sr_ctl_range {
	uint64_t lo, hi; /* inclusive */
	uint8_t cause;   /* enum sr_ctl_fail, never SR_CTL_KEPT */
};

struct sr_ctl_verdict {
	struct sr_ctl_range *q;
	uint32_t cap;
	uint64_t head;  /* consumer's index (atomic) */
	uint64_t tail;  /* producer's index (atomic) */
	/* producer only */
	struct sr_ctl_range *notes;
	size_t n_notes, cap_notes;
};

/* Returns 0, or -1 when cap is 0 or memory is short. */
int sr_ctl_verdict_init(struct sr_ctl_verdict *v, uint32_t cap);
void sr_ctl_verdict_fini(struct sr_ctl_verdict *v);

/*
 * Producer: events lo..hi failed for 'cause' (hi not below any earlier
 * note's lo: notes grow upwards). Returns 0, -1 out of memory.
 */
int sr_ctl_verdict_note_cause(struct sr_ctl_verdict *v, uint64_t lo, uint64_t hi, enum sr_ctl_fail cause);
/* Producer: sr_ctl_verdict_note_cause with SR_CTL_FAIL_STORE. */
int sr_ctl_verdict_note(struct sr_ctl_verdict *v, uint64_t lo, uint64_t hi);
/* Producer: publishes the notes that fit; true when none is left. */
bool sr_ctl_verdict_flush(struct sr_ctl_verdict *v);
/* Producer: the lowest failed number not yet published (UINT64_MAX: none); the watermark stays below it. */
uint64_t sr_ctl_verdict_unpublished(const struct sr_ctl_verdict *v);

/* Consumer: why event 'seq' failed (SR_CTL_KEPT: it did not); seq never decreases from one call to the next. */
enum sr_ctl_fail sr_ctl_verdict_cause(struct sr_ctl_verdict *v, uint64_t seq);
/* Consumer: whether event 'seq' failed (sr_ctl_verdict_cause != SR_CTL_KEPT). */
bool sr_ctl_verdict_failed(struct sr_ctl_verdict *v, uint64_t seq);
/* Consumer: forgets every range that ends at or before 'upto'. */
void sr_ctl_verdict_skip(struct sr_ctl_verdict *v, uint64_t upto);

#endif
