/*
 * push_held.c - requests waiting for pushed devices to re-register.
 *
 * Bounded and allocation-free after creation: 'capacity' entries, each
 * waiting for up to SR_PUSH_MAX_WAIT devices (wake keys). Two indexes:
 *
 * - by deadline: every hold gets the same push.refresh_timeout, so entries
 *   arrive in deadline order and a doubly linked FIFO is the timer: the
 *   head is the next to expire, cancelling unlinks in O(1). An entry whose
 *   deadline is earlier than the tail's (a clock step) is inserted in
 *   order from the tail, so the FIFO stays sorted whatever the caller does.
 * - by wake key: a chained hash of "wait nodes", one per (entry, slot), so
 *   a re-registration finds its waiters without a scan. Keys are SipHash
 *   outputs under the shard's secret (sr_push_wake_key), so the low bits
 *   index the buckets directly and a remote party cannot aim at one chain.
 *
 * Handles carry a generation next to the index: a stale handle (the hold
 * already released or expired, its slot reused) cancels nothing.
 */
#include "push_internal.h"

#include <stdlib.h>

#define NIL UINT32_MAX

struct held_entry {
	void *req;
	uint64_t deadline_ms;
	uint64_t keys[SR_PUSH_MAX_WAIT]; /* awaited devices; 0 once that one woke */
	uint32_t gen;
	uint32_t prev, next;             /* deadline order */
	uint8_t kind, n_keys, n_waiting, n_woken;
	bool live;
};

struct push_held {
	struct held_entry *e;
	uint32_t cap, used;
	uint32_t *free_stack, free_top;
	uint32_t head, tail;
	uint32_t *bucket, mask;
	uint32_t *node_next; /* node = entry * SR_PUSH_MAX_WAIT + slot */
};

struct push_held *push_held_create(uint32_t capacity)
{
	if (capacity == 0 || capacity > (NIL - 1) / SR_PUSH_MAX_WAIT)
		return NULL;
	struct push_held *h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	uint32_t buckets = 16;
	while (buckets < 2 * capacity)
		buckets <<= 1;
	h->cap = capacity;
	h->mask = buckets - 1;
	h->e = calloc(capacity, sizeof(*h->e));
	h->free_stack = malloc(sizeof(uint32_t) * capacity);
	h->bucket = malloc(sizeof(uint32_t) * buckets);
	h->node_next = malloc(sizeof(uint32_t) * capacity * SR_PUSH_MAX_WAIT);
	if (!h->e || !h->free_stack || !h->bucket || !h->node_next) {
		push_held_free(h);
		return NULL;
	}
	for (uint32_t i = 0; i < capacity; i++)
		h->free_stack[i] = capacity - 1 - i;
	h->free_top = capacity;
	for (uint32_t i = 0; i < buckets; i++)
		h->bucket[i] = NIL;
	h->head = h->tail = NIL;
	return h;
}

void push_held_free(struct push_held *h)
{
	if (!h)
		return;
	free(h->e);
	free(h->free_stack);
	free(h->bucket);
	free(h->node_next);
	free(h);
}

uint32_t push_held_count(const struct push_held *h)
{
	return h->used;
}

static uint32_t *bucket_of(const struct push_held *h, uint64_t key)
{
	return &h->bucket[key & h->mask];
}

static void node_unlink(struct push_held *h, uint32_t node, uint64_t key)
{
	for (uint32_t *p = bucket_of(h, key); *p != NIL; p = &h->node_next[*p]) {
		if (*p == node) {
			*p = h->node_next[node];
			return;
		}
	}
}

/* Inserts entry i into the deadline list, from the tail back to its place. */
static void fifo_insert(struct push_held *h, uint32_t i)
{
	struct held_entry *x = &h->e[i];
	uint32_t after = h->tail;
	while (after != NIL && h->e[after].deadline_ms > x->deadline_ms)
		after = h->e[after].prev;
	x->prev = after;
	x->next = after == NIL ? h->head : h->e[after].next;
	if (x->next != NIL)
		h->e[x->next].prev = i;
	else
		h->tail = i;
	if (after != NIL)
		h->e[after].next = i;
	else
		h->head = i;
}

