/*
 * stats.c - the catalogue of sipreg's figures (see stats.h).
 *
 * Design decisions:
 * - Sums over workers are computed here, per figure, from the workers'
 *   own counter blocks: no aggregation state to keep in step.
 * - Label values are the short names the enums already have (drop reasons
 *   from net_pkt.h, status classes "2xx", event types), so a dashboard
 *   reads sipreg_sip_drops_total{reason="policy"} rather than a code.
 * - Persistence and listener families exist only when those are on: an
 *   absent family says "off" better than a zero does.
 */
#include "stats.h"

#include <stddef.h>
#include <stdio.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ring.h>

#include "persist.h"
#include "ctl_pushgw.h"
#include "replicate.h"
#include "stats_mid.h"
#include "worker_figures.h"
#include "worker_push.h"
#include "worker_route.h"

#define C SR_STAT_COUNTER
#define G SR_STAT_GAUGE

static uint64_t wsum(const struct sr_app *app, size_t off)
{
	uint64_t t = 0;
	for (unsigned i = 0; i < app->n_workers; i++)
		t += __atomic_load_n((const uint64_t *)((const char *)&app->w[i]->stats + off), __ATOMIC_RELAXED);
	return t;
}

/* The sum over workers of one field of struct sr_worker_stats. */
#define WSUM(app, field) wsum(app, offsetof(struct sr_worker_stats, field))

static const char *const sip_drop_labels[SR_DROP_COUNT] = {
	[SR_DROP_NONE] = "none", [SR_DROP_GARBAGE] = "garbage", [SR_DROP_RESPONSE] = "absorbed_response",
	[SR_DROP_ACK] = "absorbed_ack", [SR_DROP_NO_BUFFER] = "no_buffer", [SR_DROP_POLICY] = "policy",
	[SR_DROP_NOT_OWNER] = "not_owner",
};
/* A new drop reason without a label here would hand the sinks a NULL key: name it first. */
_Static_assert(SR_DROP_COUNT == 7, "label every enum sr_drop_reason in sip_drop_labels");
static const char *const event_labels[4] = {
	[SR_EV_ADDED] = "added", [SR_EV_REFRESHED] = "refreshed", [SR_EV_REMOVED] = "removed",
	[SR_EV_EXPIRED] = "expired",
};
static const char *const cut_labels[SR_CUT_COUNT] = {
	[SR_CUT_NONE] = "none", [SR_CUT_SLOW] = "slow", [SR_CUT_CLOSED] = "closed", [SR_CUT_ERROR] = "error",
};
_Static_assert(SR_CUT_COUNT == 4, "label every enum sr_ctl_cut_reason in cut_labels");

static void family(struct sr_stats_sink *s, const char *name, enum sr_stat_kind kind, const char *help,
		   const char *label)
{
	struct sr_stat_family f = { .name = name, .kind = kind, .help = help, .label = label };
	s->family(s, &f);
}

