/*
 * control_push.c - one job: the control core's push events (see
 * control_push.h).
 *
 * Design decisions:
 * - One event, two consumers, one copy: the JSON a worker wrote
 *   (sr_push_event_json) is the listener stream's line and the POST body
 *   as it is; nothing is re-encoded here.
 * - Bounded work per turn (DRAIN_PER_WORKER), so a burst of pushes never
 *   delays the persistence commits that share this loop; what is left
 *   waits in the worker's ring (full: the worker counts it lost).
 * - The gateway client never blocks (libcurl multi, sr_pushgw_poll every
 *   turn); a gateway that is down is counted by the client and costs this
 *   loop nothing but the attempts.
 */
#include "control_push.h"

#include <stdio.h>

#include "ctl_pushgw.h"
#include "persist.h"
#include "worker_push.h"

#define DRAIN_PER_WORKER 64

struct drain_ctx {
	struct sr_app *app;
	uint64_t now_ms;
};

static void one_event(void *arg, const char *json, size_t len)
{
	struct drain_ctx *d = arg;
	sr_persist_listener_line(d->app, json, len);
	if (d->app->pushgw)
		sr_pushgw_submit(d->app->pushgw, json, len, d->now_ms); /* a refusal is counted by the client */
}

int sr_control_push_init(struct sr_app *app)
{
	const struct sr_push_config *c = &app->cfg.push;
	app->pushgw = NULL;
	if (!c->enable || c->gateway.url[0] == '\0')
		return 0;
	char err[256];
	app->pushgw = sr_pushgw_create(&c->gateway, err, sizeof(err));
	if (app->pushgw == NULL) {
		fprintf(stderr, "sipreg: push.gateway_url: %s\n", err);
		return -1;
	}
	return 0;
}

unsigned sr_control_push_poll(struct sr_app *app, uint64_t now_ms)
{
	if (!app->cfg.push.enable)
		return 0;
	struct drain_ctx d = { app, now_ms };
	unsigned n = 0;
	for (unsigned i = 0; i < app->n_workers; i++) {
		struct sr_push_events *e = sr_worker_push_events(app->w[i]);
		if (e)
			n += sr_push_events_drain(e, one_event, &d, DRAIN_PER_WORKER);
	}
	if (app->pushgw)
		sr_pushgw_poll(app->pushgw, now_ms);
	return n;
}

void sr_control_push_fini(struct sr_app *app)
{
	sr_pushgw_free(app->pushgw);
	app->pushgw = NULL;
}
