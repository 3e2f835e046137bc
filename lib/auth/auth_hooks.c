/*
 * auth_hooks.c - the per-request authentication and authorisation hooks
 * (decisions in auth.h).
 *
 * An Authorization value is read by lib/sip (sr_sip_digest_parse, libosip2
 * into the request's arena) only when a credential is needed. The hooks
 * take no lock and make no allocation of their own: hashes use the worker's
 * EVP contexts (OpenSSL 3.0 allocates a small state per hash inside them,
 * see auth_digest.h), the replay cache is fixed-size, the credential table
 * is read through RCU.
 */
#include "auth_worker.h"

#include "sip_digest.h"

#include <openssl/crypto.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

/* nc: exactly 8 hex digits (RFC 7616 3.4). */
static int parse_nc(struct sr_str s, uint32_t *nc)
{
	if (s.len != 8)
		return -1;
	uint32_t v = 0;
	for (size_t i = 0; i < 8; i++) {
		char ch = s.p[i];
		int d = ch >= '0' && ch <= '9' ? ch - '0'
			: ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
			: ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
						 : -1;
		if (d < 0)
			return -1;
		v = v << 4 | (uint32_t)d;
	}
	*nc = v;
	return 0;
}

/* Writes one challenge per algorithm (SHA-256 first) and returns 401. */
static int challenge(struct sr_auth_worker *w, struct sr_str realm, bool stale, uint64_t now_ms, char *hdrs,
		     size_t cap, size_t *hdr_len)
{
	char nonce[SR_NONCE_LEN + 1];
	*hdr_len = 0;
	if (sr_nonce_make(w->nonce, now_ms, nonce) != 0)
		return 500;
	for (unsigned i = 0; i < w->a->n_algs; i++) {
		int n = snprintf(hdrs + *hdr_len, cap - *hdr_len,
				 "WWW-Authenticate: Digest realm=\"%.*s\", nonce=\"%s\", algorithm=%s, qop=\"auth\"%s\r\n",
				 (int)realm.len, realm.p, nonce, sr_digest_alg_name(w->a->algs[i]),
				 stale ? ", stale=true" : "");
		if (n < 0 || (size_t)n >= cap - *hdr_len)
			break; /* the challenges that fit */
		*hdr_len += (size_t)n;
	}
	if (stale)
		SR_AUTH_COUNT(w->stats.stale);
	else
		SR_AUTH_COUNT(w->stats.challenged);
	return 401;
}

static bool offered(const struct sr_auth *a, enum sr_digest_alg alg)
{
	for (unsigned i = 0; i < a->n_algs; i++)
		if (a->algs[i] == alg)
			return true;
	return false;
}

static bool has_quote(struct sr_str s)
{
	return memchr(s.p, '"', s.len) != NULL;
}

/* The realm of the request: configured, else the To domain. */
static struct sr_str request_realm(const struct sr_auth *a, struct sr_str to_host)
{
	return a->cfg.realm[0] ? sr_str_cstr(a->cfg.realm) : to_host;
}

static bool auth_off_for(const struct sr_auth *a, struct sr_str to_host)
{
	for (unsigned i = 0; i < a->n_noauth; i++)
		if (sr_str_caseeq(to_host, a->noauth[i]))
			return true;
	return false;
}

/*
 * Re-keys the worker's HMAC contexts after a rotation (auth_secret.h). On a
 * failure the old keys stay and the next request tries again.
 */
static void sync_secrets(struct sr_auth_worker *w, uint64_t now_ms)
{
	const struct sr_nonce_secrets *s = atomic_load_explicit(&w->a->secrets, memory_order_acquire);
	if (s->gen == w->key_gen || sr_nonce_rekey(w->nonce, s->cur, s->cur_len) != 0)
		return;
	w->has_prev = s->prev_len && sr_nonce_rekey(w->nonce_prev, s->prev, s->prev_len) == 0;
	w->prev_until_ms = s->prev_until_ms ? s->prev_until_ms : now_ms + sr_auth_prev_secret_keep_ms(w->a);
	w->key_gen = s->gen;
}

/* A nonce of the current secret, else of the previous one while it is kept. */
static enum sr_nonce_rc check_nonce(struct sr_auth_worker *w, struct sr_str nonce, uint64_t now_ms,
				    uint64_t lifetime_ms, struct sr_nonce_info *info)
{
	enum sr_nonce_rc rc = sr_nonce_check(w->nonce, nonce, now_ms, lifetime_ms, info);
	if (rc == SR_NONCE_BAD && w->has_prev && now_ms < w->prev_until_ms)
		rc = sr_nonce_check(w->nonce_prev, nonce, now_ms, lifetime_ms, info);
	return rc;
}

