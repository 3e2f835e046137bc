/*
 * worker_send.c - datagrams a worker originates (see worker_send.h).
 */
#include "worker_send.h"

#include <string.h>

#include <rte_mbuf.h>

#include "net_reply.h"
#include "worker_tx.h"
#include "worker_neigh.h"

enum sr_send_rc sr_worker_send_udp(struct sr_worker *w, uint16_t port, uint32_t ip, uint16_t dport, const char *bytes,
				   size_t len, uint64_t now_ms)
{
	static const uint8_t unknown[6]; /* the neighbour table fills the MACs in */
	struct sr_app *app = w->app;
	char *out;
	size_t cap;
	if (!sr_worker_neigh_can_send(w, ip, port))
		return SR_SEND_NO_NEIGHBOUR; /* before the mbuf and the copy: a drop costs neither */
	struct rte_mbuf *r = sr_worker_sip_mbuf(w, &out, &cap);
	if (r == NULL || len > cap) {
		rte_pktmbuf_free(r);
		return SR_SEND_FAILED;
	}
	memcpy(out, bytes, len);
	size_t flen = sr_net_udp_frame(rte_pktmbuf_mtod(r, uint8_t *), unknown, ip, dport, &app->local[port],
				       (uint16_t)len, w->ip_id);
	w->ip_id = (uint16_t)(w->ip_id + app->n_workers); /* IDs stay distinct across workers */
	r->data_len = (uint16_t)flen;
	r->pkt_len = (uint32_t)flen;
	r->port = port;
	if (sr_worker_neigh_send(w, r, ip, port, now_ms))
		return SR_SEND_OK;
	rte_pktmbuf_free(r);
	return SR_SEND_NO_NEIGHBOUR;
}
