/*
 * auth.h - digest authentication and authorisation for the registrar
 * (RFC 3261 10.3 steps 3 and 4, RFC 3261 22, RFC 7616 with qop=auth,
 * MD5 and SHA-256 per RFC 8760).
 *
 * Two levels, like the data plane: one struct sr_auth for the process
 * (configuration, the RCU-swapped credential store, reload) and one
 * struct sr_auth_worker per shard (its digest and HMAC contexts, its
 * nonce-count replay cache, its counters), which supplies the
 * struct sr_auth_hooks the registrar core calls. A worker touches only its
 * own sr_auth_worker, so the hooks take no lock.
 *
 * Decisions:
 * - The realm of a request is [auth] realm when set, else the To domain;
 *   the subscriber is looked up by (username, realm).
 * - One challenge per offered algorithm, SHA-256 first by default (RFC 8760
 *   3), same nonce. auth.algorithms narrows or reorders them: clients that
 *   read only the first challenge and know only MD5 (SIPp 3.6) need "MD5".
 *   A credential with an algorithm not offered is challenged again.
 * - A bad, unknown or replayed credential gets a fresh challenge (401), not
 *   403, so a phone with a stale password prompts its user. stale=true only
 *   when the response was right for an expired nonce (RFC 7616 3.3).
 * - The digest uri must equal the Request-URI (RFC 2617 3.2.2.5), else 400.
 * - 403 comes from authorize: the AoR is not one the subscriber may register.
 * - The nonce secret rotates without a restart (auth_secret.h): the new set
 *   is swapped in with the credential table's RCU, each worker re-keys its
 *   HMAC contexts when it sees a new generation.
 */
#ifndef SR_AUTH_H
#define SR_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "registrar.h"

struct sr_auth_config {
	bool enabled;
	char realm[128];            /* empty: the To domain */
	char subscribers[4096];     /* subscriber file path (auth_creds.h) */
	char nonce_secret[256];     /* HMAC key of the nonces */
	char nonce_secret_file[4096]; /* or a file holding it, re-read (rotated) by sr_auth_reload */
	uint32_t nonce_lifetime_s;  /* 0: nonces never go stale */
	char no_auth_domains[1024]; /* comma-separated To domains served without authentication */
	uint32_t replay_entries;    /* nonce-count cache entries per worker */
	char algorithms[64];        /* offered, in challenge order: "SHA-256,MD5" (default), "MD5", ... */
};

void sr_auth_config_defaults(struct sr_auth_config *c);

struct sr_auth;
struct sr_auth_worker;

struct sr_auth_stats {
	uint64_t ok;         /* authenticated */
	uint64_t challenged; /* 401 without credentials, or with wrong ones */
	uint64_t stale;      /* 401 stale=true */
	uint64_t replayed;   /* 401 for a nonce-count already seen */
	uint64_t forbidden;  /* 403 from authorize */
	uint64_t replay_live_evictions; /* live nonces pushed out of a full replay cache (auth_replay.h) */
};

/* Loads the subscriber file. NULL with a message in err on failure. max_workers: shards that will attach. */
struct sr_auth *sr_auth_new(const struct sr_auth_config *cfg, unsigned max_workers, char *err, size_t err_len);
void sr_auth_free(struct sr_auth *a);
/*
 * Re-reads the subscriber file and swaps it in (control core); with
 * nonce_secret_file, re-reads the secret too and rotates it when it
 * changed. Nonces signed with the previous secret stay valid for one nonce
 * lifetime (300 s when nonces never go stale), so phones that were just
 * challenged are not sent round again; after it they are refused like
 * forged ones. All or nothing: 0, or -1 with err and neither the table nor
 * the secret changed.
 */
int sr_auth_reload(struct sr_auth *a, size_t *subscribers, char *err, size_t err_len);
/*
 * The same, with now_ms on the workers' clock: the previous secret then
 * ends one lifetime after now_ms on every worker, even one that sees the
 * rotation late (idle). sr_auth_reload is sr_auth_reload_at with 0
 * (each worker counts from the request where it sees the rotation).
 */
int sr_auth_reload_at(struct sr_auth *a, uint64_t now_ms, size_t *subscribers, char *err, size_t err_len);
/* 1 for the first nonce secret, +1 per rotation (control thread). */
uint64_t sr_auth_secret_generation(const struct sr_auth *a);

/* Per-shard state. worker_id < max_workers. */
struct sr_auth_worker *sr_auth_worker_new(struct sr_auth *a, unsigned worker_id, char *err, size_t err_len);
void sr_auth_worker_free(struct sr_auth_worker *w);
/* The hooks to put in struct sr_reg_params (ctx = w). */
struct sr_auth_hooks sr_auth_worker_hooks(struct sr_auth_worker *w);
/*
 * For a worker on its own thread: join the RCU readers (call on that
 * thread before its first request), report quiescence between bursts, and
 * leave before stopping. Single-threaded users need none of them.
 */
int sr_auth_worker_online(struct sr_auth_worker *w);
void sr_auth_worker_quiescent(struct sr_auth_worker *w);
void sr_auth_worker_offline(struct sr_auth_worker *w);
/* The worker's counters; safe from another thread (single writer, relaxed atomics). */
void sr_auth_worker_stats(const struct sr_auth_worker *w, struct sr_auth_stats *st);
/* Subscribers in the table in force; call from the thread that reloads (not a worker). */
size_t sr_auth_subscribers(const struct sr_auth *a);

#endif