static void packet_layer(const struct sr_app *app, struct sr_stats_sink *s)
{
	sr_stats_one(s, "sipreg_rx_packets_total", C, "Frames received.", WSUM(app, net.rx_pkts));
	sr_stats_one(s, "sipreg_rx_bytes_total", C, "Bytes of frames received.", WSUM(app, net.rx_bytes));
	sr_stats_one(s, "sipreg_tx_packets_total", C, "Frames sent.", WSUM(app, net.tx_pkts));
	sr_stats_one(s, "sipreg_tx_bytes_total", C, "Bytes of frames sent.", WSUM(app, net.tx_bytes));
	sr_stats_one(s, "sipreg_arp_replies_total", C, "ARP requests answered.", WSUM(app, net.arp_replies));
	sr_stats_one(s, "sipreg_icmp_replies_total", C, "ICMP echo requests answered.", WSUM(app, net.icmp_replies));
	sr_stats_one(s, "sipreg_arp_requests_total", C, "ARP requests sent to resolve a next hop (with retries and probes).",
		     WSUM(app, arp_requests));
	sr_stats_one(s, "sipreg_arp_resolved_total", C, "ARP resolutions and probes answered.", WSUM(app, arp_resolved));
	sr_stats_one(s, "sipreg_arp_failed_total", C, "ARP resolutions and probes given up, unanswered.",
		     WSUM(app, arp_failed));
	sr_stats_one(s, "sipreg_neigh_dropped_total", C,
		     "Datagrams sipreg originated dropped for no neighbour (unresolved, or no room to wait).",
		     WSUM(app, neigh_dropped));
	sr_stats_one(s, "sipreg_arp_shared_total", C,
		     "ARP news (replies and requests for us, announcements) one worker passed to another.",
		     WSUM(app, arp_shared));
	sr_stats_one(s, "sipreg_neigh_entries", G, "Neighbour table entries in use, all workers.", WSUM(app, neigh_entries));
	sr_stats_one(s, "sipreg_ip_fragments_received_total", C, "IPv4 fragments received.", WSUM(app, net.frags_in));
	sr_stats_one(s, "sipreg_ip_reassembled_total", C, "Datagrams completed by IPv4 reassembly.",
		     WSUM(app, net.reassembled));
	sr_stats_one(s, "sipreg_tx_fragmented_total", C, "Responses sent as IPv4 fragments.",
		     WSUM(app, net.tx_fragmented));
	sr_stats_one(s, "sipreg_handoffs_total", C, "SIP datagrams handed to the owning worker.",
		     WSUM(app, net.ring_out));
	sr_stats_one(s, "sipreg_handoffs_received_total", C, "SIP datagrams received from another worker.",
		     WSUM(app, net.ring_in));
	uint64_t queued = 0;
	for (unsigned a = 0; a < app->n_workers; a++)
		for (unsigned b = 0; b < app->n_workers; b++)
			if (a != b && app->mesh.ring[a][b])
				queued += rte_ring_count(app->mesh.ring[a][b]);
	sr_stats_one(s, "sipreg_handoff_ring_occupancy", G, "Datagrams waiting in worker-to-worker rings.", queued);
	family(s, "sipreg_net_drops_total", C, "Frames dropped by the packet layer, by reason.", "reason");
	for (int r = 1; r < SR_ND_COUNT; r++)
		s->sample(s, sr_net_drop_name((enum sr_net_drop)r), WSUM(app, net.drops[r]));
	s->end(s);
}

/* What the ports themselves count: frames the NIC (or the af_packet ring) could not deliver or send. */
static void ports(const struct sr_app *app, struct sr_stats_sink *s)
{
	struct rte_eth_stats sum = { 0 };
	for (uint16_t p = 0; p < app->n_ports; p++) {
		struct rte_eth_stats es;
		if (rte_eth_stats_get(p, &es) == 0) {
			sum.imissed += es.imissed;
			sum.ierrors += es.ierrors;
			sum.rx_nombuf += es.rx_nombuf;
			sum.oerrors += es.oerrors;
		}
	}
	sr_stats_one(s, "sipreg_port_imissed_total", C, "Frames the ports dropped for lack of rx descriptors.",
		     sum.imissed);
	sr_stats_one(s, "sipreg_port_ierrors_total", C, "Erroneous frames received by the ports.", sum.ierrors);
	sr_stats_one(s, "sipreg_port_rx_nombuf_total", C, "Receive failures for lack of mbufs.", sum.rx_nombuf);
	sr_stats_one(s, "sipreg_port_oerrors_total", C, "Frames the ports failed to send.", sum.oerrors);
}

