/*
 * test_repl_cluster.c - lib/replication against a three-master Redis
 * Cluster of redis-server processes the test starts itself (redis-cli
 * --cluster create): batches land on the master of each AoR's slot (and
 * the slots agree with CLUSTER KEYSLOT), the standby follows across
 * masters, a slot moved while it is being written (ASK, then MOVED) loses
 * nothing, fencing works through the cluster, a command the client sent
 * to the wrong master is re-sent after MOVED byte for byte, and a master
 * killed (-9) and restarted loses nothing acknowledged. Each test uses its own key
 * prefix on the one cluster. Exits 77 (SKIP) without redis-server.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <poll.h>

#include "redis_proc.h"
#include "repl_client.h"
#include "repl_node.h"
#include "repl_slot.h"

#define MASTERS 3

static struct redis_proc cluster[MASTERS];
static char spec[256];
static redisContext *ctx[MASTERS];
static struct models models;
static const char *prefix;

static void connect_all(void)
{
	for (int i = 0; i < MASTERS; i++) {
		if (ctx[i])
			redisFree(ctx[i]);
		ctx[i] = redis_proc_connect(&cluster[i]);
	}
}

static int setup(void **state)
{
	(void)state;
	if (redis_cluster_start(cluster, MASTERS, NULL) != 0)
		return -1;
	redis_cluster_spec(cluster, MASTERS, spec, sizeof(spec));
	connect_all();
	return models_alloc(&models);
}

static int teardown(void **state)
{
	(void)state;
	for (int i = 0; i < MASTERS; i++) {
		if (ctx[i])
			redisFree(ctx[i]);
		redis_proc_stop(&cluster[i], false);
	}
	models_free(&models);
	return 0;
}

static void tune(struct node_opts *o, bool active)
{
	(void)active;
	o->prefix = prefix;
}

static void open_duo(struct duo *d, const char *pfx, unsigned n_aors)
{
	prefix = pfx;
	models_reset(&models, n_aors);
	assert_true(duo_open(d, spec, tune, models.own, models.seen2, models.seen));
}

/* The master holding 'key' (the one that does not answer MOVED). */
static int owner(const char *key)
{
	for (int i = 0; i < MASTERS; i++) {
		redisReply *r = redis_cmd(ctx[i], "TYPE %s", key);
		bool here = r && r->type == REDIS_REPLY_STATUS;
		if (r)
			freeReplyObject(r);
		if (here)
			return i;
	}
	return -1;
}

static void test_cluster_writes_follow_and_slots(void **state)
{
	(void)state;
	struct duo d;
	open_duo(&d, "c1", 2000);
	uint64_t rng = 21;
	uint64_t last = add_random(&d.p, &d.a, &rng, 5000, 250);
	assert_true(wait_settled(&d.p, &d.a, last, 15000));
	assert_true(d.a.durable_upto == last);
	assert_true(model_matches_redis(models.own, ctx, MASTERS, prefix, now_unix_s(), true));
	/* every master holds a share of the AoRs */
	for (int i = 0; i < MASTERS; i++) {
		redisReply *r = redis_cmd(ctx[i], "DBSIZE");
		assert_true(r->integer > 300);
		freeReplyObject(r);
	}
	/* our slot of each key is the cluster's */
	for (unsigned i = 0; i < 200; i++) {
		char aor[64], key[128];
		model_aor(i, aor, sizeof(aor));
		int n = snprintf(key, sizeof(key), "c1:2:aor:{%s}", aor);
		redisReply *r = redis_cmd(ctx[0], "CLUSTER KEYSLOT %s", key);
		assert_int_equal(r->integer, sr_repl_key_slot(key, (size_t)n));
		freeReplyObject(r);
	}
	assert_true(wait_equal(&d.p, models.own, models.seen, 10000));
	assert_true(d.b.order_errors == 0);
	struct sr_repl_stats s;
	sr_repl_stats(d.a.r, &s);
	assert_int_equal(s.redis.masters, MASTERS);
	assert_int_equal(s.redis.masters_up, MASTERS);
	duo_close(&d);
}

static void cluster_cmd_all(const char *fmt, ...)
{
	for (int i = 0; i < MASTERS; i++) {
		va_list ap;
		va_start(ap, fmt);
		redisReply *r = redisvCommand(ctx[i], fmt, ap);
		va_end(ap);
		assert_non_null(r);
		assert_int_not_equal(r->type, REDIS_REPLY_ERROR);
		freeReplyObject(r);
	}
}

