/*
 * test_reg_restore.c - restoring bindings into a shard and administrative
 * removal (lib/registrar/reg_restore.c).
 *
 * A binding is created by a real REGISTER in one shard, its fields and
 * state are copied into a second shard with sr_shard_restore_binding, and
 * the copy must be equal field by field, expire at the same second, and
 * answer a fetch like the original. Expired ones are dropped silently.
 */
#include "reg_harness.h"

#include <string.h>

#include "reg_restore.h"

#define ALICE "sip:alice@example.com"

static void fields_of(const struct sr_binding *b, struct sr_str f[SR_BF_COUNT])
{
	for (int i = 0; i < SR_BF_COUNT; i++)
		f[i] = sr_binding_field(b, (enum sr_bfield)i);
}

static void assert_same_binding(const struct sr_binding *a, const struct sr_binding *b)
{
	for (int i = 0; i < SR_BF_COUNT; i++) {
		struct sr_str x = sr_binding_field(a, (enum sr_bfield)i);
		struct sr_str y = sr_binding_field(b, (enum sr_bfield)i);
		assert_int_equal(x.len, y.len);
		assert_memory_equal(x.p, y.p, x.len);
	}
	struct sr_binding_state sa, sb;
	sr_binding_get_state(a, &sa);
	sr_binding_get_state(b, &sb);
	assert_true(sr_binding_state_equal(&sa, &sb));
	assert_int_equal(sa.flags, sb.flags);
}

static void test_restore_copies_every_field(void **state)
{
	(void)state;
	struct th_env *src = th_env_new(NULL, NULL), *dst = th_env_new(NULL, NULL);
	assert_non_null(src);
	assert_non_null(dst);
	struct th_req r = { .to = ALICE, .call_id = "c1@ua", .cseq = 7,
			    .contact = "<sip:alice@198.51.100.2:5070;transport=udp>;q=0.5;expires=600"
				       ";+sip.instance=\"<urn:uuid:00000000-0000-0000-0000-000000000001>\";reg-id=1",
			    .extra = "Path: <sip:edge.example.com;lr>\r\nUser-Agent: phone/1.0\r\nSupported: outbound, gruu\r\n" };
	assert_int_equal(th_send(src, &r), 200);
	const struct sr_binding *b = th_binding(src, ALICE, 0);
	assert_non_null(b);
	assert_true(b->flags & SR_BFLAG_OUTBOUND);
	assert_true(sr_binding_field(b, SR_BF_PATH).len > 0);

	struct sr_str f[SR_BF_COUNT];
	struct sr_binding_state st;
	fields_of(b, f);
	sr_binding_get_state(b, &st);
	dst->n_events = 0;
	assert_int_equal(sr_shard_restore_binding(dst->shard, SR_STR_LIT(ALICE), f, &st, dst->now_ms),
			 SR_RESTORE_OK);
	assert_int_equal(dst->n_events, 0); /* restore announces nothing */
	assert_int_equal(th_binding_count(dst, ALICE), 1);
	assert_same_binding(b, th_binding(dst, ALICE, 0));

	/* a fetch lists it with the remaining lifetime */
	struct th_req fetch = { .to = ALICE, .call_id = "fetch@ua", .cseq = 1 };
	assert_int_equal(th_send(dst, &fetch), 200);
	assert_non_null(strstr(th_header(dst, "Contact", 0), "expires=600"));

	/* 10 s later it has 590 s left; at its second it expires with an event */
	dst->now_ms += 10000;
	fetch.cseq = 2;
	assert_int_equal(th_send(dst, &fetch), 200);
	assert_non_null(strstr(th_header(dst, "Contact", 0), "expires=590"));
	dst->n_events = 0;
	assert_int_equal(sr_shard_expire(dst->shard, (uint64_t)st.expires * 1000, 100), 1);
	assert_int_equal(dst->n_events, 1);
	assert_int_equal(dst->events[0].type, SR_EV_EXPIRED);
	assert_int_equal(th_binding_count(dst, ALICE), 0);
	th_env_free(src);
	th_env_free(dst);
}

static void test_restore_drops_expired(void **state)
{
	struct th_env *e = *state;
	struct sr_str f[SR_BF_COUNT] = { [SR_BF_CONTACT] = SR_STR_LIT("sip:a@198.51.100.2") };
	struct sr_binding_state st = { .expires = (uint32_t)(e->now_ms / 1000), .q = SR_Q_NONE };
	assert_int_equal(sr_shard_restore_binding(e->shard, SR_STR_LIT(ALICE), f, &st, e->now_ms),
			 SR_RESTORE_EXPIRED);
	st.expires -= 100;
	assert_int_equal(sr_shard_restore_binding(e->shard, SR_STR_LIT(ALICE), f, &st, e->now_ms),
			 SR_RESTORE_EXPIRED);
	assert_int_equal(th_binding_count(e, ALICE), 0);
	assert_null(sr_shard_find(e->shard, SR_STR_LIT(ALICE)));
	assert_int_equal(e->n_events, 0);
	st.expires = (uint32_t)(e->now_ms / 1000) + 1;
	assert_int_equal(sr_shard_restore_binding(e->shard, SR_STR_LIT(ALICE), f, &st, e->now_ms),
			 SR_RESTORE_OK);
	assert_int_equal(th_binding_count(e, ALICE), 1);
}

