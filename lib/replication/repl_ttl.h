/*
 * repl_ttl.h - what the writer knows of the TTL it gave each AoR key, so
 * that most puts need no expiry write (layout 2, docs/REPLICATION.md).
 *
 * The writer is the only writer of its AoR keys; this remembers, per AoR
 * (by the 64-bit SipHash of the key under a random key of the writer's,
 * repl_writer.c: UAs choose their AoRs, and with an unkeyed hash could
 * craft one that collides with another's entry), the TTL (Unix second, a bucket boundary:
 * sr_repl_key_ttl_s) it last set. A put whose key is known to live past
 * its binding's bucket sends a bare HSET; one whose key is known but too
 * short sends PEXPIREAT GT; one whose key is unknown (never set by this
 * writer, forgotten, evicted) sends PEXPIREAT NX and GT, since the key may
 * exist with any TTL, or not at all and be created by the HSET.
 *
 * "Known" must imply "the key exists in Redis with at least this TTL", so
 * an entry is forgotten whenever that may stop being true: a removal on
 * the AoR (its last field gone deletes the key), a resynchronisation (keys
 * are cleared), any failure (Redis may have restarted without the data),
 * and when its TTL has passed. Forgetting only costs an expiry write.
 *
 * A fixed 4-way set-associative table (8 bytes an entry, sized at
 * creation; sets of 4 in 32 bytes): a lookup reads one set; a full set
 * evicts the entry whose TTL ends first, which again only costs a write.
 * (A direct-mapped table was measured: with 100,000 AoRs in 2^20 entries
 * its conflicts made 16 % of all puts write the expiry again.) An entry
 * keeps 40 bits of the hash beside the 24-bit TTL in hours, so two AoRs
 * are confused only if 40 + log2(sets) hash bits agree (about 2^-58 by
 * chance; not craftable without the writer's key); that would skip an
 * expiry write the other key needed, and the key could expire before a
 * binding: documented, not guarded. Pure, no I/O.
 */
#ifndef SR_REPL_TTL_H
#define SR_REPL_TTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sr_repl_ttl_write {
	SR_TTL_NONE, /* the key already lives long enough */
	SR_TTL_GT,   /* the key has a TTL, too short: PEXPIREAT GT */
	SR_TTL_NEW,  /* unknown: PEXPIREAT NX, then PEXPIREAT GT */
};

#define SR_REPL_TTL_WAYS 4

struct sr_repl_ttl {
	uint64_t *slot;
	size_t mask; /* sets - 1 */
};

/* entries: rounded up to a power of two (at least 1024). 0, or -1 when out of memory. */
int sr_repl_ttl_init(struct sr_repl_ttl *t, size_t entries);
void sr_repl_ttl_fini(struct sr_repl_ttl *t);
void sr_repl_ttl_clear(struct sr_repl_ttl *t);

/*
 * A put on the key of hash h needs its TTL to reach ttl_s (a bucket
 * boundary); now_s is the current time. Says which expiry write the put
 * needs and records the TTL the key will have once it is done.
 */
enum sr_repl_ttl_write sr_repl_ttl_put(struct sr_repl_ttl *t, uint64_t h, uint64_t ttl_s, uint64_t now_s);
/* A field of the key is deleted, or the key is: its TTL is no longer known. */
void sr_repl_ttl_forget(struct sr_repl_ttl *t, uint64_t h);

#endif
