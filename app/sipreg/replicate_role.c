/*
 * replicate_role.c - the workers' side of the role: a standby does not
 * answer for the service address; a node that becomes active announces it
 * with a gratuitous ARP (docs/REPLICATION.md, "Role").
 *
 * Design decisions:
 * - A standby answers nothing at all, ARP included, rather than refusing
 *   REGISTER with 503: the service address moves like a virtual IP, so
 *   frames reach a standby only from neighbours whose ARP cache is stale.
 *   Dropping them makes the UA retransmit (RFC 3261 timer E), and the
 *   retransmission reaches the active once the gratuitous ARP has
 *   corrected that cache; a 503 would instead turn a takeover of a few
 *   hundred milliseconds into an error the UA must handle. A standby's
 *   REGISTER could not be acknowledged anyway: it does not replicate.
 * - Worker 0 sends the announcement on every port, twice (at once and
 *   GARP_REPEAT_MS later, in case the first is lost), straight onto its
 *   own transmit queue: a control frame that must not wait behind a
 *   sync-durability hold.
 */
#include "replicate_internal.h"

#include <rte_ethdev.h>

#include "net_reply.h"

#define GARP_REPEAT_MS 500

void sr_replicate_standby_drop(struct sr_worker *w, struct rte_mbuf *m)
{
	SR_STAT_INC(w->app->repl->w[w->id].standby_drops);
	rte_pktmbuf_free(m);
}

static void announce(struct sr_worker *w, struct replicate_worker *rw)
{
	struct sr_app *app = w->app;
	for (uint16_t port = 0; port < app->n_ports; port++) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(w->tx_pool);
		if (!m)
			return;
		uint8_t *frame = (uint8_t *)rte_pktmbuf_append(m, SR_NET_ARP_ANNOUNCE_LEN);
		if (!frame) {
			rte_pktmbuf_free(m);
			continue;
		}
		sr_net_arp_announce(frame, &app->local[port]);
		m->port = port;
		if (rte_eth_tx_burst(port, (uint16_t)w->id, &m, 1) == 1)
			SR_STAT_INC(rw->garps_sent);
		else
			rte_pktmbuf_free(m);
	}
}

/* Worker 0: a takeover is announced at once and once more a little later. */
static void watch_role(struct sr_worker *w, struct replicate_worker *rw, uint64_t now_ms)
{
	int serving = sr_app_serving(w->app);
	if (serving != rw->served) {
		rw->served = serving;
		if (serving) {
			announce(w, rw);
			rw->garp_again_ms = now_ms + GARP_REPEAT_MS;
		} else {
			rw->garp_again_ms = 0;
		}
	} else if (rw->garp_again_ms && now_ms >= rw->garp_again_ms) {
		rw->garp_again_ms = 0;
		announce(w, rw);
	}
}

unsigned sr_replicate_worker_poll(struct sr_worker *w, uint64_t now_ms)
{
	struct sr_replicate *x = w->app->repl;
	if (!x)
		return 0;
	if (w->id == 0)
		watch_role(w, &x->w[0], now_ms);
	return replicate_apply_worker(x, w, now_ms);
}
