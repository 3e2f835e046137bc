/*
 * test_reg_auth.c - digest authentication and authorisation as the
 * registrar does them: real REGISTER bytes through sr_reg_process with the
 * lib/auth hooks installed, a subscriber file written for the test, and a
 * client side computed here with the same digest primitives (which
 * test_auth_digest.c checks against the RFC examples).
 *
 * Covered: the challenge (one per algorithm, SHA-256 first), success with
 * SHA-256 and MD5, wrong password / user / realm, stale and forged nonces,
 * nonce-count replay, 403 for a foreign AoR, third-party registration the
 * file allows, a domain without authentication, digest-uri mismatch,
 * malformed credentials, a reload changing a password, and the rotation
 * of a nonce secret read from a file (auth.nonce_secret_file).
 */
#include "reg_harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "auth_digest.h"
#include "auth_nonce.h"

#define LIFETIME_S 30

struct fx {
	struct th_env *e;
	struct sr_auth *a;
	struct sr_auth_worker *w;
	struct sr_digest *dg;
	char path[64];
	char secret_path[64]; /* auth.nonce_secret_file, when setup_secret_file */
};

static unsigned next_id = 7000;
static const char *setup_algorithms = "SHA-256,MD5";
static const char *setup_realm = ""; /* [auth] realm; empty: the To domain */
static bool setup_secret_file;       /* the nonce secret from a file instead of the config */

static void write_file(const char *path, const char *text)
{
	FILE *out = fopen(path, "w");
	assert_non_null(out);
	fputs(text, out);
	fclose(out);
}

static void write_subscribers(struct fx *f, const char *alice_pw)
{
	struct { const char *user, *pw, *aors; } subs[] = {
		{ "alice", alice_pw, "" },
		{ "bob", "bob-pw", " sip:bob@example.com,sip:reception@example.com" },
		{ "md5only", "m-pw", "" },
	};
	FILE *out = fopen(f->path, "w");
	assert_non_null(out);
	fprintf(out, "# test subscribers\n");
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		char md5[SR_DIGEST_HEX_MAX + 1], sha[SR_DIGEST_HEX_MAX + 1];
		const char *realm = setup_realm[0] ? setup_realm : "example.com";
		struct sr_str u = sr_str_cstr(subs[i].user), r = sr_str_cstr(realm), p = sr_str_cstr(subs[i].pw);
		assert_int_equal(sr_digest_ha1(f->dg, SR_DIGEST_MD5, u, r, p, md5), 0);
		assert_int_equal(sr_digest_ha1(f->dg, SR_DIGEST_SHA256, u, r, p, sha), 0);
		fprintf(out, "%s %s %s %s%s\n", subs[i].user, realm, md5, i == 2 ? "-" : sha, subs[i].aors);
	}
	fclose(out);
}


static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	if (!f || !(f->dg = sr_digest_new()))
		return -1;
	*state = f;
	snprintf(f->path, sizeof(f->path), "/tmp/sr-auth-subs-XXXXXX");
	int fd = mkstemp(f->path);
	if (fd < 0)
		return -1;
	close(fd);
	write_subscribers(f, "alice-pw");
	struct sr_auth_config ac;
	sr_auth_config_defaults(&ac);
	ac.enabled = true;
	snprintf(ac.subscribers, sizeof(ac.subscribers), "%s", f->path);
	if (setup_secret_file) {
		snprintf(f->secret_path, sizeof(f->secret_path), "/tmp/sr-auth-secret-XXXXXX");
		if ((fd = mkstemp(f->secret_path)) < 0)
			return -1;
		close(fd);
		write_file(f->secret_path, "first-secret\n");
		snprintf(ac.nonce_secret_file, sizeof(ac.nonce_secret_file), "%s", f->secret_path);
	} else {
		snprintf(ac.nonce_secret, sizeof(ac.nonce_secret), "test-secret");
	}
	snprintf(ac.no_auth_domains, sizeof(ac.no_auth_domains), "trusted.example.net");
	ac.nonce_lifetime_s = LIFETIME_S;
	snprintf(ac.algorithms, sizeof(ac.algorithms), "%s", setup_algorithms);
	snprintf(ac.realm, sizeof(ac.realm), "%s", setup_realm);
	char err[256];
	f->a = sr_auth_new(&ac, 1, err, sizeof(err));
	if (!f->a) {
		fprintf(stderr, "sr_auth_new: %s\n", err);
		return -1;
	}
	f->w = sr_auth_worker_new(f->a, 0, err, sizeof(err));
	struct sr_reg_config cfg;
	th_default_config(&cfg);
	sr_reg_config_add_domain(&cfg, "trusted.example.net");
	f->e = th_env_new(&cfg, NULL);
	if (!f->w || !f->e)
		return -1;
	/* the harness shard has no hooks: replace it by one that has */
	sr_reg_free(f->e->shard);
	struct sr_reg_params p = { .cfg = &f->e->cfg, .shard_id = next_id++, .now_ms = f->e->now_ms,
				     .auth = sr_auth_worker_hooks(f->w) };
	const char *serr = NULL;
	f->e->shard = sr_reg_create(&p, &serr);
	return f->e->shard ? 0 : -1;
}

