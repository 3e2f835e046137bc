/*
 * worker_push.c - one job: the glue between a worker's poll loop and its
 * push shard (lib/push; docs/PUSH.md "Wiring", steps 1, 4, 6 and 8).
 *
 * Design decisions:
 * - The shard's io: emit copies the event into the worker's ring to the
 *   control core (push_events.h; full: false, and lib/push counts it
 *   lost); release and expired go to the routing glue, which turns a
 *   woken binding into a branch of the held proxy context
 *   (worker_route.c, sr_worker_route_release).
 * - Re-registrations are learned from the location store's events (the
 *   one place every change is announced), not from the registrar: an
 *   added or refreshed binding with push parameters is noted by AoR and
 *   binding id, and looked up again in the store on the next loop turn.
 *   By then the REGISTER's 200 is queued, so the UA gets it before the
 *   INVITE it woke up for, and nothing calls back into the store from
 *   inside its own event. A full note list releases at once instead.
 * - The secret lib/push keys wake keys and PURRs with is the routing's
 *   (routing.secret): random at start and shared by every worker.
 * - Refresh pushes (wiring step 5): every addition or refresh of a push
 *   binding arms a timer at sr_push_refresh_at on the worker's own timer
 *   pool (lib/push, push_timers.c), beside the location store, whose one
 *   timer per binding stays its expiry.
 * - Figures: lib/push's counters are the worker's own; they are copied
 *   into a published block every 100 ms with relaxed stores, as the
 *   routing's are.
 */
#include "worker_push.h"

#include <stdio.h>
#include <string.h>

#include <rte_lcore.h>
#include <rte_malloc.h>

#include "worker_route.h"

#define EVENT_SLOTS 256          /* events in flight to the control core, per worker */
#define MAX_NOTES 32             /* re-registrations noted per loop turn */
#define ADVANCE_BUDGET 256       /* held requests expired per loop turn at most */
#define FIGURES_PERIOD_MS 100
#define REFRESH_TIMERS 16384     /* push bindings with a pending refresh push, per worker */
#define TIMER_BUDGET 256         /* refresh timers fired per loop turn at most */

struct note {
	uint64_t id;
	size_t aor_len;
	char aor[SR_REG_MAX_AOR_LEN];
};

struct sr_worker_push {
	struct sr_worker *w;
	struct sr_push_shard *ps;
	struct sr_push_events *events;
	struct sr_push_timers *timers;    /* refresh pushes (push_timers.c) */
	uint64_t now_ms;
	unsigned n_notes;
	struct note notes[MAX_NOTES];
	uint64_t next_publish_ms;
	struct sr_push_stats pub;
	uint64_t pub_untimed;
};

/* --- lib/push's io --- */

static bool io_emit(void *ctx, const char *json, size_t len)
{
	struct sr_worker_push *wp = ctx;
	return sr_push_events_put(wp->events, json, len);
}

static void io_release(void *ctx, void *req, enum sr_push_hold kind, void *binding, bool last)
{
	struct sr_worker_push *wp = ctx;
	if (kind == SR_PUSH_HOLD_CALL)
		sr_worker_route_release(wp->w, req, binding, last, wp->now_ms);
	else
		sr_worker_route_purr_go(wp->w, req, wp->now_ms); /* its binding is awake: send it as planned */
}

static void io_expired(void *ctx, void *req, enum sr_push_hold kind, unsigned woken)
{
	struct sr_worker_push *wp = ctx;
	(void)woken; /* the proxy context knows its own branches */
	if (kind == SR_PUSH_HOLD_CALL)
		sr_worker_route_expired(wp->w, req, wp->now_ms);
	else
		sr_worker_route_purr_go(wp->w, req, wp->now_ms); /* sent anyway, as the manual does */
}

/* --- bindings --- */

void sr_worker_push_binding(const struct sr_loc_binding *v, struct sr_push_binding *out)
{
	*out = (struct sr_push_binding){
		.contact = v->f[SR_BF_CONTACT],
		.params = v->f[SR_BF_PN_PARAMS],
		/* the store's registered_at is the last REGISTER's second */
		.refreshed_s = v->st.registered_at,
		.expires_s = v->st.expires,
		.pnsreg = (v->st.flags & SR_BFLAG_PNSREG) != 0,
	};
}

