/*
 * bench_repl.c - replication figures, in process, against redis-server
 * processes it starts on 127.0.0.1 (and stops):
 *   1. throughput into one Redis: binding changes per second from the
 *      first sr_repl_add to the last change settled durable;
 *   2. the same into a three-master Redis Cluster;
 *   3. standby lag at a fixed rate (default 100,000 changes/s): each
 *      record carries the time it was handed over, the standby's follow
 *      callback measures how long it took to arrive (p50, p99, max);
 *   4. automatic failover: the active stops (its connections close, as
 *      when its process dies), the time until the standby reports itself
 *      active (failover_ms=500), median of three.
 * After each throughput run the bindings in Redis are counted against
 * what was acknowledged ("lost" must be 0). The last line of output is one
 * JSON object. Writer and standby run in this one thread, so the figures
 * include their competition for the CPU; in production they are two
 * machines.
 *
 *   bench_repl [--changes N] [--aors K] [--record BYTES] [--rate R] [--seconds S]
 *              [--phase one|lag|failover|cluster] [--redis-args "ARGS"] [--connections N] [--smoke]
 * (--redis-args: more redis-server arguments, e.g. "--appendonly no"; --connections:
 * replication.connections, the writer's connections to one Redis, default the library's).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "redis_proc.h"
#include "repl.h"
#include "repl_model.h"

struct opts {
	uint64_t changes;
	unsigned aors;
	size_t record;
	unsigned rate, seconds;
	const char *phase; /* NULL: all; else one, cluster, lag or failover */
	const char *redis_args; /* extra redis-server arguments */
};