static void sip_layer(const struct sr_app *app, struct sr_stats_sink *s)
{
	sr_stats_one(s, "sipreg_sip_requests_total", C, "SIP datagrams given to the registrar.",
		     WSUM(app, sip_requests));
	family(s, "sipreg_responses_total", C, "SIP responses sent, by status class.", "class");
	for (int c = 1; c < 7; c++) {
		char cls[4] = { (char)('0' + c), 'x', 'x', 0 };
		s->sample(s, cls, WSUM(app, responses[c]));
	}
	s->end(s);
	/* only the codes sent so far: a series appears with its first response, as Prometheus expects */
	family(s, "sipreg_responses_by_code_total", C, "SIP responses sent, by status code.", "code");
	for (unsigned c = 0; c < SR_STATUS_CODES; c++) {
		uint64_t n = WSUM(app, responses_by_code[c]);
		char code[4];
		snprintf(code, sizeof(code), "%u", 100 + c);
		if (n)
			s->sample(s, code, n);
	}
	s->end(s);
	family(s, "sipreg_sip_drops_total", C, "SIP datagrams not answered, by reason.", "reason");
	for (int r = 1; r < SR_DROP_COUNT; r++)
		s->sample(s, sip_drop_labels[r], WSUM(app, sip_drops[r]));
	s->end(s);
	sr_stats_one(s, "sipreg_prescan_failed_total", C,
		     "Requests whose owner field the pre-scan could not read (answered where received).",
		     WSUM(app, prescan_failed));
	sr_stats_one(s, "sipreg_owner_rerouted_total", C,
		     "Requests the full parse found to be another worker's (handed on).",
		     WSUM(app, owner_rerouted));
	family(s, "sipreg_parsed_total", C, "SIP requests parsed, by path (fast, or libosip2).", "path");
	s->sample(s, "fast", WSUM(app, parsed_fast));
	s->sample(s, "libosip2", WSUM(app, parsed_slow));
	s->end(s);
	sr_stats_one(s, "sipreg_parse_resumed_total", C,
		     "Fast-path parses that resumed from the pre-scan's record (the mbuf's dynamic field).",
		     WSUM(app, parsed_resumed));
	sr_stats_one(s, "sipreg_flood_limited_total", C, "Requests over their source's rate limit.",
		     WSUM(app, flood_limited));
	sr_stats_one(s, "sipreg_flood_blocked_total", C, "Requests from sources blocked after auth failures.",
		     WSUM(app, flood_blocked));
	sr_stats_one(s, "sipreg_stun_replies_total", C, "STUN Binding requests on the SIP port answered.",
		     WSUM(app, stun_replies));
	sr_stats_one(s, "sipreg_stun_ignored_total", C, "Other STUN messages on the SIP port, dropped.",
		     WSUM(app, stun_ignored));
	sr_stats_one(s, "sipreg_nat_pings_sent_total", C,
		     "NAT keepalives sent (OPTIONS, or double CRLF to outbound flows) to contacts behind NAT.",
		     WSUM(app, nat_pings_sent));
	sr_stats_one(s, "sipreg_nat_pings_answered_total", C, "Responses to NAT keepalive OPTIONS.",
		     WSUM(app, nat_pings_answered));
	sr_stats_one(s, "sipreg_nat_pings_failed_total", C,
		     "Contacts removed after nat.ping_timeout without an answer.", WSUM(app, nat_pings_failed));
	sr_stats_one(s, "sipreg_nat_pings_stray_total", C,
		     "Answers naming no binding (removed since, or a bad MAC).", WSUM(app, nat_pings_stray));
	sr_stats_one(s, "sipreg_nat_pings_unsent_total", C, "Keepalives dropped: no MAC for the next hop, or no mbuf.",
		     WSUM(app, nat_pings_unsent));
	family(s, "sipreg_events_total", C, "Binding events, by type.", "type");
	for (int e = 0; e < 4; e++)
		s->sample(s, event_labels[e], WSUM(app, events[e]));
	s->end(s);
	sr_stats_one(s, "sipreg_aors", G, "Addresses-of-record with at least one binding.", WSUM(app, aors));
	sr_stats_one(s, "sipreg_bindings", G, "Contact bindings.", WSUM(app, bindings));
	sr_stats_one(s, "sipreg_binding_bytes", G, "Slab memory reserved for bindings.", WSUM(app, binding_bytes));
	sr_stats_one(s, "sipreg_expired_total", C, "Bindings whose lifetime ran out.", WSUM(app, expired));
	sr_stats_one(s, "sipreg_arena_overflows_total", C, "Messages that outgrew the parser's arena.",
		     WSUM(app, arena_overflows));
	sr_stats_one(s, "sipreg_busy_cycles_total", C,
		     "TSC cycles of worker loop iterations that did work, summed over workers (CPU per request).",
		     WSUM(app, busy_cycles));
	sr_stats_one(s, "sipreg_tsc_hz", G, "TSC cycles per second (to turn cycles into seconds).",
		     rte_get_tsc_hz());
	sr_stats_one(s, "sipreg_workers", G, "Worker lcores.", app->n_workers);
}

