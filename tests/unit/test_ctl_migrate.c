/*
 * test_ctl_migrate.c - a store of format 3 opened by this code
 * (lib/ctl/ctl_migrate.c, through sr_ctl_store_open).
 *
 * The fixture is written here directly with LMDB, the way format 3's code
 * wrote it: the marker 3 in "meta", each record under (sr_hash64 of its
 * AoR, id), big-endian. More records than one migration transaction takes,
 * so the walk resumes across transactions. The open must rewrite every key
 * (and say how many), mark the store 4 (a second open rewrites nothing),
 * and the restore in parts must then give every binding, field for field,
 * to the part its slot names; an AoR's records are found by their key
 * prefix, and a refresh of a migrated binding overwrites its record. A
 * migration cut short (some keys moved, the marker still 3) is finished by
 * the next open without duplicating a record. Records the restore refuses
 * (a key of another length, a record that does not decode) are left as
 * they are, and the restore then refuses the store by them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <lmdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "aor_table.h"
#include "ctl_store.h"
#include "location.h"
#include "store_dir.h"
#include "test_eal.h"

#define NOW_S 1000000u
#define N_AORS 6000u /* 12,000 records: more than one migration transaction (10,000) */
#define PARTS 3u

static void aor_of(unsigned i, char *out, size_t cap)
{
	snprintf(out, cap, "sip:user%u@example.com", i);
}

struct gen {
	char aor[64], contact[64];
	struct sr_loc_binding b;
};

/* Binding j (0 .. i % 3) of AoR i: live, with fields that tell it apart. */
static void binding_of(unsigned i, unsigned j, struct gen *g)
{
	aor_of(i, g->aor, sizeof(g->aor));
	snprintf(g->contact, sizeof(g->contact), "sip:u%u-%u@198.51.100.%u:5060", i, j, 2 + j);
	memset(&g->b, 0, sizeof(g->b));
	g->b.aor = sr_str_cstr(g->aor);
	g->b.f[SR_BF_CONTACT] = sr_str_cstr(g->contact);
	g->b.st = (struct sr_binding_state){ .id = (uint64_t)i * 4 + j + 1, .expires = NOW_S + 60 + i,
					     .registered_at = NOW_S - 10, .cseq = j + 1, .q = SR_Q_NONE };
}

static unsigned bindings_of(unsigned i)
{
	return 1 + i % 3;
}

/* written here, not with sr_ctl_record_v3_key: the fixture states format 3 independently of the code */
static void be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

/* How format 3 keyed a binding: (sr_hash64 of the AoR, id), both big-endian. */
static void format3_key(const struct sr_loc_binding *b, uint8_t key[SR_CTL_KEY_LEN])
{
	be64(key, sr_hash64(b->aor.p, b->aor.len));
	be64(key + 8, b->st.id);
}

/*
 * A store of format 3 in dir; AoRs whose number is 'moved' modulo 2 are
 * under format 4 keys already (moved 2: none), as a cut-short migration
 * leaves them. extra: two records the restore refuses. Returns the records.
 */
