/*
 * app_auth.h - lib/auth in the data plane: set-up at start, one
 * sr_auth_worker per worker shard, the RCU reader duties of the worker
 * loop, and what the control commands need (reload, counters; the
 * commands themselves are in commands.c).
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
/* What a reload changed. */
struct sr_app_auth_reloaded {
	size_t subscribers;         /* in the table now in force */
	bool rotated;               /* the nonce secret changed (auth.nonce_secret_file) */
	uint64_t secret_generation; /* 1 for the first secret, +1 per rotation */
};
/*
 * Re-reads the subscriber file and, with auth.nonce_secret_file, the nonce
 * secret (auth must be on; control side: the caller serialises reloads).
 * All or nothing: 0, or -1 with the reason in err and nothing changed.
 */
int sr_app_auth_reload(struct sr_app *app, struct sr_app_auth_reloaded *r, char *err, size_t cap);
/* The authentication counters summed over the workers (relaxed reads). */
void sr_app_auth_counters(const struct sr_app *app, struct sr_auth_stats *sum);
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
