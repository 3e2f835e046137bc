/*
 * test_reg_prescan.c - the data plane's owner equals the shard's AoR owner.
 *
 * If sr_reg_prescan() and the shard disagreed for some spelling of a
 * request, one AoR's bindings would be split across workers (issue 15 item
 * 2). Each case sends the same bytes to the pre-scan and to the shard and
 * compares the pre-scan's hash with the hash of the AoR record the shard
 * created (the harness also checks it on every request of every suite).
 * Then: what the pre-scan found lets the owner resume, and a request whose
 * full parse finds another owner is not processed but handed on.
 */
#include "reg_harness.h"

#include <stdio.h>
#include <string.h>

static char msg[4096];

/* A REGISTER whose To header line is exactly to_line (with its name and CRLF), after prefix. */
static size_t request_after(const char *prefix, const char *to_line, const char *call_id)
{
	int n = snprintf(msg, sizeof(msg),
			 "%s"
			 "REGISTER sip:example.com SIP/2.0\r\n"
			 "Via: SIP/2.0/UDP 198.51.100.2:5060;branch=z9hG4bK-%s\r\n"
			 "From: <sip:x@example.com>;tag=1\r\n"
			 "%s"
			 "Call-ID: %s\r\n"
			 "CSeq: 1 REGISTER\r\n"
			 "Contact: <sip:c@198.51.100.2>\r\n"
			 "Content-Length: 0\r\n\r\n",
			 prefix, call_id, to_line, call_id);
	return (size_t)n;
}

static size_t request(const char *to_line, const char *call_id)
{
	return request_after("", to_line, call_id);
}

static void same_owner_bytes(struct th_env *e, size_t len, const char *canonical)
{
	uint64_t hash = 0;
	struct sr_sip_scan scan;
	assert_int_equal(sr_reg_prescan(msg, len, &e->cfg, &e->prescan_arena, &scan, &hash), 0);
	assert_true(scan.flags & SR_SCAN_OWNER);
	assert_int_equal(scan.owner_key, (uint32_t)hash);
	assert_int_equal(th_raw(e, msg, len), 200);
	const struct sr_aor *a = sr_shard_find(e->shard, sr_str_cstr(canonical));
	assert_non_null(a);
	assert_true(hash == a->hash);
	assert_true(e->res.has_aor && e->res.aor_hash == hash);
}

