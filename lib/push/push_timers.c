/*
 * push_timers.c - the refresh-push timers of one worker's push bindings
 * (see push.h, "refresh timers"; docs/PUSH.md "Refresh pushes").
 *
 * Design decisions:
 * - Kept beside the location store rather than in it: the store's one
 *   timer per binding is its expiry, and its binding header has no room
 *   for a second point in time without growing every binding, push or
 *   not. Push bindings are few next to all bindings, so they pay for their
 *   own timers here: a bounded pool of nodes on lib/location's timer wheel
 *   (one-second ticks, bounded work per advance).
 * - A node names its binding by AoR and the store's stable id, and
 *   remembers the refresh and the expiry it was armed for. A refresh arms
 *   a new node rather than finding the old one (no index to keep); the old
 *   node is recognised as stale when it fires, because the binding's
 *   expiry moved (the caller compares), so at most one push per refresh.
 * - Everything is allocated at creation; a full pool or an AoR longer than
 *   SR_PUSH_TIMER_AOR_MAX arms nothing and is counted (untimed): that
 *   binding gets no refresh push and simply expires, as without push.
 */
#include "push.h"

#include <stdlib.h>
#include <string.h>

#include "timer_wheel.h"

struct node {
	struct sr_tw_node tw;  /* first: the wheel hands back this pointer */
	uint64_t id;
	uint32_t refreshed_s, expires_s;
	uint16_t aor_len;
	char aor[SR_PUSH_TIMER_AOR_MAX];
};

struct sr_push_timers {
	struct sr_tw wheel;
	struct node *nodes;
	uint32_t *free_stack, free_top, cap;
	uint64_t untimed;
	sr_push_timer_fn *fn; /* of the advance in progress */
	void *ctx;
};

struct sr_push_timers *sr_push_timers_create(uint32_t capacity, uint32_t now_s)
{
	struct sr_push_timers *t = calloc(1, sizeof(*t));
	if (!t || capacity == 0)
		goto fail;
	t->nodes = calloc(capacity, sizeof(*t->nodes));
	t->free_stack = calloc(capacity, sizeof(*t->free_stack));
	if (!t->nodes || !t->free_stack)
		goto fail;
	t->cap = capacity;
	for (uint32_t i = 0; i < capacity; i++) {
		sr_tw_node_init(&t->nodes[i].tw);
		t->free_stack[i] = capacity - 1 - i;
	}
	t->free_top = capacity;
	sr_tw_init(&t->wheel, now_s);
	return t;
fail:
	sr_push_timers_free(t);
	return NULL;
}

void sr_push_timers_free(struct sr_push_timers *t)
{
	if (!t)
		return;
	free(t->nodes);
	free(t->free_stack);
	free(t);
}

bool sr_push_timers_arm(struct sr_push_timers *t, struct sr_str aor, uint64_t id, uint32_t at, uint32_t refreshed_s,
			uint32_t expires_s)
{
	if (t->free_top == 0 || aor.len > SR_PUSH_TIMER_AOR_MAX) {
		t->untimed++;
		return false;
	}
	struct node *n = &t->nodes[t->free_stack[--t->free_top]];
	n->id = id;
	n->refreshed_s = refreshed_s;
	n->expires_s = expires_s;
	n->aor_len = (uint16_t)aor.len;
	memcpy(n->aor, aor.p, aor.len);
	sr_tw_arm(&t->wheel, &n->tw, at);
	return true;
}

static void fire(struct sr_tw_node *tn, void *ctx)
{
	struct sr_push_timers *t = ctx;
	struct node *n = (struct node *)tn;
	t->free_stack[t->free_top++] = (uint32_t)(n - t->nodes); /* free first: fn may arm again */
	t->fn(t->ctx, sr_str_make(n->aor, n->aor_len), n->id, n->refreshed_s, n->expires_s);
}

unsigned sr_push_timers_advance(struct sr_push_timers *t, uint32_t now_s, unsigned budget, sr_push_timer_fn *fn,
				void *ctx)
{
	t->fn = fn;
	t->ctx = ctx;
	return sr_tw_advance(&t->wheel, now_s, budget, fire, t);
}

uint32_t sr_push_timers_armed(const struct sr_push_timers *t)
{
	return t->cap - t->free_top;
}

uint64_t sr_push_timers_untimed(const struct sr_push_timers *t)
{
	return t->untimed;
}
