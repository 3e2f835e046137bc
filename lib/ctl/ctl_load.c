/*
 * ctl_load.c - a restart's restore: the stored bindings back into the
 * location stores, in parts that run at the same time (see ctl_store.h).
 *
 * Design decisions:
 * - Parts by slot (ctl_record.h): the key starts with the AoR hash's slot,
 *   which also decides the owner shard, so a part walks only the key
 *   ranges of its own slots (MDB_SET_RANGE to each run of consecutive
 *   slots it owns) and never steps over another part's records. Format 3
 *   keys started with the hash itself, so every part walked the whole
 *   database and skipped the others' records (bench_persist, 1M bindings
 *   in 2 parts: see bench/RESULTS.md). The slot -> part table is built
 *   once, from the caller's part_of, before any part starts. Each part
 *   fills its own shards only, so a location store keeps one writer, as
 *   it has at run time.
 * - Records are taken in groups of SR_CTL_AHEAD: the group's keys give its
 *   AoR hashes without decoding, the part's ahead hook is told them
 *   (sipreg's fetches their table buckets together, sr_loc_prefetch), then
 *   each record is taken. In a read transaction the keys and values point
 *   into the map and stay valid, so a group costs no copy.
 * - The slot ranges partition the whole key space (sr_ctl_slot_start), so
 *   a key of another length than a binding key's lies in some part's range
 *   and that part refuses the load with it, as every part did before.
 * - One read transaction per part (LMDB's readers never wait for each
 *   other). An expired record is counted by its part and its key noted;
 *   once every part is done, one write transaction deletes the noted keys.
 *   Nothing else writes during a restart, so the store ends as the serial
 *   load in one write transaction left it: only what was restored is kept.
 *   The notes cost 16 bytes per expired binding, less than restoring it
 *   would have.
 * - The key is checked against its record (sr_hash64 of the AoR): the key
 *   chooses the part and so the shard, and a key that lies would put a
 *   binding where nobody looks for it. The callback gets the checked hash
 *   and need not hash the AoR again (sr_loc_restore_hashed).
 * - Readahead: the map's pages in use are advised MADV_WILLNEED before the
 *   parts start (a store that is not in the page cache is read in large
 *   requests), then each part maps its share of them (the n-th part of the
 *   file, whatever records it holds) in one MADV_POPULATE_READ before its
 *   walk: the mapping is the process's, so both parts' cursors then find
 *   every page mapped, instead of taking a fault per 64 KiB (fault-around)
 *   each, and the work is split, not done serially before the parts. How
 *   the map is found: ctl_readahead.c. The bytes advised are counted
 *   (stats.advised): a map not found shows as 0.
 * - A failing part raises a flag the others read every STOP_EVERY records
 *   and at every key range, so a refused start does not wait for the whole
 *   walk.
 * - The serial sr_ctl_store_load is one part on the calling thread.
 */
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <unistd.h>

#include "aor_table.h"
#include "ctl_store.h"
#include "ctl_readahead.h"
#include "ctl_store_internal.h"

#define STOP_EVERY 1024u
#define ERR_CAP 1024

struct noted {
	uint8_t (*keys)[SR_CTL_KEY_LEN]; /* expired keys to delete */
	size_t n, cap;
};

struct run {
	struct sr_ctl_store *st;
	uint32_t now_s;
	unsigned index, n_parts;
	const uint8_t *slot_part; /* [SR_CTL_SLOTS]: the part that owns each slot */
	const struct sr_ctl_map *map; /* the LMDB map's pages in use (ctl_readahead.c) */
	struct sr_ctl_part *part;
	int *stop;
	struct noted expired;
	int rc;
	bool stopped; /* rc only because another part failed */
	char err[ERR_CAP];
};

static int fail(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct run *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
	return -1;
}

static bool note(struct noted *x, const void *key)
{
	if (x->n == x->cap) {
		size_t cap = x->cap ? 2 * x->cap : 256;
		void *keys = realloc(x->keys, cap * sizeof(*x->keys));
		if (!keys)
			return false;
		x->keys = keys;
		x->cap = cap;
	}
	memcpy(x->keys[x->n++], key, SR_CTL_KEY_LEN);
	return true;
}