static void node_id(int i, char *out, size_t cap)
{
	redisReply *r = redis_cmd(ctx[i], "CLUSTER MYID");
	snprintf(out, cap, "%s", r->str);
	freeReplyObject(r);
}

/* Writes the hot AoR (and others) for ms milliseconds. */
static uint64_t write_hot(struct duo *d, unsigned hot, uint64_t *rng, unsigned ms)
{
	struct model_change mc;
	uint64_t last = 0, end = now_unix_ms() + ms;
	unsigned id = 1;
	while (now_unix_ms() < end) {
		model_put(models.own, hot, id, now_unix_s() + 3600, &mc);
		id = id % M_IDS + 1;
		last = node_add(&d->a, &mc);
		last = add_random(&d->p, &d->a, rng, 3, 0);
		pump_for(&d->p, 1);
	}
	return last;
}

/* Moves every key of a MIGRATING slot from master src to dst (other tests' prefixes share AoR slots). */
static void migrate_keys(unsigned slot, int src, int dst)
{
	for (;;) {
		redisReply *r = redis_cmd(ctx[src], "CLUSTER GETKEYSINSLOT %u 100", slot);
		size_t n = r->elements;
		for (size_t i = 0; i < n; i++) {
			redisReply *m = redis_cmd(ctx[src], "MIGRATE 127.0.0.1 %u %s 0 5000", cluster[dst].port,
						  r->element[i]->str);
			assert_int_not_equal(m->type, REDIS_REPLY_ERROR);
			freeReplyObject(m);
		}
		freeReplyObject(r);
		if (n == 0)
			break;
	}
}

/* A slot being moved from its owner (src) to the next master (dst). */
struct slot_move {
	char key[128]; /* the AoR key whose slot moves */
	unsigned slot;
	int src, dst;
	char src_id[64], dst_id[64];
};

/* Starts moving the slot of AoR 'hot' under prefix pfx: dst IMPORTING, src MIGRATING. */
static void start_move(struct slot_move *m, const char *pfx, unsigned hot)
{
	char aor[64];
	model_aor(hot, aor, sizeof(aor));
	int kl = snprintf(m->key, sizeof(m->key), "%s:2:aor:{%s}", pfx, aor);
	m->slot = sr_repl_key_slot(m->key, (size_t)kl);
	m->src = owner(m->key);
	assert_true(m->src >= 0);
	m->dst = (m->src + 1) % MASTERS;
	node_id(m->src, m->src_id, sizeof(m->src_id));
	node_id(m->dst, m->dst_id, sizeof(m->dst_id));
	redisReply *r = redis_cmd(ctx[m->dst], "CLUSTER SETSLOT %u IMPORTING %s", m->slot, m->src_id);
	freeReplyObject(r);
	r = redis_cmd(ctx[m->src], "CLUSTER SETSLOT %u MIGRATING %s", m->slot, m->dst_id);
	freeReplyObject(r);
}

static void test_cluster_resharding_while_writing(void **state)
{
	(void)state;
	struct duo d;
	open_duo(&d, "c2", 500);
	const unsigned hot = 7;
	uint64_t rng = 3;
	write_hot(&d, hot, &rng, 200);
	struct slot_move m;
	/* the slot starts migrating; its keys move while the writer keeps writing them (ASK) */
	start_move(&m, "c2", hot);
	write_hot(&d, hot, &rng, 100);
	migrate_keys(m.slot, m.src, m.dst);
	write_hot(&d, hot, &rng, 300);
	/* the slot now belongs to dst (MOVED from then on) */
	cluster_cmd_all("CLUSTER SETSLOT %u NODE %s", m.slot, m.dst_id);
	uint64_t last = write_hot(&d, hot, &rng, 300);
	assert_true(wait_settled(&d.p, &d.a, last, 15000));
	assert_true(d.a.durable_upto == last);
	assert_true(d.a.not_durable == 0);
	assert_int_equal(owner(m.key), m.dst);
	assert_true(model_matches_redis(models.own, ctx, MASTERS, prefix, now_unix_s(), true));
	struct sr_repl_stats s;
	sr_repl_stats(d.a.r, &s);
	printf("redirections followed: %llu ASK, %llu MOVED\n", (unsigned long long)s.redis.ask,
	       (unsigned long long)s.redis.moved);
	assert_true(s.redis.ask >= 1);
	assert_true(s.redis.moved >= 1);
	assert_true(wait_equal(&d.p, models.own, models.seen, 10000));
	duo_close(&d);
}

