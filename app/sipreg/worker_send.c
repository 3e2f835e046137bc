/*
 * worker_send.c - datagrams a worker originates (see worker_send.h).
 */
#include "worker_send.h"

#include <string.h>

#include <rte_mbuf.h>

#include "net_reply.h"
#include "worker.h"

static unsigned slot_of(uint32_t ip)
{
	return (unsigned)((ip * 2654435761u) >> 22) & (SR_NEIGH_SLOTS - 1);
}

void sr_neigh_learn(struct sr_neigh_table *t, uint16_t port, const uint8_t *src_mac, uint32_t ip)
{
	unsigned s = slot_of(ip);
	t->slot[s].ip = ip;
	t->slot[s].port = port;
	memcpy(t->slot[s].mac, src_mac, 6);
	memcpy(t->last_mac[port], src_mac, 6);
	t->last_known[port] = true;
}

const uint8_t *sr_neigh_find(const struct sr_neigh_table *t, uint16_t port, uint32_t ip)
{
	unsigned s = slot_of(ip);
	if (t->slot[s].ip == ip)
		return t->slot[s].mac;
	return t->last_known[port] ? t->last_mac[port] : NULL;
}

uint16_t sr_neigh_port(const struct sr_neigh_table *t, uint32_t ip, uint16_t def)
{
	unsigned s = slot_of(ip);
	return t->slot[s].ip == ip ? t->slot[s].port : def;
}

enum sr_send_rc sr_worker_send_udp(struct sr_worker *w, const struct sr_neigh_table *t, uint16_t port, uint32_t ip,
				   uint16_t dport, const char *bytes, size_t len)
{
	struct sr_app *app = w->app;
	const uint8_t *mac = sr_neigh_find(t, port, ip);
	if (mac == NULL)
		return SR_SEND_NO_NEIGHBOUR;
	char *out;
	size_t cap;
	struct rte_mbuf *r = sr_worker_sip_mbuf(w, &out, &cap);
	if (r == NULL || len > cap) {
		rte_pktmbuf_free(r);
		return SR_SEND_FAILED;
	}
	memcpy(out, bytes, len);
	size_t flen = sr_net_udp_frame(rte_pktmbuf_mtod(r, uint8_t *), mac, ip, dport, &app->local[port],
				       (uint16_t)len, w->ip_id);
	w->ip_id = (uint16_t)(w->ip_id + app->n_workers); /* IDs stay distinct across workers */
	r->data_len = (uint16_t)flen;
	r->pkt_len = (uint32_t)flen;
	r->port = port;
	sr_worker_tx_sip(w, r);
	return SR_SEND_OK;
}
