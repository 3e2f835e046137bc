/*
 * metrics.c - the /metrics endpoint (see metrics.h).
 *
 * Design decisions:
 * - libmicrohttpd with its own internal polling thread: the scrape path is
 *   a control-side thread like DPDK's telemetry threads, never a worker.
 *   Counters are read with relaxed loads, exactly as /sipreg/stats does,
 *   so a scrape never stops or slows a worker.
 * - Names are sipreg_<the /sipreg/stats name>, with Prometheus' _total
 *   suffix on counters and labels where /sipreg/stats has one key per
 *   value (resp_2xx -> sipreg_responses_total{class="2xx"}).
 * - An address that cannot be bound (another instance in the same network
 *   namespace) is a warning, not a refusal to start: registrations matter
 *   more than their metrics. A malformed address is a configuration error.
 * - Only GET /metrics is served; anything else is 404, so a stray client
 *   learns nothing else.
 */
#include "metrics.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ring.h>

#include "ctl_prom.h"
#include "persist.h"
#include "workers.h"

static struct MHD_Daemon *g_daemon;

#define WSUM(app, field) wsum(app, offsetof(struct sr_worker_stats, field))

static uint64_t wsum(const struct sr_app *app, size_t off)
{
	uint64_t t = 0;
	for (unsigned i = 0; i < app->n_workers; i++)
		t += __atomic_load_n((const uint64_t *)((const char *)&app->w[i]->stats + off), __ATOMIC_RELAXED);
	return t;
}

static const char *const sip_drop_labels[SR_DROP_COUNT] = {
	[SR_DROP_NONE] = "none", [SR_DROP_GARBAGE] = "garbage", [SR_DROP_RESPONSE] = "absorbed_response",
	[SR_DROP_ACK] = "absorbed_ack", [SR_DROP_NO_BUFFER] = "no_buffer", [SR_DROP_POLICY] = "policy",
};
_Static_assert(SR_DROP_COUNT == 6, "label every enum sr_drop_reason in sip_drop_labels");
static const char *const event_labels[4] = { "added", "refreshed", "removed", "expired" };

static void sip_metrics(struct sr_prom *p, const struct sr_app *app)
{
	sr_prom_one(p, "sipreg_sip_requests_total", "counter", "SIP datagrams given to the registrar.",
		    WSUM(app, sip_requests));
	sr_prom_family(p, "sipreg_responses_total", "counter", "SIP responses sent, by status class.");
	for (int c = 1; c < 7; c++) {
		char cls[4] = { (char)('0' + c), 'x', 'x', 0 };
		sr_prom_sample(p, "sipreg_responses_total", "class", cls, WSUM(app, responses[c]));
	}
	sr_prom_family(p, "sipreg_sip_drops_total", "counter", "SIP datagrams not answered, by reason.");
	for (int r = 1; r < SR_DROP_COUNT; r++)
		sr_prom_sample(p, "sipreg_sip_drops_total", "reason", sip_drop_labels[r] ? sip_drop_labels[r] : "other",
			       WSUM(app, sip_drops[r]));
	sr_prom_family(p, "sipreg_net_drops_total", "counter", "Frames dropped by the packet layer, by reason.");
	for (int r = 1; r < SR_ND_COUNT; r++)
		sr_prom_sample(p, "sipreg_net_drops_total", "reason", sr_net_drop_name((enum sr_net_drop)r),
			       WSUM(app, net.drops[r]));
	sr_prom_family(p, "sipreg_events_total", "counter", "Binding events, by type.");
	for (int e = 0; e < 4; e++)
		sr_prom_sample(p, "sipreg_events_total", "type", event_labels[e], WSUM(app, events[e]));
	sr_prom_one(p, "sipreg_aors", "gauge", "Addresses-of-record with at least one binding.", WSUM(app, aors));
	sr_prom_one(p, "sipreg_bindings", "gauge", "Contact bindings.", WSUM(app, bindings));
	sr_prom_one(p, "sipreg_binding_bytes", "gauge", "Slab memory reserved for bindings.",
		    WSUM(app, binding_bytes));
	sr_prom_one(p, "sipreg_expired_total", "counter", "Bindings whose lifetime ran out.", WSUM(app, expired));
	sr_prom_one(p, "sipreg_handoffs_total", "counter", "SIP datagrams handed to the owning worker.",
		    WSUM(app, net.ring_out));
	sr_prom_one(p, "sipreg_rx_packets_total", "counter", "Frames received.", WSUM(app, net.rx_pkts));
	sr_prom_one(p, "sipreg_tx_packets_total", "counter", "Frames sent.", WSUM(app, net.tx_pkts));
	uint64_t queued = 0;
	for (unsigned a = 0; a < app->n_workers; a++)
		for (unsigned b = 0; b < app->n_workers; b++)
			if (a != b && app->mesh.ring[a][b])
				queued += rte_ring_count(app->mesh.ring[a][b]);
	sr_prom_one(p, "sipreg_handoff_ring_occupancy", "gauge", "Datagrams waiting in worker-to-worker rings.",
		    queued);
}

