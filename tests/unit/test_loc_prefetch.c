/*
 * test_loc_prefetch.c - the burst prefetch of the location store
 * (sr_loc_prefetch): it finds the AoRs the pre-scan's owner hashes name,
 * any number of them (more than one bulk lookup), changes nothing, and
 * with a table of another hash function (the tests' collisions) does
 * nothing at all.
 */
#include "reg_harness.h"

#include <stdio.h>
#include <string.h>

static uint64_t owner_hash(const char *aor)
{
	return sr_hash64(aor, strlen(aor));
}

static void finds_registered_aors(void **state)
{
	struct th_env *e = *state;
	enum { N = 80 }; /* more than SR_AOR_TABLE_BULK: several bulk lookups */
	uint64_t hashes[N];
	char aor[64];
	for (unsigned i = 0; i < N; i++) {
		char user[32], call_id[32];
		snprintf(user, sizeof(user), "u%u", i);
		snprintf(call_id, sizeof(call_id), "c%u", i);
		if (i % 4 == 0) /* every fourth one registered */
			assert_int_equal(th_register(e, user, "<sip:c@198.51.100.2>", call_id, 1), 200);
		snprintf(aor, sizeof(aor), "sip:%s@example.com", user);
		hashes[i] = owner_hash(aor);
	}
	struct sr_loc *loc = th_loc(e);
	assert_int_equal(sr_loc_prefetch(loc, hashes, N), N / 4);
	assert_int_equal(sr_loc_prefetch(loc, hashes, 0), 0);
	/* nothing changed: the same bindings, and a fetch answers as before */
	assert_int_equal(th_binding_count(e, "sip:u0@example.com"), 1);
	assert_int_equal(th_binding_count(e, "sip:u1@example.com"), 0);
	assert_int_equal(th_register(e, "u4", NULL, "c4", 2), 200);
	assert_int_equal(th_header_count(e, "Contact"), 1);
}

static uint64_t one_hash(const char *aor, size_t len)
{
	(void)aor, (void)len;
	return 7;
}

static void other_hash_function_prefetches_nothing(void **state)
{
	(void)state;
	struct th_env *e = th_env_new(NULL, one_hash);
	assert_non_null(e);
	assert_int_equal(th_register(e, "alice", "<sip:c@198.51.100.2>", "c1", 1), 200);
	uint64_t hashes[2] = { owner_hash("sip:alice@example.com"), 7 };
	assert_int_equal(sr_loc_prefetch(th_loc(e), hashes, 2), 0);
	th_env_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(finds_registered_aors, th_setup, th_teardown),
		cmocka_unit_test(other_hash_function_prefetches_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
