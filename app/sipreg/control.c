/*
 * control.c - the control core's set-up, loop and teardown (see control.h).
 *
 * Design decisions:
 * - Commands never run on this loop: DPDK's telemetry threads and the
 *   control socket's threads run them, so a command that waits (an AoR
 *   question to a worker) never delays a commit, and sync durability's held
 *   responses never wait on an operator.
 * - The control socket lives next to DPDK's telemetry socket and the
 *   listener stream (the EAL runtime directory of eal.file_prefix), so one
 *   prefix finds all three; control.socket moves it. Failing to open it is
 *   fatal: sipregctl would be blind.
 * - The command context outlives teardown: DPDK's telemetry threads cannot
 *   be stopped and may still look a command up; once stop is set every
 *   command answers "sipreg is stopping".
 */
#include "control.h"

#include <stdio.h>
#include <stdlib.h>

#include <rte_cycles.h>
#include <rte_eal.h>

#include "commands.h"
#include "control_push.h"
#include "ctl_socket.h"
#include "persist.h"
#include "replicate.h"
#include "telemetry.h"
#include "worker_figures.h"

struct sr_control {
	struct sr_app *app;
	struct sr_commands *commands;
	struct sr_ctl_socket *socket;
};

struct sr_control *sr_control_init(struct sr_app *app)
{
	struct sr_control *c = calloc(1, sizeof(*c));
	if (!c) {
		fprintf(stderr, "sipreg: control: out of memory\n");
		return NULL;
	}
	c->app = app;
	if (!(c->commands = sr_commands_new(app)) || sr_control_push_init(app) != 0)
		goto fail;
	const struct sr_ctl_table *t = sr_commands_table(c->commands);
	if (sr_telemetry_serve(t) != 0)
		goto fail;
	char path[512], err[768];
	if (app->cfg.ctl_socket[0])
		snprintf(path, sizeof(path), "%s", app->cfg.ctl_socket);
	else
		snprintf(path, sizeof(path), "%s/sipreg_ctl.sock", rte_eal_get_runtime_dir());
	if (sr_ctl_socket_open(path, t, &c->socket, err, sizeof(err)) != 0) {
		fprintf(stderr, "sipreg: %s\n", err);
		goto fail;
	}
	return c;
fail:
	sr_control_fini(c);
	return NULL;
}

void sr_control_run(struct sr_control *c)
{
	struct sr_app *app = c->app;
	while (!sr_app_stopping(app)) {
		uint64_t now = rte_get_tsc_cycles();
		sr_worker_figures_sample(app, now);
		uint64_t now_ms = sr_clock_ms(&app->clock, now);
		unsigned work = sr_persist_poll(app, now_ms);
		work += sr_control_push_poll(app, now_ms);
		work += sr_replicate_poll(app, now_ms);
		if (work == 0)
			rte_delay_us_sleep(1000);
	}
}

void sr_control_fini(struct sr_control *c)
{
	if (!c)
		return;
	sr_ctl_socket_close(c->socket);
	sr_commands_stop(c->commands); /* the context stays: see the opening comment */
	sr_control_push_fini(c->app);
	free(c);
}
