/*
 * ctl_migrate.c - a format 3 store's keys rewritten in format 4's layout,
 * once, when the store is opened (ctl_store.c).
 *
 * Format 3 keyed a binding by (sr_hash64 of its AoR, id); format 4 rotates
 * the hash so that its slot leads (ctl_record.h), which lets a restart's
 * parts read only their own slots (ctl_load.c). The records themselves do
 * not change.
 *
 * Design decisions:
 * - In place, in the same database, in write transactions of BATCH
 *   records: no second copy of the store on disk (a 10M store is 3.3 GB),
 *   and no transaction larger than LMDB's dirty-page limit. Each record
 *   is moved (old key deleted, new key put) inside one transaction, so a
 *   crash leaves every record under exactly one of its two keys.
 * - The first batch's transaction replaces the marker 3 by
 *   SR_CTL_STORE_FORMAT_MIGRATING (ctl_store.h), which an older binary's
 *   format check refuses: a store with keys of both layouts must not pass
 *   a format 3 check and then be called corrupt by its load. Each batch's
 *   transaction also saves the last key it visited (meta "migrate_resume"),
 *   so a migration cut short (a crash, a full map) resumes there at the next
 *   open instead of walking 10M keys again; the last transaction writes the
 *   marker 4 and deletes the resume key.
 * - Which key a record is under is read from the record: its AoR's hash
 *   gives both forms, so keys already moved (met again past the resume key)
 *   are recognised and left alone.
 * - A record whose key is neither form (a key of another length, a record
 *   that does not decode, or one under another AoR's key) is left as it
 *   is: the restore refuses it by name, as it would have in format 3.
 * - The walk resumes after the last key it visited; a moved record may be
 *   met again under its new key further on, and is then recognised as
 *   moved.
 */
#include <stdlib.h>
#include <string.h>

#include "aor_table.h"
#include "ctl_store_internal.h"

#define BATCH 10000u /* records visited per write transaction: ~11,000 dirty pages at most */

struct move {
	uint8_t from[SR_CTL_KEY_LEN], to[SR_CTL_KEY_LEN];
	size_t off, len; /* the record in the batch's bytes */
};

struct batch {
	struct move *m;
	uint8_t *bytes;
	size_t n, used, bytes_cap;
	uint8_t *resume; /* the last key visited: where the next transaction starts */
	size_t resume_len, resume_cap; /* resume_len 0: from the first key; cap: LMDB's largest key */
};

/* Notes the move of k (a format 3 key of the record v) if it is one; false only when out of memory. */
static bool consider(struct batch *x, const MDB_val *k, const MDB_val *v)
{
	struct sr_loc_binding b;
	const char *why;
	struct move mv;
	if (k->mv_size != SR_CTL_KEY_LEN || sr_ctl_record_decode(v->mv_data, v->mv_size, &b, &why) != 0)
		return true;
	sr_ctl_record_v3_key(&b, mv.from);
	sr_ctl_record_key(&b, mv.to);
	if (memcmp(k->mv_data, mv.from, SR_CTL_KEY_LEN) != 0 || memcmp(mv.from, mv.to, SR_CTL_KEY_LEN) == 0)
		return true; /* moved already (or both forms agree), or a key the restore refuses */
	if (x->used + v->mv_size > x->bytes_cap) {
		size_t cap = 2 * (x->used + v->mv_size);
		uint8_t *bytes = realloc(x->bytes, cap);
		if (!bytes)
			return false;
		x->bytes = bytes;
		x->bytes_cap = cap;
	}
	/* copied: the value points into a page the deletes and puts below may change */
	memcpy(x->bytes + x->used, v->mv_data, v->mv_size);
	mv.off = x->used;
	mv.len = v->mv_size;
	x->used += v->mv_size;
	x->m[x->n++] = mv;
	return true;
}

static const MDB_val resume_name = { 14, (void *)"migrate_resume" };

