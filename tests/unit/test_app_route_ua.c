/*
 * test_app_route_ua.c - routing.user_agent_filter (app/sipreg/route_ua.c):
 * which User-Agents pass, and a pattern hyperscan refuses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "route_ua.h"

static void matches(void **state)
{
	(void)state;
	char err[256];
	struct sr_route_ua *u = sr_route_ua_create("^(Linphone|Zoiper)/[0-9]", err, sizeof(err));
	assert_non_null(u);
	assert_true(sr_route_ua_match(u, SR_STR_LIT("Linphone/5.2.0 (belle-sip)")));
	assert_true(sr_route_ua_match(u, SR_STR_LIT("Zoiper/2.10")));
	assert_false(sr_route_ua_match(u, SR_STR_LIT("friendly-scanner")));
	assert_false(sr_route_ua_match(u, SR_STR_LIT("xLinphone/5")));   /* anchored */
	assert_false(sr_route_ua_match(u, SR_STR_NULL));                  /* registered without one */
	/* only the range counts, not what follows it in memory */
	assert_false(sr_route_ua_match(u, sr_str_make("Linphone/5", 9)));
	sr_route_ua_free(u);

	u = sr_route_ua_create("(?i)polycom", err, sizeof(err));
	assert_non_null(u);
	assert_true(sr_route_ua_match(u, SR_STR_LIT("PolycomVVX-VVX_400-UA/5.9")));
	sr_route_ua_free(u);
}

static void refused(void **state)
{
	(void)state;
	char err[256] = "";
	assert_null(sr_route_ua_create("(Linphone", err, sizeof(err)));
	assert_true(strlen(err) > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(matches),
		cmocka_unit_test(refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
