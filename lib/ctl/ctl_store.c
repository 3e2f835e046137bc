/*
 * ctl_store.c - LMDB persistence of bindings (see ctl_store.h).
 *
 * Design decisions:
 * - Commits are fully durable (LMDB's default fsync at commit). A batch is
 *   bounded in time and size by ctl_batch, so the fsync cost is paid once
 *   per batch, which is what makes group commit for sync durability cheap.
 * - "Never start empty over existing data": whether data.mdb existed is
 *   checked before opening; an existing environment must carry our format
 *   marker in "meta", otherwise the open fails rather than adding our
 *   databases to someone else's file.
 * - Loading (a restart's restore) is in ctl_load.c; rewriting a format 3
 *   store's keys at open, in ctl_migrate.c.
 * - The mid-registrar's records are a third database of the same
 *   environment, written by the same batches (ctl_batch.h): a record and
 *   its binding change are one transaction. Adding a database to an
 *   existing environment is compatible both ways (an older sipreg never
 *   opens it), so the store's format stays the same.
 * - LMDB reads its two meta pages with pread() but every other page through
 *   the memory map, so a data.mdb cut short (a copy interrupted, a full disk
 *   at restore) passes mdb_env_open and then kills the process with SIGBUS
 *   at the first page past the end. The file must therefore hold every page
 *   up to the meta page's last_pgno before any page is touched; a shorter
 *   one is refused like any other corrupt directory. An existing but empty
 *   data.mdb is refused too: LMDB would silently start a new environment in
 *   it, and sipreg never leaves one behind.
 */
#include "ctl_store.h"
#include "ctl_store_internal.h"

#include <errno.h>
#include <stdbool.h>
#include <lmdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>


struct sr_ctl_store {
	MDB_env *env;
	MDB_dbi meta;
	MDB_dbi bindings;
	MDB_dbi midreg; /* the mid-registrar's records (ctl_midrec.h) */
	uint64_t migrated; /* format 3 keys rewritten at open (ctl_migrate.c) */
	sr_ctl_store_notice_fn *notice; /* during the open only: told before a migration starts */
	void *notice_ctx;
	char dir[4096];
};

static int fail(char *err, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, cap, fmt, ap);
	va_end(ap);
	return -1;
}

static int ensure_dir(const char *dir, char *err, size_t cap)
{
	struct stat sb;
	if (stat(dir, &sb) == 0) {
		if (!S_ISDIR(sb.st_mode))
			return fail(err, cap, "data directory %s: exists and is not a directory", dir);
		return 0;
	}
	if (errno != ENOENT || mkdir(dir, 0700) != 0)
		return fail(err, cap, "data directory %s: cannot create it: %s", dir, strerror(errno));
	return 0;
}

int sr_ctl_store_put_format(struct sr_ctl_store *st, MDB_txn *txn, uint32_t format, char *err, size_t cap)
{
	MDB_val k = { 6, (void *)"format" };
	uint8_t fmt[4] = { (uint8_t)format, (uint8_t)(format >> 8), (uint8_t)(format >> 16), (uint8_t)(format >> 24) };
	MDB_val v = { sizeof(fmt), fmt };
	int rc = mdb_put(txn, st->meta, &k, &v, 0);
	if (rc)
		return fail(err, cap, "data directory %s: cannot write the format marker: %s", st->dir,
			    mdb_strerror(rc));
	return 0;
}

/*
 * Checks or writes the format marker inside an open write transaction;
 * *old_keys: the store is of format 3, whose keys are to be migrated.
 */
