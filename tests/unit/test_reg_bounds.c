/*
 * test_reg_bounds.c - what one AoR may cost (issue 15 item 1), each case the
 * measurement the issue reproduced on main, as a regression test:
 *
 *  - the binding count wrapped at 65,536 with the built-in unlimited
 *    max_contacts: now "unlimited" and anything above the store's hard cap
 *    is refused at shard creation, and at the cap a REGISTER that would add
 *    one more is refused whole (state unchanged, no event);
 *  - a 200 that did not fit the response buffer was dropped after the
 *    change was applied: now the REGISTER is refused with a 500 that says
 *    why and nothing changes;
 *  - adding a plain contact parsed two URIs per stored binding: now it
 *    parses none of them (the parser of stored URIs, sr_sip_uri_parse, is
 *    counted through the linker's --wrap, see meson.build; the request's own
 *    URIs are the message view's and never go through it), unless one really
 *    is its equal;
 *  - a 64 KB User-Agent was copied into every binding of the REGISTER: now
 *    a binding keeps at most SR_REG_STORED_UA_MAX bytes of it, and a Path
 *    over max_path_len is refused (400) instead of copied.
 */
#include "reg_harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reg_plan.h"
#include "sip_uri.h"

#define ALICE "sip:alice@example.com"

/* The stored-URI parser, counted (the test links with -Wl,--wrap=sr_sip_uri_parse). */
int __real_sr_sip_uri_parse(struct sr_str text, struct sr_arena *arena, struct sr_sip_uri *out);
int __wrap_sr_sip_uri_parse(struct sr_str text, struct sr_arena *arena, struct sr_sip_uri *out);
static unsigned uri_parses;

int __wrap_sr_sip_uri_parse(struct sr_str text, struct sr_arena *arena, struct sr_sip_uri *out)
{
	uri_parses++;
	return __real_sr_sip_uri_parse(text, arena, out);
}

/*
 * 'n' contacts <sip:<prefix><first+i>@h>[;+sip.instance="<u:N>"], comma-separated: short, so
 * that a 200 listing SR_LOC_MAX_PER_AOR of them still fits the harness's 64 KB.
 */
static const char *contacts(const char *prefix, unsigned first, unsigned n, bool instances)
{
	static char buf[8192];
	size_t len = 0;
	for (unsigned i = 0; i < n; i++) {
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s<sip:%s%u@h>", i ? ", " : "", prefix,
					first + i);
		if (instances)
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, ";+sip.instance=\"<u:%u>\"", first + i);
	}
	return buf;
}

/* --- the cap --- */

/*
 * A full AoR's 200 lists 1024 contacts: it fits in 64 KiB only without a
 * ;received= on each, so these REGISTERs come from an unknown source (no
 * contact counts as behind NAT).
 */
static struct th_env *full_aor_env(enum sr_max_contacts_mode mode)
{
	struct th_env *e = th_env_contacts(SR_LOC_MAX_PER_AOR, mode);
	e->src.ip = 0;
	return e;
}

static void test_shard_refuses_unlimited_and_above_cap(void **state)
{
	(void)state;
	struct sr_reg_config cfg;
	th_default_config(&cfg);
	const uint32_t bad[] = { 0, SR_LOC_MAX_PER_AOR + 1, 65536, 100000 };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cfg.max_contacts = bad[i];
		struct th_env *e = th_env_new(&cfg, NULL);
		if (e)
			fail_msg("a shard with max_contacts=%u was created", bad[i]);
	}
	cfg.max_contacts = SR_LOC_MAX_PER_AOR;
	struct th_env *e = th_env_new(&cfg, NULL);
	assert_non_null(e);
	th_env_free(e);
}

/*
 * The reproduction at the largest allowed setting: REGISTERs of 16
 * contacts with distinct +sip.instance values to one AoR. At the cap the
 * next one is refused whole, the count never passes it, nothing is
 * announced, and the store's invariants hold throughout.
 */
static void test_cap_holds_under_instance_flood(void **state)
{
	(void)state;
	struct th_env *e = full_aor_env(SR_MAXC_REJECT);
	unsigned per = SR_SIP_MAX_CONTACTS, cseq = 1;
	for (unsigned first = 0; first < SR_LOC_MAX_PER_AOR; first += per)
		assert_int_equal(th_register(e, "alice", contacts("i", first, per, true), "flood", cseq++), 200);
	assert_int_equal(th_binding_count(e, ALICE), SR_LOC_MAX_PER_AOR);
	e->n_events = 0;
	for (unsigned k = 0; k < 4; k++) {
		assert_int_equal(th_register(e, "alice", contacts("i", 5000 + k * per, per, true), "flood", cseq++),
				 503);
		assert_non_null(strstr(th_reason(e), "max_contacts"));
	}
	assert_int_equal(th_binding_count(e, ALICE), SR_LOC_MAX_PER_AOR);
	assert_int_equal(e->n_events, 0);
	/* refreshing and removing still work at the cap */
	assert_int_equal(th_register(e, "alice", contacts("i", 0, per, true), "flood", cseq++), 200);
	assert_int_equal(e->n_events, per);
	struct th_req r = { .contact = "*", .call_id = "flood", .cseq = cseq++, .extra = "Expires: 0\r\n" };
	assert_int_equal(th_send(e, &r), 200);
	assert_int_equal(th_binding_count(e, ALICE), 0);
	assert_null(sr_loc_check(th_loc(e)));
	th_env_free(e);
}