/* The AoR hash of a key in this part's range into *hash: 0, or -1 (r->err set) for a key of a bad length. */
static int key_hash(struct run *r, const MDB_val *k, uint64_t *hash)
{
	if (k->mv_size != SR_CTL_KEY_LEN) {
		char hex[2 * SR_CTL_KEY_LEN + 1];
		sr_ctl_key_hex(k, hex, sizeof(hex));
		return fail(r, "data directory %s: binding key %s of %zu bytes (a key has %d); " RECOVER_HINT,
			    sr_ctl_store_dir(r->st), hex, k->mv_size, SR_CTL_KEY_LEN);
	}
	*hash = sr_ctl_record_key_aor_hash(k->mv_data);
	return 0;
}

/* One record of this part: restored, noted expired, or refused (-1, r->err set). */
static int take(struct run *r, const MDB_val *k, const MDB_val *v, uint64_t hash)
{
	struct sr_loc_binding b;
	const char *why = NULL;
	char hex[2 * SR_CTL_KEY_LEN + 1];
	if (sr_ctl_record_decode(v->mv_data, v->mv_size, &b, &why) != 0) {
		sr_ctl_key_hex(k, hex, sizeof(hex));
		return fail(r, "data directory %s: binding %s: %s; " RECOVER_HINT, sr_ctl_store_dir(r->st), hex, why);
	}
	if (b.st.expires <= r->now_s) {
		if (!note(&r->expired, k->mv_data))
			return fail(r, "restore: out of memory noting expired bindings");
		r->part->stats.dropped++;
		return 0;
	}
	if (sr_hash64(b.aor.p, b.aor.len) != hash) {
		sr_ctl_key_hex(k, hex, sizeof(hex));
		return fail(r, "data directory %s: binding %s: its key is not its AoR's (%.*s); " RECOVER_HINT,
			    sr_ctl_store_dir(r->st), hex, (int)b.aor.len, b.aor.p);
	}
	if (r->part->fn(r->part->ctx, &b, hash, &why) != 0) {
		sr_ctl_key_hex(k, hex, sizeof(hex));
		return fail(r, "binding %s of %.*s cannot be restored: %s", hex, (int)b.aor.len, b.aor.p,
			    why ? why : "refused");
	}
	r->part->stats.loaded++;
	return 0;
}

/* Whether the part must stop because another one failed. */
static bool stop_seen(struct run *r)
{
	if (!__atomic_load_n(r->stop, __ATOMIC_RELAXED))
		return false;
	r->rc = fail(r, "restore: stopped (another part failed)");
	r->stopped = true;
	return true;
}

/* The same, looked at every STOP_EVERY records. */
static bool stopped(struct run *r, unsigned *since)
{
	if (++*since < STOP_EVERY)
		return false;
	*since = 0;
	return stop_seen(r);
}

/*
 * Restores the records of slots [from, to), one key range, SR_CTL_AHEAD
 * at a time (the part's ahead hook sees each group's hashes first);
 * returns the cursor's last result.
 */
static int walk_range(struct run *r, MDB_txn *txn, MDB_cursor *cur, unsigned from, unsigned to, unsigned *since)
{
	uint8_t first[2], last[2];
	MDB_val k = { sr_ctl_slot_start(from, first), first }, v;
	MDB_val end = { to < SR_CTL_SLOTS ? sr_ctl_slot_start(to, last) : 0, last };
	MDB_dbi dbi = sr_ctl_store_bindings_dbi(r->st);
	MDB_val keys[SR_CTL_AHEAD], vals[SR_CTL_AHEAD];
	uint64_t hashes[SR_CTL_AHEAD];
	int rc = mdb_cursor_get(cur, &k, &v, k.mv_size ? MDB_SET_RANGE : MDB_FIRST);
	while (rc == 0 && r->rc == 0) {
		unsigned n = 0;
		/* a read transaction's keys and values stay valid until it ends: a group is gathered, then taken */
		for (; rc == 0 && n < SR_CTL_AHEAD; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
			if (end.mv_size && mdb_cmp(txn, dbi, &k, &end) >= 0) {
				rc = MDB_NOTFOUND; /* the range's end */
				break;
			}
			if ((r->rc = key_hash(r, &k, &hashes[n])) != 0)
				break;
			keys[n] = k;
			vals[n++] = v;
		}
		if (n && r->part->ahead)
			r->part->ahead(r->part->ctx, hashes, n);
		for (unsigned i = 0; i < n && r->rc == 0 && !stopped(r, since); i++)
			r->rc = take(r, &keys[i], &vals[i], hashes[i]);
	}
	return rc;
}

