/*
 * net_neigh.c - the neighbour table and ARP resolution (see net_neigh.h for
 * the design).
 *
 * An entry is 24 bytes; the datagrams waiting for a resolution live in the
 * few pending slots, not in the entries, so a large table stays small. A
 * pending slot names its entry by index and the entry names its slot, so
 * learning an address finds its waiting datagrams without a search.
 */
#include "net_neigh.h"

#include <stdlib.h>
#include <string.h>

#include "net_ways.h"

#define NO_SLOT UINT16_MAX
#define QUIET_MS 1000 /* a confirmation this close to the last one writes nothing */

enum state {
	FREE,
	INCOMPLETE, /* on-link, no MAC yet: being resolved, datagrams may wait */
	REACHABLE,  /* on-link, MAC known (stale once reachable_ms old; probed when used then) */
	VIA,        /* off-link, no gateway: the MAC it was last seen behind; never resolved */
};

struct entry {
	uint64_t confirmed_ms;
	uint32_t ip;
	uint8_t mac[6];
	uint8_t state;
	uint8_t port;
	uint16_t slot; /* pending slot (INCOMPLETE, or REACHABLE being probed); NO_SLOT: none */
	uint16_t pad;
};

struct pending {
	uint64_t next_ms;  /* next request, or the give-up once max_requests were sent */
	uint32_t entry;    /* index into the table */
	uint8_t sent;      /* requests sent */
	uint8_t n;         /* datagrams held */
	uint16_t at;       /* its index in busy, kept by start and finish: freeing it needs no search */
	void *q[SR_NEIGH_MAX_QUEUE];
};

struct sr_neigh {
	struct sr_neigh_config cfg;
	struct sr_neigh_io io;
	void *ctx;
	uint32_t bucket_mask;
	struct entry *e;
	struct pending *p;
	uint16_t *free_slots; /* stack of free pending slots */
	uint32_t n_free;
	uint16_t *busy;       /* pending slots in use, in no order (advance walks them; each knows its index) */
	uint32_t n_busy;
	uint64_t next_due_ms; /* earliest next_ms among busy slots (advance returns at once before it) */
	uint8_t last_mac[SR_NEIGH_MAX_PORTS][6];
	bool last_known[SR_NEIGH_MAX_PORTS];
	struct sr_neigh_stats st;
};

static bool on_link(const struct sr_neigh *n, uint32_t ip)
{
	return ((ip ^ n->cfg.ip) & n->cfg.mask) == 0;
}

struct sr_neigh *sr_neigh_create(const struct sr_neigh_config *cfg, const struct sr_neigh_io *io, void *ctx)
{
	if (cfg->queue == 0 || cfg->queue > SR_NEIGH_MAX_QUEUE || cfg->max_requests == 0 || cfg->max_requests > 255 ||
	    cfg->pending == 0 || cfg->pending >= NO_SLOT || cfg->entries > SR_WAYS_MAX_ENTRIES)
		return NULL;
	uint32_t sets = sr_ways_sets(cfg->entries), size = sets * SR_WAYS;
	struct sr_neigh *n = calloc(1, sizeof(*n));
	if (n == NULL)
		return NULL;
	n->cfg = *cfg;
	n->cfg.entries = size;
	n->io = *io;
	n->ctx = ctx;
	n->bucket_mask = sets - 1;
	n->e = calloc(size, sizeof(*n->e));
	n->p = calloc(cfg->pending, sizeof(*n->p));
	n->free_slots = calloc(cfg->pending, sizeof(*n->free_slots));
	n->busy = calloc(cfg->pending, sizeof(*n->busy));
	if (n->e == NULL || n->p == NULL || n->free_slots == NULL || n->busy == NULL) {
		sr_neigh_free(n);
		return NULL;
	}
	for (uint32_t i = 0; i < cfg->pending; i++)
		n->free_slots[i] = (uint16_t)(cfg->pending - 1 - i);
	n->n_free = cfg->pending;
	return n;
}

void sr_neigh_free(struct sr_neigh *n)
{
	if (n == NULL)
		return;
	for (uint32_t b = 0; n->p && b < n->n_busy; b++) {
		struct pending *ps = &n->p[n->busy[b]];
		for (unsigned i = 0; i < ps->n; i++)
			n->io.drop(n->ctx, ps->q[i]);
	}
	free(n->e);
	free(n->p);
	free(n->free_slots);
	free(n->busy);
	free(n);
}

