/*
 * test_repl_layout.c - the Redis layout's encodings (repl_layout.c) and
 * the replication settings (repl_config.c): exact key names (other tools
 * rely on them), round trips, and refusal of malformed bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "repl_config.h"
#include "repl_layout.h"

static void test_key_names(void **state)
{
	(void)state;
	char k[256];
	const char *aor = "sip:alice@example.com";
	assert_int_equal(sr_repl_key_aor("sipreg", aor, strlen(aor), k, sizeof(k)),
			 strlen("sipreg:2:aor:{sip:alice@example.com}"));
	assert_string_equal(k, "sipreg:2:aor:{sip:alice@example.com}");
	sr_repl_key_stream("sipreg", "node-a", k, sizeof(k));
	assert_string_equal(k, "sipreg:2:stream:{node-a}");
	sr_repl_key_epoch("sipreg", k, sizeof(k));
	assert_string_equal(k, "sipreg:2:ctl:{sipreg}:epoch");
	sr_repl_key_heartbeat("sipreg", k, sizeof(k));
	assert_string_equal(k, "sipreg:2:ctl:{sipreg}:heartbeat");
	sr_repl_aor_pattern("sipreg", k, sizeof(k));
	assert_string_equal(k, "sipreg:2:aor:*");
	assert_int_equal(sr_repl_key_aor("sipreg", aor, strlen(aor), k, 20), 0); /* does not fit */

	const char *got;
	size_t len;
	const char *key = "sipreg:2:aor:{sip:alice@example.com}";
	assert_true(sr_repl_key_aor_parse("sipreg", key, strlen(key), &got, &len));
	assert_int_equal(len, strlen(aor));
	assert_memory_equal(got, aor, len);
	assert_false(sr_repl_key_aor_parse("other", key, strlen(key), &got, &len));
	assert_false(sr_repl_key_aor_parse("sipreg", "sipreg:2:aor:{}", 15, &got, &len));
	assert_false(sr_repl_key_aor_parse("sipreg", "sipreg:2:stream:{a}", 19, &got, &len));
	assert_false(sr_repl_key_aor_parse("sipreg", "sipreg:2:aor:{x", 15, &got, &len));
}

static void test_names(void **state)
{
	(void)state;
	assert_true(sr_repl_name_ok("node-a.1_b"));
	assert_false(sr_repl_name_ok(""));
	assert_false(sr_repl_name_ok("a b"));
	assert_false(sr_repl_name_ok("a*"));   /* would be a glob in SCAN MATCH */
	assert_false(sr_repl_name_ok("a{b}")); /* would be a hash tag */
	char long_name[SR_REPL_NAME_MAX + 2];
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	assert_false(sr_repl_name_ok(long_name));
	long_name[SR_REPL_NAME_MAX] = '\0';
	assert_true(sr_repl_name_ok(long_name));
}

static void test_ids(void **state)
{
	(void)state;
	char hex[SR_REPL_ID_HEX];
	uint64_t id;
	sr_repl_id_hex(0x0123456789abcdefull, hex);
	assert_memory_equal(hex, "0123456789abcdef", 16);
	assert_true(sr_repl_id_parse(hex, 16, &id));
	assert_true(id == 0x0123456789abcdefull);
	sr_repl_id_hex(UINT64_MAX, hex);
	assert_true(sr_repl_id_parse(hex, 16, &id) && id == UINT64_MAX);
	assert_false(sr_repl_id_parse("0123456789ABCDEF", 16, &id)); /* lower case only: one spelling */
	assert_false(sr_repl_id_parse("0123", 4, &id));
	assert_false(sr_repl_id_parse("0123456789abcdeg", 16, &id));
}

static void test_envelope(void **state)
{
	(void)state;
	const uint8_t rec[] = { 1, 2, 3, 4 };
	uint8_t out[16];
	assert_int_equal(sr_repl_envelope_encode(0x11223344, rec, 4, out, 8), 0);
	assert_int_equal(sr_repl_envelope_encode(0x11223344, rec, 4, out, sizeof(out)), 9);
	const uint8_t want[] = { 2, 0x44, 0x33, 0x22, 0x11, 1, 2, 3, 4 }; /* version, expiry LE, record */
	assert_memory_equal(out, want, 9);
	uint32_t exp;
	const uint8_t *r;
	size_t rl;
	const char *err;
	assert_int_equal(sr_repl_envelope_decode(out, 9, &exp, &r, &rl, &err), 0);
	assert_int_equal(exp, 0x11223344);
	assert_int_equal(rl, 4);
	assert_memory_equal(r, rec, 4);
	assert_int_equal(sr_repl_envelope_decode(out, 4, &exp, &r, &rl, &err), -1);
	out[0] = 1; /* layout 1's envelope: another layout, never misread */
	assert_int_equal(sr_repl_envelope_decode(out, 9, &exp, &r, &rl, &err), -1);
	assert_non_null(strstr(err, "version"));
}