static void persistence(const struct sr_app *app, struct sr_stats_sink *s)
{
	struct sr_persist_figures f;
	if (!sr_persist_figures(app, &f))
		return;
	sr_stats_one(s, "sipreg_persist_sync", G, "Durability: 1 = sync (200 OK after commit), 0 = async.", f.sync);
	sr_stats_one(s, "sipreg_persist_events_committed_total", C, "Binding events committed to LMDB.",
		     f.events_committed);
	sr_stats_one(s, "sipreg_persist_batches_total", C, "LMDB write transactions committed.", f.batches);
	sr_stats_one(s, "sipreg_persist_commit_errors_total", C,
		     "Failed LMDB commits (async: retried; sync: their changes answered 500 and undone).",
		     f.commit_errors);
	sr_stats_one(s, "sipreg_persist_failing", G, "1 while the last LMDB commit failed (disk or map full).",
		     f.failing);
	sr_stats_one(s, "sipreg_persist_commit_lag_ms", G, "Age of the oldest event of the last committed batch.",
		     f.commit_lag_ms);
	sr_stats_one(s, "sipreg_persist_store_bindings", G, "Bindings in the LMDB store.", f.store_bindings);
	sr_stats_one(s, "sipreg_persist_store_bytes", G, "LMDB environment size in use.", f.store_bytes);
	sr_stats_one(s, "sipreg_persist_restored", G, "Bindings restored at start.", f.restored);
	sr_stats_one(s, "sipreg_persist_restore_dropped", G, "Stored bindings found expired at start.",
		     f.restore_dropped);
	sr_stats_one(s, "sipreg_persist_restore_us", G, "Time the restore at start took, microseconds.",
		     f.restore_us);
	family(s, "sipreg_persist_lost_total", C, "Expiry events not persisted (harmless: restore drops them), by reason.",
	       "reason");
	s->sample(s, "no_slot", f.lost_no_slot);
	s->sample(s, "oversize", f.lost_oversize);
	s->end(s);
	family(s, "sipreg_persist_refused_total", C, "Changes refused (500, Retry-After): no room for their events.",
	       "reason");
	s->sample(s, "no_slot", f.refused_no_slot);
	s->sample(s, "no_memory", f.refused_no_memory);
	s->end(s);
	sr_stats_one(s, "sipreg_persist_backlog_events", G, "Async: events kept while commits fail.",
		     f.backlog_events);
	sr_stats_one(s, "sipreg_persist_events_failed_total", C, "Sync: events of failed commits.", f.events_failed);
	sr_stats_one(s, "sipreg_persist_events_dropped_resync_total", C,
		     "Sync: events of an AoR being resynced after a failed commit, dropped (answered 500).",
		     f.events_dropped_resync);
	sr_stats_one(s, "sipreg_persist_retracted_total", C,
		     "Sync: held 200s replaced by their 500 or 503 (Retry-After) because the change was not stored.",
		     f.retracted);
	sr_stats_one(s, "sipreg_persist_retracted_replica_total", C,
		     "Replication sync: held 200s replaced by their 503 (Retry-After) because Redis did not take the change.",
		     f.retracted_replica);
	sr_stats_one(s, "sipreg_persist_resync_requests_total", C,
		     "Sync: AoRs asked to be reloaded from the store after a failed commit.", f.resync_requests);
	sr_stats_one(s, "sipreg_persist_resynced_total", C, "Sync: AoRs reloaded from the store by their worker.",
		     f.resynced);
	sr_stats_one(s, "sipreg_persist_resync_incomplete_total", C,
		     "Sync: stored bindings a resync could not put back (memory or table full).", f.resync_incomplete);
	sr_stats_one(s, "sipreg_persist_hold_full_total", C,
		     "Sync responses that could not be held (a change's 500 sent instead, a fetch dropped).", f.hold_full);
	if (!f.listen)
		return;
	sr_stats_one(s, "sipreg_listen_subscribers", G, "Listener stream subscribers connected now.",
		     f.lc.subscribers);
	sr_stats_one(s, "sipreg_listen_accepted_total", C, "Listener stream subscribers accepted.", f.lc.accepted);
	sr_stats_one(s, "sipreg_listen_refused_total", C, "Listener stream connections refused (too many).",
		     f.lc.refused);
	family(s, "sipreg_listen_cuts_total", C, "Listener stream subscribers cut off, by reason.", "reason");
	for (int r = 1; r < SR_CUT_COUNT; r++)
		s->sample(s, cut_labels[r], f.lc.cuts[r]);
	s->end(s);
}

/* The sum over workers of one field of struct sr_route_figures (published by worker_route.c). */
static uint64_t rsum(const struct sr_app *app, size_t off)
{
	uint64_t t = 0;
	for (unsigned i = 0; i < app->n_workers; i++) {
		const struct sr_route_figures *f = sr_worker_route_figures(app->w[i]);
		if (f)
			t += __atomic_load_n((const uint64_t *)((const char *)f + off), __ATOMIC_RELAXED);
	}
	return t;
}
#define RSUM(app, field) rsum(app, offsetof(struct sr_route_figures, field))