const struct sr_neigh_stats *sr_neigh_stats(const struct sr_neigh *n)
{
	return &n->st;
}

/* --- entries --- */

static struct entry *bucket_of(const struct sr_neigh *n, uint32_t ip)
{
	return &n->e[sr_ways_set(ip, n->bucket_mask) * SR_WAYS];
}

static struct entry *find(const struct sr_neigh *n, uint32_t ip)
{
	struct entry *b = bucket_of(n, ip);
	for (unsigned i = 0; i < SR_WAYS; i++)
		if (b[i].state != FREE && b[i].ip == ip)
			return &b[i];
	return NULL;
}

/* For net_ways.h's rule: an entry being resolved or probed is kept, others go oldest confirmed first. */
static uint64_t rank(const void *way, uint64_t unused)
{
	const struct entry *e = way;
	(void)unused;
	return sr_way_rank(e->state == FREE ? SR_WAY_FREE : e->slot != NO_SLOT ? SR_WAY_KEEP : 1, e->confirmed_ms);
}

/*
 * A way for the new address ip (a free one or a replaced one); NULL when
 * all four are being resolved. Cold and out of line: in steady state a new
 * address is rare (contacts come back from where they were), and its
 * ranking's registers would otherwise be saved on every send and learn
 * (callgrind, bench/RESULTS.md "Neighbour table"). A flood from spoofed
 * sources under the per-source rate makes it common: each costs one
 * victim choice, and the table stays bounded (worker_neigh.h).
 */
__attribute__((cold, noinline)) static struct entry *take(struct sr_neigh *n, uint32_t ip)
{
	struct entry *b = bucket_of(n, ip);
	unsigned v = sr_ways_victim(b, sizeof(*b), rank, 0);
	if (v == SR_WAYS) {
		n->st.table_full++;
		return NULL;
	}
	struct entry *victim = &b[v];
	if (victim->state != FREE)
		n->st.evicted++;
	else
		n->st.entries++;
	memset(victim, 0, sizeof(*victim));
	victim->ip = ip;
	victim->slot = NO_SLOT;
	n->st.learned++;
	return victim;
}

static void forget(struct sr_neigh *n, struct entry *e)
{
	e->state = FREE;
	e->slot = NO_SLOT;
	n->st.entries--;
}

/* --- pending slots --- */

static void due(struct sr_neigh *n, uint64_t at_ms)
{
	if (at_ms < n->next_due_ms)
		n->next_due_ms = at_ms;
}

/* Starts resolving (or probing) e: a pending slot and the first request. False when no slot is free. */
static bool start(struct sr_neigh *n, struct entry *e, uint64_t now_ms)
{
	if (n->n_free == 0)
		return false;
	uint16_t s = n->free_slots[--n->n_free];
	struct pending *ps = &n->p[s];
	ps->at = (uint16_t)n->n_busy;
	n->busy[n->n_busy++] = s;
	ps->entry = (uint32_t)(e - n->e);
	ps->sent = 1;
	ps->n = 0;
	ps->next_ms = now_ms + n->cfg.retry_ms;
	due(n, ps->next_ms);
	e->slot = s;
	n->st.requests++;
	n->io.request(n->ctx, e->port, e->ip);
	return true;
}

/* Returns slot busy[b] to the free stack; the last busy slot takes its place in busy. */
static void finish(struct sr_neigh *n, uint32_t b)
{
	uint16_t s = n->busy[b];
	uint16_t last = n->busy[--n->n_busy];
	n->busy[b] = last;
	n->p[last].at = (uint16_t)b;
	n->free_slots[n->n_free++] = s;
}

/* Empties slot s's queue into q (callbacks may start a resolution that reuses the slot). */
static unsigned take_queue(struct sr_neigh *n, uint16_t s, void **q)
{
	struct pending *ps = &n->p[s];
	unsigned nq = ps->n;
	memcpy(q, ps->q, nq * sizeof(*q));
	ps->n = 0;
	return nq;
}

