/*
 * test_reg_extensions.c - SIP extensions of the registrar, through sr_reg_process.
 *
 * Path (RFC 3327) in its three modes, outbound (RFC 5626) matching on
 * (+sip.instance, reg-id), GRUUs (RFC 5627), push contacts (RFC 8599)
 * matched on pn-provider/pn-prid/pn-param, and the echo of contact
 * parameters in the 200. Each test checks the status, the response headers,
 * the stored bindings and the events.
 */
#include "reg_harness.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* The harness registers from 198.51.100.2:5060: a Contact naming another address is behind NAT. */
#define RCVD ";received=\"sip:198.51.100.2:5060\""

#define ALICE "sip:alice@example.com"
#define UUID1 "urn:uuid:00000000-0000-1000-8000-000a95a0e128"
#define UUID2 "urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6"
#define INST1 "+sip.instance=\"<" UUID1 ">\""
#define INST2 "+sip.instance=\"<" UUID2 ">\""
#define P1 "<sip:p1.example.net;lr>"
#define P2 "<sip:p2.example.net;lr>"
#define P3 "<sip:p3.example.net;lr>"

static struct th_env *env(void **state)
{
	struct th_env *e = *state;
	e->n_events = 0;
	return e;
}

/* Replaces the test's environment (freed by th_teardown, even after a failed assertion). */
static struct th_env *use_env(void **state, const struct sr_reg_config *cfg)
{
	th_env_free(*state);
	*state = th_env_new(cfg, NULL);
	assert_non_null(*state);
	return *state;
}

static struct th_env *env_path(void **state, enum sr_path_mode mode)
{
	struct sr_reg_config cfg;
	th_default_config(&cfg);
	cfg.path_mode = mode;
	return use_env(state, &cfg);
}

/* Has the last response a header 'name' whose value lists 'tag'? */
static bool header_lists(struct th_env *e, const char *name, const char *tag)
{
	for (unsigned i = 0; i < th_header_count(e, name); i++)
		if (strstr(th_header(e, name, i), tag))
			return true;
	return false;
}

/* ---- Path (RFC 3327) ---- */

static void path_off_not_stored_not_echoed(void **state)
{
	struct th_env *e = env_path(state, SR_PATH_OFF);
	struct th_req r = { .contact = "<sip:alice@198.51.100.2>",
			    .extra = "Path: " P1 "\r\nSupported: path\r\n" };
	assert_int_equal(th_send(e, &r), 200);
	assert_int_equal(th_binding_count(e, ALICE), 1);
	assert_string_equal(th_field(th_binding(e, ALICE, 0), SR_BF_PATH), "");
	assert_int_equal(th_header_count(e, "Path"), 0);
	assert_false(header_lists(e, "Supported", "path"));
}

static void path_off_require_path_gets_420(void **state)
{
	struct th_env *e = env_path(state, SR_PATH_OFF);
	struct th_req r = { .contact = "<sip:alice@198.51.100.2>",
			    .extra = "Path: " P1 "\r\nSupported: path\r\nRequire: path\r\n" };
	assert_int_equal(th_send(e, &r), 420);
	assert_string_equal(th_header(e, "Unsupported", 0), "path");
	assert_int_equal(th_binding_count(e, ALICE), 0);
	assert_int_equal(e->n_events, 0);
	/* Lazy mode knows path: the same request is accepted. */
	e = env_path(state, SR_PATH_LAZY);
	assert_int_equal(th_send(e, &r), 200);
}

static void path_lazy_stored_echoed_only_if_supported(void **state)
{
	struct th_env *e = env_path(state, SR_PATH_LAZY);
	struct th_req r = { .contact = "<sip:alice@198.51.100.2>", .extra = "Path: " P1 "\r\n" };
	assert_int_equal(th_send(e, &r), 200);
	assert_string_equal(th_field(th_binding(e, ALICE, 0), SR_BF_PATH), P1);
	assert_int_equal(th_header_count(e, "Path"), 0); /* the UA did not say it supports path */
	assert_true(header_lists(e, "Supported", "path"));

	struct th_req r2 = { .contact = "<sip:alice@198.51.100.2>", .cseq = 2,
			     .extra = "Path: " P2 "\r\nSupported: path\r\n" };
	assert_int_equal(th_send(e, &r2), 200);
	assert_int_equal(th_binding_count(e, ALICE), 1);
	assert_string_equal(th_field(th_binding(e, ALICE, 0), SR_BF_PATH), P2); /* the latest Path wins */
	assert_int_equal(th_header_count(e, "Path"), 1);
	assert_string_equal(th_header(e, "Path", 0), P2);

	/* A refresh without Path clears it. */
	struct th_req r3 = { .contact = "<sip:alice@198.51.100.2>", .cseq = 3, .extra = "Supported: path\r\n" };
	assert_int_equal(th_send(e, &r3), 200);
	assert_string_equal(th_field(th_binding(e, ALICE, 0), SR_BF_PATH), "");
	assert_int_equal(th_header_count(e, "Path"), 0);
}