static int check_format(struct sr_ctl_store *st, MDB_txn *txn, bool existed, bool *old_keys, char *err, size_t cap)
{
	MDB_val k = { 6, (void *)"format" }, v;
	int rc = mdb_get(txn, st->meta, &k, &v);
	if (rc == MDB_NOTFOUND) {
		MDB_stat ms;
		mdb_stat(txn, st->bindings, &ms);
		if (existed && ms.ms_entries == 0) {
			/* an environment we created but never marked cannot exist; someone else's can */
			MDB_dbi main_dbi;
			MDB_stat main;
			if (mdb_dbi_open(txn, NULL, 0, &main_dbi) != 0 || mdb_stat(txn, main_dbi, &main) != 0 ||
			    main.ms_entries > 3) /* more than our three databases */
				return fail(err, cap, "data directory %s: an LMDB environment that is not "
					    "sipreg's (no format marker); " RECOVER_HINT, st->dir);
		} else if (existed) {
			return fail(err, cap, "data directory %s: bindings without a format marker; "
				    RECOVER_HINT, st->dir);
		}
		return sr_ctl_store_put_format(st, txn, SR_CTL_STORE_FORMAT, err, cap);
	}
	if (rc)
		return fail(err, cap, "data directory %s: cannot read the format marker: %s", st->dir,
			    mdb_strerror(rc));
	const uint8_t *f = v.mv_data;
	uint32_t fmt = v.mv_size == 4 ? (uint32_t)(f[0] | f[1] << 8 | f[2] << 16 | (uint32_t)f[3] << 24) : 0;
	/* a migration cut short is resumed like one not begun (ctl_migrate.c reads where it stopped) */
	*old_keys = fmt == SR_CTL_STORE_FORMAT_OLD_REWRITTEN || fmt == SR_CTL_STORE_FORMAT_MIGRATING;
	if (fmt != SR_CTL_STORE_FORMAT && !*old_keys)
		return fail(err, cap, "data directory %s: store format %u, this sipreg reads format %u; "
			    "use the sipreg version that wrote it, or " RECOVER_HINT,
			    st->dir, (unsigned)fmt, SR_CTL_STORE_FORMAT);
	return 0;
}

/* Size of data.mdb in the directory, or -1 when there is none. */
static int64_t data_file_size(const char *dir)
{
	char path[4200];
	struct stat sb;
	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	return stat(path, &sb) == 0 ? (int64_t)sb.st_size : -1;
}

/* The open environment's file holds every page its meta page says is in use (see the top comment). */
static int check_complete(struct sr_ctl_store *st, char *err, size_t cap)
{
	MDB_envinfo info;
	MDB_stat ms;
	mdb_filehandle_t fd;
	struct stat sb;
	if (mdb_env_info(st->env, &info) != 0 || mdb_env_stat(st->env, &ms) != 0 ||
	    mdb_env_get_fd(st->env, &fd) != 0 || fstat(fd, &sb) != 0)
		return fail(err, cap, "data directory %s: cannot check data.mdb's size: %s", st->dir,
			    strerror(errno));
	uint64_t need = ((uint64_t)info.me_last_pgno + 1) * ms.ms_psize;
	if ((uint64_t)sb.st_size < need)
		return fail(err, cap, "data directory %s: data.mdb is truncated (%llu bytes, its pages need %llu): "
			    "it is corrupt; " RECOVER_HINT, st->dir, (unsigned long long)sb.st_size,
			    (unsigned long long)need);
	return 0;
}

static int open_env(struct sr_ctl_store *st, uint64_t map_size, char *err, size_t cap)
{
	int64_t size = data_file_size(st->dir);
	bool existed = size >= 0;
	if (size == 0)
		return fail(err, cap, "data directory %s: data.mdb is empty (truncated): it is corrupt; "
			    RECOVER_HINT, st->dir);
	int rc = mdb_env_create(&st->env);
	if (rc)
		return fail(err, cap, "LMDB: %s", mdb_strerror(rc));
	mdb_env_set_maxdbs(st->env, 4);
	mdb_env_set_mapsize(st->env, map_size ? map_size : SR_CTL_STORE_DEFAULT_MAP);
	rc = mdb_env_open(st->env, st->dir, 0, 0600);
	if (rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH || rc == MDB_CORRUPTED)
		return fail(err, cap, "data directory %s: data.mdb is not a usable LMDB file (%s): "
			    "it is corrupt or from an incompatible LMDB; " RECOVER_HINT,
			    st->dir, mdb_strerror(rc));
	if (rc)
		return fail(err, cap, "data directory %s: cannot open the LMDB environment: %s",
			    st->dir, mdb_strerror(rc));
	if (check_complete(st, err, cap) != 0)
		return -1;
	MDB_txn *txn;
	rc = mdb_txn_begin(st->env, NULL, 0, &txn);
	if (rc)
		return fail(err, cap, "data directory %s: %s", st->dir, mdb_strerror(rc));
	if ((rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &st->meta)) ||
	    (rc = mdb_dbi_open(txn, "bindings", MDB_CREATE, &st->bindings)) ||
	    (rc = mdb_dbi_open(txn, "midreg", MDB_CREATE, &st->midreg))) {
		mdb_txn_abort(txn);
		return fail(err, cap, "data directory %s: cannot open its databases (%s); " RECOVER_HINT,
			    st->dir, mdb_strerror(rc));
	}
	bool old_keys = false;
	if (check_format(st, txn, existed, &old_keys, err, cap) != 0) {
		mdb_txn_abort(txn);
		return -1;
	}
	rc = mdb_txn_commit(txn);
	if (rc)
		return fail(err, cap, "data directory %s: %s", st->dir, mdb_strerror(rc));
	if (!old_keys)
		return 0;
	if (st->notice) /* before, not after: at 10M bindings the rewrite takes minutes */
		st->notice(st->notice_ctx, "rewriting store format 3 keys in format 4's layout (once; minutes at "
					   "10M bindings)...");
	/* the migration's last transaction writes the marker 4 (ctl_migrate.c) */
	return sr_ctl_store_migrate_keys(st, &st->migrated, err, cap);
}