static void same_owner(struct th_env *e, const char *to_line, const char *canonical)
{
	static unsigned calls;
	char cid[32];
	snprintf(cid, sizeof(cid), "prescan-%u", calls++);
	same_owner_bytes(e, request(to_line, cid), canonical);
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

/*
 * Issue 15 item 2: a REGISTER after CRLFCRLF (RFC 3261 7.5) and one whose To
 * display name holds a quoted-pair NUL were not placed by the old pre-scan
 * and were processed wherever they arrived.
 */
static void crlf_prefix_and_quoted_nul_agree(void **state)
{
	struct th_env *e = *state;
	same_owner_bytes(e, request_after("\r\n\r\n", "To: <sip:gina@example.com>\r\n", "crlf"),
			 "sip:gina@example.com");
	size_t len = request("To: \"x\\#\" <sip:hank@example.com>\r\n", "quoted-nul");
	*strchr(msg, '#') = '\0';
	same_owner_bytes(e, len, "sip:hank@example.com");
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
	struct sr_sip_scan scan;
	size_t len = request("", "none");
	assert_int_equal(sr_reg_prescan(msg, len, &e->cfg, &e->prescan_arena, &scan, NULL), -1);
	assert_false(scan.flags & SR_SCAN_OWNER);
	len = request("To: <sip:alice@example.com\r\n", "open");
	assert_int_equal(sr_reg_prescan(msg, len, &e->cfg, &e->prescan_arena, &scan, NULL), -1);
	len = request("To: <tel:+15551234>\r\n", "tel");
	assert_int_equal(sr_reg_prescan(msg, len, &e->cfg, &e->prescan_arena, &scan, NULL), -1);
	/* issue 15 item 10: a malformed escape is no owner, and the request gets 400, no binding */
	len = request("To: <sip:alice%zz@example.com>\r\n", "esc");
	assert_int_equal(sr_reg_prescan(msg, len, &e->cfg, &e->prescan_arena, &scan, NULL), -1);
	assert_int_equal(th_raw(e, msg, len), 400);
	assert_null(sr_shard_find(e->shard, SR_STR_LIT("sip:alice@example.com")));
}

/* Another request is owned by its Request-URI's AoR. */
static void other_requests_by_request_uri(void **state)
{
	struct th_env *e = *state;
	static const char options[] = "OPTIONS sip:Ivy@EXAMPLE.com SIP/2.0\r\n"
				      "Via: SIP/2.0/UDP 198.51.100.2;branch=z9hG4bK-o\r\n"
				      "To: <sip:other@example.com>\r\n\r\n";
	uint64_t hash = 0;
	struct sr_sip_scan scan;
	assert_int_equal(sr_reg_prescan(options, strlen(options), &e->cfg, &e->prescan_arena, &scan, &hash), 0);
	assert_true(hash == sr_aor_hash("sip:Ivy@example.com", strlen("sip:Ivy@example.com")));
}

/* The owner resumes from the pre-scan: the same answer as a fresh parse, on the same path. */
static void resumed_parse_answers_the_same(void **state)
{
	struct th_env *e = *state;
	static char fresh[4096];
	size_t len = request("To: <sip:jack@example.com>\r\n", "resume");
	struct sr_reg_result res;
	sr_reg_process(e->shard, msg, len, &e->src, e->now_ms, fresh, sizeof(fresh), &res);
	assert_int_equal(res.status, 200);
	assert_int_equal(th_raw(e, msg, len), 200); /* a retransmission: answered from state, same bytes */
	assert_int_equal(e->res.len, res.len);
	assert_memory_equal(e->resp, fresh, res.len);
	assert_true(e->scan.flags & SR_SCAN_LINES);
	assert_int_equal(e->scan.n_lines, 3); /* Via, From, To */
	struct sr_shard_stats st;
	sr_shard_get_stats(e->shard, &st);
	assert_int_equal(st.parsed_fast, th_libosip2_only() ? 0 : 2);
	/* the owner resumed from the record instead of walking the recorded lines again (not the fresh parse) */
	assert_int_equal(st.parsed_resumed, th_libosip2_only() ? 0 : 1);
}

static bool owns_nothing(struct th_env *e, uint64_t aor_hash)
{
	(void)e, (void)aor_hash;
	return false;
}

/*
 * Issue 15 item 2: a request whose full parse finds an AoR this shard does
 * not own is not processed here (no binding, no answer, no auth state) but
 * handed back with the owner's hash.
 */
static void not_owner_is_handed_on(void **state)
{
	struct th_env *e = *state;
	e->owns = owns_nothing;
	size_t len = request("To: <sip:kate@example.com>\r\n", "other-shard");
	assert_int_equal(th_raw(e, msg, len), 0);
	assert_int_equal(e->res.drop, SR_DROP_NOT_OWNER);
	assert_true(e->res.aor_hash == sr_aor_hash("sip:kate@example.com", strlen("sip:kate@example.com")));
	assert_int_equal(e->n_events, 0);
	assert_null(sr_shard_find(e->shard, SR_STR_LIT("sip:kate@example.com")));
	e->owns = NULL;
	assert_int_equal(th_raw(e, msg, len), 200);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(spellings_agree, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(crlf_prefix_and_quoted_nul_agree, th_setup, th_teardown),
		cmocka_unit_test(realm_prefix_agrees),
		cmocka_unit_test_setup_teardown(unusable_to_has_no_owner, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(other_requests_by_request_uri, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(resumed_parse_answers_the_same, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(not_owner_is_handed_on, th_setup, th_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
