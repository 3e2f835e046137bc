/*
 * redis_proc.c - redis-server processes for tests (see redis_proc.h).
 *
 * Design decisions:
 * - fork+exec, no shell: arguments are exact and the pid is the server's.
 * - Free ports are found by binding: a port in 20000-29999 is taken when
 *   both it and its cluster bus port bind on 127.0.0.1. Another process
 *   could grab it in between; the start then fails and is retried on
 *   another port.
 * - An atexit handler kills every server still running and removes the
 *   directories, so a failed assertion leaves nothing behind; SIGTERM and
 *   SIGINT (a test timeout, Ctrl-C) kill the servers too.
 */
#include "redis_proc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_PROCS 16

static struct redis_proc *procs[MAX_PROCS];
static char dirs[MAX_PROCS][256];
static int n_procs, n_dirs;
static bool cleanup_registered;

uint64_t now_unix_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint32_t now_unix_s(void)
{
	return (uint32_t)(now_unix_ms() / 1000);
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };
	nanosleep(&ts, NULL);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void cleanup(void)
{
	for (int i = 0; i < n_procs; i++)
		if (procs[i] && procs[i]->pid > 0)
			redis_proc_stop(procs[i], true);
	for (int i = 0; i < n_dirs; i++)
		if (nftw(dirs[i], remove_entry, 8, FTW_DEPTH | FTW_PHYS) != 0)
			fprintf(stderr, "redis_proc: could not remove %s\n", dirs[i]);
}

static bool on_path(const char *name)
{
	const char *path = getenv("PATH");
	char buf[4096];
	snprintf(buf, sizeof(buf), "%s", path ? path : "/usr/bin:/bin");
	for (char *save, *d = strtok_r(buf, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		char f[4200];
		snprintf(f, sizeof(f), "%s/%s", d, name);
		if (access(f, X_OK) == 0)
			return true;
	}
	return false;
}

/* meson ends a test that runs too long with SIGTERM: the servers must not outlive it */
static void on_signal(int sig)
{
	for (int i = 0; i < n_procs; i++)
		if (procs[i] && procs[i]->pid > 0)
			kill(procs[i]->pid, SIGKILL);
	signal(sig, SIG_DFL);
	raise(sig);
}

void redis_proc_require(void)
{
	if (!on_path("redis-server") || !on_path("redis-cli")) {
		printf("redis-server or redis-cli not installed (scripts/setup.sh installs them): skipped\n");
		exit(77);
	}
	if (!cleanup_registered) {
		atexit(cleanup);
		signal(SIGTERM, on_signal);
		signal(SIGINT, on_signal);
		cleanup_registered = true;
	}
}

static bool port_free(uint16_t port)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0)
		return false;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bool ok = bind(s, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(s);
	return ok;
}

static uint16_t pick_port(void)
{
	for (int tries = 0; tries < 1000; tries++) {
		uint16_t p = (uint16_t)(20000 + (unsigned)rand() % 10000);
		if (port_free(p) && port_free((uint16_t)(p + 10000)))
			return p;
	}
	return 0;
}

static int ping(uint16_t port)
{
	struct timeval tv = { 0, 200000 };
	redisContext *c = redisConnectWithTimeout("127.0.0.1", port, tv);
	if (!c || c->err) {
		if (c)
			redisFree(c);
		return -1;
	}
	redisReply *r = redisCommand(c, "PING");
	int ok = r && r->type == REDIS_REPLY_STATUS ? 0 : -1;
	if (r)
		freeReplyObject(r);
	redisFree(c);
	return ok;
}

static int spawn(struct redis_proc *p)
{
	char port[8], log[300];
	snprintf(port, sizeof(port), "%u", p->port);
	snprintf(log, sizeof(log), "%s/redis.log", p->dir);
	const char *argv[64] = { "redis-server", "--port", port, "--bind", "127.0.0.1", "--dir", p->dir,
				 "--logfile", log, "--save", "", "--appendonly", "yes", "--appendfsync", "always",
				 "--protected-mode", "no" };
	int n = 17;
	if (p->cluster) {
		argv[n++] = "--cluster-enabled";
		argv[n++] = "yes";
		argv[n++] = "--cluster-config-file";
		argv[n++] = "nodes.conf";
		argv[n++] = "--cluster-node-timeout";
		argv[n++] = "2000";
	}
	char extra[sizeof(p->extra)];
	snprintf(extra, sizeof(extra), "%s", p->extra);
	for (char *save, *t = strtok_r(extra, " ", &save); t && n < 62; t = strtok_r(NULL, " ", &save))
		argv[n++] = t;
	argv[n] = NULL;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		execvp("redis-server", (char *const *)argv);
		_exit(127);
	}
	p->pid = pid;
	for (int i = 0; i < 100; i++) { /* up to 5 s */
		if (ping(p->port) == 0)
			return 0;
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			p->pid = 0;
			return -1;
		}
		sleep_ms(50);
	}
	redis_proc_stop(p, true);
	return -1;
}

