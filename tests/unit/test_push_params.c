/*
 * test_push_params.c - lib/push's pure decisions about one contact: the
 * [push] settings, packing, classification (555), the registrar's match
 * key, the wake key, Feature-Caps, PURRs and the contactRefresh JSON
 * (decoded field by field with jansson).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "push.h"

static const uint64_t secret[2] = { 0x0123456789abcdefull, 0xfedcba9876543210ull };

static struct sr_push_rules rules_with(const char *providers, const char *match, bool purr)
{
	struct sr_push_config c;
	sr_push_config_defaults(&c);
	c.enable = true;
	c.purr = purr;
	snprintf(c.providers, sizeof(c.providers), "%s", providers);
	if (match)
		snprintf(c.match_params, sizeof(c.match_params), "%s", match);
	struct sr_push_rules r;
	char err[256];
	const char *m = sr_push_rules_init(&r, &c, err, sizeof(err));
	if (m)
		fail_msg("%s", m);
	return r;
}

static struct sr_push_rules rules(void)
{
	return rules_with("apns, fcm", NULL, false);
}

/* Packs "name=value;name;..." (a Contact URI's parameter list) with r. */
static struct sr_str pack(const struct sr_push_rules *r, const char *list, char *buf, size_t cap)
{
	struct sr_push_param p[16];
	unsigned n = 0;
	static char copy[1024];
	snprintf(copy, sizeof(copy), "%s", list);
	for (char *save, *tok = strtok_r(copy, ";", &save); tok && n < 16; tok = strtok_r(NULL, ";", &save)) {
		char *eq = strchr(tok, '=');
		p[n].name = sr_str_make(tok, eq ? (size_t)(eq - tok) : strlen(tok));
		p[n].value = eq ? sr_str_cstr(eq + 1) : SR_STR_NULL;
		n++;
	}
	long len = sr_push_pack(r, p, n, buf, cap);
	assert_true(len >= 0);
	/* the packed form must not point into 'copy', which the next call reuses */
	return sr_str_make(buf, (size_t)len);
}

/* ---------------------------------------------------------------- settings */

static const char *refused(void (*edit)(struct sr_push_config *), char *err, size_t len)
{
	struct sr_push_config c;
	sr_push_config_defaults(&c);
	c.enable = true;
	snprintf(c.providers, sizeof(c.providers), "apns");
	edit(&c);
	return sr_push_config_check(&c, err, len);
}

static void no_providers(struct sr_push_config *c) { c->providers[0] = '\0'; }
static void pnsreg_too_small(struct sr_push_config *c) { c->pnsreg_interval = c->trigger_interval; }
static void purr_alone(struct sr_push_config *c) { c->enable = false, c->purr = true; }
static void bad_char(struct sr_push_config *c) { snprintf(c->providers, sizeof(c->providers), "apns,f\"cm"); }
static void twice(struct sr_push_config *c) { snprintf(c->match_params, sizeof(c->match_params), "pn-prid,PN-PRID"); }
static void too_many(struct sr_push_config *c) { snprintf(c->providers, sizeof(c->providers), "a b c d e f g h i"); }
static void no_match(struct sr_push_config *c) { c->match_params[0] = '\0'; }
static void ftp_url(struct sr_push_config *c) { snprintf(c->gateway.url, sizeof(c->gateway.url), "ftp://x/"); }
static void parallel_over_queue(struct sr_push_config *c) { c->gateway.parallel = c->gateway.queue + 1; }
static void nothing(struct sr_push_config *c) { (void)c; }

