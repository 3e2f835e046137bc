/*
 * test_reg_tgruu.c - temporary GRUUs that carry their AoR encrypted
 * (lib/registrar/reg_tgruu.h): the AoR reads back only under the same
 * secret, a changed or foreign user part names no AoR we issued, and a
 * request for the GRUU the registrar handed out is owned where the AoR is.
 */
#include "reg_harness.h"

#include <stdio.h>
#include <string.h>

#include "reg_tgruu.h"
#include "sip_uri.h"

#define ALICE "sip:alice@example.com"

static size_t user_of(const struct sr_tgruu_keys *k, const char *aor, const char *cid, char *out, size_t cap)
{
	return sr_tgruu_user(k, sr_str_cstr(aor), SR_STR_LIT("<urn:uuid:0001>"), sr_str_cstr(cid), out, cap);
}

static void reads_back_under_its_secret_only(void **state)
{
	(void)state;
	struct sr_tgruu_keys k, other;
	sr_tgruu_keys_from(42, &k);
	sr_tgruu_keys_from(43, &other);
	char user[SR_TGRUU_MAX_USER], aor[SR_TGRUU_MAX_AOR];
	size_t ul = user_of(&k, ALICE, "c1", user, sizeof(user)), len = 0;
	assert_int_equal(ul, strlen("tgruu.") + 16 + 2 * strlen(ALICE));
	assert_null(memmem(user, ul, "alice", 5));
	assert_true(sr_tgruu_aor(&k, sr_str_make(user, ul), aor, sizeof(aor), &len));
	assert_int_equal(len, strlen(ALICE));
	assert_memory_equal(aor, ALICE, len);
	/* another node's secret reads something that is not a SIP AoR (or not this one) */
	bool read = sr_tgruu_aor(&other, sr_str_make(user, ul), aor, sizeof(aor), &len);
	assert_false(read && len == strlen(ALICE) && memcmp(aor, ALICE, len) == 0);
	/* the same binding, the same GRUU; another Call-ID (a reboot), another one */
	char again[SR_TGRUU_MAX_USER], reboot[SR_TGRUU_MAX_USER];
	assert_int_equal(user_of(&k, ALICE, "c1", again, sizeof(again)), ul);
	assert_memory_equal(again, user, ul);
	assert_int_equal(user_of(&k, ALICE, "c2", reboot, sizeof(reboot)), ul);
	assert_memory_not_equal(reboot, user, ul);
}

static void refuses_what_it_did_not_write(void **state)
{
	(void)state;
	struct sr_tgruu_keys k;
	sr_tgruu_keys_from(42, &k);
	char user[SR_TGRUU_MAX_USER], aor[SR_TGRUU_MAX_AOR];
	size_t ul = user_of(&k, ALICE, "c1", user, sizeof(user)), len;
	/* a changed first byte of the AoR's cipher text: no longer "sip:" */
	char bad[SR_TGRUU_MAX_USER];
	memcpy(bad, user, ul);
	bad[22] = bad[22] == '0' ? '1' : '0';
	assert_false(sr_tgruu_aor(&k, sr_str_make(bad, ul), aor, sizeof(aor), &len));
	/* upper-case hex, an odd length, a short one, another prefix */
	memcpy(bad, user, ul);
	for (size_t i = 6; i < ul; i++)
		if (bad[i] >= 'a' && bad[i] <= 'f')
			bad[i] = (char)(bad[i] - 'a' + 'A');
	assert_false(sr_tgruu_aor(&k, sr_str_make(bad, ul), aor, sizeof(aor), &len));
	assert_false(sr_tgruu_aor(&k, sr_str_make(user, ul - 1), aor, sizeof(aor), &len));
	assert_false(sr_tgruu_aor(&k, SR_STR_LIT("tgruu.0123"), aor, sizeof(aor), &len));
	assert_false(sr_tgruu_aor(&k, sr_str_make(user + 1, ul - 1), aor, sizeof(aor), &len));
	/* an AoR too long to carry gets none (the 200 then lists the public GRUU alone) */
	char longaor[SR_TGRUU_MAX_AOR + 32];
	memset(longaor, 'a', sizeof(longaor) - 1);
	memcpy(longaor, "sip:", 4);
	longaor[sizeof(longaor) - 1] = '\0';
	assert_int_equal(user_of(&k, longaor, "c1", user, sizeof(user)), 0);
}

