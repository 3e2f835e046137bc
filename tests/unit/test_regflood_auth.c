/*
 * test_regflood_auth.c - regflood's digest flow against the registrar itself: the
 * requests bench/regflood builds go through sr_reg_process with lib/auth's hooks, whose
 * subscriber table is the file `regflood --write-subscribers` writes, and the 401 and
 * 200 the registrar answers are read back by regflood's own reader and books.
 *
 * So the challenge format, the Authorization regflood computes (both algorithms) and
 * the HA1 file it writes are checked by the server-side verification, not against a
 * string written here; a wrong password shows that the verification is real.
 */
#include "reg_harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "rf_auth.h"
#include "rf_msg.h"
#include "rf_track.h"

#define RUN 777u
#define AORS 8
#define MS 1000000ull

struct fx {
	struct th_env *e;
	struct sr_auth *a;
	struct sr_auth_worker *w;
	struct sr_digest *dg;
	struct sr_rf_track t;
	char path[64];
};

static const struct sr_rf_ident ident = {"example.com", "rf", "198.51.100.2", 40000, RUN, 600, "pw"};

/* the subscriber file of the AoRs, as `regflood --write-subscribers` writes it */
static int write_subscribers(struct fx *f)
{
	snprintf(f->path, sizeof(f->path), "/tmp/sr-rf-subs-XXXXXX");
	int fd = mkstemp(f->path);
	FILE *out = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!out)
		return -1;
	int rc = sr_rf_write_subscribers(out, f->dg, &ident, "example.com", 0, AORS);
	return fclose(out) == 0 ? rc : -1;
}

static int setup(void **state)
{
	static struct fx fixture; /* one test at a time */
	struct fx *f = &fixture;
	memset(f, 0, sizeof(*f));
	*state = f;
	struct sr_auth_config ac;
	sr_auth_config_defaults(&ac);
	ac.enabled = true;
	snprintf(ac.nonce_secret, sizeof(ac.nonce_secret), "regflood-test");
	char err[256] = "";
	if (!(f->dg = sr_digest_new()) || write_subscribers(f) != 0)
		return -1;
	snprintf(ac.subscribers, sizeof(ac.subscribers), "%s", f->path);
	if (!(f->a = sr_auth_new(&ac, 1, err, sizeof(err))) || !(f->w = sr_auth_worker_new(f->a, 0, err, sizeof(err)))) {
		fprintf(stderr, "lib/auth: %s\n", err);
		return -1;
	}
	const struct sr_auth_hooks hooks = sr_auth_worker_hooks(f->w);
	if (!(f->e = th_env_new_hooks(NULL, NULL, NULL, &hooks)) ||
	    sr_rf_track_init(&f->t, 0, 1, 0, AORS, RUN, 1000 * MS, 64) != 0)
		return -1;
	f->t.expect_challenge = true;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	sr_rf_track_free(&f->t);
	th_env_free(f->e);
	sr_auth_worker_free(f->w);
	sr_auth_free(f->a);
	sr_digest_free(f->dg);
	unlink(f->path);
	return 0;
}

/* sends regflood's request rq through the registrar and gives its answer to the books */
static enum sr_rf_verdict exchange(struct fx *f, const struct sr_rf_req *rq, const struct sr_rf_ident *id, int want,
				   struct sr_rf_challenge *ch)
{
	char req[1400];
	size_t n = sr_rf_build(req, sizeof(req), id, rq);
	assert_true(n > 0);
	assert_true(th_raw(f->e, req, n) > 0);
	struct sr_rf_resp r;
	assert_int_equal(sr_rf_parse(f->e->resp, f->e->res.len, &r), 0);
	assert_int_equal(r.aor, rq->aor);
	assert_int_equal(r.cseq, rq->cseq);
	r.challenge = r.status == 401 && sr_rf_challenge_parse(f->e->resp, f->e->res.len, want, ch) == 0;
	return sr_rf_track_response(&f->t, &r, 0);
}