/*
 * A mixed change set (a removal and a put of one AoR: MULTI/EXEC) sent to
 * the slot's old owner after the slot moved: the queued commands' MOVED is
 * not followed one by one (they would run on the new owner outside the
 * transaction while EXEC aborts); the chunk is re-sent whole, so the new
 * owner runs HDEL and HSET once each, inside one EXEC.
 */
static void test_cluster_moved_inside_multi(void **state)
{
	(void)state;
	struct duo d;
	open_duo(&d, "c5", 20);
	const unsigned hot = 4;
	uint32_t exp = now_unix_s() + 3600;
	struct model_change mc;
	model_put(models.own, hot, 1, exp, &mc);
	assert_true(wait_settled(&d.p, &d.a, node_add(&d.a, &mc), 5000));
	/* the slot moves to dst behind the writer's back: its map still says src */
	struct slot_move m;
	start_move(&m, "c5", hot);
	migrate_keys(m.slot, m.src, m.dst);
	cluster_cmd_all("CLUSTER SETSLOT %u NODE %s", m.slot, m.dst_id);
	int dst = m.dst;
	struct sr_repl_stats s0, s;
	sr_repl_stats(d.a.r, &s0);
	long long hdel0 = redis_calls(ctx[dst], "hdel"), hset0 = redis_calls(ctx[dst], "hset");
	long long exec0 = redis_calls(ctx[dst], "exec");

	model_remove(models.own, hot, 1, &mc);
	node_add(&d.a, &mc);
	model_put(models.own, hot, 2, exp, &mc);
	uint64_t last = node_add(&d.a, &mc);
	assert_true(wait_settled(&d.p, &d.a, last, 15000));
	assert_true(d.a.durable_upto == last);
	sr_repl_stats(d.a.r, &s);
	assert_true(s.redis.moved > s0.redis.moved);
	assert_true(s.w.retries > s0.w.retries); /* the chunk failed transiently and was re-sent */
	assert_int_equal(redis_calls(ctx[dst], "hdel") - hdel0, 1);
	assert_int_equal(redis_calls(ctx[dst], "hset") - hset0, 1);
	assert_int_equal(redis_calls(ctx[dst], "exec") - exec0, 1);
	assert_int_equal(owner(m.key), dst);
	assert_true(model_matches_redis(models.own, ctx, MASTERS, prefix, now_unix_s(), true));
	assert_true(wait_equal(&d.p, models.own, models.seen, 10000));
	duo_close(&d);
}

static void test_cluster_fencing(void **state)
{
	(void)state;
	struct duo d;
	open_duo(&d, "c3", 100);
	sr_repl_promote(d.b.r);
	assert_true(wait_role(&d.p, &d.b, true, 3000));
	assert_true(wait_role(&d.p, &d.a, false, 3000));
	assert_non_null(strstr(d.a.why, "demoted"));
	struct model_change mc;
	model_put(models.own, 1, 1, now_unix_s() + 60, &mc);
	assert_true(node_add(&d.a, &mc) == 0);
	uint64_t last = node_add(&d.b, &mc);
	assert_true(wait_settled(&d.p, &d.b, last, 5000));
	assert_true(d.b.durable_upto == last);
	duo_close(&d);
}

/* One round of the client's poll loop (what the control core does). */
static void client_pump(struct sr_repl_client *cl, uint64_t *now)
{
	struct pollfd fds[SR_REPL_MAX_NODES];
	*now = now_unix_ms();
	sr_repl_client_tick(cl);
	unsigned n = sr_repl_client_fds(cl, fds, SR_REPL_MAX_NODES);
	poll(fds, n, 5);
	*now = now_unix_ms();
	sr_repl_client_handle(cl, fds, n);
}

struct set_reply {
	unsigned ok, other;
};

static void on_set(struct sr_repl_client *cl, redisReply *r, void *priv)
{
	(void)cl;
	struct set_reply *s = priv;
	if (r && r->type == REDIS_REPLY_STATUS && strcmp(r->str, "OK") == 0)
		s->ok++;
	else
		s->other++;
}

/* Value i: binary (every byte value, NUL and CRLF among them), its length varying up to 20 KB. */
static size_t moved_value(unsigned i, char *out)
{
	size_t n = 1 + (i * 2654435761u) % 20000;
	for (size_t k = 0; k < n; k++)
		out[k] = (char)(i * 31 + k * 7);
	return n;
}