/* auth.algorithms = MD5: what SIPp 3.6 (first challenge only, MD5 only) needs. */
static int setup_md5_only(void **state)
{
	setup_algorithms = "MD5";
	int rc = setup(state);
	setup_algorithms = "SHA-256,MD5";
	return rc;
}

/* One [auth] realm for every domain. */
static int setup_fixed_realm(void **state)
{
	setup_realm = "sipreg";
	int rc = setup(state);
	setup_realm = "";
	return rc;
}

/* auth.nonce_secret_file instead of auth.nonce_secret. */
static int setup_with_secret_file(void **state)
{
	setup_secret_file = true;
	int rc = setup(state);
	setup_secret_file = false;
	return rc;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	if (f->secret_path[0])
		unlink(f->secret_path);
	th_env_free(f->e);
	sr_auth_worker_free(f->w);
	sr_auth_free(f->a);
	sr_digest_free(f->dg);
	unlink(f->path);
	free(f);
	return 0;
}

/* The nonce of the idx-th challenge of the last response (static buffer). */
static const char *challenge_nonce(struct fx *f, unsigned idx)
{
	static char nonce[128];
	const char *h = th_header(f->e, "WWW-Authenticate", idx);
	assert_non_null(h);
	const char *p = strstr(h, "nonce=\"");
	assert_non_null(p);
	p += 7;
	const char *q = strchr(p, '"');
	assert_non_null(q);
	snprintf(nonce, sizeof(nonce), "%.*s", (int)(q - p), p);
	return nonce;
}

struct client {
	const char *user, *password, *realm, *to, *uri, *nonce, *qop;
	const char *alg_param; /* NULL: the name of alg; "": no algorithm parameter */
	enum sr_digest_alg alg;
	unsigned nc;
	bool sipp_style; /* SIPp 3.6's layout: no blanks after commas, cnonce/nc/qop first, algorithm last */
	uint32_t cseq;
	const char *call_id;
};

/* Sends a REGISTER carrying a digest credential computed from c; returns the status. */
static int send_auth(struct fx *f, const struct client *c)
{
	const char *realm = c->realm ? c->realm : "example.com";
	const char *uri = c->uri ? c->uri : "sip:example.com";
	const char *qop = c->qop ? c->qop : "auth";
	char ha1[SR_DIGEST_HEX_MAX + 1], resp[SR_DIGEST_HEX_MAX + 1], nc[16];
	snprintf(nc, sizeof(nc), "%08x", c->nc ? c->nc : 1);
	assert_int_equal(sr_digest_ha1(f->dg, c->alg, sr_str_cstr(c->user), sr_str_cstr(realm),
				       sr_str_cstr(c->password), ha1), 0);
	struct sr_digest_input in = { sr_str_cstr(ha1),	      sr_str_cstr(c->nonce), sr_str_cstr(nc),
				      SR_STR_LIT("0a4f113b"), sr_str_cstr(qop),	     SR_STR_LIT("REGISTER"),
				      sr_str_cstr(uri) };
	assert_int_equal(sr_digest_response(f->dg, c->alg, &in, resp), 0);
	char extra[1024];
	if (c->sipp_style)
		snprintf(extra, sizeof(extra),
			 "Authorization: Digest username=\"%s\",realm=\"%s\",cnonce=\"0a4f113b\",nc=%s,qop=%s,"
			 "uri=\"%s\",nonce=\"%s\",response=\"%s\",algorithm=%s\r\n",
			 c->user, realm, nc, qop, uri, c->nonce, resp, sr_digest_alg_name(c->alg));
	else
		snprintf(extra, sizeof(extra),
		 "Authorization: Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", uri=\"%s\", "
		 "response=\"%s\"%s%s, cnonce=\"0a4f113b\", qop=%s, nc=%s\r\n",
		 c->user, realm, c->nonce, uri, resp, c->alg_param && !*c->alg_param ? "" : ", algorithm=",
		 c->alg_param ? c->alg_param : sr_digest_alg_name(c->alg), qop, nc);
	char to[128];
	snprintf(to, sizeof(to), "sip:%s@example.com", c->user);
	struct th_req r = { .ruri = "sip:example.com", .to = c->to ? c->to : to,
			    .call_id = c->call_id ? c->call_id : "auth-call",
			    .cseq = c->cseq ? c->cseq : 2, .contact = "<sip:phone@198.51.100.2:5060>",
			    .extra = extra };
	return th_send(f->e, &r);
}

