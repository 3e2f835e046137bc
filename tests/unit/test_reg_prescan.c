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

#include "sip_uri_cmp.h"

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
	struct sr_reg_owner o;
	struct sr_sip_scan scan;
	assert_int_equal(sr_reg_prescan(msg, len, &e->cfg, &e->prescan_arena, &scan, &o), 0);
	uint64_t hash = o.hash;
	assert_true(scan.flags & SR_SCAN_OWNER);
	assert_int_equal(scan.owner_key, (uint32_t)hash);
	assert_int_equal(th_raw(e, msg, len), 200);
	const struct sr_aor *a = th_aor(e, canonical);
	assert_non_null(a);
	assert_true(hash == sr_hash64(a->name, a->len));
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
	assert_null(th_aor(e, "sip:alice@example.com"));
}

/* Another request is owned by its Request-URI's AoR. */
static void other_requests_by_request_uri(void **state)
{
	struct th_env *e = *state;
	static const char options[] = "OPTIONS sip:Ivy@EXAMPLE.com SIP/2.0\r\n"
				      "Via: SIP/2.0/UDP 198.51.100.2;branch=z9hG4bK-o\r\n"
				      "To: <sip:other@example.com>\r\n\r\n";
	struct sr_reg_owner o;
	struct sr_sip_scan scan;
	assert_int_equal(sr_reg_prescan(options, strlen(options), &e->cfg, &e->prescan_arena, &scan, &o), 0);
	assert_true(o.hash == sr_hash64("sip:Ivy@example.com", strlen("sip:Ivy@example.com")));
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
	struct sr_reg_stats st;
	sr_reg_get_stats(e->shard, &st);
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
	assert_true(e->res.aor_hash == sr_hash64("sip:kate@example.com", strlen("sip:kate@example.com")));
	assert_int_equal(e->n_events, 0);
	assert_null(th_aor(e, "sip:kate@example.com"));
	e->owns = NULL;
	assert_int_equal(th_raw(e, msg, len), 200);
}

/*
 * Routing (issue 12): the owner pre-scan names the Request-URI's AoR for any
 * request but REGISTER (the same hash a REGISTER for it gets, so the INVITE
 * reaches its bindings), the URI's identity hash when it has no AoR, and a
 * response's top Via branch.
 */
static void route_owner_by_request_uri(void **state)
{
	struct th_env *e = *state;
	struct sr_sip_scan scan;
	struct sr_reg_owner o;
	static const char invite[] = "\r\nINVITE sip:%61lice@EXAMPLE.com;user=phone SIP/2.0\r\n"
				     "Via: SIP/2.0/UDP 198.51.100.2;branch=z9hG4bK-1\r\n"
				     "To: <sip:someone-else@example.com>\r\n\r\n";
	assert_int_equal(sr_reg_prescan(invite, strlen(invite), &e->cfg, &e->prescan_arena, &scan, &o), 0);
	assert_int_equal(scan.flags & (SR_SCAN_REQUEST | SR_SCAN_REGISTER | SR_SCAN_RESPONSE), SR_SCAN_REQUEST);
	assert_true(o.hash == sr_hash64("sip:alice@example.com", 21));
	assert_true(scan.owner_key == (uint32_t)o.hash);
	/* a domain alone is an AoR too */
	static const char options[] = "OPTIONS sip:EXAMPLE.com SIP/2.0\r\n\r\n";
	assert_int_equal(sr_reg_prescan(options, strlen(options), &e->cfg, &e->prescan_arena, &scan, &o), 0);
	assert_true(o.hash == sr_hash64("sip:example.com", 15));
	/* no AoR (a tel: URI): the URI's identity hash, still one owner for the INVITE and its CANCEL */
	static const char cancel[] = "CANCEL tel:+15551234 SIP/2.0\r\n\r\n";
	assert_int_equal(sr_reg_prescan(cancel, strlen(cancel), &e->cfg, &e->prescan_arena, &scan, &o), 0);
	assert_true(o.hash == sr_uri_hash_str("tel:+15551234", 13));

	static const char reg[] = "REGISTER sip:example.com SIP/2.0\r\n\r\n";
	sr_reg_prescan(reg, strlen(reg), &e->cfg, &e->prescan_arena, &scan, &o);
	assert_true(scan.flags & SR_SCAN_REGISTER);
	static const char resp[] = "SIP/2.0 180 Ringing\r\nFrom: <sip:a@example.com>;tag=1\r\n"
				   "v: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bKsr03abc, SIP/2.0/UDP h;branch=z9hG4bK-up\r\n"
				   "Via: SIP/2.0/UDP x;branch=z9hG4bK-low\r\n\r\n";
	assert_int_equal(sr_reg_prescan(resp, strlen(resp), &e->cfg, &e->prescan_arena, &scan, &o), 0);
	assert_true(scan.flags & SR_SCAN_RESPONSE);
	assert_true(sr_str_eq(sr_str_make(o.branch, o.branch_len), SR_STR_LIT("z9hG4bKsr03abc")));
	static const char no_branch[] = "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 198.51.100.1\r\n\r\n"; /* fuzz_reg_auth */
	assert_int_equal(sr_reg_prescan(no_branch, strlen(no_branch), &e->cfg, &e->prescan_arena, &scan, &o), 0);
	assert_int_equal(o.branch_len, 0);
	static const char lower[] = "register sip:x SIP/2.0\r\n\r\n"; /* method names are case-sensitive */
	sr_reg_prescan(lower, strlen(lower), &e->cfg, &e->prescan_arena, &scan, &o);
	assert_false(scan.flags & SR_SCAN_REGISTER);
	assert_int_equal(sr_reg_prescan("garbage", 7, &e->cfg, &e->prescan_arena, &scan, &o), -1);
}

