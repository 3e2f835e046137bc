/*
 * sip_arena.h - per-thread bump allocator that libosip2 allocates from.
 *
 * libosip2 lets the program replace malloc/realloc/free through
 * osip_set_allocators(), but the hooks are process-global. We install one set
 * of hooks that allocate from the calling thread's current arena (a
 * thread-local pointer), so every worker parses into its own memory, and
 * sr_arena_reset() after each message returns everything at once: no
 * malloc/free per message on the hot path.
 *
 * When a message needs more than the arena holds, the arena grows by one
 * overflow block (malloc'd, freed at the next reset) and counts it, so an
 * oversized message still parses but shows up in statistics.
 */
#ifndef SR_SIP_ARENA_H
#define SR_SIP_ARENA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sr_arena_block;

struct sr_arena {
	char *base;      /* the fixed block, allocated once (or the caller's, see sr_arena_init_buf) */
	bool own_base;   /* base was allocated by sr_arena_init */
	size_t cap;
	size_t used;
	struct sr_arena_block *overflow; /* chain of extra blocks, freed at reset */
	uint64_t overflows;              /* messages that needed an extra block */
	uint64_t high_water;             /* largest 'used' seen */
};

/* Allocates the fixed block; returns 0 or -1 (no memory). */
int sr_arena_init(struct sr_arena *a, size_t cap);
/* Uses the caller's buf (e.g. on the stack) as the fixed block: no allocation until it overflows. */
void sr_arena_init_buf(struct sr_arena *a, void *buf, size_t cap);
void sr_arena_fini(struct sr_arena *a);

/* Bump allocation, 16-byte aligned. Never returns NULL unless the system is out of memory. */
void *sr_arena_alloc(struct sr_arena *a, size_t size);
/* Copies s[0..len) and NUL-terminates it. */
char *sr_arena_strndup(struct sr_arena *a, const char *s, size_t len);
/* Releases everything allocated since the last reset. */
void sr_arena_reset(struct sr_arena *a);

/*
 * Makes 'a' the arena libosip2 allocates from on the calling thread (NULL: plain malloc).
 * The first call installs the global libosip2 hooks. Returns the previous arena.
 */
struct sr_arena *sr_arena_bind_osip(struct sr_arena *a);

#endif
