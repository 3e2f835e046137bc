/*
 * test_loc_apply.c - a standby's copy of another node's bindings
 * (lib/location/loc_apply.c): put by (AoR, id) keeping the id and
 * announcing the change, removal by (AoR, id), mark-and-sweep.
 *
 * Bindings are made by real REGISTERs in one shard (the "active") and their
 * complete views put into a second shard (the "standby"), which must hold
 * them field by field, id included, answer a fetch with them, announce
 * every change once, and after a mark and a sweep keep exactly what was
 * put since the mark.
 */
#include "reg_harness.h"

#include <stdio.h>
#include <string.h>

#define ALICE "sip:alice@example.com"
#define BOB "sip:bob@example.com"

static uint32_t now_s(struct th_env *e)
{
	return (uint32_t)(e->now_ms / 1000);
}

static struct sr_loc_binding one(const char *aor, const char *contact, uint64_t id, uint32_t expires)
{
	struct sr_loc_binding b = { .aor = sr_str_cstr(aor), .st = { .id = id, .expires = expires, .q = SR_Q_NONE } };
	b.f[SR_BF_CONTACT] = sr_str_cstr(contact);
	return b;
}

static void test_put_keeps_the_id_and_announces(void **state)
{
	(void)state;
	struct th_env *act = th_env_new(NULL, NULL), *sb = th_env_new(NULL, NULL);
	assert_non_null(act);
	assert_non_null(sb);
	assert_int_equal(th_register(act, "alice", "<sip:a@198.51.100.2>", "c1", 1), 200);
	assert_int_equal(th_register(act, "alice", "<sip:b@198.51.100.2>", "c1", 2), 200);
	struct sr_loc_binding v;
	sr_loc_view(th_binding(act, ALICE, 1), &v);
	uint64_t id = v.st.id;
	assert_true(id > 1);

	sb->n_events = 0;
	assert_int_equal(sr_loc_put(th_loc(sb), &v, now_s(sb)), SR_RESTORE_OK);
	assert_int_equal(sb->n_events, 1);
	assert_int_equal(sb->events[0].type, SR_EV_ADDED);
	assert_int_equal(th_binding_count(sb, ALICE), 1);
	assert_int_equal(th_binding(sb, ALICE, 0)->id, id);
	assert_string_equal(th_field(th_binding(sb, ALICE, 0), SR_BF_CONTACT), "sip:b@198.51.100.2");

	/* the active refreshes it with a longer expiry: the same id is overwritten, announced as refreshed */
	v.st.expires += 100;
	v.st.cseq = 9;
	assert_int_equal(sr_loc_put(th_loc(sb), &v, now_s(sb)), SR_RESTORE_REPLACED);
	assert_int_equal(sb->n_events, 2);
	assert_int_equal(sb->events[1].type, SR_EV_REFRESHED);
	assert_int_equal(th_binding_count(sb, ALICE), 1);
	assert_int_equal(th_binding(sb, ALICE, 0)->cseq, 9);
	assert_int_equal(sr_binding_expires(th_binding(sb, ALICE, 0)), v.st.expires);

	/* a fetch on the standby's store answers it */
	struct th_req fetch = { .to = ALICE, .call_id = "fetch@ua", .cseq = 1 };
	assert_int_equal(th_send(sb, &fetch), 200);
	assert_non_null(strstr(th_header(sb, "Contact", 0), "sip:b@198.51.100.2"));

	/* a binding added after the copy never takes a copied id */
	assert_int_equal(th_register(sb, "alice", "<sip:c@198.51.100.2>", "c2", 1), 200);
	const struct sr_binding *c = th_binding(sb, ALICE, 1);
	assert_true(c->id > id);
	assert_null(sr_loc_check(th_loc(sb)));
	th_env_free(act);
	th_env_free(sb);
}

static void test_put_expired_removes(void **state)
{
	struct th_env *e = *state;
	struct sr_loc_binding b = one(ALICE, "sip:a@198.51.100.2", 7, now_s(e) + 60);
	assert_int_equal(sr_loc_put(th_loc(e), &b, now_s(e)), SR_RESTORE_OK);
	e->n_events = 0;
	b.st.expires = now_s(e); /* the active's last word: it has expired */
	assert_int_equal(sr_loc_put(th_loc(e), &b, now_s(e)), SR_RESTORE_EXPIRED);
	assert_int_equal(e->n_events, 1);
	assert_int_equal(e->events[0].type, SR_EV_EXPIRED);
	assert_null(th_aor(e, ALICE));
	/* nothing to remove: no event */
	assert_int_equal(sr_loc_put(th_loc(e), &b, now_s(e)), SR_RESTORE_EXPIRED);
	assert_int_equal(e->n_events, 1);
	b.st.id = 0;
	b.st.expires = now_s(e) + 60;
	assert_int_equal(sr_loc_put(th_loc(e), &b, now_s(e)), SR_RESTORE_INVALID);
	assert_int_equal(e->n_events, 1);
	assert_null(sr_loc_check(th_loc(e)));
}