/* REGISTER without credentials; returns the status (and leaves the challenge in the response). */
static int send_plain(struct fx *f, const char *to, const char *ruri)
{
	struct th_req r = { .ruri = ruri, .to = to, .call_id = "auth-call", .cseq = 1,
			    .contact = "<sip:phone@198.51.100.2:5060>" };
	return th_send(f->e, &r);
}

static const char *fresh_nonce(struct fx *f)
{
	assert_int_equal(send_plain(f, "sip:alice@example.com", "sip:example.com"), 401);
	return challenge_nonce(f, 0);
}

static void challenge_one_per_algorithm_sha256_first(void **state)
{
	struct fx *f = *state;
	assert_int_equal(send_plain(f, "sip:alice@example.com", "sip:example.com"), 401);
	assert_string_equal(th_reason(f->e), "Unauthorized");
	assert_int_equal(th_header_count(f->e, "WWW-Authenticate"), 2);
	const char *first = th_header(f->e, "WWW-Authenticate", 0);
	assert_non_null(strstr(first, "Digest realm=\"example.com\""));
	assert_non_null(strstr(first, "algorithm=SHA-256"));
	assert_non_null(strstr(first, "qop=\"auth\""));
	assert_null(strstr(first, "stale"));
	char n0[128];
	snprintf(n0, sizeof(n0), "%s", challenge_nonce(f, 0));
	const char *second = th_header(f->e, "WWW-Authenticate", 1);
	assert_non_null(strstr(second, "algorithm=MD5"));
	assert_string_equal(challenge_nonce(f, 1), n0);
	assert_int_equal(th_binding_count(f->e, "sip:alice@example.com"), 0);
	/* every challenge carries a new nonce */
	assert_int_equal(send_plain(f, "sip:alice@example.com", "sip:example.com"), 401);
	assert_string_not_equal(challenge_nonce(f, 0), n0);
}

static void sha256_and_md5_register(void **state)
{
	struct fx *f = *state;
	struct client c = { .user = "alice", .password = "alice-pw", .alg = SR_DIGEST_SHA256 };
	c.nonce = fresh_nonce(f);
	assert_int_equal(send_auth(f, &c), 200);
	assert_int_equal(th_binding_count(f->e, "sip:alice@example.com"), 1);
	c.alg = SR_DIGEST_MD5;
	c.nonce = fresh_nonce(f);
	c.cseq = 3;
	assert_int_equal(send_auth(f, &c), 200);
	/* algorithm absent means MD5 (RFC 2617) */
	c.alg_param = "";
	c.nonce = fresh_nonce(f);
	c.cseq = 4;
	assert_int_equal(send_auth(f, &c), 200);
	struct sr_auth_stats st;
	sr_auth_worker_stats(f->w, &st);
	assert_int_equal(st.ok, 3);
	/* the compact layout SIPp sends */
	c.sipp_style = true;
	c.alg_param = NULL;
	c.nonce = fresh_nonce(f);
	c.cseq = 5;
	assert_int_equal(send_auth(f, &c), 200);
	sr_auth_worker_stats(f->w, &st);
	assert_int_equal(st.ok, 4);
	/* a subscriber with only an MD5 HA1 cannot use SHA-256 */
	struct client m = { .user = "md5only", .password = "m-pw", .alg = SR_DIGEST_SHA256 };
	m.nonce = fresh_nonce(f);
	assert_int_equal(send_auth(f, &m), 401);
	m.alg = SR_DIGEST_MD5;
	assert_int_equal(send_auth(f, &m), 200);
}

static void wrong_password_user_realm(void **state)
{
	struct fx *f = *state;
	struct client c = { .user = "alice", .password = "guess", .alg = SR_DIGEST_SHA256 };
	c.nonce = fresh_nonce(f);
	assert_int_equal(send_auth(f, &c), 401);
	assert_int_equal(th_header_count(f->e, "WWW-Authenticate"), 2);
	assert_null(strstr(th_header(f->e, "WWW-Authenticate", 0), "stale"));
	/* an unknown user, registering its own AoR */
	struct client u = { .user = "mallory", .password = "x", .alg = SR_DIGEST_MD5 };
	u.nonce = fresh_nonce(f);
	assert_int_equal(send_auth(f, &u), 401);
	/* the right password for another realm: not a credential for ours */
	struct client r = { .user = "alice", .password = "alice-pw", .realm = "evil.example.org",
			    .alg = SR_DIGEST_SHA256 };
	r.nonce = fresh_nonce(f);
	assert_int_equal(send_auth(f, &r), 401);
	assert_non_null(strstr(th_header(f->e, "WWW-Authenticate", 0), "realm=\"example.com\""));
	assert_int_equal(th_binding_count(f->e, "sip:alice@example.com"), 0);
	assert_int_equal(th_binding_count(f->e, "sip:mallory@example.com"), 0);
}

