/*
 * test_sipregctl_client.c - sipregctl's control socket client
 * (app/sipregctl/cli_client.c) against the real server (lib/ctl/ctl_socket.c):
 * - a multi-megabyte answer arrives whole and parses, and the next call on
 *   the same connection still works;
 * - parameters with commas, quotes and non-ASCII characters arrive exactly;
 * - a server that does not answer in time is reported as a timeout, a
 *   missing socket as a connection failure naming the path;
 * - the default path is the one sipreg opens for a file prefix.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "cli_client.h"
#include "ctl_socket.h"

#define CONTACTS 20000
#define CONTACT_LEN 250 /* 20,000 contacts of 250 bytes: ~5 MB */

static void cmd_big(void *ctx, const char *params, struct sr_ctl_out *out)
{
	(void)ctx, (void)params;
	char c[CONTACT_LEN + 1];
	sr_ctl_out_array(out, "contact");
	for (unsigned i = 0; i < CONTACTS; i++) {
		int n = snprintf(c, sizeof(c), "sip:u%06u@198.51.100.2;x=", i);
		memset(c + n, 'a' + (char)(i % 26), CONTACT_LEN - (size_t)n);
		c[CONTACT_LEN] = '\0';
		sr_ctl_out_str(out, NULL, c);
	}
	sr_ctl_out_end(out);
}

static void cmd_echo(void *ctx, const char *params, struct sr_ctl_out *out)
{
	(void)ctx;
	sr_ctl_out_str(out, "params", params);
}

static void cmd_slow(void *ctx, const char *params, struct sr_ctl_out *out)
{
	(void)ctx, (void)params;
	usleep(600 * 1000);
	sr_ctl_out_str(out, "late", "yes");
}

static const struct sr_ctl_cmd cmds[] = {
	{ "/t/big", "Five megabytes. No parameters", cmd_big },
	{ "/t/echo", "Echoes. Parameters: anything", cmd_echo },
	{ "/t/slow", "Answers after 600 ms. No parameters", cmd_slow },
};
static const struct sr_ctl_table table = { cmds, 3, NULL };

static char path[108];

static int setup(void **state)
{
	snprintf(path, sizeof(path), "/tmp/sr_test_cli_client.%d.sock", (int)getpid());
	struct sr_ctl_socket *s = NULL;
	char err[256];
	if (sr_ctl_socket_open(path, &table, &s, err, sizeof(err)) != 0)
		return -1;
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	sr_ctl_socket_close(*state);
	return 0;
}

static void test_big_answer(void **state)
{
	(void)state;
	struct sr_cli_client c;
	char err[512];
	assert_int_equal(sr_cli_client_open(&c, path, 5000, err, sizeof(err)), 0);
	char *a = sr_cli_client_call(&c, "/t/big", NULL, err, sizeof(err));
	assert_non_null(a);
	assert_true(strlen(a) > (size_t)CONTACTS * CONTACT_LEN);
	json_t *j = json_loads(a, 0, NULL);
	assert_non_null(j);
	json_t *arr = json_object_get(json_object_get(j, "/t/big"), "contact");
	assert_int_equal(json_array_size(arr), CONTACTS);
	const char *last = json_string_value(json_array_get(arr, CONTACTS - 1));
	assert_int_equal(strlen(last), CONTACT_LEN);
	assert_int_equal(strncmp(last, "sip:u019999@198.51.100.2;x=", 27), 0);
	assert_int_equal(last[CONTACT_LEN - 1], 'a' + (CONTACTS - 1) % 26);
	json_decref(j);
	free(a);

	const char *p = "sip:alice@example.com,sip:\"odd\"@198.51.100.2;x=\xC3\xA9";
	a = sr_cli_client_call(&c, "/t/echo", p, err, sizeof(err));
	assert_non_null(a);
	j = json_loads(a, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "/t/echo"), "params")), p);
	json_decref(j);
	free(a);
	sr_cli_client_close(&c);
}

static void test_failures(void **state)
{
	(void)state;
	struct sr_cli_client c;
	char err[512];
	assert_int_equal(sr_cli_client_open(&c, path, 200, err, sizeof(err)), 0);
	assert_null(sr_cli_client_call(&c, "/t/slow", NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "timed out"));
	sr_cli_client_close(&c);

	assert_int_equal(sr_cli_client_open(&c, "/tmp/sr-no-such-socket", 200, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot connect to /tmp/sr-no-such-socket"));

	char p[256];
	assert_int_equal(sr_cli_client_path("sipreg-dev", p, sizeof(p)), 0);
	assert_string_equal(p, "/var/run/dpdk/sipreg-dev/sipreg_ctl.sock");
	char long_prefix[200];
	memset(long_prefix, 'x', sizeof(long_prefix) - 1);
	long_prefix[sizeof(long_prefix) - 1] = '\0';
	assert_int_equal(sr_cli_client_path(long_prefix, p, sizeof(p)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_big_answer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failures, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