/* routing.mode redirect or proxy (lib/routing, lib/transaction, worker_route.c); absent when off. */
static void routing(const struct sr_app *app, struct sr_stats_sink *s)
{
	static const struct {
		const char *name;
		enum sr_stat_kind kind;
		const char *help;
		size_t off;
	} figs[] = {
#define R(name, kind, help, field) { name, kind, help, offsetof(struct sr_route_figures, field) }
		R("sipreg_route_requests_total", C, "Requests taken by the routing (not REGISTER, not to us).", requests),
		R("sipreg_route_lookups_total", C, "Location lookups for routed requests.", lookups),
		R("sipreg_route_redirects_total", C, "302 responses sent (redirect mode).", redirects),
		R("sipreg_route_forwarded_total", C, "Requests proxied (a proxy context started).", forwarded),
		R("sipreg_route_branches_total", C, "Client transactions started (one per forked branch).", branches),
		R("sipreg_route_in_dialog_total", C, "Requests forwarded along our Record-Route.", in_dialog),
		R("sipreg_route_acks_forwarded_total", C, "ACKs of 2xx forwarded statelessly.", acks_forwarded),
		R("sipreg_route_relayed_total", C, "Responses relayed upstream.", relayed),
		R("sipreg_route_refused_foreign_total", C, "Requests for a domain not served (404, never relayed).",
		  refused_foreign),
		R("sipreg_route_loops_total", C, "Loops detected (482).", loops),
		R("sipreg_route_too_many_hops_total", C, "Max-Forwards exhausted (483).", too_many_hops),
		R("sipreg_route_no_binding_total", C, "Requests for an AoR without usable bindings (480/404).",
		  no_binding),
		R("sipreg_route_filtered_total", C, "Bindings skipped by the Allow or User-Agent filter.", filtered),
		R("sipreg_route_method_refused_total", C,
		  "405: every binding's registered Allow excludes the method.", method_refused),
		R("sipreg_route_exhausted_total", C, "503: no transaction or proxy context left.", exhausted),
		R("sipreg_route_cancels_total", C, "CANCELs received and matched.", cancels),
		R("sipreg_route_dropped_total", C, "Requests dropped (stray ACKs, ACKs that cannot be routed).", dropped),
		R("sipreg_route_contexts", G, "Proxy contexts in use now.", live_contexts),
		R("sipreg_route_txn_server_total", C, "Server transactions created.", txn_server),
		R("sipreg_route_txn_client_total", C, "Client transactions created.", txn_client),
		R("sipreg_route_txn_pool_exhausted_total", C, "Transactions refused: no free slot.", txn_pool_exhausted),
		R("sipreg_route_txn_buffer_exhausted_total", C, "Messages that could not be kept: no free buffer.",
		  txn_buf_exhausted),
		R("sipreg_route_txn_retransmissions_total", C, "Requests and responses re-sent on a timer.",
		  txn_retransmissions),
		R("sipreg_route_txn_absorbed_total", C, "Retransmitted requests and ACKs absorbed.", txn_absorbed),
		R("sipreg_route_txn_timeouts_total", C, "Transaction timeouts (B, F, H).", txn_timeouts),
		R("sipreg_route_txn_stray_responses_total", C, "Responses matching no client transaction.",
		  txn_stray_responses),
		R("sipreg_route_transactions", G, "Transactions in use now.", txn_live),
		R("sipreg_route_sent_total", C, "Datagrams the routing sent.", sent),
		R("sipreg_route_no_neighbour_total", C, "Sends dropped: no MAC known for the next hop.", no_neighbour),
		R("sipreg_route_send_failed_total", C, "Sends dropped: no mbuf, or too large for one.", send_failed),
		R("sipreg_route_unroutable_total", C,
		  "Requests and responses the routing could not take as parsed (folded headers, too many Routes).",
		  unroutable),
#undef R
	};
	if (app->cfg.routing.mode == 0)
		return;
	for (size_t k = 0; k < RTE_DIM(figs); k++)
		sr_stats_one(s, figs[k].name, figs[k].kind, figs[k].help, rsum(app, figs[k].off));
	family(s, "sipreg_route_local_responses_total", C, "Responses of the routing's own, by status class.",
	       "class");
	for (int c = 1; c < 7; c++) {
		char cls[4] = { (char)('0' + c), 'x', 'x', 0 };
		s->sample(s, cls, RSUM(app, local[c]));
	}
	s->end(s);
}