static void stale_nonce_gets_stale_true(void **state)
{
	struct fx *f = *state;
	struct client c = { .user = "alice", .password = "alice-pw", .alg = SR_DIGEST_SHA256 };
	char nonce[128];
	snprintf(nonce, sizeof(nonce), "%s", fresh_nonce(f));
	c.nonce = nonce;
	f->e->now_ms += (LIFETIME_S + 1) * 1000ull;
	assert_int_equal(send_auth(f, &c), 401);
	assert_int_equal(th_header_count(f->e, "WWW-Authenticate"), 2);
	assert_non_null(strstr(th_header(f->e, "WWW-Authenticate", 0), "stale=true"));
	assert_non_null(strstr(th_header(f->e, "WWW-Authenticate", 1), "stale=true"));
	/* stale=true only for a right answer to an old nonce */
	c.password = "guess";
	assert_int_equal(send_auth(f, &c), 401);
	assert_null(strstr(th_header(f->e, "WWW-Authenticate", 0), "stale"));
	assert_int_equal(th_binding_count(f->e, "sip:alice@example.com"), 0);
	/* the new nonce from the stale challenge works */
	c.password = "alice-pw";
	c.nonce = fresh_nonce(f);
	assert_int_equal(send_auth(f, &c), 200);
}

static void forged_nonce_refused(void **state)
{
	struct fx *f = *state;
	char nonce[128];
	snprintf(nonce, sizeof(nonce), "%s", fresh_nonce(f));
	nonce[3] = nonce[3] == '0' ? '1' : '0';
	struct client c = { .user = "alice", .password = "alice-pw", .alg = SR_DIGEST_SHA256, .nonce = nonce };
	assert_int_equal(send_auth(f, &c), 401);
	assert_null(strstr(th_header(f->e, "WWW-Authenticate", 0), "stale"));
	c.nonce = "0123456789abcdef";
	assert_int_equal(send_auth(f, &c), 401);
	assert_int_equal(th_binding_count(f->e, "sip:alice@example.com"), 0);
}

static void replayed_nonce_count_refused(void **state)
{
	struct fx *f = *state;
	char nonce[128];
	snprintf(nonce, sizeof(nonce), "%s", fresh_nonce(f));
	struct client c = { .user = "alice", .password = "alice-pw", .alg = SR_DIGEST_SHA256, .nonce = nonce,
			    .nc = 1 };
	assert_int_equal(send_auth(f, &c), 200);
	/* the very same bytes again, and an older nc: replays */
	assert_int_equal(send_auth(f, &c), 401);
	c.cseq = 3;
	assert_int_equal(send_auth(f, &c), 401);
	/* the next nc with the same nonce is fine, then it is used up too */
	c.nc = 2;
	assert_int_equal(send_auth(f, &c), 200);
	c.cseq = 4;
	assert_int_equal(send_auth(f, &c), 401);
	struct sr_auth_stats st;
	sr_auth_worker_stats(f->w, &st);
	assert_int_equal(st.replayed, 3);
}

/*
 * The last millisecond of a nonce: the nonce check and the replay cache
 * must agree on when it ends. They did not (valid at issued + lifetime,
 * cache entry already gone), so every replay aimed at that instant got 200.
 */
static void replay_at_end_of_nonce_lifetime_refused(void **state)
{
	struct fx *f = *state;
	uint64_t issued = f->e->now_ms;
	char nonce[128];
	snprintf(nonce, sizeof(nonce), "%s", fresh_nonce(f));
	struct client c = { .user = "alice", .password = "alice-pw", .alg = SR_DIGEST_SHA256, .nonce = nonce,
			    .nc = 1 };
	f->e->now_ms = issued + LIFETIME_S * 1000ull - 1; /* the last instant it is accepted */
	assert_int_equal(send_auth(f, &c), 200);
	assert_int_equal(send_auth(f, &c), 401); /* replayed within the lifetime: refused */
	f->e->now_ms = issued + LIFETIME_S * 1000ull;
	for (int i = 0; i < 3; i++) {
		assert_int_equal(send_auth(f, &c), 401);
		assert_non_null(strstr(th_header(f->e, "WWW-Authenticate", 0), "stale=true"));
	}
	/* a never-used nc of that nonce is stale too, not a fresh start */
	c.nc = 7;
	assert_int_equal(send_auth(f, &c), 401);
}