static void test_config(void **state)
{
	(void)state;
	struct sr_push_config c;
	sr_push_config_defaults(&c);
	/* the manual's defaults */
	assert_false(c.enable);
	assert_int_equal(c.pnsreg_interval, 130);
	assert_int_equal(c.trigger_interval, 120);
	assert_int_equal(c.skip_interval, 0);
	assert_int_equal(c.refresh_timeout, 6);
	assert_string_equal(c.match_params, "pn-provider,pn-prid,pn-param");
	char err[256];
	assert_null(sr_push_config_check(&c, err, sizeof(err))); /* off needs nothing */

	assert_null(refused(nothing, err, sizeof(err)));
	const struct {
		void (*edit)(struct sr_push_config *);
		const char *key;
	} bad[] = {
		{ no_providers, "push.providers" },   { pnsreg_too_small, "push.pnsreg_interval" },
		{ purr_alone, "push.purr" },          { bad_char, "push.providers" },
		{ twice, "push.match_params" },       { too_many, "push.providers" },
		{ no_match, "push.match_params" },    { ftp_url, "push.gateway_url" },
		{ parallel_over_queue, "push.gateway_parallel" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *m = refused(bad[i].edit, err, sizeof(err));
		assert_non_null(m);
		if (strncmp(m, bad[i].key, strlen(bad[i].key)) != 0)
			fail_msg("case %zu: '%s' does not name %s", i, m, bad[i].key);
	}

	struct sr_push_rules r = rules_with(" apns ,fcm\twebpush", "PN-Provider, pn-prid", false);
	assert_int_equal(r.n_providers, 3);
	assert_string_equal(r.provider[2], "webpush");
	assert_int_equal(r.n_match, 2);
	assert_string_equal(r.match[0], "pn-provider"); /* names are compared without case: kept lower */
}

/* ---------------------------------------------------------------- packing and classification */

static void test_pack(void **state)
{
	(void)state;
	struct sr_push_rules r = rules_with("apns", "pn-provider,pn-prid,app-id", false);
	char buf[256];
	struct sr_str p = pack(&r, "transport=udp;PN-Provider=apns;pn-prid=T1;ob;app-id=7;pn-prid=T2;pn-silent", buf,
			       sizeof(buf));
	/* pn-* and match parameters only, lower-case names, the first pn-prid wins, values as sent */
	const char want[] = "pn-provider\0apns\0pn-prid\0T1\0app-id\0007\0pn-silent\0\0";
	assert_int_equal(p.len, sizeof(want) - 1);
	assert_memory_equal(p.p, want, p.len);
	struct sr_str v;
	assert_true(sr_push_packed_get(p, "pn-silent", &v));
	assert_int_equal(v.len, 0);
	assert_false(sr_push_packed_get(p, "transport", &v));
	/* a tail without its closing NUL is not read past */
	assert_false(sr_push_packed_get(sr_str_make(want, sizeof(want) - 2), "pn-silent", &v));
	/* too small: refused, not truncated */
	struct sr_push_param one = { SR_STR_LIT("pn-prid"), SR_STR_LIT("abc") };
	assert_int_equal(sr_push_pack(&r, &one, 1, buf, 11), -1);
	assert_int_equal(sr_push_pack(&r, &one, 1, buf, 12), 12);
	/* nothing to keep */
	struct sr_push_param plain = { SR_STR_LIT("transport"), SR_STR_LIT("tcp") };
	assert_int_equal(sr_push_pack(&r, &plain, 1, buf, sizeof(buf)), 0);
}

static void test_classify(void **state)
{
	(void)state;
	struct sr_push_rules r = rules();
	char buf[256];
	assert_int_equal(sr_push_classify(&r, pack(&r, "transport=udp", buf, sizeof(buf))), SR_PUSH_PLAIN);
	assert_int_equal(sr_push_classify(&r, pack(&r, "pn-prid=X", buf, sizeof(buf))), SR_PUSH_PLAIN);
	assert_int_equal(sr_push_classify(&r, pack(&r, "pn-provider=apns;pn-prid=X;pn-param=B", buf, sizeof(buf))),
			 SR_PUSH_CONTACT);
	/* providers compare without case, and decoded */
	assert_int_equal(sr_push_classify(&r, pack(&r, "pn-provider=FCM;pn-prid=X", buf, sizeof(buf))),
			 SR_PUSH_CONTACT);
	assert_int_equal(sr_push_classify(&r, pack(&r, "pn-provider=ap%6es;pn-prid=X", buf, sizeof(buf))),
			 SR_PUSH_CONTACT);
	/* a provider we do not serve: 555, whether it is a registration or a query */
	assert_int_equal(sr_push_classify(&r, pack(&r, "pn-provider=webpush;pn-prid=X", buf, sizeof(buf))),
			 SR_PUSH_UNSUPPORTED);
	assert_int_equal(sr_push_classify(&r, pack(&r, "pn-provider=webpush", buf, sizeof(buf))),
			 SR_PUSH_UNSUPPORTED);
	assert_int_equal(sr_push_classify(&r, pack(&r, "pn-provider=averyveryveryverylongprovidername1",
						  buf, sizeof(buf))),
			 SR_PUSH_UNSUPPORTED);
	/* no pn-prid: a query, or the UA ending push for this binding */
	assert_int_equal(sr_push_classify(&r, pack(&r, "pn-provider", buf, sizeof(buf))), SR_PUSH_QUERY);
	assert_int_equal(sr_push_classify(&r, pack(&r, "pn-provider=apns;pn-param=B", buf, sizeof(buf))),
			 SR_PUSH_QUERY);
	assert_int_equal(sr_push_classify(&r, pack(&r, "pn-provider=apns;pn-prid=", buf, sizeof(buf))),
			 SR_PUSH_QUERY);
	/* push off: nobody gets 555, everything is an ordinary contact */
	r.enable = false;
	assert_int_equal(sr_push_classify(&r, pack(&r, "pn-provider=webpush;pn-prid=X", buf, sizeof(buf))),
			 SR_PUSH_PLAIN);
}

/* ---------------------------------------------------------------- keys */

static struct sr_str key_of(const struct sr_push_rules *r, const char *list, char *out, size_t cap)
{
	char buf[256];
	long n = sr_push_key(r, pack(r, list, buf, sizeof(buf)), out, cap);
	assert_true(n >= 0);
	return sr_str_make(out, (size_t)n);
}

static void test_match_key(void **state)
{
	(void)state;
	struct sr_push_rules r = rules();
	char a[128], b[128];
	/* match_params only: anything else in the URI may differ */
	struct sr_str ka = key_of(&r, "transport=udp;pn-provider=apns;pn-prid=X;pn-param=B", a, sizeof(a));
	struct sr_str kb = key_of(&r, "pn-param=B;pn-prid=X;pn-provider=APNS;pn-extra=1", b, sizeof(b));
	assert_int_not_equal(ka.len, 0);
	const char want[] = "\0\004apns\0\001X\0\001B";
	assert_int_equal(ka.len, sizeof(want) - 1);
	assert_memory_equal(ka.p, want, ka.len);
	assert_true(sr_str_eq(ka, kb)); /* and the provider is a name: "APNS" is "apns" */
	/* the token itself is compared exactly (FCM tokens are case-sensitive) */
	kb = key_of(&r, "pn-param=B;pn-prid=x;pn-provider=apns", b, sizeof(b));
	assert_false(sr_str_eq(ka, kb));
	/* escaped and plain spellings of one token are one key */
	ka = key_of(&r, "pn-provider=apns;pn-prid=ab%3D%3d;pn-param=B", a, sizeof(a));
	kb = key_of(&r, "pn-provider=apns;pn-prid=ab==;pn-param=B", b, sizeof(b));
	assert_true(sr_str_eq(ka, kb));
	/* another device, another key */
	kb = key_of(&r, "pn-provider=apns;pn-prid=Y;pn-param=B", b, sizeof(b));
	assert_false(sr_str_eq(ka, kb));
	/* a match parameter missing: no key (the registrar compares URIs) */
	assert_int_equal(key_of(&r, "pn-provider=apns;pn-prid=X", a, sizeof(a)).len, 0);
	/* custom match parameters, as the manual allows */
	struct sr_push_rules rc = rules_with("apns", "pn-prid,app-id", false);
	ka = key_of(&rc, "pn-provider=apns;pn-prid=X;app-id=1;pn-param=A", a, sizeof(a));
	kb = key_of(&rc, "pn-provider=apns;pn-prid=X;app-id=1;pn-param=B", b, sizeof(b));
	assert_true(ka.len > 0 && sr_str_eq(ka, kb));
	kb = key_of(&rc, "pn-provider=apns;pn-prid=X;app-id=2;pn-param=A", b, sizeof(b));
	assert_false(sr_str_eq(ka, kb));
	/* no room: refused */
	char buf[256];
	struct sr_str p = pack(&r, "pn-provider=apns;pn-prid=X;pn-param=B", buf, sizeof(buf));
	assert_int_equal(sr_push_key(&r, p, a, 10), -1);
	/* off: no key */
	r.enable = false;
	assert_int_equal(sr_push_key(&r, p, a, sizeof(a)), 0);
}

static void test_wake_key(void **state)
{
	(void)state;
	struct sr_push_rules r = rules();
	char b1[256], b2[256];
	struct sr_str aor = SR_STR_LIT("sip:alice@example.com");
	uint64_t k1 = sr_push_wake_key(secret, aor, pack(&r, "pn-provider=apns;pn-prid=X;pn-param=A", b1, sizeof(b1)));
	uint64_t k2 = sr_push_wake_key(secret, aor, pack(&r, "pn-provider=APNS;pn-prid=%58;pn-param=B", b2, sizeof(b2)));
	assert_int_not_equal(k1, 0);
	assert_int_equal(k1, k2); /* the device: provider (any case) and decoded prid */
	assert_int_not_equal(k1, sr_push_wake_key(secret, SR_STR_LIT("sip:bob@example.com"),
						  pack(&r, "pn-provider=apns;pn-prid=X", b2, sizeof(b2))));
	assert_int_not_equal(k1, sr_push_wake_key(secret, aor, pack(&r, "pn-provider=apns;pn-prid=Y", b2, sizeof(b2))));
	const uint64_t other[2] = { 1, 2 };
	assert_int_not_equal(k1, sr_push_wake_key(other, aor, pack(&r, "pn-provider=apns;pn-prid=X", b2, sizeof(b2))));
	assert_int_equal(sr_push_wake_key(secret, aor, pack(&r, "pn-provider=apns", b2, sizeof(b2))), 0);
}

/* ---------------------------------------------------------------- PURR and Feature-Caps */

static void test_purr(void **state)
{
	(void)state;
	char purr[SR_PUSH_PURR_LEN];
	sr_push_purr_write(secret, 0x3ff, 0x1122334455667788ull, purr);
	struct sr_str p = sr_str_make(purr, sizeof(purr));
	for (size_t i = 0; i < sizeof(purr); i++)
		assert_non_null(strchr("0123456789abcdef", purr[i])); /* a URI parameter value as it is */
	assert_memory_equal(purr, "03ff1122334455667788", 20);
	uint16_t owner;
	uint64_t id;
	assert_true(sr_push_purr_read(secret, p, &owner, &id));
	assert_int_equal(owner, 0x3ff);
	assert_int_equal(id, 0x1122334455667788ull);
	/* another binding id under the same MAC, another secret, bad lengths, non-hex: not ours */
	char forged[SR_PUSH_PURR_LEN];
	memcpy(forged, purr, sizeof(forged));
	forged[19] = forged[19] == '8' ? '9' : '8';
	assert_false(sr_push_purr_read(secret, sr_str_make(forged, sizeof(forged)), &owner, &id));
	const uint64_t other[2] = { 5, 6 };
	assert_false(sr_push_purr_read(other, p, &owner, &id));
	assert_false(sr_push_purr_read(secret, sr_str_make(purr, sizeof(purr) - 1), &owner, &id));
	memcpy(forged, purr, sizeof(forged));
	forged[0] = 'g';
	assert_false(sr_push_purr_read(secret, sr_str_make(forged, sizeof(forged)), &owner, &id));
}

static void test_feature_caps(void **state)
{
	(void)state;
	struct sr_push_rules r = rules();
	char b[256], out[256];
	size_t len = 0;
	struct sr_str ct = pack(&r, "pn-provider=FCM;pn-prid=X", b, sizeof(b));
	assert_true(sr_push_feature_caps(&r, SR_PUSH_CONTACT, ct, false, SR_STR_NULL, out, sizeof(out), &len));
	/* our spelling of the provider, RFC 6809's leading "*" */
	assert_int_equal(len, strlen("*;+sip.pns=\"fcm\""));
	assert_memory_equal(out, "*;+sip.pns=\"fcm\"", len);

	/* +sip.pnsreg in the Contact: the interval comes back; PURR only with push.purr */
	len = 0;
	assert_true(sr_push_feature_caps(&r, SR_PUSH_CONTACT, ct, true, SR_STR_LIT("00aa"), out, sizeof(out), &len));
	const char *want = "*;+sip.pns=\"fcm\";+sip.pnsreg=\"130\"";
	assert_int_equal(len, strlen(want));
	assert_memory_equal(out, want, len);
	struct sr_push_rules rp = rules_with("apns,fcm", NULL, true);
	len = 0;
	assert_true(sr_push_feature_caps(&rp, SR_PUSH_CONTACT, ct, true, SR_STR_LIT("00aa"), out, sizeof(out), &len));
	want = "*;+sip.pns=\"fcm\";+sip.pnsreg=\"130\";+sip.pnspurr=\"00aa\"";
	assert_int_equal(len, strlen(want));
	assert_memory_equal(out, want, len);

	/* a second contact: a second fc-value; a query without a provider: all of ours */
	assert_true(sr_push_feature_caps(&rp, SR_PUSH_QUERY, pack(&r, "pn-provider", b, sizeof(b)), false,
					 SR_STR_NULL, out, sizeof(out), &len));
	want = "*;+sip.pns=\"fcm\";+sip.pnsreg=\"130\";+sip.pnspurr=\"00aa\",*;+sip.pns=\"apns,fcm\"";
	assert_int_equal(len, strlen(want));
	assert_memory_equal(out, want, len);
	len = 0;
	assert_true(sr_push_feature_caps(&r, SR_PUSH_QUERY, pack(&r, "pn-provider=apns", b, sizeof(b)), false,
					 SR_STR_NULL, out, sizeof(out), &len));
	assert_int_equal(len, strlen("*;+sip.pns=\"apns\""));

	/* nothing for the others; no room: false and nothing written */
	len = 0;
	assert_true(sr_push_feature_caps(&r, SR_PUSH_PLAIN, ct, true, SR_STR_NULL, out, sizeof(out), &len));
	assert_true(sr_push_feature_caps(&r, SR_PUSH_UNSUPPORTED, ct, true, SR_STR_NULL, out, sizeof(out), &len));
	assert_int_equal(len, 0);
	memset(out, 'x', sizeof(out));
	assert_false(sr_push_feature_caps(&r, SR_PUSH_CONTACT, ct, true, SR_STR_NULL, out, 20, &len));
	assert_int_equal(len, 0);
	r.enable = false;
	assert_true(sr_push_feature_caps(&r, SR_PUSH_CONTACT, ct, true, SR_STR_NULL, out, sizeof(out), &len));
	assert_int_equal(len, 0);
}

/* ---------------------------------------------------------------- the event */

static json_t *event(const char *contact, const char *params, enum sr_push_reason reason)
{
	struct sr_push_rules r = rules_with("apns,webpush", "pn-provider,pn-prid,app-id", false);
	char b[512], out[1024];
	size_t n = sr_push_event_json(out, sizeof(out), SR_STR_LIT("sip:alice@example.com"), sr_str_cstr(contact),
				      reason, pack(&r, params, b, sizeof(b)));
	assert_int_not_equal(n, 0);
	assert_null(memchr(out, '\n', n)); /* one object; the stream adds the newline */
	json_error_t je;
	json_t *o = json_loadb(out, n, 0, &je);
	if (!o)
		fail_msg("not JSON (%s): %.*s", je.text, (int)n, out);
	return o;
}

static const char *field(json_t *o, const char *name)
{
	json_t *v = json_object_get(o, name);
	if (!json_is_string(v))
		fail_msg("member %s missing or not a string", name);
	return json_string_value(v);
}

static void test_event_json(void **state)
{
	(void)state;
	json_t *o = event("sip:a@198.51.100.9:5070;pn-provider=webpush;pn-prid=https%3A%2F%2Fpush.example%2Fx%3Fa%3Db",
			  "pn-provider=webpush;pn-prid=https%3A%2F%2Fpush.example%2Fx%3Fa%3Db;pn-param=P%20Q;"
			  "app-id=9;pn-silent;transport=udp",
			  SR_PUSH_R_CALL);
	assert_string_equal(field(o, "event"), "contactRefresh");
	assert_string_equal(field(o, "aor"), "sip:alice@example.com");
	assert_string_equal(field(o, "contact"),
			    "sip:a@198.51.100.9:5070;pn-provider=webpush;pn-prid=https%3A%2F%2Fpush.example%2Fx%3Fa%3Db");
	assert_string_equal(field(o, "reason"), "call");
	assert_string_equal(field(o, "pn-provider"), "webpush");
	assert_string_equal(field(o, "pn-prid"), "https://push.example/x?a=b"); /* decoded for the gateway */
	assert_string_equal(field(o, "pn-param"), "P Q");
	assert_string_equal(field(o, "pn-silent"), "");
	assert_null(json_object_get(o, "app-id"));    /* a match parameter, but not a pn-* one */
	assert_null(json_object_get(o, "transport"));
	assert_int_equal(json_object_size(o), 8);
	json_decref(o);

	o = event("sip:a@h", "pn-provider=apns;pn-prid=X", SR_PUSH_R_REFRESH);
	assert_string_equal(field(o, "reason"), "refresh");
	json_decref(o);
	o = event("sip:\"q\\\"@h", "pn-provider=apns;pn-prid=%0a%22%C3%A9", SR_PUSH_R_PURR);
	assert_string_equal(field(o, "reason"), "purr");
	assert_string_equal(field(o, "contact"), "sip:\"q\\\"@h"); /* quotes and backslashes escaped */
	assert_string_equal(field(o, "pn-prid"), "\n\"\xc3\xa9");     /* control byte escaped, UTF-8 kept */
	json_decref(o);

	/* not UTF-8 once decoded (a lone continuation byte, an overlong '/', a surrogate): refused, not sent broken */
	struct sr_push_rules r = rules();
	char b[256], out[512];
	const char *bad[] = { "pn-provider=apns;pn-prid=%80", "pn-provider=apns;pn-prid=%C0%AF",
			      "pn-provider=apns;pn-prid=%ED%A0%80", "pn-provider=apns;pn-prid=%F4%90%80%80" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(sr_push_event_json(out, sizeof(out), SR_STR_LIT("sip:a@h"), SR_STR_LIT("sip:a@h"),
						    SR_PUSH_R_CALL, pack(&r, bad[i], b, sizeof(b))),
				 0);
	/* too small: 0 */
	struct sr_str p = pack(&r, "pn-provider=apns;pn-prid=X", b, sizeof(b));
	size_t full = sr_push_event_json(out, sizeof(out), SR_STR_LIT("sip:a@h"), SR_STR_LIT("sip:a@h"),
					 SR_PUSH_R_CALL, p);
	assert_int_not_equal(full, 0);
	assert_int_equal(sr_push_event_json(out, full - 1, SR_STR_LIT("sip:a@h"), SR_STR_LIT("sip:a@h"),
					    SR_PUSH_R_CALL, p),
			 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config),      cmocka_unit_test(test_pack),
		cmocka_unit_test(test_classify),    cmocka_unit_test(test_match_key),
		cmocka_unit_test(test_wake_key),    cmocka_unit_test(test_purr),
		cmocka_unit_test(test_feature_caps), cmocka_unit_test(test_event_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
