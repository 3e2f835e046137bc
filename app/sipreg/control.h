/*
 * control.h - the control core: the main lcore, which never touches a
 * packet. It serves the command table (commands.h) on two front ends and
 * runs the control loop.
 *
 * Front ends, both serving the same commands:
 *   DPDK telemetry    dpdk-telemetry.py -f <eal.file_prefix> (telemetry.h:
 *                     answers over DPDK's limits are refused);
 *   control socket    <runtime dir>/sipreg_ctl.sock (or control.socket),
 *                     newline-delimited JSON
 *                     without size limit (lib/ctl/ctl_socket.h); sipregctl.
 * The loop: persistence (drain the event rings, commit due batches) and the
 * per-worker busy-ratio window; it naps 1 ms when idle.
 */
#ifndef SR_CONTROL_H
#define SR_CONTROL_H

#include "app.h"

struct sr_control;

/*
 * Creates the command context and the workers' query rings, registers the
 * telemetry commands and opens the control socket (the workers must exist,
 * not yet run). NULL after a message on stderr.
 */
struct sr_control *sr_control_init(struct sr_app *app);
/* Runs the control loop until app->stop is set. */
void sr_control_run(struct sr_control *c);
/*
 * After the workers stopped: closes the control socket (no command runs
 * after it) and frees the query rings. NULL is a no-op.
 */
void sr_control_fini(struct sr_control *c);

#endif