static void path_strict(void **state)
{
	struct th_env *e = env_path(state, SR_PATH_STRICT);
	struct th_req r = { .contact = "<sip:alice@198.51.100.2>", .extra = "Path: " P1 "\r\n" };
	assert_int_equal(th_send(e, &r), 420);
	assert_string_equal(th_header(e, "Unsupported", 0), "path");
	assert_int_equal(th_binding_count(e, ALICE), 0);
	assert_int_equal(e->n_events, 0);

	struct th_req ok = { .contact = "<sip:alice@198.51.100.2>", .cseq = 2,
			     .extra = "Path: " P1 "\r\nSupported: path\r\n" };
	assert_int_equal(th_send(e, &ok), 200);
	assert_string_equal(th_field(th_binding(e, ALICE, 0), SR_BF_PATH), P1);
	assert_string_equal(th_header(e, "Path", 0), P1);
	assert_null(th_header(e, "Unsupported", 0));

	/* No Path at all needs no Supported: path. */
	assert_int_equal(th_register(e, "bob", "<sip:bob@198.51.100.2>", "c9", 1), 200);
	assert_string_equal(th_field(th_binding(e, "sip:bob@example.com", 0), SR_BF_PATH), "");
}

/* Several Path headers and comma lists are stored and echoed as one list, in order. */
static void path_values_joined_in_order(void **state)
{
	for (int mode = SR_PATH_LAZY; mode <= SR_PATH_STRICT; mode++) {
		struct th_env *e = env_path(state, (enum sr_path_mode)mode);
		struct th_req r = { .contact = "<sip:alice@198.51.100.2>",
				    .extra = "Path: " P1 ", " P2 "\r\nSupported: path\r\nPath: " P3 "\r\n" };
		assert_int_equal(th_send(e, &r), 200);
		assert_string_equal(th_field(th_binding(e, ALICE, 0), SR_BF_PATH), P1 ", " P2 ", " P3);
		assert_int_equal(th_header_count(e, "Path"), 1);
		assert_string_equal(th_header(e, "Path", 0), P1 ", " P2 ", " P3);
	}
}

/* A retransmission is answered as the original was, Path included. */
static void path_echoed_in_retransmission(void **state)
{
	for (int mode = SR_PATH_LAZY; mode <= SR_PATH_STRICT; mode++) {
		struct th_env *e = env_path(state, (enum sr_path_mode)mode);
		struct th_req r = { .contact = "<sip:alice@198.51.100.2>", .cseq = 5,
				    .extra = "Path: " P1 "\r\nSupported: path\r\n" };
		assert_int_equal(th_send(e, &r), 200);
		assert_string_equal(th_header(e, "Path", 0), P1);
		static char first[sizeof(e->resp)];
		memcpy(first, e->resp, sizeof(first));
		e->n_events = 0;
		assert_int_equal(th_send(e, &r), 200);
		assert_int_equal(e->n_events, 0);
		assert_string_equal(th_header(e, "Path", 0), P1);
		assert_string_equal(e->resp, first);
	}
}

/* ---- outbound (RFC 5626) ---- */

static int register_ob(struct th_env *e, const char *contact, const char *call_id, uint32_t cseq,
		       const char *extra)
{
	struct th_req r = { .contact = contact, .call_id = call_id, .cseq = cseq,
			    .extra = extra ? extra : "Supported: path, outbound\r\n" };
	return th_send(e, &r);
}

