/*
 * repl_follow.h - the standby's view of the active node: its stream, and
 * the keys when the stream is not enough.
 *
 * Following node N at epoch E:
 * 1. note where N's stream ends (XREVRANGE + - COUNT 1) and the last
 *    change number it holds;
 * 2. read every AoR key (SCAN of each master, HGETALL of each key) and
 *    hand each unexpired binding over (SNAPSHOT_BEGIN, BINDING...,
 *    SNAPSHOT_END: the receiver drops what the snapshot did not contain);
 * 3. read the stream from the noted end (XREAD BLOCK) and hand each change
 *    over as it commits (CHANGE).
 * Because the writer stores keys before it appends their stream entry, a
 * change is either in the keys the snapshot read or after the noted end;
 * changes replayed twice are idempotent (puts carry the whole record).
 *
 * Continuity: each stream entry carries its epoch and the numbers of its
 * changes, consecutive within an epoch. Numbers already applied are
 * skipped (a writer re-sent them after a failure); a gap (the stream was
 * trimmed past what this follower had read, or the writer dropped
 * changes) and a "resync" marker (the writer rewrote the keys) both lead
 * back to step 2. An entry of a newer epoch means the node was promoted
 * again: back to step 1.
 *
 * The follower has its own client: XREAD BLOCK holds its connection.
 */
#ifndef SR_REPL_FOLLOW_H
#define SR_REPL_FOLLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "repl_client.h"
#include "repl_layout.h"

enum sr_repl_follow_kind {
	SR_FOLLOW_SNAPSHOT_BEGIN, /* a full read starts (a BEGIN without END was abandoned: start over) */
	SR_FOLLOW_BINDING,        /* a binding read from the keys (a put; op is SR_REPL_ADDED) */
	SR_FOLLOW_SNAPSHOT_END,   /* every binding in Redis was handed over: drop the others */
	SR_FOLLOW_CHANGE,         /* a committed change from the stream, in order */
};

struct sr_repl_follow_ev {
	enum sr_repl_follow_kind kind;
	const struct sr_repl_change *change; /* BINDING, CHANGE; pointers valid during the call */
	uint64_t epoch, seq;                 /* CHANGE: its epoch and number on the stream */
};

typedef void sr_repl_follow_fn(void *ctx, const struct sr_repl_follow_ev *ev);

struct sr_repl_follow_stats {
	uint64_t entries;       /* stream entries read */
	uint64_t changes;       /* changes handed over from the stream */
	uint64_t duplicates;    /* changes skipped: already applied */
	uint64_t full_reads;    /* snapshots started */
	uint64_t bindings_read; /* bindings handed over by snapshots */
	uint64_t expired_skipped;
	uint64_t gaps;          /* discontinuities that forced a full read */
	uint64_t resync_markers;
	uint64_t errors;        /* malformed entries or values, failed requests */
	uint64_t lag_ms;        /* age of the last entry read, by its stream ID (Redis's clock) */
	uint64_t last_epoch, last_seq;
	bool following, in_snapshot;
	bool streaming;         /* caught up: reading the stream as it grows (snapshot done, no restart due) */
};

struct sr_repl_follower;

struct sr_repl_follower *sr_repl_follow_new(struct sr_repl_client *cl, const char *prefix, const uint64_t *now_ms,
					    uint32_t block_ms, sr_repl_follow_fn *fn, void *ctx);
/* The client must be freed first (its callbacks reference the follower). */
void sr_repl_follow_free(struct sr_repl_follower *f);

/* Follows node's stream at epoch (a change of either starts over at step 1). */
void sr_repl_follow_target(struct sr_repl_follower *f, const char *node, uint64_t epoch);
void sr_repl_follow_stop(struct sr_repl_follower *f);
/*
 * Promotion: finishes a snapshot under way, reads what the stream still
 * holds without blocking (giving up after max(2 x block_ms, 500 ms)), then
 * stops. Drained at once when there is nothing to follow.
 */
void sr_repl_follow_drain(struct sr_repl_follower *f);
bool sr_repl_follow_drained(const struct sr_repl_follower *f);

void sr_repl_follow_step(struct sr_repl_follower *f);
void sr_repl_follow_stats(const struct sr_repl_follower *f, struct sr_repl_follow_stats *out);

#endif
