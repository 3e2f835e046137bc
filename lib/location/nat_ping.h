/*
 * nat_ping.h - NAT keepalives from the registrar side (issue 12 item 3),
 * sans-I/O: one pinger per shard, driven by the shard's clock, sending
 * through a callback.
 *
 * Which contacts: a binding registered from behind NAT (SR_BFLAG_NAT: its
 * REGISTER came from another address than its Contact's host:port) gets an
 * OPTIONS request at the REGISTER's source; an RFC 5626 outbound binding
 * (reg-id) gets the double CRLF keepalive on its flow instead. A binding
 * with a Path is left to the edge proxy that holds its flow (the Path's
 * first hop, not the UA, is what we reach).
 *
 * Design decisions:
 * - Schedule: a cursor walks the store's AoR table at a fixed rate. Each
 *   round of ping_interval visits the AoRs the shard had when the round
 *   began, advancing by (AoRs * elapsed / interval) as time passes, so the
 *   pings of a shard are spread evenly over the interval (no burst every
 *   30 s) and no per-binding timer or list is kept. A round that finishes
 *   early waits for its interval to end; one that falls behind (budget)
 *   catches up at the next calls.
 * - Stateless OPTIONS: no client transaction is created. A ping is one
 *   datagram without retransmission (its next copy is simply the next
 *   round's ping); the answer is recognised from its branch alone, which
 *   carries the owning worker, the AoR's hash, the binding id, a ping
 *   number (a new transaction each time) and a 48-bit MAC under the shard
 *   secret ("z9hG4bKsn" + 2 + 16 + 16 + 8 + 12 hex). So a
 *   ping costs no memory while in flight, any worker can route an answer to
 *   its owner without a table, and a forged answer cannot keep a dead
 *   contact alive.
 * - Liveness: the number of pings a binding left unanswered (keepalive.h,
 *   zero bytes per binding). At a binding's turn, when it has missed
 *   ceil(ping_timeout / ping_interval) pings in a row it has been silent
 *   for at least ping_timeout and is removed through the store (a normal
 *   removal event), else it is pinged. A REGISTER refresh or any response
 *   to a ping resets the count. So removal happens between ping_timeout and
 *   ping_timeout + ping_interval after the last sign of life.
 * - Outbound (CRLF) bindings are pinged but never removed by us: over UDP
 *   the pong is a bare CRLF that names no binding (it could only be matched
 *   by its source address, which needs an index by address); an RFC 5626
 *   UA detects a dead flow itself and re-registers.
 */
#ifndef SR_NAT_PING_H
#define SR_NAT_PING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "location.h"
#include "sip_str.h"

#define SR_NAT_BRANCH_LEN 63
/* Unanswered pings a binding can count (binding.h); ping_timeout / ping_interval may not exceed it. */
#define SR_NAT_MAX_MISSED 63u

struct sr_nat_ping_config {
	uint32_t interval_s;  /* 0: no keepalives */
	uint32_t timeout_s;   /* 0: silent contacts are not removed */
	uint8_t worker;       /* written into each branch: the owner of the answer */
	uint64_t secret[2];   /* keys the branch MAC */
	struct sr_str self;   /* "ip:port" for Via and From */
};

/* Sends one datagram to ip:port (network order ip, host order port). */
typedef void sr_nat_send_fn(void *ctx, uint32_t ip, uint16_t port, const char *bytes, size_t len);

struct sr_nat_ping_stats {
	uint64_t sent;      /* OPTIONS and CRLF keepalives sent */
	uint64_t crlf;      /* of which double-CRLF (outbound flows) */
	uint64_t answered;  /* responses to our OPTIONS from a binding still there */
	uint64_t failed;    /* bindings removed after ping_timeout of silence */
	uint64_t stray;     /* answers naming no binding (removed since) or with a bad MAC */
	uint64_t rounds;    /* completed walks of the table */
};

struct sr_nat_ping;

/* NULL on a bad configuration (self empty or over 64 bytes, timeout over SR_NAT_MAX_MISSED intervals) or no memory. */
struct sr_nat_ping *sr_nat_ping_create(const struct sr_nat_ping_config *cfg, sr_nat_send_fn *send, void *send_ctx,
				       uint64_t now_ms);
void sr_nat_ping_free(struct sr_nat_ping *np);

/*
 * Visits the AoRs due by now_ms (at most budget of them): pings, and
 * removes silent bindings. Returns the AoRs visited.
 */
unsigned sr_nat_ping_advance(struct sr_nat_ping *np, struct sr_loc *loc, uint64_t now_ms, unsigned budget);

/* Whether a top Via branch is one of our pings' (the form only); *worker receives its owner. */
bool sr_nat_ping_branch_owner(struct sr_str branch, unsigned *worker);
/*
 * A response whose top Via branch is ours: the binding it names is alive.
 * Returns true when it named a binding of loc (counted answered), false
 * otherwise (counted stray).
 */
bool sr_nat_ping_answer(struct sr_nat_ping *np, struct sr_loc *loc, struct sr_str branch);

const struct sr_nat_ping_stats *sr_nat_ping_stats(const struct sr_nat_ping *np);

/* The pings' bytes, for benchmarks and tests: the OPTIONS for binding b of AoR a; 0 if it does not fit. */
size_t sr_nat_ping_options(struct sr_nat_ping *np, struct sr_loc *loc, const struct sr_aor *a,
			   const struct sr_binding *b, char *out, size_t cap);

#endif