static void outbound_same_instance_and_reg_id_replaces(void **state)
{
	struct th_env *e = env(state);
	assert_int_equal(register_ob(e, "<sip:alice@192.0.2.10:5060;transport=tcp>;" INST1 ";reg-id=1", "c1", 1,
				     NULL), 200);
	const struct sr_binding *b = th_binding(e, ALICE, 0);
	assert_non_null(b);
	assert_true(b->flags & SR_BFLAG_OUTBOUND);
	assert_int_equal(b->reg_id, 1);
	assert_string_equal(th_field(b, SR_BF_INSTANCE), "<" UUID1 ">");
	assert_string_equal(th_header(e, "Require", 0), "outbound");

	/* The flow came back from another address (a NAT rebinding), with a new Call-ID. */
	e->n_events = 0;
	e->src.port = 40001;
	assert_int_equal(register_ob(e, "<sip:alice@203.0.113.50:61000;transport=tcp>;" INST1 ";reg-id=1", "c2", 1,
				     NULL), 200);
	e->src.port = 5060;
	assert_int_equal(th_binding_count(e, ALICE), 1);
	assert_int_equal(e->n_events, 1);
	assert_int_equal(e->events[0].type, SR_EV_REFRESHED);
	assert_string_equal(e->events[0].contact, "sip:alice@203.0.113.50:61000;transport=tcp");
	b = th_binding(e, ALICE, 0);
	assert_string_equal(th_field(b, SR_BF_CONTACT), "sip:alice@203.0.113.50:61000;transport=tcp");
	assert_string_equal(th_field(b, SR_BF_CALL_ID), "c2");
	assert_int_equal(b->src_port, 40001);
	assert_int_equal(th_header_count(e, "Contact"), 1);
	assert_non_null(strstr(th_header(e, "Contact", 0), "<sip:alice@203.0.113.50:61000;transport=tcp>"));

	/* Another reg-id of the same instance is a second flow: a second binding. */
	e->n_events = 0;
	assert_int_equal(register_ob(e, "<sip:alice@198.51.100.77:5062;transport=tcp>;" INST1 ";reg-id=2", "c3", 1,
				     NULL), 200);
	assert_int_equal(th_binding_count(e, ALICE), 2);
	assert_int_equal(e->n_events, 1);
	assert_int_equal(e->events[0].type, SR_EV_ADDED);
	assert_int_equal(th_binding(e, ALICE, 1)->reg_id, 2);
	assert_int_equal(th_header_count(e, "Contact"), 2);

	/* expires=0 on (instance, reg-id 1) removes that flow only, whatever URI it names. */
	e->n_events = 0;
	assert_int_equal(register_ob(e, "<sip:alice@192.0.2.99;transport=tcp>;" INST1 ";reg-id=1;expires=0", "c2", 2,
				     NULL), 200);
	assert_int_equal(th_binding_count(e, ALICE), 1);
	assert_int_equal(e->events[0].type, SR_EV_REMOVED);
	assert_int_equal(th_binding(e, ALICE, 0)->reg_id, 2);
}

static void outbound_reg_id_without_instance_gets_400(void **state)
{
	struct th_env *e = env(state);
	assert_int_equal(register_ob(e, "<sip:alice@192.0.2.10;transport=tcp>;reg-id=1", "c1", 1, NULL), 400);
	assert_string_equal(th_reason(e), "reg-id Without +sip.instance in Contact");
	assert_int_equal(th_binding_count(e, ALICE), 0);
	assert_int_equal(e->n_events, 0);
}

static void outbound_two_reg_ids_get_400(void **state)
{
	struct th_env *e = env(state);
	assert_int_equal(register_ob(e,
				     "<sip:alice@192.0.2.10;transport=tcp>;" INST1 ";reg-id=1, "
				     "<sip:alice@192.0.2.11;transport=tcp>;" INST1 ";reg-id=2",
				     "c1", 1, NULL), 400);
	assert_string_equal(th_reason(e), "More Than One Contact With reg-id");
	assert_int_equal(th_binding_count(e, ALICE), 0);
	assert_int_equal(e->n_events, 0);
	/* One reg-id contact next to a plain one is fine. */
	assert_int_equal(register_ob(e,
				     "<sip:alice@192.0.2.10;transport=tcp>;" INST1 ";reg-id=1, <sip:alice@192.0.2.12>",
				     "c1", 2, NULL), 200);
	assert_int_equal(th_binding_count(e, ALICE), 2);
}

/* Require: outbound only when outbound was used and the UA said it supports it. */
static void outbound_require_in_200(void **state)
{
	struct th_env *e = env(state);
	const char *ob = "<sip:alice@192.0.2.10;transport=tcp>;" INST1 ";reg-id=1";
	assert_int_equal(register_ob(e, ob, "c1", 1, NULL), 200);
	assert_true(header_lists(e, "Require", "outbound"));
	assert_true(header_lists(e, "Supported", "outbound"));
	/* No Supported: outbound from the UA: no Require. */
	assert_int_equal(register_ob(e, ob, "c1", 2, "Supported: path\r\n"), 200);
	assert_false(header_lists(e, "Require", "outbound"));
	/* No reg-id contact: no Require, even with Supported: outbound. */
	assert_int_equal(register_ob(e, "<sip:alice@192.0.2.20>", "c4", 1, NULL), 200);
	assert_null(th_header(e, "Require", 0));
	/* A retransmission is answered with it again. */
	assert_int_equal(register_ob(e, ob, "c1", 3, NULL), 200);
	static char first[sizeof(e->resp)];
	memcpy(first, e->resp, sizeof(first));
	assert_int_equal(register_ob(e, ob, "c1", 3, NULL), 200);
	assert_string_equal(e->resp, first);
	assert_true(header_lists(e, "Require", "outbound"));
}