int sr_ctl_store_open(const char *dir, uint64_t map_size, struct sr_ctl_store **out, char *err,
		      size_t cap)
{
	return sr_ctl_store_open_noting(dir, map_size, NULL, NULL, out, err, cap);
}

int sr_ctl_store_open_noting(const char *dir, uint64_t map_size, sr_ctl_store_notice_fn *notice, void *notice_ctx,
			     struct sr_ctl_store **out, char *err, size_t cap)
{
	*out = NULL;
	if (!dir || !*dir || strlen(dir) >= sizeof(((struct sr_ctl_store *)0)->dir))
		return fail(err, cap, "data directory: empty or too long a path");
	if (ensure_dir(dir, err, cap) != 0)
		return -1;
	struct sr_ctl_store *st = calloc(1, sizeof(*st));
	if (!st)
		return fail(err, cap, "out of memory");
	snprintf(st->dir, sizeof(st->dir), "%s", dir);
	st->notice = notice;
	st->notice_ctx = notice_ctx;
	int rc = open_env(st, map_size, err, cap);
	st->notice = NULL;
	if (rc != 0) {
		sr_ctl_store_close(st);
		return -1;
	}
	*out = st;
	return 0;
}

void sr_ctl_store_close(struct sr_ctl_store *st)
{
	if (!st)
		return;
	if (st->env)
		mdb_env_close(st->env);
	free(st);
}

MDB_env *sr_ctl_store_env(struct sr_ctl_store *st)
{
	return st->env;
}

unsigned sr_ctl_store_meta_dbi(struct sr_ctl_store *st)
{
	return st->meta;
}

unsigned sr_ctl_store_bindings_dbi(struct sr_ctl_store *st)
{
	return st->bindings;
}

const char *sr_ctl_store_dir(const struct sr_ctl_store *st)
{
	return st->dir;
}

uint64_t sr_ctl_store_migrated(const struct sr_ctl_store *st)
{
	return st->migrated;
}

static int write_failed(struct sr_ctl_store *st, int rc, char *err, size_t cap)
{
	if (rc == MDB_MAP_FULL)
		return fail(err, cap, "data directory %s: LMDB map full; raise control.map_size", st->dir);
	return fail(err, cap, "data directory %s: write failed: %s", st->dir, mdb_strerror(rc));
}

/* A mid-registrar record: put or deleted in its own database, keyed by (AoR, contact id). */
static int apply_mid(struct sr_ctl_store *st, MDB_txn *txn, unsigned type, const uint8_t *rec, size_t len,
		     char *err, size_t cap)
{
	struct sr_ctl_midrec r;
	const char *why;
	if (sr_ctl_midrec_decode(rec, len, &r, &why) != 0)
		return fail(err, cap, "batch holds a bad record: %s", why);
	uint8_t key[SR_CTL_MIDREC_KEY_LEN];
	sr_ctl_midrec_key(r.aor, r.ctid, key);
	MDB_val k = { sizeof(key), key }, v = { len, (void *)rec };
	int rc = type == SR_CTL_MID_PUT ? mdb_put(txn, st->midreg, &k, &v, 0) : mdb_del(txn, st->midreg, &k, NULL);
	if (rc == MDB_NOTFOUND && type == SR_CTL_MID_DEL)
		rc = 0;
	return rc ? write_failed(st, rc, err, cap) : 0;
}

