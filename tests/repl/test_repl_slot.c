/*
 * test_repl_slot.c - Redis Cluster key slots (lib/replication/repl_slot.c)
 * against the cluster specification's own examples: the CRC16 test
 * vector, the hash tag rules, and slots Redis itself reports (CLUSTER
 * KEYSLOT). The cluster test (test_repl_cluster) also compares a sample of
 * AoR keys with a running cluster.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "repl_layout.h"
#include "repl_slot.h"

static uint16_t slot(const char *k)
{
	return sr_repl_key_slot(k, strlen(k));
}

static void test_crc16_vector(void **state)
{
	(void)state;
	/* the specification: CRC16/XMODEM of "123456789" is 0x31C3 */
	assert_int_equal(sr_repl_crc16("123456789", 9), 0x31C3);
	assert_int_equal(sr_repl_crc16("", 0), 0);
}

static void test_known_slots(void **state)
{
	(void)state;
	/* values CLUSTER KEYSLOT returns */
	assert_int_equal(slot("foo"), 12182);
	assert_int_equal(slot("bar"), 5061);
	assert_int_equal(slot("hello"), 866);
	assert_int_equal(slot("123456789"), 0x31C3 & 16383);
}

static void test_hash_tags(void **state)
{
	(void)state;
	const char *p;
	size_t n;
	/* the specification's examples */
	assert_int_equal(slot("{user1000}.following"), slot("{user1000}.followers"));
	assert_int_equal(slot("{user1000}.following"), slot("user1000"));
	sr_repl_hash_part("foo{}{bar}", 10, &p, &n); /* empty tag: the whole key */
	assert_int_equal(n, 10);
	assert_memory_equal(p, "foo{}{bar}", 10);
	sr_repl_hash_part("foo{{bar}}zap", 13, &p, &n); /* from the first { to the first } */
	assert_int_equal(n, 4);
	assert_memory_equal(p, "{bar", 4);
	sr_repl_hash_part("foo{bar}{zap}", 13, &p, &n); /* the first tag only */
	assert_int_equal(n, 3);
	assert_memory_equal(p, "bar", 3);
	sr_repl_hash_part("foo{bar", 7, &p, &n); /* unclosed: the whole key */
	assert_int_equal(n, 7);
	assert_int_equal(slot("foo{}{bar}"), sr_repl_crc16("foo{}{bar}", 10) & 16383);
}

static void test_aor_key_slot_is_the_aor(void **state)
{
	(void)state;
	/* every key of an AoR hashes by the AoR alone, whatever the prefix */
	const char *aor = "sip:alice@example.com";
	char k1[256], k2[256];
	size_t n1 = sr_repl_key_aor("sipreg", aor, strlen(aor), k1, sizeof(k1));
	size_t n2 = sr_repl_key_aor("other.prefix", aor, strlen(aor), k2, sizeof(k2));
	assert_true(n1 && n2);
	assert_int_equal(sr_repl_key_slot(k1, n1), slot(aor));
	assert_int_equal(sr_repl_key_slot(k2, n2), slot(aor));
	/* the two control keys share one slot, as sr2_promote needs */
	char e[128], h[128];
	sr_repl_key_epoch("sipreg", e, sizeof(e));
	sr_repl_key_heartbeat("sipreg", h, sizeof(h));
	assert_int_equal(slot(e), slot(h));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc16_vector),
		cmocka_unit_test(test_known_slots),
		cmocka_unit_test(test_hash_tags),
		cmocka_unit_test(test_aor_key_slot_is_the_aor),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