/* With outbound off, reg-id is an ordinary parameter: no 400, no (instance, reg-id) matching. */
static void outbound_off_reg_id_ignored(void **state)
{
	struct sr_reg_config cfg;
	th_default_config(&cfg);
	cfg.outbound = false;
	struct th_env *e = use_env(state, &cfg);
	assert_int_equal(register_ob(e, "<sip:alice@192.0.2.10;transport=tcp>;reg-id=1", "c1", 1, NULL), 200);
	assert_false(th_binding(e, ALICE, 0)->flags & SR_BFLAG_OUTBOUND);
	assert_null(th_header(e, "Require", 0));
	assert_false(header_lists(e, "Supported", "outbound"));
	/* The reg-id is still echoed as a parameter. */
	assert_string_equal(th_header(e, "Contact", 0), "<sip:alice@192.0.2.10;transport=tcp>;reg-id=1;expires=3600" RCVD);
	/* Require: outbound cannot be honoured. */
	assert_int_equal(register_ob(e, "<sip:alice@192.0.2.10;transport=tcp>;reg-id=1", "c1", 2,
				     "Supported: outbound\r\nRequire: outbound\r\n"), 420);
	assert_string_equal(th_header(e, "Unsupported", 0), "outbound");
	/* Two reg-ids in one request are no error either. */
	assert_int_equal(register_ob(e,
				     "<sip:alice@192.0.2.11;transport=tcp>;reg-id=1, <sip:alice@192.0.2.12;transport=tcp>;reg-id=2",
				     "c1", 3, NULL), 200);
	assert_int_equal(th_binding_count(e, ALICE), 3);

	/* An instance with another reg-id names the same binding: the instance alone matches. */
	e = use_env(state, &cfg);
	assert_int_equal(register_ob(e, "<sip:alice@192.0.2.10;transport=tcp>;" INST1 ";reg-id=1", "c1", 1, NULL), 200);
	e->n_events = 0;
	assert_int_equal(register_ob(e, "<sip:alice@192.0.2.30;transport=tcp>;" INST1 ";reg-id=2", "c1", 2, NULL), 200);
	assert_int_equal(th_binding_count(e, ALICE), 1);
	assert_int_equal(e->events[0].type, SR_EV_REFRESHED);
	assert_string_equal(th_field(th_binding(e, ALICE, 0), SR_BF_CONTACT), "sip:alice@192.0.2.30;transport=tcp");
	assert_int_equal(th_binding(e, ALICE, 0)->reg_id, 0);
}

/* An instance without reg-id replaces the binding of that instance (RFC 5626 section 6). */
static void instance_without_reg_id_replaces(void **state)
{
	struct th_env *e = env(state);
	assert_int_equal(th_register(e, "alice", "<sip:alice@192.0.2.10>;" INST2, "c1", 1), 200);
	assert_int_equal(th_register(e, "alice", "<sip:alice@192.0.2.40>;" INST1, "c9", 1), 200);
	assert_int_equal(th_binding_count(e, ALICE), 2);
	e->n_events = 0;
	assert_int_equal(th_register(e, "alice", "<sip:alice@203.0.113.9:5070>;" INST2, "c2", 1), 200);
	assert_int_equal(th_binding_count(e, ALICE), 2);
	assert_int_equal(e->n_events, 1);
	assert_int_equal(e->events[0].type, SR_EV_REFRESHED);
	assert_string_equal(e->events[0].contact, "sip:alice@203.0.113.9:5070");
	assert_string_equal(th_field(th_binding(e, ALICE, 0), SR_BF_CONTACT), "sip:alice@203.0.113.9:5070");
	assert_string_equal(th_field(th_binding(e, ALICE, 0), SR_BF_INSTANCE), "<" UUID2 ">");
	assert_string_equal(th_field(th_binding(e, ALICE, 1), SR_BF_CONTACT), "sip:alice@192.0.2.40");
}

/* ---- GRUU (RFC 5627) ---- */

/* Extracts the quoted value of ;name="..." from s into out; false if absent. */
static bool quoted_param(const char *s, const char *name, char *out, size_t cap)
{
	char pat[64];
	snprintf(pat, sizeof(pat), ";%s=\"", name);
	const char *p = strstr(s, pat);
	if (!p)
		return false;
	p += strlen(pat);
	const char *q = strchr(p, '"');
	if (!q || (size_t)(q - p) >= cap)
		return false;
	memcpy(out, p, (size_t)(q - p));
	out[q - p] = '\0';
	return true;
}