static unsigned write_format3(const char *dir, unsigned moved, bool extra)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi meta, bindings, midreg;
	assert_int_equal(mdb_env_create(&env), 0);
	mdb_env_set_maxdbs(env, 4);
	mdb_env_set_mapsize(env, 64u << 20); /* LMDB's default 10 MiB holds 12,000 records, not in one transaction */
	assert_int_equal(mdb_env_open(env, dir, 0, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "meta", MDB_CREATE, &meta), 0);
	assert_int_equal(mdb_dbi_open(txn, "bindings", MDB_CREATE, &bindings), 0);
	assert_int_equal(mdb_dbi_open(txn, "midreg", MDB_CREATE, &midreg), 0);
	uint8_t fmt[4] = { 3, 0, 0, 0 };
	MDB_val fk = { 6, "format" }, fv = { sizeof(fmt), fmt };
	assert_int_equal(mdb_put(txn, meta, &fk, &fv, 0), 0);
	unsigned n = 0;
	for (unsigned i = 0; i < N_AORS; i++)
		for (unsigned j = 0; j < bindings_of(i); j++, n++) {
			struct gen g;
			binding_of(i, j, &g);
			uint8_t rec[512], key[SR_CTL_KEY_LEN];
			size_t len = sr_ctl_record_encode(&g.b, rec, sizeof(rec));
			assert_true(len > 0);
			if (i % 2 == moved)
				sr_ctl_record_key(&g.b, key);
			else
				format3_key(&g.b, key);
			MDB_val k = { sizeof(key), key }, v = { len, rec };
			assert_int_equal(mdb_put(txn, bindings, &k, &v, 0), 0);
		}
	if (extra) {
		MDB_val k1 = { SR_CTL_KEY_LEN, "0123456789abcdef" }, v1 = { 8, "\x04garbage" };
		MDB_val k2 = { 5, "short" }, v2 = { 8, "\x04garbage" };
		assert_int_equal(mdb_put(txn, bindings, &k1, &v1, 0), 0);
		assert_int_equal(mdb_put(txn, bindings, &k2, &v2, 0), 0);
		n += 2;
	}
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
	return n;
}

struct notices {
	unsigned n;
};

static void noted(void *ctx, const char *what)
{
	struct notices *x = ctx;
	x->n++;
	assert_non_null(strstr(what, "rewriting store format 3 keys"));
}

/* Opens dir (map of 4 GiB); *told: how many notices the open gave (NULL: not asked). */
static struct sr_ctl_store *open_store_told(const char *dir, unsigned *told)
{
	char err[512];
	struct notices x = { 0 };
	struct sr_ctl_store *st = NULL;
	if (sr_ctl_store_open_noting(dir, 0, noted, &x, &st, err, sizeof(err)) != 0)
		fail_msg("open: %s", err);
	if (told)
		*told = x.n;
	return st;
}

static struct sr_ctl_store *open_store(const char *dir)
{
	return open_store_told(dir, NULL);
}

static uint64_t count(struct sr_ctl_store *st)
{
	uint64_t n, bytes;
	assert_int_equal(sr_ctl_store_count(st, &n, &bytes), 0);
	return n;
}

static unsigned slot_part(void *ctx, unsigned slot)
{
	return slot % *(unsigned *)ctx;
}

static int restore_cb(void *ctx, const struct sr_loc_binding *b, uint64_t aor_hash64, const char **why)
{
	enum sr_restore_rc rc = sr_loc_restore_hashed(ctx, b, aor_hash64, NOW_S);
	if (rc == SR_RESTORE_OK)
		return 0;
	*why = sr_restore_rc_str(rc);
	return -1;
}

static struct sr_loc *loc_new(void)
{
	static unsigned seq;
	char name[32];
	snprintf(name, sizeof(name), "tm_%u", seq++);
	struct sr_loc_params p = { .name = name, .max_aors = 2 * N_AORS, .now_s = NOW_S };
	const char *err = NULL;
	struct sr_loc *loc = sr_loc_create(&p, &err);
	assert_non_null(loc);
	return loc;
}

