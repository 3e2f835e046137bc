/*
 * app_auth.c - lib/auth wired into sipreg (see app_auth.h).
 *
 * The nonce secret defaults to 32 random bytes at start: nonces then do not
 * survive a restart, which only costs phones one extra challenge. Reloads
 * come from the control commands (commands.c), which serialise them with
 * the one reload lock; no worker ever sees it (workers only read the table
 * through RCU).
 */
#include "app_auth.h"

#include <stdio.h>
#include <sys/random.h>

#include <rte_cycles.h>
#include <rte_debug.h>
#include <rte_malloc.h>

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

int sr_app_auth_reload(struct sr_app *app, struct sr_app_auth_reloaded *r, char *err, size_t cap)
{
	uint64_t gen_before = sr_auth_secret_generation(app->auth);
	uint64_t now_ms = sr_clock_ms(&app->clock, rte_get_tsc_cycles());
	if (sr_auth_reload_at(app->auth, now_ms, &r->subscribers, err, cap) != 0)
		return -1;
	r->secret_generation = sr_auth_secret_generation(app->auth);
	r->rotated = r->secret_generation != gen_before;
	return 0;
}

void sr_app_auth_counters(const struct sr_app *app, struct sr_auth_stats *sum)
{
	*sum = (struct sr_auth_stats){ 0 };
	for (unsigned i = 0; i < app->n_workers; i++) {
		struct sr_auth_stats st;
		if (!app->w[i] || !app->w[i]->auth)
			continue;
		sr_auth_worker_stats(app->w[i]->auth, &st);
		sum->ok += st.ok;
		sum->challenged += st.challenged;
		sum->stale += st.stale;
		sum->replayed += st.replayed;
		sum->forbidden += st.forbidden;
		sum->replay_live_evictions += st.replay_live_evictions;
	}
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
