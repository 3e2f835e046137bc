/*
 * slab.h - size-class allocator for one shard's bindings and AoR records.
 *
 * Bindings are variable-sized (contact, Call-ID, Path and user agent stored
 * inline behind a fixed header) and created and freed on the hot path. We
 * carve them from large chunks in 8-byte size classes (the alignment our structs need) with a free list per
 * class: allocation and free are a few instructions, no lock (one owner
 * thread), no system call except when a new chunk is needed, and memory per
 * binding stays close to its real size. Objects larger than the biggest
 * class fall back to malloc (rare: only huge Path sets).
 */
#ifndef SR_SLAB_H
#define SR_SLAB_H

#include <stddef.h>
#include <stdint.h>

#define SR_SLAB_GRAIN 8
#define SR_SLAB_MAX_OBJ 2048
#define SR_SLAB_CLASSES (SR_SLAB_MAX_OBJ / SR_SLAB_GRAIN)

struct sr_slab_chunk;

struct sr_slab {
	void *free_list[SR_SLAB_CLASSES];
	struct sr_slab_chunk *chunks;
	char *bump;         /* unused tail of the newest chunk */
	size_t bump_left;
	size_t chunk_size;
	uint64_t bytes_reserved; /* chunk memory + large objects */
	uint64_t bytes_in_use;   /* sum of rounded sizes of live objects */
	uint64_t objects;        /* live objects */
	uint64_t limit;          /* 0: unlimited; else allocation fails past this many reserved bytes */
};

void sr_slab_init(struct sr_slab *s, size_t chunk_size, uint64_t limit);
/* Frees every chunk; all objects become invalid. */
void sr_slab_fini(struct sr_slab *s);
/* Returns NULL when out of memory or over the limit. */
void *sr_slab_alloc(struct sr_slab *s, size_t size);
/* 'size' must be the size passed to sr_slab_alloc. */
void sr_slab_free(struct sr_slab *s, void *p, size_t size);

#endif
