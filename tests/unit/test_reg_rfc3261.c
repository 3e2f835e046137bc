/*
 * test_reg_rfc3261.c - RFC 3261 section 10.3, step by step, through sr_reg_process.
 *
 * Each test sends real REGISTER bytes and checks the status, the response
 * headers and the resulting bindings and events.
 */
#include "reg_harness.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "siphash.h"

#define ALICE "sip:alice@example.com"

static struct th_env *env(void **state)
{
	struct th_env *e = *state;
	e->n_events = 0;
	return e;
}

/* Step 1: the Request-URI must name a served domain. */
static void step1_foreign_domain_gets_404(void **state)
{
	struct th_env *e = env(state);
	struct th_req r = { .ruri = "sip:other.org", .contact = "<sip:alice@198.51.100.2>" };
	assert_int_equal(th_send(e, &r), 404);
	assert_string_equal(th_reason(e), "Domain Not Served Here");
	assert_int_equal(th_binding_count(e, ALICE), 0);
}

static void step1_configured_not_served_code(void **state)
{
	(void)state;
	struct sr_reg_config cfg;
	th_default_config(&cfg);
	cfg.not_served_code = 403;
	struct th_env *e = th_env_new(&cfg, NULL);
	assert_non_null(e);
	struct th_req r = { .ruri = "sip:other.org", .contact = "<sip:alice@198.51.100.2>" };
	assert_int_equal(th_send(e, &r), 403);
	th_env_free(e);
}

static void step1_domain_case_and_tel_scheme(void **state)
{
	struct th_env *e = env(state);
	struct th_req r = { .ruri = "sip:EXAMPLE.com", .contact = "<sip:alice@198.51.100.2>" };
	assert_int_equal(th_send(e, &r), 200);
	struct th_req t = { .ruri = "tel:+15551234", .cseq = 2, .contact = "<sip:alice@198.51.100.2>" };
	assert_int_equal(th_send(e, &t), 416);
}

/* Step 2: unknown Require option tags get 420 with Unsupported. */
static void step2_unknown_require_gets_420(void **state)
{
	struct th_env *e = env(state);
	struct th_req r = { .contact = "<sip:alice@198.51.100.2>", .extra = "Require: foo, path\r\n" };
	assert_int_equal(th_send(e, &r), 420);
	assert_string_equal(th_header(e, "Unsupported", 0), "foo");
	assert_int_equal(th_binding_count(e, ALICE), 0);
}

static void step2_known_require_accepted(void **state)
{
	struct th_env *e = env(state);
	struct th_req r = { .contact = "<sip:alice@198.51.100.2>",
			    .extra = "Require: path, outbound, gruu\r\nSupported: path, outbound, gruu\r\n" };
	assert_int_equal(th_send(e, &r), 200);
}

/* Steps 3 and 4: the auth hooks decide; default allows. */
static int deny_authenticate(void *ctx, const struct sr_sip_msg *m, uint64_t now_ms,
			     struct sr_auth_identity *id, char *hdrs, size_t cap, size_t *len)
{
	(void)ctx;
	(void)m;
	(void)now_ms;
	(void)id;
	*len = (size_t)snprintf(hdrs, cap, "WWW-Authenticate: Digest realm=\"example.com\", nonce=\"n\"\r\n");
	return 401;
}

static int forbid_authorize(void *ctx, const struct sr_auth_identity *id, struct sr_str aor)
{
	(void)ctx;
	(void)id;
	return sr_str_eq(aor, SR_STR_LIT("sip:bob@example.com")) ? 403 : 0;
}

static struct th_env *env_with_hooks(struct sr_auth_hooks hooks)
{
	struct th_env *e = th_env_new(NULL, NULL);
	assert_non_null(e);
	/* Hooks are part of the shard parameters: rebuild the shard with them. */
	sr_reg_free(e->shard);
	static unsigned id = 1000;
	struct sr_reg_params p = { .cfg = &e->cfg, .shard_id = id++, .now_ms = e->now_ms, .auth = hooks };
	const char *err;
	e->shard = sr_reg_create(&p, &err);
	assert_non_null(e->shard);
	return e;
}