/* Restores the store in PARTS parts; every AoR must be whole in its slot's part, nowhere else. */
static void restores_in_parts(struct sr_ctl_store *st, unsigned want)
{
	struct sr_loc *loc[PARTS];
	struct sr_ctl_part parts[PARTS];
	for (unsigned p = 0; p < PARTS; p++) {
		loc[p] = loc_new();
		parts[p] = (struct sr_ctl_part){ .fn = restore_cb, .ctx = loc[p] };
	}
	unsigned n = PARTS;
	char err[512];
	struct sr_ctl_load_stats ls;
	if (sr_ctl_store_load_parts(st, NOW_S, n, parts, slot_part, &n, NULL, &ls, err, sizeof(err)) != 0)
		fail_msg("load: %s", err);
	assert_int_equal(ls.loaded, want);
	for (unsigned i = 0; i < N_AORS; i++) {
		struct gen g;
		binding_of(i, 0, &g);
		unsigned owner = sr_ctl_slot_of(sr_hash64(g.b.aor.p, g.b.aor.len)) % PARTS;
		struct sr_loc_binding got[3];
		assert_int_equal(sr_loc_lookup(loc[owner], g.b.aor, NOW_S, got, 3), bindings_of(i));
		for (unsigned j = 0; j < bindings_of(i); j++) {
			binding_of(i, j, &g);
			bool found = false;
			for (unsigned k = 0; k < bindings_of(i); k++)
				found |= got[k].st.id == g.b.st.id && sr_str_eq(got[k].f[SR_BF_CONTACT], g.b.f[SR_BF_CONTACT]) &&
					 sr_binding_state_equal(&got[k].st, &g.b.st);
			assert_true(found);
		}
		for (unsigned p = 0; p < PARTS; p++)
			if (p != owner)
				assert_null(sr_loc_find(loc[p], g.b.aor));
	}
	for (unsigned p = 0; p < PARTS; p++)
		sr_loc_free(loc[p]);
}

static int count_rec(void *ctx, const uint8_t *rec, size_t len)
{
	(void)rec, (void)len;
	(*(unsigned *)ctx)++;
	return 0;
}

static void test_format_3_is_migrated_then_restored(void **state)
{
	(void)state;
	struct dir d;
	dir_new(&d);
	unsigned n = write_format3(d.path, 2, false);
	assert_true(n > 10000);
	unsigned told;
	struct sr_ctl_store *st = open_store_told(d.path, &told);
	assert_int_equal(told, 1); /* said once, before the rewrite */
	assert_int_equal(sr_ctl_store_migrated(st), n);
	assert_int_equal(count(st), n);
	sr_ctl_store_close(st);

	st = open_store_told(d.path, &told); /* marked 4: nothing left to rewrite, nothing said */
	assert_int_equal(told, 0);
	assert_int_equal(sr_ctl_store_migrated(st), 0);
	restores_in_parts(st, n);

	/* an AoR's records are found by the new key's prefix; a refresh overwrites the migrated record */
	struct gen g;
	binding_of(5, 1, &g);
	unsigned found = 0;
	char err[512];
	assert_int_equal(sr_ctl_store_aor(st, g.b.aor, count_rec, &found, err, sizeof(err)), (int)bindings_of(5));
	assert_int_equal(found, bindings_of(5));
	struct sr_ctl_batch b;
	assert_int_equal(sr_ctl_batch_init(&b, 4, 5), 0);
	g.b.st.cseq = 99;
	assert_int_equal(sr_ctl_batch_add(&b, SR_EV_REFRESHED, &g.b, 1, 0), 0);
	assert_int_equal(sr_ctl_store_commit(st, &b, err, sizeof(err)), 0);
	sr_ctl_batch_fini(&b);
	assert_int_equal(count(st), n);
	sr_ctl_store_close(st);
	dir_free(&d);
}

static void test_a_cut_short_migration_is_finished(void **state)
{
	(void)state;
	struct dir d;
	dir_new(&d);
	unsigned n = write_format3(d.path, 0, false), old = 0;
	for (unsigned i = 1; i < N_AORS; i += 2)
		old += bindings_of(i);
	struct sr_ctl_store *st = open_store(d.path);
	assert_int_equal(sr_ctl_store_migrated(st), old);
	assert_int_equal(count(st), n); /* every record once */
	restores_in_parts(st, n);
	sr_ctl_store_close(st);
	dir_free(&d);
}

