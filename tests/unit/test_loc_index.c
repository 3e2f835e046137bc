/*
 * test_loc_index.c - bindings found by id alone (lib/location/loc_index.c,
 * sr_loc_find_id), the lookup an RFC 8599 PURR needs.
 *
 * A store with the index (push.purr on) is driven through every way a
 * binding comes and goes: REGISTERs adding, refreshing (in place and with a
 * new contact string, which moves the binding to a new object), removing
 * and replacing contacts; expiry; restore and put by (AoR, id), replacing;
 * administrative removal and forgetting an AoR. After each step every live
 * binding must be found by its id and nothing else (sr_loc_check verifies
 * the table too), across the table's growth. Restored ids may repeat in
 * another AoR: both are returned. Without the option nothing is indexed.
 */
#include "reg_harness.h"

#include <stdio.h>
#include <string.h>

static struct th_env *env(bool purr)
{
	struct sr_reg_config cfg;
	th_default_config(&cfg);
	struct sr_push_config pc;
	sr_push_config_defaults(&pc);
	pc.enable = true;
	pc.purr = purr;
	snprintf(pc.providers, sizeof(pc.providers), "apns");
	char err[256];
	assert_null(sr_push_rules_init(&cfg.push, &pc, err, sizeof(err)));
	struct th_env *e = th_env_new(&cfg, NULL);
	assert_non_null(e);
	return e;
}

/* Every binding of every AoR named user0..user<users-1> is found by its id, as itself. */
static unsigned all_found(struct th_env *e, unsigned users)
{
	unsigned n = 0;
	for (unsigned u = 0; u < users; u++) {
		char aor[64];
		snprintf(aor, sizeof(aor), "sip:user%u@example.com", u);
		for (const struct sr_binding *b = sr_loc_first(th_aor(e, aor)); b; b = b->next, n++) {
			const struct sr_binding *f[4];
			unsigned k = sr_loc_find_id(th_loc(e), b->id, f, 4);
			bool self = false;
			for (unsigned i = 0; i < k && i < 4; i++)
				self |= f[i] == b;
			if (!self)
				fail_msg("%s: binding %llu not found by id", aor, (unsigned long long)b->id);
		}
	}
	const char *why = sr_loc_check(th_loc(e));
	if (why)
		fail_msg("%s", why);
	return n;
}

static void every_binding_found_through_churn(void **state)
{
	(void)state;
	struct th_env *e = env(true);
	enum { USERS = 400 };
	char user[32], contact[128], cid[32];
	/* two contacts each: 800 bindings, past the first size of the table (1024 slots, half full) */
	for (unsigned u = 0; u < USERS; u++) {
		snprintf(user, sizeof(user), "user%u", u);
		snprintf(cid, sizeof(cid), "c%u", u);
		snprintf(contact, sizeof(contact), "<sip:a@198.51.100.%u:%u>, <sip:b@198.51.100.%u>;expires=120", u % 200 + 1,
			 5000 + u, u % 200 + 1);
		assert_int_equal(th_register(e, user, contact, cid, 1), 200);
	}
	assert_int_equal(all_found(e, USERS), 2 * USERS);
	/* refresh: even users in place, odd users with another spelling of the same URI (a new object) */
	for (unsigned u = 0; u < USERS; u++) {
		snprintf(user, sizeof(user), "user%u", u);
		snprintf(cid, sizeof(cid), "c%u", u);
		snprintf(contact, sizeof(contact), u % 2 ? "<sip:a@198.51.100.%u:%u;foo=1>" : "<sip:a@198.51.100.%u:%u>",
			 u % 200 + 1, 5000 + u);
		assert_int_equal(th_register(e, user, contact, cid, 2), 200);
	}
	assert_int_equal(all_found(e, USERS), 2 * USERS);
	/* every third user removes its first contact and adds another */
	for (unsigned u = 0; u < USERS; u += 3) {
		snprintf(user, sizeof(user), "user%u", u);
		snprintf(cid, sizeof(cid), "c%u", u);
		snprintf(contact, sizeof(contact), "<sip:a@198.51.100.%u:%u>;expires=0, <sip:c@198.51.100.%u>", u % 200 + 1,
			 5000 + u, u % 200 + 1);
		assert_int_equal(th_register(e, user, contact, cid, 3), 200);
	}
	unsigned live = all_found(e, USERS);
	/* the 120 s contacts expire */
	assert_int_equal(th_advance(e, 300), USERS);
	assert_int_equal(all_found(e, USERS), live - USERS);
	/* administrative removal and forgetting */
	assert_true(sr_loc_remove(th_loc(e), SR_STR_LIT("sip:user1@example.com"), SR_STR_NULL) > 0);
	assert_true(sr_loc_forget(th_loc(e), SR_STR_LIT("sip:user2@example.com")) > 0);
	live = all_found(e, USERS);
	struct sr_loc_stats st;
	sr_loc_get_stats(th_loc(e), &st);
	assert_int_equal(live, st.bindings);
	th_env_free(e);
}

static void restored_ids_may_repeat_across_aors(void **state)
{
	(void)state;
	struct th_env *e = env(true);
	uint32_t now = 1000;
	struct sr_loc_binding b = { .aor = SR_STR_LIT("sip:user0@example.com"), .st = { .id = 77, .expires = now + 600,
											   .q = SR_Q_NONE } };
	b.f[SR_BF_CONTACT] = SR_STR_LIT("sip:a@198.51.100.1");
	assert_int_equal(sr_loc_restore(th_loc(e), &b, now), SR_RESTORE_OK);
	b.aor = SR_STR_LIT("sip:user1@example.com");
	assert_int_equal(sr_loc_put(th_loc(e), &b, now), SR_RESTORE_OK);
	const struct sr_binding *f[4];
	assert_int_equal(sr_loc_find_id(th_loc(e), 77, f, 4), 2);
	assert_ptr_not_equal(f[0], f[1]);
	/* replaced by a restore of the same (AoR, id): still two, the new object found */
	b.f[SR_BF_CONTACT] = SR_STR_LIT("sip:b@198.51.100.1");
	assert_int_equal(sr_loc_restore(th_loc(e), &b, now), SR_RESTORE_REPLACED);
	assert_int_equal(sr_loc_find_id(th_loc(e), 77, f, 4), 2);
	assert_int_equal(all_found(e, 2), 2);
	/* one removed by (AoR, id): the other stays */
	assert_int_equal(sr_loc_remove_id(th_loc(e), b.aor, 77, SR_EV_REMOVED), 1);
	assert_int_equal(sr_loc_find_id(th_loc(e), 77, f, 4), 1);
	assert_string_equal(th_field(f[0], SR_BF_CONTACT), "sip:a@198.51.100.1");
	assert_int_equal(sr_loc_find_id(th_loc(e), 78, f, 4), 0);
	assert_int_equal(sr_loc_find_id(th_loc(e), 0, f, 4), 0);
	assert_int_equal(sr_loc_index_missed(th_loc(e)), 0);
	th_env_free(e);
}

static void no_index_without_purr(void **state)
{
	(void)state;
	struct th_env *e = env(false);
	assert_int_equal(th_register(e, "user0", "<sip:a@198.51.100.1>", "c0", 1), 200);
	const struct sr_binding *f[1];
	assert_int_equal(sr_loc_find_id(th_loc(e), th_binding(e, "sip:user0@example.com", 0)->id, f, 1), 0);
	assert_null(sr_loc_check(th_loc(e)));
	th_env_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_binding_found_through_churn),
		cmocka_unit_test(restored_ids_may_repeat_across_aors),
		cmocka_unit_test(no_index_without_purr),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