int redis_proc_start(struct redis_proc *p, bool cluster, const char *extra)
{
	redis_proc_require();
	srand((unsigned)(getpid() ^ now_unix_ms()));
	memset(p, 0, sizeof(*p));
	p->cluster = cluster;
	snprintf(p->extra, sizeof(p->extra), "%s", extra ? extra : "");
	snprintf(p->dir, sizeof(p->dir), "/tmp/sr-repl-test-XXXXXX");
	if (!mkdtemp(p->dir) || n_dirs == MAX_PROCS || n_procs == MAX_PROCS)
		return -1;
	snprintf(dirs[n_dirs++], sizeof(dirs[0]), "%s", p->dir);
	procs[n_procs++] = p;
	for (int tries = 0; tries < 5; tries++) {
		p->port = pick_port();
		if (p->port && spawn(p) == 0)
			return 0;
	}
	fprintf(stderr, "redis_proc: cannot start redis-server (see %s/redis.log)\n", p->dir);
	return -1;
}

void redis_proc_stop(struct redis_proc *p, bool hard)
{
	if (p->pid <= 0)
		return;
	int st;
	if (!hard) { /* Redis may refuse SIGTERM (e.g. while writing its first AOF): then SIGKILL */
		kill(p->pid, SIGTERM);
		for (int i = 0; i < 60; i++) {
			if (waitpid(p->pid, &st, WNOHANG) == p->pid) {
				p->pid = 0;
				return;
			}
			sleep_ms(50);
		}
	}
	kill(p->pid, SIGKILL);
	while (waitpid(p->pid, &st, 0) < 0 && errno == EINTR)
		;
	p->pid = 0;
}

int redis_proc_restart(struct redis_proc *p)
{
	redis_proc_stop(p, true);
	for (int tries = 0; tries < 40; tries++) { /* the port may linger briefly */
		if (spawn(p) == 0)
			return 0;
		sleep_ms(100);
	}
	return -1;
}

void redis_cluster_spec(const struct redis_proc *p, int n, char *out, size_t cap)
{
	size_t len = 0;
	out[0] = '\0';
	for (int i = 0; i < n && len < cap; i++)
		len += (size_t)snprintf(out + len, cap - len, "%s127.0.0.1:%u", i ? "," : "", p[i].port);
}

int redis_cluster_wait_ok(const struct redis_proc *p, int n, int timeout_ms)
{
	uint64_t end = now_unix_ms() + (uint64_t)timeout_ms;
	while (now_unix_ms() < end) {
		int ok = 0;
		for (int i = 0; i < n; i++) {
			redisContext *c = redisConnect("127.0.0.1", p[i].port);
			if (c && !c->err) {
				redisReply *r = redisCommand(c, "CLUSTER INFO");
				if (r && r->type == REDIS_REPLY_STRING && strstr(r->str, "cluster_state:ok"))
					ok++;
				if (r)
					freeReplyObject(r);
			}
			if (c)
				redisFree(c);
		}
		if (ok == n)
			return 0;
		sleep_ms(100);
	}
	return -1;
}

int redis_cluster_start(struct redis_proc *p, int n, const char *extra)
{
	for (int i = 0; i < n; i++)
		if (redis_proc_start(&p[i], true, extra) != 0)
			return -1;
	char addr[8][32];
	const char *argv[16] = { "redis-cli", "--cluster", "create" };
	int k = 3;
	for (int i = 0; i < n && i < 8; i++) {
		snprintf(addr[i], sizeof(addr[i]), "127.0.0.1:%u", p[i].port);
		argv[k++] = addr[i];
	}
	argv[k++] = "--cluster-yes";
	argv[k] = NULL;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);
		if (devnull >= 0)
			dup2(devnull, 1);
		execvp("redis-cli", (char *const *)argv);
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "redis_proc: redis-cli --cluster create failed\n");
		return -1;
	}
	return redis_cluster_wait_ok(p, n, 20000);
}

uint64_t redis_proc_cpu_us(const struct redis_proc *p)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)p->pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *s = strrchr(buf, ')'); /* the command name may hold blanks */
	unsigned long long ut, st;
	if (!s || sscanf(s + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return 0;
	return (ut + st) * 1000000ull / (uint64_t)sysconf(_SC_CLK_TCK);
}

redisContext *redis_proc_connect(const struct redis_proc *p)
{
	redisContext *c = redisConnect("127.0.0.1", p->port);
	if (!c || c->err) {
		fprintf(stderr, "redis_proc: cannot connect to 127.0.0.1:%u\n", p->port);
		exit(1);
	}
	return c;
}

redisReply *redis_cmd(redisContext *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	redisReply *r = redisvCommand(c, fmt, ap);
	va_end(ap);
	return r;
}

long long redis_calls(redisContext *c, const char *cmd)
{
	redisReply *r = redis_cmd(c, "INFO commandstats");
	char want[64];
	snprintf(want, sizeof(want), "cmdstat_%s:calls=", cmd);
	const char *at = r && r->type == REDIS_REPLY_STRING ? strstr(r->str, want) : NULL;
	long long n = at ? atoll(at + strlen(want)) : 0;
	freeReplyObject(r);
	return n;
}
