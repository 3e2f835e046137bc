/*
 * repl_writer.h - committed binding changes into Redis, in order, with a
 * durability report per change.
 *
 * The control core hands over each committed change (sr_repl_writer_add)
 * and gets a sequence number; the writer reports, in order, when every
 * change up to a number is settled: durable (in Redis, and confirmed by
 * WAIT when wait_replicas > 0) or not (dropped, see below). Sync
 * durability holds a REGISTER's 200 until its change is settled durable
 * and answers 503 when it is settled not durable.
 *
 * How a batch goes out (layout: repl_layout.h): up to batch_events
 * changes form one chunk; its key writes are native commands grouped by
 * AoR (an HSET of the AoR's puts, an HDEL of its removals, a PEXPIREAT
 * only when the key's TTL must grow: repl_ttl.h; MULTI/EXEC around an
 * AoR whose changes mix puts and removals), then one XADD puts the chunk
 * on this node's stream, then WAIT if asked. Key
 * writes go before the stream entry (behind them in the same pipeline
 * when the client has one connection; after their replies when it has
 * several: a cluster, or one Redis with lanes, repl_client.h) so that a
 * follower's snapshot, which notes the stream's end before reading the
 * keys, never misses a change; stream entries go out in chunk order (over
 * several connections, a chunk waits for the earlier chunks' entries). Up
 * to 64 chunks are in flight (pipelined).
 *
 * Failures. A chunk whose commands are not all answered OK (connection
 * lost, timeout, a transient error such as LOADING or OOM, a WAIT short of
 * replicas) makes the writer stop sending, wait for what is in flight, and
 * send every unsettled change again from the oldest (writes are
 * idempotent: a put stores the whole record; duplicates on the stream
 * carry sequence numbers the follower skips). A permanent error reply
 * (e.g. WRONGTYPE: someone wrote another type under our key) settles that
 * chunk as not durable and schedules a full resynchronisation.
 *
 * Backlog and resynchronisation. Unsettled changes are kept (copied) up to
 * backlog_events. When one more arrives, the changes not yet sent are
 * dropped (settled not durable, counted) and a full resynchronisation is
 * scheduled: when Redis is reachable and nothing is in flight, the writer
 * reads the node's own committed state through the snapshot callbacks,
 * rewrites every AoR key (clear + puts, in MULTI/EXEC per AoR), deletes
 * the AoR keys the snapshot did not contain (SCAN of each master), and
 * appends a "resync" marker to its stream, which tells followers to read
 * the keys again. Changes added after the snapshot was opened wait in the
 * backlog and go out after the marker. A node that becomes active at
 * start (rather than by promotion) resynchronises the same way, since
 * Redis may lack what it committed while it was away.
 */
#ifndef SR_REPL_WRITER_H
#define SR_REPL_WRITER_H

#include <stdbool.h>
#include <stdint.h>

#include "repl_client.h"
#include "repl_layout.h"

/* The node's own committed state, read once per resynchronisation. */
struct sr_repl_snapshot_src {
	void *ctx;
	/* Starts a read; it must include every change handed to sr_repl_writer_add before. 0, or -1. */
	int (*open)(void *ctx);
	/*
	 * The next binding (op SR_REPL_ADDED), the bindings of one AoR one
	 * after the other; pointers valid until the next call. 1, 0 at the
	 * end, -1 on error (the resynchronisation is retried later).
	 */
	int (*next)(void *ctx, struct sr_repl_change *out);
	void (*close)(void *ctx);
};

/* Every change with sequence number <= upto is settled (called in order, upto increasing). */
typedef void sr_repl_settled_fn(void *ctx, uint64_t upto, bool durable);

/* Entries of the TTL knowledge (8 bytes each) when the configuration says 0. */
#define SR_REPL_TTL_ENTRIES (1u << 20)

struct sr_repl_writer_cfg {
	const char *prefix, *node;
	uint32_t batch_events, backlog_events, stream_len;
	uint32_t wait_replicas, wait_timeout_ms;
	uint32_t ttl_entries; /* repl_ttl.h; 0: SR_REPL_TTL_ENTRIES */
};

struct sr_repl_writer_stats {
	uint64_t events_replicated;  /* settled durable */
	uint64_t batches;            /* chunks settled durable */
	uint64_t events_dropped;     /* settled not durable: backlog full, node demoted */
	uint64_t events_rejected;    /* settled not durable: Redis refused them for good */
	uint64_t events_invalid;     /* refused by sr_repl_writer_add: cannot be encoded */
	uint64_t backlog_events, backlog_bytes;
	uint64_t lag_ms;             /* age of the oldest unsettled change */
	uint64_t resyncs;            /* full resynchronisations completed */
	uint64_t resync_failures;
	uint64_t retries;            /* rewinds after a failed chunk */
	uint64_t wait_shortfalls;    /* WAIT answered fewer replicas than asked */
	uint64_t redis_errors;       /* error replies */
	uint64_t last_seq, settled_seq;
	bool resync_pending;
};

struct sr_repl_writer;

struct sr_repl_writer *sr_repl_writer_new(const struct sr_repl_writer_cfg *cfg, struct sr_repl_client *cl,
					  const uint64_t *now_ms, sr_repl_settled_fn *settled, void *ctx,
					  const struct sr_repl_snapshot_src *snap);
/* Settles nothing more; the client must be freed first (its callbacks reference the writer). */
void sr_repl_writer_free(struct sr_repl_writer *w);

/* Starts writing as the active node of 'epoch'; resync: rewrite Redis from the node's own state first. */
void sr_repl_writer_activate(struct sr_repl_writer *w, uint64_t epoch, bool resync);
/* Stops writing (demoted): unsent changes are settled not durable. */
void sr_repl_writer_deactivate(struct sr_repl_writer *w);
void sr_repl_writer_request_resync(struct sr_repl_writer *w);

/*
 * Takes a committed change (copied); returns its sequence number, or 0
 * when not active, out of memory, or the change cannot be encoded (AoR
 * empty or over 65535 bytes, a put without a record, a removal with one).
 */
uint64_t sr_repl_writer_add(struct sr_repl_writer *w, const struct sr_repl_change *c);

/* Sends what can be sent; call every poll. */
void sr_repl_writer_step(struct sr_repl_writer *w);

/* Active, Redis reachable, nothing being recovered: a change added now is expected to become durable. */
bool sr_repl_writer_available(const struct sr_repl_writer *w);
bool sr_repl_writer_idle(const struct sr_repl_writer *w);

void sr_repl_writer_stats(const struct sr_repl_writer *w, struct sr_repl_writer_stats *out);
const char *sr_repl_writer_last_error(const struct sr_repl_writer *w);

#endif