static void foreign_aor_forbidden_third_party_allowed(void **state)
{
	struct fx *f = *state;
	/* alice (no AoR list) may register only sip:alice@example.com */
	struct client c = { .user = "alice", .password = "alice-pw", .alg = SR_DIGEST_SHA256,
			    .to = "sip:bob@example.com" };
	c.nonce = fresh_nonce(f);
	assert_int_equal(send_auth(f, &c), 403);
	assert_string_equal(th_reason(f->e), "Forbidden");
	assert_int_equal(th_binding_count(f->e, "sip:bob@example.com"), 0);
	/* bob's line lists reception: third-party registration allowed, but not alice */
	struct client b = { .user = "bob", .password = "bob-pw", .alg = SR_DIGEST_MD5,
			    .to = "sip:reception@example.com" };
	b.nonce = fresh_nonce(f);
	assert_int_equal(send_auth(f, &b), 200);
	assert_int_equal(th_binding_count(f->e, "sip:reception@example.com"), 1);
	b.to = "sip:alice@example.com";
	b.nc = 2;
	b.cseq = 3;
	assert_int_equal(send_auth(f, &b), 403);
	assert_int_equal(th_binding_count(f->e, "sip:alice@example.com"), 0);
	struct sr_auth_stats st;
	sr_auth_worker_stats(f->w, &st);
	assert_int_equal(st.forbidden, 2);
}

static void domain_without_authentication(void **state)
{
	struct fx *f = *state;
	assert_int_equal(send_plain(f, "sip:carol@trusted.example.net", "sip:trusted.example.net"), 200);
	assert_int_equal(th_binding_count(f->e, "sip:carol@trusted.example.net"), 1);
	assert_int_equal(th_header_count(f->e, "WWW-Authenticate"), 0);
}

static void digest_uri_must_match_request_uri(void **state)
{
	struct fx *f = *state;
	struct client c = { .user = "alice", .password = "alice-pw", .alg = SR_DIGEST_SHA256,
			    .uri = "sip:other.example.com" };
	c.nonce = fresh_nonce(f);
	assert_int_equal(send_auth(f, &c), 400);
	assert_int_equal(th_binding_count(f->e, "sip:alice@example.com"), 0);
}

static void malformed_credentials_challenged(void **state)
{
	struct fx *f = *state;
	static const char *const bad[] = {
		"Authorization: Digest\r\n",
		"Authorization: Basic YWxpY2U6YWxpY2UtcHc=\r\n",
		"Authorization: Digest realm=\"example.com\"\r\n",
		"Authorization: Digest username=\"alice\", realm=\"example.com\", nonce=\"x\", uri=\"sip:example.com\", "
		"response=\"00\", qop=auth, nc=zz, cnonce=\"c\"\r\n",
		"Authorization: Digest username=\"alice\", realm=\"example.com\", nonce=\"x\", uri=\"sip:example.com\", "
		"response=\"00\", qop=auth-int, nc=00000001, cnonce=\"c\"\r\n",
		"Authorization: Digest username=alice, realm=\"example.com, nonce=\r\n",
		"Authorization: Digest ,,,,=,=\"\r\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct th_req r = { .to = "sip:alice@example.com", .contact = "<sip:phone@198.51.100.2>",
				    .extra = bad[i] };
		int st = th_send(f->e, &r);
		if (st != 401 && st != 400)
			fail_msg("case %zu: status %d", i, st);
	}
	assert_int_equal(th_binding_count(f->e, "sip:alice@example.com"), 0);
	/* an unsupported algorithm is challenged with the ones we support */
	struct client c = { .user = "alice", .password = "alice-pw", .alg = SR_DIGEST_MD5, .alg_param = "MD5-sess" };
	c.nonce = fresh_nonce(f);
	assert_int_equal(send_auth(f, &c), 401);
}

/*
 * Mutated credentials (bytes flipped, cut short, characters inserted) never
 * crash, never authenticate, and always get a challenge or a 400. Bounded
 * and seeded: the same 3000 cases every run.
 */