/* e is confirmed at mac: an outstanding resolution ends and its datagrams go, in order. */
static void confirm(struct sr_neigh *n, struct entry *e, uint16_t port, const uint8_t mac[6], uint64_t now_ms)
{
	memcpy(e->mac, mac, 6);
	e->port = (uint8_t)port;
	e->state = REACHABLE;
	e->confirmed_ms = now_ms;
	if (e->slot == NO_SLOT)
		return;
	void *q[SR_NEIGH_MAX_QUEUE];
	unsigned nq = take_queue(n, e->slot, q);
	finish(n, n->p[e->slot].at);
	e->slot = NO_SLOT;
	n->st.resolved++;
	for (unsigned i = 0; i < nq; i++)
		n->io.release(n->ctx, q[i], port, e->mac);
}

/* --- learning --- */

static bool is_multicast(const uint8_t mac[6])
{
	return (mac[0] & 1) != 0; /* also broadcast */
}

void sr_neigh_learn_ip(struct sr_neigh *n, uint16_t port, uint32_t src_ip, const uint8_t src_mac[6],
		       uint64_t now_ms)
{
	if (port >= SR_NEIGH_MAX_PORTS || is_multicast(src_mac))
		return;
	if (!n->last_known[port] || memcmp(n->last_mac[port], src_mac, 6) != 0) {
		memcpy(n->last_mac[port], src_mac, 6);
		n->last_known[port] = true;
	}
	bool link = on_link(n, src_ip);
	if (!link && n->cfg.gateway)
		return; /* it came through a router; we answer through the gateway */
	struct entry *e = find(n, src_ip);
	if (e && e->slot == NO_SLOT && e->port == port && memcmp(e->mac, src_mac, 6) == 0 &&
	    now_ms < e->confirmed_ms + QUIET_MS)
		return; /* confirmed a moment ago: nothing to write */
	if (e == NULL && (e = take(n, src_ip)) == NULL)
		return;
	if (link) {
		confirm(n, e, port, src_mac, now_ms);
		return;
	}
	memcpy(e->mac, src_mac, 6);
	e->port = (uint8_t)port;
	e->state = VIA;
	e->confirmed_ms = now_ms;
}

bool sr_neigh_learn_arp(struct sr_neigh *n, uint16_t port, const struct sr_net_arp *a, uint64_t now_ms)
{
	if (port >= SR_NEIGH_MAX_PORTS || a->spa == 0 || a->spa == n->cfg.ip || is_multicast(a->sha))
		return false;
	struct entry *e = find(n, a->spa);
	if (e == NULL || e->state == VIA) {
		/* RFC 826: only a packet addressed to us adds a sender we do not hold */
		if (a->tpa != n->cfg.ip || !on_link(n, a->spa))
			return false;
		if (e == NULL && (e = take(n, a->spa)) == NULL)
			return false;
	}
	confirm(n, e, port, a->sha, now_ms);
	return true;
}

/* --- sending --- */

static enum sr_neigh_rc dropped(struct sr_neigh *n)
{
	n->st.dropped++;
	return SR_NEIGH_DROPPED;
}

static enum sr_neigh_rc ready(const struct entry *e, struct sr_neigh_hop *hop)
{
	memcpy(hop->mac, e->mac, 6);
	hop->port = e->port;
	return SR_NEIGH_READY;
}

/* The next hop on-link: a known MAC now (probing a stale one), else pkt waits for ARP. */
static enum sr_neigh_rc resolve(struct sr_neigh *n, uint32_t ip, uint16_t def_port, void *pkt, uint64_t now_ms,
				struct sr_neigh_hop *hop)
{
	struct entry *e = find(n, ip);
	if (e && e->state == REACHABLE) {
		if (e->slot == NO_SLOT && now_ms >= e->confirmed_ms + n->cfg.reachable_ms)
			(void)start(n, e, now_ms); /* stale: probe it; no slot free: probe on a later use */
		return ready(e, hop);
	}
	if (e == NULL || e->state == VIA) {
		if (e == NULL && (e = take(n, ip)) == NULL)
			return dropped(n);
		e->state = INCOMPLETE;
		e->port = (uint8_t)def_port;
		e->confirmed_ms = now_ms; /* the replacement rule's age of an entry never confirmed */
		if (!start(n, e, now_ms)) {
			forget(n, e);
			return dropped(n);
		}
	}
	struct pending *ps = &n->p[e->slot];
	if (ps->n == n->cfg.queue)
		return dropped(n);
	ps->q[ps->n++] = pkt;
	return SR_NEIGH_HELD;
}

