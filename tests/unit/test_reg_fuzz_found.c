/*
 * test_reg_fuzz_found.c - regressions found by the fuzz targets (tests/fuzz),
 * each reduced to the request sequence that triggers it and run through
 * sr_reg_process with real bytes. Every test names what went wrong.
 */
#include "reg_harness.h"

#include <string.h>

#define ALICE "sip:alice@example.com"
#define BOB "sip:bob@example.com"

/*
 * Two Contacts of one REGISTER that name the same existing binding by
 * different rules (one by +sip.instance, the other by URI equality) were
 * both planned as updates of it: the second replace() walked a list that
 * no longer held the binding (NULL dereference / use after free). The later
 * contact now wins, as for a contact named twice.
 */
static void two_contacts_naming_one_binding(void **state)
{
	struct th_env *e = *state;
	assert_int_equal(th_register(e, "alice", "<sip:a@198.51.100.2>;+sip.instance=\"<urn:uuid:1>\"", "c1", 1),
			 200);
	assert_int_equal(th_binding_count(e, ALICE), 1);
	assert_int_equal(th_register(e, "alice",
				     "<sip:b@198.51.100.2>;+sip.instance=\"<urn:uuid:1>\", <sip:a@198.51.100.2>",
				     "c1", 2),
			 200);
	assert_int_equal(th_binding_count(e, ALICE), 1);
	assert_string_equal(th_field(th_binding(e, ALICE, 0), SR_BF_CONTACT), "sip:a@198.51.100.2");
	/* And the other order (a fresh AoR: bob's binding again has the instance). */
	assert_int_equal(th_register(e, "bob", "<sip:a@198.51.100.2>;+sip.instance=\"<urn:uuid:1>\"", "c2", 1),
			 200);
	assert_int_equal(th_register(e, "bob",
				     "<sip:a@198.51.100.2>, <sip:c@198.51.100.2>;+sip.instance=\"<urn:uuid:1>\"",
				     "c2", 2),
			 200);
	assert_int_equal(th_binding_count(e, BOB), 1);
	assert_string_equal(th_field(th_binding(e, BOB, 0), SR_BF_CONTACT), "sip:c@198.51.100.2");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(two_contacts_naming_one_binding, th_setup, th_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