static void mutated_credentials_never_pass(void **state)
{
	struct fx *f = *state;
	static const char alphabet[] = "\",=\\ \tDigestusernamerealmnoncecnonce0123456789abcdef";
	char good[1024], bad[1100];
	struct client c = { .user = "alice", .password = "alice-pw", .alg = SR_DIGEST_SHA256 };
	c.nonce = fresh_nonce(f);
	assert_int_equal(send_auth(f, &c), 200); /* builds the header we mutate; nc 1 is now used */
	uint32_t seed = 12345;
	for (int i = 0; i < 3000; i++) {
		char nc[16];
		snprintf(nc, sizeof(nc), "%08x", 1);
		char ha1[SR_DIGEST_HEX_MAX + 1], resp[SR_DIGEST_HEX_MAX + 1];
		sr_digest_ha1(f->dg, SR_DIGEST_SHA256, SR_STR_LIT("alice"), SR_STR_LIT("example.com"),
			      SR_STR_LIT("alice-pw"), ha1);
		struct sr_digest_input in = { sr_str_cstr(ha1), sr_str_cstr(c.nonce), sr_str_cstr(nc),
					      SR_STR_LIT("0a4f113b"), SR_STR_LIT("auth"), SR_STR_LIT("REGISTER"),
					      SR_STR_LIT("sip:example.com") };
		sr_digest_response(f->dg, SR_DIGEST_SHA256, &in, resp);
		int n = snprintf(good, sizeof(good),
				 "Digest username=\"alice\", realm=\"example.com\", nonce=\"%s\", "
				 "uri=\"sip:example.com\", response=\"%s\", algorithm=SHA-256, cnonce=\"0a4f113b\", "
				 "qop=auth, nc=%s",
				 c.nonce, resp, nc);
		memcpy(bad, good, (size_t)n + 1);
		size_t len = (size_t)n;
		for (int k = 0, edits = 1 + (int)(seed % 4); k < edits; k++) {
			seed = seed * 1103515245u + 12345u;
			size_t at = (seed >> 8) % len;
			switch ((seed >> 4) % 3) {
			case 0: /* replace */
				bad[at] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
				break;
			case 1: /* cut */
				len = at ? at : 1;
				bad[len] = '\0';
				break;
			default: /* insert */
				if (len + 1 < sizeof(bad)) {
					memmove(bad + at + 1, bad + at, len - at + 1);
					bad[at] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
					len++;
				}
			}
		}
		char extra[1200];
		snprintf(extra, sizeof(extra), "Authorization: %s\r\n", bad);
		struct th_req r = { .to = "sip:alice@example.com", .call_id = "mut", .cseq = (uint32_t)(10 + i),
				    .contact = "<sip:phone@198.51.100.2>", .extra = extra };
		int st = th_send(f->e, &r);
		/* nc 1 of this nonce is used up, so no mutation can be accepted */
		if (st != 401 && st != 400)
			fail_msg("case %d: status %d for '%s'", i, st, bad);
	}
}