static void step3_challenge_from_hook(void **state)
{
	(void)state;
	struct sr_auth_hooks h = { deny_authenticate, NULL, NULL };
	struct th_env *e = env_with_hooks(h);
	struct th_req r = { .contact = "<sip:alice@198.51.100.2>" };
	assert_int_equal(th_send(e, &r), 401);
	assert_non_null(strstr(th_header(e, "WWW-Authenticate", 0), "realm=\"example.com\""));
	assert_int_equal(th_binding_count(e, ALICE), 0);
	th_env_free(e);
}

static void step4_authorize_gets_403(void **state)
{
	(void)state;
	struct sr_auth_hooks h = { NULL, forbid_authorize, NULL };
	struct th_env *e = env_with_hooks(h);
	assert_int_equal(th_register(e, "bob", "<sip:bob@198.51.100.2>", "c1", 1), 403);
	assert_int_equal(th_binding_count(e, "sip:bob@example.com"), 0);
	assert_int_equal(th_register(e, "alice", "<sip:alice@198.51.100.2>", "c1", 1), 200);
	th_env_free(e);
}

/* Step 5: the AoR is the canonical To URI; a foreign To domain gets 404. */
static void step5_aor_canonical(void **state)
{
	struct th_env *e = env(state);
	struct th_req r = { .to = "sip:%61lice@EXAMPLE.COM:5070;user=phone",
			    .contact = "<sip:alice@198.51.100.2>" };
	assert_int_equal(th_send(e, &r), 200);
	assert_int_equal(th_binding_count(e, ALICE), 1);
	assert_string_equal(e->events[0].aor, ALICE);
}

static void step5_foreign_to_domain_gets_404(void **state)
{
	struct th_env *e = env(state);
	struct th_req r = { .to = "sip:alice@other.org", .contact = "<sip:alice@198.51.100.2>" };
	assert_int_equal(th_send(e, &r), 404);
	assert_string_equal(th_reason(e), "Address-of-Record Domain Not Served Here");
	assert_int_equal(e->n_events, 0);
}

/*
 * Step 5: "If the address-of-record is not valid for the domain in the
 * Request-URI, the registrar MUST send a 404": both domains served is not
 * enough, they must be the same one, compared in canonical form (realm
 * prefix stripped, case folded, an IPv6 literal by its value). A
 * Request-URI that is the registrar's (served) address is valid for every
 * served domain name, as RFC 5118's ipv6-good and phones configured with
 * the registrar's IP address expect.
 */
