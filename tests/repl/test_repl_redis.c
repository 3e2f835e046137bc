/*
 * test_repl_redis.c - lib/replication against real redis-server processes
 * (one Redis, with a replica for WAIT): batches arrive with their expiry,
 * layout 2 writes the key's expiry only when it must grow and mixed change
 * sets in one transaction,
 * the follower sees changes in order and falls back to a full read after
 * the stream was trimmed past it, Redis killed (-9) and restarted loses
 * nothing acknowledged and the backlog drains, a full backlog leads to a
 * resynchronisation from the node's own state, epoch fencing and
 * failover, WAIT for replicas, the writer's changes spread over several
 * connections (lanes) with each AoR's order and the stream's kept, one lane
 * killed mid-batch losing nothing. Each test starts its own redis-server on
 * 127.0.0.1 and stops it. Exits 77 (SKIP) without redis-server.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "redis_proc.h"
#include "repl_node.h"

static struct models models;

static void spec(const struct redis_proc *p, char *out, size_t cap)
{
	snprintf(out, cap, "127.0.0.1:%u", p->port);
}

static int setup(void **state)
{
	(void)state;
	return models_alloc(&models);
}

static int teardown(void **state)
{
	(void)state;
	models_free(&models);
	return 0;
}

/* The stream holds a resync marker then every change of the epoch, consecutive. */
static void check_stream(redisContext *c, const char *node, uint64_t want_changes)
{
	char key[128];
	snprintf(key, sizeof(key), "t:2:stream:{%s}", node);
	redisReply *r = redis_cmd(c, "XRANGE %s - +", key);
	assert_non_null(r);
	assert_int_equal(r->type, REDIS_REPLY_ARRAY);
	uint64_t next = 1, changes = 0;
	bool marker = false;
	for (size_t i = 0; i < r->elements; i++) {
		const redisReply *kv = r->element[i]->element[1];
		const char *kind = NULL, *first = NULL, *last = NULL;
		for (size_t f = 0; f + 1 < kv->elements; f += 2) {
			if (!strcmp(kv->element[f]->str, "kind"))
				kind = kv->element[f + 1]->str;
			if (!strcmp(kv->element[f]->str, "first"))
				first = kv->element[f + 1]->str;
			if (!strcmp(kv->element[f]->str, "last"))
				last = kv->element[f + 1]->str;
		}
		assert_non_null(kind);
		assert_non_null(last);
		if (!strcmp(kind, "resync")) {
			marker = true;
			next = strtoull(last, NULL, 10) + 1;
			continue;
		}
		assert_non_null(first);
		assert_true(strtoull(first, NULL, 10) == next);
		next = strtoull(last, NULL, 10) + 1;
		changes += strtoull(last, NULL, 10) - strtoull(first, NULL, 10) + 1;
	}
	assert_true(marker);
	assert_true(changes == want_changes);
	freeReplyObject(r);
}

/* One Redis, the model reset to 'aors' AoRs, and node "a" active on it. */
static void start_active(struct redis_proc *rp, struct node *a, struct pump *p, unsigned aors)
{
	assert_int_equal(redis_proc_start(rp, false, NULL), 0);
	char rs[64];
	spec(rp, rs, sizeof(rs));
	models_reset(&models, aors);
	struct node_opts o;
	node_defaults(&o, rs, "a", true);
	node_open(a, &o, models.own, models.seen);
	*p = (struct pump){ .r = { a->r }, .n = 1 };
	assert_true(wait_active(p, a, 5000));
}

/*
 * A fresh Redis (its HOST:PORT in rs), the model reset to 'aors' AoRs and
 * node "a" active on it with 'connections' (0: the default); what "a"
 * would follow goes to seen2, so that seen is free for a standby.
 */
static void open_writer(struct redis_proc *rp, char rs[64], struct node *a, struct pump *p, unsigned aors,
			unsigned connections)
{
	assert_int_equal(redis_proc_start(rp, false, NULL), 0);
	spec(rp, rs, 64);
	models_reset(&models, aors);
	struct node_opts o;
	node_defaults(&o, rs, "a", true);
	o.connections = connections;
	node_open(a, &o, models.own, models.seen2);
	*p = (struct pump){ .r = { a->r }, .n = 1 };
	assert_true(wait_active(p, a, 5000));
}