/* In txn: where the walk stopped and the in-progress marker, or (at the end) the marker 4 and no resume key. */
static int save_progress(struct sr_ctl_store *st, MDB_txn *txn, int left, const uint8_t *resume, size_t resume_len,
			 char *err, size_t cap)
{
	MDB_dbi meta = sr_ctl_store_meta_dbi(st);
	MDB_val k = resume_name, v = { resume_len, (void *)resume };
	int rc = left ? mdb_put(txn, meta, &k, &v, 0) : mdb_del(txn, meta, &k, NULL);
	if (rc && rc != MDB_NOTFOUND) {
		snprintf(err, cap, "data directory %s: migrating to format %d: cannot save where it stopped: %s",
			 sr_ctl_store_dir(st), SR_CTL_STORE_FORMAT, mdb_strerror(rc));
		return rc;
	}
	return sr_ctl_store_put_format(st, txn, left ? SR_CTL_STORE_FORMAT_MIGRATING : SR_CTL_STORE_FORMAT, err, cap)
		       ? -1 : 0;
}

/* The key a migration cut short saved (meta "migrate_resume"), else *resume_len 0: from the first key. */
static int load_resume(struct sr_ctl_store *st, struct batch *x, char *err, size_t cap)
{
	MDB_txn *txn;
	MDB_val k = resume_name, v;
	x->resume_len = 0;
	int rc = mdb_txn_begin(sr_ctl_store_env(st), NULL, MDB_RDONLY, &txn);
	if (rc == 0) {
		rc = mdb_get(txn, sr_ctl_store_meta_dbi(st), &k, &v);
		if (rc == 0 && v.mv_size <= x->resume_cap) {
			memcpy(x->resume, v.mv_data, v.mv_size);
			x->resume_len = v.mv_size;
		} else if (rc == 0) {
			rc = MDB_BAD_VALSIZE;
		}
		mdb_txn_abort(txn);
	}
	if (rc && rc != MDB_NOTFOUND) {
		snprintf(err, cap, "data directory %s: migrating to format %d: cannot read where it stopped: %s",
			 sr_ctl_store_dir(st), SR_CTL_STORE_FORMAT, mdb_strerror(rc));
		return -1;
	}
	return 0;
}

/*
 * In txn, moves the batch's records to their new keys. A new key already
 * taken is refused by name (returns MDB_KEYEXIST with err written): a record
 * there would otherwise be lost without a word. Other LMDB errors: returned.
 */
static int apply(struct sr_ctl_store *st, MDB_txn *txn, const struct batch *x, char *err, size_t cap)
{
	MDB_dbi dbi = sr_ctl_store_bindings_dbi(st);
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < x->n; i++) {
		MDB_val from = { SR_CTL_KEY_LEN, x->m[i].from }, to = { SR_CTL_KEY_LEN, x->m[i].to };
		MDB_val rec = { x->m[i].len, x->bytes + x->m[i].off };
		if ((rc = mdb_del(txn, dbi, &from, NULL)) == 0)
			rc = mdb_put(txn, dbi, &to, &rec, MDB_NOOVERWRITE);
		if (rc == MDB_KEYEXIST) {
			char from_hex[2 * SR_CTL_KEY_LEN + 1], to_hex[2 * SR_CTL_KEY_LEN + 1];
			sr_ctl_key_hex(&from, from_hex, sizeof(from_hex));
			sr_ctl_key_hex(&to, to_hex, sizeof(to_hex));
			snprintf(err, cap, "data directory %s: migrating to format %d: the record under format 3 key %s "
				 "belongs under key %s, which holds another record: the store is corrupt; " RECOVER_HINT,
				 sr_ctl_store_dir(st), SR_CTL_STORE_FORMAT, from_hex, to_hex);
		}
	}
	return rc;
}

/*
 * One write transaction: visits up to BATCH records after 'resume' (from
 * the start when *resume_len is 0) and moves those under a format 3
 * key. Returns 1 when records are left, 0 at the end, -1 with err set.
 */