static void step5_aor_outside_request_uri_domain_gets_404(void **state)
{
	(void)state;
	struct sr_reg_config cfg;
	th_default_config(&cfg);
	snprintf(cfg.realm_prefix, sizeof(cfg.realm_prefix), "sip.");
	assert_int_equal(sr_reg_config_add_domain(&cfg, "other.com"), 0);
	assert_int_equal(sr_reg_config_add_domain(&cfg, "[2001:db8::10]"), 0);
	assert_int_equal(sr_reg_config_add_domain(&cfg, "[2001:db8:0::10]"), 0); /* the same address twice */
	assert_int_equal(sr_reg_config_add_domain(&cfg, "[2001:db8::11]"), 0);
	struct th_env *e = th_env_new(&cfg, NULL);
	assert_non_null(e);
	static const struct {
		const char *ruri, *to;
		int want;
	} cases[] = {
		{ "sip:example.com", "sip:bob@other.com", 404 },
		{ "sip:other.com", "sip:bob@example.com", 404 },
		{ "sip:sip.example.com", "sip:bob@other.com", 404 },
		{ "sip:[2001:db8::10]", "sip:bob@[2001:db8::11]", 404 }, /* an address AoR: that address only */
		{ "sip:example.com", "sip:bob@[2001:db8::10]", 404 },
		{ "sip:other.com", "sip:bob@other.com", 200 },
		{ "sip:sip.example.com", "sip:bob@example.com", 200 },   /* realm prefix */
		{ "sip:example.com", "sip:bob@SIP.Example.COM", 200 },
		{ "sip:EXAMPLE.COM", "sip:bob@example.com", 200 },        /* case */
		{ "sip:[2001:DB8::10]", "sip:carol@[2001:db8::10]", 200 },
		{ "sip:[2001:db8:0::10]", "sip:dave@[2001:db8::10]", 200 }, /* one address, two spellings */
		{ "sip:[2001:db8::10]", "sip:erin@other.com", 200 },        /* the registrar's address */
		{ "sip:[2001:db8::11]:5060", "sip:erin@example.com", 200 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char call_id[32];
		snprintf(call_id, sizeof(call_id), "step5-%zu", i);
		struct th_req r = { .ruri = cases[i].ruri, .to = cases[i].to, .call_id = call_id,
				    .contact = "<sip:u@198.51.100.2>" };
		e->n_events = 0;
		int st = th_send(e, &r);
		if (st != cases[i].want)
			fail_msg("REGISTER %s, To %s: %d, want %d", cases[i].ruri, cases[i].to, st, cases[i].want);
		if (st == 404)
			assert_string_equal(th_reason(e), "Address-of-Record Not in the Request-URI's Domain");
		assert_int_equal(e->n_events, st == 200 ? 1u : 0u);
	}
	assert_int_equal(th_binding_count(e, "sip:bob@other.com"), 1);
	assert_int_equal(th_binding_count(e, "sip:bob@example.com"), 1);
	th_env_free(e);
}

/* Step 6: Contact: * needs Expires: 0 and nothing else; it removes every binding. */
static void step6_star_removes_all(void **state)
{
	struct th_env *e = env(state);
	assert_int_equal(th_register(e, "alice", "<sip:a@198.51.100.2>, <sip:b@198.51.100.3>", "c1", 1), 200);
	assert_int_equal(th_binding_count(e, ALICE), 2);
	e->n_events = 0;
	struct th_req r = { .contact = "*", .call_id = "other-call", .cseq = 1, .extra = "Expires: 0\r\n" };
	assert_int_equal(th_send(e, &r), 200);
	assert_int_equal(th_binding_count(e, ALICE), 0);
	assert_int_equal(th_header_count(e, "Contact"), 0);
	assert_int_equal(e->n_events, 2);
	assert_int_equal(e->events[0].type, SR_EV_REMOVED);
	assert_int_equal(e->events[1].type, SR_EV_REMOVED);
}

/* '*' removes every binding however many there are. */
static void step6_star_removes_hundreds(void **state)
{
	(void)state;
	struct sr_reg_config cfg;
	th_default_config(&cfg);
	cfg.max_contacts = 200;
	struct th_env *e = th_env_new(&cfg, NULL);
	assert_non_null(e);
	for (unsigned i = 0; i < 200; i++) {
		char contact[64];
		snprintf(contact, sizeof(contact), "<sip:a%u@198.51.100.2>", i);
		assert_int_equal(th_register(e, "alice", contact, "c1", i + 1), 200);
	}
	assert_int_equal(th_binding_count(e, ALICE), 200);
	struct th_req r = { .contact = "*", .call_id = "c1", .cseq = 1000, .extra = "Expires: 0\r\n" };
	assert_int_equal(th_send(e, &r), 200);
	assert_int_equal(th_binding_count(e, ALICE), 0);
	assert_int_equal(th_header_count(e, "Contact"), 0);
	assert_null(sr_loc_check(th_loc(e)));
	th_env_free(e);
}

static void step6_star_misuse_gets_400(void **state)
{
	struct th_env *e = env(state);
	assert_int_equal(th_register(e, "alice", "<sip:a@198.51.100.2>", "c1", 1), 200);
	struct th_req no_expires = { .contact = "*", .call_id = "c1", .cseq = 2 };
	assert_int_equal(th_send(e, &no_expires), 400);
	struct th_req nonzero = { .contact = "*", .call_id = "c1", .cseq = 3, .extra = "Expires: 60\r\n" };
	assert_int_equal(th_send(e, &nonzero), 400);
	struct th_req mixed = { .contact = "*, <sip:b@198.51.100.2>", .call_id = "c1", .cseq = 4,
				.extra = "Expires: 0\r\n" };
	assert_int_equal(th_send(e, &mixed), 400);
	assert_string_equal(th_reason(e), "Contact '*' Needs Expires: 0 and No Other Contact");
	assert_int_equal(th_binding_count(e, ALICE), 1);
}

static void step6_star_old_cseq_fails(void **state)
{
	struct th_env *e = env(state);
	assert_int_equal(th_register(e, "alice", "<sip:a@198.51.100.2>", "c1", 5), 200);
	struct th_req r = { .contact = "*", .call_id = "c1", .cseq = 4, .extra = "Expires: 0\r\n" };
	assert_int_equal(th_send(e, &r), 500);
	assert_int_equal(th_binding_count(e, ALICE), 1);
}

/* Step 6: same Call-ID with a CSeq not newer fails with 500 and changes nothing. */
static void step6_cseq_ordering(void **state)
{
	struct th_env *e = env(state);
	assert_int_equal(th_register(e, "alice", "<sip:a@198.51.100.2>;expires=600", "c1", 10), 200);
	assert_int_equal(th_register(e, "alice", "<sip:a@198.51.100.2>;expires=0", "c1", 9), 500);
	assert_string_equal(th_reason(e), "Out of Order CSeq for This Call-ID");
	assert_int_equal(th_binding_count(e, ALICE), 1);
	/* equal CSeq from another transaction (other branch) fails too */
	struct th_req same = { .contact = "<sip:a@198.51.100.2>;expires=0", .call_id = "c1", .cseq = 10,
			       .branch = "z9hG4bK-another" };
	assert_int_equal(th_send(e, &same), 500);
	assert_int_equal(th_binding_count(e, ALICE), 1);
	/* another Call-ID may use any CSeq */
	assert_int_equal(th_register(e, "alice", "<sip:a@198.51.100.2>;expires=0", "c2", 1), 200);
	assert_int_equal(th_binding_count(e, ALICE), 0);
}

/* A retransmission (same Call-ID, CSeq and branch) is answered 200 from current state. */
static void retransmission_answered_again(void **state)
{
	struct th_env *e = env(state);
	assert_int_equal(th_register(e, "alice", "<sip:a@198.51.100.2>", "c1", 7), 200);
	static char first[sizeof(e->resp)];
	memcpy(first, e->resp, sizeof(first));
	unsigned events = e->n_events;
	assert_int_equal(th_register(e, "alice", "<sip:a@198.51.100.2>", "c1", 7), 200);
	assert_string_equal(e->resp, first); /* same To-tag, same contents, same second */
	assert_int_equal(e->n_events, events);
}

/* The To-tag's value: the 16 hex digits after ";tag=" in the response's To (copied to out). */
static void response_to_tag(struct th_env *e, char out[17])
{
	const char *tag = strstr(th_header(e, "To", 0), ";tag=");
	assert_non_null(tag);
	assert_int_equal(strspn(tag + 5, "0123456789abcdef"), 16);
	memcpy(out, tag + 5, 16);
	out[16] = '\0';
}

/*
 * The To-tag of a request whose Call-ID is longer than sr_siphash_fields'
 * 256-byte stack buffer (hashed through the incremental interface instead):
 * every byte counts, the last one too, and a retransmission gets the same
 * tag.
 */
static void to_tag_of_a_long_call_id(void **state)
{
	struct th_env *e = env(state);
	char call_id[301], first[17], again[17], other[17];
	memset(call_id, 'c', 300);
	call_id[300] = '\0';
	assert_int_equal(th_register(e, "alice", "<sip:a@198.51.100.2>", call_id, 1), 200);
	response_to_tag(e, first);
	assert_int_equal(th_register(e, "alice", "<sip:a@198.51.100.2>", call_id, 1), 200);
	response_to_tag(e, again);
	assert_string_equal(first, again);
	call_id[299] = 'd';
	assert_int_equal(th_register(e, "alice", "<sip:a@198.51.100.2>", call_id, 1), 200);
	response_to_tag(e, other);
	assert_string_not_equal(first, other);
}

/*
 * The To-tag's digits: "%016" PRIx64 of sr_siphash_fields under the shard's
 * to-tag key over (Call-ID, From tag) and the CSeq number as 4 little-endian
 * bytes. Eight requests, so that every hex digit, letters and numbers, is
 * written at least once (reg_reply.c's word-at-a-time formatting).
 */
static void to_tag_digits_are_the_siphash_of_its_fields(void **state)
{
	struct th_env *e = env(state);
	const struct sr_siphash_key master = { e->cfg.secret, 0 };
	const struct sr_siphash_key key = sr_siphash_derive(&master, "sipreg to-tag");
	bool seen[16] = { false };
	for (uint32_t cseq = 1; cseq <= 8; cseq++) {
		char call_id[32], got[17], want[17];
		snprintf(call_id, sizeof(call_id), "tag-digits-%u@client", cseq);
		assert_int_equal(th_register(e, "alice", "<sip:a@198.51.100.2>", call_id, cseq), 200);
		response_to_tag(e, got);
		uint8_t le[4];
		sr_siphash_le32(le, cseq);
		const struct sr_siphash_span fields[2] = { { call_id, strlen(call_id) }, { "from-tag-1", 10 } };
		snprintf(want, sizeof(want), "%016" PRIx64, sr_siphash_fields(&key, fields, 2, le, sizeof(le)));
		assert_string_equal(got, want);
		for (unsigned i = 0; i < 16; i++)
			seen[strchr("0123456789abcdef", got[i]) - "0123456789abcdef"] = true;
	}
	for (unsigned d = 0; d < 16; d++)
		assert_true(seen[d]);
}

/* Step 7: expires from the contact parameter, else the header, else the default. */
static void step7_expires_sources(void **state)
{
	struct th_env *e = env(state);
	struct th_req r = { .contact = "<sip:a@198.51.100.2>;expires=120, <sip:b@198.51.100.2>",
			    .extra = "Expires: 300\r\n" };
	assert_int_equal(th_send(e, &r), 200);
	assert_string_equal(th_header(e, "Contact", 0), "<sip:a@198.51.100.2>;expires=120");
	assert_string_equal(th_header(e, "Contact", 1), "<sip:b@198.51.100.2>;expires=300");
	assert_int_equal(th_register(e, "carol", "<sip:c@198.51.100.2>", "c9", 1), 200);
	assert_string_equal(th_header(e, "Contact", 0), "<sip:c@198.51.100.2>;expires=3600");
}

static void step7_too_brief_gets_423(void **state)
{
	struct th_env *e = env(state);
	assert_int_equal(th_register(e, "alice", "<sip:a@198.51.100.2>;expires=30", "c1", 1), 423);
	assert_string_equal(th_header(e, "Min-Expires", 0), "60");
	assert_int_equal(th_binding_count(e, ALICE), 0);
}

static void step7_too_long_is_clamped(void **state)
{
	struct th_env *e = env(state);
	assert_int_equal(th_register(e, "alice", "<sip:a@198.51.100.2>;expires=99999", "c1", 1), 200);
	assert_string_equal(th_header(e, "Contact", 0), "<sip:a@198.51.100.2>;expires=3600");
	assert_int_equal(sr_binding_expires(th_binding(e, ALICE, 0)), TH_T0_MS / 1000 + 3600);
}

/* RFC 3261 20.19: an expires parameter beyond 2**32-1 is taken as 2**32-1, however many digits it has. */
static void step7_huge_expires_param_is_clamped(void **state)
{
	struct th_env *e = env(state);
	const char *const huge[] = { "4294967295", "4294967296", "9999999999", "99999999999999999999" };
	for (size_t i = 0; i < sizeof(huge) / sizeof(huge[0]); i++) {
		char contact[96], cid[16];
		snprintf(contact, sizeof(contact), "<sip:a@198.51.100.2>;expires=%s", huge[i]);
		snprintf(cid, sizeof(cid), "c%zu", i);
		assert_int_equal(th_register(e, "alice", contact, cid, 1), 200);
		assert_string_equal(th_header(e, "Contact", 0), "<sip:a@198.51.100.2>;expires=3600");
	}
	assert_int_equal(th_register(e, "alice", "<sip:a@198.51.100.2>;expires=12a", "cx", 1), 400);
}

static void step7_deviation_stays_in_bounds(void **state)
{
	(void)state;
	struct sr_reg_config cfg;
	th_default_config(&cfg);
	cfg.expires_max_deviation = 30;
	struct th_env *e = th_env_new(&cfg, NULL);
	assert_non_null(e);
	bool varied = false;
	uint32_t first = 0;
	for (int i = 0; i < 50; i++) {
		char user[32], cid[32];
		snprintf(user, sizeof(user), "u%d", i);
		snprintf(cid, sizeof(cid), "c%d", i);
		assert_int_equal(th_register(e, user, "<sip:x@198.51.100.2>;expires=600", cid, 1), 200);
		unsigned got = 0;
		assert_int_equal(sscanf(th_header(e, "Contact", 0), "<sip:x@198.51.100.2>;expires=%u", &got), 1);
		assert_in_range(got, 570, 630);
		if (i == 0)
			first = got;
		varied |= got != first;
	}
	assert_true(varied);
	th_env_free(e);
}

/* The 200 lists bindings in the store's order: highest q first, no q counting as 1.0. */
static void step7_q_values(void **state)
{
	struct th_env *e = env(state);
	assert_int_equal(th_register(e, "alice", "<sip:a@198.51.100.2>;q=0.5, <sip:b@198.51.100.2>", "c1", 1), 200);
	assert_string_equal(th_header(e, "Contact", 0), "<sip:b@198.51.100.2>;expires=3600");
	assert_string_equal(th_header(e, "Contact", 1), "<sip:a@198.51.100.2>;expires=3600;q=0.5");
	assert_int_equal(th_binding(e, ALICE, 1)->q, 500);
	assert_int_equal(th_register(e, "alice", "<sip:c@198.51.100.2>;q=1.5", "c1", 2), 400);
	assert_int_equal(th_binding_count(e, ALICE), 2);
}

static void step7_default_q(void **state)
{
	(void)state;
	struct sr_reg_config cfg;
	th_default_config(&cfg);
	cfg.default_q = 800;
	struct th_env *e = th_env_new(&cfg, NULL);
	assert_non_null(e);
	assert_int_equal(th_register(e, "alice", "<sip:a@198.51.100.2>", "c1", 1), 200);
	assert_string_equal(th_header(e, "Contact", 0), "<sip:a@198.51.100.2>;expires=3600;q=0.8");
	th_env_free(e);
}

static void step7_expires_zero_removes(void **state)
{
	struct th_env *e = env(state);
	assert_int_equal(th_register(e, "alice", "<sip:a@198.51.100.2>, <sip:b@198.51.100.2>", "c1", 1), 200);
	e->n_events = 0;
	assert_int_equal(th_register(e, "alice", "<sip:a@198.51.100.2>;expires=0", "c1", 2), 200);
	assert_int_equal(th_binding_count(e, ALICE), 1);
	assert_int_equal(e->n_events, 1);
	assert_int_equal(e->events[0].type, SR_EV_REMOVED);
	assert_string_equal(e->events[0].contact, "sip:a@198.51.100.2");
	assert_int_equal(th_header_count(e, "Contact"), 1);
}

/* Refresh of an existing binding matched by RFC 3261 19.1.4, not by bytes. */
static void step7_refresh_matches_equal_uri(void **state)
{
	struct th_env *e = env(state);
	assert_int_equal(th_register(e, "alice", "<sip:alice@PC.Example.com;transport=udp>", "c1", 1), 200);
	e->n_events = 0;
	assert_int_equal(th_register(e, "alice", "<sip:%61lice@pc.example.com;transport=UDP>;expires=900", "c1", 2), 200);
	assert_int_equal(th_binding_count(e, ALICE), 1);
	assert_int_equal(e->n_events, 1);
	assert_int_equal(e->events[0].type, SR_EV_REFRESHED);
	assert_int_equal(e->events[0].cseq, 2);
}

/* Atomicity: one bad contact and nothing changes. */
static void step7_atomic(void **state)
{
	struct th_env *e = env(state);
	assert_int_equal(th_register(e, "alice", "<sip:a@198.51.100.2>", "c1", 1), 200);
	e->n_events = 0;
	assert_int_equal(th_register(e, "alice",
				     "<sip:a@198.51.100.2>;expires=0, <sip:b@198.51.100.2>, <sip:c@198.51.100.2>;expires=5",
				     "c1", 2), 423);
	assert_int_equal(th_binding_count(e, ALICE), 1);
	assert_string_equal(th_field(th_binding(e, ALICE, 0), SR_BF_CONTACT), "sip:a@198.51.100.2");
	assert_int_equal(th_binding(e, ALICE, 0)->cseq, 1);
	assert_int_equal(e->n_events, 0);
}

/* Step 8: 200 lists every binding with its remaining expiry, and a Date. */
static void step8_lists_all_with_remaining(void **state)
{
	struct th_env *e = env(state);
	assert_int_equal(th_register(e, "alice", "<sip:a@198.51.100.2>;expires=100", "c1", 1), 200);
	e->now_ms += 30000;
	assert_int_equal(th_register(e, "alice", "<sip:b@198.51.100.2>;expires=200", "c2", 1), 200);
	assert_int_equal(th_header_count(e, "Contact"), 2);
	assert_string_equal(th_header(e, "Contact", 0), "<sip:a@198.51.100.2>;expires=70");
	assert_string_equal(th_header(e, "Contact", 1), "<sip:b@198.51.100.2>;expires=200");
	assert_string_equal(th_header(e, "Date", 0), "Sat, 21 Nov 2026 12:09:30 GMT");
	assert_non_null(strstr(th_header(e, "To", 0), ";tag="));
}

/* A REGISTER without Contact is a fetch: nothing changes. */
static void step8_fetch(void **state)
{
	struct th_env *e = env(state);
	assert_int_equal(th_register(e, "alice", "<sip:a@198.51.100.2>", "c1", 1), 200);
	e->n_events = 0;
	assert_int_equal(th_register(e, "alice", NULL, "c1", 1), 200); /* even an old CSeq */
	assert_int_equal(th_header_count(e, "Contact"), 1);
	assert_int_equal(e->n_events, 0);
	assert_int_equal(th_register(e, "nobody", NULL, "c1", 1), 200);
	assert_int_equal(th_header_count(e, "Contact"), 0);
}

/* Record-Route is never copied; Via, From, Call-ID and CSeq are. */
static void response_headers_echoed(void **state)
{
	struct th_env *e = env(state);
	struct th_req r = { .contact = "<sip:a@198.51.100.2>", .extra = "Record-Route: <sip:p.example.com;lr>\r\n" };
	assert_int_equal(th_send(e, &r), 200);
	assert_null(th_header(e, "Record-Route", 0));
	assert_string_equal(th_header(e, "From", 0), "<sip:alice@example.com>;tag=from-tag-1");
	assert_string_equal(th_header(e, "Call-ID", 0), "call-1@client");
	assert_string_equal(th_header(e, "CSeq", 0), "1 REGISTER");
	assert_non_null(strstr(th_header(e, "Via", 0), "branch=z9hG4bK-1-"));
}

/* The source address and user agent are stored with the binding. */
static void binding_keeps_source_and_agent(void **state)
{
	struct th_env *e = env(state);
	e->src.port = 40000;
	struct th_req r = { .contact = "<sip:a@10.0.0.5:5060>", .extra = "User-Agent: Phone/1.0\r\n" };
	assert_int_equal(th_send(e, &r), 200);
	const struct sr_binding *b = th_binding(e, ALICE, 0);
	assert_int_equal(b->src_port, 40000);
	assert_int_equal(b->src_ip, e->src.ip);
	assert_string_equal(th_field(b, SR_BF_USER_AGENT), "Phone/1.0");
	assert_string_equal(th_field(b, SR_BF_CALL_ID), "call-1@client");
	e->src.port = 5060;
}

/* Methods other than REGISTER: OPTIONS 200, others 405 with Allow, ACK silent, responses absorbed. */
static void other_methods(void **state)
{
	struct th_env *e = env(state);
	struct th_req opt = { .method = "OPTIONS" };
	assert_int_equal(th_send(e, &opt), 200);
	assert_string_equal(th_header(e, "Allow", 0), "REGISTER, OPTIONS");
	struct th_req inv = { .method = "INVITE", .ruri = "sip:alice@example.com" };
	assert_int_equal(th_send(e, &inv), 405);
	assert_string_equal(th_header(e, "Allow", 0), "REGISTER, OPTIONS");
	struct th_req ack = { .method = "ACK" };
	assert_int_equal(th_send(e, &ack), 0);
	assert_int_equal(e->res.drop, SR_DROP_ACK);
	static const char resp[] = "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 198.51.100.2;branch=z9hG4bKx\r\n"
				   "From: <sip:a@example.com>;tag=1\r\nTo: <sip:a@example.com>\r\n"
				   "Call-ID: x\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
	assert_int_equal(th_raw(e, resp, sizeof(resp) - 1), 0);
	assert_int_equal(e->res.drop, SR_DROP_RESPONSE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, th_setup, th_teardown)
		T(step1_foreign_domain_gets_404),
		T(step1_configured_not_served_code),
		T(step1_domain_case_and_tel_scheme),
		T(step2_unknown_require_gets_420),
		T(step2_known_require_accepted),
		T(step3_challenge_from_hook),
		T(step4_authorize_gets_403),
		T(step5_aor_canonical),
		T(step5_foreign_to_domain_gets_404),
		cmocka_unit_test(step5_aor_outside_request_uri_domain_gets_404),
		T(step6_star_removes_all),
		T(step6_star_removes_hundreds),
		T(step6_star_misuse_gets_400),
		T(step6_star_old_cseq_fails),
		T(step6_cseq_ordering),
		T(retransmission_answered_again),
		T(to_tag_of_a_long_call_id),
		T(to_tag_digits_are_the_siphash_of_its_fields),
		T(step7_expires_sources),
		T(step7_too_brief_gets_423),
		T(step7_too_long_is_clamped),
		T(step7_huge_expires_param_is_clamped),
		T(step7_deviation_stays_in_bounds),
		T(step7_q_values),
		T(step7_default_q),
		T(step7_expires_zero_removes),
		T(step7_refresh_matches_equal_uri),
		T(step7_atomic),
		T(step8_lists_all_with_remaining),
		T(step8_fetch),
		T(response_headers_echoed),
		T(binding_keeps_source_and_agent),
		T(other_methods),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