/* Node "b", a standby on the same Redis applying into seen, added to the pump and following. */
static void open_standby(const char rs[64], struct node *b, struct pump *p)
{
	struct node_opts o;
	node_defaults(&o, rs, "b", false);
	node_open(b, &o, models.own, models.seen);
	p->r[1] = b->r;
	p->n = 2;
	assert_true(wait_following(p, b, 5000));
}

static long long connected_clients(redisContext *c)
{
	redisReply *r = redis_cmd(c, "INFO clients");
	const char *v = strstr(r->str, "connected_clients:");
	assert_non_null(v);
	long long n = strtoll(v + strlen("connected_clients:"), NULL, 10);
	freeReplyObject(r);
	return n;
}

/* A writer "a" with four lanes on its own Redis (the test's connection c), and later a standby "b". */
struct lanes {
	struct redis_proc rp;
	char rs[64];
	struct node a, b;
	struct pump p;
	redisContext *c;
};

static void open_lanes(struct lanes *l)
{
	open_writer(&l->rp, l->rs, &l->a, &l->p, 40, 4);
	l->c = redis_proc_connect(&l->rp);
}

/*
 * Every change up to 'last' settles durable, Redis matches the model, the
 * stream holds 'changes' changes in order and the standby applied them in
 * order. Then both nodes close and Redis stops.
 */
static void check_landed_and_close(struct lanes *l, uint64_t last, uint64_t changes)
{
	assert_true(wait_settled(&l->p, &l->a, last, 20000));
	assert_true(l->a.durable_upto == last);
	assert_true(l->a.not_durable == 0);
	assert_true(model_matches_redis(models.own, &l->c, 1, "t", now_unix_s(), false));
	check_stream(l->c, "a", changes);
	assert_true(wait_equal(&l->p, models.own, models.seen, 10000));
	assert_true(l->b.order_errors == 0);
	redisFree(l->c);
	node_close(&l->b);
	node_close(&l->a);
	redis_proc_stop(&l->rp, false);
}

/*
 * replication.connections=4: the writer opens four connections to the one
 * Redis (so that Redis, with appendfsync always, takes four reads of
 * 16 KB per fsync instead of one) and routes each AoR key to one of them
 * by its slot. Many changes of few AoRs in flight at once (removals among
 * them): every AoR ends as the model says (its commands kept their order
 * on its connection), the stream holds every change once and in order
 * (each entry written after its keys were answered), and the follower
 * applies them in order.
 */
static void test_writer_lanes_keep_order(void **state)
{
	(void)state;
	static struct lanes l;
	open_lanes(&l);
	/* the test's own, the role's, the follower's and the writer's four */
	assert_int_equal(connected_clients(l.c), 1 + 1 + 1 + 4);
	/* only the role client loads the functions (the writer's lanes send no FCALL): once, not 1 + 4 times */
	assert_int_equal(redis_calls(l.c, "function|load"), 1);
	open_standby(l.rs, &l.b, &l.p);
	uint64_t rng = 7;
	uint64_t last = add_random(&l.p, &l.a, &rng, 20000, 2000);
	check_landed_and_close(&l, last, 20000);
}

/* CLIENT KILL of the connection named 'name' (Redis 7.0 has no NAME filter: its id from CLIENT LIST). */
static void kill_client_named(redisContext *c, const char *name)
{
	char want[64];
	snprintf(want, sizeof(want), " name=%s ", name);
	redisReply *r = redis_cmd(c, "CLIENT LIST");
	assert_non_null(r);
	const char *at = strstr(r->str, want);
	assert_non_null(at);
	while (at > r->str && at[-1] != '\n')
		at--; /* the line starts with id=N */
	assert_memory_equal(at, "id=", 3);
	long long id = strtoll(at + 3, NULL, 10);
	freeReplyObject(r);
	r = redis_cmd(c, "CLIENT KILL ID %lld", id);
	assert_non_null(r);
	assert_int_equal(r->integer, 1);
	freeReplyObject(r);
}

/*
 * One lane of four dropped while changes flow (CLIENT KILL of the
 * connection the writer named sr-w-lane-2, right after the writer sent its
 * first chunks): its unanswered commands fail, the writer waits for the
 * other lanes' replies, rewinds and sends again, the lane reconnects.
 * Nothing settled as durable was lost (every change ends settled and
 * durable), every AoR ends as the model says, the stream holds every
 * change once and in order, and a standby applies them in order. The
 * chunk retries are printed, not asserted: whether Redis answered the
 * lane's commands before the kill is a race.
 */
