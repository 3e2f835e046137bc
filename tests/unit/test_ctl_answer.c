/*
 * test_ctl_answer.c - the complete answer to an AoR query, worker side
 * (lib/ctl/ctl_answer.c over the location store).
 *
 * Twenty bindings with 2 KB contacts (and Path, User-Agent, instance, push
 * key, q) registered by real REGISTERs come back whole: every field of every
 * binding, in q order, byte for byte what the store holds. A buffer that is
 * too small gets the size the answer needs and nothing else; asked again
 * with that size, the answer is complete. Truncated answers are refused.
 */
#include "reg_harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_answer.h"

#define ALICE "sip:alice@example.com"
#define N 20
#define URI_LEN 2048

static struct th_env *env_20_long(void)
{
	struct sr_reg_config cfg;
	th_default_config(&cfg);
	cfg.max_contact_len = 4096;
	cfg.max_contacts = 32;
	struct th_env *e = th_env_new(&cfg, NULL);
	assert_non_null(e);
	static char contact[SR_SIP_MAX_CONTACTS * (URI_LEN + 200)];
	for (unsigned batch = 0; batch < 2; batch++) {
		size_t n = 0;
		for (unsigned i = batch * 10; i < batch * 10 + 10; i++) {
			/* a 2 KB URI with an RFC 8599 push key, then one long parameter */
			char head[96];
			int hl = snprintf(head, sizeof(head), "sip:c%02u@198.51.100.2;pn-provider=apns;pn-prid=tok%02u;long=",
					  i, i);
			n += (size_t)snprintf(contact + n, sizeof(contact) - n, "%s<%s", n ? ", " : "", head);
			memset(contact + n, 'a' + (char)(i % 26), URI_LEN - (size_t)hl);
			n += URI_LEN - (size_t)hl;
			n += (size_t)snprintf(contact + n, sizeof(contact) - n, ">;q=0.%u;+sip.instance=\"<urn:uuid:%02u>\"",
					      i % 10, i);
		}
		struct th_req r = { .to = ALICE, .call_id = "long@ua", .cseq = batch + 1, .contact = contact,
				    .extra = "Path: <sip:edge.example.com;lr>\r\nUser-Agent: phone/2.0\r\n" };
		assert_int_equal(th_send(e, &r), 200);
	}
	assert_int_equal(th_binding_count(e, ALICE), N);
	return e;
}

static void assert_view_equal(const struct sr_loc_binding *a, const struct sr_loc_binding *b)
{
	assert_true(sr_str_eq(a->aor, b->aor));
	for (int f = 0; f < SR_BF_COUNT; f++) {
		assert_int_equal(a->f[f].len, b->f[f].len);
		assert_memory_equal(a->f[f].p, b->f[f].p, a->f[f].len);
	}
	assert_true(sr_binding_state_equal(&a->st, &b->st));
}

static void test_twenty_long_contacts_come_back_whole(void **state)
{
	(void)state;
	struct th_env *e = env_20_long();
	uint32_t now = (uint32_t)(e->now_ms / 1000);
	struct sr_loc_binding want[N];
	assert_int_equal(sr_loc_lookup(th_loc(e), SR_STR_LIT(ALICE), now, want, N), N);

	/* too small: the size needed, and the count */
	uint8_t small[1024];
	unsigned n = 0;
	size_t need = sr_ctl_answer_encode(th_loc(e), SR_STR_LIT(ALICE), now, small, sizeof(small), &n);
	assert_int_equal(n, N);
	assert_true(need > N * URI_LEN);

	/* asked again with that size: everything */
	uint8_t *buf = malloc(need);
	assert_non_null(buf);
	assert_int_equal(sr_ctl_answer_encode(th_loc(e), SR_STR_LIT(ALICE), now, buf, need, &n), need);
	size_t off = 0;
	struct sr_loc_binding got;
	const char *err = NULL;
	unsigned i = 0;
	uint16_t last_q = 1000;
	while (sr_ctl_answer_next(buf, need, &off, &got, &err) == 1) {
		assert_true(i < N);
		assert_view_equal(&got, &want[i]);
		assert_int_equal(got.f[SR_BF_CONTACT].len, URI_LEN);
		assert_true(sr_str_eq(got.f[SR_BF_PATH], SR_STR_LIT("<sip:edge.example.com;lr>")));
		assert_true(sr_str_eq(got.f[SR_BF_USER_AGENT], SR_STR_LIT("phone/2.0")));
		assert_true(got.f[SR_BF_INSTANCE].len > 0);
		assert_true(got.f[SR_BF_PN_KEY].len > 0 && memcmp(got.f[SR_BF_PN_KEY].p, "apns\0tok", 8) == 0);
		assert_true(got.st.q <= last_q); /* q order */
		assert_true(got.st.id != 0);
		last_q = got.st.q;
		i++;
	}
	assert_int_equal(i, N);
	assert_int_equal(off, need);
	free(buf);
	th_env_free(e);
}

