/*
 * store_dir.h - temporary data directories for the LMDB store's tests, and
 * raw writes into them (records the store itself would never write).
 */
#ifndef SR_TEST_STORE_DIR_H
#define SR_TEST_STORE_DIR_H

#include <stddef.h>

struct dir {
	char path[64];
};

/* A new empty directory under /tmp (mkdtemp); fails the test when it cannot. */
void dir_new(struct dir *d);
/* Removes it with everything in it. */
void dir_free(struct dir *d);
/* Puts key -> val into database db (NULL: LMDB's main database) of the environment in dir, created if absent. */
void raw_put(const char *dir, const char *db, const void *key, size_t klen, const void *val, size_t vlen);

#endif
