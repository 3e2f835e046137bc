/*
 * sip_arena.c - per-thread bump allocator behind libosip2's allocation hooks.
 *
 * Every allocation carries an 8-byte size header so that osip_realloc can
 * copy the old contents; osip_free is a no-op while an arena is bound
 * because the whole arena is released by sr_arena_reset(). A thread with no
 * arena bound gets plain malloc/realloc/free, so libosip2 keeps working for
 * code outside the hot path (config parsing, tests).
 */
#include "sip_arena.h"

#include <osipparser2/osip_port.h>
#include <stdlib.h>
#include <string.h>

#define SR_ARENA_ALIGN 16
#define SR_ARENA_HDR 16 /* keeps the payload 16-byte aligned; holds the size */

struct sr_arena_block {
	struct sr_arena_block *next;
	size_t cap, used;
	_Alignas(16) char data[];
};

static _Thread_local struct sr_arena *tls_arena;

int sr_arena_init(struct sr_arena *a, size_t cap)
{
	memset(a, 0, sizeof(*a));
	a->base = aligned_alloc(SR_ARENA_ALIGN, (cap + SR_ARENA_ALIGN - 1) & ~(size_t)(SR_ARENA_ALIGN - 1));
	if (!a->base)
		return -1;
	a->cap = cap;
	a->own_base = true;
	return 0;
}

void sr_arena_init_buf(struct sr_arena *a, void *buf, size_t cap)
{
	memset(a, 0, sizeof(*a));
	/* The bump pointer keeps 16-byte alignment relative to base: start base aligned. */
	size_t skew = (size_t)(-(uintptr_t)buf) & (SR_ARENA_ALIGN - 1);
	a->base = (char *)buf + skew;
	a->cap = cap > skew ? (cap - skew) & ~(size_t)(SR_ARENA_ALIGN - 1) : 0;
}

void sr_arena_fini(struct sr_arena *a)
{
	sr_arena_reset(a);
	if (a->own_base)
		free(a->base);
	a->base = NULL;
	a->cap = 0;
}

static void *arena_take(struct sr_arena *a, size_t size)
{
	size = (size + SR_ARENA_ALIGN - 1) & ~(size_t)(SR_ARENA_ALIGN - 1);
	if (size <= a->cap - a->used) {
		void *p = a->base + a->used;
		a->used += size;
		if (a->used > a->high_water)
			a->high_water = a->used;
		return p;
	}
	struct sr_arena_block *b = a->overflow;
	if (b && size <= b->cap - b->used) {
		void *p = b->data + b->used;
		b->used += size;
		return p;
	}
	/* Grow by a block at least as large as the fixed one so a big message needs few blocks. */
	size_t bcap = (size > a->cap ? size : a->cap) + SR_ARENA_ALIGN - 1;
	bcap &= ~(size_t)(SR_ARENA_ALIGN - 1);
	/* aligned_alloc wants a multiple of the alignment; the header must keep data[] aligned too. */
	size_t hdr = (sizeof(*b) + SR_ARENA_ALIGN - 1) & ~(size_t)(SR_ARENA_ALIGN - 1);
	b = aligned_alloc(SR_ARENA_ALIGN, hdr + bcap);
	if (!b)
		return NULL;
	if (!a->overflow)
		a->overflows++;
	b->next = a->overflow;
	b->cap = bcap;
	b->used = size;
	a->overflow = b;
	return b->data;
}

void *sr_arena_alloc(struct sr_arena *a, size_t size)
{
	return arena_take(a, size);
}

char *sr_arena_strndup(struct sr_arena *a, const char *s, size_t len)
{
	char *p = arena_take(a, len + 1);
	if (p) {
		memcpy(p, s, len);
		p[len] = '\0';
	}
	return p;
}

void sr_arena_reset(struct sr_arena *a)
{
	struct sr_arena_block *b = a->overflow;
	while (b) {
		struct sr_arena_block *next = b->next;
		free(b);
		b = next;
	}
	a->overflow = NULL;
	a->used = 0;
}

/* libosip2 hooks: allocate from the thread's arena, or fall back to the C library. */

static void *hook_malloc(size_t size)
{
	struct sr_arena *a = tls_arena;
	if (!a)
		return malloc(size);
	char *p = arena_take(a, size + SR_ARENA_HDR);
	if (!p)
		return NULL;
	memcpy(p, &size, sizeof(size));
	return p + SR_ARENA_HDR;
}

static void *hook_realloc(void *old, size_t size)
{
	struct sr_arena *a = tls_arena;
	if (!a)
		return realloc(old, size);
	void *p = hook_malloc(size);
	if (p && old) {
		size_t old_size;
		memcpy(&old_size, (char *)old - SR_ARENA_HDR, sizeof(old_size));
		memcpy(p, old, old_size < size ? old_size : size);
	}
	return p;
}

static void hook_free(void *p)
{
	if (!tls_arena)
		free(p);
	/* else: released with the whole arena at sr_arena_reset() */
}

struct sr_arena *sr_arena_bind_osip(struct sr_arena *a)
{
	static _Atomic int installed;
	if (!installed) {
		/* The hooks are process-wide; installing them twice is harmless (same pointers). */
		osip_set_allocators(hook_malloc, hook_realloc, hook_free);
		installed = 1;
	}
	struct sr_arena *prev = tls_arena;
	tls_arena = a;
	return prev;
}