enum sr_neigh_rc sr_neigh_send(struct sr_neigh *n, uint32_t dst, uint16_t def_port, void *pkt, uint64_t now_ms,
			       struct sr_neigh_hop *hop)
{
	if (def_port >= SR_NEIGH_MAX_PORTS)
		return dropped(n);
	if (on_link(n, dst))
		return resolve(n, dst, def_port, pkt, now_ms, hop);
	if (n->cfg.gateway)
		return resolve(n, n->cfg.gateway, def_port, pkt, now_ms, hop);
	const struct entry *e = find(n, dst);
	if (e && e->state == VIA)
		return ready(e, hop);
	if (!n->last_known[def_port])
		return dropped(n);
	memcpy(hop->mac, n->last_mac[def_port], 6);
	hop->port = def_port;
	return SR_NEIGH_READY;
}

/* resolve()'s checks for the on-link ip, without its changes: false where it would drop (table_full counted). */
static bool resolvable(struct sr_neigh *n, uint32_t ip)
{
	const struct entry *e = find(n, ip);
	if (e && e->state == REACHABLE)
		return true;
	if (e && e->state == INCOMPLETE)
		return n->p[e->slot].n < n->cfg.queue;
	if (e == NULL && sr_ways_victim(bucket_of(n, ip), sizeof(*e), rank, 0) == SR_WAYS) {
		n->st.table_full++; /* as take() counts it */
		return false;
	}
	return n->n_free > 0; /* a new or VIA entry starts a resolution: a pending slot */
}

bool sr_neigh_can_send(struct sr_neigh *n, uint32_t dst, uint16_t def_port)
{
	bool ok;
	if (def_port >= SR_NEIGH_MAX_PORTS)
		ok = false;
	else if (on_link(n, dst))
		ok = resolvable(n, dst);
	else if (n->cfg.gateway)
		ok = resolvable(n, n->cfg.gateway);
	else {
		const struct entry *e = find(n, dst);
		ok = (e && e->state == VIA) || n->last_known[def_port];
	}
	if (!ok)
		n->st.dropped++;
	return ok;
}

bool sr_neigh_lookup(const struct sr_neigh *n, uint32_t ip, struct sr_neigh_hop *hop)
{
	const struct entry *e = find(n, ip);
	if (e == NULL || e->state == INCOMPLETE)
		return false;
	(void)ready(e, hop);
	return true;
}

/* --- timers --- */

/* The slot busy[b] is due: another request, or the give-up. Returns true when the slot was freed. */
static bool retry(struct sr_neigh *n, uint32_t b, uint64_t now_ms)
{
	struct pending *ps = &n->p[n->busy[b]];
	struct entry *e = &n->e[ps->entry];
	if (ps->sent < n->cfg.max_requests) {
		ps->sent++;
		ps->next_ms = now_ms + n->cfg.retry_ms;
		n->st.requests++;
		n->io.request(n->ctx, e->port, e->ip);
		return false;
	}
	/* max_requests unanswered, the last one retry_ms ago: the address is gone */
	void *q[SR_NEIGH_MAX_QUEUE];
	unsigned nq = take_queue(n, n->busy[b], q);
	n->st.failed++;
	finish(n, b);
	forget(n, e);
	n->st.dropped += nq;
	for (unsigned i = 0; i < nq; i++)
		n->io.drop(n->ctx, q[i]);
	return true;
}

unsigned sr_neigh_advance(struct sr_neigh *n, uint64_t now_ms)
{
	if (n->n_busy == 0 || now_ms < n->next_due_ms)
		return 0;
	unsigned acted = 0;
	uint64_t next = UINT64_MAX;
	for (uint32_t b = 0; b < n->n_busy;) {
		struct pending *ps = &n->p[n->busy[b]];
		if (now_ms >= ps->next_ms) {
			acted++;
			if (retry(n, b, now_ms))
				continue; /* busy[b] now holds another slot: look at it */
		}
		if (ps->next_ms < next)
			next = ps->next_ms;
		b++;
	}
	n->next_due_ms = next;
	return acted;
}
