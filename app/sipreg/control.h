/*
 * control.h - the control core: telemetry commands and the idle main loop.
 *
 * The main lcore never touches a packet. It serves DPDK telemetry
 * (dpdk-telemetry.py -f <file_prefix>):
 *   /sipreg/stats        counters summed over workers, plus per-worker arrays
 *   /sipreg/aor,<uri>    the bindings of one AoR, asked of its owner worker
 *                        over that worker's query ring
 */
#ifndef SR_CONTROL_H
#define SR_CONTROL_H

#include "app.h"

/* Creates the query rings and registers the telemetry commands. Returns 0 or -1. */
int sr_control_init(struct sr_app *app);
/* Runs until app->stop is set. */
void sr_control_run(struct sr_app *app);
void sr_control_fini(struct sr_app *app);

#endif
