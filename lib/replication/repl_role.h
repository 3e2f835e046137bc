/*
 * repl_role.h - active/standby roles and epoch fencing as a state machine.
 *
 * Pure: it never talks to Redis. The driver (repl.c) asks it for the next
 * request (sr_repl_role_next), sends it, and feeds the answer back
 * (sr_repl_role_on_*); every input carries the time, so unit tests drive
 * it with a fake clock. At most one request is in flight.
 *
 * The facts it works from live in Redis (repl_layout.h): the epoch, an
 * integer that only a promotion increments (compare-and-set in the
 * sr2_promote function), and the heartbeat, "NODE EPOCH MS", which the
 * active node rewrites every interval with a lifetime of failover_ms.
 *
 *   STARTING  --probe: heartbeat of another node--> STANDBY (follows it)
 *   STARTING  --probe: no heartbeat, want active--> PROMOTING (not forced)
 *   STARTING  --probe: our own heartbeat (a quick restart), want active--> PROMOTING (forced)
 *   STANDBY   --heartbeat absent, auto failover, Redis seen for >= failover_ms--> PROMOTING
 *   STANDBY   --sr_repl_role_promote (command)--> PROMOTING (forced: ignores a live heartbeat)
 *   PROMOTING --{1, e}--> ACTIVE with epoch e
 *   PROMOTING --{0, e} epoch moved / {-1} heartbeat alive--> back, probe again
 *   ACTIVE    --beat answers {0, e}: a newer epoch--> STANDBY (demoted, says so)
 *
 * A node that comes back after being replaced finds the other node's
 * heartbeat and starts as standby; if it was fenced while away, its first
 * beat sees the newer epoch. An active node that cannot reach Redis stays
 * active (the workers keep serving from memory); it learns of a newer
 * epoch as soon as Redis answers again.
 */
#ifndef SR_REPL_ROLE_H
#define SR_REPL_ROLE_H

#include <stdbool.h>
#include <stdint.h>

#include "repl_layout.h"

enum sr_repl_role_state { SR_ROLE_STARTING, SR_ROLE_STANDBY, SR_ROLE_PROMOTING, SR_ROLE_ACTIVE };

enum sr_repl_role_req_kind { SR_ROLE_REQ_PROBE, SR_ROLE_REQ_PROMOTE, SR_ROLE_REQ_BEAT };

struct sr_repl_role_req {
	enum sr_repl_role_req_kind kind;
	uint64_t epoch; /* PROMOTE: the epoch seen (compare-and-set); BEAT: ours */
	bool force;     /* PROMOTE: ignore a live heartbeat */
};

/* What a transition means for the rest of the module. */
enum sr_repl_role_event {
	SR_ROLE_EV_NONE,
	SR_ROLE_EV_ACTIVE,  /* became active (sr_repl_role.from_standby says from where) */
	SR_ROLE_EV_STANDBY, /* became standby (at start, or demoted: see 'why') */
	SR_ROLE_EV_FOLLOW,  /* standby: the active node (or its epoch) changed */
};

/* The answer to a PROBE: the heartbeat and the epoch key. */
struct sr_repl_probe {
	bool hb_present;
	char hb_node[SR_REPL_NAME_MAX + 1];
	uint64_t hb_epoch;
	uint64_t epoch;
};

struct sr_repl_role {
	/* settings */
	char node[SR_REPL_NAME_MAX + 1];
	bool want_active, auto_failover;
	uint32_t failover_ms, interval_ms;
	/* state */
	enum sr_repl_role_state state, before_promote;
	bool in_flight;
	bool promote_pending, promote_force;
	bool promote_cmd;             /* a promotion command not yet carried out */
	bool from_standby;            /* ACTIVE: promoted from a (warm) standby rather than at start */
	uint64_t next_ms;
	bool redis_seen;              /* probes have succeeded without a failure ... */
	uint64_t redis_seen_since;    /* ... since then */
	uint64_t epoch;               /* ACTIVE: ours; otherwise the last one read */
	bool target_known;            /* STANDBY: an active node to follow */
	char target[SR_REPL_NAME_MAX + 1];
	uint64_t target_epoch;
	uint64_t last_beat_ok_ms;
	char why[160];                /* the reason of the last transition */
	/* counters */
	uint64_t failovers;           /* promotions of this node from standby (automatic or commanded) */
	uint64_t demotions;           /* fenced by a newer epoch while active */
	uint64_t fenced_starts;       /* wanted active at start, found another active */
	uint64_t beat_failures;
};

void sr_repl_role_init(struct sr_repl_role *r, const char *node, bool want_active, bool auto_failover,
		       uint32_t failover_ms, uint32_t interval_ms, uint64_t now_ms);

/* The request to send now, if one is due (then it is in flight until its answer is fed back). */
bool sr_repl_role_next(struct sr_repl_role *r, uint64_t now_ms, struct sr_repl_role_req *req);

/* Answers. ok=false: no answer (Redis unreachable, timeout, error reply). */
enum sr_repl_role_event sr_repl_role_on_probe(struct sr_repl_role *r, uint64_t now_ms, bool ok,
					      const struct sr_repl_probe *p);
/* result: 1 promoted with 'epoch'; 0 the epoch moved to 'epoch'; -1 a heartbeat is alive. */
enum sr_repl_role_event sr_repl_role_on_promote(struct sr_repl_role *r, uint64_t now_ms, bool ok, int result,
						uint64_t epoch);
/* result: 1 beat stored; 0 fenced by the newer 'epoch'. */
enum sr_repl_role_event sr_repl_role_on_beat(struct sr_repl_role *r, uint64_t now_ms, bool ok, int result,
					     uint64_t epoch);

/* The promotion command (sipregctl promote): forced, carried out at the next request. */
void sr_repl_role_promote(struct sr_repl_role *r);

const char *sr_repl_role_state_name(enum sr_repl_role_state s);

#endif
