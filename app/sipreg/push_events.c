/*
 * push_events.c - the worker -> control hand-over of push events (see
 * push_events.h).
 */
#include "push_events.h"

#include <stdio.h>
#include <string.h>

#include <rte_malloc.h>
#include <rte_ring.h>

#include "push.h"

struct slot {
	size_t len;
	char json[SR_PUSH_EVENT_MAX];
};

struct sr_push_events {
	struct rte_ring *free_slots, *full;
	struct slot *slots;
};

struct sr_push_events *sr_push_events_create(unsigned worker, unsigned slots, int socket)
{
	struct sr_push_events *e = rte_zmalloc_socket("sr_push_events", sizeof(*e), 0, socket);
	char name[RTE_RING_NAMESIZE];
	if (e == NULL)
		goto fail;
	e->slots = rte_zmalloc_socket("sr_push_slots", (size_t)slots * sizeof(struct slot), 0, socket);
	unsigned flags = RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ;
	snprintf(name, sizeof(name), "sr_pushf_%u", worker);
	e->free_slots = rte_ring_create(name, slots, socket, flags);
	snprintf(name, sizeof(name), "sr_pushe_%u", worker);
	e->full = rte_ring_create(name, slots, socket, flags);
	if (!e->slots || !e->free_slots || !e->full)
		goto fail;
	for (unsigned i = 0; i < slots; i++)
		rte_ring_enqueue(e->free_slots, &e->slots[i]);
	return e;
fail:
	fprintf(stderr, "sipreg: worker %u: push: cannot allocate the event ring (%u slots)\n", worker, slots);
	sr_push_events_free(e);
	return NULL;
}

void sr_push_events_free(struct sr_push_events *e)
{
	if (e == NULL)
		return;
	rte_ring_free(e->free_slots);
	rte_ring_free(e->full);
	rte_free(e->slots);
	rte_free(e);
}

bool sr_push_events_put(struct sr_push_events *e, const char *json, size_t len)
{
	void *p;
	if (len > SR_PUSH_EVENT_MAX || rte_ring_dequeue(e->free_slots, &p) != 0)
		return false;
	struct slot *s = p;
	memcpy(s->json, json, len);
	s->len = len;
	rte_ring_enqueue(e->full, s); /* cannot fail: both rings hold every slot */
	return true;
}

unsigned sr_push_events_drain(struct sr_push_events *e, sr_push_event_fn *fn, void *arg, unsigned max)
{
	unsigned n = 0;
	void *p;
	while (n < max && rte_ring_dequeue(e->full, &p) == 0) {
		struct slot *s = p;
		fn(arg, s->json, s->len);
		rte_ring_enqueue(e->free_slots, s);
		n++;
	}
	return n;
}