/*
 * RFC 8599: the pn-purr of a Request-URI is copied for dispatch when it has
 * our length, whatever its spelling of the parameter name; not from a
 * REGISTER, nor from a Request-URI naming a user of a served domain (that
 * one is looked up by its AoR, at the AoR's owner).
 */
static void purr_of_the_request_uri(void **state)
{
	struct th_env *e = *state;
	struct sr_sip_scan scan;
	struct sr_reg_owner o;
	static const char info[] = "INFO sip:pat@198.51.100.2:5140;pn-prid=t;PN-PURR=8d1000000000000000010e79da27b71e "
				   "SIP/2.0\r\nVia: SIP/2.0/UDP 198.51.100.2;branch=z9hG4bK-1\r\n\r\n";
	assert_int_equal(sr_reg_prescan(info, strlen(info), &e->cfg, &e->prescan_arena, &scan, &o), 0);
	assert_true(sr_str_eq(sr_str_make(o.purr, o.purr_len), SR_STR_LIT("8d1000000000000000010e79da27b71e")));
	assert_true(o.hash == sr_hash64("sip:pat@198.51.100.2", 20)); /* the usual owner is still computed */
	static const char shorter[] = "BYE sip:pat@198.51.100.2;pn-purr=8d10 SIP/2.0\r\n\r\n";
	assert_int_equal(sr_reg_prescan(shorter, strlen(shorter), &e->cfg, &e->prescan_arena, &scan, &o), 0);
	assert_int_equal(o.purr_len, 0);
	static const char served[] = "INVITE sip:pat@example.com;pn-purr=8d1000000000000000010e79da27b71e SIP/2.0\r\n\r\n";
	assert_int_equal(sr_reg_prescan(served, strlen(served), &e->cfg, &e->prescan_arena, &scan, &o), 0);
	assert_int_equal(o.purr_len, 0);
	static const char reg[] = "REGISTER sip:198.51.100.1;pn-purr=8d1000000000000000010e79da27b71e SIP/2.0\r\n"
				  "To: <sip:pat@example.com>\r\n\r\n";
	sr_reg_prescan(reg, strlen(reg), &e->cfg, &e->prescan_arena, &scan, &o);
	assert_int_equal(o.purr_len, 0);
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
		cmocka_unit_test_setup_teardown(route_owner_by_request_uri, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(purr_of_the_request_uri, th_setup, th_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
