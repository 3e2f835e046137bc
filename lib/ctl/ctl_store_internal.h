/*
 * ctl_store_internal.h - what the store's own files share (ctl_store.c
 * opens, writes and reads; ctl_load.c restores at start): the environment
 * and the bindings database behind the opaque struct sr_ctl_store, the
 * format 3 key migration (ctl_migrate.c), the
 * recovery hint of every "corrupt" message, and how a key is printed.
 */
#ifndef SR_CTL_STORE_INTERNAL_H
#define SR_CTL_STORE_INTERNAL_H

#include <lmdb.h>
#include <stdio.h>

#include "ctl_store.h"

#define RECOVER_HINT "move the directory aside (or restore a snapshot) and start again"

MDB_env *sr_ctl_store_env(struct sr_ctl_store *st);
unsigned sr_ctl_store_bindings_dbi(struct sr_ctl_store *st); /* an MDB_dbi */
unsigned sr_ctl_store_meta_dbi(struct sr_ctl_store *st);     /* an MDB_dbi: the format marker and the migration's resume key */
/* Writes the format marker 'format' (4 bytes, little-endian) in txn; -1 with err set. */
int sr_ctl_store_put_format(struct sr_ctl_store *st, MDB_txn *txn, uint32_t format, char *err, size_t cap);
const char *sr_ctl_store_dir(const struct sr_ctl_store *st);
/* Rewrites every format 3 key of the bindings in format 4's layout (ctl_migrate.c); *moved: how many. */
int sr_ctl_store_migrate_keys(struct sr_ctl_store *st, uint64_t *moved, char *err, size_t cap);

/* The key in hex (truncated to what fits), for messages naming a record. */
static inline void sr_ctl_key_hex(const MDB_val *k, char *out, size_t cap)
{
	const unsigned char *p = k->mv_data;
	size_t o = 0;
	if (cap)
		out[0] = '\0';
	for (size_t i = 0; i < k->mv_size && o + 3 <= cap; i++)
		o += (size_t)snprintf(out + o, cap - o, "%02x", p[i]);
}

#endif