/*
 * The client keeps each command's bytes in one reused buffer per master
 * (repl_sendbuf.h) while it is unanswered. Commands sent to the wrong
 * master on purpose (the slot given is another master's) come back MOVED
 * and are re-sent from that buffer, interleaved with commands sent right:
 * every value must reach its key's master exactly as it was formatted,
 * while the buffers fill, compact and grow under the waiting commands.
 */
static void test_client_moved_resends_same_bytes(void **state)
{
	(void)state;
	uint64_t now = now_unix_ms();
	char err[200];
	struct sr_repl_client *cl = sr_repl_client_new(spec, false, &now, 5000, 1000, err, sizeof(err));
	assert_non_null(cl);
	for (int i = 0; i < 2000 && !sr_repl_client_ready(cl); i++)
		client_pump(cl, &now);
	assert_true(sr_repl_client_ready(cl));
	enum { N = 300 };
	static char val[20000];
	struct set_reply rep = { 0, 0 };
	unsigned wrong = 0;
	for (unsigned i = 0; i < N; i++) {
		char key[64];
		int kl = snprintf(key, sizeof(key), "c6:moved:%u", i);
		int slot = sr_repl_key_slot(key, (size_t)kl), to = slot;
		if (i % 3 != 0) { /* two in three go to another master's slot */
			while (sr_repl_client_master_of(cl, to) == sr_repl_client_master_of(cl, slot))
				to = (to + 997) % SR_REPL_SLOTS;
			wrong++;
		}
		const char *argv[] = { "SET", key, val };
		size_t lens[] = { 3, (size_t)kl, moved_value(i, val) };
		assert_int_equal(sr_repl_client_send(cl, to, 3, argv, lens, 0, on_set, &rep), 0);
	}
	for (int i = 0; i < 4000 && rep.ok + rep.other < N; i++)
		client_pump(cl, &now);
	assert_int_equal(rep.ok, N);
	assert_int_equal(rep.other, 0);
	struct sr_repl_client_counts k;
	sr_repl_client_counts(cl, &k);
	assert_true(k.moved >= wrong);
	for (unsigned i = 0; i < N; i++) {
		char key[64];
		snprintf(key, sizeof(key), "c6:moved:%u", i);
		int m = owner(key);
		assert_true(m >= 0);
		redisReply *r = redis_cmd(ctx[m], "GET %s", key);
		size_t n = moved_value(i, val);
		assert_int_equal(r->type, REDIS_REPLY_STRING);
		assert_int_equal(r->len, n);
		assert_memory_equal(r->str, val, n);
		freeReplyObject(r);
	}
	sr_repl_client_free(cl);
}

static void test_cluster_master_killed_and_restarted(void **state)
{
	(void)state;
	struct duo d;
	open_duo(&d, "c4", 2000);
	char stream[64];
	snprintf(stream, sizeof(stream), "c4:2:stream:{a}");
	int victim = owner(stream); /* the master of the active's stream */
	assert_true(victim >= 0);
	uint64_t rng = 17, last = 0;
	for (int ms = 0; ms < 4000; ms++) {
		if (ms == 1000)
			redis_proc_stop(&cluster[victim], true);
		if (ms == 3500) {
			struct sr_repl_stats s;
			sr_repl_stats(d.a.r, &s);
			assert_true(s.w.backlog_events > 0);
			assert_false(s.available);
			assert_int_equal(redis_proc_restart(&cluster[victim]), 0);
		}
		last = add_random(&d.p, &d.a, &rng, 5, 5);
	}
	assert_int_equal(redis_cluster_wait_ok(cluster, MASTERS, 20000), 0);
	assert_true(wait_settled(&d.p, &d.a, last, 30000));
	assert_true(d.a.durable_upto == last);
	assert_true(d.a.not_durable == 0);
	connect_all();
	assert_true(model_matches_redis(models.own, ctx, MASTERS, prefix, now_unix_s(), true));
	bool eq = wait_equal(&d.p, models.own, models.seen, 15000);
	if (!eq) {
		node_print("a", &d.a);
		node_print("b", &d.b);
	}
	assert_true(eq);
	assert_true(d.b.order_errors == 0);
	assert_true(d.a.active); /* the outage did not make the standby take over */
	duo_close(&d);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	redis_proc_require();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cluster_writes_follow_and_slots),
		cmocka_unit_test(test_cluster_resharding_while_writing),
		cmocka_unit_test(test_cluster_moved_inside_multi),
		cmocka_unit_test(test_cluster_fencing),
		cmocka_unit_test(test_client_moved_resends_same_bytes),
		cmocka_unit_test(test_cluster_master_killed_and_restarted),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