static void test_changes_round_trip(void **state)
{
	(void)state;
	const uint8_t rec[] = "record-bytes";
	struct sr_repl_change in[3] = {
		{ SR_REPL_ADDED, 1, 1700000000, "sip:a@x", 7, rec, sizeof(rec) },
		{ SR_REPL_REMOVED, UINT64_MAX, 1700000001, "sip:bb@x", 8, NULL, 0 },
		{ SR_REPL_REFRESHED, 42, 5, "sip:a@x", 7, rec, 3 },
	};
	uint8_t blob[512];
	size_t len = 0;
	for (int i = 0; i < 3; i++) {
		size_t n = sr_repl_change_encode(&in[i], blob + len, sizeof(blob) - len);
		assert_int_equal(n, SR_REPL_CHANGE_HDR + in[i].aor_len + in[i].rec_len);
		len += n;
	}
	/* byte layout of the first change's header: op, id, expires, aor length, record length */
	const uint8_t hdr[] = { 0, 1, 0, 0, 0, 0, 0, 0, 0, 0x00, 0xf1, 0x53, 0x65, 7, 0, 13, 0, 0, 0 };
	assert_memory_equal(blob, hdr, sizeof(hdr));
	size_t off = 0;
	struct sr_repl_change c;
	const char *err;
	for (int i = 0; i < 3; i++) {
		assert_int_equal(sr_repl_change_next(blob, len, &off, &c, &err), 1);
		assert_int_equal(c.op, in[i].op);
		assert_true(c.id == in[i].id);
		assert_int_equal(c.expires, in[i].expires);
		assert_int_equal(c.aor_len, in[i].aor_len);
		assert_memory_equal(c.aor, in[i].aor, c.aor_len);
		assert_int_equal(c.rec_len, in[i].rec_len);
		if (c.rec_len)
			assert_memory_equal(c.rec, in[i].rec, c.rec_len);
	}
	assert_int_equal(sr_repl_change_next(blob, len, &off, &c, &err), 0);

	/* every truncation is refused, never read past */
	for (size_t cut = 1; cut < len; cut++) {
		size_t o = 0;
		int rc;
		while ((rc = sr_repl_change_next(blob, cut, &o, &c, &err)) == 1)
			;
		if (cut != SR_REPL_CHANGE_HDR + 7 + sizeof(rec) && cut != SR_REPL_CHANGE_HDR * 2 + 15 + sizeof(rec))
			assert_int_equal(rc, -1);
	}
	uint8_t bad[64];
	memcpy(bad, blob, 64);
	bad[0] = 9; /* unknown operation */
	off = 0;
	assert_int_equal(sr_repl_change_next(bad, 64, &off, &c, &err), -1);
	memcpy(bad, blob, 64);
	bad[0] = SR_REPL_REMOVED; /* a removal that carries a record */
	off = 0;
	assert_int_equal(sr_repl_change_next(bad, SR_REPL_CHANGE_HDR + 7 + sizeof(rec), &off, &c, &err), -1);
	struct sr_repl_change empty_aor = { SR_REPL_REMOVED, 1, 1, "", 0, NULL, 0 };
	assert_int_equal(sr_repl_change_encode(&empty_aor, bad, sizeof(bad)), SR_REPL_CHANGE_HDR);
	off = 0;
	assert_int_equal(sr_repl_change_next(bad, SR_REPL_CHANGE_HDR, &off, &c, &err), -1);
}

static void test_functions_text(void **state)
{
	(void)state;
	assert_true(strncmp(sr_repl_functions, "#!lua name=sipreg_2\n", 20) == 0);
	assert_null(strstr(sr_repl_functions, "apply")); /* layout 2 writes bindings with native commands */
	assert_non_null(strstr(sr_repl_functions, "register_function('sr2_beat'"));
	assert_non_null(strstr(sr_repl_functions, "register_function('sr2_promote'"));
}

