/*
 * repl.h - sipreg's replication on Redis: the one module the control core
 * talks to.
 *
 * It ties together the writer (repl_writer.h: committed changes into
 * Redis, with a durability report), the follower (repl_follow.h: the
 * standby applies the active's changes), and the role state machine
 * (repl_role.h: heartbeat, promotion, epoch fencing), each over its own
 * Redis client (repl_client.h): the heartbeat never queues behind the
 * writer's pipeline, and the follower's XREAD BLOCK holds its connection.
 *
 * Threading and I/O: everything runs on the caller's thread (the control
 * core), nothing blocks, and there is no thread of its own. Each loop the
 * caller either calls sr_repl_poll(r, now_ms), which polls the sockets
 * without waiting, or, to sleep in one poll(2) over its own sockets too,
 * sr_repl_pollfds then poll then sr_repl_dispatch. now_ms is Unix time in
 * milliseconds (binding expiries are Unix seconds). The workers never
 * call into this module.
 *
 * Active node: for each committed change (the same events that feed LMDB)
 * the control core calls sr_repl_add and keeps the returned sequence
 * number with whatever waits for it (sync durability: the held 200); the
 * settled callback then says, in order, that every change up to a number
 * is durable in Redis (200 may go) or will not be (answer 503 with
 * Retry-After). While sr_repl_available is false (Redis unreachable,
 * resynchronising, backlog full), sync mode should answer 503 at once.
 *
 * Standby node: the follow callback receives a snapshot (BEGIN, BINDING...,
 * END) and then each change as the active commits it; the control core
 * applies them to its shards. It calls sr_repl_promote for `sipregctl
 * promote`; the role callback says when the node becomes active (the
 * follower has read what the stream held; from then on it must serve and
 * call sr_repl_add) or standby (at start, or demoted by a newer epoch).
 */
#ifndef SR_REPL_H
#define SR_REPL_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>

#include "repl_client.h"
#include "repl_config.h"
#include "repl_follow.h"
#include "repl_layout.h"
#include "repl_role.h"
#include "repl_writer.h"

struct sr_repl_callbacks {
	void *ctx;
	sr_repl_settled_fn *settled;              /* active: changes up to a number are settled */
	void (*role)(void *ctx, bool active, uint64_t epoch, const char *why);
	sr_repl_follow_fn *follow;                /* standby: snapshot and changes to apply */
	struct sr_repl_snapshot_src snapshot;     /* active: the node's own state, for resynchronisation */
};

/* Every figure /metrics publishes (names in docs/REPLICATION.md). */
struct sr_repl_stats {
	struct sr_repl_writer_stats w;
	struct sr_repl_follow_stats f;
	struct sr_repl_client_counts redis;        /* the writer's client */
	struct sr_repl_client_counts redis_follow; /* the follower's client */
	enum sr_repl_role_state role;
	bool active;                               /* serving as the active node (after the drain) */
	bool available;                            /* sr_repl_available */
	uint64_t epoch;
	uint64_t failovers, demotions, fenced_starts, beat_failures;
	uint64_t last_beat_ms;                     /* when the last heartbeat was stored (Unix ms) */
};

struct sr_repl;

/* Opens the clients (connections start at the first poll). Returns 0, or -1 with a message. */
int sr_repl_open(const struct sr_repl_config *cfg, const struct sr_repl_callbacks *cb, uint64_t now_ms,
		 struct sr_repl **out, char *err, size_t err_len);
void sr_repl_close(struct sr_repl *r);

/* One non-blocking turn: timers, sockets, role, writer, follower. */
void sr_repl_poll(struct sr_repl *r, uint64_t now_ms);
/* The same turn split around the caller's own poll(2): fds to wait on, then their results. */
unsigned sr_repl_pollfds(struct sr_repl *r, uint64_t now_ms, struct pollfd *fds, unsigned max);
void sr_repl_dispatch(struct sr_repl *r, uint64_t now_ms, const struct pollfd *fds, unsigned n);

/* A committed change (active only): its sequence number, 0 when refused (see sr_repl_writer_add). */
uint64_t sr_repl_add(struct sr_repl *r, const struct sr_repl_change *c);
bool sr_repl_available(const struct sr_repl *r);
bool sr_repl_is_active(const struct sr_repl *r);

/* `sipregctl promote`. */
void sr_repl_promote(struct sr_repl *r);

void sr_repl_stats(const struct sr_repl *r, struct sr_repl_stats *out);
/* The latest problem in words ("" when none): connection errors, refused writes, fencing. */
const char *sr_repl_last_error(const struct sr_repl *r);

#endif
