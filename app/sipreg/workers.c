/*
 * workers.c - per-worker figures for /sipreg/workers and the figure walk
 * (see workers.h). One function computes them; the telemetry command and
 * the walk only format, so both always say the same.
 *
 * The busy-ratio window: only the control core writes the window state
 * (g_win); telemetry and HTTP threads read the published per-mille values
 * with relaxed loads, so a reader sees the last window or the one before.
 */
#include "workers.h"

#include <stdio.h>

#include <rte_cycles.h>
#include <rte_ring.h>
#include <rte_telemetry.h>

static struct sr_app *g_app;

static struct {
	uint64_t start_tsc;                        /* 0: no window opened yet */
	uint64_t start_busy[SR_NET_MAX_WORKERS];
	uint64_t permille[SR_NET_MAX_WORKERS];     /* published: last closed window */
} g_win;

static uint64_t rd(const uint64_t *v)
{
	return __atomic_load_n(v, __ATOMIC_RELAXED);
}

void sr_workers_sample(const struct sr_app *app, uint64_t now_tsc)
{
	uint64_t window = rte_get_tsc_hz() / 1000 * SR_BUSY_WINDOW_MS;
	if (g_win.start_tsc != 0 && now_tsc - g_win.start_tsc < window)
		return;
	for (unsigned i = 0; i < app->n_workers; i++) {
		uint64_t busy = rd(&app->w[i]->stats.busy_cycles);
		if (g_win.start_tsc != 0) {
			uint64_t pm = (uint64_t)((double)(busy - g_win.start_busy[i]) * 1000.0 /
						 (double)(now_tsc - g_win.start_tsc));
			__atomic_store_n(&g_win.permille[i], pm > 1000 ? 1000 : pm, __ATOMIC_RELAXED);
		}
		g_win.start_busy[i] = busy;
	}
	g_win.start_tsc = now_tsc;
}

void sr_worker_figures(const struct sr_app *app, unsigned i, struct sr_worker_figures *f)
{
	const struct sr_worker *w = app->w[i];
	*f = (struct sr_worker_figures){ .id = w->id, .lcore = w->lcore, .rx_queue = w->id };
	f->rx_packets = rd(&w->stats.net.rx_pkts);
	f->sip_requests = rd(&w->stats.sip_requests);
	f->aors = rd(&w->stats.aors);
	f->bindings = rd(&w->stats.bindings);
	f->busy_cycles = rd(&w->stats.busy_cycles);
	f->busy_permille = rd(&g_win.permille[i]);
	for (unsigned a = 0; a < app->n_workers; a++)
		if (a != i && app->mesh.ring[a][i])
			f->ring_occupancy += rte_ring_count(app->mesh.ring[a][i]);
}

/* /sipreg/workers: {"w0": {...}, "w1": {...}} */
static int cmd_workers(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd, (void)params;
	rte_tel_data_start_dict(d);
	for (unsigned i = 0; i < g_app->n_workers; i++) {
		struct sr_worker_figures f;
		sr_worker_figures(g_app, i, &f);
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
	return SR_TEL_REGISTER("/sipreg/workers", cmd_workers,
					  "Per worker: lcore, rx queue, packets, requests, AoRs, bindings, ring "
					  "occupancy, busy cycles and ratio (last s). No parameters");
}
