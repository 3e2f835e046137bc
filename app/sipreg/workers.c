/*
 * workers.c - per-worker figures for /sipreg/workers and /metrics (see
 * workers.h). One function computes them, the telemetry command and the
 * Prometheus families only format, so both always say the same.
 */
#include "workers.h"

#include <stdio.h>

#include <rte_cycles.h>
#include <rte_ring.h>
#include <rte_telemetry.h>

static struct sr_app *g_app;

static uint64_t rd(const uint64_t *v)
{
	return __atomic_load_n(v, __ATOMIC_RELAXED);
}

void sr_worker_figures(const struct sr_app *app, unsigned i, uint64_t now_tsc, struct sr_worker_figures *f)
{
	const struct sr_worker *w = app->w[i];
	*f = (struct sr_worker_figures){ .id = w->id, .lcore = w->lcore, .rx_queue = w->id };
	f->rx_packets = rd(&w->stats.net.rx_pkts);
	f->sip_requests = rd(&w->stats.sip_requests);
	f->aors = rd(&w->stats.aors);
	f->bindings = rd(&w->stats.bindings);
	f->busy_cycles = rd(&w->stats.busy_cycles);
	for (unsigned a = 0; a < app->n_workers; a++)
		if (a != i && app->mesh.ring[a][i])
			f->ring_occupancy += rte_ring_count(app->mesh.ring[a][i]);
	uint64_t up = now_tsc > app->clock.base_tsc ? now_tsc - app->clock.base_tsc : 0;
	f->busy_permille = up ? (uint64_t)((double)f->busy_cycles * 1000.0 / (double)up) : 0;
	if (f->busy_permille > 1000)
		f->busy_permille = 1000;
}

/* /sipreg/workers: {"w0": {...}, "w1": {...}} */
static int cmd_workers(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd, (void)params;
	rte_tel_data_start_dict(d);
	uint64_t now = rte_get_tsc_cycles();
	for (unsigned i = 0; i < g_app->n_workers; i++) {
		struct sr_worker_figures f;
		sr_worker_figures(g_app, i, now, &f);
		struct rte_tel_data *w = rte_tel_data_alloc();
		if (!w)
			return -1;
		rte_tel_data_start_dict(w);
		rte_tel_data_add_dict_u64(w, "lcore", f.lcore);
		rte_tel_data_add_dict_u64(w, "rx_queue", f.rx_queue);
		rte_tel_data_add_dict_u64(w, "rx_packets", f.rx_packets);
		rte_tel_data_add_dict_u64(w, "sip_requests", f.sip_requests);
		rte_tel_data_add_dict_u64(w, "aors", f.aors);
		rte_tel_data_add_dict_u64(w, "bindings", f.bindings);
		rte_tel_data_add_dict_u64(w, "ring_occupancy", f.ring_occupancy);
		rte_tel_data_add_dict_u64(w, "busy_cycles", f.busy_cycles);
		rte_tel_data_add_dict_u64(w, "busy_permille", f.busy_permille);
		char name[16];
		snprintf(name, sizeof(name), "w%u", f.id);
		rte_tel_data_add_dict_container(d, name, w, 0);
	}
	return 0;
}

int sr_workers_tel_register(struct sr_app *app)
{
	g_app = app;
	return rte_telemetry_register_cmd("/sipreg/workers", cmd_workers,
					  "Per worker: lcore, rx queue, packets, requests, AoRs, bindings, "
					  "ring occupancy, busy ratio. No parameters");
}

void sr_workers_metrics(struct sr_prom *p, const struct sr_app *app)
{
	struct sr_worker_figures f[SR_NET_MAX_WORKERS];
	uint64_t now = rte_get_tsc_cycles();
	for (unsigned i = 0; i < app->n_workers; i++)
		sr_worker_figures(app, i, now, &f[i]);
	char id[16];
	sr_prom_family(p, "sipreg_worker_busy_permille", "gauge",
		       "Share of TSC cycles since start spent in loop iterations that did work, per mille.");
	for (unsigned i = 0; i < app->n_workers; i++) {
		snprintf(id, sizeof(id), "%u", f[i].id);
		sr_prom_sample(p, "sipreg_worker_busy_permille", "worker", id, f[i].busy_permille);
	}
	sr_prom_family(p, "sipreg_worker_ring_occupancy", "gauge",
		       "Datagrams waiting in the hand-off rings towards the worker.");
	for (unsigned i = 0; i < app->n_workers; i++) {
		snprintf(id, sizeof(id), "%u", f[i].id);
		sr_prom_sample(p, "sipreg_worker_ring_occupancy", "worker", id, f[i].ring_occupancy);
	}
	sr_prom_family(p, "sipreg_worker_bindings", "gauge", "Contact bindings in the worker's shard.");
	for (unsigned i = 0; i < app->n_workers; i++) {
		snprintf(id, sizeof(id), "%u", f[i].id);
		sr_prom_sample(p, "sipreg_worker_bindings", "worker", id, f[i].bindings);
	}
}
