/*
 * worker_mid.h - the worker's side of the mid-registrar (registrar.role =
 * mid, lib/midreg): its shard, the registrar's offer of a REGISTER, the
 * main registrar's responses, the location store's events, timers and the
 * published figures.
 */
#ifndef SR_WORKER_MID_H
#define SR_WORKER_MID_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "app.h"
#include "location.h"
#include "midreg.h"
#include "registrar.h"
#include "routing.h"

/*
 * The registrar's hooks for worker w (sr_reg_params.mid: take, and settings,
 * the AoR's `aor mid` rule): filled when registrar.role is mid, left
 * zero otherwise. Set before sr_reg_create; the shard itself comes with
 * sr_worker_mid_create.
 */
void sr_worker_mid_hooks(struct sr_worker *w, struct sr_reg_params *p);

/*
 * Creates w->mid when registrar.role is mid (resolving mid.registrar once
 * for every worker, drawing the transaction secret at random). Returns 0,
 * or -1 after a message.
 */
int sr_worker_mid_create(struct sr_worker *w, uint64_t now_ms);

/*
 * At start, after persistence restored the bindings and before the workers
 * run: every stored upstream record back to the shard of the worker owning
 * its AoR, then each shard de-registers what no restored binding stands for
 * (sr_midreg_restore_done). Returns 0 (nothing to do for a final
 * registrar or without persistence), or -1 after a message.
 */
int sr_worker_mid_restore(struct sr_app *app, uint64_t now_ms);
void sr_worker_mid_free(struct sr_worker *w);

/* The mid-registrar's shard of worker w (NULL when registrar.role is final): restore calls in here. */
struct sr_midreg_shard *sr_worker_mid_shard(struct sr_worker *w);

/*
 * Dispatch: a response goes to the worker its branch names (our branches
 * carry it, lib/transaction). False when the pre-scan's owner applies.
 */
bool sr_worker_mid_owner(struct sr_worker *w, const struct sr_sip_scan *scan, const struct sr_reg_owner *o,
			 unsigned *owner);

/*
 * A SIP datagram this worker owns, before the routing and the registrar:
 * a response whose CSeq method is REGISTER is the mid-registrar's. Returns
 * true when it took m (freed), false otherwise (m untouched).
 */
bool sr_worker_mid_process(struct sr_worker *w, struct rte_mbuf *m, const struct sr_net_pkt *p, const char *sip,
			   const struct sr_sip_scan *scan, uint64_t now_ms);

/*
 * A request from the main registrar's side (the routing's parse m, facts
 * rq; its Request-URI is at our address): one of our upstream contacts?
 * NONE: not one (rq untouched). ROUTE: rq now names the AoR as served and
 * *only_binding the one binding its contact id stands for (0: every
 * binding of the AoR, AoR throttling); a contact no longer registered is
 * named foreign (404). HANDED: it belongs to another worker, mbuf m went
 * there (consumed).
 */
enum sr_mid_call { SR_MID_CALL_NONE, SR_MID_CALL_ROUTE, SR_MID_CALL_HANDED };
enum sr_mid_call sr_worker_mid_call(struct sr_worker *w, struct rte_mbuf *m, const struct sr_sip_msg *msg,
				    struct sr_route_req *rq, uint64_t *only_binding);
/* The routing's lookup views v[0..n) cut to the binding with id 'only' (0: all); returns how many are left. */
unsigned sr_worker_mid_only(struct sr_loc_binding *v, unsigned n, uint64_t only);

/* A binding event of w's location store (sr_worker_on_event): a binding that went is queued for the shard. */
void sr_worker_mid_on_event(struct sr_worker *w, const struct sr_loc_event *ev);

/* The queued binding events, the shard's timers and the published figures; returns the work done. */
unsigned sr_worker_mid_advance(struct sr_worker *w, uint64_t now_ms);

/* Figures of worker w's mid-registrar, published every 100 ms (NULL when registrar.role is final). */
struct sr_mid_figures {
	struct sr_midreg_stats mid;  /* lib/midreg's, copied field by field with relaxed stores */
	uint64_t sent, send_failed;  /* datagrams it sent / could not (no MAC, no mbuf) */
	uint64_t gone_lost;          /* binding events dropped: the queue was full (upstream expiry then ends it) */
	uint64_t stray;              /* REGISTER responses matching none of its transactions */
	uint64_t records_handed;     /* records handed to persistence (persist_mid.h) */
};
const struct sr_mid_figures *sr_worker_mid_figures(const struct sr_worker *w);

#endif