static void fifo_unlink(struct push_held *h, uint32_t i)
{
	struct held_entry *x = &h->e[i];
	if (x->prev != NIL)
		h->e[x->prev].next = x->next;
	else
		h->head = x->next;
	if (x->next != NIL)
		h->e[x->next].prev = x->prev;
	else
		h->tail = x->prev;
}

/* Takes entry i off both indexes and frees it. */
static void entry_free(struct push_held *h, uint32_t i)
{
	struct held_entry *x = &h->e[i];
	for (unsigned s = 0; s < x->n_keys; s++)
		if (x->keys[s])
			node_unlink(h, i * SR_PUSH_MAX_WAIT + s, x->keys[s]);
	fifo_unlink(h, i);
	x->live = false;
	x->req = NULL;
	h->free_stack[h->free_top++] = i;
	h->used--;
}

bool push_held_add(struct push_held *h, void *req, enum sr_push_hold kind, const uint64_t *keys, unsigned n,
		   uint64_t deadline_ms, uint64_t *handle)
{
	if (h->free_top == 0 || n == 0 || n > SR_PUSH_MAX_WAIT)
		return false;
	uint32_t i = h->free_stack[--h->free_top];
	struct held_entry *x = &h->e[i];
	x->req = req;
	x->deadline_ms = deadline_ms;
	x->kind = (uint8_t)kind;
	x->n_keys = x->n_waiting = (uint8_t)n;
	x->n_woken = 0;
	x->live = true;
	x->gen++;
	for (unsigned s = 0; s < n; s++) {
		uint32_t node = i * SR_PUSH_MAX_WAIT + s;
		x->keys[s] = keys[s];
		uint32_t *b = bucket_of(h, keys[s]);
		h->node_next[node] = *b;
		*b = node;
	}
	fifo_insert(h, i);
	h->used++;
	*handle = (uint64_t)x->gen << 32 | i;
	return true;
}

bool push_held_waits_for(const struct push_held *h, uint64_t key)
{
	for (uint32_t n = *bucket_of(h, key); n != NIL; n = h->node_next[n])
		if (h->e[n / SR_PUSH_MAX_WAIT].keys[n % SR_PUSH_MAX_WAIT] == key)
			return true;
	return false;
}

bool push_held_cancel(struct push_held *h, uint64_t handle)
{
	uint32_t i = (uint32_t)handle;
	if (i >= h->cap || !h->e[i].live || h->e[i].gen != (uint32_t)(handle >> 32))
		return false;
	entry_free(h, i);
	return true;
}

bool push_held_take_waiter(struct push_held *h, uint64_t key, void **req, enum sr_push_hold *kind, bool *last)
{
	for (uint32_t n = *bucket_of(h, key); n != NIL; n = h->node_next[n]) {
		uint32_t i = n / SR_PUSH_MAX_WAIT, s = n % SR_PUSH_MAX_WAIT;
		struct held_entry *x = &h->e[i];
		if (x->keys[s] != key)
			continue;
		*req = x->req;
		*kind = (enum sr_push_hold)x->kind;
		node_unlink(h, n, key);
		x->keys[s] = 0;
		x->n_woken++;
		*last = --x->n_waiting == 0;
		if (*last)
			entry_free(h, i);
		return true;
	}
	return false;
}

bool push_held_pop_expired(struct push_held *h, uint64_t now_ms, void **req, enum sr_push_hold *kind,
			   unsigned *woken)
{
	uint32_t i = h->head;
	if (i == NIL || h->e[i].deadline_ms > now_ms)
		return false;
	*req = h->e[i].req;
	*kind = (enum sr_push_hold)h->e[i].kind;
	*woken = h->e[i].n_woken;
	entry_free(h, i);
	return true;
}
