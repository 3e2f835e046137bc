/*
 * net_ring.c - creation and teardown of the worker ring mesh.
 */
#include "net_ring.h"

#include <stdio.h>
#include <string.h>

#include <rte_common.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

struct rte_ring *sr_net_ring_create(const char *name, unsigned size, int socket)
{
	return rte_ring_create(name, rte_align32pow2(size), socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
}

int sr_net_mesh_create(struct sr_net_mesh *m, unsigned n, unsigned size)
{
	memset(m, 0, sizeof(*m));
	m->n = n;
	for (unsigned from = 0; from < n; from++) {
		for (unsigned to = 0; to < n; to++) {
			if (from == to)
				continue;
			char name[RTE_RING_NAMESIZE];
			snprintf(name, sizeof(name), "sr_w%u_to_w%u", from & 0xff, to & 0xff); /* < SR_NET_MAX_WORKERS */
			m->ring[from][to] = sr_net_ring_create(name, size, SOCKET_ID_ANY);
			if (m->ring[from][to] == NULL) {
				sr_net_mesh_free(m);
				return -1;
			}
		}
	}
	return 0;
}

unsigned sr_net_mesh_free(struct sr_net_mesh *m)
{
	unsigned dropped = 0;
	void *obj;

	for (unsigned from = 0; from < m->n; from++) {
		for (unsigned to = 0; to < m->n; to++) {
			struct rte_ring *r = m->ring[from][to];
			if (r == NULL)
				continue;
			while (rte_ring_dequeue(r, &obj) == 0) {
				rte_pktmbuf_free(obj);
				dropped++;
			}
			rte_ring_free(r);
			m->ring[from][to] = NULL;
		}
	}
	return dropped;
}
