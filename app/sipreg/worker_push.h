/*
 * worker_push.h - a worker's glue to lib/push (RFC 8599, docs/PUSH.md
 * "Wiring"): its push shard, the events it hands to the control core,
 * re-registrations of push bindings that release held requests, and its
 * published figures. Everything is absent (w->push NULL) when push.enable
 * is false.
 */
#ifndef SR_WORKER_PUSH_H
#define SR_WORKER_PUSH_H

#include <stdint.h>

#include "app.h"
#include "location.h"
#include "push.h"
#include "push_events.h"

/* Creates w->push when push.enable (before the routing: it needs the shard). 0, or -1 after a message. */
int sr_worker_push_create(struct sr_worker *w, uint64_t now_ms);
void sr_worker_push_free(struct sr_worker *w);

/* The worker's push shard, NULL when push is off. */
struct sr_push_shard *sr_worker_push_shard(const struct sr_worker *w);
/* The events the control core drains, NULL when push is off. */
struct sr_push_events *sr_worker_push_events(const struct sr_worker *w);

/*
 * A binding event of the worker's store (sr_worker_on_event): an added or
 * refreshed push binding is noted, and the requests held for its device
 * are released on the next sr_worker_push_advance, after the REGISTER's
 * 200 was queued (the woken UA hears its 200 before the INVITE).
 */
void sr_worker_push_on_event(struct sr_worker *w, const struct sr_loc_event *ev);

/* A binding put back by persistence's restore (no event): its refresh push gets a timer too. */
void sr_worker_push_restored(struct sr_worker *w, const struct sr_loc_binding *b);

/* Once per poll loop: noted re-registrations, then expired holds; publishes figures. Returns the work done. */
unsigned sr_worker_push_advance(struct sr_worker *w, uint64_t now_ms);

/* Published figures of worker w (NULL when push is off): relaxed loads. */
const struct sr_push_stats *sr_worker_push_figures(const struct sr_worker *w);

/* Push bindings that got no refresh timer (the worker's pool was full, or a very long AoR). */
uint64_t sr_worker_push_untimed(const struct sr_worker *w);

/* What lib/push needs of a stored binding (strings point into v). */
void sr_worker_push_binding(const struct sr_loc_binding *v, struct sr_push_binding *out);

#endif