static void test_writer_lane_killed_mid_batch(void **state)
{
	(void)state;
	static struct lanes l;
	open_lanes(&l);
	uint64_t rng = 11;
	uint64_t first = add_random(&l.p, &l.a, &rng, 10000, 0); /* queued, not yet sent */
	pump_step(&l.p, 0); /* the writer sends its first chunks */
	kill_client_named(l.c, "sr-w-lane-2");
	assert_true(l.a.settled < first); /* killed with the batch still flowing */
	open_standby(l.rs, &l.b, &l.p); /* after the kill: its own writer's lanes carry the same names */
	uint64_t last = add_random(&l.p, &l.a, &rng, 10000, 2000);
	assert_true(wait_settled(&l.p, &l.a, last, 20000));
	struct sr_repl_stats st;
	sr_repl_stats(l.a.r, &st);
	fprintf(stderr, "lane killed: %llu chunk retries, %llu connects\n", (unsigned long long)st.w.retries,
		(unsigned long long)st.redis.reconnects);
	assert_true(st.redis.reconnects >= 4 + 1); /* the killed lane came back */
	check_landed_and_close(&l, last, 20000);
}

/*
 * A Redis whose ACL refuses CLIENT SETNAME (the lanes' names are for
 * operators only): a lane that reconnects there is named in vain and goes
 * on (noted in its last_error); every change still settles durable.
 */
static void test_writer_lane_name_refused(void **state)
{
	(void)state;
	static struct lanes l;
	open_lanes(&l);
	redisReply *r = redis_cmd(l.c, "ACL SETUSER default -client|setname");
	assert_int_equal(r->type, REDIS_REPLY_STATUS);
	freeReplyObject(r);
	kill_client_named(l.c, "sr-w-lane-1"); /* it reconnects and is refused its name */
	open_standby(l.rs, &l.b, &l.p);
	uint64_t rng = 13;
	uint64_t last = add_random(&l.p, &l.a, &rng, 5000, 2000);
	check_landed_and_close(&l, last, 5000);
}

static void test_batches_arrive_with_expiry(void **state)
{
	(void)state;
	struct redis_proc rp;
	struct node a;
	struct pump p;
	start_active(&rp, &a, &p, 2000);
	assert_non_null(strstr(a.why, "at start"));

	uint64_t rng = 42;
	uint64_t last = add_random(&p, &a, &rng, 5000, 500);
	struct model_change mc;
	assert_true(wait_settled(&p, &a, last, 10000));
	assert_true(a.durable_upto == last);
	assert_true(a.not_durable == 0);
	assert_true(a.order_errors == 0);

	redisContext *c = redis_proc_connect(&rp);
	assert_true(model_matches_redis(models.own, &c, 1, "t", now_unix_s(), false));
	check_stream(c, "a", 5000);

	/*
	 * expiry: the key lives to the end of the hour after its latest
	 * binding's hour (garbage collection only); an expired put never lands;
	 * once expired, the envelope stays until the key's TTL but no reader
	 * takes it (model_matches_redis reads as a standby does)
	 */
	models.own->n_aors = 2002; /* two AoRs the random steps never touched */
	uint32_t t = now_unix_s();
	model_put(models.own, 2000, 1, t + 2, &mc);
	node_add(&a, &mc);
	model_put(models.own, 2001, 1, t - 10, &mc);
	last = node_add(&a, &mc);
	assert_true(wait_settled(&p, &a, last, 5000));
	redisReply *r = redis_cmd(c, "EXPIRETIME t:2:aor:{sip:user002000@example.com}");
	assert_int_equal(r->integer, (long long)sr_repl_key_ttl_s(t + 2));
	freeReplyObject(r);
	r = redis_cmd(c, "EXISTS t:2:aor:{sip:user002001@example.com}");
	assert_int_equal(r->integer, 0);
	freeReplyObject(r);
	pump_for(&p, 3200);
	r = redis_cmd(c, "HLEN t:2:aor:{sip:user002000@example.com}");
	assert_int_equal(r->integer, 1); /* still there, expired */
	freeReplyObject(r);
	assert_true(model_matches_redis(models.own, &c, 1, "t", now_unix_s(), false));

	struct sr_repl_stats s;
	sr_repl_stats(a.r, &s);
	assert_true(s.w.events_replicated == 5002);
	assert_true(s.w.batches >= 5000 / 256);
	assert_true(s.w.backlog_events == 0);
	assert_int_equal(s.role, SR_ROLE_ACTIVE);
	assert_true(s.epoch >= 1);
	redisFree(c);
	node_close(&a);
	redis_proc_stop(&rp, false);
}

