/*
 * net_flood.c - the per-worker source table behind net_flood.h.
 *
 * Entries live in sets of SR_WAYS (net_ways.h); a lookup hashes the address to a
 * set and compares at most four keys. Bucket refill is lazy: an entry
 * remembers when it was last refilled and catches up on the next request.
 */
#include "net_flood.h"

#include <stdbool.h>
#include <stdlib.h>

#include "net_ways.h"

struct sr_flood_entry {
	uint32_t ip;
	uint32_t fails;
	bool used;
	uint64_t seen_ms;          /* last request: for replacement */
	uint64_t refill_ms;        /* tokens are current as of this time */
	uint64_t tokens_m;         /* thousandths of a token */
	uint64_t fail_since_ms;    /* start of the failure window */
	uint64_t blocked_until_ms; /* 0: not blocked */
};

struct sr_flood {
	struct sr_flood_params p;
	uint32_t set_mask;
	uint64_t cap_m; /* burst in thousandths */
	struct sr_flood_stats st;
	struct sr_flood_entry e[]; /* (set_mask + 1) * SR_WAYS */
};

struct sr_flood *sr_flood_create(const struct sr_flood_params *p, const char **err)
{
	if (p->slots > SR_WAYS_MAX_ENTRIES) {
		*err = "flood table: too many slots (at most 16777216)";
		return NULL;
	}
	if (p->fail_limit && (p->block_s == 0 || p->fail_window_s == 0)) {
		*err = "flood: auth_fail_limit needs auth_fail_window and block_time above 0";
		return NULL;
	}
	uint32_t sets = sr_ways_sets(p->slots);
	struct sr_flood *f = calloc(1, sizeof(*f) + (size_t)sets * SR_WAYS * sizeof(f->e[0]));
	if (!f) {
		*err = "flood table: out of memory";
		return NULL;
	}
	f->p = *p;
	if (f->p.burst == 0)
		f->p.burst = f->p.rate;
	f->set_mask = sets - 1;
	f->cap_m = (uint64_t)f->p.burst * 1000;
	return f;
}

void sr_flood_free(struct sr_flood *f)
{
	free(f);
}

static struct sr_flood_entry *set_of(struct sr_flood *f, uint32_t ip)
{
	return &f->e[(size_t)sr_ways_set(ip, f->set_mask) * SR_WAYS];
}

static struct sr_flood_entry *find(struct sr_flood *f, uint32_t ip)
{
	struct sr_flood_entry *s = set_of(f, ip);
	for (int i = 0; i < SR_WAYS; i++)
		if (s[i].used && s[i].ip == ip)
			return &s[i];
	return NULL;
}

static bool is_blocked(const struct sr_flood_entry *e, uint64_t now_ms)
{
	return e->blocked_until_ms > now_ms;
}

/* For net_ways.h's rule: sources not blocked go before blocked ones, each least recently seen first. */
static uint64_t rank(const void *way, uint64_t now_ms)
{
	const struct sr_flood_entry *e = way;
	return sr_way_rank(!e->used ? SR_WAY_FREE : is_blocked(e, now_ms) ? 2 : 1, e->seen_ms);
}

/*
 * A slot for the new source ip: an empty one or the stalest of its set.
 * Not cold, unlike net_neigh.c's take: a flood of spoofed sources makes
 * every request a new source (callgrind, bench/flood: 190 instructions per
 * new source here, 201 cold; bench/RESULTS.md "Neighbour table").
 */
static struct sr_flood_entry *add(struct sr_flood *f, uint32_t ip, uint64_t now_ms)
{
	struct sr_flood_entry *s = set_of(f, ip);
	struct sr_flood_entry *victim = &s[sr_ways_victim(s, sizeof(*s), rank, now_ms)]; /* none is kept: always one */
	if (victim->used)
		f->st.evictions++;
	*victim = (struct sr_flood_entry){ .ip = ip, .used = true, .seen_ms = now_ms,
					   .refill_ms = now_ms, .tokens_m = f->cap_m };
	return victim;
}

