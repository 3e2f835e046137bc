/*
 * net_flood.h - flood protection for one worker: per-source-IP token
 * buckets and a block list for sources that keep failing authentication.
 *
 * Design decisions:
 * - Pure functions over a caller-supplied clock (milliseconds), so tests
 *   drive time by hand and the worker passes the TSC clock it already has.
 * - Fixed-size table allocated once: 4-way set-associative, keyed by the
 *   IPv4 source. A new source replaces the least recently seen entry of its
 *   set, preferring entries that are not blocked, so a spray of spoofed
 *   sources cannot easily wash a blocked address out. No allocation, no
 *   lock, no system call per packet.
 * - Tokens are kept in thousandths: a rate of R per second adds R
 *   thousandths per millisecond, exact in integers.
 * - One table per worker, touched only by it. The bucket is checked by the
 *   worker that receives a datagram (RSS keeps a source on one queue); the
 *   authentication failures are recorded by the worker that owns the AoR,
 *   in its own table, and its shard's requests from a blocked source are
 *   refused there. Anything that decides "authentication failed" calls
 *   sr_flood_auth_failure() on the owning worker's table.
 */
#ifndef SR_NET_FLOOD_H
#define SR_NET_FLOOD_H

#include <stdint.h>

struct sr_flood_params {
	uint32_t rate;          /* requests per second per source; 0: no rate limit */
	uint32_t burst;         /* bucket depth; 0: same as rate */
	uint32_t fail_limit;    /* authentication failures that block a source; 0: never block */
	uint32_t fail_window_s; /* ... within this many seconds */
	uint32_t block_s;       /* how long a source stays blocked */
	uint32_t slots;         /* table entries (rounded up to a power of two, at least 4) */
};

enum sr_flood_verdict {
	SR_FLOOD_PASS,
	SR_FLOOD_LIMITED, /* over its rate */
	SR_FLOOD_BLOCKED, /* blocked after repeated authentication failures */
};

struct sr_flood_stats {
	uint64_t passed, limited, blocked;
	uint64_t blocks;    /* times a source got blocked */
	uint64_t evictions; /* entries replaced by another source */
};

struct sr_flood;

/* Returns NULL with *err set (static text) on bad parameters or no memory. */
struct sr_flood *sr_flood_create(const struct sr_flood_params *p, const char **err);
void sr_flood_free(struct sr_flood *f);

/*
 * One request from ip (any byte order, used as a key) at now_ms: takes a
 * token. *retry_after_s (may be NULL) gets the seconds a refused source
 * should wait (at least 1).
 */
enum sr_flood_verdict sr_flood_admit(struct sr_flood *f, uint32_t ip, uint64_t now_ms,
				     uint32_t *retry_after_s);
/* Whether ip is blocked, without taking a token. */
enum sr_flood_verdict sr_flood_check_blocked(struct sr_flood *f, uint32_t ip, uint64_t now_ms,
					     uint32_t *retry_after_s);
/* Records a failed authentication; blocks the source at fail_limit failures within the window. */
void sr_flood_auth_failure(struct sr_flood *f, uint32_t ip, uint64_t now_ms);
/* A successful authentication forgets the source's failures. */
void sr_flood_auth_success(struct sr_flood *f, uint32_t ip);

void sr_flood_get_stats(const struct sr_flood *f, struct sr_flood_stats *st);

#endif
