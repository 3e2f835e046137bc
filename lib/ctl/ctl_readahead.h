/*
 * ctl_readahead.h - the LMDB map's pages in use read ahead of a restart's
 * parts (ctl_load.c): found in /proc/self/maps, advised MADV_WILLNEED once,
 * then each part's share mapped at once (MADV_POPULATE_READ).
 */
#ifndef SR_CTL_READAHEAD_H
#define SR_CTL_READAHEAD_H

#include <stddef.h>

#include "ctl_store.h"

struct sr_ctl_map {
	char *addr; /* NULL: not found (nothing is advised) */
	size_t len; /* the pages in use */
};

/* Finds the store's map and advises its pages in use MADV_WILLNEED; m->addr NULL when it is not found. */
void sr_ctl_map_find(struct sr_ctl_store *st, struct sr_ctl_map *m);
/* Maps part index's share (of n) of the pages at once; returns the bytes advised (0: none, or refused). */
size_t sr_ctl_map_populate_share(const struct sr_ctl_map *m, unsigned index, unsigned n);

#endif
