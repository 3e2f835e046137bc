/*
 * persist.h - the data plane's side of persistence: per-worker event rings
 * to the control core, batched LMDB commits there, what happens when a
 * commit fails, and restore at start.
 *
 * Each worker owns one single-producer/single-consumer rte_ring of event
 * slots (fixed-size buffers from the worker's own mempool). Before the
 * location store makes a change it claims room for the change's events
 * (sr_persist_claim: a slot each, and a malloc'd buffer for a record that
 * does not fit a slot); a change without room is not made and the REGISTER
 * gets 500 with Retry-After. The binding event callback then encodes each
 * event's record (lib/ctl/ctl_record.h) into its slot and enqueues it: no
 * lock, no malloc for a record that fits, no system call. The control core
 * dequeues, appends to a ctl_batch, commits when the batch is due
 * (control.flush_ms or control.batch_events) and returns the slots.
 *
 * durability=sync (group commit): the registrar writes each change's 200
 * and its retraction (a 500 with Retry-After; with replication.durability=
 * sync also a 503 with Retry-After for a refusal by Redis); the worker
 * holds them behind the change's newest event sequence number and sends
 * the 200 when the control core says the event is committed, the
 * retraction of the cause when it says it failed (ctl_verdict.h). In sync mode a batch is committed as soon as
 * the rings are drained, so the events that arrive during one fsync form
 * the next group. A failed commit fails its batch: its AoRs are resynced
 * from the committed store by their owner workers (persist.c), so memory
 * and disk agree again.
 *
 * durability=async: a failed commit keeps its events and is retried with a
 * growing pause until space returns; the registrar goes on answering.
 *
 * Failures are counted in /sipreg/stats and /metrics (sipreg_persist_*)
 * and logged, rate-limited; the worker never waits.
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

/*
 * Worker side: the location store's room callbacks (struct sr_loc_room;
 * ctx is the struct sr_worker). Room is always granted when persistence is
 * off.
 */
bool sr_persist_claim(void *ctx, enum sr_event_type type, const struct sr_loc_binding *b);
void sr_persist_release_room(void *ctx);

/* Worker side: called from the worker's event callback. */
void sr_persist_emit(struct sr_app *app, unsigned worker, const struct sr_loc_event *ev);

/*
 * Worker side: a response's frames (n, of one response); change: it
 * acknowledges a change (events were emitted for it), with, in sync mode,
 * its retraction frame (NULL when no mbuf was left for it: the change's
 * frames are then dropped if it fails, and the UA retransmits) and, with sync
 * replication, the retraction for a refusal by Redis (the 503; NULL: the
 * 500 serves; freed here when nothing is held). Returns how
 * many of frames[] the caller sends now: n (async, or nothing to wait for),
 * 0 (held until the change is decided, or dropped because the hold queue is
 * full and there is no retraction: counted, the UA retransmits), or 1 with
 * frames[0] the retraction (the hold queue is full: a change that cannot
 * wait for its commit is not acknowledged).
 */
unsigned sr_persist_hold(struct sr_app *app, unsigned worker, struct rte_mbuf **frames, unsigned n, bool change,
			 struct rte_mbuf *retraction, struct rte_mbuf *retraction_replica);
/*
 * Worker side, every loop: applies the control core's resync requests,
 * then moves the held responses now decided into out[] (the 200, or the
 * retraction of a change that failed), oldest first; returns how many.
 */
unsigned sr_persist_release(struct sr_app *app, unsigned worker, struct rte_mbuf **out, unsigned max,
			    uint64_t now_ms);

/* Control side: one live line on the listener stream (RFC 8599 contactRefresh); nothing without the stream. */
void sr_persist_listener_line(struct sr_app *app, const char *json, size_t len);

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
	bool failing;                       /* the last commit failed */
	uint64_t refused_no_slot, refused_no_memory; /* changes refused for want of room (500) */
	uint64_t events_failed;             /* sync: events of failed commits */
	uint64_t events_dropped_resync;     /* sync: events of AoRs being resynced, dropped */
	uint64_t retracted;                 /* sync: held 200s replaced by their 500 or 503 */
	uint64_t retracted_replica;         /* of them, replication sync: by the 503 (Redis refused) */
	uint64_t resync_requests, resynced, resync_incomplete;
	uint64_t backlog_events;            /* async: events kept while commits fail */
	bool listen; /* the listener socket is served: 'lc' holds its counters */
	struct sr_ctl_listener_counts lc;
};
/* Returns false (and fills nothing) when persistence is off. */
bool sr_persist_figures(const struct sr_app *app, struct sr_persist_figures *f);

/* After the workers stopped: commits everything still queued and closes the store. */
void sr_persist_fini(struct sr_app *app);

#endif
