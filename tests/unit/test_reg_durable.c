/*
 * test_reg_durable.c - a change is made only when its events can be
 * stored, and with durability=sync it can be retracted (issue 15 items 5
 * and 6; lib/location's room claim, lib/registrar's retraction).
 *
 * - Room refused: a new binding, a refresh and a de-registration each get
 *   500 with Retry-After and change nothing (no event, the old binding as
 *   it was, the store's invariants hold); room granted: one claim per event.
 * - sr_loc_remove claims room for every removal first: refused, nothing goes.
 * - With retraction, a change's 200 is followed in the buffer by its 500
 *   (same Call-ID, CSeq and To-tag, Retry-After); a fetch has none; a change
 *   whose two answers do not fit is not made; with sync replication a 503
 *   (the replica refused) follows the 500, and all three must fit.
 * - sr_loc_forget drops an AoR's bindings without an event and a restore
 *   puts the stored state back (the resync after a failed commit).
 */
#include "reg_harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALICE "sip:alice@example.com"

static void assert_not_stored(struct th_env *e)
{
	assert_int_equal(e->res.status, 500);
	assert_string_equal(th_reason(e), "Binding Change Not Stored");
	assert_string_equal(th_header(e, "Retry-After", 0), "30");
	assert_int_equal(e->res.events, 0);
}

static void test_no_room_changes_nothing(void **state)
{
	(void)state;
	struct th_env *e = th_env_durable(0, false);
	assert_non_null(e);
	assert_int_equal(th_register(e, "alice", "<sip:a@198.51.100.2>;expires=600", "c1", 1), 500);
	assert_not_stored(e);
	assert_null(th_aor(e, ALICE));
	assert_int_equal(e->n_events, 0);

	e->room = 1; /* one event: the addition */
	assert_int_equal(th_register(e, "alice", "<sip:a@198.51.100.2>;expires=600", "c1", 2), 200);
	assert_int_equal(e->claims, 1);
	uint32_t expires = sr_binding_expires(th_binding(e, ALICE, 0));

	/* a refresh and a removal without room: the binding stays exactly as it was */
	e->now_ms += 5000;
	assert_int_equal(th_register(e, "alice", "<sip:a@198.51.100.2>;expires=900", "c1", 3), 500);
	assert_not_stored(e);
	assert_int_equal(sr_binding_expires(th_binding(e, ALICE, 0)), expires);
	assert_int_equal(th_register(e, "alice", "<sip:a@198.51.100.2>;expires=0", "c1", 4), 500);
	assert_int_equal(th_binding_count(e, ALICE), 1);
	assert_int_equal(e->n_events, 1);

	/* a REGISTER of two contacts with room for one: neither is added */
	e->room = 1;
	struct th_req two = { .to = ALICE, .call_id = "c2", .cseq = 1,
			      .contact = "<sip:b@198.51.100.2>, <sip:c@198.51.100.2>" };
	assert_int_equal(th_send(e, &two), 500);
	assert_int_equal(th_binding_count(e, ALICE), 1);
	assert_null(sr_loc_check(th_loc(e)));

	/* with room: one claim per event, Contact: * counts each removal */
	e->room = 100;
	e->claims = 0;
	two.cseq = 2;
	assert_int_equal(th_send(e, &two), 200);
	assert_int_equal(e->claims, 2);
	struct th_req star = { .to = ALICE, .call_id = "c3", .cseq = 1, .contact = "*", .extra = "Expires: 0\r\n" };
	e->claims = 0;
	e->n_events = 0;
	assert_int_equal(th_send(e, &star), 200);
	assert_int_equal(e->claims, 3);
	assert_int_equal(e->n_events, 3);
	assert_null(th_aor(e, ALICE));
	th_env_free(e);
}

static void test_remove_claims_first(void **state)
{
	(void)state;
	struct th_env *e = th_env_durable(10, false);
	assert_non_null(e);
	assert_int_equal(th_register(e, "alice", "<sip:a@198.51.100.2>", "c1", 1), 200);
	assert_int_equal(th_register(e, "alice", "<sip:b@198.51.100.2>", "c1", 2), 200);
	e->room = 1;
	e->n_events = 0;
	assert_int_equal(sr_loc_remove(th_loc(e), SR_STR_LIT(ALICE), SR_STR_NULL), -1);
	assert_int_equal(th_binding_count(e, ALICE), 2);
	assert_int_equal(e->n_events, 0);
	e->room = 2;
	assert_int_equal(sr_loc_remove(th_loc(e), SR_STR_LIT(ALICE), SR_STR_NULL), 2);
	assert_int_equal(e->n_events, 2);
	assert_null(sr_loc_check(th_loc(e)));
	th_env_free(e);
}