/* The key's TTL: the end of the hour after the expiry's hour, whatever the expiry within its hour. */
static void test_key_ttl_bucket(void **state)
{
	(void)state;
	assert_int_equal(sr_repl_key_ttl_s(3600u * 100), 3600u * 102);
	assert_int_equal(sr_repl_key_ttl_s(3600u * 100 + 3599), 3600u * 102);
	assert_int_equal(sr_repl_key_ttl_s(3600u * 101), 3600u * 103);
	for (uint32_t e = 1700000000; e < 1700000000 + 7200; e += 97) {
		uint64_t t = sr_repl_key_ttl_s(e);
		assert_true(t % 3600 == 0 && t > e + 3600 && t <= (uint64_t)e + 7200);
	}
}

static void test_parse_redis(void **state)
{
	(void)state;
	struct sr_repl_endpoint e[SR_REPL_MAX_SEEDS];
	char err[256];
	assert_int_equal(sr_repl_parse_redis("127.0.0.1:6379", e, SR_REPL_MAX_SEEDS, err, sizeof(err)), 1);
	assert_string_equal(e[0].host, "127.0.0.1");
	assert_int_equal(e[0].port, 6379);
	assert_int_equal(sr_repl_parse_redis("10.0.0.1:7000, 10.0.0.2:7001,redis-c:7002", e, SR_REPL_MAX_SEEDS, err,
					     sizeof(err)), 3);
	assert_string_equal(e[2].host, "redis-c");
	assert_int_equal(e[1].port, 7001);
	assert_int_equal(sr_repl_parse_redis("", e, SR_REPL_MAX_SEEDS, err, sizeof(err)), -1);
	assert_int_equal(sr_repl_parse_redis("localhost", e, SR_REPL_MAX_SEEDS, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "HOST:PORT"));
	assert_int_equal(sr_repl_parse_redis("h:0", e, SR_REPL_MAX_SEEDS, err, sizeof(err)), -1);
	assert_int_equal(sr_repl_parse_redis("h:65536", e, SR_REPL_MAX_SEEDS, err, sizeof(err)), -1);
	assert_int_equal(sr_repl_parse_redis("h:12x", e, SR_REPL_MAX_SEEDS, err, sizeof(err)), -1);
	assert_int_equal(sr_repl_parse_redis(":6379", e, SR_REPL_MAX_SEEDS, err, sizeof(err)), -1);
	assert_int_equal(sr_repl_parse_redis("a:1,b:2,c:3", e, 2, err, sizeof(err)), -1);
}

static void test_config_check(void **state)
{
	(void)state;
	struct sr_repl_config c;
	char err[256];
	sr_repl_config_defaults(&c);
	assert_false(sr_repl_enabled(&c));
	assert_null(sr_repl_config_check(&c, err, sizeof(err))); /* off: nothing to check */
	c.durability = SR_REPL_SYNC;
	assert_non_null(sr_repl_config_check(&c, err, sizeof(err)));
	assert_non_null(strstr(err, "replication.redis"));
	c.durability = SR_REPL_ASYNC;
	strcpy(c.redis, "127.0.0.1:6379");
	assert_non_null(sr_repl_config_check(&c, err, sizeof(err))); /* no node id */
	assert_non_null(strstr(err, "replication.node_id"));
	strcpy(c.node_id, "a");
	assert_null(sr_repl_config_check(&c, err, sizeof(err)));
	assert_int_equal(sr_repl_heartbeat_ms(&c), 400);
	c.heartbeat_ms = 2000;
	assert_non_null(sr_repl_config_check(&c, err, sizeof(err)));
	assert_non_null(strstr(err, "replication.heartbeat_ms"));
	c.heartbeat_ms = 0;
	c.backlog_events = 10;
	assert_non_null(strstr(sr_repl_config_check(&c, err, sizeof(err)), "backlog_events"));
	c.backlog_events = 1000;
	strcpy(c.prefix, "a:b");
	assert_non_null(strstr(sr_repl_config_check(&c, err, sizeof(err)), "replication.prefix"));
	strcpy(c.prefix, "sipreg");
	strcpy(c.redis, "nonsense");
	assert_non_null(strstr(sr_repl_config_check(&c, err, sizeof(err)), "replication.redis"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_names),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_envelope),
		cmocka_unit_test(test_changes_round_trip),
		cmocka_unit_test(test_functions_text),
		cmocka_unit_test(test_key_ttl_bucket),
		cmocka_unit_test(test_parse_redis),
		cmocka_unit_test(test_config_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