static void reload_changes_password(void **state)
{
	struct fx *f = *state;
	write_subscribers(f, "new-pw");
	size_t n = 0;
	char err[256];
	assert_int_equal(sr_auth_reload(f->a, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 3);
	struct client c = { .user = "alice", .password = "alice-pw", .alg = SR_DIGEST_SHA256 };
	c.nonce = fresh_nonce(f);
	assert_int_equal(send_auth(f, &c), 401);
	c.password = "new-pw";
	c.nonce = fresh_nonce(f);
	assert_int_equal(send_auth(f, &c), 200);
	/* a broken file is refused and the table in force stays */
	FILE *out = fopen(f->path, "w");
	assert_non_null(out);
	fputs("alice example.com nothex -\n", out);
	fclose(out);
	assert_int_equal(sr_auth_reload(f->a, &n, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ":1: ha1-md5"));
	c.nonce = fresh_nonce(f);
	c.cseq = 3;
	assert_int_equal(send_auth(f, &c), 200);
}

static void md5_only_offers_one_challenge(void **state)
{
	struct fx *f = *state;
	assert_int_equal(send_plain(f, "sip:alice@example.com", "sip:example.com"), 401);
	assert_int_equal(th_header_count(f->e, "WWW-Authenticate"), 1);
	assert_non_null(strstr(th_header(f->e, "WWW-Authenticate", 0), "algorithm=MD5"));
	/* an algorithm not offered is challenged again, even with the right password */
	struct client c = { .user = "alice", .password = "alice-pw", .alg = SR_DIGEST_SHA256 };
	c.nonce = challenge_nonce(f, 0);
	assert_int_equal(send_auth(f, &c), 401);
	c.alg = SR_DIGEST_MD5;
	c.nonce = fresh_nonce(f);
	assert_int_equal(send_auth(f, &c), 200);
}

static void configured_realm(void **state)
{
	struct fx *f = *state;
	assert_int_equal(send_plain(f, "sip:alice@example.com", "sip:example.com"), 401);
	assert_non_null(strstr(th_header(f->e, "WWW-Authenticate", 0), "realm=\"sipreg\""));
	struct client c = { .user = "alice", .password = "alice-pw", .realm = "sipreg", .alg = SR_DIGEST_SHA256 };
	c.nonce = challenge_nonce(f, 0);
	assert_int_equal(send_auth(f, &c), 200);
	assert_int_equal(th_binding_count(f->e, "sip:alice@example.com"), 1);
	/* the To domain as realm is not this registrar's realm any more */
	c.realm = "example.com";
	c.nonce = fresh_nonce(f);
	assert_int_equal(send_auth(f, &c), 401);
	/* still only her own AoR */
	c.realm = "sipreg";
	c.to = "sip:bob@example.com";
	c.nonce = fresh_nonce(f);
	assert_int_equal(send_auth(f, &c), 403);
}

static void secret_file_rotation(void **state)
{
	struct fx *f = *state;
	size_t n = 0;
	char err[256], old_nonce[128], forged[128];
	assert_int_equal(sr_auth_secret_generation(f->a), 1);
	snprintf(old_nonce, sizeof(old_nonce), "%s", fresh_nonce(f));
	/* the same secret again is no rotation */
	write_file(f->secret_path, "first-secret  \n");
	assert_int_equal(sr_auth_reload(f->a, &n, err, sizeof(err)), 0);
	assert_int_equal(sr_auth_secret_generation(f->a), 1);
	/* a bad file is refused whole: nothing changes */
	write_file(f->secret_path, "\n");
	assert_int_equal(sr_auth_reload(f->a, &n, err, sizeof(err)), -1);
	if (!strstr(err, "auth.nonce_secret_file") || !strstr(err, "empty secret"))
		fail_msg("error: %s", err);
	write_file(f->secret_path, "second-secret\n");
	write_subscribers(f, "new-pw"); /* ... and the secret with a subscriber file that does not parse */
	FILE *subs = fopen(f->path, "a");
	assert_non_null(subs);
	fputs("broken line\n", subs);
	fclose(subs);
	assert_int_equal(sr_auth_reload(f->a, &n, err, sizeof(err)), -1);
	assert_int_equal(sr_auth_secret_generation(f->a), 1);
	/* rotation */
	write_subscribers(f, "alice-pw");
	assert_int_equal(sr_auth_reload(f->a, &n, err, sizeof(err)), 0);
	assert_int_equal(sr_auth_secret_generation(f->a), 2);
	f->e->now_ms += 10 * 1000ull;
	/* a nonce issued before the rotation still works within its lifetime */
	struct client c = { .user = "alice", .password = "alice-pw", .alg = SR_DIGEST_SHA256, .nonce = old_nonce };
	assert_int_equal(send_auth(f, &c), 200);
	/* new challenges use the new secret, and work */
	const char *new_nonce = fresh_nonce(f);
	assert_string_not_equal(new_nonce, old_nonce);
	c.nonce = new_nonce;
	c.cseq = 3;
	assert_int_equal(send_auth(f, &c), 200);
	/* a nonce signed with neither secret is still refused */
	snprintf(forged, sizeof(forged), "%s", old_nonce);
	forged[40] = forged[40] == '0' ? '1' : '0';
	c.nonce = forged;
	c.cseq = 4;
	assert_int_equal(send_auth(f, &c), 401);
	assert_null(strstr(th_header(f->e, "WWW-Authenticate", 0), "stale"));
	/* one nonce lifetime after the rotation the old secret is gone: a plain challenge, not stale=true */
	f->e->now_ms += LIFETIME_S * 1000ull;
	c.nonce = old_nonce;
	c.nc = 2;
	c.cseq = 5;
	assert_int_equal(send_auth(f, &c), 401);
	assert_null(strstr(th_header(f->e, "WWW-Authenticate", 0), "stale"));
	c.nonce = fresh_nonce(f);
	c.nc = 1;
	c.cseq = 6;
	assert_int_equal(send_auth(f, &c), 200);
}

/* A nonce signed with secret at the harness's time by worker 'shard', as one holding that secret could make it. */
static void mint_nonce_of(struct fx *f, const char *secret, uint16_t shard, char *out)
{
	struct sr_nonce *n = sr_nonce_new(secret, strlen(secret), shard);
	assert_non_null(n);
	assert_int_equal(sr_nonce_make(n, f->e->now_ms, out), 0);
	sr_nonce_free(n);
}

static void mint_nonce(struct fx *f, const char *secret, char *out)
{
	mint_nonce_of(f, secret, 0, out);
}

/*
 * Issue 15 item 2: a nonce is accepted only by the worker that issued it (its
 * id is under the nonce's MAC). The nonce-count cache is per worker, so a
 * captured credential replayed through another worker must meet a
 * challenge, never a cache that has not seen it.
 */
static void nonce_of_another_worker_challenged(void **state)
{
	struct fx *f = *state;
	char nonce[SR_NONCE_LEN + 1];
	mint_nonce_of(f, "test-secret", 1, nonce); /* worker 1's, valid in every other respect */
	struct client c = { .user = "alice", .password = "alice-pw", .alg = SR_DIGEST_SHA256, .nonce = nonce };
	assert_int_equal(send_auth(f, &c), 401);
	assert_null(strstr(th_header(f->e, "WWW-Authenticate", 0), "stale"));
	assert_int_equal(th_binding_count(f->e, "sip:alice@example.com"), 0);
	mint_nonce_of(f, "test-secret", 0, nonce); /* this shard's own (worker 0) */
	c.cseq = 3;
	assert_int_equal(send_auth(f, &c), 200);
}

/* With the reload's time (sr_auth_reload_at), the old secret ends one lifetime after the reload. */
static void rotation_window_on_the_reload_clock(void **state)
{
	struct fx *f = *state;
	size_t n = 0;
	char err[256], nonce[SR_NONCE_LEN + 1];
	write_file(f->secret_path, "second-secret\n");
	assert_int_equal(sr_auth_reload_at(f->a, f->e->now_ms, &n, err, sizeof(err)), 0);
	/* the worker sees the rotation only 10 s later: the old secret is still kept */
	f->e->now_ms += 10 * 1000ull;
	mint_nonce(f, "first-secret", nonce);
	struct client c = { .user = "alice", .password = "alice-pw", .alg = SR_DIGEST_SHA256, .nonce = nonce };
	assert_int_equal(send_auth(f, &c), 200);
	/* one lifetime after the reload (not after the worker saw it) it is gone, even for a fresh nonce */
	f->e->now_ms += (LIFETIME_S - 10 + 1) * 1000ull;
	mint_nonce(f, "first-secret", nonce);
	c.cseq = 3;
	assert_int_equal(send_auth(f, &c), 401);
	assert_null(strstr(th_header(f->e, "WWW-Authenticate", 0), "stale"));
	mint_nonce(f, "second-secret", nonce);
	c.cseq = 4;
	assert_int_equal(send_auth(f, &c), 200);
}

static void config_errors(void **state)
{
	(void)state;
	struct sr_auth_config ac;
	char err[256];
	sr_auth_config_defaults(&ac);
	ac.enabled = true;
	assert_null(sr_auth_new(&ac, 1, err, sizeof(err)));
	assert_non_null(strstr(err, "auth.subscribers"));
	snprintf(ac.subscribers, sizeof(ac.subscribers), "/nonexistent/subs");
	assert_null(sr_auth_new(&ac, 1, err, sizeof(err)));
	assert_non_null(strstr(err, "auth.nonce_secret"));
	snprintf(ac.nonce_secret, sizeof(ac.nonce_secret), "s");
	assert_null(sr_auth_new(&ac, 1, err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/subs"));
	snprintf(ac.nonce_secret_file, sizeof(ac.nonce_secret_file), "/nonexistent/secret");
	assert_null(sr_auth_new(&ac, 1, err, sizeof(err)));
	assert_non_null(strstr(err, "not both"));
	ac.nonce_secret[0] = '\0';
	assert_null(sr_auth_new(&ac, 1, err, sizeof(err)));
	if (!strstr(err, "auth.nonce_secret_file: /nonexistent/secret"))
		fail_msg("error: %s", err);
	ac.nonce_secret_file[0] = '\0';
	snprintf(ac.nonce_secret, sizeof(ac.nonce_secret), "s");
	static const char *const bad_algs[][2] = { { "SHA-512", "'SHA-512' is not SHA-256 or MD5" },
						   { "MD5,md5", "'md5' named twice" },
						   { " , ", "empty" } };
	for (size_t i = 0; i < 3; i++) {
		snprintf(ac.algorithms, sizeof(ac.algorithms), "%s", bad_algs[i][0]);
		assert_null(sr_auth_new(&ac, 1, err, sizeof(err)));
		if (!strstr(err, bad_algs[i][1]) || !strstr(err, "auth.algorithms"))
			fail_msg("algorithms '%s': %s", bad_algs[i][0], err);
	}
	/* disabled: no file needed, every request passes */
	sr_auth_config_defaults(&ac);
	struct sr_auth *a = sr_auth_new(&ac, 1, err, sizeof(err));
	assert_non_null(a);
	assert_int_equal(sr_auth_reload(a, &(size_t){ 0 }, err, sizeof(err)), -1);
	sr_auth_free(a);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(challenge_one_per_algorithm_sha256_first),
		T(sha256_and_md5_register),
		T(wrong_password_user_realm),
		T(stale_nonce_gets_stale_true),
		T(forged_nonce_refused),
		T(replayed_nonce_count_refused),
		T(replay_at_end_of_nonce_lifetime_refused),
		T(nonce_of_another_worker_challenged),
		T(foreign_aor_forbidden_third_party_allowed),
		T(domain_without_authentication),
		T(digest_uri_must_match_request_uri),
		T(malformed_credentials_challenged),
		T(mutated_credentials_never_pass),
		T(reload_changes_password),
		cmocka_unit_test_setup_teardown(md5_only_offers_one_challenge, setup_md5_only, teardown),
		cmocka_unit_test_setup_teardown(configured_realm, setup_fixed_realm, teardown),
		cmocka_unit_test_setup_teardown(secret_file_rotation, setup_with_secret_file, teardown),
		cmocka_unit_test_setup_teardown(rotation_window_on_the_reload_clock, setup_with_secret_file, teardown),
		cmocka_unit_test(config_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
