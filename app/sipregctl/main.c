/*
 * sipregctl - command-line client of sipreg's control socket.
 *
 *   sipregctl [--prefix P | --socket PATH] [--json] [--timeout MS] stats
 *   sipregctl ... workers            per-worker figures
 *   sipregctl ... aor <uri>          bindings of an AoR
 *   sipregctl ... dump               every persisted binding, paged (--json: one object a line)
 *   sipregctl ... rm <uri> [contact] administrative removal (emits removed events)
 *   sipregctl ... snapshot <dir>     consistent copy of the binding store
 *   sipregctl ... auth               authentication counters
 *   sipregctl ... reload             subscribers, nonce secret and policy rules (cli_reload.h)
 *   sipregctl ... watch              follow the listener stream (cli_watch.h)
 *   sipregctl ... replication        replication status; promote: this standby becomes active
 *
 * Design decisions:
 * - Every command goes over sipreg's own control socket
 *   (/var/run/dpdk/<eal.file_prefix>/sipreg_ctl.sock, default prefix
 *   "sipreg-dev" as in the development profile), which serves the same
 *   /sipreg/... commands as DPDK telemetry without telemetry's 16 KB and
 *   128-byte limits, so no answer is ever cut.
 * - Exit status: 0 done, 1 sipreg refused or could not be reached (the
 *   message says which and why), 2 bad usage.
 * - Relative snapshot paths are made absolute here: sipreg's working
 *   directory is not the operator's.
 */
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_client.h"
#include "cli_format.h"
#include "cli_reload.h"
#include "cli_watch.h"

static int usage(FILE *f)
{
	fputs("usage: sipregctl [--prefix EAL_FILE_PREFIX | --socket PATH] [--json] [--timeout MS] COMMAND [ARG]\n"
	      "commands:\n"
	      "  stats            counters of every worker, persistence and ports\n"
	      "  workers          per worker: lcore, packets, requests, AoRs, bindings, busy ratio\n"
	      "  aor URI          bindings of an address-of-record (contact, expiry left, q, ...)\n"
	      "  lookup URI       the same in q order with where a routed request goes (destination)\n"
	      "  rm URI [CONTACT] removes the AoR's bindings (or only CONTACT's); persisted and announced\n"
	      "  dump             every persisted binding, paged (constant memory): AOR CONTACT EXPIRES_IN\n"
	      "  snapshot DIR     consistent copy of the binding store into DIR (must hold no data.mdb)\n"
	      "  auth             authentication counters and subscribers in force\n"
	      "  reload           re-reads subscribers, nonce secret file and policy rules; fails if one is refused\n"
	      "  watch            follows binding changes: current state, then added/removed contacts live\n"
	      "  replication      replication role, epoch, lag, last Redis error\n"
	      "  promote          makes this standby the active node (takes the service address)\n"
	      "The default prefix is sipreg-dev (dpdk-config/sipreg-dev.ini); the control socket is\n"
	      "/var/run/dpdk/PREFIX/sipreg_ctl.sock.\n", f);
	return f == stderr ? 2 : 0;
}

/* The command and its parameters for argv; returns 0 or prints why not and returns 2. */
static int build(int argc, char **argv, char *name, size_t name_cap, char *params, size_t params_cap)
{
	static const char *const plain[] = { "stats", "workers", "auth", "reload", "dump", "watch", "replication",
					      "promote" };
	const char *verb = argv[0];
	params[0] = '\0';
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		if (strcmp(verb, plain[i]) == 0 && argc == 1) {
			snprintf(name, name_cap, "%s%s", strcmp(verb, "watch") == 0 ? "" : "/sipreg/", verb);
			return 0;
		}
	}
	if ((strcmp(verb, "aor") == 0 || strcmp(verb, "lookup") == 0) && argc == 2) {
		snprintf(name, name_cap, "/sipreg/%s", verb);
		snprintf(params, params_cap, "%s", argv[1]);
	} else if (strcmp(verb, "rm") == 0 && (argc == 2 || argc == 3)) {
		snprintf(name, name_cap, "/sipreg/rm");
		snprintf(params, params_cap, "%s%s%s", argv[1], argc == 3 ? "," : "", argc == 3 ? argv[2] : "");
	} else if (strcmp(verb, "snapshot") == 0 && argc == 2) {
		const char *dir = argv[1];
		char cwd[PATH_MAX];
		if (dir[0] != '/' && !getcwd(cwd, sizeof(cwd))) {
			perror("sipregctl: getcwd");
			return 2;
		}
		snprintf(name, name_cap, "/sipreg/snapshot");
		snprintf(params, params_cap, "%s%s%s", dir[0] == '/' ? "" : cwd, dir[0] == '/' ? "" : "/", dir);
	} else {
		fprintf(stderr, "sipregctl: unknown command or wrong arguments: %s\n", verb);
		return usage(stderr);
	}
	return 0;
}

