/*
 * test_repl_cmd.c - command building (lib/replication/repl_cmd.c): the
 * argument vector of copied, referenced and numeric arguments, and the
 * RESP encoder, which must produce exactly the bytes of hiredis's
 * redisFormatCommandArgv (the reference it replaces) for every shape of
 * argument: empty, binary with NUL and CRLF, lengths across digit
 * boundaries, many arguments, C strings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <hiredis/hiredis.h>

#include "repl_cmd.h"

/* Both encoders agree on (argc, argv, lens). */
static void same_as_hiredis(int argc, const char **argv, const size_t *lens)
{
	char *mine = NULL, *ref = NULL;
	int n = sr_repl_resp_format(&mine, argc, argv, lens);
	int m = redisFormatCommandArgv(&ref, argc, argv, lens);
	assert_true(m > 0);
	assert_int_equal(n, m);
	assert_memory_equal(mine, ref, (size_t)n);
	free(mine);
	free(ref);
}

static void test_resp_matches_hiredis(void **state)
{
	(void)state;
	static char big[100001];
	memset(big, 'x', sizeof(big));
	const char *argv[] = { "FCALL", "", "a\0b\r\nc", big, big, big, big };
	size_t lens[] = { 5, 0, 6, 9, 10, 99999, 100001 };
	for (int argc = 1; argc <= 7; argc++)
		same_as_hiredis(argc, argv, lens);

	const char *many[300];
	size_t many_lens[300];
	for (int i = 0; i < 300; i++) {
		many[i] = big;
		many_lens[i] = (size_t)i;
	}
	same_as_hiredis(300, many, many_lens);

	const char *strs[] = { "FUNCTION", "LOAD", "REPLACE", "#!lua name=x\nreturn 1\n" };
	same_as_hiredis(4, strs, NULL); /* lens NULL: C strings */
}

static void test_resp_refuses_nothing_to_send(void **state)
{
	(void)state;
	char *out = NULL;
	assert_int_equal(sr_repl_resp_format(&out, 0, NULL, NULL), -1);
	assert_null(out);
}

static void test_decimal(void **state)
{
	(void)state;
	static const struct {
		uint64_t v;
		const char *s;
	} cases[] = { { 0, "0" },
		      { 9, "9" },
		      { 10, "10" },
		      { 99, "99" },
		      { 100, "100" },
		      { 999, "999" },
		      { 1000, "1000" },
		      { 9999, "9999" },
		      { 10000, "10000" },
		      { 99999999, "99999999" },
		      { 100000000, "100000000" },
		      { 1800003600000ull, "1800003600000" }, /* a PEXPIREAT time */
		      { 4294967295u, "4294967295" },
		      { UINT64_MAX, "18446744073709551615" } };
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[20];
		size_t n = sr_repl_decimal(cases[i].v, out);
		assert_int_equal(n, strlen(cases[i].s));
		assert_memory_equal(out, cases[i].s, n);
	}
}

/* Copied, referenced and numeric arguments keep their order and bytes, across buffer growth. */
static void test_argv(void **state)
{
	(void)state;
	struct sr_repl_cmd c;
	sr_repl_cmd_init(&c);
	static const char rec[] = "record\0bytes";
	for (int round = 0; round < 2; round++) { /* the second round reuses the buffers */
		sr_repl_cmd_reset(&c);
		sr_repl_cmd_str(&c, "XADD");
		sr_repl_cmd_ref(&c, rec, sizeof(rec) - 1);
		sr_repl_cmd_u64(&c, 1234567890123ull);
		sr_repl_cmd_ref(&c, NULL, 0);
		for (int i = 0; i < 200; i++) /* grows the arrays and the byte buffer (moves it) */
			sr_repl_cmd_arg(&c, "0123456789012345678901234567890123456789", 40);
		char *r = sr_repl_cmd_reserve(&c, 3);
		assert_non_null(r);
		memcpy(r, "end", 3);
		assert_true(sr_repl_cmd_argv(&c));
		assert_int_equal(c.n, 205);
		assert_int_equal(c.lens[0], 4);
		assert_memory_equal(c.argv[0], "XADD", 4);
		assert_ptr_equal(c.argv[1], rec); /* referenced, not copied */
		assert_int_equal(c.lens[1], sizeof(rec) - 1);
		assert_int_equal(c.lens[2], 13);
		assert_memory_equal(c.argv[2], "1234567890123", 13);
		assert_int_equal(c.lens[3], 0);
		assert_int_equal(c.lens[150], 40);
		assert_memory_equal(c.argv[150], "0123456789012345678901234567890123456789", 40);
		assert_memory_equal(c.argv[204], "end", 3);
	}
	sr_repl_cmd_fini(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resp_matches_hiredis),
		cmocka_unit_test(test_resp_refuses_nothing_to_send),
		cmocka_unit_test(test_decimal),
		cmocka_unit_test(test_argv),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
