/*
 * metrics.h - Prometheus /metrics over HTTP (libmicrohttpd).
 *
 * Served on control.metrics (default 127.0.0.1:9464; empty: off). In the
 * development network sipreg runs in netns sr-dut, whose loopback is its
 * own: reach it with `ip netns exec sr-dut curl -s http://127.0.0.1:9464/metrics`.
 */
#ifndef SR_METRICS_H
#define SR_METRICS_H

#include "app.h"

/* Starts the HTTP server. Returns 0 (also when off or the port is taken: a warning), -1 on a bad address. */
int sr_metrics_start(struct sr_app *app);
void sr_metrics_stop(void);

#endif
