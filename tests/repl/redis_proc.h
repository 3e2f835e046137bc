/*
 * redis_proc.h - redis-server processes for tests and benchmarks.
 *
 * Starts redis-server on 127.0.0.1 with a port it picks (free, and its
 * cluster bus port + 10000 free too), in a private temporary directory,
 * stops and restarts it (kill -9 included), and builds three-master
 * clusters with redis-cli --cluster create. Everything started is stopped
 * and the directory removed at exit, also when a test fails. It never
 * contacts anything but the processes it started.
 */
#ifndef SR_TEST_REDIS_PROC_H
#define SR_TEST_REDIS_PROC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <hiredis/hiredis.h>

struct redis_proc {
	pid_t pid;
	uint16_t port;
	char dir[256];
	char extra[512];    /* more redis-server arguments, blank-separated */
	bool cluster;
};

/* Exits 77 (meson's SKIP) when redis-server or redis-cli is missing. */
void redis_proc_require(void);

/* Starts one redis-server (AOF with fsync always, so kill -9 loses nothing acknowledged). 0 or -1. */
int redis_proc_start(struct redis_proc *p, bool cluster, const char *extra);
/* SIGKILL (hard=true) or SIGTERM, and wait. */
void redis_proc_stop(struct redis_proc *p, bool hard);
/* Starts the same server again (same port, same directory: its AOF and nodes.conf). */
int redis_proc_restart(struct redis_proc *p);

/* Starts n cluster-enabled servers (extra: more arguments, or NULL) and joins them as n masters. 0 or -1. */
int redis_cluster_start(struct redis_proc *p, int n, const char *extra);
/* "127.0.0.1:p1,127.0.0.1:p2,..." */
void redis_cluster_spec(const struct redis_proc *p, int n, char *out, size_t cap);
/* Waits until every node says cluster_state:ok (or timeout). */
int redis_cluster_wait_ok(const struct redis_proc *p, int n, int timeout_ms);

/* CPU time (user + system) the server has used so far, in microseconds; 0 if unknown. */
uint64_t redis_proc_cpu_us(const struct redis_proc *p);

/* A blocking connection for checks (the test's own view of Redis); exits the test on failure. */
redisContext *redis_proc_connect(const struct redis_proc *p);
/* A command on a blocking connection; the caller frees the reply. */
redisReply *redis_cmd(redisContext *c, const char *fmt, ...);
/* How many times the server ran 'cmd' (lower case; INFO commandstats, commands inside EXEC included). */
long long redis_calls(redisContext *c, const char *cmd);

/* Unix time in milliseconds, and in seconds. */
uint64_t now_unix_ms(void);
uint32_t now_unix_s(void);

#endif
