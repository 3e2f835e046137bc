/*
 * persist.h - the data plane's side of persistence: per-worker event rings
 * to the control core, batched LMDB commits there, and restore at start.
 *
 * Each worker owns one single-producer/single-consumer rte_ring of event
 * slots (fixed-size buffers from the worker's own mempool). The binding
 * event callback encodes the event's record (lib/ctl/ctl_record.h) into a
 * slot and enqueues it: no lock, no malloc, no system call. The control
 * core dequeues, appends to a ctl_batch, commits when the batch is due
 * (control.flush_ms or control.batch_events) and returns the slots.
 *
 * durability=sync (group commit): the control core publishes per worker the
 * newest event sequence number committed; a worker holds each response
 * behind its own newest sequence number and sends it when that is reached.
 * In sync mode a batch is committed as soon as the rings are drained, so
 * the events that arrive during one fsync form the next group.
 *
 * An event that finds no slot (pool empty: the control core is behind) or
 * does not fit one (control.event_slot_bytes) is counted as lost by reason
 * in /sipreg/stats; the worker never waits.
 */
#ifndef SR_PERSIST_H
#define SR_PERSIST_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "app.h"
#include "ctl_listener.h"

/*
 * Opens the store in control.data_dir and restores its bindings into the
 * workers' shards (must run before the workers are launched). Returns 0,
 * or -1 after printing why to stderr. Does nothing when persistence is off.
 */
int sr_persist_init(struct sr_app *app);

/* Worker side: called from the worker's event callback. */
void sr_persist_emit(struct sr_app *app, unsigned worker, const struct sr_loc_event *ev);

/*
 * Worker side, durability=sync: takes a response frame to hold until the
 * worker's newest event is committed (true), or returns false when it may
 * go out now (async, or nothing uncommitted and nothing held before it).
 * A full hold queue drops the frame (counted; the UA retransmits).
 */
bool sr_persist_hold(struct sr_app *app, unsigned worker, struct rte_mbuf *m);
/* Worker side: the held frames now committed, oldest first; returns how many. */
unsigned sr_persist_release(struct sr_app *app, unsigned worker, struct rte_mbuf **out, unsigned max);

/* Control side: drains the rings and commits a due batch. Returns events drained. */
unsigned sr_persist_poll(struct sr_app *app, uint64_t now_ms);

/*
 * The store, for the control commands that read it (dump, snapshot: LMDB
 * read transactions on their own thread); NULL when persistence is off or
 * did not start.
 */
struct sr_ctl_store *sr_persist_store(const struct sr_app *app);

/* Persistence figures for /sipreg/stats and /metrics (read with relaxed loads). */
struct sr_persist_figures {
	bool sync;
	uint64_t events_committed, batches, commit_errors, commit_lag_ms;
	uint64_t restored, restore_dropped, restore_us;
	uint64_t store_bindings, store_bytes;
	uint64_t hold_full, lost_no_slot, lost_oversize;
	bool listen; /* the listener socket is served: 'lc' holds its counters */
	struct sr_ctl_listener_counts lc;
};
/* Returns false (and fills nothing) when persistence is off. */
bool sr_persist_figures(const struct sr_app *app, struct sr_persist_figures *f);

/* After the workers stopped: commits everything still queued and closes the store. */
void sr_persist_fini(struct sr_app *app);

#endif
