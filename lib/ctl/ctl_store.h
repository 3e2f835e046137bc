/*
 * ctl_store.h - the LMDB environment that keeps every binding across
 * restarts.
 *
 * One environment per data directory with three named databases: "meta"
 * (the format version, checked on open), "bindings" (16-byte key ->
 * versioned record, ctl_record.h) and "midreg" (the mid-registrar's
 * records, 16-byte key -> ctl_midrec.h entry). Only the control core writes, one
 * transaction per batch of events; LMDB's single writer and lock-free
 * readers mean a snapshot (mdb_env_copy2) never stops the writer.
 *
 * Errors are returned with a message that names the directory, what is
 * wrong and how to recover; nothing here exits or prints.
 */
#ifndef SR_CTL_STORE_H
#define SR_CTL_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "ctl_batch.h"
#include "ctl_midrec.h"
#include "ctl_record.h"

/*
 * 3: records of version 3 (version 2 plus the push parameters), keyed by (AoR hash, binding id) (ctl_record.h).
 * Records of version 4 (plus the registered Allow) live beside them: the decoder reads both, so the
 * store's format stayed 3.
 * 4: the same records, keyed by (AoR hash rotated so that its slot leads, binding id): a restart's part
 * reads only its own slots (ctl_load.c). A format 3 store is migrated when opened (ctl_migrate.c).
 */
#define SR_CTL_STORE_FORMAT 4
#define SR_CTL_STORE_FORMAT_OLD_REWRITTEN 3 /* the old format an open rewrites to SR_CTL_STORE_FORMAT, not refuses */
/*
 * The marker while a migration is under way (written by its first
 * transaction, replaced by 4 in its last): a store holding keys of both
 * layouts, which a format 3 binary must refuse by its format check rather
 * than load and call corrupt. The meta key "migrate_resume" holds where the
 * walk stopped. Not a format of its own: no binary ever writes records in it.
 */
#define SR_CTL_STORE_FORMAT_MIGRATING 0x10004u
#define SR_CTL_STORE_DEFAULT_MAP (4ull << 30) /* address space only: the file grows as used */

struct sr_ctl_store;

/*
 * Opens (creating the directory and the environment when absent) the store
 * in 'dir'. Refuses, with -1 and a message in err[0..cap), a directory that
 * holds something else: a file that is not LMDB, an LMDB environment
 * without our format marker, or another format version. A store of format
 * 3 has its keys rewritten in format 4's layout first (ctl_migrate.c:
 * once, in batches; a run cut short is resumed by the next open).
 */
int sr_ctl_store_open(const char *dir, uint64_t map_size, struct sr_ctl_store **out, char *err,
		      size_t cap);
/*
 * The same, telling notice (a line, without the directory) just before a
 * format 3 store's keys are rewritten: at 10M bindings that takes minutes,
 * and a start that says nothing looks hung. notice NULL: told nothing.
 */
typedef void sr_ctl_store_notice_fn(void *ctx, const char *what);
int sr_ctl_store_open_noting(const char *dir, uint64_t map_size, sr_ctl_store_notice_fn *notice, void *notice_ctx,
			     struct sr_ctl_store **out, char *err, size_t cap);
/* How many format 3 keys the open rewrote (0: the store was of format 4 already). */
uint64_t sr_ctl_store_migrated(const struct sr_ctl_store *st);
void sr_ctl_store_close(struct sr_ctl_store *st);

/* Commits a batch in one write transaction: added/refreshed put, removed/expired delete; records likewise. */
int sr_ctl_store_commit(struct sr_ctl_store *st, const struct sr_ctl_batch *b, char *err, size_t cap);

/* Called per live binding during a load; returns 0 to go on, else the load stops with an error. */
typedef int sr_ctl_load_fn(void *ctx, const struct sr_loc_binding *b, const char **why);

struct sr_ctl_load_stats {
	uint64_t loaded;   /* given to the callback */
	uint64_t dropped;  /* expired at now_s: deleted from the store, not given */
	uint64_t advised;  /* bytes of the map read ahead (ctl_readahead.c); 0: the map was not found */
};

/*
 * Walks every binding; those with expires <= now_s are deleted instead. A
 * record that does not decode, or whose key is not its AoR's, stops the
 * load with its key in the message (a half-restored registrar is worse
 * than one that refuses to start).
 */
int sr_ctl_store_load(struct sr_ctl_store *st, uint32_t now_s, sr_ctl_load_fn *fn, void *ctx,
		      struct sr_ctl_load_stats *stats, char *err, size_t cap);