/* One family per figure, one sample per worker (label worker="<id>"). */
static void per_worker(const struct sr_app *app, struct sr_stats_sink *s)
{
	static const struct {
		const char *name;
		enum sr_stat_kind kind;
		const char *help;
		size_t off;
	} figs[] = {
		{ "sipreg_worker_rx_packets_total", C, "Frames received, per worker.",
		  offsetof(struct sr_worker_figures, rx_packets) },
		{ "sipreg_worker_sip_requests_total", C, "SIP datagrams processed, per worker.",
		  offsetof(struct sr_worker_figures, sip_requests) },
		{ "sipreg_worker_aors", G, "AoRs in the worker's shard.", offsetof(struct sr_worker_figures, aors) },
		{ "sipreg_worker_bindings", G, "Contact bindings in the worker's shard.",
		  offsetof(struct sr_worker_figures, bindings) },
		{ "sipreg_worker_ring_occupancy", G, "Datagrams waiting in the hand-off rings towards the worker.",
		  offsetof(struct sr_worker_figures, ring_occupancy) },
		{ "sipreg_worker_busy_cycles_total", C, "TSC cycles of loop iterations that did work, per worker.",
		  offsetof(struct sr_worker_figures, busy_cycles) },
		{ "sipreg_worker_busy_permille", G,
		  "Share of the last second's TSC cycles spent in loop iterations that did work, per mille.",
		  offsetof(struct sr_worker_figures, busy_permille) },
		{ "sipreg_worker_neigh_entries", G, "Neighbour table entries in use, per worker.",
		  offsetof(struct sr_worker_figures, neigh_entries) },
	};
	struct sr_worker_figures w[SR_NET_MAX_WORKERS];
	char id[SR_NET_MAX_WORKERS][12];
	for (unsigned i = 0; i < app->n_workers; i++) {
		sr_worker_figures(app, i, &w[i]);
		snprintf(id[i], sizeof(id[i]), "%u", w[i].id);
	}
	for (size_t k = 0; k < RTE_DIM(figs); k++) {
		family(s, figs[k].name, figs[k].kind, figs[k].help, "worker");
		for (unsigned i = 0; i < app->n_workers; i++)
			s->sample(s, id[i], *(const uint64_t *)((const char *)&w[i] + figs[k].off));
		s->end(s);
	}
}

/* push.enable (lib/push per worker, the gateway client on the control core); absent when off. */
static void push(const struct sr_app *app, struct sr_stats_sink *s)
{
	if (!app->cfg.push.enable)
		return;
	struct sr_push_stats sum = { 0 };
	for (unsigned i = 0; i < app->n_workers; i++) {
		const struct sr_push_stats *f = sr_worker_push_figures(app->w[i]);
		if (f == NULL)
			continue;
		for (unsigned r = 0; r < SR_PUSH_R_COUNT; r++)
			sum.triggered[r] += __atomic_load_n(&f->triggered[r], __ATOMIC_RELAXED);
		sum.skipped += __atomic_load_n(&f->skipped, __ATOMIC_RELAXED);
		sum.coalesced += __atomic_load_n(&f->coalesced, __ATOMIC_RELAXED);
		sum.lost += __atomic_load_n(&f->lost, __ATOMIC_RELAXED);
		sum.held += __atomic_load_n(&f->held, __ATOMIC_RELAXED);
		sum.held_full += __atomic_load_n(&f->held_full, __ATOMIC_RELAXED);
		sum.released += __atomic_load_n(&f->released, __ATOMIC_RELAXED);
		sum.timed_out += __atomic_load_n(&f->timed_out, __ATOMIC_RELAXED);
		sum.cancelled += __atomic_load_n(&f->cancelled, __ATOMIC_RELAXED);
		sum.holding += __atomic_load_n(&f->holding, __ATOMIC_RELAXED);
	}
	sr_pushgw_stats_walk(s, &sum, app->pushgw ? sr_pushgw_stats(app->pushgw) : NULL);
	uint64_t untimed = 0;
	for (unsigned i = 0; i < app->n_workers; i++)
		untimed += sr_worker_push_untimed(app->w[i]);
	sr_stats_one(s, "sipreg_push_refresh_untimed_total", C,
		     "Push bindings without a refresh push: the worker's refresh timers were full.", untimed);
}

void sr_stats_walk(const struct sr_app *app, struct sr_stats_sink *s)
{
	packet_layer(app, s);
	ports(app, s);
	sip_layer(app, s);
	persistence(app, s);
	sr_replicate_stats_walk(app, s);
	routing(app, s);
	sr_mid_stats_walk(app, s);
	push(app, s);
	per_worker(app, s);
}
