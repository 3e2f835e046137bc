/*
 * test_reg_carry.c - what the pre-scan carries to the owner (struct
 * sr_reg_carry: the To value as read, the AoR's hash, the AoR itself when
 * it is the To URI as written) gives the owner exactly the answer it gets
 * when it reads and computes them again.
 *
 * Each case sends the same REGISTER to two fresh shards: one through the
 * harness (pre-scan with carry, the owner taking it, as a worker does), one
 * through the pre-scan without carry and sr_reg_process_scan. The responses
 * must be byte for byte the same, with the same AoR hash, and the stored
 * AoR must be the canonical one. Each case also says what was carried, so
 * a carry that silently stopped working fails too.
 */
#include "reg_harness.h"

#include <stdio.h>
#include <string.h>

static char msg[2048];
static char plain_resp[65536];

enum carried { NONE, TO_ONLY, VERBATIM };

static size_t request(const char *to_line, unsigned n)
{
	return (size_t)snprintf(msg, sizeof(msg),
				"REGISTER sip:example.com SIP/2.0\r\n"
				"Via: SIP/2.0/UDP 198.51.100.2:5060;branch=z9hG4bK-carry-%u\r\n"
				"Max-Forwards: 70\r\n"
				"From: <sip:x@example.com>;tag=1\r\n"
				"%s"
				"Call-ID: carry-%u\r\n"
				"CSeq: 1 REGISTER\r\n"
				"Contact: <sip:c%u@198.51.100.2>\r\n"
				"Content-Length: 0\r\n\r\n",
				n, to_line, n, n);
}

static void same_answer(const struct sr_reg_config *cfg, const char *to_line, const char *canonical,
			enum carried want)
{
	static unsigned n;
	struct th_env *carried = th_env_new(cfg, NULL), *plain = th_env_new(cfg, NULL);
	assert_non_null(carried);
	assert_non_null(plain);
	size_t len = request(to_line, n++);

	/* what the pre-scan carries */
	struct sr_sip_scan scan;
	struct sr_reg_owner o;
	struct sr_reg_carry carry;
	assert_int_equal(sr_reg_prescan_carry(msg, len, &carried->cfg, &carried->prescan_arena, &scan, &o, &carry), 0);
	bool fast = !th_libosip2_only();
	enum carried got = !carry.to.valid ? NONE : (carry.flags & SR_CARRY_VERBATIM) ? VERBATIM : TO_ONLY;
	assert_int_equal(got, fast ? want : NONE);
	if (got != NONE)
		assert_true((carry.flags & SR_CARRY_AOR) && carry.aor_hash == o.hash);

	/* the owner taking it (the harness), against the owner reading everything again */
	assert_int_equal(th_raw(carried, msg, len), 200);
	struct sr_reg_result res;
	assert_int_equal(sr_reg_prescan(msg, len, &plain->cfg, &plain->prescan_arena, &scan, NULL), 0);
	sr_reg_process_scan(plain->shard, msg, len, &scan, &plain->src, plain->now_ms, plain_resp,
			    sizeof(plain_resp), &res);
	assert_int_equal(res.status, 200);
	assert_int_equal(res.len, carried->res.len);
	assert_memory_equal(plain_resp, carried->resp, res.len);
	assert_true(res.has_aor && carried->res.has_aor && res.aor_hash == carried->res.aor_hash);
	const struct sr_aor *a = th_aor(carried, canonical);
	assert_non_null(a);
	assert_true(sr_hash64(a->name, a->len) == res.aor_hash);
	th_env_free(carried);
	th_env_free(plain);
}

static void spellings(void **state)
{
	(void)state;
	struct sr_reg_config cfg;
	th_default_config(&cfg);
	same_answer(&cfg, "To: <sip:alice@example.com>\r\n", "sip:alice@example.com", VERBATIM);
	same_answer(&cfg, "To: \"Alice A.\" <sip:alice@example.com:5070>\r\n", "sip:alice@example.com", VERBATIM);
	same_answer(&cfg, "t: sip:bob@example.com\r\n", "sip:bob@example.com", VERBATIM);
	same_answer(&cfg, "To: <sips:erin@example.com>\r\n", "sips:erin@example.com", VERBATIM);
	same_answer(&cfg, "To: <sip:example.com>\r\n", "sip:example.com", VERBATIM);
	/* read once, but the AoR is not the text as written: built by the owner, hash carried */
	same_answer(&cfg, "To: <sip:bob@EXAMPLE.com>\r\n", "sip:bob@example.com", TO_ONLY);
	same_answer(&cfg, "To: <SIP:carol@example.com>\r\n", "sip:carol@example.com", TO_ONLY);
	/* what the record cannot describe: read again by the owner */
	same_answer(&cfg, "To: <sip:dave@example.com;user=phone>\r\n", "sip:dave@example.com", NONE);
	same_answer(&cfg, "To: <sip:%65rin@example.com>\r\n", "sip:erin@example.com", NONE);
	same_answer(&cfg, "To: \"Dave\"\r\n <sip:dave@example.com>\r\n", "sip:dave@example.com", NONE);
}

