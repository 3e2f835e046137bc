/*
 * regflood.c - REGISTER load generator for sipreg and its peers: options, threads,
 * and the final report.
 *
 * Design: main only parses, starts one sender thread per --threads (rf_loop.c), joins
 * them and merges their books (rf_track.c) into one verdict (rf_report.c). All limits
 * are checked up front with a clear message (exit 2); a run with any failed request
 * exits 1; a clean run exits 0. It needs no DPDK and no root: run it inside netns
 * sr-peer against 198.51.100.1:5060, or on loopback against anything listening.
 * --write-subscribers sends nothing: it writes the subscriber file (HA1 only) that makes
 * sipreg accept the auth workload's users with their pattern passwords (rf_auth.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "rf_auth.h"
#include "rf_loop.h"
#include "rf_report.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: regflood [options]\n"
		"  --dest IP:PORT       registrar (default 198.51.100.1:5060)\n"
		"  --local IP           source address (default 198.51.100.2)\n"
		"  --workload W         new | refresh | fetch | dereg | mix | auth (default new); auth: each AoR\n"
		"                       REGISTERs, is challenged (401), REGISTERs again with digest credentials\n"
		"                       (same Call-ID, CSeq + 1) and must get 200: one flow, two requests\n"
		"  --aors N             AoRs in use (default 10000); users PREFIX0000000..\n"
		"  --first-aor N        index of the first AoR (default 0)\n"
		"  --rate R             open loop at R requests/s in total (auth: flows/s); 0 = closed loop (default 0)\n"
		"  --window W           most requests outstanding per thread (default 256 closed, 65536 open)\n"
		"  --duration S         seconds of the measured phase (default 10; new/dereg end early when the AoRs run out)\n"
		"  --threads N          sender threads (default 1)\n"
		"  --sockets N          UDP sockets (source ports) per thread (default 1, at most %d)\n"
		"  --batch N            requests per sendmmsg (default 32, at most 256)\n"
		"  --timeout-ms MS      a request unanswered for this long is a failure (default 1000)\n"
		"  --expires S          Expires of registrations (default 3600)\n"
		"  --domain D           domain (default example.com)\n"
		"  --user-prefix P      AoR user prefix (default rf)\n"
		"  --password-prefix P  auth: the password of user <user-prefix><index> is P<index> (default pw)\n"
		"  --auth-alg A         auth: answer the challenge with algorithm A (SHA-256 or MD5); default the\n"
		"                       first challenge offered that regflood can answer\n"
		"  --write-subscribers FILE  write the subscriber file (lib/auth/auth_creds.h format, HA1 only) of\n"
		"                       the --aors users from --first-aor with those passwords, then exit\n"
		"  --realm R            realm of --write-subscribers (default --domain; sipreg's auth.realm if set)\n"
		"  --digest             answer digest challenges in any workload: a 401 to a REGISTER (new or\n"
		"                       refresh) with a usable challenge is answered at once with credentials\n"
		"                       (same Call-ID, CSeq + 1), and only the 200 to that counts (as auth does)\n"
		"  --json-only          print only the JSON line\n"
		"exit status: 0 all requests (auth: flows) answered 200 in time, 1 any failure, 2 bad usage or set-up\n",
		SR_RF_MAX_SOCKETS);
}

static int parse_u32(const char *s, const char *what, uint32_t min, uint32_t max, uint32_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max) {
		fprintf(stderr, "regflood: --%s must be an integer in [%u, %u], not '%s'\n", what, min, max, s);
		return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

static int parse_dest(const char *s, struct sockaddr_in *out)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	uint32_t port;
	if (!colon || (size_t)(colon - s) >= sizeof host) {
		fprintf(stderr, "regflood: --dest must be IP:PORT, not '%s'\n", s);
		return -1;
	}
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	if (parse_u32(colon + 1, "dest port", 1, 65535, &port))
		return -1;
	*out = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	if (inet_pton(AF_INET, host, &out->sin_addr) != 1) {
		fprintf(stderr, "regflood: --dest address '%s' is not an IPv4 address\n", host);
		return -1;
	}
	return 0;
}

static double cpu_seconds(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* a subscriber-file field: printable, no blanks, quotes, backslashes or comment signs */
static bool plain_word(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~' || s[i] == '"' || s[i] == '\\' || s[i] == '#')
			return false;
	return true;
}

