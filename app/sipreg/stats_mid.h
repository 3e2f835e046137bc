/*
 * stats_mid.h - the mid-registrar's figures (registrar.role = mid) in the
 * one walk /sipreg/stats and /metrics render (stats.c).
 */
#ifndef SR_STATS_MID_H
#define SR_STATS_MID_H

#include "app.h"
#include "ctl_stats.h"

void sr_mid_stats_walk(const struct sr_app *app, struct sr_stats_sink *s);

#endif
