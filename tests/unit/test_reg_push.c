/*
 * test_reg_push.c - the registrar's RFC 8599 side (reg_push.c, reg_reply.c):
 * 555 for a provider we do not serve, Feature-Caps in the 200, push
 * bindings matched on push.match_params only, their packed parameters and
 * +sip.pnsreg kept with the binding.
 */
#include <stdio.h>
#include <string.h>

#include "reg_harness.h"

#define ALICE "sip:alice@example.com"

static struct th_env *push_env(const char *match)
{
	struct sr_reg_config cfg;
	th_default_config(&cfg);
	struct sr_push_config pc;
	sr_push_config_defaults(&pc);
	pc.enable = true;
	snprintf(pc.providers, sizeof(pc.providers), "apns,fcm");
	if (match)
		snprintf(pc.match_params, sizeof(pc.match_params), "%s", match);
	char err[256];
	assert_null(sr_push_rules_init(&cfg.push, &pc, err, sizeof(err)));
	struct th_env *e = th_env_new(&cfg, NULL);
	assert_non_null(e);
	return e;
}

static void unsupported_provider_gets_555_and_changes_nothing(void **state)
{
	(void)state;
	struct th_env *e = push_env(NULL);
	assert_int_equal(th_register(e, "alice", "<sip:alice@198.51.100.7;pn-provider=webpush;pn-prid=T>", "c1", 1),
			 555);
	assert_string_equal(th_reason(e), "Push Notification Service Not Supported");
	assert_int_equal(th_binding_count(e, ALICE), 0);
	assert_int_equal(e->n_events, 0);
	/* with another, good contact in the same request: still nothing applied */
	assert_int_equal(th_register(e, "alice",
				     "<sip:alice@198.51.100.7>, <sip:alice@198.51.100.8;pn-provider=webpush;pn-prid=T>",
				     "c1", 2),
			 555);
	assert_int_equal(th_binding_count(e, ALICE), 0);
	th_env_free(e);
}

static void push_contact_gets_feature_caps_and_keeps_its_parameters(void **state)
{
	(void)state;
	struct th_env *e = push_env(NULL);
	assert_int_equal(th_register(e, "alice",
				     "<sip:alice@198.51.100.7;pn-provider=apns;pn-prid=ABC;pn-param=X>;+sip.pnsreg",
				     "c1", 1),
			 200);
	assert_string_equal(th_header(e, "Feature-Caps", 0), "*;+sip.pns=\"apns\";+sip.pnsreg=\"130\"");
	const struct sr_binding *b = th_binding(e, ALICE, 0);
	assert_non_null(b);
	assert_true(b->flags & SR_BFLAG_PNSREG);
	struct sr_str packed = sr_binding_field(b, SR_BF_PN_PARAMS);
	struct sr_str v;
	assert_true(sr_push_packed_get(packed, "pn-prid", &v));
	assert_true(sr_str_eq(v, SR_STR_LIT("ABC")));
	assert_int_equal(sr_push_classify(&e->cfg.push, packed), SR_PUSH_CONTACT);

	/* an ordinary contact gets no Feature-Caps; a capability query names the providers */
	assert_int_equal(th_register(e, "bob", "<sip:bob@198.51.100.9>", "c2", 1), 200);
	assert_null(th_header(e, "Feature-Caps", 0));
	assert_int_equal(th_register(e, "carol", "<sip:carol@198.51.100.9;pn-provider>", "c3", 1), 200);
	assert_string_equal(th_header(e, "Feature-Caps", 0), "*;+sip.pns=\"apns,fcm\"");
	assert_int_equal(sr_binding_field(th_binding(e, "sip:carol@example.com", 0), SR_BF_PN_PARAMS).len, 0);
	th_env_free(e);
}

static void push_bindings_match_on_match_params_only(void **state)
{
	(void)state;
	/* matched on provider and prid: another pn-param is the same binding */
	struct th_env *e = push_env("pn-provider,pn-prid");
	assert_int_equal(th_register(e, "alice", "<sip:alice@198.51.100.7;pn-provider=apns;pn-prid=ABC;pn-param=X>",
				     "c1", 1),
			 200);
	e->n_events = 0;
	assert_int_equal(th_register(e, "alice",
				     "<sip:alice@198.51.100.8:5070;pn-provider=APNS;pn-prid=ABC;pn-param=Y>", "c2", 1),
			 200);
	assert_int_equal(th_binding_count(e, ALICE), 1);
	assert_int_equal(e->events[0].type, SR_EV_REFRESHED);
	/* another prid: another device */
	assert_int_equal(th_register(e, "alice", "<sip:alice@198.51.100.8:5070;pn-provider=apns;pn-prid=DEF>", "c3", 1),
			 200);
	assert_int_equal(th_binding_count(e, ALICE), 2);
	th_env_free(e);

	/* with pn-param among the match parameters, a contact without it falls back to URI comparison */
	e = push_env("pn-provider,pn-prid,pn-param");
	assert_int_equal(th_register(e, "alice", "<sip:alice@198.51.100.7;pn-provider=apns;pn-prid=ABC>", "c1", 1),
			 200);
	assert_int_equal(th_register(e, "alice", "<sip:alice@198.51.100.8;pn-provider=apns;pn-prid=ABC>", "c2", 1),
			 200);
	assert_int_equal(th_binding_count(e, ALICE), 2);
	assert_int_equal(th_register(e, "alice", "<sip:alice@198.51.100.8;pn-provider=apns;pn-prid=ABC>", "c2", 2),
			 200);
	assert_int_equal(th_binding_count(e, ALICE), 2);
	th_env_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(unsupported_provider_gets_555_and_changes_nothing),
		cmocka_unit_test(push_contact_gets_feature_caps_and_keeps_its_parameters),
		cmocka_unit_test(push_bindings_match_on_match_params_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