static void test_records_the_restore_refuses_stay_refused(void **state)
{
	(void)state;
	struct dir d;
	dir_new(&d);
	unsigned n = write_format3(d.path, 2, true);
	struct sr_ctl_store *st = open_store(d.path);
	assert_int_equal(sr_ctl_store_migrated(st), n - 2);
	assert_int_equal(count(st), n);
	unsigned parts_n = 1;
	struct sr_ctl_part part = { .fn = restore_cb, .ctx = loc_new() };
	char err[512];
	struct sr_ctl_load_stats ls;
	assert_int_equal(sr_ctl_store_load_parts(st, NOW_S, 1, &part, slot_part, &parts_n, NULL, &ls, err, sizeof(err)),
			 -1);
	if (!strstr(err, "binding key 73686f7274 of 5 bytes") && !strstr(err, "record shorter than its header"))
		fail_msg("message \"%s\" names neither refused record", err);
	sr_loc_free(part.ctx);
	sr_ctl_store_close(st);
	dir_free(&d);
}

/* The store's format marker and saved resume key, read as any binary would: raw LMDB. */
static uint32_t marker_of(const char *dir, uint8_t resume[64], size_t *resume_len)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi meta;
	MDB_val fk = { 6, "format" }, rk = { 14, "migrate_resume" }, v;
	assert_int_equal(mdb_env_create(&env), 0);
	mdb_env_set_maxdbs(env, 4);
	assert_int_equal(mdb_env_open(env, dir, MDB_RDONLY, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "meta", 0, &meta), 0);
	assert_int_equal(mdb_get(txn, meta, &fk, &v), 0);
	assert_int_equal(v.mv_size, 4);
	const uint8_t *f = v.mv_data;
	uint32_t fmt = f[0] | f[1] << 8 | f[2] << 16 | (uint32_t)f[3] << 24;
	*resume_len = 0;
	if (mdb_get(txn, meta, &rk, &v) == 0) {
		assert_true(v.mv_size <= 64);
		memcpy(resume, v.mv_data, v.mv_size);
		*resume_len = v.mv_size;
	}
	mdb_txn_abort(txn);
	mdb_env_close(env);
	return fmt;
}

/* data.mdb's size in dir. */
static uint64_t file_size(const char *dir)
{
	char path[128];
	struct stat sb;
	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	assert_int_equal(stat(path, &sb), 0);
	return (uint64_t)sb.st_size;
}

/* Opening dir with map_size must fail for want of room, saying so. */
static void open_fails_map_full(const char *dir, uint64_t map_size)
{
	char err[512];
	struct sr_ctl_store *st = NULL;
	assert_int_equal(sr_ctl_store_open(dir, map_size, &st, err, sizeof(err)), -1);
	assert_null(st);
	if (!strstr(err, "MDB_MAP_FULL") || !strstr(err, "raise control.map_size") ||
	    !strstr(err, "the next start resumes it"))
		fail_msg("message \"%s\" does not say the map is full and the next start resumes", err);
}

/*
 * A migration stopped part-way (the map fills in its second transaction: 2.5
 * times the file holds the first batch's copy-on-write pages, not the
 * second's on top) leaves a marker a format 3 binary's check refuses (it
 * accepted exactly 3; restore2's exactly 3 or 4), and the next open resumes
 * from the saved key: a format 3 record planted before it is not visited.
 */
