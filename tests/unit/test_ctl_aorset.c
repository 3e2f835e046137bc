/*
 * test_ctl_aorset.c - the set of AoRs being resynced (lib/ctl/ctl_aorset.c):
 * add once, membership by bytes, removal that keeps every other member
 * findable (backward shift across a grown table).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "ctl_aorset.h"

static struct sr_str name(char *buf, size_t cap, unsigned i)
{
	int n = snprintf(buf, cap, "sip:user%u@example.com", i);
	return sr_str_make(buf, (size_t)n);
}

static void test_add_has_remove(void **state)
{
	(void)state;
	struct sr_ctl_aorset set;
	char buf[64];
	sr_ctl_aorset_init(&set);
	assert_false(sr_ctl_aorset_has(&set, SR_STR_LIT("sip:a@example.com")));
	assert_false(sr_ctl_aorset_remove(&set, SR_STR_LIT("sip:a@example.com")));
	assert_int_equal(sr_ctl_aorset_add(&set, SR_STR_LIT("sip:a@example.com")), 1);
	assert_int_equal(sr_ctl_aorset_add(&set, SR_STR_LIT("sip:a@example.com")), 0);
	assert_true(sr_ctl_aorset_has(&set, SR_STR_LIT("sip:a@example.com")));
	assert_false(sr_ctl_aorset_has(&set, SR_STR_LIT("sip:A@example.com")));
	/* many members: the table grows; removing every other one keeps the rest */
	for (unsigned i = 0; i < 1000; i++)
		assert_int_equal(sr_ctl_aorset_add(&set, name(buf, sizeof(buf), i)), 1);
	assert_int_equal(sr_ctl_aorset_count(&set), 1001);
	for (unsigned i = 0; i < 1000; i += 2)
		assert_true(sr_ctl_aorset_remove(&set, name(buf, sizeof(buf), i)));
	for (unsigned i = 0; i < 1000; i++)
		assert_int_equal(sr_ctl_aorset_has(&set, name(buf, sizeof(buf), i)), i % 2 == 1);
	assert_int_equal(sr_ctl_aorset_count(&set), 501);
	for (unsigned i = 1; i < 1000; i += 2)
		assert_true(sr_ctl_aorset_remove(&set, name(buf, sizeof(buf), i)));
	assert_true(sr_ctl_aorset_remove(&set, SR_STR_LIT("sip:a@example.com")));
	assert_int_equal(sr_ctl_aorset_count(&set), 0);
	sr_ctl_aorset_fini(&set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_has_remove),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