static bool phase(const struct opts *o, const char *name)
{
	return !o->phase || !strcmp(o->phase, name);
}

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static uint64_t self_cpu_us(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
	       (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

static uint64_t servers_cpu_us(const struct redis_proc *p, int n)
{
	uint64_t t = 0;
	for (int i = 0; i < n; i++)
		t += redis_proc_cpu_us(&p[i]);
	return t;
}

/* ---- one sr_repl instance with the bench's callbacks ----------------------- */

struct inst {
	struct sr_repl *r;
	uint64_t settled, durable_upto, not_durable;
	bool active;
	uint64_t active_at_us;
	/* standby: arrival lag of each change, in microseconds */
	uint32_t *lag;
	size_t n_lag, cap_lag;
};

static void on_settled(void *ctx, uint64_t upto, bool durable)
{
	struct inst *in = ctx;
	if (durable)
		in->durable_upto = upto;
	else
		in->not_durable += upto - in->settled;
	in->settled = upto;
}

static void on_role(void *ctx, bool active, uint64_t epoch, const char *why)
{
	struct inst *in = ctx;
	(void)epoch;
	(void)why;
	in->active = active;
	if (active)
		in->active_at_us = now_us();
}

static void on_follow(void *ctx, const struct sr_repl_follow_ev *ev)
{
	struct inst *in = ctx;
	if (ev->kind != SR_FOLLOW_CHANGE || !in->lag || ev->change->rec_len < 8)
		return;
	uint64_t stamp;
	memcpy(&stamp, ev->change->rec, 8);
	uint64_t t = now_us();
	if (in->n_lag < in->cap_lag)
		in->lag[in->n_lag++] = (uint32_t)(t > stamp ? t - stamp : 0);
}

static int snap_open(void *ctx)
{
	(void)ctx;
	return 0;
}

static int snap_next(void *ctx, struct sr_repl_change *out)
{
	(void)ctx;
	(void)out;
	return 0; /* the bench starts from an empty state */
}

static void snap_close(void *ctx)
{
	(void)ctx;
}

/* --connections (0: the library's default); every instance of a run uses the same */
static unsigned connections;

static int inst_open(struct inst *in, const char *redis, const char *node, bool active, uint32_t failover_ms)
{
	memset(in, 0, sizeof(*in));
	struct sr_repl_config c;
	sr_repl_config_defaults(&c);
	snprintf(c.redis, sizeof(c.redis), "%s", redis);
	snprintf(c.node_id, sizeof(c.node_id), "%s", node);
	snprintf(c.prefix, sizeof(c.prefix), "bench");
	c.role = active ? SR_REPL_ROLE_ACTIVE : SR_REPL_ROLE_STANDBY;
	c.failover_ms = failover_ms;
	c.heartbeat_ms = failover_ms / 5;
	c.backlog_events = 2000000;
	if (connections)
		c.connections = connections;
	struct sr_repl_callbacks cb = { .ctx = in, .settled = on_settled, .role = on_role, .follow = on_follow,
					.snapshot = { in, snap_open, snap_next, snap_close } };
	char err[512];
	if (sr_repl_open(&c, &cb, now_unix_ms(), &in->r, err, sizeof(err)) != 0) {
		fprintf(stderr, "bench_repl: %s\n", err);
		return -1;
	}
	return 0;
}

static void inst_close(struct inst *in)
{
	sr_repl_close(in->r);
	in->r = NULL;
	free(in->lag);
	in->lag = NULL;
}

static bool cond_active(void *arg)
{
	struct inst *in = arg;
	return in->active && sr_repl_available(in->r);
}

struct pair {
	struct inst *active, *standby;
};

/*
 * The standby has read the keys and follows the active's stream live at
 * the active's current epoch. Until then a standby may still be following a
 * node of the same name from an earlier phase (its heartbeat outlives it
 * by failover_ms) and start over when the new epoch's entries arrive:
 * changes made meanwhile would reach it as snapshot bindings, not as
 * timed stream changes.
 */
static bool cond_following(void *arg)
{
	struct pair *p = arg;
	struct sr_repl_stats a, s;
	sr_repl_stats(p->active->r, &a);
	sr_repl_stats(p->standby->r, &s);
	return s.f.streaming && s.f.last_epoch == a.epoch;
}

/* ---- changes ---------------------------------------------------------------- */

struct gen {
	char aor[64];
	uint8_t *rec;
	size_t rec_len;
	unsigned aors;
};

/* Change i: AoR i % aors, binding id (i / aors) % 4 + 1, a record stamped with the time. */
static void make(struct gen *g, uint64_t i, struct sr_repl_change *c)
{
	c->op = i < 4ull * g->aors ? SR_REPL_ADDED : SR_REPL_REFRESHED;
	c->id = (i / g->aors) % 4 + 1;
	c->expires = now_unix_s() + 3600;
	c->aor_len = (size_t)snprintf(g->aor, sizeof(g->aor), "sip:user%07u@example.com", (unsigned)(i % g->aors));
	c->aor = g->aor;
	uint64_t t = now_us();
	memcpy(g->rec, &t, 8);
	c->rec = g->rec;
	c->rec_len = g->rec_len;
}

/* The bindings Redis holds under the bench's prefix, counted master by master (SCAN + HLEN). */
static uint64_t count_bindings(const struct redis_proc *p, int n, uint64_t *keys)
{
	uint64_t total = 0;
	*keys = 0;
	for (int i = 0; i < n; i++) {
		redisContext *c = redis_proc_connect(&p[i]);
		char cursor[32] = "0";
		do {
			redisReply *r = redis_cmd(c, "SCAN %s MATCH bench:2:aor:* COUNT 1000", cursor);
			if (!r || r->type != REDIS_REPLY_ARRAY) {
				if (r)
					freeReplyObject(r);
				break;
			}
			snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
			redisReply *keys_r = r->element[1];
			for (size_t k = 0; k < keys_r->elements; k++)
				redisAppendCommand(c, "HLEN %b", keys_r->element[k]->str, keys_r->element[k]->len);
			for (size_t k = 0; k < keys_r->elements; k++) {
				redisReply *h;
				if (redisGetReply(c, (void **)&h) == REDIS_OK && h) {
					if (h->type == REDIS_REPLY_INTEGER)
						total += (uint64_t)h->integer;
					freeReplyObject(h);
				}
			}
			*keys += keys_r->elements;
			freeReplyObject(r);
		} while (strcmp(cursor, "0") != 0);
		redisFree(c);
	}
	return total;
}

/* Redis's own time per change in the commands the writer sends (INFO commandstats, all servers). */
static void print_cmdstats(const struct redis_proc *p, int n, uint64_t changes)
{
	static const char *const names[] = { "hset", "hdel", "pexpireat", "multi", "exec", "del", "xadd", "wait" };
	enum { N_NAMES = sizeof(names) / sizeof(names[0]) };
	double usec[N_NAMES] = { 0 };
	uint64_t calls[N_NAMES] = { 0 };
	for (int i = 0; i < n; i++) {
		redisContext *c = redis_proc_connect(&p[i]);
		redisReply *r = redis_cmd(c, "INFO commandstats");
		for (int k = 0; r && r->type == REDIS_REPLY_STRING && k < N_NAMES; k++) {
			char key[32];
			snprintf(key, sizeof(key), "cmdstat_%s:calls=", names[k]);
			const char *at = strstr(r->str, key);
			unsigned long long nc, us;
			if (at && sscanf(at + strlen(key), "%llu,usec=%llu", &nc, &us) == 2) {
				calls[k] += nc;
				usec[k] += (double)us;
			}
		}
		if (r)
			freeReplyObject(r);
		redisFree(c);
	}
	printf("  Redis time per change in commands:");
	for (int k = 0; k < N_NAMES; k++)
		if (calls[k])
			printf(" %s %.2f us (%" PRIu64 " calls)", names[k], usec[k] / (double)changes, calls[k]);
	printf("\n");
}

/* Changes per second into 'redis'; *acked: settled durable; *lost: acknowledged bindings missing. */
static double throughput(const struct opts *o, const char *redis, const struct redis_proc *procs, int n_procs,
			 uint64_t *acked, uint64_t *lost, int *failures)
{
	struct inst a;
	if (inst_open(&a, redis, "a", true, 2000) != 0) {
		(*failures)++;
		return 0;
	}
	struct pump p = { .r = { a.r }, .n = 1 };
	if (!pump_until(&p, 10000, cond_active, &a)) {
		fprintf(stderr, "bench_repl: the writer did not become active\n");
		(*failures)++;
		inst_close(&a);
		return 0;
	}
	struct gen g = { .rec_len = o->record, .aors = o->aors };
	g.rec = calloc(1, o->record);
	memset(g.rec, 'r', o->record);
	uint64_t t0 = now_us(), last = 0, cpu0 = self_cpu_us(), rcpu0 = servers_cpu_us(procs, n_procs);
	for (uint64_t i = 0; i < o->changes; i++) {
		struct sr_repl_change c;
		make(&g, i, &c);
		last = sr_repl_add(a.r, &c);
		if (i % 512 == 511) {
			pump_step(&p, 0);
			while (last - a.settled > 200000) /* keep the backlog bounded */
				pump_step(&p, 1);
		}
	}
	while (a.settled < last && now_us() - t0 < 600000000ull)
		pump_step(&p, 1);
	double secs = (double)(now_us() - t0) / 1e6;
	double cpu = (double)(self_cpu_us() - cpu0), rcpu = (double)(servers_cpu_us(procs, n_procs) - rcpu0);
	*acked += a.durable_upto;
	if (a.durable_upto != last) {
		fprintf(stderr, "bench_repl: %" PRIu64 " of %" PRIu64 " changes durable\n", a.durable_upto, last);
		(*failures)++;
	}
	print_cmdstats(procs, n_procs, last);
	uint64_t keys, want = (uint64_t)o->aors * (o->changes / o->aors < 4 ? o->changes / o->aors : 4);
	uint64_t found = count_bindings(procs, n_procs, &keys);
	if (found < want)
		*lost += want - found;
	if (found != want) {
		fprintf(stderr, "bench_repl: %" PRIu64 " bindings in Redis, %" PRIu64 " expected\n", found, want);
		(*failures)++;
	}
	struct sr_repl_stats s;
	sr_repl_stats(a.r, &s);
	printf("  %" PRIu64 " changes in %.2f s (%" PRIu64 " stream entries, %" PRIu64 " AoR keys, %" PRIu64
	       " bindings in Redis)\n",
	       last, secs, s.w.batches, keys, found);
	/* CPU per change does not depend on what else the machine runs: the capacity of one core each */
	printf("  CPU per change: sipreg side %.2f us, Redis %.2f us (all servers); one-core capacity %.0f/s\n",
	       cpu / (double)last, rcpu / (double)last, (double)last * 1e6 / (rcpu > cpu * n_procs ? rcpu / n_procs : cpu));
	free(g.rec);
	inst_close(&a);
	return (double)last / secs;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* Standby lag at o->rate changes per second for o->seconds. */
static void lag(const struct opts *o, const char *redis, double *p50, double *p99, double *max, double *achieved,
		int *failures)
{
	struct inst a, b;
	if (inst_open(&a, redis, "a", true, 2000) != 0 || inst_open(&b, redis, "b", false, 2000) != 0) {
		(*failures)++;
		return;
	}
	b.cap_lag = (size_t)o->rate * o->seconds + 1000;
	b.lag = malloc(b.cap_lag * sizeof(*b.lag));
	struct pump p = { .r = { a.r, b.r }, .n = 2 };
	struct pair ab = { &a, &b };
	if (!b.lag || !pump_until(&p, 10000, cond_active, &a) || !pump_until(&p, 10000, cond_following, &ab)) {
		fprintf(stderr, "bench_repl: active/standby pair did not get ready\n");
		(*failures)++;
		inst_close(&a);
		inst_close(&b);
		return;
	}
	struct gen g = { .rec_len = o->record, .aors = o->aors };
	g.rec = calloc(1, o->record);
	memset(g.rec, 'r', o->record);
	uint64_t t0 = now_us(), end = t0 + (uint64_t)o->seconds * 1000000, i = 0;
	while (now_us() < end) {
		uint64_t due = (now_us() - t0) * o->rate / 1000000;
		for (; i < due; i++) {
			struct sr_repl_change c;
			make(&g, i, &c);
			sr_repl_add(a.r, &c);
		}
		pump_step(&p, 0);
	}
	*achieved = (double)i / ((double)(now_us() - t0) / 1e6);
	uint64_t wait_end = now_us() + 10000000;
	while (b.n_lag < i && now_us() < wait_end)
		pump_step(&p, 1);
	if (b.n_lag < i) {
		struct sr_repl_stats s;
		sr_repl_stats(b.r, &s);
		fprintf(stderr,
			"bench_repl: the standby received %zu of %" PRIu64 " changes (full reads %" PRIu64
			", gaps %" PRIu64 ", resync markers %" PRIu64 ", duplicates %" PRIu64 ", errors %" PRIu64
			", bindings read %" PRIu64 ")\n",
			b.n_lag, i, s.f.full_reads, s.f.gaps, s.f.resync_markers, s.f.duplicates, s.f.errors,
			s.f.bindings_read);
		(*failures)++;
	}
	if (b.n_lag) {
		qsort(b.lag, b.n_lag, sizeof(*b.lag), cmp_u32);
		*p50 = b.lag[b.n_lag / 2] / 1000.0;
		*p99 = b.lag[b.n_lag * 99 / 100] / 1000.0;
		*max = b.lag[b.n_lag - 1] / 1000.0;
	}
	free(g.rec);
	inst_close(&a);
	inst_close(&b);
}

/* The active stops; how long until the standby is active (failover_ms=500). Median of three. */
static double failover(const char *redis, int *failures)
{
	double t[3] = { 0 };
	struct inst x[2];
	const char *names[2] = { "a", "b" };
	if (inst_open(&x[0], redis, names[0], true, 500) != 0) {
		(*failures)++;
		return 0;
	}
	struct pump p = { .r = { x[0].r }, .n = 1 };
	if (!pump_until(&p, 10000, cond_active, &x[0])) {
		(*failures)++;
		inst_close(&x[0]);
		return 0;
	}
	int act = 0;
	for (int round = 0; round < 3; round++) {
		int sb = 1 - act;
		if (inst_open(&x[sb], redis, names[sb], false, 500) != 0) {
			(*failures)++;
			break;
		}
		p = (struct pump){ .r = { x[act].r, x[sb].r }, .n = 2 };
		struct pair ab = { &x[act], &x[sb] };
		if (!pump_until(&p, 10000, cond_following, &ab)) {
			(*failures)++;
			inst_close(&x[sb]);
			break;
		}
		pump_for(&p, 300);
		uint64_t kill = now_us();
		inst_close(&x[act]); /* as a dead process: connections closed, no more heartbeats */
		p = (struct pump){ .r = { x[sb].r }, .n = 1 };
		if (!pump_until(&p, 10000, cond_active, &x[sb])) {
			fprintf(stderr, "bench_repl: the standby did not take over\n");
			(*failures)++;
			inst_close(&x[sb]);
			return 0;
		}
		t[round] = (double)(x[sb].active_at_us - kill) / 1000.0;
		printf("  failover %d: %.0f ms\n", round + 1, t[round]);
		act = sb;
	}
	inst_close(&x[act]);
	double s[3] = { t[0], t[1], t[2] };
	for (int i = 0; i < 3; i++)
		for (int j = i + 1; j < 3; j++)
			if (s[j] < s[i]) {
				double k = s[i];
				s[i] = s[j];
				s[j] = k;
			}
	return s[1];
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	struct opts o = { .changes = 1000000, .aors = 100000, .record = 200, .rate = 100000, .seconds = 5 };
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--smoke")) {
			o.changes = 20000;
			o.aors = 5000;
			o.rate = 10000;
			o.seconds = 1;
		} else if (i + 1 < argc && !strcmp(argv[i], "--changes")) {
			o.changes = strtoull(argv[++i], NULL, 10);
		} else if (i + 1 < argc && !strcmp(argv[i], "--aors")) {
			o.aors = (unsigned)strtoul(argv[++i], NULL, 10);
		} else if (i + 1 < argc && !strcmp(argv[i], "--record")) {
			o.record = strtoul(argv[++i], NULL, 10);
		} else if (i + 1 < argc && !strcmp(argv[i], "--rate")) {
			o.rate = (unsigned)strtoul(argv[++i], NULL, 10);
		} else if (i + 1 < argc && !strcmp(argv[i], "--seconds")) {
			o.seconds = (unsigned)strtoul(argv[++i], NULL, 10);
		} else if (i + 1 < argc && !strcmp(argv[i], "--phase")) {
			o.phase = argv[++i];
		} else if (i + 1 < argc && !strcmp(argv[i], "--redis-args")) {
			o.redis_args = argv[++i];
		} else if (i + 1 < argc && !strcmp(argv[i], "--connections")) {
			connections = (unsigned)strtoul(argv[++i], NULL, 10);
		} else {
			fprintf(stderr, "usage: bench_repl [--changes N] [--aors K] [--record BYTES] [--rate R] "
					"[--seconds S] [--phase one|lag|failover|cluster] [--redis-args \"ARGS\"] "
					"[--connections N] [--smoke]\n");
			return 2;
		}
	}
	if (o.record < 8 || o.aors == 0 || o.changes < o.aors) {
		fprintf(stderr, "bench_repl: --record >= 8, --aors >= 1, --changes >= --aors\n");
		return 2;
	}
	redis_proc_require();
	int failures = 0;
	uint64_t acked = 0, lost = 0;
	/* production-like persistence: AOF fsync'd every second (kill -9 of Redis is tests/repl's business) */
	char persist[512];
	snprintf(persist, sizeof(persist), "--appendfsync everysec %s", o.redis_args ? o.redis_args : "");

	struct redis_proc one;
	char spec[256];
	double single = 0, clustered = 0, p50 = 0, p99 = 0, lmax = 0, achieved = 0, fo = 0;
	bool need_one = phase(&o, "one") || phase(&o, "lag") || phase(&o, "failover");
	if (need_one && redis_proc_start(&one, false, persist) == 0) {
		snprintf(spec, sizeof(spec), "127.0.0.1:%u", one.port);
		if (phase(&o, "one")) {
			printf("one Redis: %" PRIu64 " changes over %u AoRs, %zu-byte records\n", o.changes, o.aors,
			       o.record);
			single = throughput(&o, spec, &one, 1, &acked, &lost, &failures);
			printf("  %.0f changes/s\n", single);
		}
		if (phase(&o, "lag")) {
			printf("standby lag at %u changes/s for %u s:\n", o.rate, o.seconds);
			lag(&o, spec, &p50, &p99, &lmax, &achieved, &failures);
			printf("  %.0f changes/s handed over; lag p50 %.1f ms, p99 %.1f ms, max %.1f ms\n", achieved, p50,
			       p99, lmax);
		}
		if (phase(&o, "failover")) {
			printf("automatic failover (failover_ms=500, heartbeat every 100 ms):\n");
			fo = failover(spec, &failures);
		}
		redis_proc_stop(&one, false);
	} else if (need_one) {
		failures++;
	}
	struct redis_proc cl[3];
	if (phase(&o, "cluster") && redis_cluster_start(cl, 3, persist) == 0) {
		redis_cluster_spec(cl, 3, spec, sizeof(spec));
		printf("three-master cluster: %" PRIu64 " changes\n", o.changes);
		clustered = throughput(&o, spec, cl, 3, &acked, &lost, &failures);
		printf("  %.0f changes/s\n", clustered);
		for (int i = 0; i < 3; i++)
			redis_proc_stop(&cl[i], false);
	} else if (phase(&o, "cluster")) {
		failures++;
	}
	printf("{\"events_per_s\": %.0f, \"events_per_s_cluster\": %.0f, \"lag_rate\": %.0f, \"lag_ms_p50\": %.1f, "
	       "\"lag_ms_p99\": %.1f, \"lag_ms_max\": %.1f, \"failover_ms\": %.0f, \"acknowledged\": %" PRIu64
	       ", \"lost\": %" PRIu64 ", \"failures\": %d}\n",
	       single, clustered, achieved, p50, p99, lmax, fo, acked, lost, failures);
	return failures ? 1 : 0;
}