/* Verifies a credential for this realm. Returns 0, or the status with the challenge written. */
static int verify(struct sr_auth_worker *w, const struct sr_sip_msg *m, const struct sr_sip_digest *c, struct sr_str realm,
		  uint64_t now_ms, struct sr_auth_identity *id, char *hdrs, size_t cap, size_t *hdr_len)
{
	const struct sr_auth *a = w->a;
	enum sr_digest_alg alg = SR_DIGEST_MD5;
	uint32_t nc;
	if (!c->username.len || !c->nonce.len || !c->uri.len || !c->response.len || !c->cnonce.len ||
	    !sr_str_caseeq_cstr(c->qop, "auth") || parse_nc(c->nc, &nc) != 0 ||
	    (c->algorithm.len && sr_digest_alg_parse(c->algorithm, &alg) != 0) || !offered(a, alg))
		return challenge(w, realm, false, now_ms, hdrs, cap, hdr_len);
	if (!sr_str_eq(c->uri, m->ruri_raw))
		return 400;
	const struct sr_subscriber *sub = sr_creds_find(sr_auth_store_get(a->store), c->username, realm);
	if (!sub || !sub->ha1[alg].len)
		return challenge(w, realm, false, now_ms, hdrs, cap, hdr_len);
	struct sr_nonce_info info;
	uint64_t lifetime_ms = (uint64_t)a->cfg.nonce_lifetime_s * 1000;
	enum sr_nonce_rc rc = check_nonce(w, c->nonce, now_ms, lifetime_ms, &info);
	/*
	 * Only the worker that issued a nonce accepts it (its id is in the salt,
	 * under the MAC). The nonce-count replay cache is per worker, so a
	 * credential replayed to another worker (a request the data plane did not
	 * route to its owner) would meet an empty cache there.
	 */
	if (rc == SR_NONCE_BAD || info.salt >> 48 != (w->id & 0xffffu))
		return challenge(w, realm, false, now_ms, hdrs, cap, hdr_len);
	char expect[SR_DIGEST_HEX_MAX + 1];
	struct sr_digest_input in = { sub->ha1[alg], c->nonce, c->nc, c->cnonce, c->qop, m->method, c->uri };
	if (sr_digest_response(w->dg, alg, &in, expect) != 0)
		return 500;
	size_t hl = sr_digest_hex_len(alg);
	if (c->response.len != hl || CRYPTO_memcmp(expect, c->response.p, hl) != 0)
		return challenge(w, realm, false, now_ms, hdrs, cap, hdr_len);
	if (rc == SR_NONCE_STALE)
		return challenge(w, realm, true, now_ms, hdrs, cap, hdr_len);
	if (!sr_replay_accept(w->replay, &info, nc, now_ms, sr_nonce_stale_at(&info, lifetime_ms))) {
		SR_AUTH_COUNT(w->stats.replayed);
		return challenge(w, realm, false, now_ms, hdrs, cap, hdr_len);
	}
	id->user = c->username;
	id->realm = realm;
	w->cur = sub;
	SR_AUTH_COUNT(w->stats.ok);
	return 0;
}

int sr_auth_hook_authenticate(void *ctx, const struct sr_sip_msg *m, uint64_t now_ms,
			      struct sr_auth_identity *id, char *hdrs, size_t cap, size_t *hdr_len)
{
	struct sr_auth_worker *w = ctx;
	const struct sr_auth *a = w->a;
	w->cur = NULL;
	struct sr_str to_host = m->to.uri.host;
	if (!a->cfg.enabled || auth_off_for(a, to_host))
		return 0;
	sync_secrets(w, now_ms);
	struct sr_str realm = request_realm(a, to_host);
	if (!realm.len || has_quote(realm))
		return 403; /* no realm to challenge for: nothing could ever authenticate */
	for (unsigned i = 0; i < m->n_authorization; i++) {
		struct sr_sip_digest c;
		if (sr_sip_digest_parse(m->authorization[i], &c) == 0 && sr_str_caseeq(c.realm, realm))
			return verify(w, m, &c, realm, now_ms, id, hdrs, cap, hdr_len);
	}
	return challenge(w, realm, false, now_ms, hdrs, cap, hdr_len);
}

int sr_auth_hook_authorize(void *ctx, const struct sr_auth_identity *id, struct sr_str aor)
{
	struct sr_auth_worker *w = ctx;
	if (!id->user.len)
		return 0; /* authentication is off for this domain */
	if (w->cur && sr_creds_may_register(w->cur, aor))
		return 0;
	SR_AUTH_COUNT(w->stats.forbidden);
	return 403;
}