static void test_empty_and_unknown_aor(void **state)
{
	struct th_env *e = *state;
	uint8_t buf[64];
	unsigned n = 99;
	assert_int_equal(sr_ctl_answer_encode(th_loc(e), SR_STR_LIT("sip:nobody@example.com"),
					      (uint32_t)(e->now_ms / 1000), buf, sizeof(buf), &n), 0);
	assert_int_equal(n, 0);
	size_t off = 0;
	struct sr_loc_binding b;
	const char *err;
	assert_int_equal(sr_ctl_answer_next(buf, 0, &off, &b, &err), 0);
}

/* A binding due but not yet collected by the timer wheel is not live: it is not in the answer. */
static void test_due_bindings_are_left_out(void **state)
{
	struct th_env *e = *state;
	assert_int_equal(th_register(e, "alice", "<sip:a@198.51.100.2>;expires=60", "c1", 1), 200);
	assert_int_equal(th_register(e, "alice", "<sip:b@198.51.100.2>;expires=600", "c1", 2), 200);
	uint8_t buf[4096];
	unsigned n;
	uint32_t later = (uint32_t)(e->now_ms / 1000) + 60;
	size_t len = sr_ctl_answer_encode(th_loc(e), SR_STR_LIT(ALICE), later, buf, sizeof(buf), &n);
	assert_int_equal(n, 1);
	size_t off = 0;
	struct sr_loc_binding b;
	const char *err;
	assert_int_equal(sr_ctl_answer_next(buf, len, &off, &b, &err), 1);
	assert_true(sr_str_eq(b.f[SR_BF_CONTACT], SR_STR_LIT("sip:b@198.51.100.2")));
}

static void test_truncated_answers_are_refused(void **state)
{
	struct th_env *e = *state;
	assert_int_equal(th_register(e, "alice", "<sip:a@198.51.100.2>, <sip:b@198.51.100.2>", "c1", 1), 200);
	uint8_t buf[4096];
	unsigned n;
	size_t len = sr_ctl_answer_encode(th_loc(e), SR_STR_LIT(ALICE), (uint32_t)(e->now_ms / 1000), buf,
					  sizeof(buf), &n);
	assert_int_equal(n, 2);
	for (size_t cut = 1; cut < len; cut++) {
		size_t off = 0;
		struct sr_loc_binding b;
		const char *err = NULL;
		int rc;
		unsigned whole = 0;
		while ((rc = sr_ctl_answer_next(buf, cut, &off, &b, &err)) == 1)
			whole++;
		/* a cut exactly between two records is a shorter, well-formed answer */
		if (rc == 0)
			assert_true(whole == 1 && off == cut);
		else
			assert_non_null(err);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_twenty_long_contacts_come_back_whole),
		cmocka_unit_test_setup_teardown(test_empty_and_unknown_aor, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_due_bindings_are_left_out, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_truncated_answers_are_refused, th_setup, th_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