static uint64_t put_all(struct node *a, unsigned from, unsigned to, unsigned id, uint32_t expires)
{
	struct model_change mc;
	uint64_t last = 0;
	for (unsigned i = from; i < to; i++) {
		model_put(models.own, i, id, expires, &mc);
		last = node_add(a, &mc);
	}
	return last;
}

/*
 * Layout 2's rules against a real Redis: the key's expiry is written for a
 * new key (NX and GT) and when a binding's hour bucket outgrows the key's,
 * never for a refresh or an add the key's TTL already covers; an AoR
 * whose change set mixes a removal and a put gets it in MULTI/EXEC; a key
 * emptied by removals and created again gets its TTL again.
 */
static void test_expiry_written_when_the_bucket_grows(void **state)
{
	(void)state;
	struct redis_proc rp;
	struct node a;
	struct pump p;
	start_active(&rp, &a, &p, 200);
	redisContext *c = redis_proc_connect(&rp);
	uint32_t hour = (now_unix_s() / 3600 + 1) * 3600; /* expiries in the next hour, then the one after */

	long long x0 = redis_calls(c, "pexpireat");
	assert_true(wait_settled(&p, &a, put_all(&a, 0, 100, 1, hour + 100), 5000));
	long long x1 = redis_calls(c, "pexpireat");
	assert_int_equal(x1 - x0, 200); /* new keys: NX then GT */
	/* refreshes and second bindings within the hour: HSET alone */
	long long h1 = redis_calls(c, "hset");
	put_all(&a, 0, 100, 1, hour + 1000);
	assert_true(wait_settled(&p, &a, put_all(&a, 0, 100, 2, hour + 50), 5000));
	assert_int_equal(redis_calls(c, "pexpireat"), x1);
	/* the 200 puts are one chunk (batch_events 256, nothing sent while adding): an AoR's two puts share one HSET */
	assert_int_equal(redis_calls(c, "hset") - h1, 100);
	/* the next hour: GT once per key */
	assert_true(wait_settled(&p, &a, put_all(&a, 0, 100, 1, hour + 3600 + 10), 5000));
	assert_int_equal(redis_calls(c, "pexpireat") - x1, 100);
	assert_true(model_matches_redis(models.own, &c, 1, "t", now_unix_s(), false));

	/* one chunk holding, for AoR 150, a put then its removal and another put: one transaction */
	long long m0 = redis_calls(c, "multi"), e0 = redis_calls(c, "exec");
	struct model_change mc;
	model_put(models.own, 150, 1, hour + 10, &mc);
	node_add(&a, &mc);
	model_remove(models.own, 150, 1, &mc);
	node_add(&a, &mc);
	model_put(models.own, 150, 2, hour + 20, &mc);
	assert_true(wait_settled(&p, &a, node_add(&a, &mc), 5000));
	assert_int_equal(redis_calls(c, "multi") - m0, 1);
	assert_int_equal(redis_calls(c, "exec") - e0, 1);
	/* AoR 0 emptied (its key deleted), then created again: it gets a TTL again */
	model_remove(models.own, 0, 1, &mc);
	node_add(&a, &mc);
	model_remove(models.own, 0, 2, &mc);
	assert_true(wait_settled(&p, &a, node_add(&a, &mc), 5000));
	redisReply *r = redis_cmd(c, "EXISTS t:2:aor:{sip:user000000@example.com}");
	assert_int_equal(r->integer, 0);
	freeReplyObject(r);
	assert_true(wait_settled(&p, &a, put_all(&a, 0, 1, 3, hour + 10), 5000));
	assert_true(model_matches_redis(models.own, &c, 1, "t", now_unix_s(), false));
	assert_true(a.not_durable == 0);
	redisFree(c);
	node_close(&a);
	redis_proc_stop(&rp, false);
}

static bool writer_idle(void *r)
{
	struct sr_repl_stats s;
	sr_repl_stats(r, &s);
	return !s.w.resync_pending && s.w.backlog_events == 0;
}

