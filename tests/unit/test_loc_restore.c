/*
 * test_loc_restore.c - restoring bindings into a location store and
 * administrative removal (lib/location/loc_restore.c, location.c).
 *
 * A binding is created by a real REGISTER in one shard, its complete view
 * is restored into a second shard's store with sr_loc_restore, and the copy
 * must be equal field by field (its id included), expire at the same
 * second, and answer a fetch like the original. Expired ones are dropped
 * silently; a record is replaced by its id, never by identity; the hard
 * per-AoR cap holds; ids given after a restore never repeat a restored one.
 */
#include "reg_harness.h"

#include <stdio.h>
#include <string.h>

#define ALICE "sip:alice@example.com"

static struct sr_loc_binding one(const char *aor, const char *contact, uint64_t id, uint32_t expires)
{
	struct sr_loc_binding b = { .aor = sr_str_cstr(aor), .st = { .id = id, .expires = expires, .q = SR_Q_NONE } };
	b.f[SR_BF_CONTACT] = sr_str_cstr(contact);
	return b;
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

	struct sr_loc_binding v;
	sr_loc_view(b, &v);
	struct sr_binding_state st = v.st;
	assert_true(st.id != 0);
	dst->n_events = 0;
	assert_int_equal(sr_loc_restore(th_loc(dst), &v, (uint32_t)(dst->now_ms / 1000)), SR_RESTORE_OK);
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
	assert_int_equal(sr_reg_expire(dst->shard, (uint64_t)st.expires * 1000, 100), 1);
	assert_int_equal(dst->n_events, 1);
	assert_int_equal(dst->events[0].type, SR_EV_EXPIRED);
	assert_int_equal(th_binding_count(dst, ALICE), 0);
	th_env_free(src);
	th_env_free(dst);
}

static void test_restore_drops_expired(void **state)
{
	struct th_env *e = *state;
	uint32_t now_s = (uint32_t)(e->now_ms / 1000);
	struct sr_loc_binding b = one(ALICE, "sip:a@198.51.100.2", 7, now_s);
	assert_int_equal(sr_loc_restore(th_loc(e), &b, now_s), SR_RESTORE_EXPIRED);
	b.st.expires -= 100;
	assert_int_equal(sr_loc_restore(th_loc(e), &b, now_s), SR_RESTORE_EXPIRED);
	assert_int_equal(th_binding_count(e, ALICE), 0);
	assert_null(th_aor(e, ALICE));
	assert_int_equal(e->n_events, 0);
	b.st.expires = now_s + 1;
	assert_int_equal(sr_loc_restore(th_loc(e), &b, now_s), SR_RESTORE_OK);
	assert_int_equal(th_binding_count(e, ALICE), 1);
	assert_null(sr_loc_check(th_loc(e)));
}

/*
 * A record is a binding: restoring the same id again replaces it (a second
 * load is harmless), two ids stay two bindings even when their contacts are
 * equal by RFC 3261 19.1.4 (they were two bindings before the restart).
 */
static void test_restore_replaces_by_id_only(void **state)
{
	struct th_env *e = *state;
	uint32_t now_s = (uint32_t)(e->now_ms / 1000);
	struct sr_loc_binding b = one(ALICE, "sip:a@host.example.com", 5, now_s + 60);
	b.f[SR_BF_CALL_ID] = SR_STR_LIT("one");
	b.st.cseq = 1;
	assert_int_equal(sr_loc_restore(th_loc(e), &b, now_s), SR_RESTORE_OK);
	b.f[SR_BF_CALL_ID] = SR_STR_LIT("two");
	b.st.cseq = 2;
	assert_int_equal(sr_loc_restore(th_loc(e), &b, now_s), SR_RESTORE_REPLACED);
	assert_int_equal(th_binding_count(e, ALICE), 1);
	assert_int_equal(th_binding(e, ALICE, 0)->cseq, 2);
	assert_string_equal(th_field(th_binding(e, ALICE, 0), SR_BF_CALL_ID), "two");
	b.f[SR_BF_CONTACT] = SR_STR_LIT("sip:a@HOST.example.com"); /* equal by 19.1.4, another id */
	b.st.id = 6;
	assert_int_equal(sr_loc_restore(th_loc(e), &b, now_s), SR_RESTORE_OK);
	assert_int_equal(th_binding_count(e, ALICE), 2);
	assert_int_equal(e->n_events, 0);
	assert_null(sr_loc_check(th_loc(e)));
}

