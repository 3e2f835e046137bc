/*
 * test_reg_push.c - the registrar's RFC 8599 side (reg_push.c, reg_reply.c):
 * 555 for a provider we do not serve, Feature-Caps in the 200, push
 * bindings matched on push.match_params only, their packed parameters and
 * +sip.pnsreg kept with the binding; with push.purr, the 200's
 * +sip.pnspurr names the binding (its owner bits and stable id, found again
 * by id alone in the store) under the shared secret.
 */
#include <stdio.h>
#include <string.h>

#include "reg_harness.h"

#define ALICE "sip:alice@example.com"

static const uint64_t SECRET[2] = { 0x0123456789abcdefull, 0xfedcba9876543210ull };

static struct th_env *push_env_purr(const char *match, bool purr)
{
	struct sr_reg_config cfg;
	th_default_config(&cfg);
	struct sr_push_config pc;
	sr_push_config_defaults(&pc);
	pc.enable = true;
	snprintf(pc.providers, sizeof(pc.providers), "apns,fcm");
	if (match)
		snprintf(pc.match_params, sizeof(pc.match_params), "%s", match);
	pc.purr = purr;
	char err[256];
	assert_null(sr_push_rules_init(&cfg.push, &pc, err, sizeof(err)));
	cfg.purr_secret[0] = SECRET[0];
	cfg.purr_secret[1] = SECRET[1];
	struct th_env *e = th_env_new(&cfg, NULL);
	assert_non_null(e);
	return e;
}

static struct th_env *push_env(const char *match)
{
	return push_env_purr(match, false);
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

/* The PURR of fc-value idx of the last 200's Feature-Caps (static), or NULL. */
static const char *purr_of(struct th_env *e, unsigned idx)
{
	static char purr[SR_PUSH_PURR_LEN + 1];
	const char *fc = th_header(e, "Feature-Caps", 0);
	for (const char *p = fc; p && (p = strstr(p, "+sip.pnspurr=\"")) != NULL; p++)
		if (idx-- == 0) {
			snprintf(purr, sizeof(purr), "%s", p + 14);
			return strlen(purr) == SR_PUSH_PURR_LEN && p[14 + SR_PUSH_PURR_LEN] == '"' ? purr : NULL;
		}
	return NULL;
}

static void purr_in_the_200_names_the_binding(void **state)
{
	(void)state;
	struct th_env *e = push_env_purr(NULL, true);
	assert_int_equal(th_register(e, "alice",
				     "<sip:alice@198.51.100.7;pn-provider=apns;pn-prid=ABC>, <sip:alice@198.51.100.8>",
				     "c1", 1),
			 200);
	/* one fc-value, for the push contact only; its PURR reads back under the secret */
	const char *fc = th_header(e, "Feature-Caps", 0);
	assert_memory_equal(fc, "*;+sip.pns=\"apns\";+sip.pnspurr=\"", 31);
	assert_null(purr_of(e, 1));
	char first[SR_PUSH_PURR_LEN + 1];
	snprintf(first, sizeof(first), "%s", purr_of(e, 0));
	uint16_t owner;
	uint64_t id;
	assert_true(sr_push_purr_read(SECRET, sr_str_cstr(first), &owner, &id));
	assert_int_equal(owner, (uint16_t)sr_hash64(ALICE, strlen(ALICE)));
	/* the id is the new binding's, and the store finds it by id alone */
	const struct sr_binding *found[2];
	assert_int_equal(sr_loc_find_id(th_loc(e), id, found, 2), 1);
	assert_string_equal(th_field(found[0], SR_BF_CONTACT), "sip:alice@198.51.100.7;pn-provider=apns;pn-prid=ABC");
	const uint64_t other[2] = { SECRET[0], SECRET[1] ^ 1 };
	assert_false(sr_push_purr_read(other, sr_str_cstr(first), &owner, &id)); /* another key: not ours */

	/* a refresh keeps the binding, so the same PURR comes back */
	assert_int_equal(th_register(e, "alice", "<sip:alice@198.51.100.7;pn-provider=apns;pn-prid=ABC>", "c1", 2), 200);
	assert_string_equal(purr_of(e, 0), first);
	/* a second push binding gets its own */
	assert_int_equal(th_register(e, "alice", "<sip:alice@198.51.100.9;pn-provider=fcm;pn-prid=XYZ>", "c1", 3), 200);
	assert_string_not_equal(purr_of(e, 0), first);
	assert_true(sr_push_purr_read(SECRET, sr_str_cstr(purr_of(e, 0)), &owner, &id));
	assert_int_equal(sr_loc_find_id(th_loc(e), id, found, 2), 1);
	assert_string_equal(th_field(found[0], SR_BF_CONTACT), "sip:alice@198.51.100.9;pn-provider=fcm;pn-prid=XYZ");
	assert_null(sr_loc_check(th_loc(e)));

	/* removed: no longer found */
	assert_int_equal(th_register(e, "alice", "<sip:alice@198.51.100.9;pn-provider=fcm;pn-prid=XYZ>;expires=0", "c1", 4),
			 200);
	assert_int_equal(sr_loc_find_id(th_loc(e), id, found, 2), 0);
	assert_null(sr_loc_check(th_loc(e)));
	th_env_free(e);

	/* without push.purr: no PURR, and the store keeps no index */
	e = push_env(NULL);
	assert_int_equal(th_register(e, "alice", "<sip:alice@198.51.100.7;pn-provider=apns;pn-prid=ABC>", "c1", 1), 200);
	assert_string_equal(th_header(e, "Feature-Caps", 0), "*;+sip.pns=\"apns\"");
	assert_int_equal(sr_loc_find_id(th_loc(e), th_binding(e, ALICE, 0)->id, found, 2), 0);
	th_env_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(unsupported_provider_gets_555_and_changes_nothing),
		cmocka_unit_test(push_contact_gets_feature_caps_and_keeps_its_parameters),
		cmocka_unit_test(push_bindings_match_on_match_params_only),
		cmocka_unit_test(purr_in_the_200_names_the_binding),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