/* Releases what waits for the device of binding view v (a push binding just added or refreshed). */
static void released_by(struct sr_worker_push *wp, const struct sr_loc_binding *v)
{
	struct sr_push_binding pb;
	sr_worker_push_binding(v, &pb);
	pb.refreshed_s = (uint32_t)(wp->now_ms / 1000); /* it was just added or refreshed */
	sr_push_on_register(wp->ps, v->aor, &pb, (void *)v);
}

/* The binding's refresh push, at sr_push_refresh_at (docs/PUSH.md wiring step 5). */
static void arm_refresh(struct sr_worker_push *wp, const struct sr_loc_binding *v, uint32_t refreshed_s)
{
	struct sr_push_binding pb;
	sr_worker_push_binding(v, &pb);
	pb.refreshed_s = refreshed_s;
	uint32_t at = sr_push_refresh_at(sr_push_shard_rules(wp->ps), &pb);
	if (at && at < pb.expires_s)
		sr_push_timers_arm(wp->timers, v->aor, v->st.id, at, pb.refreshed_s, pb.expires_s);
}

/* A refresh timer fired: push unless the binding is gone or was refreshed since (its expiry moved). */
static void refresh_due(void *ctx, struct sr_str aor, uint64_t id, uint32_t refreshed_s, uint32_t expires_s)
{
	struct sr_worker_push *wp = ctx;
	const struct sr_aor *a = sr_loc_find(sr_reg_location(wp->w->shard), aor);
	for (const struct sr_binding *b = sr_loc_first(a); b; b = b->next) {
		if (b->id != id)
			continue;
		struct sr_loc_binding v;
		sr_loc_view(b, &v);
		if (v.st.expires != expires_s)
			return; /* refreshed since: its own timer is armed */
		struct sr_push_binding pb;
		sr_worker_push_binding(&v, &pb);
		pb.refreshed_s = refreshed_s;
		sr_push_on_refresh_timer(wp->ps, aor, &pb, (uint32_t)(wp->now_ms / 1000));
		return; /* the store's own timer expires it at expires_s if nothing refreshes it */
	}
}

void sr_worker_push_on_event(struct sr_worker *w, const struct sr_loc_event *ev)
{
	struct sr_worker_push *wp = w->push;
	if (wp == NULL || (ev->type != SR_EV_ADDED && ev->type != SR_EV_REFRESHED) ||
	    ev->b->f[SR_BF_PN_PARAMS].len == 0)
		return;
	arm_refresh(wp, ev->b, (uint32_t)(wp->now_ms / 1000));
	if (sr_push_stats(wp->ps)->holding == 0)
		return; /* nothing waits: the common refresh costs nothing more */
	if (wp->n_notes == MAX_NOTES || ev->b->aor.len > SR_REG_MAX_AOR_LEN) {
		released_by(wp, ev->b);
		return;
	}
	struct note *n = &wp->notes[wp->n_notes++];
	n->id = ev->b->st.id;
	n->aor_len = ev->b->aor.len;
	memcpy(n->aor, ev->b->aor.p, n->aor_len);
}

void sr_worker_push_restored(struct sr_worker *w, const struct sr_loc_binding *b)
{
	/* armed from its last REGISTER's second, as before the restart (a push already due fires at once) */
	if (w->push && b->f[SR_BF_PN_PARAMS].len)
		arm_refresh(w->push, b, b->st.registered_at);
}

/* The noted re-registrations, as the store holds them now (a binding removed meanwhile releases nothing). */
static unsigned release_noted(struct sr_worker_push *wp)
{
	struct sr_loc *loc = sr_reg_location(wp->w->shard);
	unsigned n = wp->n_notes;
	for (unsigned i = 0; i < n; i++) {
		struct note *nt = &wp->notes[i];
		const struct sr_aor *a = sr_loc_find(loc, sr_str_make(nt->aor, nt->aor_len));
		for (const struct sr_binding *b = sr_loc_first(a); b; b = b->next) {
			if (b->id != nt->id)
				continue;
			struct sr_loc_binding v;
			sr_loc_view(b, &v);
			released_by(wp, &v);
			break;
		}
	}
	wp->n_notes = 0;
	return n;
}