static int apply(struct sr_ctl_store *st, MDB_txn *txn, unsigned type, const uint8_t *rec,
		 size_t len, char *err, size_t cap)
{
	if (sr_ctl_mid_op_is(type))
		return apply_mid(st, txn, type, rec, len, err, cap);
	struct sr_loc_binding b;
	const char *why;
	if (sr_ctl_record_decode(rec, len, &b, &why) != 0)
		return fail(err, cap, "batch holds a bad record: %s", why);
	uint8_t key[SR_CTL_KEY_LEN];
	sr_ctl_record_key(&b, key);
	MDB_val k = { sizeof(key), key };
	int rc;
	if (type == SR_EV_ADDED || type == SR_EV_REFRESHED) {
		MDB_val v = { len, (void *)rec };
		rc = mdb_put(txn, st->bindings, &k, &v, 0);
	} else {
		rc = mdb_del(txn, st->bindings, &k, NULL);
		if (rc == MDB_NOTFOUND)
			rc = 0;
	}
	return rc ? write_failed(st, rc, err, cap) : 0;
}

int sr_ctl_store_commit(struct sr_ctl_store *st, const struct sr_ctl_batch *b, char *err, size_t cap)
{
	MDB_txn *txn;
	int rc = mdb_txn_begin(st->env, NULL, 0, &txn);
	if (rc)
		return fail(err, cap, "data directory %s: cannot begin a transaction: %s", st->dir,
			    mdb_strerror(rc));
	size_t off = 0;
	unsigned type;
	const uint8_t *rec;
	size_t len;
	while (sr_ctl_batch_next_entry(b, &off, &type, &rec, &len)) {
		if (apply(st, txn, type, rec, len, err, cap) != 0) {
			mdb_txn_abort(txn);
			return -1;
		}
	}
	rc = mdb_txn_commit(txn);
	if (rc)
		return fail(err, cap, "data directory %s: commit failed: %s", st->dir, mdb_strerror(rc));
	return 0;
}

/* A read transaction and a cursor over the bindings (the writer is never blocked). */
static int read_cursor(struct sr_ctl_store *st, MDB_txn **txn, MDB_cursor **cur, char *err, size_t cap)
{
	int rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, txn);
	if (rc == 0 && (rc = mdb_cursor_open(*txn, st->bindings, cur)) != 0)
		mdb_txn_abort(*txn);
	if (rc)
		return fail(err, cap, "data directory %s: cannot read: %s", st->dir, mdb_strerror(rc));
	return 0;
}

int sr_ctl_store_page(struct sr_ctl_store *st, const uint8_t *after, unsigned max, sr_ctl_page_fn *fn,
		      void *ctx, uint8_t next[SR_CTL_KEY_LEN], char *err, size_t cap)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	if (read_cursor(st, &txn, &cur, err, cap) != 0)
		return -1;
	MDB_val k = { SR_CTL_KEY_LEN, (void *)after }, v;
	int rc = after ? mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE) : mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	if (rc == 0 && after && k.mv_size == SR_CTL_KEY_LEN && memcmp(k.mv_data, after, SR_CTL_KEY_LEN) == 0)
		rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	int n = 0;
	for (; rc == 0 && (unsigned)n < max; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		struct sr_loc_binding b;
		const char *why;
		if (k.mv_size != SR_CTL_KEY_LEN || sr_ctl_record_decode(v.mv_data, v.mv_size, &b, &why) != 0)
			continue; /* a load at start refuses such a record; a dump skips it */
		fn(ctx, &b);
		memcpy(next, k.mv_data, SR_CTL_KEY_LEN);
		n++;
	}
	if (rc != 0 && rc != MDB_NOTFOUND)
		n = fail(err, cap, "data directory %s: read failed: %s", st->dir, mdb_strerror(rc));
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	return n;
}