static void walk(struct run *r)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	int rc = mdb_txn_begin(sr_ctl_store_env(r->st), NULL, MDB_RDONLY, &txn);
	if (rc == 0 && (rc = mdb_cursor_open(txn, sr_ctl_store_bindings_dbi(r->st), &cur)) != 0)
		mdb_txn_abort(txn);
	if (rc) {
		r->rc = fail(r, "data directory %s: cannot read: %s", sr_ctl_store_dir(r->st), mdb_strerror(rc));
		__atomic_store_n(r->stop, 1, __ATOMIC_RELAXED);
		return;
	}
	r->part->stats.advised = sr_ctl_map_populate_share(r->map, r->index, r->n_parts);
	unsigned since = 0;
	/* each run of consecutive slots of this part is one key range */
	for (unsigned from = 0; from < SR_CTL_SLOTS && r->rc == 0;) {
		unsigned to = from;
		while (to < SR_CTL_SLOTS && r->slot_part[to] == r->index)
			to++;
		if (to > from && !stop_seen(r)) { /* and at every range: a part of few records stops too */
			rc = walk_range(r, txn, cur, from, to, &since);
			if (r->rc == 0 && rc != 0 && rc != MDB_NOTFOUND)
				r->rc = fail(r, "data directory %s: read failed: %s", sr_ctl_store_dir(r->st),
					     mdb_strerror(rc));
		}
		from = to > from ? to : from + 1;
	}
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	if (r->rc)
		__atomic_store_n(r->stop, 1, __ATOMIC_RELAXED);
}

static void *walk_thread(void *arg)
{
	walk(arg);
	return NULL;
}

/* A thread for part i that may run on any CPU: the caller may be pinned to one (a DPDK lcore). */
static bool start_thread(pthread_t *t, struct run *r)
{
	pthread_attr_t attr;
	cpu_set_t all;
	CPU_ZERO(&all);
	long n = sysconf(_SC_NPROCESSORS_CONF);
	for (long c = 0; c < n && c < CPU_SETSIZE; c++)
		CPU_SET(c, &all);
	bool ok = pthread_attr_init(&attr) == 0;
	if (ok) {
		(void)pthread_attr_setaffinity_np(&attr, sizeof(all), &all); /* the kernel keeps it within the cpuset */
		ok = pthread_create(t, &attr, walk_thread, r) == 0;
		pthread_attr_destroy(&attr);
	}
	return ok || pthread_create(t, NULL, walk_thread, r) == 0;
}

static void walk_body(void *arg)
{
	walk(arg);
}

/* Deletes every noted key in one write transaction. */
static int drop_noted(struct sr_ctl_store *st, struct run *runs, unsigned n, char *err, size_t cap)
{
	MDB_txn *txn = NULL;
	int rc = mdb_txn_begin(sr_ctl_store_env(st), NULL, 0, &txn);
	for (unsigned i = 0; rc == 0 && i < n; i++)
		for (size_t j = 0; rc == 0 && j < runs[i].expired.n; j++) {
			MDB_val k = { SR_CTL_KEY_LEN, runs[i].expired.keys[j] };
			rc = mdb_del(txn, sr_ctl_store_bindings_dbi(st), &k, NULL);
		}
	if (rc == 0) {
		rc = mdb_txn_commit(txn);
		txn = NULL; /* freed by the commit, whatever its result */
	}
	if (rc == 0)
		return 0;
	if (txn)
		mdb_txn_abort(txn);
	snprintf(err, cap, "data directory %s: deleting the expired bindings failed: %s", sr_ctl_store_dir(st),
		 mdb_strerror(rc));
	return -1;
}

/* The part of every slot (part_of NULL or one part: all part 0); -1 with err set when one is out of range. */
static int slot_parts(unsigned n, sr_ctl_part_fn *part_of, void *part_ctx, uint8_t slot_part[SR_CTL_SLOTS],
		      char *err, size_t cap)
{
	_Static_assert(SR_CTL_MAX_PARTS <= 256, "a part number fits the table's byte");
	if (n > SR_CTL_MAX_PARTS) {
		snprintf(err, cap, "restore: %u parts, at most %d", n, SR_CTL_MAX_PARTS);
		return -1;
	}
	for (unsigned s = 0; s < SR_CTL_SLOTS; s++) {
		unsigned p = n > 1 && part_of ? part_of(part_ctx, s) : 0;
		if (p >= n) {
			snprintf(err, cap, "restore: AoR hash slot %u maps to part %u of %u", s, p, n);
			return -1;
		}
		slot_part[s] = (uint8_t)p;
	}
	return 0;
}