/*
 * A restart's restore split into parts that run at the same time, one
 * thread each (ctl_load.c): part i gets the bindings whose AoR hash slot
 * (sr_ctl_slot_of(sr_hash64), ctl_record.h) part_of maps to i, and its fn
 * is called on that part's thread only, so a location store filled by one
 * part stays single-writer. part_of is asked once per slot, before any
 * part starts. Same rules as sr_ctl_store_load (expired ones deleted once
 * every part is done; a bad record refuses the whole load).
 */
#define SR_CTL_MAX_PARTS 64
typedef unsigned sr_ctl_part_fn(void *ctx, unsigned slot);
/* Called per live binding of a part; aor_hash64 is sr_hash64(b->aor), checked against the key. */
typedef int sr_ctl_restore_fn(void *ctx, const struct sr_loc_binding *b, uint64_t aor_hash64, const char **why);

/*
 * Optional: told the AoR hashes of the next records before fn gets them
 * (up to SR_CTL_AHEAD at a time, in the order fn will), so that it can
 * fetch what they will touch all at once (sr_loc_prefetch).
 */
typedef void sr_ctl_ahead_fn(void *ctx, const uint64_t *aor_hash64, unsigned n);
#define SR_CTL_AHEAD 32

struct sr_ctl_part {
	sr_ctl_restore_fn *fn;
	sr_ctl_ahead_fn *ahead; /* NULL: none */
	void *ctx;
	struct sr_ctl_load_stats stats; /* out: this part's figures */
};

/* How the parts are run: start part i's body(arg) on another thread (0, else it runs inline), wait for it. */
struct sr_ctl_runner {
	int (*start)(void *ctx, unsigned part, void (*body)(void *), void *arg);
	void (*wait)(void *ctx, unsigned part);
	void *ctx;
};

/*
 * Restores parts[0..n): a runner starts every part (a part it cannot start
 * runs on the calling thread); runner NULL: part 0 on the calling thread,
 * one pthread per other part. stats: the sums. Returns 0, or -1 with the first
 * failing part's message (the other parts stop early; what they restored
 * stays in their stores, as after a failed serial load).
 */
int sr_ctl_store_load_parts(struct sr_ctl_store *st, uint32_t now_s, unsigned n, struct sr_ctl_part *parts,
			    sr_ctl_part_fn *part_of, void *part_ctx, const struct sr_ctl_runner *runner,
			    struct sr_ctl_load_stats *stats, char *err, size_t cap);

/*
 * One page of a dump: calls fn for at most max bindings whose key is after
 * 'after' (NULL: from the start), in key order, in one read transaction
 * (the writer is never blocked). *next receives the key to resume after;
 * returns the number visited (0 at the end), or -1 with err set.
 */
typedef void sr_ctl_page_fn(void *ctx, const struct sr_loc_binding *b);
int sr_ctl_store_page(struct sr_ctl_store *st, const uint8_t *after, unsigned max, sr_ctl_page_fn *fn,
		      void *ctx, uint8_t next[SR_CTL_KEY_LEN], char *err, size_t cap);

/*
 * The committed records of one AoR, in key order, in one read transaction:
 * fn gets each record's bytes (valid during the call). Returns how many,
 * or -1 with err set (a read failure, or fn's non-zero result).
 */
typedef int sr_ctl_rec_fn(void *ctx, const uint8_t *rec, size_t len);
int sr_ctl_store_aor(struct sr_ctl_store *st, struct sr_str aor, sr_ctl_rec_fn *fn, void *ctx, char *err,
		     size_t cap);

/*
 * Walks every mid-registrar record (a read transaction: records never
 * expire here, lib/midreg's restore decides what is stale). fn returns 0 to
 * go on. Returns 0 with *loaded set, or -1 with err set: a read failure, an
 * entry that does not decode (the load refuses it, like a bad binding), or
 * fn's non-zero result.
 */
typedef int sr_ctl_mid_load_fn(void *ctx, const struct sr_ctl_midrec *r);
int sr_ctl_store_mid_load(struct sr_ctl_store *st, sr_ctl_mid_load_fn *fn, void *ctx, uint64_t *loaded, char *err,
			  size_t cap);
/* Number of stored mid-registrar records. */
int sr_ctl_store_mid_count(struct sr_ctl_store *st, uint64_t *records);

/* Number of stored bindings, and bytes of the environment in use. */
int sr_ctl_store_count(struct sr_ctl_store *st, uint64_t *bindings, uint64_t *bytes);

/* A consistent, compacted copy into directory 'path' (created if absent; must hold no data.mdb). */
int sr_ctl_store_snapshot(struct sr_ctl_store *st, const char *path, char *err, size_t cap);

#endif