/* one whole flow (first request op) for AoR aor with id's passwords; returns the verdict of the second step */
static enum sr_rf_verdict flow_op(struct fx *f, uint32_t aor, enum sr_rf_op op, const struct sr_rf_ident *id,
				  int want, enum sr_digest_alg expect_alg)
{
	struct sr_rf_req rq;
	struct sr_rf_challenge ch;
	assert_int_equal(sr_rf_track_send(&f->t, aor, op, 0, &rq), 0);
	assert_int_equal(exchange(f, &rq, id, want, &ch), SR_RF_CHALLENGED);
	assert_int_equal(ch.alg, expect_alg);
	assert_int_equal(ch.realm.len, strlen("example.com"));
	char authorization[SR_RF_AUTHORIZATION_MAX];
	assert_int_equal(sr_rf_track_send(&f->t, aor, SR_RF_OP_AUTH, 0, &rq), 0);
	assert_true(sr_rf_authorization(authorization, sizeof(authorization), f->dg, id, aor, rq.cseq, &ch) > 0);
	rq.authorization = authorization;
	return exchange(f, &rq, id, want, &ch);
}

static enum sr_rf_verdict flow(struct fx *f, uint32_t aor, const struct sr_rf_ident *id, int want,
			       enum sr_digest_alg expect_alg)
{
	return flow_op(f, aor, SR_RF_OP_NEW, id, want, expect_alg);
}

/* --digest with the refresh workload: a refresh is challenged too, answered, and refreshes the one binding */
static void test_refresh_challenged(void **state)
{
	struct fx *f = *state;
	assert_int_equal(flow(f, 5, &ident, -1, SR_DIGEST_SHA256), SR_RF_OK);
	assert_int_equal(flow_op(f, 5, SR_RF_OP_REFRESH, &ident, -1, SR_DIGEST_SHA256), SR_RF_OK);
	assert_int_equal(flow_op(f, 5, SR_RF_OP_REFRESH, &ident, SR_DIGEST_MD5, SR_DIGEST_MD5), SR_RF_OK);
	assert_int_equal(f->t.st.ok, 3);
	assert_int_equal(f->t.st.challenged, 3);
	assert_int_equal(sr_rf_stats_failures(&f->t.st), 0);
	assert_int_equal(th_binding_count(f->e, "sip:rf0000005@example.com"), 1);
	assert_true(f->t.slots[5].registered);
}

static void test_flows_accepted(void **state)
{
	struct fx *f = *state;
	/* the first challenge (SHA-256), then each algorithm asked for */
	assert_int_equal(flow(f, 0, &ident, -1, SR_DIGEST_SHA256), SR_RF_OK);
	assert_int_equal(flow(f, 1, &ident, SR_DIGEST_MD5, SR_DIGEST_MD5), SR_RF_OK);
	assert_int_equal(flow(f, 2, &ident, SR_DIGEST_SHA256, SR_DIGEST_SHA256), SR_RF_OK);
	assert_int_equal(f->t.st.ok, 3);
	assert_int_equal(f->t.st.challenged, 3);
	assert_int_equal(sr_rf_stats_failures(&f->t.st), 0);
	assert_int_equal(th_binding_count(f->e, "sip:rf0000000@example.com"), 1);
	assert_int_equal(th_binding_count(f->e, "sip:rf0000001@example.com"), 1);
	assert_int_equal(th_binding_count(f->e, "sip:rf0000002@example.com"), 1);
	assert_string_equal(th_field(th_binding(f->e, "sip:rf0000002@example.com", 0), SR_BF_CONTACT),
			    "sip:rf0000002@198.51.100.2:40000");
}

static void test_wrong_password_refused(void **state)
{
	struct fx *f = *state;
	struct sr_rf_ident wrong = ident;
	wrong.password_prefix = "not-pw";
	assert_int_equal(flow(f, 3, &wrong, SR_DIGEST_MD5, SR_DIGEST_MD5), SR_RF_BAD_STATUS);
	assert_int_equal(f->t.st.last_bad_status, 401);
	/* a user the file does not hold, with the right pattern password */
	struct sr_rf_ident other = ident;
	other.user_prefix = "xx";
	assert_int_equal(flow(f, 4, &other, -1, SR_DIGEST_SHA256), SR_RF_BAD_STATUS);
	assert_int_equal(sr_rf_stats_failures(&f->t.st), 2);
	assert_int_equal(th_binding_count(f->e, "sip:rf0000003@example.com"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_flows_accepted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_password_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refresh_challenged, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
