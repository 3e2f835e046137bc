/*
 * push_events.h - one worker's contactRefresh events on their way to the
 * control core (RFC 8599, docs/PUSH.md wiring step 8).
 *
 * Slots, not a byte ring, as persistence's event rings: a fixed pool of
 * event buffers (SR_PUSH_EVENT_MAX each) circulates between two
 * single-producer single-consumer rte_rings, "free" (control -> worker) and
 * "full" (worker -> control). The worker copies an event into a free slot
 * and hands it over by pointer; no slot free means the event is refused
 * (lib/push counts it lost) and the worker never waits.
 */
#ifndef SR_PUSH_EVENTS_H
#define SR_PUSH_EVENTS_H

#include <stdbool.h>
#include <stddef.h>

struct sr_push_events;

/* slots: events in flight at once (a power of two is not required). NULL after a message. */
struct sr_push_events *sr_push_events_create(unsigned worker, unsigned slots, int socket);
void sr_push_events_free(struct sr_push_events *e);

/* Worker: copies one event; false when no slot is free or it is too large. */
bool sr_push_events_put(struct sr_push_events *e, const char *json, size_t len);

/* Control core: hands at most max events to fn (valid during the call) and frees their slots. */
typedef void sr_push_event_fn(void *arg, const char *json, size_t len);
unsigned sr_push_events_drain(struct sr_push_events *e, sr_push_event_fn *fn, void *arg, unsigned max);

#endif
