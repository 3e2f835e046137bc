/*
 * test_reg_prescan.c - the data plane's owner hash equals the shard's AoR hash.
 *
 * If sr_reg_prescan_hash() and the shard disagreed for some spelling of a To
 * header, one AoR's bindings would be split across workers. Each case sends
 * the same bytes to the shard and to the pre-scan and compares the hash of
 * the AoR record the shard created with the pre-scan's answer.
 */
#include "reg_harness.h"

#include <stdio.h>
#include <string.h>

static char msg[4096];

/* A REGISTER whose To header line is exactly to_line (with its name and CRLF). */
static size_t request(const char *to_line, const char *call_id)
{
	int n = snprintf(msg, sizeof(msg),
			 "REGISTER sip:example.com SIP/2.0\r\n"
			 "Via: SIP/2.0/UDP 198.51.100.2:5060;branch=z9hG4bK-%s\r\n"
			 "From: <sip:x@example.com>;tag=1\r\n"
			 "%s"
			 "Call-ID: %s\r\n"
			 "CSeq: 1 REGISTER\r\n"
			 "Contact: <sip:c@198.51.100.2>\r\n"
			 "Content-Length: 0\r\n\r\n",
			 call_id, to_line, call_id);
	return (size_t)n;
}

static void same_owner(struct th_env *e, const char *to_line, const char *canonical)
{
	static unsigned calls;
	char cid[32];
	snprintf(cid, sizeof(cid), "prescan-%u", calls++);
	size_t len = request(to_line, cid);
	assert_int_equal(th_raw(e, msg, len), 200);
	const struct sr_aor *a = th_aor(e, canonical);
	assert_non_null(a);

	struct sr_arena arena;
	assert_int_equal(sr_arena_init(&arena, 64 * 1024), 0);
	uint64_t hash = 0;
	assert_int_equal(sr_reg_prescan_hash(msg, len, &e->cfg, &arena, &hash), 0);
	assert_true(hash == sr_hash64(a->name, a->len));
	sr_arena_fini(&arena);
}

static void spellings_agree(void **state)
{
	struct th_env *e = *state;
	same_owner(e, "To: <sip:alice@example.com>\r\n", "sip:alice@example.com");
	same_owner(e, "t: sip:bob@EXAMPLE.com;tag=9\r\n", "sip:bob@example.com");
	same_owner(e, "TO : \"Carol, C.\" <sip:%63arol@Example.COM:5070;user=phone>\r\n", "sip:carol@example.com");
	same_owner(e, "To: \"Dave\"\r\n <sip:dave@example.com>\r\n", "sip:dave@example.com");
	same_owner(e, "To: <sips:erin@example.com>\r\n", "sips:erin@example.com");
}

static void realm_prefix_agrees(void **state)
{
	(void)state;
	struct sr_reg_config cfg;
	th_default_config(&cfg);
	snprintf(cfg.realm_prefix, sizeof(cfg.realm_prefix), "sip.");
	struct th_env *e = th_env_new(&cfg, NULL);
	assert_non_null(e);
	same_owner(e, "To: <sip:frank@sip.example.com>\r\n", "sip:frank@example.com");
	th_env_free(e);
}

static void unusable_to_has_no_owner(void **state)
{
	struct th_env *e = *state;
	struct sr_arena arena;
	assert_int_equal(sr_arena_init(&arena, 64 * 1024), 0);
	uint64_t hash = 0;
	size_t len = request("", "none");
	assert_int_equal(sr_reg_prescan_hash(msg, len, &e->cfg, &arena, &hash), -1);
	len = request("To: <sip:alice@example.com\r\n", "open");
	assert_int_equal(sr_reg_prescan_hash(msg, len, &e->cfg, &arena, &hash), -1);
	len = request("To: <tel:+15551234>\r\n", "tel");
	assert_int_equal(sr_reg_prescan_hash(msg, len, &e->cfg, &arena, &hash), -1);
	sr_arena_fini(&arena);
}

/* Routing on (issue 12): a request's owner is its Request-URI's AoR, the same hash a REGISTER for it gets. */
static void route_owner_by_request_uri(void **state)
{
	struct th_env *e = *state;
	struct sr_arena arena;
	assert_int_equal(sr_arena_init(&arena, 64 * 1024), 0);
	struct sr_reg_route_key k;
	static const char invite[] = "\r\nINVITE sip:%61lice@EXAMPLE.com;user=phone SIP/2.0\r\n"
				     "Via: SIP/2.0/UDP 198.51.100.2;branch=z9hG4bK-1\r\n"
				     "To: <sip:someone-else@example.com>\r\n\r\n";
	assert_int_equal(sr_reg_prescan_route(invite, strlen(invite), &e->cfg, &arena, &k), 0);
	assert_int_equal(k.kind, SR_PRESCAN_REQUEST);
	assert_true(k.hash == sr_hash64("sip:alice@example.com", 21));
	/* no canonical AoR (a tel: URI): the raw Request-URI, still one owner for the INVITE and its CANCEL */
	static const char tel[] = "CANCEL tel:+15551234 SIP/2.0\r\n\r\n";
	assert_int_equal(sr_reg_prescan_route(tel, strlen(tel), &e->cfg, &arena, &k), 0);
	assert_true(k.hash == sr_hash64("tel:+15551234", 13));

	static const char reg[] = "REGISTER sip:example.com SIP/2.0\r\n\r\n";
	assert_int_equal(sr_reg_prescan_route(reg, strlen(reg), &e->cfg, &arena, &k), 0);
	assert_int_equal(k.kind, SR_PRESCAN_REGISTER);
	static const char resp[] = "SIP/2.0 180 Ringing\r\nFrom: <sip:a@example.com>;tag=1\r\n"
				   "v: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bKsr03abc, SIP/2.0/UDP h;branch=z9hG4bK-up\r\n"
				   "Via: SIP/2.0/UDP x;branch=z9hG4bK-low\r\n\r\n";
	assert_int_equal(sr_reg_prescan_route(resp, strlen(resp), &e->cfg, &arena, &k), 0);
	assert_int_equal(k.kind, SR_PRESCAN_RESPONSE);
	assert_true(sr_str_eq(k.branch, SR_STR_LIT("z9hG4bKsr03abc")));
	assert_int_equal(sr_reg_prescan_kind("register sip:x SIP/2.0\r\n", 24), SR_PRESCAN_REQUEST); /* case matters */
	assert_int_equal(sr_reg_prescan_route("garbage", 7, &e->cfg, &arena, &k), -1);
	sr_arena_fini(&arena);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(spellings_agree, th_setup, th_teardown),
		cmocka_unit_test(realm_prefix_agrees),
		cmocka_unit_test_setup_teardown(unusable_to_has_no_owner, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(route_owner_by_request_uri, th_setup, th_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
