/*
 * test_app_config.c - sipreg's configuration (app/sipreg/config.c): defaults,
 * the INI file, --set overrides in order, and refusals that name the key.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

static struct sr_app_config cfg;

static int load(int argc, const char **argv)
{
	return sr_app_config_load(&cfg, argc, (char **)argv);
}

static void refused_argv(int argc, const char **argv, const char *key);

static void test_defaults(void **state)
{
	(void)state;
	/* the one key without a usable default: which domains we serve */
	const char *bare[] = { "sipreg", NULL };
	refused_argv(1, bare, "registrar.domains");
	const char *argv[] = { "sipreg", "--set", "registrar.domains=example.com", NULL };
	assert_int_equal(load(3, argv), 0);
	struct in_addr a = { .s_addr = cfg.ip };
	assert_string_equal(inet_ntoa(a), "198.51.100.1");
	assert_int_equal(cfg.sip_port, 5060);
	assert_int_equal(cfg.burst, 32);
	assert_false(cfg.symmetric_responses);
	assert_true(cfg.reg.fast_parse); /* the fast path is on unless switched off */
	assert_string_equal(cfg.eal_file_prefix, "sipreg");
}

static char ini_path[64];

static void write_ini(const char *text)
{
	snprintf(ini_path, sizeof(ini_path), "/tmp/sr-test-config-%d.ini", (int)getpid());
	FILE *f = fopen(ini_path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_file_then_set_in_order(void **state)
{
	(void)state;
	write_ini("; comment\n"
		  "[eal]\nargs = --no-huge -m 512\nfile_prefix = t1\n"
		  "[net]\naddress = 198.51.100.7\nsymmetric_responses = yes\n"
		  "[workers]\ncount = 2\n"
		  "[registrar]\ndomains = example.com, example.org\nmin_expires = 60\nmax_expires = 3600\n"
		  "default_expires = 600\nmax_contacts_mode = force\npath = strict\n");
	const char *argv[] = { "sipreg",
			       "--set", "registrar.min_expires=120",
			       "--config", ini_path,
			       "--set", "workers.count=1",
			       "--set", "workers.count=3",
			       NULL };
	assert_int_equal(load(9, argv), 0);
	assert_string_equal(cfg.eal_args, "--no-huge -m 512");
	assert_string_equal(cfg.eal_file_prefix, "t1");
	struct in_addr a = { .s_addr = cfg.ip };
	assert_string_equal(inet_ntoa(a), "198.51.100.7");
	assert_true(cfg.symmetric_responses);
	assert_int_equal(cfg.reg.min_expires, 120); /* --set wins over the file wherever it stands */
	assert_int_equal(cfg.workers, 3);          /* the last --set wins */
	assert_int_equal(cfg.reg.n_domains, 2);
	assert_string_equal(cfg.reg.domains[1], "example.org");
	assert_int_equal(cfg.reg.max_contacts_mode, SR_MAXC_FORCE);
	assert_int_equal(cfg.reg.path_mode, SR_PATH_STRICT);
	unlink(ini_path);
}

/* Loads argv and expects a refusal whose message (on stderr) names the key. */
static void refused_argv(int argc, const char **argv, const char *key)
{
	char err[512];
	fflush(stderr);
	FILE *saved = stderr;
	FILE *cap = fmemopen(err, sizeof(err), "w");
	assert_non_null(cap);
	stderr = cap;
	int rc = load(argc, argv);
	fflush(cap);
	stderr = saved;
	fclose(cap);
	err[sizeof(err) - 1] = '\0';
	assert_int_equal(rc, -1);
	if (strstr(err, key) == NULL)
		fail_msg("refusal does not name %s: %s", key, err);
}

/* One --set (the rest of the configuration valid) must be refused naming its key. */
static void refused(const char *set, const char *key)
{
	const char *argv[] = { "sipreg", "--set", "registrar.domains=example.com", "--set", set, NULL };
	refused_argv(5, argv, key);
}

/* With persistence, the event slots must hold one REGISTER's events (they are claimed before the change). */
static void test_event_ring_holds_one_register(void **state)
{
	(void)state;
	const char *argv[] = { "sipreg", "--set", "registrar.domains=example.com", "--set", "control.persistence=true",
			       "--set", "control.event_ring=100", NULL };
	refused_argv(7, argv, "control.event_ring");
}

static void test_bad_values_name_the_key(void **state)
{
	(void)state;
	refused("registrar.min_expires=abc", "registrar.min_expires");
	refused("registrar.min_expires=-1", "registrar.min_expires");
	refused("net.sip_port=70000", "net.sip_port");
	refused("net.address=198.51.100", "net.address");
	refused("net.symmetric_responses=maybe", "net.symmetric_responses");
	refused("workers.count=65", "workers.count");
	refused("workers.burst=0", "workers.burst");
	refused("registrar.path=sometimes", "registrar.path");
	refused("registrar.no_such_key=1", "registrar.no_such_key");
	refused("nosection.key=1", "nosection.key");
	refused("eal.file_prefix=", "eal.file_prefix");
	refused("flood.action=reject", "flood.action");
	refused("flood.table_size=2", "flood.table_size");
	refused("flood.block_time=0", "flood.block_time");
	refused("control.durability=eventually", "control.durability");
	refused("control.flush_ms=0", "control.flush_ms");
	refused("control.event_slot_bytes=100", "control.event_slot_bytes");
	/* issue 15 item 1: no unlimited, nothing above the store's hard per-AoR cap */
	refused("registrar.max_contacts=0", "registrar.max_contacts");
	refused("registrar.max_contacts=1025", "registrar.max_contacts");
	refused("registrar.max_contacts=65536", "registrar.max_contacts");
	refused("registrar.max_path_len=0", "registrar.max_path_len");
	refused("registrar.role=proxy", "registrar.role");
	refused("mid.mode=throttling", "mid.mode");
	refused("mid.contact_id_insertion=ct-host", "mid.contact_id_insertion");
	refused("mid.registrar=main.example.net", "mid.registrar");       /* no port */
	refused("mid.registrar=198.51.100.9:0", "mid.registrar");
	refused("mid.contact_id_param=ct id", "mid.contact_id_param");
	refused("mid.at_escape_str=@", "mid.at_escape_str");
	refused("mid.outgoing_expires=0", "mid.outgoing_expires");
	refused("mid.received_param=a;b", "mid.received_param");
	refused("mid.extra_contact_params=transport tls", "mid.extra_contact_params");
	refused("mid.refresh_margin=3600", "mid.refresh_margin");          /* not shorter than outgoing_expires */
	refused("mid.backoff_max=10", "mid.backoff_max");                  /* below backoff_min (30) */
	refused("mid.upstream_timeout=40", "mid.upstream_timeout");        /* the UA has given up by then */
}

/* registrar.role = mid needs the main registrar's address; the [mid] defaults are the manual's. */
static void test_mid_role(void **state)
{
	(void)state;
	const char *final[] = { "sipreg", "--set", "registrar.domains=example.com", NULL };
	assert_int_equal(load(3, final), 0);
	assert_int_equal(cfg.role, SR_ROLE_FINAL);
	assert_int_equal(cfg.mid.mode, SR_MIDREG_MIRROR);
	assert_int_equal(cfg.mid.contact_id_insertion, SR_MIDREG_CT_PARAM);
	assert_string_equal(cfg.mid.contact_id_param, "ctid");
	assert_string_equal(cfg.mid.at_escape_str, "%40");
	assert_int_equal(cfg.mid.outgoing_expires, 3600);
	assert_string_equal(cfg.mid.received_param, "");
	assert_string_equal(cfg.mid.extra_contact_params, "");
	assert_int_equal(cfg.mid.upstream_timeout, 16); /* below a UA's own Timer F (32 s) */

	refused("registrar.role=mid", "mid.registrar");
	const char *aor_unauth[] = { "sipreg", "--set", "registrar.domains=example.com", "--set", "registrar.role=mid",
				     "--set", "mid.registrar=198.51.100.9:5070", "--set", "mid.mode=aor-throttling", NULL };
	refused_argv(9, aor_unauth, "auth.enabled");
	write_ini("[registrar]\ndomains = example.com\nrole = mid\n"
		  "[mid]\nregistrar = main.example.net:5070\nmode = aor-throttling\n"
		  "contact_id_insertion = ct-username\ncontact_id_param = mrid\nat_escape_str = ___\n"
		  "outgoing_expires = 7200\nreceived_param = rcv\nextra_contact_params = transport=udp;lr\n"
		  "records = 1000\ncontexts = 100\nrefresh_margin = 40\nbackoff_min = 10\nbackoff_max = 600\n");
	const char *argv[] = { "sipreg", "--config", ini_path, "--set", "mid.mode=contact-throttling", NULL };
	assert_int_equal(load(5, argv), 0);
	unlink(ini_path);
	assert_int_equal(cfg.role, SR_ROLE_MID);
	assert_string_equal(cfg.mid.registrar, "main.example.net:5070");
	assert_int_equal(cfg.mid.mode, SR_MIDREG_CONTACT_THROTTLING); /* --set after the file */
	assert_int_equal(cfg.mid.contact_id_insertion, SR_MIDREG_CT_USERNAME);
	assert_string_equal(cfg.mid.contact_id_param, "mrid");
	assert_string_equal(cfg.mid.at_escape_str, "___");
	assert_int_equal(cfg.mid.outgoing_expires, 7200);
	assert_string_equal(cfg.mid.received_param, "rcv");
	assert_string_equal(cfg.mid.extra_contact_params, "transport=udp;lr"); /* the shard adds the ';' */
	assert_int_equal(cfg.mid.records, 1000);
	assert_int_equal(cfg.mid.contexts, 100);
	assert_int_equal(cfg.mid.refresh_margin, 40);
	assert_int_equal(cfg.mid.backoff_min, 10);
	assert_int_equal(cfg.mid.backoff_max, 600);
	/* What lib/midreg runs with. */
	struct sr_midreg_config mc;
	sr_midreg_config_from(&cfg.mid, &mc);
	assert_true(mc.uri.ct_username);
	assert_int_equal(mc.outgoing_expires, 7200);
	assert_int_equal(mc.txn.timer_f_ms, 16000); /* mid.upstream_timeout: the upstream transaction's Timer F */
}

static void test_every_documented_key_is_settable(void **state)
{
	(void)state;
	static const char *const sets[][2] = {
		{ "eal.args", "--no-pci" }, { "eal.lcores", "0@0,1@1" }, { "eal.file_prefix", "p" },
		{ "port.vdev", "net_af_packet0,iface=x" }, { "port.rx_desc", "512" }, { "port.tx_desc", "512" },
		{ "port.mbufs", "8191" }, { "port.rx_data_room", "16384" }, { "net.address", "198.51.100.1" },
		{ "net.sip_port", "5080" }, { "net.symmetric_responses", "true" }, { "net.reasm_flows", "64" },
		{ "net.reasm_timeout_ms", "500" }, { "workers.count", "2" }, { "workers.burst", "16" },
		{ "workers.ring_size", "256" }, { "workers.expire_budget", "10" }, { "workers.idle_sleep_us", "5" },
		{ "control.socket", "/tmp/s" }, { "control.data_dir", "/tmp/d" }, { "control.query_timeout_ms", "100" },
		{ "registrar.domains", "example.com" }, { "registrar.not_served_code", "404" },
		{ "registrar.min_expires", "10" }, { "registrar.max_expires", "100" },
		{ "registrar.default_expires", "50" }, { "registrar.expires_max_deviation", "0" },
		{ "registrar.default_q", "-1" }, { "registrar.max_contacts", "5" },
		{ "registrar.max_contacts_mode", "reject" }, { "registrar.retry_after", "30" },
		{ "registrar.max_username_len", "64" }, { "registrar.max_domain_len", "128" },
		{ "registrar.max_aor_len", "256" }, { "registrar.max_contact_len", "512" },
		{ "registrar.max_path_len", "2048" },
		{ "registrar.case_sensitive", "false" }, { "registrar.realm_prefix", "sip." },
		{ "registrar.path", "lazy" }, { "registrar.outbound", "on" }, { "registrar.gruu", "off" },
		{ "registrar.fast_parse", "false" },
		{ "registrar.max_aors", "1000" }, { "registrar.memory_limit", "0" }, { "registrar.secret", "0x1234" },
		{ "policy.rules", "/etc/sipreg/policy.rules" }, { "flood.rate", "20" }, { "flood.burst", "40" },
		{ "flood.action", "503" }, { "flood.table_size", "4096" }, { "flood.auth_fail_limit", "5" },
		{ "flood.auth_fail_window", "30" }, { "flood.block_time", "600" },
		{ "control.persistence", "true" }, { "control.durability", "sync" }, { "control.flush_ms", "2" },
		{ "control.batch_events", "500" }, { "control.event_ring", "1024" },
		{ "control.event_slot_bytes", "4096" }, { "control.map_size", "1073741824" },
		{ "control.metrics", "127.0.0.1:9500" }, { "registrar.role", "mid" },
		{ "mid.registrar", "198.51.100.9:5070" }, { "mid.mode", "aor-throttling" },
		{ "mid.contact_id_insertion", "ct-username" }, { "mid.contact_id_param", "ctid" },
		{ "mid.at_escape_str", "%40" }, { "mid.outgoing_expires", "3600" }, { "mid.received_param", "received" },
		{ "mid.extra_contact_params", ";transport=udp" }, { "mid.records", "1024" }, { "mid.contexts", "64" },
		{ "mid.refresh_margin", "32" }, { "mid.backoff_min", "30" }, { "mid.backoff_max", "1800" },
		{ "mid.upstream_timeout", "16" },
		{ "routing.mode", "proxy" }, { "routing.record_route", "true" }, { "routing.transactions", "1024" },
		{ "routing.contexts", "256" }, { "routing.buffer_bytes", "4096" }, { "routing.large_buffers", "8" },
		{ "routing.user_agent_filter", "^Linphone/" },
	};
	char err[256];
	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		char section[32];
		const char *dot = strchr(sets[i][0], '.');
		snprintf(section, sizeof(section), "%.*s", (int)(dot - sets[i][0]), sets[i][0]);
		if (sr_app_config_set(&cfg, section, dot + 1, sets[i][1], err, sizeof(err)) != NULL)
			fail_msg("%s=%s refused: %s", sets[i][0], sets[i][1], err);
	}
	assert_int_equal(cfg.reg.secret, 0x1234);
	assert_false(cfg.reg.fast_parse);
	assert_int_equal(cfg.sip_port, 5080);
	assert_string_equal(cfg.policy_rules, "/etc/sipreg/policy.rules");
	assert_int_equal(cfg.flood.rate, 20);
	assert_int_equal(cfg.flood.burst, 40);
	assert_int_equal(cfg.flood_action, SR_FLOOD_503);
	assert_int_equal(cfg.flood.slots, 4096);
	assert_int_equal(cfg.flood.fail_limit, 5);
	assert_int_equal(cfg.flood.fail_window_s, 30);
	assert_int_equal(cfg.flood.block_s, 600);
	assert_true(cfg.persistence);
	assert_int_equal(cfg.durability, SR_DURABILITY_SYNC);
	assert_int_equal(cfg.flush_ms, 2);
	assert_int_equal(cfg.batch_events, 500);
	assert_int_equal(cfg.event_slot_bytes, 4096);
	assert_true(cfg.map_size == 1073741824ull);
	assert_string_equal(cfg.metrics, "127.0.0.1:9500");
	assert_int_equal(cfg.role, SR_ROLE_MID);
	assert_int_equal(cfg.mid.mode, SR_MIDREG_AOR_THROTTLING);
	assert_int_equal(cfg.routing.mode, 2); /* proxy: enum sr_route_mode's order */
	assert_true(cfg.routing.record_route);
	assert_int_equal(cfg.routing.transactions, 1024);
	assert_int_equal(cfg.routing.contexts, 256);
	assert_int_equal(cfg.routing.buffer_bytes, 4096);
	assert_int_equal(cfg.routing.large_buffers, 8);
}

/* Issue 12: routing.mode is off unless asked (today's behaviour), its values are the three modes, the sizes are checked. */
static void test_routing_keys(void **state)
{
	(void)state;
	const char *argv[] = { "sipreg", "--set", "registrar.domains=example.com", NULL };
	assert_int_equal(load(3, argv), 0);
	assert_int_equal(cfg.routing.mode, 0);
	assert_false(cfg.routing.record_route);
	assert_true(cfg.routing.contexts <= cfg.routing.transactions);
	assert_true(cfg.routing.secret[0] != 0 || cfg.routing.secret[1] != 0);

	const char *redirect[] = { "sipreg", "--set", "registrar.domains=example.com", "--set", "routing.mode=redirect",
				   NULL };
	assert_int_equal(load(5, redirect), 0);
	assert_int_equal(cfg.routing.mode, 1);

	const char *bad_mode[] = { "sipreg", "--set", "registrar.domains=example.com", "--set", "routing.mode=relay",
				   NULL };
	refused_argv(5, bad_mode, "routing.mode");
	const char *more_contexts[] = { "sipreg", "--set", "registrar.domains=example.com",
					"--set", "routing.transactions=100", "--set", "routing.contexts=200", NULL };
	refused_argv(7, more_contexts, "routing.contexts");
	const char *tiny_buf[] = { "sipreg", "--set", "registrar.domains=example.com", "--set",
				   "routing.buffer_bytes=100", NULL };
	refused_argv(5, tiny_buf, "routing.buffer_bytes");
	const char *big_buf[] = { "sipreg", "--set", "registrar.domains=example.com", "--set",
				  "routing.buffer_bytes=65536", NULL };
	refused_argv(5, big_buf, "routing.buffer_bytes");
	const char *bad_ua[] = { "sipreg", "--set", "registrar.domains=example.com", "--set",
				 "routing.user_agent_filter=(Linphone", NULL };
	refused_argv(5, bad_ua, "routing.user_agent_filter");
	const char *good_ua[] = { "sipreg", "--set", "registrar.domains=example.com", "--set",
				  "routing.user_agent_filter=^Linphone/", NULL };
	assert_int_equal(load(5, good_ua), 0);
	assert_string_equal(cfg.routing.user_agent_filter, "^Linphone/");
}

/* nat.ping_interval / nat.ping_timeout: off by default, bounded, the timeout at most 63 intervals. */
static void test_nat_keys(void **state)
{
	(void)state;
	const char *argv[] = { "sipreg", "--set", "registrar.domains=example.com", NULL };
	assert_int_equal(load(3, argv), 0);
	assert_int_equal(cfg.nat.ping_interval, 0);
	assert_int_equal(cfg.nat.ping_timeout, 0);
	const char *on[] = { "sipreg", "--set", "registrar.domains=example.com", "--set", "nat.ping_interval=30",
			     "--set", "nat.ping_timeout=120", NULL };
	assert_int_equal(load(7, on), 0);
	assert_int_equal(cfg.nat.ping_interval, 30);
	assert_int_equal(cfg.nat.ping_timeout, 120);
	const char *too_long[] = { "sipreg", "--set", "registrar.domains=example.com", "--set", "nat.ping_interval=1",
				   "--set", "nat.ping_timeout=64", NULL };
	refused_argv(7, too_long, "nat.ping_timeout");
	const char *big[] = { "sipreg", "--set", "registrar.domains=example.com", "--set", "nat.ping_interval=3601",
			      NULL };
	refused_argv(5, big, "nat.ping_interval");
	const char *word[] = { "sipreg", "--set", "registrar.domains=example.com", "--set", "nat.ping_timeout=soon",
			       NULL };
	refused_argv(5, word, "nat.ping_timeout");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_file_then_set_in_order),
		cmocka_unit_test(test_bad_values_name_the_key),
		cmocka_unit_test(test_event_ring_holds_one_register),
		cmocka_unit_test(test_every_documented_key_is_settable),
		cmocka_unit_test(test_mid_role),
		cmocka_unit_test(test_routing_keys),
		cmocka_unit_test(test_nat_keys),
	};
	return cmocka_run_group_tests_name("app_config", tests, NULL, NULL);
}
