/*
 * stats.h - the catalogue of sipreg's figures: one walk that /sipreg/stats
 * (control.c) and /metrics (metrics.c) both render, so the two always carry
 * the same names and values (naming rules in lib/ctl/ctl_stats.h).
 *
 * Runs on a control-side thread (telemetry or HTTP); worker counters are
 * read with relaxed loads, nothing stops or asks a worker.
 */
#ifndef SR_STATS_H
#define SR_STATS_H

#include "app.h"
#include "ctl_stats.h"

void sr_stats_walk(const struct sr_app *app, struct sr_stats_sink *s);

#endif