/*
 * A command refused for good when queued inside MULTI (here HDEL, which
 * the ACL forbids: NOPERM, then EXEC answers EXECABORT) rejects the chunk
 * and takes the resynchronisation path, which needs no HDEL; it is not
 * retried forever as if the abort were transient.
 */
static void test_permanent_refusal_in_transaction_resynchronises(void **state)
{
	(void)state;
	struct redis_proc rp;
	struct node a;
	struct pump p;
	start_active(&rp, &a, &p, 10);
	redisContext *c = redis_proc_connect(&rp);
	uint32_t exp = now_unix_s() + 3600;
	assert_true(wait_settled(&p, &a, put_all(&a, 0, 10, 1, exp), 5000));
	struct sr_repl_stats s0, s;
	sr_repl_stats(a.r, &s0);
	redisReply *r = redis_cmd(c, "ACL SETUSER default -hdel");
	assert_int_equal(r->type, REDIS_REPLY_STATUS);
	freeReplyObject(r);

	/* AoR 3: a removal and a put in one chunk, so MULTI HDEL HSET ... EXEC */
	struct model_change mc;
	model_remove(models.own, 3, 1, &mc);
	node_add(&a, &mc);
	model_put(models.own, 3, 2, exp, &mc);
	assert_true(wait_settled(&p, &a, node_add(&a, &mc), 5000));
	sr_repl_stats(a.r, &s);
	assert_int_equal(s.w.events_rejected - s0.w.events_rejected, 2);
	assert_true(a.not_durable > 0); /* reported as not durable, never as written */
	/* the resynchronisation (DEL and HSET, no HDEL) rewrote Redis from the node's own state */
	assert_true(pump_until(&p, 5000, writer_idle, a.r));
	sr_repl_stats(a.r, &s);
	assert_false(s.w.resync_pending);
	assert_int_equal(s.w.resyncs - s0.w.resyncs, 1);
	assert_true(model_matches_redis(models.own, &c, 1, "t", now_unix_s(), false));
	redisFree(c);
	node_close(&a);
	redis_proc_stop(&rp, false);
}

static void test_follower_sees_changes_in_order(void **state)
{
	(void)state;
	struct redis_proc rp;
	char rs[64];
	struct node a, b;
	struct pump p;
	open_writer(&rp, rs, &a, &p, 1000, 0);
	uint64_t rng = 7;
	uint64_t last = add_random(&p, &a, &rng, 1000, 0);
	assert_true(wait_settled(&p, &a, last, 5000));
	/* a record past its expiry, written by someone else, must not reach the standby */
	redisContext *c = redis_proc_connect(&rp);
	uint8_t rec[M_REC_LEN], env[M_REC_LEN + SR_REPL_ENVELOPE_HDR];
	model_rec(999, 1, 1, rec);
	size_t el = sr_repl_envelope_encode(now_unix_s() - 5, rec, sizeof(rec), env, sizeof(env));
	redisReply *r = redis_cmd(c, "HSET t:2:aor:{sip:user000999@example.com} 0000000000000001 %b", env, el);
	freeReplyObject(r);
	models.own->b[999][0] = (struct mbind){ 0 };

	open_standby(rs, &b, &p);
	assert_true(wait_equal(&p, models.own, models.seen, 5000));
	struct sr_repl_stats s;
	sr_repl_stats(b.r, &s);
	assert_true(s.f.expired_skipped >= 1);
	assert_false(models.seen->b[999][0].present);
	assert_false(b.active);
	assert_true(b.role_calls == 1); /* told once: standby */

	/* changes as they commit, in order */
	for (int burst = 0; burst < 30; burst++) {
		last = add_random(&p, &a, &rng, 100, 0);
		pump_for(&p, 5);
	}
	assert_true(wait_settled(&p, &a, last, 5000));
	assert_true(wait_equal(&p, models.own, models.seen, 5000));
	sr_repl_stats(b.r, &s);
	assert_true(b.order_errors == 0);
	assert_true(s.f.changes >= 3000);
	assert_true(s.f.full_reads == 1);
	assert_true(s.f.gaps == 0);
	redisFree(c);
	node_close(&b);
	node_close(&a);
	redis_proc_stop(&rp, false);
}

static void tune_trim(struct node_opts *o, bool active)
{
	if (active) {
		o->stream_len = 8;
		o->batch_events = 8;
	}
}