static void found_in_a_request_uri(void **state)
{
	struct th_env *e = *state;
	struct sr_sip_uri u;
	static const struct {
		const char *uri;
		bool temp;
	} cases[] = {
		{ "sip:tgruu.00ff@example.com;gr", true },
		{ "sip:tgruu.00ff@example.com;gr=urn:uuid:1", false }, /* a public GRUU */
		{ "sip:tgruu.00ff@example.com", false },                /* no gr: a user named so */
		{ "sip:alice@example.com;gr", false },                  /* not our prefix */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sr_str user;
		assert_int_equal(sr_sip_uri_parse(sr_str_cstr(cases[i].uri), &e->prescan_arena, &u), 0);
		if (sr_tgruu_in_uri(&u, &user) != cases[i].temp)
			fail_msg("%s", cases[i].uri);
		sr_arena_reset(&e->prescan_arena);
	}
}

/* The temp-gruu the 200 lists (between its quotes), into out. */
static void temp_gruu_of_200(struct th_env *e, char *out, size_t cap)
{
	const char *ct = th_header(e, "Contact", 0);
	assert_non_null(ct);
	const char *p = strstr(ct, ";temp-gruu=\"");
	assert_non_null(p);
	p += strlen(";temp-gruu=\"");
	const char *q = strchr(p, '"');
	assert_non_null(q);
	assert_true((size_t)(q - p) < cap);
	memcpy(out, p, (size_t)(q - p));
	out[q - p] = '\0';
}

static uint64_t owner_of_invite(struct th_env *e, const char *ruri)
{
	char msg[2048];
	int n = snprintf(msg, sizeof(msg),
			 "INVITE %s SIP/2.0\r\n"
			 "Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK-i1\r\n"
			 "Max-Forwards: 70\r\n"
			 "From: <sip:bob@example.com>;tag=b1\r\n"
			 "To: <%s>\r\n"
			 "Call-ID: i1\r\n"
			 "CSeq: 1 INVITE\r\n"
			 "Content-Length: 0\r\n\r\n",
			 ruri, ruri);
	struct sr_reg_owner o;
	struct sr_sip_scan scan;
	assert_int_equal(sr_reg_prescan(msg, (size_t)n, &e->cfg, &e->prescan_arena, &scan, &o), 0);
	assert_true(scan.flags & SR_SCAN_OWNER);
	return o.hash;
}

static void owned_where_its_aor_is(void **state)
{
	struct th_env *e = *state;
	struct th_req r = { .contact = "<sip:alice@198.51.100.2>;+sip.instance=\"<urn:uuid:0001>\"", .call_id = "c1",
			    .cseq = 1, .extra = "Supported: gruu\r\n" };
	assert_int_equal(th_send(e, &r), 200);
	char tg[SR_TGRUU_MAX_USER + 64];
	temp_gruu_of_200(e, tg, sizeof(tg));
	assert_true(owner_of_invite(e, tg) == sr_hash64(ALICE, strlen(ALICE)));
	/* the same shape under another secret is only a URI: owned by its own spelling */
	struct sr_reg_config saved = e->cfg;
	e->cfg.secret ^= 1;
	assert_false(owner_of_invite(e, tg) == sr_hash64(ALICE, strlen(ALICE)));
	e->cfg = saved;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reads_back_under_its_secret_only),
		cmocka_unit_test(refuses_what_it_did_not_write),
		cmocka_unit_test_setup_teardown(found_in_a_request_uri, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(owned_where_its_aor_is, th_setup, th_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
