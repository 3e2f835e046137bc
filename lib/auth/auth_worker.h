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
#include "auth_store.h"

#define SR_AUTH_MAX_NOAUTH 32

/* A counter with one writer (its worker) read by the control side. */
#define SR_AUTH_COUNT(c) __atomic_store_n(&(c), (c) + 1, __ATOMIC_RELAXED)

struct sr_auth {
	struct sr_auth_config cfg;
	struct sr_auth_store *store;
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
	struct sr_nonce *nonce;
	struct sr_replay *replay;
	const struct sr_subscriber *cur; /* authenticated by the current request, for authorize */
	struct sr_auth_stats stats;
};

int sr_auth_hook_authenticate(void *ctx, const struct sr_sip_msg *m, uint64_t now_ms,
			      struct sr_auth_identity *id, char *hdrs, size_t cap, size_t *hdr_len);
int sr_auth_hook_authorize(void *ctx, const struct sr_auth_identity *id, struct sr_str aor);

#endif