/* After a restore the store gives ids above every restored one: a new binding never takes a stored key. */
static void test_restore_moves_next_id_past_restored(void **state)
{
	struct th_env *e = *state;
	uint32_t now_s = (uint32_t)(e->now_ms / 1000);
	struct sr_loc_binding b = one("sip:bob@example.com", "sip:bob@198.51.100.9", 41, now_s + 600);
	assert_int_equal(sr_loc_restore(th_loc(e), &b, now_s), SR_RESTORE_OK);
	b.st.id = 3;
	b.f[SR_BF_CONTACT] = SR_STR_LIT("sip:bob2@198.51.100.9");
	assert_int_equal(sr_loc_restore(th_loc(e), &b, now_s), SR_RESTORE_OK);
	assert_int_equal(th_register(e, "alice", "<sip:a@198.51.100.2>", "c1", 1), 200);
	assert_int_equal(e->n_events, 1);
	assert_int_equal(e->events[0].id, 42);
}

static void test_restore_rejects_invalid_and_full(void **state)
{
	(void)state;
	struct sr_reg_config cfg;
	th_default_config(&cfg);
	cfg.max_aors = 1;
	struct th_env *e = th_env_new(&cfg, NULL);
	assert_non_null(e);
	uint32_t now_s = (uint32_t)(e->now_ms / 1000);
	struct sr_loc_binding b = one("", "sip:a@198.51.100.2", 1, now_s + 60);
	assert_int_equal(sr_loc_restore(th_loc(e), &b, now_s), SR_RESTORE_INVALID);
	b = one(ALICE, "", 1, now_s + 60);
	assert_int_equal(sr_loc_restore(th_loc(e), &b, now_s), SR_RESTORE_INVALID);
	b = one(ALICE, "sip:a@198.51.100.2", 0, now_s + 60); /* no id */
	assert_int_equal(sr_loc_restore(th_loc(e), &b, now_s), SR_RESTORE_INVALID);
	b.st.id = 1;
	assert_int_equal(sr_loc_restore(th_loc(e), &b, now_s), SR_RESTORE_OK);
	b.aor = SR_STR_LIT("sip:bob@example.com");
	assert_int_equal(sr_loc_restore(th_loc(e), &b, now_s), SR_RESTORE_FULL);
	assert_string_equal(sr_restore_rc_str(SR_RESTORE_FULL), "AoR table full (registrar.max_aors)");
	th_env_free(e);
}

/* The hard per-AoR cap holds on restore: a store can never bring back an AoR above it. */
static void test_restore_enforces_the_cap(void **state)
{
	struct th_env *e = *state;
	uint32_t now_s = (uint32_t)(e->now_ms / 1000);
	char contact[64];
	for (unsigned i = 0; i <= SR_LOC_MAX_PER_AOR; i++) {
		snprintf(contact, sizeof(contact), "sip:c%u@198.51.100.2", i);
		struct sr_loc_binding b = one(ALICE, contact, i + 1, now_s + 600);
		enum sr_restore_rc rc = sr_loc_restore(th_loc(e), &b, now_s);
		assert_int_equal(rc, i < SR_LOC_MAX_PER_AOR ? SR_RESTORE_OK : SR_RESTORE_TOO_MANY);
	}
	assert_int_equal(th_binding_count(e, ALICE), SR_LOC_MAX_PER_AOR);
	/* the same id again still replaces: the cap counts bindings, not records */
	struct sr_loc_binding b = one(ALICE, "sip:again@198.51.100.2", 1, now_s + 600);
	assert_int_equal(sr_loc_restore(th_loc(e), &b, now_s), SR_RESTORE_REPLACED);
	assert_int_equal(th_binding_count(e, ALICE), SR_LOC_MAX_PER_AOR);
	assert_null(sr_loc_check(th_loc(e)));
}

/*
 * sr_loc_restore_hashed takes the caller's sr_hash64 instead of hashing the
 * AoR again: with the default table the binding is found by its AoR; with a
 * table of another hash function (here one that makes every AoR collide)
 * the store ignores the given value and hashes with its own.
 */
static uint64_t same_hash(const char *p, size_t len)
{
	(void)p, (void)len;
	return 42;
}