static int write_subscribers(const char *path, const struct sr_rf_cfg *cfg, const char *realm)
{
	const struct sr_rf_ident id = {.domain = cfg->domain, .user_prefix = cfg->user_prefix,
				       .password_prefix = cfg->password_prefix};
	struct sr_digest *dg = sr_digest_new();
	FILE *out = dg ? fopen(path, "w") : NULL;
	if (!out) {
		fprintf(stderr, "regflood: %s: %s\n", path, dg ? strerror(errno) : "OpenSSL offers no MD5 or SHA-256");
		sr_digest_free(dg);
		return 2;
	}
	int rc = sr_rf_write_subscribers(out, dg, &id, realm, cfg->first_aor, cfg->aors);
	if (fclose(out) != 0)
		rc = -1;
	sr_digest_free(dg);
	if (rc) {
		fprintf(stderr, "regflood: %s: cannot write the subscriber file\n", path);
		return 2;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct sr_rf_cfg cfg = {.domain = "example.com", .user_prefix = "rf", .threads = 1, .sockets = 1,
				       .batch = 32, .aors = 10000, .expires = 3600};
	uint32_t duration_s = 10, timeout_ms = 1000, window = 0, rate = 0;
	const char *dest = "198.51.100.1:5060", *local = "198.51.100.2", *workload = "new";
	const char *subscribers = NULL, *realm = NULL, *auth_alg = NULL;
	cfg.password_prefix = "pw";
	int json_only = 0;
	enum { O_DEST = 256, O_LOCAL, O_WL, O_AORS, O_FIRST, O_RATE, O_WIN, O_DUR, O_THR, O_SOCK, O_BATCH, O_TMO,
	       O_EXP, O_DOM, O_PFX, O_JSON, O_HELP, O_PWPFX, O_ALG, O_SUBS, O_REALM, O_DIGEST };
	static const struct option opts[] = {
		{"dest", 1, 0, O_DEST},       {"local", 1, 0, O_LOCAL},   {"workload", 1, 0, O_WL},
		{"aors", 1, 0, O_AORS},       {"first-aor", 1, 0, O_FIRST}, {"rate", 1, 0, O_RATE},
		{"window", 1, 0, O_WIN},      {"duration", 1, 0, O_DUR},  {"threads", 1, 0, O_THR},
		{"sockets", 1, 0, O_SOCK},    {"batch", 1, 0, O_BATCH},   {"timeout-ms", 1, 0, O_TMO},
		{"expires", 1, 0, O_EXP},     {"domain", 1, 0, O_DOM},    {"user-prefix", 1, 0, O_PFX},
		{"json-only", 0, 0, O_JSON},  {"help", 0, 0, O_HELP},     {"password-prefix", 1, 0, O_PWPFX},
		{"auth-alg", 1, 0, O_ALG},    {"write-subscribers", 1, 0, O_SUBS}, {"realm", 1, 0, O_REALM},
		{"digest", 0, 0, O_DIGEST},   {0, 0, 0, 0}};
	int c, bad = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case O_DEST: dest = optarg; break;
		case O_LOCAL: local = optarg; break;
		case O_WL: workload = optarg; break;
		case O_AORS: bad |= parse_u32(optarg, "aors", 1, 100000000, &cfg.aors); break;
		case O_FIRST: bad |= parse_u32(optarg, "first-aor", 0, 1000000000, &cfg.first_aor); break;
		case O_RATE: bad |= parse_u32(optarg, "rate", 0, 100000000, &rate); break;
		case O_WIN: bad |= parse_u32(optarg, "window", 1, 1u << 24, &window); break;
		case O_DUR: bad |= parse_u32(optarg, "duration", 1, 3600, &duration_s); break;
		case O_THR: bad |= parse_u32(optarg, "threads", 1, 64, &cfg.threads); break;
		case O_SOCK: bad |= parse_u32(optarg, "sockets", 1, SR_RF_MAX_SOCKETS, &cfg.sockets); break;
		case O_BATCH: bad |= parse_u32(optarg, "batch", 1, 256, &cfg.batch); break;
		case O_TMO: bad |= parse_u32(optarg, "timeout-ms", 1, 60000, &timeout_ms); break;
		case O_EXP: bad |= parse_u32(optarg, "expires", 1, 1u << 30, &cfg.expires); break;
		case O_DOM: cfg.domain = optarg; break;
		case O_PFX: cfg.user_prefix = optarg; break;
		case O_JSON: json_only = 1; break;
		case O_PWPFX: cfg.password_prefix = optarg; break;
		case O_ALG: auth_alg = optarg; break;
		case O_SUBS: subscribers = optarg; break;
		case O_REALM: realm = optarg; break;
		case O_DIGEST: cfg.digest = true; break;
		case 'h':
		case O_HELP: usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "regflood: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (sr_rf_workload_parse(workload, &cfg.workload)) {
		fprintf(stderr, "regflood: unknown workload '%s' (new, refresh, fetch, dereg, mix, auth)\n", workload);
		return 2;
	}
	cfg.digest |= sr_rf_workload_digest(cfg.workload);
	if (cfg.digest && cfg.workload != SR_RF_WL_NEW && cfg.workload != SR_RF_WL_REFRESH &&
	    cfg.workload != SR_RF_WL_AUTH) {
		/* the answer to a challenge repeats a registration: a fetch or a removal would change meaning */
		fprintf(stderr, "regflood: --digest works with the new, refresh and auth workloads only\n");
		return 2;
	}
	if (strlen(cfg.domain) > 64 || strlen(cfg.user_prefix) > 32 || !cfg.domain[0]) {
		fprintf(stderr, "regflood: --domain (1-64 chars) or --user-prefix (at most 32) too long\n");
		return 2;
	}
	enum sr_digest_alg alg;
	if (auth_alg && sr_digest_alg_parse(sr_str_cstr(auth_alg), &alg)) {
		fprintf(stderr, "regflood: --auth-alg must be SHA-256 or MD5, not '%s'\n", auth_alg);
		return 2;
	}
	cfg.auth_alg = auth_alg ? (int)alg : -1;
	if (!plain_word(cfg.password_prefix, 32) || !plain_word(cfg.user_prefix, 32) ||
	    (realm && !plain_word(realm, 128))) {
		fprintf(stderr, "regflood: --user-prefix, --password-prefix (at most 32) and --realm (at most 128) must be "
				"printable, without blanks, quotes, backslashes or '#'\n");
		return 2;
	}
	if (bad || parse_dest(dest, &cfg.dest))
		return 2;
	if (inet_pton(AF_INET, local, &cfg.local) != 1) {
		fprintf(stderr, "regflood: --local '%s' is not an IPv4 address\n", local);
		return 2;
	}
	if (cfg.aors < cfg.threads) {
		fprintf(stderr, "regflood: --aors (%u) must be at least --threads (%u)\n", cfg.aors, cfg.threads);
		return 2;
	}
	if ((uint64_t)cfg.first_aor + cfg.aors > 9999999) {
		fprintf(stderr, "regflood: AoR indexes must stay below 10,000,000 (7-digit users)\n");
		return 2;
	}
	if (subscribers)
		return write_subscribers(subscribers, &cfg, realm ? realm : cfg.domain);
	inet_ntop(AF_INET, &cfg.local, cfg.local_ip, sizeof cfg.local_ip);
	cfg.rate = rate;
	cfg.window = window ? window : rate ? 65536 : 256;
	cfg.duration_ns = (uint64_t)duration_s * 1000000000u;
	cfg.timeout_ns = (uint64_t)timeout_ms * 1000000u;
	uint32_t seed = (uint32_t)time(NULL) ^ ((uint32_t)getpid() << 16);
	cfg.run = seed % 1000000000u;

	struct sr_rf_thread *th = calloc(cfg.threads, sizeof *th);
	if (!th) {
		fprintf(stderr, "regflood: out of memory\n");
		return 2;
	}
	int rc = 0;
	uint32_t opened = 0;
	for (; opened < cfg.threads; opened++) {
		if (sr_rf_thread_open(&th[opened], &cfg, opened)) {
			fprintf(stderr, "regflood: %s\n", th[opened].err);
			sr_rf_thread_close(&th[opened]);
			rc = 2;
			break;
		}
	}
	double cpu0 = cpu_seconds();
	uint64_t wall0 = sr_rf_now_ns();
	uint32_t started = 0;
	for (; rc == 0 && started < cfg.threads; started++) {
		int e = pthread_create(&th[started].tid, NULL, sr_rf_thread_run, &th[started]);
		if (e) {
			fprintf(stderr, "regflood: pthread_create: %s\n", strerror(e));
			rc = 2;
			break;
		}
	}
	for (uint32_t i = 0; i < started; i++)
		pthread_join(th[i].tid, NULL);
	double wall = (double)(sr_rf_now_ns() - wall0) / 1e9;

	struct sr_rf_result res = {.workload = sr_rf_workload_name(cfg.workload),
				   .digest = cfg.digest, .threads = cfg.threads,
				   .sockets = cfg.sockets, .aors = cfg.aors, .offered_rate = cfg.rate,
				   .window = cfg.window};
	uint64_t t_start = UINT64_MAX, t_end = 0, t_send_end = 0;
	for (uint32_t i = 0; i < started; i++) {
		if (th[i].err[0]) {
			fprintf(stderr, "regflood: %s\n", th[i].err);
			rc = 2;
		}
		if (th[i].odd_len && !json_only)
			fprintf(stderr, "regflood: thread %u: first unexpected datagram (%u bytes shown):\n%.*s\n", i,
				th[i].odd_len, (int)th[i].odd_len, th[i].odd);
		sr_rf_stats_merge(&res.warm, &th[i].warm);
		sr_rf_stats_merge(&res.run, &th[i].track.st);
		res.window_stalls += th[i].window_stalls;
		if (th[i].t_start && th[i].t_start < t_start)
			t_start = th[i].t_start;
		if (th[i].t_end > t_end)
			t_end = th[i].t_end;
		if (th[i].t_send_end > t_send_end)
			t_send_end = th[i].t_send_end;
	}
	res.period_s = t_end > t_start ? (double)(t_end - t_start) / 1e9 : 0;
	res.send_s = t_send_end > t_start ? (double)(t_send_end - t_start) / 1e9 : 0;
	res.gen_cpu_pct = wall > 0 ? 100.0 * (cpu_seconds() - cpu0) / wall : 0;
	for (uint32_t i = 0; i < opened; i++)
		sr_rf_thread_close(&th[i]);
	free(th);
	if (rc)
		return rc;
	if (!json_only)
		sr_rf_result_print(&res, stdout);
	char json[1536];
	if (sr_rf_result_json(&res, json, sizeof json))
		printf("%s\n", json);
	return sr_rf_result_passed(&res) ? 0 : 1;
}