/* Force mode at the cap evicts instead; the count still never passes it. */
static void test_cap_in_force_mode(void **state)
{
	(void)state;
	struct th_env *e = full_aor_env(SR_MAXC_FORCE);
	unsigned per = SR_SIP_MAX_CONTACTS, cseq = 1;
	for (unsigned first = 0; first < SR_LOC_MAX_PER_AOR + 4 * per; first += per) {
		assert_int_equal(th_register(e, "alice", contacts("f", first, per, true), "force", cseq++), 200);
		assert_true(th_binding_count(e, ALICE) <= SR_LOC_MAX_PER_AOR);
	}
	assert_int_equal(th_binding_count(e, ALICE), SR_LOC_MAX_PER_AOR);
	assert_null(sr_loc_check(th_loc(e)));
	th_env_free(e);
}

/* --- the 200 that does not fit --- */

/*
 * With the worker's 8 KB response room, long contacts fill the 200 after a
 * few dozen bindings. The REGISTER whose 200 would not fit is refused with
 * a 500 naming the reason, and the AoR is exactly as before (no binding, no
 * event); a removal, whose 200 is shorter, still goes through.
 */
static void test_200_that_does_not_fit_changes_nothing(void **state)
{
	(void)state;
	struct th_env *e = th_env_contacts(200, SR_MAXC_REJECT);
	e->resp_cap = 8192;
	char contact[600], pad[401];
	memset(pad, 'p', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	unsigned i = 0, cseq = 1;
	int status;
	for (;; i++) {
		snprintf(contact, sizeof(contact), "<sip:u%u@198.51.100.2;x=%s>", i, pad);
		e->n_events = 0;
		status = th_register(e, "alice", contact, "fill", cseq++);
		if (status != 200)
			break;
		assert_true(i < 100); /* 8 KB holds about 18 of these */
	}
	assert_int_equal(status, 500);
	assert_string_equal(th_reason(e), "Bindings Too Large for One Response");
	assert_int_equal(th_binding_count(e, ALICE), i);
	assert_int_equal(e->n_events, 0);
	assert_true(e->res.len > 0 && e->res.len <= 8192);
	/* the AoR as it is still answers a fetch */
	struct th_req fetch = { .to = ALICE, .call_id = "fetch", .cseq = 1 };
	assert_int_equal(th_send(e, &fetch), 200);
	assert_int_equal(th_header_count(e, "Contact"), i);
	/* and removing one works */
	snprintf(contact, sizeof(contact), "<sip:u0@198.51.100.2;x=%s>;expires=0", pad);
	assert_int_equal(th_register(e, "alice", contact, "fill", cseq++), 200);
	assert_int_equal(th_binding_count(e, ALICE), i - 1);
	assert_null(sr_loc_check(th_loc(e)));
	th_env_free(e);
}

/* --- matching cost --- */

/*
 * An AoR at the cap, all plain contacts: adding one more plain contact (or
 * refreshing one by its exact bytes) parses no stored URI; only a stored
 * binding whose identity hash matches is compared in full (one extra pair
 * of parses for a ";ob" refresh). While the AoR fills, each stored URI is
 * parsed at most once in its life (for its identity hash, the first time
 * another contact is compared with it), not once per REGISTER.
 */
static void test_adding_a_contact_parses_no_stored_uri(void **state)
{
	(void)state;
	struct th_env *e = full_aor_env(SR_MAXC_REJECT);
	unsigned per = SR_SIP_MAX_CONTACTS, cseq = 1, requests = 0;
	/* what a 16-contact REGISTER parses of itself, on an AoR with nothing stored */
	uri_parses = 0;
	assert_int_equal(th_register(e, "bob", contacts("p", 0, per, false), "own", 1), 200);
	unsigned own = uri_parses;
	uri_parses = 0;
	for (unsigned first = 0; first < SR_LOC_MAX_PER_AOR - 1; first += per, requests++) {
		unsigned n = first + per <= SR_LOC_MAX_PER_AOR - 1 ? per : SR_LOC_MAX_PER_AOR - 1 - first;
		assert_int_equal(th_register(e, "alice", contacts("p", first, n, false), "plain", cseq++), 200);
	}
	assert_int_equal(th_binding_count(e, ALICE), SR_LOC_MAX_PER_AOR - 1);
	assert_true(uri_parses <= requests * own + SR_LOC_MAX_PER_AOR - 1);

	/* a new contact: the request's own URIs are the message view's; no stored one is parsed */
	uri_parses = 0;
	assert_int_equal(th_register(e, "alice", "<sip:new@h>", "plain", cseq++), 200);
	unsigned base = uri_parses;
	assert_int_equal(th_binding_count(e, ALICE), SR_LOC_MAX_PER_AOR);
	assert_int_equal(base, 0);

	uri_parses = 0;
	assert_int_equal(th_register(e, "alice", "<sip:p500@h>", "plain", cseq++), 200);
	assert_int_equal(uri_parses, base); /* a byte-identical refresh: no full comparison */

	uri_parses = 0;
	assert_int_equal(th_register(e, "alice", "<sip:p501@h;ob>", "plain", cseq++), 200);
	assert_int_equal(uri_parses, base + 2); /* one confirmed hash match: one full comparison, two URIs */
	assert_int_equal(th_binding_count(e, ALICE), SR_LOC_MAX_PER_AOR);
	th_env_free(e);
}

/* --- shared fields copied per binding --- */

/*
 * Sixteen contacts and a ~60 KB User-Agent: each binding keeps at most
 * SR_REG_STORED_UA_MAX bytes of it (a prefix, cut at a character boundary),
 * so the request costs kilobytes of binding memory, not a megabyte.
 */
static void test_long_user_agent_is_stored_bounded(void **state)
{
	(void)state;
	struct th_env *e = th_env_contacts(16, SR_MAXC_REJECT);
	static char extra[62000];
	size_t n = (size_t)snprintf(extra, sizeof(extra), "User-Agent: ");
	/* "é" (2 bytes) straddles the cut: the stored prefix must end before it */
	memset(extra + n, 'a', SR_REG_STORED_UA_MAX - 1);
	n += SR_REG_STORED_UA_MAX - 1;
	memcpy(extra + n, "\xc3\xa9", 2);
	n += 2;
	memset(extra + n, 'u', 60000 - n);
	n = 60000;
	memcpy(extra + n, "\r\n", 3);
	struct sr_reg_stats before, after;
	sr_reg_get_stats(e->shard, &before);
	static const char *const aors[] = { ALICE, "sip:bob@example.com", "sip:carol@example.com" };
	for (unsigned a = 0; a < 3; a++) {
		struct th_req r = { .to = aors[a], .call_id = "ua", .cseq = 1, .contact = contacts("ua", 0, 16, false),
				    .extra = extra };
		assert_int_equal(th_send(e, &r), 200);
		assert_int_equal(th_binding_count(e, aors[a]), 16);
		for (unsigned i = 0; i < 16; i++) {
			struct sr_loc_binding v;
			sr_loc_view(th_binding(e, aors[a], i), &v);
			assert_int_equal(v.f[SR_BF_USER_AGENT].len, SR_REG_STORED_UA_MAX - 1);
			assert_memory_equal(v.f[SR_BF_USER_AGENT].p, extra + 12, SR_REG_STORED_UA_MAX - 1);
		}
	}
	sr_reg_get_stats(e->shard, &after);
	/* the slab grows by whole 2 MB chunks: 48 copies of 60 KB would have taken a second one */
	assert_true(after.binding_bytes - before.binding_bytes <= (2u << 20));
	th_env_free(e);
}

/* Path is routing data, stored whole per binding: over max_path_len it is refused, not copied. */
static void test_long_path_is_refused(void **state)
{
	(void)state;
	struct th_env *e = th_env_contacts(16, SR_MAXC_REJECT);
	static char extra[4096];
	char pad[141];
	memset(pad, 'x', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	size_t n = 0;
	for (unsigned i = 0; i < 8; i++) /* 8 hops (the message view keeps 8) of ~170 bytes: over 1024 */
		n += (size_t)snprintf(extra + n, sizeof(extra) - n, "Path: <sip:edge%u.example.com;lr;%s>\r\n", i, pad);
	struct th_req r = { .to = ALICE, .call_id = "path", .cseq = 1, .contact = "<sip:a@198.51.100.2>",
			    .extra = extra };
	assert_int_equal(th_send(e, &r), 400);
	assert_string_equal(th_reason(e), "Path Too Long (max_path_len)");
	assert_int_equal(th_binding_count(e, ALICE), 0);
	assert_int_equal(e->n_events, 0);
	/* a few hops are fine */
	struct th_req ok = { .to = ALICE, .call_id = "path", .cseq = 2, .contact = "<sip:a@198.51.100.2>",
			     .extra = "Path: <sip:edge1.example.com;lr>, <sip:edge2.example.com;lr>\r\n" };
	assert_int_equal(th_send(e, &ok), 200);
	assert_string_equal(th_field(th_binding(e, ALICE, 0), SR_BF_PATH),
			    "<sip:edge1.example.com;lr>, <sip:edge2.example.com;lr>");
	th_env_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shard_refuses_unlimited_and_above_cap),
		cmocka_unit_test(test_cap_holds_under_instance_flood),
		cmocka_unit_test(test_cap_in_force_mode),
		cmocka_unit_test(test_200_that_does_not_fit_changes_nothing),
		cmocka_unit_test(test_adding_a_contact_parses_no_stored_uri),
		cmocka_unit_test(test_long_user_agent_is_stored_bounded),
		cmocka_unit_test(test_long_path_is_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
