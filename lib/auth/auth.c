/*
 * auth.c - set-up, reload and teardown of the authentication module
 * (see auth.h; the per-request work is in auth_hooks.c).
 *
 * Configuration errors are found here, at start, with a message naming the
 * key: an enabled module without a subscriber file or a nonce secret is
 * refused rather than run open.
 */
#include "auth_worker.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sr_auth_config_defaults(struct sr_auth_config *c)
{
	memset(c, 0, sizeof(*c));
	c->nonce_lifetime_s = 300;
	c->replay_entries = 65536;
	snprintf(c->algorithms, sizeof(c->algorithms), "SHA-256,MD5");
}

static int parse_algorithms(struct sr_auth *a, char *err, size_t err_len)
{
	char buf[sizeof(a->cfg.algorithms)];
	snprintf(buf, sizeof(buf), "%s", a->cfg.algorithms);
	for (char *save = NULL, *t = strtok_r(buf, ", \t", &save); t; t = strtok_r(NULL, ", \t", &save)) {
		enum sr_digest_alg alg;
		if (sr_digest_alg_parse(sr_str_cstr(t), &alg) != 0) {
			snprintf(err, err_len, "auth.algorithms: '%s' is not SHA-256 or MD5", t);
			return -1;
		}
		for (unsigned i = 0; i < a->n_algs; i++) {
			if (a->algs[i] == alg) {
				snprintf(err, err_len, "auth.algorithms: '%s' named twice", t);
				return -1;
			}
		}
		a->algs[a->n_algs++] = alg;
	}
	if (a->n_algs == 0) {
		snprintf(err, err_len, "auth.algorithms: empty; name SHA-256, MD5 or both");
		return -1;
	}
	return 0;
}

static int split_noauth(struct sr_auth *a, char *err, size_t err_len)
{
	memcpy(a->noauth_buf, a->cfg.no_auth_domains, sizeof(a->noauth_buf));
	a->noauth_buf[sizeof(a->noauth_buf) - 1] = '\0';
	for (char *save = NULL, *t = strtok_r(a->noauth_buf, ", \t", &save); t;
	     t = strtok_r(NULL, ", \t", &save)) {
		if (a->n_noauth == SR_AUTH_MAX_NOAUTH) {
			snprintf(err, err_len, "auth.no_auth_domains: more than %d domains", SR_AUTH_MAX_NOAUTH);
			return -1;
		}
		a->noauth[a->n_noauth++] = sr_str_cstr(t);
	}
	return 0;
}

/* The first nonce secret: auth.nonce_secret, or the content of auth.nonce_secret_file. */
static int initial_secret(struct sr_auth *a, char *err, size_t err_len)
{
	unsigned char buf[SR_NONCE_SECRET_MAX];
	size_t len = strlen(a->cfg.nonce_secret);
	char why[512];
	if (a->cfg.nonce_secret_file[0]) {
		if (sr_nonce_secret_read(a->cfg.nonce_secret_file, buf, &len, why, sizeof(why)) != 0) {
			snprintf(err, err_len, "auth.nonce_secret_file: %s", why);
			return -1;
		}
	} else {
		memcpy(buf, a->cfg.nonce_secret, len);
	}
	struct sr_nonce_secrets *s = sr_nonce_secrets_new(NULL, buf, len);
	if (!s) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	atomic_store_explicit(&a->secrets, s, memory_order_release);
	return 0;
}

struct sr_auth *sr_auth_new(const struct sr_auth_config *cfg, unsigned max_workers, char *err, size_t err_len)
{
	if (cfg->enabled && !cfg->subscribers[0]) {
		snprintf(err, err_len, "auth.subscribers: a subscriber file is needed when auth.enabled is true");
		return NULL;
	}
	if (cfg->enabled && !cfg->nonce_secret[0] && !cfg->nonce_secret_file[0]) {
		snprintf(err, err_len,
			 "auth.nonce_secret: a secret (or auth.nonce_secret_file) is needed when auth.enabled is true");
		return NULL;
	}
	if (cfg->nonce_secret[0] && cfg->nonce_secret_file[0]) {
		snprintf(err, err_len, "auth.nonce_secret and auth.nonce_secret_file: set one, not both");
		return NULL;
	}
	struct sr_auth *a = calloc(1, sizeof(*a));
	if (!a) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	a->cfg = *cfg;
	a->max_workers = max_workers ? max_workers : 1;
	if (split_noauth(a, err, err_len) != 0 || parse_algorithms(a, err, err_len) != 0 ||
	    (cfg->enabled && (initial_secret(a, err, err_len) != 0 ||
			      !(a->store = sr_auth_store_new(cfg->subscribers, a->max_workers, err, err_len))))) {
		sr_auth_free(a);
		return NULL;
	}
	return a;
}

void sr_auth_free(struct sr_auth *a)
{
	if (!a)
		return;
	sr_auth_store_free(a->store);
	free(atomic_load_explicit(&a->secrets, memory_order_relaxed));
	free(a->retired_secrets);
	free(a);
}

/*
 * The next secret set when the secret file changed, in *next (NULL when
 * unchanged or no file is configured). 0, or -1 with err.
 */
