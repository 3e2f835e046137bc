/*
 * workers.h - per-worker figures: the /sipreg/workers telemetry command and
 * the per-worker samples of /metrics.
 *
 * For each worker: its id, lcore, rx queue (the worker's id on every port),
 * frames received, SIP requests processed, AoRs and bindings of its shard,
 * ring occupancy (datagrams waiting in the hand-off rings towards it) and
 * busy ratio: the cycles of loop iterations that did work
 * (stats.busy_cycles) over the TSC cycles since start, in per mille.
 * Read with relaxed loads on a control-side thread; workers are never
 * stopped or asked.
 */
#ifndef SR_WORKERS_H
#define SR_WORKERS_H

#include "app.h"
#include "ctl_prom.h"

struct sr_worker_figures {
	unsigned id, lcore, rx_queue;
	uint64_t rx_packets, sip_requests, aors, bindings, ring_occupancy, busy_cycles;
	uint64_t busy_permille;
};

void sr_worker_figures(const struct sr_app *app, unsigned i, uint64_t now_tsc, struct sr_worker_figures *f);

/* Registers /sipreg/workers. Returns 0, -1 on failure. */
int sr_workers_tel_register(struct sr_app *app);

/* sipreg_worker_* families with a worker="<id>" label. */
void sr_workers_metrics(struct sr_prom *p, const struct sr_app *app);

#endif