/* Checks the 200's only Contact has both GRUUs; returns the temp-gruu (static). */
static const char *check_gruus(struct th_env *e, const char *uuid)
{
	static char tmp[256];
	char pub[256], want[256];
	const char *ct = th_header(e, "Contact", 0);
	assert_non_null(ct);
	assert_true(quoted_param(ct, "pub-gruu", pub, sizeof(pub)));
	snprintf(want, sizeof(want), "sip:alice@example.com;gr=%s", uuid);
	assert_string_equal(pub, want);
	assert_true(quoted_param(ct, "temp-gruu", tmp, sizeof(tmp)));
	/* "tgruu.", a 16-digit nonce, then the AoR encrypted, two hex digits a byte (reg_tgruu.h) */
	size_t hex = 16 + 2 * strlen(ALICE);
	assert_int_equal(strlen(tmp), strlen("sip:tgruu.") + hex + strlen("@example.com;gr"));
	assert_memory_equal(tmp, "sip:tgruu.", 10);
	for (size_t i = 10; i < 10 + hex; i++)
		assert_true(isxdigit((unsigned char)tmp[i]) && !isupper((unsigned char)tmp[i]));
	assert_string_equal(tmp + 10 + hex, "@example.com;gr");
	/* The temporary GRUU does not reveal the AoR. */
	assert_null(strstr(tmp, "alice"));
	return tmp;
}

static void gruu_in_200(void **state)
{
	struct th_env *e = env(state);
	struct th_req r = { .contact = "<sip:alice@192.0.2.10>;" INST2, .call_id = "c1", .cseq = 1,
			    .extra = "Supported: gruu\r\n" };
	assert_int_equal(th_send(e, &r), 200);
	char t1[256];
	snprintf(t1, sizeof(t1), "%s", check_gruus(e, UUID2));
	assert_true(th_binding(e, ALICE, 0)->flags & SR_BFLAG_GRUU);
	assert_true(header_lists(e, "Supported", "gruu"));

	/* Retransmission: the same temp-gruu (the whole response is the same). */
	static char first[sizeof(e->resp)];
	memcpy(first, e->resp, sizeof(first));
	assert_int_equal(th_send(e, &r), 200);
	assert_string_equal(e->resp, first);
	assert_string_equal(check_gruus(e, UUID2), t1);

	/* A refresh in the same Call-ID keeps it. */
	struct th_req r2 = r;
	r2.cseq = 2;
	assert_int_equal(th_send(e, &r2), 200);
	assert_string_equal(check_gruus(e, UUID2), t1);

	/* A new Call-ID (the UA rebooted) gets another temporary GRUU. */
	struct th_req r3 = r;
	r3.call_id = "c2";
	assert_int_equal(th_send(e, &r3), 200);
	assert_int_equal(th_binding_count(e, ALICE), 1);
	assert_string_not_equal(check_gruus(e, UUID2), t1);
}

/*
 * Issue 15 item 11: the temporary GRUU and the To-tag are keyed hashes of
 * what the client sent; they must not give registrar.secret back. Each
 * runs the request under the given secret and returns the two values.
 */
struct keyed_out {
	uint64_t tgruu, tag;
};

static uint64_t hex_at(const char *s)
{
	uint64_t v = 0;
	for (int i = 0; i < 16; i++)
		v = v << 4 | (uint64_t)(isdigit((unsigned char)s[i]) ? s[i] - '0' : s[i] - 'a' + 10);
	return v;
}

static struct keyed_out keyed_outputs(uint64_t secret)
{
	struct sr_reg_config cfg;
	th_default_config(&cfg);
	cfg.secret = secret;
	struct th_env *e = th_env_new(&cfg, NULL);
	assert_non_null(e);
	struct th_req r = { .contact = "<sip:alice@192.0.2.10>;" INST2, .call_id = "c1", .cseq = 1,
			    .extra = "Supported: gruu\r\n" };
	assert_int_equal(th_send(e, &r), 200);
	struct keyed_out o;
	o.tgruu = hex_at(check_gruus(e, UUID2) + 10);
	const char *tag = strstr(th_header(e, "To", 0), ";tag=");
	assert_non_null(tag);
	assert_int_equal(strlen(tag + 5), 16);
	o.tag = hex_at(tag + 5);
	th_env_free(e);
	return o;
}