static int next_secret(struct sr_auth *a, uint64_t now_ms, struct sr_nonce_secrets **next, char *err,
		       size_t err_len)
{
	*next = NULL;
	if (!a->cfg.nonce_secret_file[0])
		return 0;
	if (a->retired_secrets) {
		if (!sr_auth_store_synchronize(a->store)) {
			snprintf(err, err_len, "a worker has not passed a quiescent state since the last rotation");
			return -1;
		}
		free(a->retired_secrets);
		a->retired_secrets = NULL;
	}
	unsigned char buf[SR_NONCE_SECRET_MAX];
	size_t len;
	char why[512];
	if (sr_nonce_secret_read(a->cfg.nonce_secret_file, buf, &len, why, sizeof(why)) != 0) {
		snprintf(err, err_len, "auth.nonce_secret_file: %s", why);
		return -1;
	}
	const struct sr_nonce_secrets *cur = atomic_load_explicit(&a->secrets, memory_order_relaxed);
	if (len == cur->cur_len && memcmp(buf, cur->cur, len) == 0)
		return 0;
	if (!(*next = sr_nonce_secrets_new(cur, buf, len))) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	(*next)->prev_until_ms = now_ms ? now_ms + sr_auth_prev_secret_keep_ms(a) : 0;
	return 0;
}

int sr_auth_reload(struct sr_auth *a, size_t *subscribers, char *err, size_t err_len)
{
	return sr_auth_reload_at(a, 0, subscribers, err, err_len);
}

int sr_auth_reload_at(struct sr_auth *a, uint64_t now_ms, size_t *subscribers, char *err, size_t err_len)
{
	if (!a->store) {
		snprintf(err, err_len, "authentication is not enabled");
		return -1;
	}
	struct sr_nonce_secrets *next;
	if (next_secret(a, now_ms, &next, err, err_len) != 0)
		return -1;
	if (sr_auth_store_reload(a->store, subscribers, err, err_len) != 0) {
		free(next);
		return -1;
	}
	if (next) {
		struct sr_nonce_secrets *old = atomic_exchange_explicit(&a->secrets, next, memory_order_seq_cst);
		if (sr_auth_store_synchronize(a->store))
			free(old);
		else
			a->retired_secrets = old;
	}
	return 0;
}

uint64_t sr_auth_secret_generation(const struct sr_auth *a)
{
	const struct sr_nonce_secrets *s = atomic_load_explicit(&((struct sr_auth *)a)->secrets, memory_order_acquire);
	return s ? s->gen : 0;
}

struct sr_auth_worker *sr_auth_worker_new(struct sr_auth *a, unsigned worker_id, char *err, size_t err_len)
{
	if (worker_id >= a->max_workers) {
		snprintf(err, err_len, "auth worker %u beyond the %u configured", worker_id, a->max_workers);
		return NULL;
	}
	struct sr_auth_worker *w = calloc(1, sizeof(*w));
	if (!w) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	w->a = a;
	w->id = worker_id;
	if (a->cfg.enabled) {
		w->dg = sr_digest_new();
		const struct sr_nonce_secrets *s = atomic_load_explicit(&a->secrets, memory_order_acquire);
		w->nonce = sr_nonce_new(s->cur, s->cur_len, (uint16_t)worker_id);
		w->nonce_prev = sr_nonce_new(s->cur, s->cur_len, (uint16_t)worker_id); /* re-keyed at a rotation */
		w->key_gen = s->gen;
		w->replay = sr_replay_new(a->cfg.replay_entries);
		if (!w->dg || !w->nonce || !w->nonce_prev || !w->replay) {
			snprintf(err, err_len, "cannot set up OpenSSL digests/HMAC or the replay cache");
			sr_auth_worker_free(w);
			return NULL;
		}
	}
	return w;
}

void sr_auth_worker_free(struct sr_auth_worker *w)
{
	if (!w)
		return;
	if (w->online)
		sr_auth_worker_offline(w);
	sr_digest_free(w->dg);
	sr_nonce_free(w->nonce);
	sr_nonce_free(w->nonce_prev);
	sr_replay_free(w->replay);
	free(w);
}

struct sr_auth_hooks sr_auth_worker_hooks(struct sr_auth_worker *w)
{
	return (struct sr_auth_hooks){ sr_auth_hook_authenticate, sr_auth_hook_authorize, w };
}

int sr_auth_worker_online(struct sr_auth_worker *w)
{
	if (!w->a->store || w->online)
		return 0;
	if (sr_auth_store_reader_online(w->a->store, w->id) != 0)
		return -1;
	w->online = true;
	return 0;
}

void sr_auth_worker_quiescent(struct sr_auth_worker *w)
{
	if (w->online)
		sr_auth_store_quiescent(w->a->store, w->id);
}

void sr_auth_worker_offline(struct sr_auth_worker *w)
{
	if (!w->online)
		return;
	sr_auth_store_reader_offline(w->a->store, w->id);
	w->online = false;
}

void sr_auth_worker_stats(const struct sr_auth_worker *w, struct sr_auth_stats *st)
{
	st->ok = __atomic_load_n(&w->stats.ok, __ATOMIC_RELAXED);
	st->challenged = __atomic_load_n(&w->stats.challenged, __ATOMIC_RELAXED);
	st->stale = __atomic_load_n(&w->stats.stale, __ATOMIC_RELAXED);
	st->replayed = __atomic_load_n(&w->stats.replayed, __ATOMIC_RELAXED);
	st->forbidden = __atomic_load_n(&w->stats.forbidden, __ATOMIC_RELAXED);
	st->replay_live_evictions = w->replay ? sr_replay_live_evictions(w->replay) : 0;
}

size_t sr_auth_subscribers(const struct sr_auth *a)
{
	return a->store ? sr_creds_count(sr_auth_store_get(a->store)) : 0;
}
