/*
 * sipregctl - command-line client of sipreg's control socket.
 *
 *   sipregctl [--prefix P] [--json] [--timeout MS] stats
 *   sipregctl ... aor <uri>          bindings of an AoR
 *   sipregctl ... dump               every persisted binding, paged (--json: one object a line)
 *   sipregctl ... rm <uri> [contact] administrative removal (emits removed events)
 *   sipregctl ... snapshot <dir>     consistent copy of the binding store
 *   sipregctl ... reload             subscribers, nonce secret and policy rules (cli_reload.h)
 *   sipregctl ... watch              follow the listener stream (cli_watch.h)
 *
 * Design decisions:
 * - The control socket is DPDK's telemetry socket of the instance
 *   (eal.file_prefix, default "sipreg-dev" as in the development profile),
 *   so sipreg needs no second server; commands are /sipreg/... telemetry
 *   commands.
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
	fputs("usage: sipregctl [--prefix EAL_FILE_PREFIX] [--json] [--timeout MS] COMMAND [ARG]\n"
	      "commands:\n"
	      "  stats            counters of every worker, persistence and ports\n"
	      "  aor URI          bindings of an address-of-record (contact, expiry left, q, ...)\n"
	      "  rm URI [CONTACT] removes the AoR's bindings (or only CONTACT's); persisted and announced\n"
	      "  dump             every persisted binding, paged (constant memory): AOR CONTACT EXPIRES_IN\n"
	      "  snapshot DIR     consistent copy of the binding store into DIR (must hold no data.mdb)\n"
	      "  reload           re-reads subscribers, nonce secret file and policy rules; fails if one is refused\n"
	      "  watch            follows binding changes: current state, then added/removed contacts live\n"
	      "The default prefix is sipreg-dev (dpdk-config/sipreg-dev.ini).\n", f);
	return f == stderr ? 2 : 0;
}

/* Builds the telemetry command for argv; returns 0 or prints why not and returns 2. */
static int build(int argc, char **argv, char *cmd, size_t cap, char *name, size_t name_cap)
{
	const char *verb = argv[0];
	char abs[PATH_MAX + 2];
	if (strcmp(verb, "dump") == 0 && argc == 1) {
		snprintf(name, name_cap, "/sipreg/dump");
		cmd[0] = '\0'; /* paged by dump() */
	} else if (strcmp(verb, "reload") == 0 && argc == 1) {
		snprintf(name, name_cap, "reload");
		cmd[0] = '\0'; /* two commands, by reload() */
	} else if (strcmp(verb, "watch") == 0 && argc == 1) {
		snprintf(name, name_cap, "watch");
		cmd[0] = '\0';
	} else if (strcmp(verb, "stats") == 0 && argc == 1) {
		snprintf(name, name_cap, "/sipreg/stats");
		snprintf(cmd, cap, "/sipreg/stats");
	} else if (strcmp(verb, "aor") == 0 && argc == 2) {
		snprintf(name, name_cap, "/sipreg/aor");
		snprintf(cmd, cap, "/sipreg/aor,%s", argv[1]);
	} else if (strcmp(verb, "rm") == 0 && (argc == 2 || argc == 3)) {
		snprintf(name, name_cap, "/sipreg/rm");
		snprintf(cmd, cap, "/sipreg/rm,%s%s%s", argv[1], argc == 3 ? "," : "", argc == 3 ? argv[2] : "");
	} else if (strcmp(verb, "snapshot") == 0 && argc == 2) {
		const char *dir = argv[1];
		if (dir[0] != '/') {
			char cwd[PATH_MAX];
			if (!getcwd(cwd, sizeof(cwd))) {
				perror("sipregctl: getcwd");
				return 2;
			}
			snprintf(abs, sizeof(abs), "%.*s/%s", PATH_MAX / 2, cwd, dir);
			dir = abs;
		}
		snprintf(name, name_cap, "/sipreg/snapshot");
		snprintf(cmd, cap, "/sipreg/snapshot,%s", dir);
	} else {
		fprintf(stderr, "sipregctl: unknown command or wrong arguments: %s\n", verb);
		return usage(stderr);
	}
	return 0;
}

/* Pages through /sipreg/dump until the end, one answer in memory at a time. */
static int dump(struct sr_cli_client *c, bool json)
{
	char cursor[80] = "", cmd[128], err[1024];
	unsigned long total = 0;
	for (;;) {
		snprintf(cmd, sizeof(cmd), "/sipreg/dump%s%s", cursor[0] ? "," : "", cursor);
		char *reply = sr_cli_client_call(c, cmd, err, sizeof(err));
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

/* /sipreg/reload then /sipreg/policy_reload, reported together. */
static int reload(struct sr_cli_client *c, bool json)
{
	char err[1024];
	char *auth = sr_cli_client_call(c, "/sipreg/reload", err, sizeof(err));
	if (!auth)
		fprintf(stderr, "sipregctl: /sipreg/reload: %s\n", err);
	char *policy = sr_cli_client_call(c, "/sipreg/policy_reload", err, sizeof(err));
	if (!policy)
		fprintf(stderr, "sipregctl: /sipreg/policy_reload: %s\n", err);
	int rc = sr_cli_format_reload(auth, policy, json, stdout, err, sizeof(err));
	free(auth);
	free(policy);
	if (rc == 0)
		return 0;
	fprintf(stderr, "sipregctl: %s\n", err);
	return 1;
}

int main(int argc, char **argv)
{
	const char *prefix = "sipreg-dev";
	bool json = false;
	int timeout_ms = 3000;
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (strcmp(argv[i], "--prefix") == 0 && i + 1 < argc)
			prefix = argv[++i];
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
	char cmd[8192], name[64], err[1024];
	int rc = build(argc - i, argv + i, cmd, sizeof(cmd), name, sizeof(name));
	if (rc)
		return rc;
	if (strcmp(name, "watch") == 0)
		return sr_cli_watch(prefix, json); /* its own socket, not the telemetry one */
	struct sr_cli_client c;
	if (sr_cli_client_open(&c, prefix, timeout_ms, err, sizeof(err)) != 0) {
		fprintf(stderr, "sipregctl: %s\n", err);
		return 1;
	}
	if (!cmd[0]) {
		rc = strcmp(name, "reload") == 0 ? reload(&c, json) : dump(&c, json);
		sr_cli_client_close(&c);
		return rc;
	}
	char *reply = sr_cli_client_call(&c, cmd, err, sizeof(err));
	sr_cli_client_close(&c);
	if (!reply) {
		fprintf(stderr, "sipregctl: %s\n", err);
		return 1;
	}
	rc = sr_cli_format(name, reply, json, stdout, err, sizeof(err));
	free(reply);
	if (rc != 0) {
		fprintf(stderr, "sipregctl: %s\n", err);
		return 1;
	}
	return 0;
}
