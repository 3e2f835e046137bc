/*
 * push_internal.h - helpers shared by the files of lib/push only (the
 * public interface is push.h).
 */
#ifndef SR_PUSH_INTERNAL_H
#define SR_PUSH_INTERNAL_H

#include <string.h>

#include "push.h"

/* A bounded appender: nothing is written past cap; 'failed' once something did not fit. */
struct push_out {
	char *p;
	size_t cap, len;
	bool failed;
};

static inline void push_put(struct push_out *o, const char *s, size_t n)
{
	if (o->failed || o->cap - o->len < n) {
		o->failed = true;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static inline void push_put_cstr(struct push_out *o, const char *s)
{
	push_put(o, s, strlen(s));
}

/*
 * %-decodes in into out (room for in.len bytes: decoding never grows);
 * returns the decoded length. A '%' not followed by two hex digits is kept
 * as it is: the value is the UA's, we only undo the escaping SIP needed.
 */
size_t push_unescape(struct sr_str in, char *out);

/* Index of the provider named by the decoded value v in r (case-insensitive), -1 when not served. */
int push_provider_index(const struct sr_push_rules *r, struct sr_str v);

/*
 * push_held.c: the held request table. Requests wait for devices (wake
 * keys) until a deadline. The shard takes waiters off one at a time and
 * calls its callbacks outside the table, so a callback may add, cancel or
 * wake again without finding the table half-changed.
 */
struct push_held;
struct push_held *push_held_create(uint32_t capacity);
void push_held_free(struct push_held *h);
uint32_t push_held_count(const struct push_held *h);
/* Holds req until deadline_ms waiting for n (1..SR_PUSH_MAX_WAIT) distinct non-zero keys; false when full. */
bool push_held_add(struct push_held *h, void *req, enum sr_push_hold kind, const uint64_t *keys, unsigned n,
		   uint64_t deadline_ms, uint64_t *handle);
/* Whether some held request waits for key. */
bool push_held_waits_for(const struct push_held *h, uint64_t key);
/* Forgets the hold of handle; false when it is gone already. */
bool push_held_cancel(struct push_held *h, uint64_t handle);
/*
 * Takes one request waiting for key: *req, *kind, and *last when it waits
 * for nothing more (its hold is then gone). False when nobody waits.
 */
bool push_held_take_waiter(struct push_held *h, uint64_t key, void **req, enum sr_push_hold *kind, bool *last);
/* Removes the hold with the earliest deadline when that is <= now_ms; false when none is due. */
bool push_held_pop_expired(struct push_held *h, uint64_t now_ms, void **req, enum sr_push_hold *kind,
			   unsigned *woken);

#endif