static void test_restore_same_identity_replaces(void **state)
{
	struct th_env *e = *state;
	struct sr_str f[SR_BF_COUNT] = { [SR_BF_CONTACT] = SR_STR_LIT("sip:a@host.example.com"),
					 [SR_BF_CALL_ID] = SR_STR_LIT("one") };
	struct sr_binding_state st = { .expires = (uint32_t)(e->now_ms / 1000) + 60, .cseq = 1, .q = SR_Q_NONE };
	assert_int_equal(sr_shard_restore_binding(e->shard, SR_STR_LIT(ALICE), f, &st, e->now_ms),
			 SR_RESTORE_OK);
	/* the same URI by RFC 3261 19.1.4 comparison (the host is case-insensitive) */
	f[SR_BF_CONTACT] = SR_STR_LIT("sip:a@HOST.example.com");
	f[SR_BF_CALL_ID] = SR_STR_LIT("two");
	st.cseq = 2;
	assert_int_equal(sr_shard_restore_binding(e->shard, SR_STR_LIT(ALICE), f, &st, e->now_ms),
			 SR_RESTORE_REPLACED);
	assert_int_equal(th_binding_count(e, ALICE), 1);
	assert_int_equal(th_binding(e, ALICE, 0)->cseq, 2);
	f[SR_BF_CONTACT] = SR_STR_LIT("sip:b@198.51.100.2");
	assert_int_equal(sr_shard_restore_binding(e->shard, SR_STR_LIT(ALICE), f, &st, e->now_ms),
			 SR_RESTORE_OK);
	assert_int_equal(th_binding_count(e, ALICE), 2);
}

static void test_restore_rejects_invalid_and_full(void **state)
{
	(void)state;
	struct sr_reg_config cfg;
	th_default_config(&cfg);
	cfg.max_aors = 1;
	struct th_env *e = th_env_new(&cfg, NULL);
	assert_non_null(e);
	struct sr_str f[SR_BF_COUNT] = { [SR_BF_CONTACT] = SR_STR_LIT("sip:a@198.51.100.2") };
	struct sr_binding_state st = { .expires = (uint32_t)(e->now_ms / 1000) + 60, .q = SR_Q_NONE };
	assert_int_equal(sr_shard_restore_binding(e->shard, SR_STR_NULL, f, &st, e->now_ms), SR_RESTORE_INVALID);
	struct sr_str nocontact[SR_BF_COUNT] = { { 0 } };
	assert_int_equal(sr_shard_restore_binding(e->shard, SR_STR_LIT(ALICE), nocontact, &st, e->now_ms),
			 SR_RESTORE_INVALID);
	assert_int_equal(sr_shard_restore_binding(e->shard, SR_STR_LIT(ALICE), f, &st, e->now_ms), SR_RESTORE_OK);
	assert_int_equal(sr_shard_restore_binding(e->shard, SR_STR_LIT("sip:bob@example.com"), f, &st, e->now_ms),
			 SR_RESTORE_FULL);
	assert_string_equal(sr_restore_rc_str(SR_RESTORE_FULL), "AoR table full (registrar.max_aors)");
	th_env_free(e);
}

static void test_remove_emits_removed(void **state)
{
	struct th_env *e = *state;
	assert_int_equal(th_register(e, "alice", "<sip:a@198.51.100.2>", "c1", 1), 200);
	assert_int_equal(th_register(e, "alice", "<sip:b@198.51.100.2>", "c1", 2), 200);
	assert_int_equal(th_register(e, "alice", "<sip:c@198.51.100.2>", "c1", 3), 200);
	e->n_events = 0;
	assert_int_equal(sr_shard_remove(e->shard, SR_STR_LIT(ALICE), SR_STR_LIT("sip:B@198.51.100.2")), 0);
	assert_int_equal(sr_shard_remove(e->shard, SR_STR_LIT(ALICE), SR_STR_LIT("sip:b@198.51.100.2")), 1);
	assert_int_equal(e->n_events, 1);
	assert_int_equal(e->events[0].type, SR_EV_REMOVED);
	assert_string_equal(e->events[0].contact, "sip:b@198.51.100.2");
	assert_int_equal(th_binding_count(e, ALICE), 2);
	assert_int_equal(sr_shard_remove(e->shard, SR_STR_LIT(ALICE), SR_STR_NULL), 2);
	assert_int_equal(e->n_events, 3);
	assert_null(sr_shard_find(e->shard, SR_STR_LIT(ALICE)));
	assert_int_equal(sr_shard_remove(e->shard, SR_STR_LIT(ALICE), SR_STR_NULL), 0);
	assert_int_equal(sr_shard_remove(e->shard, SR_STR_LIT("sip:nobody@example.com"), SR_STR_NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_restore_copies_every_field),
		cmocka_unit_test_setup_teardown(test_restore_drops_expired, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_restore_same_identity_replaces, th_setup, th_teardown),
		cmocka_unit_test(test_restore_rejects_invalid_and_full),
		cmocka_unit_test_setup_teardown(test_remove_emits_removed, th_setup, th_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
