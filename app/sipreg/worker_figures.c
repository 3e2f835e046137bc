/*
 * worker_figures.c - per-worker figures (see worker_figures.h). One
 * function computes them; the /sipreg/workers command and the figure walk
 * only format, so both always say the same.
 *
 * The busy-ratio window (struct sr_busy_window in app.h): only the control
 * core writes it; command and HTTP threads read the published per-mille
 * values with relaxed loads, so a reader sees the last window or the one
 * before.
 */
#include "worker_figures.h"

#include <rte_cycles.h>
#include <rte_ring.h>

static uint64_t rd(const uint64_t *v)
{
	return __atomic_load_n(v, __ATOMIC_RELAXED);
}

void sr_worker_figures_sample(struct sr_app *app, uint64_t now_tsc)
{
	struct sr_busy_window *win = &app->busy;
	uint64_t window = rte_get_tsc_hz() / 1000 * SR_BUSY_WINDOW_MS;
	if (win->start_tsc != 0 && now_tsc - win->start_tsc < window)
		return;
	for (unsigned i = 0; i < app->n_workers; i++) {
		uint64_t busy = rd(&app->w[i]->stats.busy_cycles);
		if (win->start_tsc != 0) {
			uint64_t pm = (uint64_t)((double)(busy - win->start_busy[i]) * 1000.0 /
						 (double)(now_tsc - win->start_tsc));
			__atomic_store_n(&win->permille[i], pm > 1000 ? 1000 : pm, __ATOMIC_RELAXED);
		}
		win->start_busy[i] = busy;
	}
	win->start_tsc = now_tsc;
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
	f->busy_permille = rd(&app->busy.permille[i]);
	f->neigh_entries = rd(&w->stats.neigh_entries);
	for (unsigned a = 0; a < app->n_workers; a++)
		if (a != i && app->mesh.ring[a][i])
			f->ring_occupancy += rte_ring_count(app->mesh.ring[a][i]);
}