static int step(struct sr_ctl_store *st, struct batch *x, uint64_t *moved, char *err, size_t cap)
{
	MDB_dbi dbi = sr_ctl_store_bindings_dbi(st);
	MDB_txn *txn;
	MDB_cursor *cur;
	int rc = mdb_txn_begin(sr_ctl_store_env(st), NULL, 0, &txn);
	if (rc == 0 && (rc = mdb_cursor_open(txn, dbi, &cur)) != 0)
		mdb_txn_abort(txn);
	if (rc) {
		snprintf(err, cap, "data directory %s: migrating to format %d: %s", sr_ctl_store_dir(st),
			 SR_CTL_STORE_FORMAT, mdb_strerror(rc));
		return -1;
	}
	MDB_val k = { x->resume_len, x->resume }, v;
	rc = x->resume_len ? mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE) : mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	if (rc == 0 && x->resume_len && k.mv_size == x->resume_len && memcmp(k.mv_data, x->resume, x->resume_len) == 0)
		rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	x->n = x->used = 0;
	bool oom = false;
	for (unsigned seen = 0; rc == 0 && seen < BATCH && !oom; seen++) {
		if (k.mv_size > x->resume_cap) {
			rc = MDB_BAD_VALSIZE; /* no such key: resume_cap is this LMDB's largest */
			break;
		}
		oom = !consider(x, &k, &v);
		x->resume_len = k.mv_size;
		memcpy(x->resume, k.mv_data, k.mv_size);
		rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	int left = rc == 0;
	if (rc == MDB_NOTFOUND)
		rc = 0;
	bool named = false; /* err written already (a taken key, save_progress) */
	if (rc == 0) {
		rc = apply(st, txn, x, err, cap);
		named = rc == MDB_KEYEXIST;
	}
	if (rc == 0 && !oom) {
		rc = save_progress(st, txn, left, x->resume, x->resume_len, err, cap);
		named = rc != 0;
	}
	if (rc == 0 && !oom) {
		rc = mdb_txn_commit(txn);
		txn = NULL;
	}
	if (txn)
		mdb_txn_abort(txn);
	if (oom) {
		snprintf(err, cap, "data directory %s: migrating to format %d: out of memory", sr_ctl_store_dir(st),
			 SR_CTL_STORE_FORMAT);
		return -1;
	}
	if (rc && named)
		return -1;
	if (rc) {
		/* the transaction was aborted either way; only a full map is sure to go better next time */
		if (rc == MDB_MAP_FULL)
			snprintf(err, cap, "data directory %s: migrating to format %d failed (%s): raise "
				 "control.map_size; nothing is lost, the next start resumes it", sr_ctl_store_dir(st),
				 SR_CTL_STORE_FORMAT, mdb_strerror(rc));
		else
			snprintf(err, cap, "data directory %s: migrating to format %d failed: LMDB error %d (%s); "
				 "nothing is lost", sr_ctl_store_dir(st), SR_CTL_STORE_FORMAT, rc, mdb_strerror(rc));
		return -1;
	}
	*moved += x->n;
	return left;
}

int sr_ctl_store_migrate_keys(struct sr_ctl_store *st, uint64_t *moved, char *err, size_t cap)
{
	int max_key = mdb_env_get_maxkeysize(sr_ctl_store_env(st));
	struct batch x = { .m = malloc(BATCH * sizeof(struct move)), .resume_cap = max_key > 0 ? (size_t)max_key : 0 };
	x.resume = malloc(x.resume_cap ? x.resume_cap : 1);
	*moved = 0;
	int rc = x.m && x.resume ? 1 : -1;
	if (rc < 0)
		snprintf(err, cap, "data directory %s: migrating: out of memory", sr_ctl_store_dir(st));
	else if (load_resume(st, &x, err, cap) != 0)
		rc = -1;
	while (rc == 1)
		rc = step(st, &x, moved, err, cap);
	free(x.m);
	free(x.bytes);
	free(x.resume);
	return rc;
}