static void test_restore_hashed_uses_the_tables_hash(void **state)
{
	(void)state;
	struct th_env *plain = th_env_new(NULL, NULL), *colliding = th_env_new(NULL, same_hash);
	assert_non_null(plain);
	assert_non_null(colliding);
	uint32_t now_s = (uint32_t)(plain->now_ms / 1000);
	struct sr_loc_binding a = one(ALICE, "sip:a@198.51.100.2", 1, now_s + 60);
	struct sr_loc_binding b = one("sip:bob@example.com", "sip:b@198.51.100.3", 2, now_s + 60);
	uint64_t ha = sr_hash64(a.aor.p, a.aor.len), hb = sr_hash64(b.aor.p, b.aor.len);
	assert_int_equal(sr_loc_restore_hashed(th_loc(plain), &a, ha, now_s), SR_RESTORE_OK);
	assert_int_equal(sr_loc_restore_hashed(th_loc(plain), &b, hb, now_s), SR_RESTORE_OK);
	assert_int_equal(th_binding_count(plain, ALICE), 1);
	assert_int_equal(th_binding_count(plain, "sip:bob@example.com"), 1);
	assert_int_equal(sr_loc_restore_hashed(th_loc(plain), &a, ha, now_s + 60), SR_RESTORE_EXPIRED);
	assert_int_equal(sr_loc_restore_hashed(th_loc(colliding), &a, ha, now_s), SR_RESTORE_OK);
	assert_int_equal(sr_loc_restore_hashed(th_loc(colliding), &b, hb, now_s), SR_RESTORE_OK);
	assert_int_equal(th_binding_count(colliding, ALICE), 1);
	assert_int_equal(th_binding_count(colliding, "sip:bob@example.com"), 1);
	assert_null(sr_loc_check(th_loc(plain)));
	assert_null(sr_loc_check(th_loc(colliding)));
	th_env_free(plain);
	th_env_free(colliding);
}

static void test_remove_emits_removed(void **state)
{
	struct th_env *e = *state;
	assert_int_equal(th_register(e, "alice", "<sip:a@198.51.100.2>", "c1", 1), 200);
	assert_int_equal(th_register(e, "alice", "<sip:b@198.51.100.2>", "c1", 2), 200);
	assert_int_equal(th_register(e, "alice", "<sip:c@198.51.100.2>", "c1", 3), 200);
	e->n_events = 0;
	assert_int_equal(sr_loc_remove(th_loc(e), SR_STR_LIT(ALICE), SR_STR_LIT("sip:B@198.51.100.2")), 0);
	/* equal by RFC 3261 19.1.4: the host's case and a parameter only one side has do not count */
	assert_int_equal(sr_loc_remove(th_loc(e), SR_STR_LIT(ALICE), SR_STR_LIT("sip:b@198.51.100.2;ob")), 1);
	assert_int_equal(e->n_events, 1);
	assert_int_equal(e->events[0].type, SR_EV_REMOVED);
	assert_string_equal(e->events[0].contact, "sip:b@198.51.100.2");
	assert_int_equal(th_binding_count(e, ALICE), 2);
	assert_int_equal(sr_loc_remove(th_loc(e), SR_STR_LIT(ALICE), SR_STR_NULL), 2);
	assert_int_equal(e->n_events, 3);
	assert_null(th_aor(e, ALICE));
	assert_int_equal(sr_loc_remove(th_loc(e), SR_STR_LIT(ALICE), SR_STR_NULL), 0);
	assert_int_equal(sr_loc_remove(th_loc(e), SR_STR_LIT("sip:nobody@example.com"), SR_STR_NULL), 0);
	assert_null(sr_loc_check(th_loc(e)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_restore_copies_every_field),
		cmocka_unit_test_setup_teardown(test_restore_drops_expired, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_restore_replaces_by_id_only, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_restore_moves_next_id_past_restored, th_setup, th_teardown),
		cmocka_unit_test(test_restore_rejects_invalid_and_full),
		cmocka_unit_test_setup_teardown(test_restore_enforces_the_cap, th_setup, th_teardown),
		cmocka_unit_test(test_restore_hashed_uses_the_tables_hash),
		cmocka_unit_test_setup_teardown(test_remove_emits_removed, th_setup, th_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