/* The entry of ip, added when it has none. */
static struct sr_flood_entry *find_or_add(struct sr_flood *f, uint32_t ip, uint64_t now_ms)
{
	struct sr_flood_entry *e = find(f, ip);
	return e ? e : add(f, ip, now_ms);
}

static uint32_t secs_until(uint64_t until_ms, uint64_t now_ms)
{
	uint64_t s = (until_ms - now_ms + 999) / 1000;
	return s == 0 ? 1 : s > UINT32_MAX ? UINT32_MAX : (uint32_t)s;
}

static void refill(struct sr_flood *f, struct sr_flood_entry *e, uint64_t now_ms)
{
	if (now_ms <= e->refill_ms)
		return; /* the clock never goes back for a worker; a test's might: ignore */
	uint64_t dt = now_ms - e->refill_ms;
	/* Past the time a full refill takes the bucket is full; below it dt * rate cannot overflow. */
	uint64_t add = dt > f->cap_m / f->p.rate ? f->cap_m : dt * f->p.rate;
	e->tokens_m = add >= f->cap_m - e->tokens_m ? f->cap_m : e->tokens_m + add;
	e->refill_ms = now_ms;
}

enum sr_flood_verdict sr_flood_check_blocked(struct sr_flood *f, uint32_t ip, uint64_t now_ms,
					     uint32_t *retry_after_s)
{
	struct sr_flood_entry *e = f->p.fail_limit ? find(f, ip) : NULL;
	if (e && is_blocked(e, now_ms)) {
		if (retry_after_s)
			*retry_after_s = secs_until(e->blocked_until_ms, now_ms);
		f->st.blocked++;
		return SR_FLOOD_BLOCKED;
	}
	return SR_FLOOD_PASS;
}

enum sr_flood_verdict sr_flood_admit(struct sr_flood *f, uint32_t ip, uint64_t now_ms,
				     uint32_t *retry_after_s)
{
	if (f->p.rate == 0) {
		enum sr_flood_verdict v = sr_flood_check_blocked(f, ip, now_ms, retry_after_s);
		f->st.passed += v == SR_FLOOD_PASS;
		return v;
	}
	struct sr_flood_entry *e = find_or_add(f, ip, now_ms);
	e->seen_ms = now_ms;
	if (is_blocked(e, now_ms)) {
		if (retry_after_s)
			*retry_after_s = secs_until(e->blocked_until_ms, now_ms);
		f->st.blocked++;
		return SR_FLOOD_BLOCKED;
	}
	refill(f, e, now_ms);
	if (e->tokens_m < 1000) {
		if (retry_after_s) {
			/* ms until one whole token: (1000 - tokens_m) / rate, rounded up to seconds */
			uint64_t wait_ms = (1000 - e->tokens_m + f->p.rate - 1) / f->p.rate;
			*retry_after_s = secs_until(now_ms + wait_ms, now_ms);
		}
		f->st.limited++;
		return SR_FLOOD_LIMITED;
	}
	e->tokens_m -= 1000;
	f->st.passed++;
	return SR_FLOOD_PASS;
}

void sr_flood_auth_failure(struct sr_flood *f, uint32_t ip, uint64_t now_ms)
{
	if (f->p.fail_limit == 0)
		return;
	struct sr_flood_entry *e = find_or_add(f, ip, now_ms);
	if (is_blocked(e, now_ms))
		return;
	if (e->fails == 0 || now_ms - e->fail_since_ms >= (uint64_t)f->p.fail_window_s * 1000) {
		e->fails = 0;
		e->fail_since_ms = now_ms;
	}
	if (++e->fails >= f->p.fail_limit) {
		e->blocked_until_ms = now_ms + (uint64_t)f->p.block_s * 1000;
		e->fails = 0;
		f->st.blocks++;
	}
}

void sr_flood_auth_success(struct sr_flood *f, uint32_t ip)
{
	struct sr_flood_entry *e = find(f, ip);
	if (e)
		e->fails = 0;
}

void sr_flood_get_stats(const struct sr_flood *f, struct sr_flood_stats *st)
{
	*st = f->st;
}