static void test_follower_full_read_after_trim(void **state)
{
	(void)state;
	struct redis_proc rp;
	/* small stream nodes so that MAXLEN ~ trims at a fine grain */
	assert_int_equal(redis_proc_start(&rp, false, "--stream-node-max-entries 4"), 0);
	char rs[64];
	spec(&rp, rs, sizeof(rs));
	models_reset(&models, 500);
	struct duo d;
	assert_true(duo_open(&d, rs, tune_trim, models.own, models.seen2, models.seen));
	uint64_t rng = 9;
	add_random(&d.p, &d.a, &rng, 200, 0);
	assert_true(wait_equal(&d.p, models.own, models.seen, 5000));
	/* the standby stalls while the active writes far more than the stream keeps */
	d.p.paused[1] = true;
	uint64_t last = add_random(&d.p, &d.a, &rng, 3000, 100);
	assert_true(wait_settled(&d.p, &d.a, last, 5000));
	redisContext *c = redis_proc_connect(&rp);
	redisReply *r = redis_cmd(c, "XLEN t:2:stream:{a}");
	assert_true(r->integer < 100); /* trimmed: 3000 changes are about 375 entries */
	freeReplyObject(r);
	d.p.paused[1] = false;
	assert_true(wait_equal(&d.p, models.own, models.seen, 10000));
	struct sr_repl_stats s;
	sr_repl_stats(d.b.r, &s);
	assert_true(s.f.gaps >= 1);
	assert_true(s.f.full_reads >= 2);
	assert_true(d.b.order_errors == 0);
	/* and it follows the stream again afterwards */
	uint64_t changes_before = s.f.changes;
	add_random(&d.p, &d.a, &rng, 50, 0);
	assert_true(wait_equal(&d.p, models.own, models.seen, 5000));
	sr_repl_stats(d.b.r, &s);
	assert_true(s.f.changes >= changes_before + 50);
	redisFree(c);
	duo_close(&d);
	redis_proc_stop(&rp, false);
}

static void test_redis_killed_and_restarted(void **state)
{
	(void)state;
	struct redis_proc rp;
	assert_int_equal(redis_proc_start(&rp, false, NULL), 0);
	char rs[64];
	spec(&rp, rs, sizeof(rs));
	models_reset(&models, 2000);
	struct duo d;
	assert_true(duo_open(&d, rs, NULL, models.own, models.seen2, models.seen));
	uint64_t rng = 11, last = 0;
	/* about 5,000 changes a second, with Redis killed in the middle */
	for (int ms = 0; ms < 3000; ms++) {
		if (ms == 1000)
			redis_proc_stop(&rp, true);
		if (ms == 2000) {
			struct sr_repl_stats s;
			sr_repl_stats(d.a.r, &s);
			assert_true(s.w.backlog_events > 0); /* counted and exposed */
			assert_false(s.available);            /* sync mode answers 503 now */
			assert_int_equal(redis_proc_restart(&rp), 0);
		}
		last = add_random(&d.p, &d.a, &rng, 5, 5);
	}
	assert_true(wait_settled(&d.p, &d.a, last, 15000));
	assert_true(d.a.durable_upto == last); /* nothing acknowledged or queued was lost */
	assert_true(d.a.not_durable == 0);
	struct sr_repl_stats s;
	sr_repl_stats(d.a.r, &s);
	assert_true(s.w.backlog_events == 0);
	assert_true(s.redis.reconnects >= 2);
	redisContext *c = redis_proc_connect(&rp);
	assert_true(model_matches_redis(models.own, &c, 1, "t", now_unix_s(), false));
	assert_true(wait_equal(&d.p, models.own, models.seen, 10000));
	assert_true(d.b.order_errors == 0);
	redisFree(c);
	duo_close(&d);
	redis_proc_stop(&rp, false);
}

static void tune_overflow(struct node_opts *o, bool active)
{
	if (active) {
		o->backlog_events = 250;
		o->batch_events = 50;
	}
}

