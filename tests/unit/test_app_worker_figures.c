/*
 * test_app_worker_figures.c - the per-worker busy ratio (app/sipreg/worker_figures.c):
 * it covers the last whole window, not the time since start, so a worker
 * that went idle reads idle one window later; a partial window changes
 * nothing; the ratio is capped at 1000 per mille.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include <rte_cycles.h>
#include <rte_malloc.h>

#include "test_eal.h"
#include "worker_figures.h"

static uint64_t busy_permille(const struct sr_app *app, unsigned i)
{
	struct sr_worker_figures f;
	sr_worker_figures(app, i, &f);
	return f.busy_permille;
}

static void test_window_not_since_start(void **state)
{
	(void)state;
	assert_int_equal(sr_test_eal_init(), 0);
	struct sr_app *app = rte_zmalloc(NULL, sizeof(*app), 0);
	struct sr_worker *w = rte_zmalloc(NULL, 2 * sizeof(*w), RTE_CACHE_LINE_SIZE);
	assert_non_null(app);
	assert_non_null(w);
	app->n_workers = 2;
	app->w[0] = &w[0];
	app->w[1] = &w[1];
	w[1].id = 1;
	uint64_t hz = rte_get_tsc_hz(), win = hz / 1000 * SR_BUSY_WINDOW_MS, t = 1000 * hz;

	sr_worker_figures_sample(app, t); /* opens the first window */
	w[0].stats.busy_cycles = win / 2;
	w[1].stats.busy_cycles = win / 4;
	sr_worker_figures_sample(app, t + win / 2); /* half a window: nothing published yet */
	assert_int_equal(busy_permille(app, 0), 0);
	sr_worker_figures_sample(app, t + win);
	assert_int_equal(busy_permille(app, 0), 500);
	assert_int_equal(busy_permille(app, 1), 250);

	/* a whole idle window: 0, where the average since start would still say 250 */
	sr_worker_figures_sample(app, t + 2 * win);
	assert_int_equal(busy_permille(app, 0), 0);
	assert_int_equal(busy_permille(app, 1), 0);

	/* more busy cycles than wall cycles (TSC skew between cores) reads as fully busy */
	w[0].stats.busy_cycles += 2 * win;
	sr_worker_figures_sample(app, t + 3 * win);
	assert_int_equal(busy_permille(app, 0), 1000);

	rte_free(w);
	rte_free(app);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_window_not_since_start),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
