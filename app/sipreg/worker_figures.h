/*
 * worker_figures.h - per-worker figures, computed in one place for the
 * /sipreg/workers command (commands.c) and the sipreg_worker_* families of
 * the figure walk (stats.c), so both always say the same.
 *
 * For each worker: its id, lcore, rx queue (the worker's id on every port),
 * frames received, SIP requests processed, AoRs and bindings of its shard,
 * ring occupancy (datagrams waiting in the hand-off rings towards it), busy
 * cycles (TSC cycles of loop iterations that did work) and the busy ratio
 * over the last whole second, in per mille. Read with relaxed loads on a
 * control-side thread; workers are never stopped or asked.
 */
#ifndef SR_WORKER_FIGURES_H
#define SR_WORKER_FIGURES_H

#include "app.h"

struct sr_worker_figures {
	unsigned id, lcore, rx_queue;
	uint64_t rx_packets, sip_requests, aors, bindings, ring_occupancy, busy_cycles;
	uint64_t busy_permille; /* over the last sampling window (SR_BUSY_WINDOW_MS) */
	uint64_t neigh_entries; /* the worker's neighbour table, as it last published it */
};

#define SR_BUSY_WINDOW_MS 1000

void sr_worker_figures(const struct sr_app *app, unsigned i, struct sr_worker_figures *f);

/*
 * Control core, from its loop: closes the busy-ratio window (app->busy)
 * when SR_BUSY_WINDOW_MS have passed since the last one. An operator asks
 * "how loaded is the worker now", which an average since start cannot
 * answer after the first hour; Prometheus users can also rate() the busy
 * cycles.
 */
void sr_worker_figures_sample(struct sr_app *app, uint64_t now_tsc);

#endif
