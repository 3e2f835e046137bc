/*
 * slab.c - size-class allocator (see slab.h for why it exists).
 *
 * Design decisions:
 * - Sizes are rounded up to SR_SLAB_GRAIN (16) bytes; class c serves objects
 *   of (c + 1) * 16 bytes. Size 0 is served as one grain so every allocation
 *   returns a distinct pointer.
 * - A freed object goes on its class's free list; the list link is stored in
 *   the first bytes of the freed object itself, so free lists cost no memory.
 *   Reuse is LIFO: the most recently freed object is the warmest in cache.
 * - Fresh objects are carved from the newest chunk with a bump pointer. When
 *   the rest of a chunk is too small for a request, that tail (a multiple of
 *   the grain) is pushed on the free list of its own class instead of being
 *   wasted, and a new chunk is taken.
 * - Objects above SR_SLAB_MAX_OBJ get their own malloc block. They share the
 *   chunk header and the chunk list with ordinary chunks (the list is doubly
 *   linked so a large object can unlink itself in O(1) when freed), which
 *   lets sr_slab_fini release them too, without a field in struct sr_slab.
 * - 'limit' caps bytes_reserved (memory obtained from malloc, headers not
 *   counted): objects recycled from a free list never fail, a new chunk or a
 *   large object fails when it would cross the limit.
 * - A chunk that is a whole number of 2 MiB pages (the location store's)
 *   is allocated aligned to 2 MiB and advised MADV_HUGEPAGE: the kernel
 *   then backs it with transparent huge pages where it allows them
 *   ("madvise" mode, the common default), so filling a chunk costs one
 *   page fault instead of 512 (a restart fills gigabytes of chunks in a
 *   row, and a fresh registrar's new bindings fault on every 4 KiB page),
 *   and the bindings' addresses take 512 times fewer TLB entries.
 * - Under AddressSanitizer every byte the caller does not own is poisoned:
 *   the unused tail of a chunk, free-listed objects, and the bytes between
 *   the requested size and the rounded size. A use-after-free or overflow of
 *   a binding in the registrar is then reported at the faulting access.
 */
#include "slab.h"

#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/mman.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define SLAB_POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define SLAB_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define SLAB_POISON(p, n) ((void)(p), (void)(n))
#define SLAB_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define SLAB_DEFAULT_CHUNK (256u * 1024u)
#define SLAB_HUGE_PAGE (2u << 20) /* x86-64's transparent huge page */

/* Header of every malloc block the slab owns: a chunk or one large object. */
struct sr_slab_chunk {
	struct sr_slab_chunk *next, *prev;
	size_t size; /* bytes after the header */
};

/* Objects start right after the header, so keep the header a grain multiple. */
#define SLAB_HDR_SIZE                                                                         \
	((sizeof(struct sr_slab_chunk) + SR_SLAB_GRAIN - 1) / SR_SLAB_GRAIN * SR_SLAB_GRAIN)

_Static_assert(SR_SLAB_GRAIN >= sizeof(void *), "a free object must hold the list link");
_Static_assert(SR_SLAB_MAX_OBJ % SR_SLAB_GRAIN == 0, "classes must tile the size range");

static inline size_t round_size(size_t size)
{
	if (size == 0)
		return SR_SLAB_GRAIN;
	return (size + SR_SLAB_GRAIN - 1) / SR_SLAB_GRAIN * SR_SLAB_GRAIN;
}

static inline unsigned class_of(size_t rounded)
{
	return (unsigned)(rounded / SR_SLAB_GRAIN - 1);
}

static inline void *chunk_data(struct sr_slab_chunk *c)
{
	return (char *)c + SLAB_HDR_SIZE;
}

void sr_slab_init(struct sr_slab *s, size_t chunk_size, uint64_t limit)
{
	*s = (struct sr_slab){ 0 };
	if (chunk_size == 0)
		chunk_size = SLAB_DEFAULT_CHUNK;
	/* A chunk must hold at least one object of the largest class. */
	if (chunk_size < SLAB_HDR_SIZE + SR_SLAB_MAX_OBJ)
		chunk_size = SLAB_HDR_SIZE + SR_SLAB_MAX_OBJ;
	s->chunk_size = chunk_size;
	s->limit = limit;
}

void sr_slab_fini(struct sr_slab *s)
{
	struct sr_slab_chunk *c = s->chunks;
	while (c) {
		struct sr_slab_chunk *next = c->next;
		SLAB_UNPOISON(chunk_data(c), c->size);
		free(c);
		c = next;
	}
	sr_slab_init(s, s->chunk_size, s->limit);
}