/* The multiplicative inverse of an odd number modulo 2**64 (Newton's iteration). */
static uint64_t inverse(uint64_t k)
{
	uint64_t x = k;
	for (int i = 0; i < 6; i++)
		x *= 2 - k * x;
	return x;
}

static void keyed_values_do_not_reveal_the_secret(void **state)
{
	(void)state;
	const uint64_t secret = 0x1234567890abcdefull, K = 0x9e3779b97f4a7c15ull, kinv = inverse(K);
	assert_true(K * kinv == 1);
	struct keyed_out o = keyed_outputs(secret);
	/*
	 * The old recipes, run backwards (what an attacker did with one response):
	 * tgruu = ((S ^ H(aor)) * K ^ H(instance)) * K ^ H(call-id),
	 * tag = ((S ^ "SRTAG" ^ H(call-id)) * K ^ H(from-tag)) * K ^ cseq.
	 */
	const char *inst = "<" UUID2 ">";
	uint64_t g = ((o.tgruu ^ sr_hash64("c1", 2)) * kinv ^ sr_hash64(inst, strlen(inst))) * kinv ^
		     sr_hash64(ALICE, strlen(ALICE));
	uint64_t t = (((o.tag ^ 1) * kinv ^ sr_hash64("from-tag-1", 10)) * kinv) ^ sr_hash64("c1", 2) ^ 0x5352544147ull;
	if (g == secret || t == secret)
		fail_msg("registrar.secret recovered from the %s", g == secret ? "temporary GRUU" : "To-tag");
	/* Secrets one bit apart give unrelated values (the old mixing changed only bits above the flip). */
	for (unsigned bit = 0; bit < 64; bit += 21) {
		struct keyed_out f = keyed_outputs(secret ^ 1ull << bit);
		int dg = __builtin_popcountll(f.tgruu ^ o.tgruu), dt = __builtin_popcountll(f.tag ^ o.tag);
		if (dg < 12 || dt < 12)
			fail_msg("secret bit %u flipped: temp-gruu differs in %d bits, To-tag in %d of 64", bit, dg, dt);
	}
	/* and the same secret, the same values: a retransmission or another worker answers alike */
	struct keyed_out again = keyed_outputs(secret);
	assert_true(again.tgruu == o.tgruu && again.tag == o.tag);
}

/* GRUUs of a SIPS AoR are SIPS URIs, the temporary one too (RFC 5627). */
static void gruu_sips_aor(void **state)
{
	struct th_env *e = env(state);
	struct th_req r = { .to = "sips:alice@example.com", .contact = "<sips:alice@192.0.2.10>;" INST2,
			    .extra = "Supported: gruu\r\n" };
	assert_int_equal(th_send(e, &r), 200);
	char pub[256], tmp[256];
	const char *ct = th_header(e, "Contact", 0);
	assert_true(quoted_param(ct, "pub-gruu", pub, sizeof(pub)));
	assert_true(quoted_param(ct, "temp-gruu", tmp, sizeof(tmp)));
	assert_string_equal(pub, "sips:alice@example.com;gr=" UUID2);
	assert_memory_equal(tmp, "sips:tgruu.", 11);
	assert_non_null(strstr(tmp, "@example.com;gr"));
}

static void gruu_not_without_support(void **state)
{
	struct th_env *e = env(state);
	/* No Supported: gruu from the UA. */
	assert_int_equal(th_register(e, "alice", "<sip:alice@192.0.2.10>;" INST2, "c1", 1), 200);
	assert_null(strstr(th_header(e, "Contact", 0), "gruu"));
	/* Supported: gruu but no instance: nothing to build a GRUU from. */
	struct th_req r = { .to = "sip:bob@example.com", .contact = "<sip:bob@192.0.2.10>", .call_id = "c2",
			    .extra = "Supported: gruu\r\n" };
	assert_int_equal(th_send(e, &r), 200);
	assert_null(strstr(th_header(e, "Contact", 0), "gruu"));

	/* GRUU switched off by the operator. */
	struct sr_reg_config cfg;
	th_default_config(&cfg);
	cfg.gruu = false;
	e = use_env(state, &cfg);
	struct th_req g = { .contact = "<sip:alice@192.0.2.10>;" INST2, .extra = "Supported: gruu\r\n" };
	assert_int_equal(th_send(e, &g), 200);
	assert_null(strstr(th_header(e, "Contact", 0), "gruu"));
	assert_false(header_lists(e, "Supported", "gruu"));
	/* ... and Require: gruu is refused. */
	struct th_req req = { .contact = "<sip:alice@192.0.2.10>;" INST2, .cseq = 2,
			      .extra = "Supported: gruu\r\nRequire: gruu\r\n" };
	e->n_events = 0;
	assert_int_equal(th_send(e, &req), 420);
	assert_string_equal(th_header(e, "Unsupported", 0), "gruu");
	assert_int_equal(e->n_events, 0);
	assert_int_equal(th_binding(e, ALICE, 0)->cseq, 1);
}

