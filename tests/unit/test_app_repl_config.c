/*
 * test_app_repl_config.c - the [replication] keys of sipreg's configuration
 * (app/sipreg/config.c, lib/replication/repl_config.c): defaults, every key
 * settable, the node id default, and refusals that name the key.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../../app/sipreg/config.h"

static struct sr_app_config cfg;

static int load(int argc, const char **argv)
{
	return sr_app_config_load(&cfg, argc, (char **)argv);
}

static void test_defaults_off(void **state)
{
	(void)state;
	const char *argv[] = { "sipreg", "--set", "registrar.domains=example.com", NULL };
	assert_int_equal(load(3, argv), 0);
	assert_false(sr_repl_enabled(&cfg.repl));
	assert_int_equal(cfg.repl.role, SR_REPL_ROLE_ACTIVE);
	assert_int_equal(cfg.repl.durability, SR_REPL_ASYNC);
	assert_int_equal(cfg.repl.failover_ms, 2000);
	assert_true(cfg.repl.auto_failover);
	assert_string_equal(cfg.repl.prefix, "sipreg");
	assert_string_equal(cfg.repl.node_id, ""); /* only filled when replication is on */
}

static void test_every_key_settable(void **state)
{
	(void)state;
	const char *argv[] = { "sipreg",
			       "--set", "registrar.domains=example.com",
			       "--set", "replication.redis=10.0.0.1:7000,10.0.0.2:7001,10.0.0.3:7002",
			       "--set", "replication.role=standby",
			       "--set", "replication.durability=sync",
			       "--set", "replication.failover_ms=500",
			       "--set", "replication.auto_failover=false",
			       "--set", "replication.heartbeat_ms=50",
			       "--set", "replication.wait_replicas=1",
			       "--set", "replication.wait_timeout_ms=20",
			       "--set", "replication.node_id=node-b",
			       "--set", "replication.prefix=pair1",
			       "--set", "replication.stream_len=5000",
			       "--set", "replication.batch_events=128",
			       "--set", "replication.connections=7",
			       "--set", "replication.backlog_events=20000",
			       "--set", "replication.timeout_ms=300",
			       "--set", "replication.reconnect_max_ms=100",
			       NULL };
	assert_int_equal(load((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv), 0);
	assert_string_equal(cfg.repl.redis, "10.0.0.1:7000,10.0.0.2:7001,10.0.0.3:7002");
	assert_int_equal(cfg.repl.role, SR_REPL_ROLE_STANDBY);
	assert_int_equal(cfg.repl.durability, SR_REPL_SYNC);
	assert_int_equal(cfg.repl.failover_ms, 500);
	assert_false(cfg.repl.auto_failover);
	assert_int_equal(cfg.repl.heartbeat_ms, 50);
	assert_int_equal(cfg.repl.wait_replicas, 1);
	assert_int_equal(cfg.repl.wait_timeout_ms, 20);
	assert_string_equal(cfg.repl.node_id, "node-b");
	assert_string_equal(cfg.repl.prefix, "pair1");
	assert_int_equal(cfg.repl.stream_len, 5000);
	assert_int_equal(cfg.repl.batch_events, 128);
	assert_int_equal(cfg.repl.connections, 7);
	assert_int_equal(cfg.repl.backlog_events, 20000);
	assert_int_equal(cfg.repl.timeout_ms, 300);
	assert_int_equal(cfg.repl.reconnect_max_ms, 100);
}

static void test_node_id_default(void **state)
{
	(void)state;
	const char *argv[] = { "sipreg", "--set", "registrar.domains=example.com", "--set", "eal.file_prefix=dut-2",
			       "--set", "replication.redis=127.0.0.1:6379", NULL };
	assert_int_equal(load(7, argv), 0);
	char host[256] = "";
	gethostname(host, sizeof(host) - 1);
	/* <hostname>-<file prefix>, in the characters our keys allow */
	const char *suffix = "-dut-2";
	size_t n = strlen(cfg.repl.node_id);
	assert_true(n > strlen(suffix));
	assert_string_equal(cfg.repl.node_id + n - strlen(suffix), suffix);
	assert_true(sr_repl_name_ok(cfg.repl.node_id));
}

/* --set set1 [--set set2] on a valid base must be refused with a message naming key. */
static void refused(const char *set1, const char *set2, const char *key)
{
	const char *argv[] = { "sipreg", "--set", "registrar.domains=example.com", "--set", set1, "--set", set2, NULL };
	int argc = set2 ? 7 : 5;
	static char msg[512];
	memset(msg, 0, sizeof(msg));
	FILE *saved = stderr;
	stderr = fmemopen(msg, sizeof(msg) - 1, "w");
	assert_non_null(stderr);
	int rc = load(argc, argv);
	fclose(stderr);
	stderr = saved;
	assert_int_equal(rc, -1);
	if (!strstr(msg, key))
		fail_msg("refusal of %s does not name %s: %s", set2 ? set2 : set1, key, msg);
}

static void test_refusals(void **state)
{
	(void)state;
	refused("replication.role=primary", NULL, "replication.role");
	refused("replication.durability=maybe", NULL, "replication.durability");
	refused("replication.failover_ms=10", NULL, "replication.failover_ms");
	refused("replication.redis=localhost", NULL, "replication.redis");
	refused("replication.redis=h:99999", NULL, "replication.redis");
	refused("replication.durability=sync", NULL, "replication.redis"); /* sync needs Redis */
	refused("replication.redis=127.0.0.1:1", "replication.node_id=a b", "replication.node_id");
	refused("replication.redis=127.0.0.1:1", "replication.prefix=x{y}", "replication.prefix");
	refused("replication.redis=127.0.0.1:1", "replication.heartbeat_ms=5000", "replication.heartbeat_ms");
	refused("replication.redis=127.0.0.1:1", "replication.backlog_events=10", "replication.backlog_events");
	refused("replication.redis=127.0.0.1:1", "replication.connections=0", "replication.connections");
	refused("replication.redis=127.0.0.1:1", "replication.connections=17", "replication.connections");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_off),
		cmocka_unit_test(test_every_key_settable),
		cmocka_unit_test(test_node_id_default),
		cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
