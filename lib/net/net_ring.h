/*
 * net_ring.h - the mesh of single-producer single-consumer rings between workers.
 *
 * ring[from][to] carries mbufs that worker 'from' received but worker 'to'
 * owns (by AoR bucket). One ring per ordered pair keeps every ring SP/SC,
 * the cheapest rte_ring mode, and keeps a busy sender from starving others.
 */
#ifndef SR_NET_RING_H
#define SR_NET_RING_H

#include <stdint.h>

struct rte_ring;

#define SR_NET_MAX_WORKERS 64

struct sr_net_mesh {
	unsigned n;
	struct rte_ring *ring[SR_NET_MAX_WORKERS][SR_NET_MAX_WORKERS]; /* [from][to], NULL on the diagonal */
};

/* A SP/SC ring of 'size' entries (rounded up to a power of two); NULL on failure. */
struct rte_ring *sr_net_ring_create(const char *name, unsigned size, int socket);

/* Creates all n*(n-1) rings; returns 0 or -1 (everything created is freed). */
int sr_net_mesh_create(struct sr_net_mesh *m, unsigned n, unsigned size);

/* Frees the rings, dropping (freeing) any mbufs still queued; returns how many were dropped. */
unsigned sr_net_mesh_free(struct sr_net_mesh *m);

#endif