/* ---- push (RFC 8599) ---- */

static void push_contact_matches_on_pn_params(void **state)
{
	struct th_env *e = env(state);
	assert_int_equal(th_register(e, "alice", "<sip:alice@198.51.100.7;pn-provider=apns;pn-prid=ABC;pn-param=X>",
				     "c1", 1), 200);
	assert_int_equal(th_binding_count(e, ALICE), 1);
	/* The phone woke up behind another address and port, with a new Call-ID. */
	e->n_events = 0;
	assert_int_equal(th_register(e, "alice",
				     "<sip:alice@198.51.100.8:5070;pn-provider=apns;pn-prid=ABC;pn-param=X>", "c2", 1),
			 200);
	assert_int_equal(th_binding_count(e, ALICE), 1);
	assert_int_equal(e->n_events, 1);
	assert_int_equal(e->events[0].type, SR_EV_REFRESHED);
	assert_string_equal(th_field(th_binding(e, ALICE, 0), SR_BF_CONTACT),
			    "sip:alice@198.51.100.8:5070;pn-provider=apns;pn-prid=ABC;pn-param=X");
	assert_int_equal(th_header_count(e, "Contact"), 1);
	assert_string_equal(th_header(e, "Contact", 0),
			    "<sip:alice@198.51.100.8:5070;pn-provider=apns;pn-prid=ABC;pn-param=X>;expires=3600" RCVD);

	/* Another device (pn-prid) is another binding, even at the same URI otherwise. */
	e->n_events = 0;
	assert_int_equal(th_register(e, "alice",
				     "<sip:alice@198.51.100.8:5070;pn-provider=apns;pn-prid=DEF;pn-param=X>", "c3", 1),
			 200);
	assert_int_equal(th_binding_count(e, ALICE), 2);
	assert_int_equal(e->events[0].type, SR_EV_ADDED);
	/* So is another pn-param (another app on the device). */
	assert_int_equal(th_register(e, "alice",
				     "<sip:alice@198.51.100.8:5070;pn-provider=apns;pn-prid=DEF;pn-param=Y>", "c4", 1),
			 200);
	assert_int_equal(th_binding_count(e, ALICE), 3);

	/* expires=0 from the new address removes the device's binding. */
	e->n_events = 0;
	assert_int_equal(th_register(e, "alice",
				     "<sip:alice@198.51.100.9;pn-provider=apns;pn-prid=ABC;pn-param=X>;expires=0", "c2", 2),
			 200);
	assert_int_equal(th_binding_count(e, ALICE), 2);
	assert_int_equal(e->n_events, 1);
	assert_int_equal(e->events[0].type, SR_EV_REMOVED);
	assert_string_equal(e->events[0].contact,
			    "sip:alice@198.51.100.8:5070;pn-provider=apns;pn-prid=ABC;pn-param=X");
}

/* ---- contact parameters ---- */

static void contact_params_echoed(void **state)
{
	struct th_env *e = env(state);
	assert_int_equal(register_ob(e,
				     "<sip:alice@192.0.2.10;transport=tcp>;" INST1 ";reg-id=1;+sip.ice;audio;"
				     "+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.mmtel\";expires=600;q=0.7",
				     "c1", 1, NULL), 200);
	assert_string_equal(th_field(th_binding(e, ALICE, 0), SR_BF_PARAMS),
			    ";" INST1 ";reg-id=1;+sip.ice;audio;"
			    "+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.mmtel\"");
	assert_string_equal(th_header(e, "Contact", 0),
			    "<sip:alice@192.0.2.10;transport=tcp>;" INST1 ";reg-id=1;+sip.ice;audio;"
			    "+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.mmtel\";expires=600;q=0.7" RCVD);
	/* Later: expires is the remaining time and q the stored one, never the request's text. */
	e->now_ms += 100000;
	assert_int_equal(th_register(e, "alice", NULL, "c7", 1), 200);
	assert_string_equal(th_header(e, "Contact", 0),
			    "<sip:alice@192.0.2.10;transport=tcp>;" INST1 ";reg-id=1;+sip.ice;audio;"
			    "+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.mmtel\";expires=500;q=0.7" RCVD);
	/* A refresh with other parameters replaces them. */
	assert_int_equal(register_ob(e, "<sip:alice@192.0.2.10;transport=tcp>;" INST1 ";reg-id=1;video;Expires=1200",
				     "c1", 2, NULL), 200);
	assert_int_equal(th_binding_count(e, ALICE), 1);
	assert_string_equal(th_header(e, "Contact", 0),
			    "<sip:alice@192.0.2.10;transport=tcp>;" INST1 ";reg-id=1;video;expires=1200" RCVD);
}

