/*
 * replicate.h - sipreg's replication on Redis wired into the control core
 * (lib/replication does the Redis side; docs/REPLICATION.md, "Wiring").
 *
 * The control core opens lib/replication at start and drives it every
 * loop turn (replicate.c). As the active node it hands over every change
 * LMDB committed, the same batch the listener stream announces, and reads
 * LMDB back for a full resynchronisation. As the standby it applies what
 * it follows to its own shards through the location store, by a message
 * to the owning worker per change (replicate_apply.c), so the control core
 * never waits on a worker. The role decides whether the node answers for
 * the service address at all (replicate_role.c, on the workers).
 *
 * Requires control.persistence (the committed events and the snapshot come
 * from it; a standby keeps its own LMDB warm too). replication.durability
 * =sync needs control.durability=sync: the 200 waits for both through the
 * store's hold (persist_repl.c).
 */
#ifndef SR_REPLICATE_H
#define SR_REPLICATE_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "app.h"
#include "ctl_batch.h"
#include "ctl_out.h"
#include "ctl_stats.h"

/* After sr_persist_init, before the workers run. 0 (also when replication is off), or -1 after a message. */
int sr_replicate_init(struct sr_app *app);
/* After the workers stopped and persistence's last commit: a short flush (bounded), then closes. */
void sr_replicate_fini(struct sr_app *app);

/* Control core, every loop turn; returns the work done (0: idle). */
unsigned sr_replicate_poll(struct sr_app *app, uint64_t now_ms);
/*
 * Control core: a batch LMDB has just committed (called before the listener
 * announces it). Returns how many of its changes were refused (always 0 for
 * async durability; with sync, a node not active or a Redis not available
 * refuses them all); first/last (may be NULL) receive the replication
 * sequence numbers of the changes handed over (0, 0: none).
 */
unsigned sr_replicate_committed(struct sr_app *app, const struct sr_ctl_batch *b, uint64_t *first, uint64_t *last);
/*
 * Control core, sync durability: whether the changes first..last are all
 * settled, and if so whether all of them are durable. Asked in increasing
 * order (older failures are forgotten).
 */
bool sr_replicate_settled(struct sr_app *app, uint64_t first, uint64_t last, bool *durable);
/* Control core: whether a change committed now is expected to reach Redis (sr_repl_available). */
bool sr_replicate_available(const struct sr_app *app);

/* Command threads: `sipregctl promote` (done by the control core at its next turn), and the status. */
void sr_replicate_cmd_promote(struct sr_app *app, struct sr_ctl_out *out);
void sr_replicate_cmd_status(struct sr_app *app, struct sr_ctl_out *out);

/* Worker: a frame that reached a standby (not serving): counted and freed. */
void sr_replicate_standby_drop(struct sr_worker *w, struct rte_mbuf *m);
/* Worker, every loop turn: applies the standby's changes for its shard, announces a takeover. */
unsigned sr_replicate_worker_poll(struct sr_worker *w, uint64_t now_ms);

/* Replication's figures for the one walk of stats.c (nothing when replication is off). */
void sr_replicate_stats_walk(const struct sr_app *app, struct sr_stats_sink *s);

/* Whether the node answers for the service address (false: a standby; frames to it are dropped). */
static inline bool sr_app_serving(const struct sr_app *app)
{
	return __atomic_load_n(&app->standby, __ATOMIC_ACQUIRE) == 0;
}

#endif