static void test_backlog_overflow_resynchronises(void **state)
{
	(void)state;
	struct redis_proc rp;
	assert_int_equal(redis_proc_start(&rp, false, NULL), 0);
	char rs[64];
	spec(&rp, rs, sizeof(rs));
	models_reset(&models, 300);
	struct duo d;
	assert_true(duo_open(&d, rs, tune_overflow, models.own, models.seen2, models.seen));
	struct model_change mc;
	uint64_t last = 0;
	for (unsigned i = 0; i < 300; i++) {
		model_put(models.own, i, 1, now_unix_s() + 3600, &mc);
		last = node_add(&d.a, &mc);
		if (i % 100 == 99)
			assert_true(wait_settled(&d.p, &d.a, last, 5000)); /* within the backlog's bound */
	}
	assert_true(d.a.not_durable == 0);
	redis_proc_stop(&rp, true);
	pump_for(&d.p, 100);
	/* while Redis is away: AoRs 0..99 lose every binding, 100..299 get a second one */
	for (unsigned i = 0; i < 100; i++) {
		model_remove(models.own, i, 1, &mc);
		last = node_add(&d.a, &mc);
	}
	for (unsigned i = 100; i < 300; i++) {
		model_put(models.own, i, 2, now_unix_s() + 3600, &mc);
		last = node_add(&d.a, &mc);
	}
	pump_for(&d.p, 50);
	struct sr_repl_stats s;
	sr_repl_stats(d.a.r, &s);
	assert_true(s.w.events_dropped > 0);
	assert_true(s.w.resync_pending);
	assert_true(d.a.not_durable > 0); /* reported, never silently acknowledged */
	assert_true(d.a.settled < last);
	assert_int_equal(redis_proc_restart(&rp), 0);
	assert_true(wait_settled(&d.p, &d.a, last, 15000));
	sr_repl_stats(d.a.r, &s);
	assert_false(s.w.resync_pending);
	assert_true(s.w.resyncs >= 2); /* at start, and after the overflow */
	redisContext *c = redis_proc_connect(&rp);
	/* Redis equals the node's own state, stale AoR keys swept */
	assert_true(model_matches_redis(models.own, &c, 1, "t", now_unix_s(), false));
	assert_true(wait_equal(&d.p, models.own, models.seen, 10000)); /* the standby re-read the keys */
	sr_repl_stats(d.b.r, &s);
	assert_true(s.f.resync_markers >= 1 || s.f.gaps >= 1);
	redisFree(c);
	duo_close(&d);
	redis_proc_stop(&rp, false);
}

struct two {
	struct node *x, *y;
};

static bool exactly_one_active(void *arg)
{
	struct two *t = arg;
	return t->x->active != t->y->active && (t->x->active ? t->x : t->y)->r &&
	       sr_repl_available((t->x->active ? t->x : t->y)->r);
}

static void test_epoch_fencing_and_failover(void **state)
{
	(void)state;
	struct redis_proc rp;
	assert_int_equal(redis_proc_start(&rp, false, NULL), 0);
	char rs[64];
	spec(&rp, rs, sizeof(rs));
	models_reset(&models, 100);
	static struct model seen_c;
	model_init(&seen_c, 100);
	struct node a, b, c;
	struct node_opts o;
	node_defaults(&o, rs, "a", true);
	node_open(&a, &o, models.own, models.seen2);
	node_defaults(&o, rs, "b", false);
	node_open(&b, &o, models.own, models.seen);
	struct pump p = { .r = { a.r, b.r }, .n = 2 };
	assert_true(wait_active(&p, &a, 5000));
	assert_true(wait_following(&p, &b, 5000));
	struct sr_repl_stats sa, sb;
	sr_repl_stats(a.r, &sa);

	/* promotion by command while a is alive: b takes over, a is fenced and says so */
	sr_repl_promote(b.r);
	assert_true(wait_role(&p, &b, true, 3000));
	assert_true(wait_role(&p, &a, false, 3000));
	assert_non_null(strstr(a.why, "demoted"));
	sr_repl_stats(a.r, &sa);
	sr_repl_stats(b.r, &sb);
	assert_true(sb.epoch == sa.epoch);
	assert_true(sa.demotions == 1);
	assert_true(sb.failovers == 1);
	assert_non_null(strstr(sr_repl_last_error(a.r), "demoted"));
	struct model_change mc;
	model_put(models.own, 1, 1, now_unix_s() + 60, &mc);
	assert_true(node_add(&a, &mc) == 0); /* a fenced node writes nothing */
	assert_true(node_add(&b, &mc) > 0);

	/* a node configured active that comes up while b is active starts as standby */
	node_defaults(&o, rs, "c", true);
	node_open(&c, &o, models.own, &seen_c);
	p.r[2] = c.r;
	p.n = 3;
	assert_true(wait_role(&p, &c, false, 3000));
	assert_non_null(strstr(c.why, "not as a second active"));
	struct sr_repl_stats sc;
	sr_repl_stats(c.r, &sc);
	assert_true(sc.fenced_starts == 1);
	assert_false(c.active);

	/* b dies: exactly one of a and c promotes itself once b's heartbeat lapses */
	node_close(&b);
	p.r[1] = c.r;
	p.n = 2;
	p.r[0] = a.r;
	uint64_t t0 = now_unix_ms();
	struct two t = { &a, &c };
	assert_true(pump_until(&p, 3000, exactly_one_active, &t));
	uint64_t failover_ms = now_unix_ms() - t0;
	printf("automatic failover after the active stopped: %llu ms (failover_ms=500)\n",
	       (unsigned long long)failover_ms);
	assert_true(failover_ms < 1500);
	pump_for(&p, 600); /* and it stays that way: no second active */
	assert_true(a.active != c.active);
	struct node *winner = a.active ? &a : &c;
	sr_repl_stats(winner->r, &sa);
	assert_true(sa.failovers >= 1);
	node_close(&a);
	node_close(&c);
	redis_proc_stop(&rp, false);
}