static void publish(struct sr_worker_push *wp)
{
	const struct sr_push_stats *s = sr_push_stats(wp->ps);
	struct sr_push_stats *f = &wp->pub;
	for (unsigned r = 0; r < SR_PUSH_R_COUNT; r++)
		SR_STAT_SET(f->triggered[r], s->triggered[r]);
	SR_STAT_SET(f->skipped, s->skipped);
	SR_STAT_SET(f->coalesced, s->coalesced);
	SR_STAT_SET(f->lost, s->lost);
	SR_STAT_SET(f->held, s->held);
	SR_STAT_SET(f->held_full, s->held_full);
	SR_STAT_SET(f->released, s->released);
	SR_STAT_SET(f->timed_out, s->timed_out);
	SR_STAT_SET(f->cancelled, s->cancelled);
	SR_STAT_SET(f->holding, s->holding);
	SR_STAT_SET(wp->pub_untimed, sr_push_timers_untimed(wp->timers));
}

unsigned sr_worker_push_advance(struct sr_worker *w, uint64_t now_ms)
{
	struct sr_worker_push *wp = w->push;
	if (wp == NULL)
		return 0;
	wp->now_ms = now_ms;
	unsigned n = wp->n_notes ? release_noted(wp) : 0;
	n += sr_push_advance(wp->ps, now_ms, ADVANCE_BUDGET);
	n += sr_push_timers_advance(wp->timers, (uint32_t)(now_ms / 1000), TIMER_BUDGET, refresh_due, wp);
	if (now_ms >= wp->next_publish_ms) {
		publish(wp);
		wp->next_publish_ms = now_ms + FIGURES_PERIOD_MS;
	}
	return n;
}

const struct sr_push_stats *sr_worker_push_figures(const struct sr_worker *w)
{
	return w->push ? &w->push->pub : NULL;
}

uint64_t sr_worker_push_untimed(const struct sr_worker *w)
{
	return w->push ? __atomic_load_n(&w->push->pub_untimed, __ATOMIC_RELAXED) : 0;
}

struct sr_push_shard *sr_worker_push_shard(const struct sr_worker *w)
{
	return w->push ? w->push->ps : NULL;
}

struct sr_push_events *sr_worker_push_events(const struct sr_worker *w)
{
	return w->push ? w->push->events : NULL;
}

int sr_worker_push_create(struct sr_worker *w, uint64_t now_ms)
{
	const struct sr_app_config *c = &w->app->cfg;
	w->push = NULL;
	if (!c->push.enable)
		return 0;
	int socket = (int)rte_lcore_to_socket_id(w->lcore);
	struct sr_worker_push *wp = rte_zmalloc_socket("sr_worker_push", sizeof(*wp), RTE_CACHE_LINE_SIZE, socket);
	if (wp == NULL) {
		fprintf(stderr, "sipreg: worker %u: push: out of memory\n", w->id);
		return -1;
	}
	wp->w = w;
	wp->now_ms = now_ms;
	static const struct sr_push_io io = { io_emit, io_release, io_expired };
	wp->events = sr_push_events_create(w->id, EVENT_SLOTS, socket);
	wp->timers = sr_push_timers_create(REFRESH_TIMERS, (uint32_t)(now_ms / 1000));
	wp->ps = wp->events && wp->timers ? sr_push_shard_create(&c->reg.push, c->routing.secret, c->push.held, &io, wp)
					  : NULL;
	if (wp->ps == NULL) {
		fprintf(stderr, "sipreg: worker %u: push: cannot create the shard (push.held)\n", w->id);
		sr_push_timers_free(wp->timers);
		sr_push_events_free(wp->events);
		rte_free(wp);
		return -1;
	}
	w->push = wp;
	return 0;
}

void sr_worker_push_free(struct sr_worker *w)
{
	struct sr_worker_push *wp = w->push;
	if (wp == NULL)
		return;
	sr_push_shard_free(wp->ps);
	sr_push_timers_free(wp->timers);
	sr_push_events_free(wp->events);
	rte_free(wp);
	w->push = NULL;
}
