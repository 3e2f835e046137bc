/*
 * store_dir.c - see store_dir.h. The environment is opened with LMDB's own
 * API, not the store's, so that a test can write what the store refuses.
 */
#include "store_dir.h"

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

#include <ftw.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(p);
}

void dir_new(struct dir *d)
{
	snprintf(d->path, sizeof(d->path), "/tmp/sr_store_XXXXXX");
	assert_non_null(mkdtemp(d->path));
}

void dir_free(struct dir *d)
{
	nftw(d->path, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

void raw_put(const char *dir, const char *db, const void *key, size_t klen, const void *val, size_t vlen)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	assert_int_equal(mdb_env_create(&env), 0);
	mdb_env_set_maxdbs(env, 4);
	assert_int_equal(mdb_env_open(env, dir, 0, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, db, MDB_CREATE, &dbi), 0);
	MDB_val k = { klen, (void *)key }, v = { vlen, (void *)val };
	assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}