static void test_retraction_follows_the_200(void **state)
{
	(void)state;
	struct th_env *e = th_env_durable(100, true);
	assert_non_null(e);
	assert_int_equal(th_register(e, "alice", "<sip:a@198.51.100.2>", "c1", 7), 200);
	size_t len = e->res.len, rlen = e->res.retraction_len;
	assert_true(rlen > 0);
	char *ack = strndup(e->resp, len), *retr = strndup(e->retraction, rlen);
	assert_non_null(strstr(retr, "SIP/2.0 500 Binding Change Not Stored\r\n"));
	assert_non_null(strstr(retr, "\r\nRetry-After: 30\r\n"));
	assert_non_null(strstr(retr, "\r\nCSeq: 7 REGISTER\r\n"));
	assert_null(strstr(retr, "Contact:"));
	/* the same dialog headers as the 200 (To-tag included): the UA matches either */
	const char *to = strstr(ack, "\r\nTo: ");
	assert_non_null(to);
	char *to_line = strndup(to, (size_t)(strstr(to + 2, "\r\n") - to));
	assert_non_null(strstr(retr, to_line));
	free(to_line);
	free(ack);
	free(retr);

	/* a fetch changes nothing: nothing to retract */
	struct th_req fetch = { .to = ALICE, .call_id = "f1", .cseq = 1 };
	assert_int_equal(th_send(e, &fetch), 200);
	assert_int_equal(e->res.retraction_len, 0);

	/* the 200 fits but not its retraction: the change is not made */
	e->now_ms += 1000;
	assert_int_equal(th_register(e, "alice", "<sip:a@198.51.100.2>", "c1", 8), 200);
	e->resp_cap = e->res.len + 40;
	e->n_events = 0;
	assert_int_equal(th_register(e, "alice", "<sip:b@198.51.100.2>", "c1", 9), 500);
	assert_int_equal(e->n_events, 0);
	assert_int_equal(th_binding_count(e, ALICE), 1);
	th_env_free(e);
}

/* Sync replication: a second retraction, the 503 for the replica's refusal, behind the store's 500. */
static void test_replica_retraction_follows(void **state)
{
	(void)state;
	struct th_env *e = th_env_durable_replica(100);
	assert_non_null(e);
	assert_int_equal(th_register(e, "alice", "<sip:a@198.51.100.2>", "c1", 7), 200);
	assert_true(e->res.retraction_len > 0 && e->res.retraction_replica_len > 0);
	assert_non_null(strstr(e->retraction, "SIP/2.0 500 Binding Change Not Stored\r\n"));
	const char *rr = e->retraction_replica;
	assert_ptr_equal(strstr(rr, "SIP/2.0 503 Binding Change Not Replicated\r\n"), rr);
	assert_non_null(strstr(rr, "\r\nRetry-After: 30\r\n"));
	assert_non_null(strstr(rr, "\r\nCSeq: 7 REGISTER\r\n"));
	assert_null(strstr(rr, "Contact:"));
	assert_null(strstr(rr + 1, "\r\nSIP/2.0 ")); /* exactly one response */

	/* a fetch: neither */
	struct th_req fetch = { .to = ALICE, .call_id = "f1", .cseq = 1 };
	assert_int_equal(th_send(e, &fetch), 200);
	assert_int_equal(e->res.retraction_len, 0);
	assert_int_equal(e->res.retraction_replica_len, 0);

	/* the 200 and the 500 fit, the 503 does not: the change is not made */
	e->now_ms += 1000;
	assert_int_equal(th_register(e, "alice", "<sip:a@198.51.100.2>", "c1", 8), 200);
	e->resp_cap = e->res.len + e->res.retraction_len + 40;
	e->n_events = 0;
	assert_int_equal(th_register(e, "alice", "<sip:b@198.51.100.2>", "c1", 9), 500);
	assert_int_equal(e->n_events, 0);
	assert_int_equal(th_binding_count(e, ALICE), 1);
	th_env_free(e);
}

static void test_forget_then_restore(void **state)
{
	struct th_env *e = *state;
	assert_int_equal(th_register(e, "alice", "<sip:a@198.51.100.2>", "c1", 1), 200);
	struct sr_loc_binding committed;
	sr_loc_view(th_binding(e, ALICE, 0), &committed);
	char contact[64];
	snprintf(contact, sizeof(contact), "%.*s", (int)committed.f[SR_BF_CONTACT].len, committed.f[SR_BF_CONTACT].p);
	char aor[64];
	snprintf(aor, sizeof(aor), "%.*s", (int)committed.aor.len, committed.aor.p);
	committed.f[SR_BF_CONTACT] = sr_str_cstr(contact);
	committed.aor = sr_str_cstr(aor);
	for (int i = 0; i < SR_BF_COUNT; i++)
		if (i != SR_BF_CONTACT)
			committed.f[i] = SR_STR_NULL;
	/* a change the store did not keep: a second binding */
	assert_int_equal(th_register(e, "alice", "<sip:b@198.51.100.2>", "c1", 2), 200);
	e->n_events = 0;
	assert_int_equal(sr_loc_forget(th_loc(e), SR_STR_LIT(ALICE)), 2);
	assert_null(th_aor(e, ALICE));
	assert_int_equal(sr_loc_restore(th_loc(e), &committed, (uint32_t)(e->now_ms / 1000)), SR_RESTORE_OK);
	assert_int_equal(e->n_events, 0); /* nothing announced: nothing to store */
	assert_int_equal(th_binding_count(e, ALICE), 1);
	assert_string_equal(th_field(th_binding(e, ALICE, 0), SR_BF_CONTACT), "sip:a@198.51.100.2");
	assert_int_equal(sr_loc_forget(th_loc(e), SR_STR_LIT("sip:nobody@example.com")), 0);
	assert_null(sr_loc_check(th_loc(e)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_room_changes_nothing),
		cmocka_unit_test(test_remove_claims_first),
		cmocka_unit_test(test_retraction_follows_the_200),
		cmocka_unit_test(test_replica_retraction_follows),
		cmocka_unit_test_setup_teardown(test_forget_then_restore, th_setup, th_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
