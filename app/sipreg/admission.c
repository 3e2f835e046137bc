/*
 * admission.c - lib/policy and net_flood wired into sipreg (see admission.h).
 *
 * One sr_policy serves all workers (reader id = worker id); its reload runs
 * on a control command's thread (commands.c), serialised by the one reload
 * lock, which no worker ever sees. The flood tables are per worker,
 * allocated once at start.
 *
 * "Authentication failed" is read from the outside of the core, so the auth
 * module needs no knowledge of flood protection: a 401 or 403 answer to a
 * REGISTER that carried an Authorization header (the registrar's result
 * says whether it did; nothing here reads SIP text) is a failure (a first
 * 401 without credentials is the normal challenge and is not), a 2xx
 * answer to a request with credentials forgets the source's failures.
 */
#include "admission.h"

#include <arpa/inet.h>
#include <stdio.h>

#include "net_flood.h"
#include "policy.h"

static struct sr_policy *load_rules(const struct sr_app_config *c, unsigned readers)
{
	char self[INET_ADDRSTRLEN] = "";
	inet_ntop(AF_INET, &c->ip, self, sizeof(self));
	char err[512];
	struct sr_policy *p = sr_policy_create_file(readers, self, c->policy_rules, err, sizeof(err));
	if (!p)
		fprintf(stderr, "sipreg: policy.rules: %s\n", err);
	return p;
}

int sr_admission_check(const struct sr_app_config *c)
{
	const char *err = NULL;
	struct sr_flood *f = sr_flood_create(&c->flood, &err);
	if (!f) {
		fprintf(stderr, "sipreg: %s\n", err);
		return -1;
	}
	sr_flood_free(f);
	if (c->policy_rules[0] == '\0')
		return 0;
	struct sr_policy *p = load_rules(c, 1);
	sr_policy_free(p);
	return p ? 0 : -1;
}

int sr_admission_init(struct sr_app *app)
{
	if (app->cfg.policy_rules[0] == '\0')
		return 0;
	app->policy = load_rules(&app->cfg, app->n_workers);
	return app->policy ? 0 : -1;
}

int sr_admission_worker(struct sr_app *app, struct sr_worker *w, struct sr_policy_hooks *hooks)
{
	*hooks = (struct sr_policy_hooks){ NULL, NULL };
	const char *err = NULL;
	w->flood = sr_flood_create(&app->cfg.flood, &err);
	if (!w->flood) {
		fprintf(stderr, "sipreg: worker %u: %s\n", w->id, err);
		return -1;
	}
	if (app->policy) {
		w->policy_reader = (struct sr_policy_reader){ app->policy, w->id };
		*hooks = (struct sr_policy_hooks){ sr_policy_hook_check, &w->policy_reader };
	}
	return 0;
}

int sr_admission_reload(struct sr_app *app, struct sr_policy_info *info, char *err, size_t cap)
{
	/* 2 s for the workers to leave the old database; past it, the next reload or the exit frees it */
	if (sr_policy_reload_file(app->policy, app->cfg.policy_rules, 2000, err, cap) < 0)
		return -1;
	sr_policy_get_info(app->policy, info);
	return 0;
}

void sr_admission_fini(struct sr_app *app)
{
	for (unsigned i = 0; i < app->n_workers; i++) {
		if (app->w[i]) {
			sr_flood_free(app->w[i]->flood);
			app->w[i]->flood = NULL;
		}
	}
	sr_policy_free(app->policy);
	app->policy = NULL;
}

void sr_admission_online(struct sr_worker *w)
{
	if (w->app->policy)
		sr_policy_reader_online(w->app->policy, w->id);
}

void sr_admission_quiescent(struct sr_worker *w)
{
	if (w->app->policy)
		sr_policy_quiescent(w->app->policy, w->id);
}

void sr_admission_offline(struct sr_worker *w)
{
	if (w->app->policy)
		sr_policy_reader_offline(w->app->policy, w->id);
}

void sr_admission_after(struct sr_worker *w, uint32_t src_ip, bool credentials, int status, uint64_t now_ms)
{
	if (w->app->cfg.flood.fail_limit == 0)
		return;
	bool failed = status == 401 || status == 403;
	if ((!failed && status / 100 != 2) || !credentials)
		return;
	if (failed)
		sr_flood_auth_failure(w->flood, src_ip, now_ms);
	else
		sr_flood_auth_success(w->flood, src_ip);
}
