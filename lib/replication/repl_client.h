/*
 * repl_client.h - commands to one Redis or to a Redis Cluster, by slot.
 *
 * One Redis ("HOST:PORT"): one connection, or 'lanes' connections after
 * sr_repl_client_set_lanes (a slot goes to lane slot % lanes; the lanes
 * then count as the masters below). A cluster (two or more seed nodes): the slot map comes from CLUSTER SLOTS (asked of any
 * reachable node), there is one connection per master, and each command
 * goes to the master of its slot (repl_slot.h). The client follows the
 * cluster's redirections itself:
 * - MOVED slot host:port: the slot has a new owner; the map entry is
 *   updated at once, a full CLUSTER SLOTS refresh is scheduled, and the
 *   command is sent again to the new owner;
 * - ASK slot host:port: the key is being migrated; the command is sent
 *   again, once, to the target preceded by ASKING; the map is unchanged.
 * Order: a redirected command is re-sent when its reply arrives, in the
 * order the old node answered. A command issued meanwhile to the new
 * owner could overtake it, so after any redirection the client refuses
 * new commands (sr_repl_client_send returns -1 with 'paused') until every
 * outstanding command has been answered; writes to one AoR therefore keep
 * their order across a resharding. Redirections are rare (resharding, a
 * master failing over), so the pause costs nothing in steady state.
 *
 * A command queued inside MULTI is sent with SR_REPL_NO_REDIRECT: re-sent
 * alone to the new owner, it would run outside its transaction while EXEC
 * on the old node aborts. Its MOVED/ASK updates the map as above (and
 * pauses the client) but is handed back as the error it is; the caller
 * re-sends the whole transaction.
 *
 * A master whose connection fails makes the client ask for the slot map
 * again every back-off period, so that a replica the cluster promoted is
 * found and used.
 */
#ifndef SR_REPL_CLIENT_H
#define SR_REPL_CLIENT_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>

#include "repl_config.h"
#include "repl_conn.h"
#include "repl_slot.h"

#define SR_REPL_MAX_NODES 64
#define SR_REPL_ANY_SLOT (-1)

struct sr_repl_client;

/* The reply of a command (NULL: not answered; an error reply is passed on, redirections never are). */
typedef void sr_repl_client_fn(struct sr_repl_client *cl, redisReply *reply, void *priv);

struct sr_repl_client_counts {
	uint64_t moved, ask, map_refreshes, errors, timeouts, reconnects;
	unsigned masters, masters_up; /* one Redis: its lanes (1 without sr_repl_client_set_lanes) */
};

/*
 * Returns NULL with a message in err on a bad endpoint list. functions:
 * load the replication functions on masters (the role client's). now:
 * the owner's clock in ms, read at every call.
 */
struct sr_repl_client *sr_repl_client_new(const char *redis, bool functions, const uint64_t *now,
					  uint32_t timeout_ms, uint32_t backoff_max_ms, char *err, size_t err_len);
void sr_repl_client_free(struct sr_repl_client *cl);

bool sr_repl_client_is_cluster(const struct sr_repl_client *cl);

/*
 * One Redis: 'lanes' connections instead of one, before anything is sent;
 * a command for a slot goes to lane slot % lanes, so one key's commands
 * keep their order, and the lanes count as masters (sr_repl_client_masters,
 * sr_repl_client_master_of, sr_repl_client_send_master). Why: Redis reads at
 * most 16 KB of a connection per event-loop turn and, with appendfsync
 * always, fsyncs once per turn before answering, so one connection gets
 * about 16 KB per fsync; each lane adds its own 16 KB to the same fsync
 * (bench/RESULTS.md). 0, or -1 (a cluster, already set, or out of memory).
 */
int sr_repl_client_set_lanes(struct sr_repl_client *cl, unsigned lanes);
/* Every command goes through one connection (one Redis, one lane): pipeline order holds across keys. */
bool sr_repl_client_one_pipe(const struct sr_repl_client *cl);

/* Every slot has a master and every master's connection is ready, and no redirection pause. */
bool sr_repl_client_ready(const struct sr_repl_client *cl);
/* Whether the master of 'slot' (SR_REPL_ANY_SLOT: any master) can take a command now. */
bool sr_repl_client_slot_ready(const struct sr_repl_client *cl, int slot);

/*
 * Sends a command to the master of 'slot' (SR_REPL_ANY_SLOT: the first
 * ready master). The arguments are copied. Returns 0 (fn will be called
 * exactly once), or -1 when the slot's master is not ready or the client
 * is paused (fn is not called).
 */
int sr_repl_client_send(struct sr_repl_client *cl, int slot, int argc, const char **argv, const size_t *lens,
			uint32_t extra_ms, sr_repl_client_fn *fn, void *priv);

/* A MOVED/ASK reply is handed back, not followed (commands queued inside MULTI). */
#define SR_REPL_NO_REDIRECT 1u
/* sr_repl_client_send with flags (SR_REPL_NO_REDIRECT). */
int sr_repl_client_send_flags(struct sr_repl_client *cl, int slot, int argc, const char **argv, const size_t *lens,
			      uint32_t extra_ms, unsigned flags, sr_repl_client_fn *fn, void *priv);

/* Masters (one Redis: lanes), for commands that go to each of them (SCAN, WAIT). */
unsigned sr_repl_client_masters(const struct sr_repl_client *cl);
/* Sends to the i-th master (0 .. masters-1); same contract as sr_repl_client_send. */
int sr_repl_client_send_master(struct sr_repl_client *cl, unsigned i, int argc, const char **argv,
			       const size_t *lens, uint32_t extra_ms, sr_repl_client_fn *fn, void *priv);
/* The index (0 .. masters-1) of the master owning 'slot' (one Redis: its lane), or -1. */
int sr_repl_client_master_of(const struct sr_repl_client *cl, int slot);

/* Timers (connects, timeouts, map refreshes). Call before building the poll set. */
void sr_repl_client_tick(struct sr_repl_client *cl);
/* Adds this client's sockets to fds[] (up to max); returns how many were added. */
unsigned sr_repl_client_fds(struct sr_repl_client *cl, struct pollfd *fds, unsigned max);
/* Handles poll's results for the entries sr_repl_client_fds added (same order). */
void sr_repl_client_handle(struct sr_repl_client *cl, const struct pollfd *fds, unsigned n);

void sr_repl_client_counts(const struct sr_repl_client *cl, struct sr_repl_client_counts *out);
/* The last connection error seen ("" when none). */
const char *sr_repl_client_last_error(const struct sr_repl_client *cl);

#endif