static void test_a_stopped_migration_is_marked_and_resumed(void **state)
{
	(void)state;
	struct dir d;
	dir_new(&d);
	unsigned n = write_format3(d.path, 2, false);
	open_fails_map_full(d.path, file_size(d.path) * 5 / 2);
	uint8_t resume[64];
	size_t resume_len;
	uint32_t fmt = marker_of(d.path, resume, &resume_len);
	assert_int_not_equal(fmt, 3);
	assert_int_not_equal(fmt, 4);
	assert_int_equal(resume_len, SR_CTL_KEY_LEN);

	struct gen g;
	uint8_t planted[SR_CTL_KEY_LEN];
	unsigned i = N_AORS; /* an AoR of its own, keyed before where the walk stopped */
	do {
		binding_of(i++, 0, &g);
		format3_key(&g.b, planted);
	} while (memcmp(planted, resume, SR_CTL_KEY_LEN) >= 0);
	uint8_t rec[512];
	size_t len = sr_ctl_record_encode(&g.b, rec, sizeof(rec));
	raw_put(d.path, "bindings", planted, sizeof(planted), rec, len);

	struct sr_ctl_store *st = open_store(d.path);
	assert_true(sr_ctl_store_migrated(st) > 0);
	assert_true(sr_ctl_store_migrated(st) < n / 2); /* the first transaction's moves are not redone */
	assert_int_equal(count(st), n + 1);
	sr_ctl_store_close(st);
	assert_int_equal(marker_of(d.path, resume, &resume_len), 4);
	assert_int_equal(resume_len, 0);
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k = { sizeof(planted), planted }, v;
	assert_int_equal(mdb_env_create(&env), 0);
	mdb_env_set_maxdbs(env, 4);
	assert_int_equal(mdb_env_open(env, d.path, MDB_RDONLY, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "bindings", 0, &dbi), 0);
	assert_int_equal(mdb_get(txn, dbi, &k, &v), 0); /* still under its format 3 key: not walked again */
	mdb_txn_abort(txn);
	mdb_env_close(env);
	dir_free(&d);
}

/*
 * A map just above the file's size fills in the first transaction: the
 * open fails saying so (marker still 3, nothing moved), and an open with
 * room then migrates every record once and marks the store 4.
 */
static void test_a_full_map_fails_then_room_finishes(void **state)
{
	(void)state;
	struct dir d;
	dir_new(&d);
	unsigned n = write_format3(d.path, 2, false);
	open_fails_map_full(d.path, file_size(d.path) + (64u << 10));
	uint8_t resume[64];
	size_t resume_len;
	assert_int_equal(marker_of(d.path, resume, &resume_len), 3);
	struct sr_ctl_store *st = open_store(d.path);
	assert_int_equal(sr_ctl_store_migrated(st), n);
	assert_int_equal(count(st), n);
	restores_in_parts(st, n);
	sr_ctl_store_close(st);
	assert_int_equal(marker_of(d.path, resume, &resume_len), 4);
	dir_free(&d);
}

/*
 * A record under a format 3 key whose format 4 key holds another record
 * (a corrupt store): the migration refuses it by both keys rather than
 * overwrite one record with the other.
 */
static void test_a_taken_key_is_refused_not_overwritten(void **state)
{
	(void)state;
	struct dir d;
	dir_new(&d);
	write_format3(d.path, 2, false);
	struct gen g;
	binding_of(7, 0, &g);
	g.b.st.cseq = 42; /* another record under the key binding (7, 0) moves to */
	uint8_t rec[512], key[SR_CTL_KEY_LEN];
	size_t len = sr_ctl_record_encode(&g.b, rec, sizeof(rec));
	sr_ctl_record_key(&g.b, key);
	raw_put(d.path, "bindings", key, sizeof(key), rec, len);
	char err[512], hex[2 * SR_CTL_KEY_LEN + 1];
	for (unsigned i = 0; i < SR_CTL_KEY_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", key[i]);
	struct sr_ctl_store *st = NULL;
	assert_int_equal(sr_ctl_store_open(d.path, 0, &st, err, sizeof(err)), -1);
	if (!strstr(err, hex) || !strstr(err, "holds another record"))
		fail_msg("message \"%s\" does not name the taken key %s", err, hex);
	dir_free(&d);
}

int main(void)
{
	if (sr_test_eal_init() != 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_stopped_migration_is_marked_and_resumed),
		cmocka_unit_test(test_a_full_map_fails_then_room_finishes),
		cmocka_unit_test(test_a_taken_key_is_refused_not_overwritten),
		cmocka_unit_test(test_format_3_is_migrated_then_restored),
		cmocka_unit_test(test_a_cut_short_migration_is_finished),
		cmocka_unit_test(test_records_the_restore_refuses_stay_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