int sr_ctl_store_load_parts(struct sr_ctl_store *st, uint32_t now_s, unsigned n, struct sr_ctl_part *parts,
			    sr_ctl_part_fn *part_of, void *part_ctx, const struct sr_ctl_runner *runner,
			    struct sr_ctl_load_stats *stats, char *err, size_t cap)
{
	memset(stats, 0, sizeof(*stats));
	struct run *runs = calloc(n ? n : 1, sizeof(*runs));
	pthread_t *threads = calloc(n ? n : 1, sizeof(*threads));
	bool *started = calloc(n ? n : 1, sizeof(*started));
	if (n == 0 || !runs || !threads || !started) {
		free(runs);
		free(threads);
		free(started);
		snprintf(err, cap, n ? "restore: out of memory" : "restore: no part");
		return -1;
	}
	uint8_t slot_part[SR_CTL_SLOTS];
	if (slot_parts(n, part_of, part_ctx, slot_part, err, cap) != 0) {
		free(runs);
		free(threads);
		free(started);
		return -1;
	}
	int stop = 0;
	for (unsigned i = 0; i < n; i++) {
		parts[i].stats = (struct sr_ctl_load_stats){ 0 };
		runs[i] = (struct run){ .st = st, .now_s = now_s, .index = i, .n_parts = n, .slot_part = slot_part,
					.part = &parts[i], .stop = &stop };
	}
	struct sr_ctl_map map;
	sr_ctl_map_find(st, &map);
	for (unsigned i = 0; i < n; i++)
		runs[i].map = &map;
	/* a runner starts every part; without one, part 0 runs here and the others on pthreads */
	for (unsigned i = runner ? 0 : 1; i < n; i++)
		started[i] = runner ? runner->start(runner->ctx, i, walk_body, &runs[i]) == 0
				    : start_thread(&threads[i], &runs[i]);
	if (!started[0])
		walk(&runs[0]);
	for (unsigned i = 0; i < n; i++) {
		if (!started[i]) {
			if (i > 0)
				walk(&runs[i]); /* no thread for it: here, after part 0 */
		} else if (runner) {
			runner->wait(runner->ctx, i);
		} else {
			pthread_join(threads[i], NULL);
		}
	}
	int out = 0;
	for (unsigned i = 0; i < n; i++) {
		stats->loaded += parts[i].stats.loaded;
		stats->dropped += parts[i].stats.dropped;
		stats->advised += parts[i].stats.advised;
	}
	/* the first part that failed by itself, not one that only stopped because of it */
	for (unsigned pass = 0; pass < 2 && out == 0; pass++)
		for (unsigned i = 0; i < n && out == 0; i++)
			if (runs[i].rc && (pass == 1 || !runs[i].stopped)) {
				snprintf(err, cap, "%s", runs[i].err);
				out = -1;
			}
	if (out == 0 && stats->dropped)
		out = drop_noted(st, runs, n, err, cap);
	for (unsigned i = 0; i < n; i++)
		free(runs[i].expired.keys);
	free(runs);
	free(threads);
	free(started);
	return out;
}

struct serial {
	sr_ctl_load_fn *fn;
	void *ctx;
};

static int serial_one(void *ctx, const struct sr_loc_binding *b, uint64_t aor_hash64, const char **why)
{
	(void)aor_hash64;
	struct serial *s = ctx;
	return s->fn(s->ctx, b, why);
}

int sr_ctl_store_load(struct sr_ctl_store *st, uint32_t now_s, sr_ctl_load_fn *fn, void *ctx,
		      struct sr_ctl_load_stats *stats, char *err, size_t cap)
{
	struct serial s = { fn, ctx };
	struct sr_ctl_part part = { .fn = serial_one, .ctx = &s };
	return sr_ctl_store_load_parts(st, now_s, 1, &part, NULL, NULL, NULL, stats, err, cap);
}
