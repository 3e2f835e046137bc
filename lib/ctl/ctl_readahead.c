/*
 * ctl_readahead.c - the LMDB map's pages read ahead of a restart's parts
 * (see ctl_load.c's top comment for why: a page fault per 64 KiB per
 * cursor otherwise).
 *
 * Design decisions:
 * - LMDB gives the map's address only for MDB_FIXEDMAP (mdb_env_info's
 *   me_mapaddr is NULL otherwise), so the map is found in /proc/self/maps
 *   by address: a value from a read transaction points into it (the format
 *   marker, which every store has), and the line whose [lo, hi) holds that
 *   pointer is the map. Until 2026-12-08 the line was matched by data.mdb's
 *   st_dev/st_ino, which overlayfs and btrfs report differently in the maps
 *   than fstat does: it found nothing, silently.
 * - The map starts at lo minus the line's file offset (a mapping the
 *   kernel split still gives the file's first page), and only the pages in
 *   use (me_last_pgno) are advised, never past the line's end.
 * - What was advised is returned, so the restore can count it and a map
 *   not found shows as 0 bytes instead of a slow start nobody explains.
 */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22 /* Linux 5.14 */
#endif

#include "ctl_readahead.h"
#include "ctl_store_internal.h"

/* An address inside the map: the format marker's value, read in a read transaction. */
static uintptr_t map_pointer(struct sr_ctl_store *st)
{
	MDB_txn *txn;
	MDB_val k = { 6, (void *)"format" }, v;
	if (mdb_txn_begin(sr_ctl_store_env(st), NULL, MDB_RDONLY, &txn) != 0)
		return 0;
	uintptr_t p = mdb_get(txn, sr_ctl_store_meta_dbi(st), &k, &v) == 0 ? (uintptr_t)v.mv_data : 0;
	mdb_txn_abort(txn); /* the pointer is only compared, never read, after this */
	return p;
}

void sr_ctl_map_find(struct sr_ctl_store *st, struct sr_ctl_map *m)
{
	MDB_envinfo info;
	MDB_stat ms;
	m->addr = NULL;
	m->len = 0;
	uintptr_t p = map_pointer(st);
	if (!p || mdb_env_info(sr_ctl_store_env(st), &info) != 0 || mdb_env_stat(sr_ctl_store_env(st), &ms) != 0)
		return;
	FILE *f = fopen("/proc/self/maps", "r");
	char line[4608];
	while (f && !m->addr && fgets(line, sizeof(line), f)) {
		unsigned long lo, hi, off;
		if (sscanf(line, "%lx-%lx %*s %lx", &lo, &hi, &off) != 3 || p < lo || p >= hi || off > lo)
			continue;
		m->addr = (char *)(lo - off);
		m->len = ((size_t)info.me_last_pgno + 1) * ms.ms_psize;
		if (m->len > hi - (lo - off))
			m->len = hi - (lo - off);
	}
	if (f)
		fclose(f);
	if (m->addr)
		(void)madvise(m->addr, m->len, MADV_WILLNEED); /* a store not in the page cache: read in large requests */
}

size_t sr_ctl_map_populate_share(const struct sr_ctl_map *m, unsigned index, unsigned n)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t from = m->len / n * index / page * page;
	size_t to = index + 1 == n ? m->len : m->len / n * (index + 1) / page * page;
	if (!m->addr || to <= from)
		return 0;
	/*
	 * Linux 5.14; without it (EINVAL) the cursors fault the pages in as before,
	 * read ahead by the MADV_WILLNEED sr_ctl_map_find gave the whole map: the
	 * share counts as advised either way, so 0 still means "map not found".
	 */
	(void)madvise(m->addr + from, to - from, MADV_POPULATE_READ);
	return to - from;
}