/* ---- NAT (issue 12: OpenSIPS received_param) ---- */

/*
 * A Contact naming the REGISTER's source is reached directly: no flag, no
 * ;received=. One naming a private address (or another port) is behind NAT:
 * flagged in the store and its 200 Contact says where it is really reached.
 */
static void received_on_contacts_behind_nat(void **state)
{
	struct th_env *e = env(state);
	assert_int_equal(th_register(e, "alice", "<sip:alice@198.51.100.2:5060>", "c1", 1), 200);
	assert_false(th_binding(e, ALICE, 0)->flags & SR_BFLAG_NAT);
	assert_string_equal(th_header(e, "Contact", 0), "<sip:alice@198.51.100.2:5060>;expires=3600");

	e->src.port = 40000; /* the same phone, now through a NAT that maps its port */
	assert_int_equal(th_register(e, "alice", "<sip:alice@10.1.2.3:5060>", "c1", 2), 200);
	assert_int_equal(th_binding_count(e, ALICE), 2);
	assert_string_equal(th_header(e, "Contact", 0), "<sip:alice@198.51.100.2:5060>;expires=3600");
	assert_string_equal(th_header(e, "Contact", 1),
			    "<sip:alice@10.1.2.3:5060>;expires=3600;received=\"sip:198.51.100.2:40000\"");
	assert_true(th_binding(e, ALICE, 1)->flags & SR_BFLAG_NAT);
	/* The flag is the binding's fact: persisted with it (the store's event carries it). */
	struct sr_loc_binding v;
	sr_loc_view(th_binding(e, ALICE, 1), &v);
	assert_true(v.st.flags & SR_BFLAG_NAT);
}

/* ---- the Allow filter's facts (issue 12: OpenSIPS lookup method filtering) ---- */

/*
 * The REGISTER's Allow is stored per binding (narrowed by a Contact's
 * methods tag), goes with the binding to persistence, and a refresh without
 * Allow forgets it (the registration now says nothing about methods).
 */
static void allow_stored_per_binding(void **state)
{
	struct th_env *e = env(state);
	struct th_req r = { .contact = "<sip:alice@198.51.100.2:5060>, <sip:alice@198.51.100.2:5062>;methods=\"INVITE,BYE\"",
			    .call_id = "c1", .cseq = 1, .extra = "Allow: INVITE, ACK, BYE, CANCEL\r\n" };
	assert_int_equal(th_send(e, &r), 200);
	assert_int_equal(th_binding_count(e, ALICE), 2);
	const uint32_t call = SR_SIP_ALLOW_PRESENT | SR_SIP_M_INVITE | SR_SIP_M_ACK | SR_SIP_M_BYE | SR_SIP_M_CANCEL;
	assert_int_equal(th_binding(e, ALICE, 0)->allow, call);
	assert_int_equal(th_binding(e, ALICE, 1)->allow, SR_SIP_ALLOW_PRESENT | SR_SIP_M_INVITE | SR_SIP_M_BYE);
	struct sr_loc_binding v;
	sr_loc_view(th_binding(e, ALICE, 0), &v);
	assert_int_equal(v.st.allow, call);

	r = (struct th_req){ .contact = "<sip:alice@198.51.100.2:5060>", .call_id = "c1", .cseq = 2 };
	assert_int_equal(th_send(e, &r), 200);
	assert_int_equal(th_binding(e, ALICE, 0)->allow, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, th_setup, th_teardown)
		T(path_off_not_stored_not_echoed),
		T(path_off_require_path_gets_420),
		T(path_lazy_stored_echoed_only_if_supported),
		T(path_strict),
		T(path_values_joined_in_order),
		T(path_echoed_in_retransmission),
		T(outbound_same_instance_and_reg_id_replaces),
		T(outbound_reg_id_without_instance_gets_400),
		T(outbound_two_reg_ids_get_400),
		T(outbound_require_in_200),
		T(outbound_off_reg_id_ignored),
		T(instance_without_reg_id_replaces),
		T(gruu_in_200),
		T(allow_stored_per_binding),
		cmocka_unit_test(keyed_values_do_not_reveal_the_secret),
		T(gruu_sips_aor),
		T(gruu_not_without_support),
		T(push_contact_matches_on_pn_params),
		T(contact_params_echoed),
		T(received_on_contacts_behind_nat),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