/* Pages through /sipreg/dump until the end, one answer in memory at a time. */
static int dump(struct sr_cli_client *c, bool json)
{
	char cursor[80] = "", err[1024];
	unsigned long total = 0;
	for (;;) {
		char *reply = sr_cli_client_call(c, "/sipreg/dump", cursor, err, sizeof(err));
		int n = reply ? sr_cli_format_dump_page(reply, json, stdout, cursor, sizeof(cursor), err, sizeof(err))
			      : -1;
		free(reply);
		if (n < 0) {
			fprintf(stderr, "sipregctl: %s (after %lu bindings)\n", err, total);
			return 1;
		}
		total += (unsigned long)n;
		if (!cursor[0])
			break;
	}
	if (!json)
		fprintf(stderr, "sipregctl: %lu bindings\n", total);
	return 0;
}

/* One command, one answer, formatted (reload has its own report). */
static int one(struct sr_cli_client *c, const char *name, const char *params, bool json)
{
	char err[1024];
	char *reply = sr_cli_client_call(c, name, params[0] ? params : NULL, err, sizeof(err));
	if (!reply) {
		fprintf(stderr, "sipregctl: %s\n", err);
		return 1;
	}
	int rc = strcmp(name, "/sipreg/reload") == 0 ? sr_cli_format_reload(reply, json, stdout, err, sizeof(err))
						       : sr_cli_format(name, reply, json, stdout, err, sizeof(err));
	free(reply);
	if (rc != 0) {
		fprintf(stderr, "sipregctl: %s\n", err);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *prefix = "sipreg-dev", *socket_path = NULL;
	bool json = false;
	int timeout_ms = 3000;
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (strcmp(argv[i], "--prefix") == 0 && i + 1 < argc)
			prefix = argv[++i];
		else if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc)
			socket_path = argv[++i];
		else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc && atoi(argv[i + 1]) > 0)
			timeout_ms = atoi(argv[++i]);
		else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return usage(stdout);
		else {
			fprintf(stderr, "sipregctl: bad option %s\n", argv[i]);
			return usage(stderr);
		}
	}
	if (i == argc)
		return usage(stderr);
	char name[64], params[PATH_MAX + 8192], path[256], err[1024];
	int rc = build(argc - i, argv + i, name, sizeof(name), params, sizeof(params));
	if (rc)
		return rc;
	if (strcmp(name, "watch") == 0)
		return sr_cli_watch(prefix, json); /* the listener stream's socket, not the control socket */
	if (!socket_path) {
		if (sr_cli_client_path(prefix, path, sizeof(path)) != 0) {
			fprintf(stderr, "sipregctl: file prefix '%s' is too long\n", prefix);
			return 2;
		}
		socket_path = path;
	}
	struct sr_cli_client c;
	if (sr_cli_client_open(&c, socket_path, timeout_ms, err, sizeof(err)) != 0) {
		fprintf(stderr, "sipregctl: %s\n", err);
		return 1;
	}
	rc = strcmp(name, "/sipreg/dump") == 0 ? dump(&c, json) : one(&c, name, params, json);
	sr_cli_client_close(&c);
	return rc;
}