/* The configuration decides what is canonical: the pre-scan checks the text against its own result. */
static void configuration(void **state)
{
	(void)state;
	struct sr_reg_config cfg;
	th_default_config(&cfg);
	snprintf(cfg.realm_prefix, sizeof(cfg.realm_prefix), "sip.");
	same_answer(&cfg, "To: <sip:frank@sip.example.com>\r\n", "sip:frank@example.com", TO_ONLY);
	same_answer(&cfg, "To: <sip:frank@example.com>\r\n", "sip:frank@example.com", VERBATIM);
	th_default_config(&cfg);
	cfg.case_sensitive = false;
	same_answer(&cfg, "To: <sip:Gina@example.com>\r\n", "sip:gina@example.com", TO_ONLY);
	same_answer(&cfg, "To: <sip:gina@example.com>\r\n", "sip:gina@example.com", VERBATIM);
}

/* A carry for other bytes (another datagram's record) is never taken: the owner reads the To itself. */
static void record_for_other_bytes_is_ignored(void **state)
{
	struct th_env *e = *state;
	struct sr_sip_scan scan;
	struct sr_reg_carry carry;
	size_t len = request("To: <sip:alice@example.com>\r\n", 1000);
	assert_int_equal(sr_reg_prescan_carry(msg, len, &e->cfg, &e->prescan_arena, &scan, NULL, &carry), 0);
	/* the same request with a longer To user: the recorded offsets no longer name the To value */
	len = request("To: <sip:alison@example.com>\r\n", 1000);
	assert_int_equal(sr_reg_prescan(msg, len, &e->cfg, &e->prescan_arena, &scan, NULL), 0);
	sr_reg_process_carried(e->shard, msg, len, &scan, &carry, &e->src, e->now_ms, e->resp, sizeof(e->resp),
			       &e->res);
	assert_int_equal(e->res.status, 200);
	assert_non_null(th_aor(e, "sip:alison@example.com"));
	assert_null(th_aor(e, "sip:alice@example.com"));
}

/*
 * The owner takes the carried facts, it does not recompute them: a record
 * for these very bytes whose hash was changed after the pre-scan gives
 * that hash as the result's AoR hash. (The carry is trusted: it comes from
 * our own pre-scan in the packet's private area.) Without the carry the
 * hash would be the AoR's own, so this fails if the carry is ignored.
 */
static void carried_hash_is_the_one_used(void **state)
{
	struct th_env *e = *state;
	struct sr_sip_scan scan;
	struct sr_reg_owner o;
	struct sr_reg_carry carry;
	size_t len = request("To: <sip:alice@example.com>\r\n", 2000);
	assert_int_equal(sr_reg_prescan_carry(msg, len, &e->cfg, &e->prescan_arena, &scan, &o, &carry), 0);
	if (th_libosip2_only()) { /* the libosip2 path carries nothing */
		assert_false(carry.to.valid);
		return;
	}
	assert_true(carry.to.valid && (carry.flags & SR_CARRY_AOR) && carry.aor_hash == o.hash);
	uint64_t forged = carry.aor_hash ^ 0x5a5a5a5a5a5a5a5aull;
	carry.aor_hash = forged;
	sr_reg_process_carried(e->shard, msg, len, &scan, &carry, &e->src, e->now_ms, e->resp, sizeof(e->resp),
			       &e->res);
	assert_int_equal(e->res.status, 200);
	assert_true(e->res.has_aor);
	assert_true(e->res.aor_hash == forged);
	assert_true(e->res.aor_hash != sr_hash64("sip:alice@example.com", strlen("sip:alice@example.com")));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(spellings),
		cmocka_unit_test(configuration),
		cmocka_unit_test_setup_teardown(record_for_other_bytes_is_ignored, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(carried_hash_is_the_one_used, th_setup, th_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
