/*
 * auth_worker.h - the layout of struct sr_auth and struct sr_auth_worker,
 * shared by auth.c (set-up, reload) and auth_hooks.c (the per-request
 * hooks) and nothing else.
 */
#ifndef SR_AUTH_WORKER_H
#define SR_AUTH_WORKER_H

#include "auth.h"
#include "auth_digest.h"
#include "auth_nonce.h"
#include "auth_replay.h"
#include "auth_secret.h"
#include "auth_store.h"

#define SR_AUTH_MAX_NOAUTH 32

/* A counter with one writer (its worker) read by the control side. */
#define SR_AUTH_COUNT(c) __atomic_store_n(&(c), (c) + 1, __ATOMIC_RELAXED)

struct sr_auth {
	struct sr_auth_config cfg;
	struct sr_auth_store *store;
	_Atomic(struct sr_nonce_secrets *) secrets; /* read by workers, swapped by a reload */
	struct sr_nonce_secrets *retired_secrets;   /* unpublished, grace period timed out */
	unsigned max_workers;
	unsigned n_algs;
	enum sr_digest_alg algs[SR_DIGEST_N_ALGS]; /* offered, in challenge order */
	unsigned n_noauth;
	struct sr_str noauth[SR_AUTH_MAX_NOAUTH]; /* into noauth_buf */
	char noauth_buf[sizeof(((struct sr_auth_config *)0)->no_auth_domains)];
};

struct sr_auth_worker {
	struct sr_auth *a;
	unsigned id;
	bool online;
	struct sr_digest *dg;
	struct sr_nonce *nonce;      /* keyed with the current secret of generation key_gen */
	struct sr_nonce *nonce_prev; /* the previous secret, when has_prev */
	uint64_t key_gen;
	bool has_prev;
	uint64_t prev_until_ms; /* nonces of the previous secret refused from then on */
	struct sr_replay *replay;
	const struct sr_subscriber *cur; /* authenticated by the current request, for authorize */
	struct sr_auth_stats stats;
};

/* How long the previous nonce secret is kept: one nonce lifetime, 300 s when nonces never go stale. */
static inline uint64_t sr_auth_prev_secret_keep_ms(const struct sr_auth *a)
{
	return a->cfg.nonce_lifetime_s ? (uint64_t)a->cfg.nonce_lifetime_s * 1000 : 300000;
}

int sr_auth_hook_authenticate(void *ctx, const struct sr_sip_msg *m, uint64_t now_ms,
			      struct sr_auth_identity *id, char *hdrs, size_t cap, size_t *hdr_len);
int sr_auth_hook_authorize(void *ctx, const struct sr_auth_identity *id, struct sr_str aor);

#endif
