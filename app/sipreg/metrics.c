/*
 * metrics.c - the /metrics endpoint (see metrics.h).
 *
 * Design decisions:
 * - libmicrohttpd with its own internal polling thread: the scrape path is
 *   a control-side thread like DPDK's telemetry threads, never a worker.
 *   Counters are read with relaxed loads, exactly as /sipreg/stats does,
 *   so a scrape never stops or slows a worker.
 * - The figures are the walk of stats.c, the same that /sipreg/stats
 *   renders, so every name here is a key there (ctl_stats.h has the rules).
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

#include "ctl_prom.h"
#include "stats.h"

static struct MHD_Daemon *g_daemon;

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
		struct sr_stats_prom_sink sink;
		sr_stats_prom_sink_init(&sink, &p);
		sr_stats_walk(app, &sink.base);
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
