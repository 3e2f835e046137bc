/*
 * app_auth.c - lib/auth wired into sipreg (see app_auth.h).
 *
 * The nonce secret defaults to 32 random bytes at start: nonces then do not
 * survive a restart, which only costs phones one extra challenge. Reloads
 * come from DPDK telemetry, which may serve several clients on separate
 * threads, so they are serialised here with a mutex; the mutex is never
 * seen by a worker (workers only read the table through RCU).
 */
#include "app_auth.h"

#include <pthread.h>
#include <stdio.h>
#include <sys/random.h>

#include <rte_cycles.h>
#include <rte_debug.h>
#include <rte_malloc.h>
#include <rte_telemetry.h>

static struct sr_app *g_auth_app;
static pthread_mutex_t reload_lock = PTHREAD_MUTEX_INITIALIZER;

static int random_secret(struct sr_auth_config *c)
{
	unsigned char raw[32];
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		return -1;
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(c->nonce_secret + 2 * i, 3, "%02x", raw[i]);
	return 0;
}

int sr_app_auth_init(struct sr_app *app)
{
	struct sr_auth_config *c = &app->cfg.auth;
	if (!c->enabled)
		return 0;
	if (c->nonce_secret[0] == '\0' && c->nonce_secret_file[0] == '\0' && random_secret(c) != 0) {
		fprintf(stderr, "sipreg: auth.nonce_secret: no random source, set it explicitly\n");
		return -1;
	}
	char err[512];
	app->auth = sr_auth_new(c, app->n_workers, err, sizeof(err));
	if (!app->auth) {
		fprintf(stderr, "sipreg: auth: %s\n", err);
		return -1;
	}
	return 0;
}

int sr_app_auth_worker(struct sr_app *app, struct sr_worker *w, struct sr_auth_hooks *hooks)
{
	*hooks = (struct sr_auth_hooks){ NULL, NULL, NULL };
	if (!app->auth)
		return 0;
	char err[256];
	w->auth = sr_auth_worker_new(app->auth, w->id, err, sizeof(err));
	if (!w->auth) {
		fprintf(stderr, "sipreg: worker %u: auth: %s\n", w->id, err);
		return -1;
	}
	*hooks = sr_auth_worker_hooks(w->auth);
	return 0;
}

/*
 * /sipreg/reload: re-reads the subscriber file and, with auth.nonce_secret_file,
 * the nonce secret. {"reload": "ok", "subscribers": N, "nonce_secret":
 * "rotated"|"unchanged", "secret_generation": G} or {"error": "..."}.
 */
static int cmd_reload(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	if (!g_auth_app || !g_auth_app->auth) {
		rte_tel_data_add_dict_string(d, "error", "authentication is not enabled (auth.enabled)");
		rte_tel_data_add_dict_int(d, "configured", 0); /* sipregctl reload: skipped, not refused */
		return 0;
	}
	char err[512];
	size_t n = 0;
	pthread_mutex_lock(&reload_lock);
	uint64_t gen_before = sr_auth_secret_generation(g_auth_app->auth);
	uint64_t now_ms = sr_clock_ms(&g_auth_app->clock, rte_get_tsc_cycles());
	int rc = sr_auth_reload_at(g_auth_app->auth, now_ms, &n, err, sizeof(err));
	uint64_t gen = sr_auth_secret_generation(g_auth_app->auth);
	pthread_mutex_unlock(&reload_lock);
	if (rc != 0) {
		rte_tel_data_add_dict_string(d, "error", err);
		return 0;
	}
	rte_tel_data_add_dict_string(d, "reload", "ok");
	rte_tel_data_add_dict_u64(d, "subscribers", n);
	rte_tel_data_add_dict_string(d, "nonce_secret", gen != gen_before ? "rotated" : "unchanged");
	rte_tel_data_add_dict_u64(d, "secret_generation", gen);
	return 0;
}

/* /sipreg/auth: the authentication counters summed over the workers, and the subscribers in force. */
static int cmd_auth(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	struct sr_app *app = g_auth_app;
	rte_tel_data_add_dict_int(d, "enabled", app && app->auth ? 1 : 0);
	if (!app || !app->auth)
		return 0;
	struct sr_auth_stats sum = { 0 };
	for (unsigned i = 0; i < app->n_workers; i++) {
		struct sr_auth_stats st;
		if (!app->w[i] || !app->w[i]->auth)
			continue;
		sr_auth_worker_stats(app->w[i]->auth, &st);
		sum.ok += st.ok;
		sum.challenged += st.challenged;
		sum.stale += st.stale;
		sum.replayed += st.replayed;
		sum.forbidden += st.forbidden;
		sum.replay_live_evictions += st.replay_live_evictions;
	}
	pthread_mutex_lock(&reload_lock); /* only a reload frees a table */
	size_t subscribers = sr_auth_subscribers(app->auth);
	pthread_mutex_unlock(&reload_lock);
	rte_tel_data_add_dict_u64(d, "subscribers", subscribers);
	rte_tel_data_add_dict_u64(d, "authenticated", sum.ok);
	rte_tel_data_add_dict_u64(d, "challenged", sum.challenged);
	rte_tel_data_add_dict_u64(d, "stale", sum.stale);
	rte_tel_data_add_dict_u64(d, "replayed", sum.replayed);
	rte_tel_data_add_dict_u64(d, "forbidden", sum.forbidden);
	rte_tel_data_add_dict_u64(d, "replay_live_evictions", sum.replay_live_evictions);
	return 0;
}

int sr_app_auth_register_commands(struct sr_app *app)
{
	g_auth_app = app;
	if (SR_TEL_REGISTER("/sipreg/auth", cmd_auth,
				       "Authentication counters and subscribers in force. No parameters") != 0)
		return -1;
	return SR_TEL_REGISTER("/sipreg/reload", cmd_reload,
					  "Re-reads the subscriber file (auth.subscribers) and the nonce secret "
					  "(auth.nonce_secret_file). No parameters");
}

void sr_app_auth_fini(struct sr_app *app)
{
	for (unsigned i = 0; i < app->n_workers; i++) {
		if (app->w[i] && app->w[i]->auth) {
			sr_auth_worker_free(app->w[i]->auth);
			app->w[i]->auth = NULL;
		}
	}
	sr_auth_free(app->auth);
	app->auth = NULL;
}
