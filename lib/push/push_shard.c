/*
 * push_shard.c - the per-worker push state: when to push, which requests
 * wait, and what wakes them.
 *
 * The shard is driven by its worker like the routing shard: the registrar
 * tells it about re-registrations (sr_push_on_register), the location
 * store's timer about bindings near expiry (sr_push_on_refresh_timer), the
 * routing about requests (sr_push_on_call, sr_push_on_purr) and the poll
 * loop about time (sr_push_advance). It answers through struct sr_push_io:
 * an event for the control core, a held request released or expired.
 *
 * Decisions kept here rather than in the callers:
 * - one push per device, not per binding or request: targets of the same
 *   device (same wake key) share a push, and a device another held
 *   request already waits for is not pushed again ("coalesced"): the first
 *   push is on its way and its re-registration releases both;
 * - push contacts that refreshed within skip_interval are taken as awake
 *   and forked to at once, like any contact;
 * - when the table is full, a call that has other targets forks to all of
 *   them (a sleeping contact at its last address is still a chance) and
 *   one with nothing else is answered 503; a PURR request is sent at once.
 *   Either way no push is sent for a request that is not held: nobody
 *   would wait for the re-registration it causes.
 */
#include "push_internal.h"

#include <stdlib.h>
#include <string.h>

struct sr_push_shard {
	struct sr_push_rules rules;
	uint64_t secret[2];
	struct sr_push_io io;
	void *ctx;
	struct push_held *held;
	struct sr_push_stats stats;
	char json[SR_PUSH_EVENT_MAX];
};

struct sr_push_shard *sr_push_shard_create(const struct sr_push_rules *r, const uint64_t secret[2], uint32_t held,
					   const struct sr_push_io *io, void *ctx)
{
	if (!r || !secret || !io || !io->emit || !io->release || !io->expired)
		return NULL;
	struct sr_push_shard *ps = calloc(1, sizeof(*ps));
	if (!ps)
		return NULL;
	ps->rules = *r;
	ps->secret[0] = secret[0];
	ps->secret[1] = secret[1];
	ps->io = *io;
	ps->ctx = ctx;
	ps->held = push_held_create(held);
	if (!ps->held) {
		free(ps);
		return NULL;
	}
	return ps;
}

void sr_push_shard_free(struct sr_push_shard *ps)
{
	if (!ps)
		return;
	push_held_free(ps->held);
	free(ps);
}

const struct sr_push_stats *sr_push_stats(const struct sr_push_shard *ps)
{
	return &ps->stats;
}

const struct sr_push_rules *sr_push_shard_rules(const struct sr_push_shard *ps)
{
	return &ps->rules;
}

/* A push contact that refreshed within skip_interval: taken as awake. */
static bool fresh(const struct sr_push_rules *r, const struct sr_push_binding *b, uint32_t now_s)
{
	return r->skip_interval && now_s >= b->refreshed_s && now_s - b->refreshed_s < r->skip_interval;
}

static void emit(struct sr_push_shard *ps, struct sr_str aor, const struct sr_push_binding *b,
		 enum sr_push_reason reason)
{
	size_t n = sr_push_event_json(ps->json, sizeof(ps->json), aor, b->contact, reason, b->params);
	if (n == 0 || !ps->io.emit(ps->ctx, ps->json, n)) {
		ps->stats.lost++;
		return;
	}
	ps->stats.triggered[reason]++;
}

uint32_t sr_push_refresh_at(const struct sr_push_rules *r, const struct sr_push_binding *b)
{
	if (!r->enable || b->params.len == 0 || b->expires_s < b->refreshed_s + 2)
		return 0;
	uint32_t life = b->expires_s - b->refreshed_s;
	uint32_t half = b->refreshed_s + life / 2;
	uint32_t at = life > r->trigger_interval ? b->expires_s - r->trigger_interval : half;
	return at > half ? at : half;
}

uint32_t sr_push_on_refresh_timer(struct sr_push_shard *ps, struct sr_str aor, const struct sr_push_binding *b,
				  uint32_t now_s)
{
	if (ps->rules.enable && b->params.len && now_s < b->expires_s) {
		if (fresh(&ps->rules, b, now_s))
			ps->stats.skipped++;
		else
			emit(ps, aor, b, SR_PUSH_R_REFRESH);
	}
	return b->expires_s;
}

void sr_push_plan_call(const struct sr_push_rules *r, const uint64_t secret[2], struct sr_str aor,
		       const struct sr_push_binding *b, unsigned n, uint32_t now_s, struct sr_push_plan *plan)
{
	memset(plan, 0, sizeof(*plan));
	if (n > SR_PUSH_MAX_WAIT)
		n = SR_PUSH_MAX_WAIT;
	for (unsigned i = 0; i < n; i++) {
		uint32_t bit = 1u << i;
		if (!r->enable || b[i].params.len == 0 || sr_push_wake_key(secret, aor, b[i].params) == 0) {
			plan->fork_mask |= bit; /* an ordinary contact (or one we could not wake anyway) */
		} else if (fresh(r, &b[i], now_s)) {
			plan->fork_mask |= bit;
			plan->skip_mask |= bit;
		} else {
			plan->push_mask |= bit;
		}
	}
	if (!plan->push_mask)
		plan->verdict = SR_PUSH_CALL_FORK;
	else
		plan->verdict = plan->fork_mask ? SR_PUSH_CALL_FORK_WAIT : SR_PUSH_CALL_HOLD;
}