/* The replica has synchronised with its master. */
static int wait_link_up(const struct redis_proc *replica)
{
	redisContext *c = redis_proc_connect(replica);
	int rc = -1;
	for (int i = 0; i < 200 && rc != 0; i++) {
		redisReply *r = redis_cmd(c, "INFO replication");
		if (r && r->type == REDIS_REPLY_STRING && strstr(r->str, "master_link_status:up"))
			rc = 0;
		if (r)
			freeReplyObject(r);
		if (rc != 0)
			pump_for(&(struct pump){ .n = 0 }, 50);
	}
	redisFree(c);
	return rc;
}

static void test_wait_for_replicas(void **state)
{
	(void)state;
	struct redis_proc master, replica;
	assert_int_equal(redis_proc_start(&master, false, "--repl-diskless-sync-delay 0"), 0);
	char extra[96];
	snprintf(extra, sizeof(extra), "--replicaof 127.0.0.1 %u", master.port);
	assert_int_equal(redis_proc_start(&replica, false, extra), 0);
	assert_int_equal(wait_link_up(&replica), 0);
	char rs[64];
	spec(&master, rs, sizeof(rs));
	models_reset(&models, 500);
	struct node a;
	struct node_opts o;
	node_defaults(&o, rs, "a", true);
	o.wait_replicas = 1;
	node_open(&a, &o, models.own, models.seen);
	struct pump p = { .r = { a.r }, .n = 1 };
	assert_true(wait_active(&p, &a, 5000));
	uint64_t rng = 5;
	uint64_t last = add_random(&p, &a, &rng, 500, 0);
	assert_true(wait_settled(&p, &a, last, 5000));
	assert_true(a.durable_upto == last);
	/* without the replica, nothing more becomes durable */
	redis_proc_stop(&replica, true);
	last = add_random(&p, &a, &rng, 100, 0);
	pump_for(&p, 1500);
	assert_true(a.settled < last);
	struct sr_repl_stats s;
	sr_repl_stats(a.r, &s);
	assert_true(s.w.wait_shortfalls > 0);
	assert_true(s.w.backlog_events > 0);
	assert_int_equal(redis_proc_restart(&replica), 0);
	assert_true(wait_settled(&p, &a, last, 15000));
	assert_true(a.durable_upto == last);
	assert_true(a.not_durable == 0);
	node_close(&a);
	redis_proc_stop(&replica, false);
	redis_proc_stop(&master, false);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0); /* progress shows in meson's log even if a test hangs */
	redis_proc_require();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_batches_arrive_with_expiry),
		cmocka_unit_test(test_writer_lanes_keep_order),
		cmocka_unit_test(test_writer_lane_killed_mid_batch),
		cmocka_unit_test(test_writer_lane_name_refused),
		cmocka_unit_test(test_expiry_written_when_the_bucket_grows),
		cmocka_unit_test(test_permanent_refusal_in_transaction_resynchronises),
		cmocka_unit_test(test_follower_sees_changes_in_order),
		cmocka_unit_test(test_follower_full_read_after_trim),
		cmocka_unit_test(test_redis_killed_and_restarted),
		cmocka_unit_test(test_backlog_overflow_resynchronises),
		cmocka_unit_test(test_epoch_fencing_and_failover),
		cmocka_unit_test(test_wait_for_replicas),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