static void persist_metrics(struct sr_prom *p, const struct sr_app *app)
{
	struct sr_persist_figures f;
	if (!sr_persist_figures(app, &f))
		return;
	sr_prom_one(p, "sipreg_persist_events_committed_total", "counter", "Binding events committed to LMDB.",
		    f.events_committed);
	sr_prom_one(p, "sipreg_persist_batches_total", "counter", "LMDB write transactions committed.", f.batches);
	sr_prom_one(p, "sipreg_persist_commit_errors_total", "counter", "Failed LMDB commits (retried).",
		    f.commit_errors);
	sr_prom_one(p, "sipreg_persist_commit_lag_ms", "gauge",
		    "Age of the oldest event of the last committed batch.", f.commit_lag_ms);
	sr_prom_one(p, "sipreg_persist_store_bindings", "gauge", "Bindings in the LMDB store.", f.store_bindings);
	sr_prom_one(p, "sipreg_persist_store_bytes", "gauge", "LMDB environment size in use.", f.store_bytes);
	sr_prom_one(p, "sipreg_persist_restored", "gauge", "Bindings restored at start.", f.restored);
	sr_prom_family(p, "sipreg_persist_lost_total", "counter", "Binding events not persisted, by reason.");
	sr_prom_sample(p, "sipreg_persist_lost_total", "reason", "no_slot", f.lost_no_slot);
	sr_prom_sample(p, "sipreg_persist_lost_total", "reason", "oversize", f.lost_oversize);
	sr_prom_one(p, "sipreg_persist_hold_full_total", "counter",
		    "Responses dropped because the sync hold queue was full.", f.hold_full);
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
			      const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	(void)version, (void)upload, (void)upload_size, (void)con_cls;
	const struct sr_app *app = cls;
	struct sr_prom p;
	sr_prom_init(&p);
	unsigned status = MHD_HTTP_OK;
	if (strcmp(method, "GET") != 0 || strcmp(url, "/metrics") != 0) {
		status = MHD_HTTP_NOT_FOUND;
		sr_prom_family(&p, "sipreg_not_found", "gauge", "Only GET /metrics is served.");
	} else if (sr_app_stopping(app)) {
		status = MHD_HTTP_SERVICE_UNAVAILABLE;
	} else {
		sip_metrics(&p, app);
		persist_metrics(&p, app);
		sr_workers_metrics(&p, app);
	}
	if (p.failed)
		status = MHD_HTTP_INTERNAL_SERVER_ERROR;
	struct MHD_Response *r = MHD_create_response_from_buffer(p.failed ? 0 : p.len, p.buf,
								 MHD_RESPMEM_MUST_COPY);
	sr_prom_fini(&p);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	enum MHD_Result rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

int sr_metrics_start(struct sr_app *app)
{
	const char *spec = app->cfg.metrics;
	if (!spec[0])
		return 0;
	char ip[64];
	unsigned port;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	if (sscanf(spec, "%63[0-9.]:%u", ip, &port) != 2 || port == 0 || port > 65535 ||
	    inet_pton(AF_INET, ip, &sa.sin_addr) != 1) {
		fprintf(stderr, "sipreg: control.metrics: '%s' is not IPv4:port\n", spec);
		return -1;
	}
	sa.sin_port = htons((uint16_t)port);
	g_daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, (uint16_t)port, NULL,
				    NULL, answer, app, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
				    MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_CONNECTION_LIMIT, 16u,
				    MHD_OPTION_END);
	if (!g_daemon) /* not fatal: registrations matter more than their metrics */
		fprintf(stderr, "sipreg: warning: control.metrics: cannot serve HTTP on %s (address in use?); "
			"/metrics is off\n", spec);
	return 0;
}

void sr_metrics_stop(void)
{
	if (g_daemon)
		MHD_stop_daemon(g_daemon);
	g_daemon = NULL;
}