static void test_remove_by_id(void **state)
{
	struct th_env *e = *state;
	uint32_t exp = now_s(e) + 60;
	struct sr_loc_binding a = one(ALICE, "sip:a@198.51.100.2", 5, exp);
	struct sr_loc_binding a2 = one(ALICE, "sip:a@198.51.100.2", 6, exp); /* same URI, another binding */
	assert_int_equal(sr_loc_put(th_loc(e), &a, now_s(e)), SR_RESTORE_OK);
	assert_int_equal(sr_loc_put(th_loc(e), &a2, now_s(e)), SR_RESTORE_OK);
	e->n_events = 0;
	assert_int_equal(sr_loc_remove_id(th_loc(e), SR_STR_LIT(ALICE), 6, SR_EV_REMOVED), 1);
	assert_int_equal(e->n_events, 1);
	assert_int_equal(e->events[0].type, SR_EV_REMOVED);
	assert_int_equal(th_binding_count(e, ALICE), 1);
	assert_int_equal(th_binding(e, ALICE, 0)->id, 5);
	assert_int_equal(sr_loc_remove_id(th_loc(e), SR_STR_LIT(ALICE), 6, SR_EV_REMOVED), 0);
	assert_int_equal(sr_loc_remove_id(th_loc(e), SR_STR_LIT(BOB), 5, SR_EV_REMOVED), 0);
	assert_int_equal(sr_loc_remove_id(th_loc(e), SR_STR_LIT(ALICE), 5, SR_EV_EXPIRED), 1);
	assert_int_equal(e->events[1].type, SR_EV_EXPIRED);
	assert_null(th_aor(e, ALICE));
	assert_int_equal(e->n_events, 2);
	assert_null(sr_loc_check(th_loc(e)));
}

static void test_mark_and_sweep(void **state)
{
	struct th_env *e = *state;
	uint32_t exp = now_s(e) + 60;
	char aor[64], contact[64];
	/* 40 AoRs of 3 bindings each */
	for (unsigned i = 0; i < 40; i++)
		for (unsigned k = 1; k <= 3; k++) {
			snprintf(aor, sizeof(aor), "sip:u%u@example.com", i);
			snprintf(contact, sizeof(contact), "sip:u%u-%u@198.51.100.2", i, k);
			struct sr_loc_binding b = one(aor, contact, k, exp);
			assert_int_equal(sr_loc_put(th_loc(e), &b, now_s(e)), SR_RESTORE_OK);
		}
	/* a snapshot that holds every even AoR whole and binding 2 of every odd one */
	sr_loc_mark(th_loc(e));
	for (unsigned i = 0; i < 40; i++)
		for (unsigned k = 1; k <= 3; k++) {
			if (i % 2 && k != 2)
				continue;
			snprintf(aor, sizeof(aor), "sip:u%u@example.com", i);
			snprintf(contact, sizeof(contact), "sip:u%u-%u@198.51.100.2", i, k);
			struct sr_loc_binding b = one(aor, contact, k, exp);
			assert_int_equal(sr_loc_put(th_loc(e), &b, now_s(e)), SR_RESTORE_REPLACED);
		}
	/* a binding only the snapshot has */
	struct sr_loc_binding fresh = one(BOB, "sip:bob@198.51.100.3", 1, exp);
	assert_int_equal(sr_loc_put(th_loc(e), &fresh, now_s(e)), SR_RESTORE_OK);
	e->n_events = 0;
	assert_int_equal(sr_loc_sweep(th_loc(e)), 40);
	assert_int_equal(e->n_events, 40);
	for (unsigned i = 0; i < e->n_events; i++)
		assert_int_equal(e->events[i].type, SR_EV_REMOVED);
	for (unsigned i = 0; i < 40; i++) {
		snprintf(aor, sizeof(aor), "sip:u%u@example.com", i);
		assert_int_equal(th_binding_count(e, aor), i % 2 ? 1 : 3);
		if (i % 2)
			assert_int_equal(th_binding(e, aor, 0)->id, 2);
	}
	assert_int_equal(th_binding_count(e, BOB), 1);
	/* a second sweep without a new mark keeps everything */
	assert_int_equal(sr_loc_sweep(th_loc(e)), 0);
	/* an empty snapshot: everything goes, AoRs included */
	sr_loc_mark(th_loc(e));
	assert_int_equal(sr_loc_sweep(th_loc(e)), 20 * 3 + 20 + 1);
	struct sr_loc_stats st;
	sr_loc_get_stats(th_loc(e), &st);
	assert_int_equal(st.aors, 0);
	assert_int_equal(st.bindings, 0);
	assert_null(sr_loc_check(th_loc(e)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_keeps_the_id_and_announces),
		cmocka_unit_test_setup_teardown(test_put_expired_removes, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_remove_by_id, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_mark_and_sweep, th_setup, th_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
