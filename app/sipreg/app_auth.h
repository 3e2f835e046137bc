/*
 * app_auth.h - lib/auth in the data plane: set-up at start, one
 * sr_auth_worker per worker shard, the RCU reader duties of the worker
 * loop, and the /sipreg/reload telemetry command.
 *
 * With auth.enabled false nothing is created and the shards get no hooks,
 * so an unauthenticated registrar pays nothing for the module.
 */
#ifndef SR_APP_AUTH_H
#define SR_APP_AUTH_H

#include "app.h"
#include "auth.h"

/* Loads the subscriber file (before the workers are set up). 0, or -1 after a message on stderr. */
int sr_app_auth_init(struct sr_app *app);
/* The hooks for worker w's shard (zero hooks when auth is off); -1 on failure after a message. */
int sr_app_auth_worker(struct sr_app *app, struct sr_worker *w, struct sr_auth_hooks *hooks);
/* Registers /sipreg/reload and /sipreg/auth (counters); 0 or -1. */
int sr_app_auth_register_commands(struct sr_app *app);
void sr_app_auth_fini(struct sr_app *app);

/* Worker loop: join the RCU readers at start, report quiescence every iteration, leave at stop. */
static inline void sr_app_auth_online(struct sr_worker *w)
{
	if (w->auth && sr_auth_worker_online(w->auth) != 0)
		rte_panic("worker %u: cannot join the credential store readers\n", w->id);
}

static inline void sr_app_auth_quiescent(struct sr_worker *w)
{
	if (w->auth)
		sr_auth_worker_quiescent(w->auth);
}

static inline void sr_app_auth_offline(struct sr_worker *w)
{
	if (w->auth)
		sr_auth_worker_offline(w->auth);
}

#endif