int sr_ctl_store_aor(struct sr_ctl_store *st, struct sr_str aor, sr_ctl_rec_fn *fn, void *ctx, char *err,
		     size_t cap)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	if (read_cursor(st, &txn, &cur, err, cap) != 0)
		return -1;
	uint8_t first[SR_CTL_KEY_LEN] = { 0 };
	sr_ctl_record_aor_prefix(aor, first); /* id 0 is never given: the AoR's first key follows it */
	MDB_val k = { sizeof(first), first }, v;
	int n = 0, rc;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0 && n >= 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size != SR_CTL_KEY_LEN || memcmp(k.mv_data, first, 8) != 0)
			break;
		struct sr_loc_binding b;
		const char *why;
		if (sr_ctl_record_decode(v.mv_data, v.mv_size, &b, &why) != 0 || !sr_str_eq(b.aor, aor))
			continue; /* another AoR with the same 64-bit hash, or a record a load would refuse */
		if (fn(ctx, v.mv_data, v.mv_size) != 0)
			n = fail(err, cap, "data directory %s: reading %.*s stopped", st->dir, (int)aor.len, aor.p);
		else
			n++;
	}
	if (rc != 0 && rc != MDB_NOTFOUND)
		n = fail(err, cap, "data directory %s: read failed: %s", st->dir, mdb_strerror(rc));
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	return n;
}

int sr_ctl_store_mid_load(struct sr_ctl_store *st, sr_ctl_mid_load_fn *fn, void *ctx, uint64_t *loaded, char *err,
			  size_t cap)
{
	*loaded = 0;
	MDB_txn *txn;
	MDB_cursor *cur;
	int rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn);
	if (rc == 0 && (rc = mdb_cursor_open(txn, st->midreg, &cur)) != 0)
		mdb_txn_abort(txn);
	if (rc)
		return fail(err, cap, "data directory %s: cannot read: %s", st->dir, mdb_strerror(rc));
	MDB_val k, v;
	char hex[2 * SR_CTL_MIDREC_KEY_LEN + 1] = "";
	int out = 0;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		struct sr_ctl_midrec r;
		const char *why = NULL;
		if (sr_ctl_midrec_decode(v.mv_data, v.mv_size, &r, &why) != 0) {
			sr_ctl_key_hex(&k, hex, sizeof(hex));
			out = fail(err, cap, "data directory %s: mid-registrar record %s: %s; " RECOVER_HINT, st->dir,
				   hex, why);
			break;
		}
		if (fn(ctx, &r) != 0) {
			sr_ctl_key_hex(&k, hex, sizeof(hex));
			out = fail(err, cap, "mid-registrar record %s of %.*s: the restore stopped", hex, (int)r.aor.len,
				   r.aor.p);
			break;
		}
		(*loaded)++;
	}
	if (out == 0 && rc != MDB_NOTFOUND)
		out = fail(err, cap, "data directory %s: read failed: %s", st->dir, mdb_strerror(rc));
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	return out;
}

int sr_ctl_store_mid_count(struct sr_ctl_store *st, uint64_t *records)
{
	MDB_txn *txn;
	MDB_stat ms;
	if (mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn) != 0)
		return -1;
	int rc = mdb_stat(txn, st->midreg, &ms);
	mdb_txn_abort(txn);
	if (rc)
		return -1;
	*records = ms.ms_entries;
	return 0;
}

int sr_ctl_store_count(struct sr_ctl_store *st, uint64_t *bindings, uint64_t *bytes)
{
	MDB_txn *txn;
	MDB_stat ms;
	MDB_envinfo info;
	if (mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn) != 0)
		return -1;
	int rc = mdb_stat(txn, st->bindings, &ms);
	mdb_txn_abort(txn);
	if (rc || mdb_env_info(st->env, &info) != 0)
		return -1;
	*bindings = ms.ms_entries;
	*bytes = (uint64_t)(info.me_last_pgno + 1) * ms.ms_psize;
	return 0;
}

int sr_ctl_store_snapshot(struct sr_ctl_store *st, const char *path, char *err, size_t cap)
{
	if (ensure_dir(path, err, cap) != 0)
		return -1;
	if (data_file_size(path) >= 0)
		return fail(err, cap, "snapshot %s: already holds a data.mdb; choose an empty directory", path);
	int rc = mdb_env_copy2(st->env, path, MDB_CP_COMPACT);
	if (rc)
		return fail(err, cap, "snapshot %s: %s", path, mdb_strerror(rc));
	return 0;
}
