/*
 * worker_stun.c - one job: a STUN message on the SIP port answered or
 * dropped where it was received (RFC 5389 Binding, RFC 5626 4.4.2
 * keepalives).
 *
 * Design decisions:
 * - No hand-over: a Binding response depends on the packet only (its
 *   source address), not on any shard, so the receiving worker answers it
 *   before the owner pre-scan, and the SIP parser never sees STUN bytes.
 * - Always on (routing.mode off too): RFC 5626 clients keep their flow to
 *   the registrar open with it, whoever routes their calls.
 * - The response leaves like a registrar response (same mbuf pool, headers
 *   derived from the request frame), always to the source port: STUN has
 *   no Via.
 */
#include "worker_stun.h"

#include <string.h>

#include "net_reply.h"
#include "net_stun.h"
#include "worker_tx.h"

bool sr_worker_stun(struct sr_worker *w, struct rte_mbuf *m, const struct sr_net_pkt *p, const uint8_t *payload)
{
	if (!sr_net_is_stun(payload, p->payload_len))
		return false;
	uint8_t resp[SR_STUN_RESPONSE_MAX];
	size_t n = sr_net_stun_binding_response(payload, p->payload_len, p->src_ip, p->src_port, resp);
	char *out;
	size_t cap;
	struct rte_mbuf *r;
	if (n == 0) {
		SR_STAT_INC(w->stats.stun_ignored); /* indications and responses: nothing to answer */
	} else if ((r = sr_worker_sip_mbuf(w, &out, &cap)) == NULL) {
		SR_STAT_INC(w->stats.net.drops[SR_ND_NO_MBUF]);
	} else {
		struct sr_app *app = w->app;
		memcpy(out, resp, n);
		size_t flen = sr_net_udp_reply(rte_pktmbuf_mtod(r, uint8_t *), rte_pktmbuf_mtod(m, uint8_t *), p,
					       &app->local[m->port], p->src_port, (uint16_t)n, w->ip_id);
		w->ip_id = (uint16_t)(w->ip_id + app->n_workers);
		r->data_len = (uint16_t)flen;
		r->pkt_len = (uint32_t)flen;
		r->port = m->port;
		SR_STAT_INC(w->stats.stun_replies);
		sr_worker_tx_sip(w, r);
	}
	rte_pktmbuf_free(m);
	return true;
}