/* The distinct devices of the pushed targets: keys[] and, for each, the target whose event is sent. */
static unsigned devices(const struct sr_push_shard *ps, struct sr_str aor, const struct sr_push_binding *b,
			uint32_t push_mask, uint64_t keys[SR_PUSH_MAX_WAIT], unsigned first[SR_PUSH_MAX_WAIT])
{
	unsigned nk = 0;
	for (unsigned i = 0; i < SR_PUSH_MAX_WAIT; i++) {
		if (!(push_mask & (1u << i)))
			continue;
		uint64_t k = sr_push_wake_key(ps->secret, aor, b[i].params);
		bool seen = false;
		for (unsigned j = 0; j < nk && !seen; j++)
			seen = keys[j] == k;
		if (!seen) {
			keys[nk] = k;
			first[nk++] = i;
		}
	}
	return nk;
}

enum sr_push_call sr_push_on_call(struct sr_push_shard *ps, void *req, struct sr_str aor,
				  const struct sr_push_binding *b, unsigned n, uint32_t now_s, uint64_t now_ms,
				  struct sr_push_plan *plan)
{
	sr_push_plan_call(&ps->rules, ps->secret, aor, b, n, now_s, plan);
	ps->stats.skipped += (uint64_t)__builtin_popcount(plan->skip_mask);
	if (plan->verdict == SR_PUSH_CALL_FORK)
		return plan->verdict;
	uint64_t keys[SR_PUSH_MAX_WAIT];
	unsigned first[SR_PUSH_MAX_WAIT];
	bool pending[SR_PUSH_MAX_WAIT];
	unsigned nk = devices(ps, aor, b, plan->push_mask, keys, first);
	for (unsigned k = 0; k < nk; k++)
		pending[k] = push_held_waits_for(ps->held, keys[k]); /* before ours joins the table */
	uint64_t deadline = now_ms + (uint64_t)ps->rules.refresh_timeout * 1000;
	if (!push_held_add(ps->held, req, SR_PUSH_HOLD_CALL, keys, nk, deadline, &plan->handle)) {
		ps->stats.held_full++;
		if (!plan->fork_mask) {
			plan->verdict = SR_PUSH_CALL_BUSY;
		} else {
			plan->verdict = SR_PUSH_CALL_FORK;
			plan->fork_mask |= plan->push_mask;
		}
		plan->push_mask = 0;
		return plan->verdict;
	}
	ps->stats.held++;
	ps->stats.holding = push_held_count(ps->held);
	for (unsigned k = 0; k < nk; k++) {
		if (pending[k])
			ps->stats.coalesced++;
		else
			emit(ps, aor, &b[first[k]], SR_PUSH_R_CALL);
	}
	return plan->verdict;
}

enum sr_push_purr sr_push_on_purr(struct sr_push_shard *ps, void *req, struct sr_str aor,
				  const struct sr_push_binding *b, uint32_t now_s, uint64_t now_ms, uint64_t *handle)
{
	if (!ps->rules.enable || !ps->rules.purr || !b || b->params.len == 0)
		return SR_PUSH_PURR_SEND;
	uint64_t key = sr_push_wake_key(ps->secret, aor, b->params);
	if (key == 0)
		return SR_PUSH_PURR_SEND;
	if (fresh(&ps->rules, b, now_s)) {
		ps->stats.skipped++;
		return SR_PUSH_PURR_SEND;
	}
	bool pending = push_held_waits_for(ps->held, key);
	uint64_t deadline = now_ms + (uint64_t)ps->rules.refresh_timeout * 1000;
	if (!push_held_add(ps->held, req, SR_PUSH_HOLD_PURR, &key, 1, deadline, handle)) {
		ps->stats.held_full++;
		return SR_PUSH_PURR_SEND;
	}
	ps->stats.held++;
	ps->stats.holding = push_held_count(ps->held);
	if (pending)
		ps->stats.coalesced++;
	else
		emit(ps, aor, b, SR_PUSH_R_PURR);
	return SR_PUSH_PURR_HOLD;
}

unsigned sr_push_on_register(struct sr_push_shard *ps, struct sr_str aor, const struct sr_push_binding *b,
			     void *binding)
{
	if (b->params.len == 0)
		return 0;
	uint64_t key = sr_push_wake_key(ps->secret, aor, b->params);
	if (key == 0)
		return 0;
	/* Bounded by what waits now: a release callback that holds again for this device waits for the next one. */
	unsigned told = 0, limit = push_held_count(ps->held);
	void *req;
	enum sr_push_hold kind;
	bool last;
	while (told < limit && push_held_take_waiter(ps->held, key, &req, &kind, &last)) {
		told++;
		ps->stats.released++;
		ps->stats.holding = push_held_count(ps->held);
		ps->io.release(ps->ctx, req, kind, binding, last);
	}
	ps->stats.holding = push_held_count(ps->held);
	return told;
}

bool sr_push_cancel(struct sr_push_shard *ps, uint64_t handle)
{
	if (!push_held_cancel(ps->held, handle))
		return false;
	ps->stats.cancelled++;
	ps->stats.holding = push_held_count(ps->held);
	return true;
}

unsigned sr_push_advance(struct sr_push_shard *ps, uint64_t now_ms, unsigned budget)
{
	unsigned ran = 0;
	void *req;
	enum sr_push_hold kind;
	unsigned woken;
	while (ran < budget && push_held_pop_expired(ps->held, now_ms, &req, &kind, &woken)) {
		ran++;
		ps->stats.timed_out++;
		ps->stats.holding = push_held_count(ps->held);
		ps->io.expired(ps->ctx, req, kind, woken);
	}
	return ran;
}