static bool would_exceed(const struct sr_slab *s, size_t bytes)
{
	return s->limit && s->bytes_reserved + bytes > s->limit;
}

/* A block of 'bytes'; whole huge pages when it is a multiple of one (see the top comment). */
static void *block_alloc(size_t bytes)
{
	if (bytes % SLAB_HUGE_PAGE)
		return malloc(bytes);
	void *p = aligned_alloc(SLAB_HUGE_PAGE, bytes);
	if (p)
		(void)madvise(p, bytes, MADV_HUGEPAGE); /* advice only: without THP, 4 KiB pages as before */
	return p;
}

/* mallocs a block of 'size' usable bytes and links it first in the chunk list. */
static struct sr_slab_chunk *block_new(struct sr_slab *s, size_t size)
{
	if (would_exceed(s, size))
		return NULL;
	struct sr_slab_chunk *c = block_alloc(SLAB_HDR_SIZE + size);
	if (!c)
		return NULL;
	c->size = size;
	c->prev = NULL;
	c->next = s->chunks;
	if (s->chunks)
		s->chunks->prev = c;
	s->chunks = c;
	s->bytes_reserved += size;
	return c;
}

static void block_delete(struct sr_slab *s, struct sr_slab_chunk *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		s->chunks = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->bytes_reserved -= c->size;
	free(c);
}

/* Puts a (poisoned or unpoisoned) object of 'rounded' bytes on its free list, poisoned. */
static void free_list_push(struct sr_slab *s, void *p, size_t rounded)
{
	unsigned cls = class_of(rounded);
	SLAB_UNPOISON(p, sizeof(void *));
	*(void **)p = s->free_list[cls];
	s->free_list[cls] = p;
	SLAB_POISON(p, rounded);
}

static void *free_list_pop(struct sr_slab *s, size_t rounded)
{
	unsigned cls = class_of(rounded);
	void *p = s->free_list[cls];
	if (!p)
		return NULL;
	SLAB_UNPOISON(p, sizeof(void *));
	s->free_list[cls] = *(void **)p;
	return p;
}

/* Takes a new chunk for the bump pointer; the old tail is kept on a free list. */
static bool refill(struct sr_slab *s)
{
	struct sr_slab_chunk *c = block_new(s, s->chunk_size - SLAB_HDR_SIZE);
	if (!c)
		return false;
	if (s->bump_left)
		free_list_push(s, s->bump, s->bump_left);
	s->bump = chunk_data(c);
	s->bump_left = c->size / SR_SLAB_GRAIN * SR_SLAB_GRAIN;
	SLAB_POISON(s->bump, c->size);
	return true;
}

static void *bump_alloc(struct sr_slab *s, size_t rounded)
{
	if (s->bump_left < rounded && !refill(s))
		return NULL;
	void *p = s->bump;
	s->bump += rounded;
	s->bump_left -= rounded;
	return p;
}

static void *large_alloc(struct sr_slab *s, size_t rounded)
{
	struct sr_slab_chunk *c = block_new(s, rounded);
	return c ? chunk_data(c) : NULL;
}

void *sr_slab_alloc(struct sr_slab *s, size_t size)
{
	size_t rounded = round_size(size);
	if (rounded < size) /* size near SIZE_MAX wrapped */
		return NULL;
	void *p;
	if (rounded > SR_SLAB_MAX_OBJ) {
		p = large_alloc(s, rounded);
	} else {
		p = free_list_pop(s, rounded);
		if (!p)
			p = bump_alloc(s, rounded);
	}
	if (!p)
		return NULL;
	/* Only the requested bytes are addressable: overflows into the rounding are caught. */
	SLAB_UNPOISON(p, size);
	s->bytes_in_use += rounded;
	s->objects++;
	return p;
}

void sr_slab_free(struct sr_slab *s, void *p, size_t size)
{
	if (!p)
		return;
	size_t rounded = round_size(size);
	assert(s->objects > 0 && s->bytes_in_use >= rounded);
	s->bytes_in_use -= rounded;
	s->objects--;
	if (rounded > SR_SLAB_MAX_OBJ) {
		struct sr_slab_chunk *c = (struct sr_slab_chunk *)((char *)p - SLAB_HDR_SIZE);
		assert(c->size == rounded && "sr_slab_free: size differs from the allocation");
		block_delete(s, c);
		return;
	}
	free_list_push(s, p, rounded);
}
