/*
 * repl_node.c - recording callbacks around sr_repl (see repl_node.h).
 */
#include "repl_node.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redis_proc.h"

static void on_settled(void *ctx, uint64_t upto, bool durable)
{
	struct node *n = ctx;
	if (upto <= n->settled) {
		fprintf(stderr, "node: settled out of order (%llu after %llu)\n", (unsigned long long)upto,
			(unsigned long long)n->settled);
		n->order_errors++;
	}
	if (durable)
		n->durable_upto = upto;
	else
		n->not_durable += upto - n->settled;
	n->settled = upto;
}

static void on_role(void *ctx, bool active, uint64_t epoch, const char *why)
{
	struct node *n = ctx;
	n->active = active;
	n->role_calls++;
	snprintf(n->why, sizeof(n->why), "%s", why);
	fprintf(stderr, "[%llu] node %s: %s, epoch %llu: %s\n", (unsigned long long)(now_unix_ms() % 100000),
		n->name, active ? "active" : "standby", (unsigned long long)epoch, why);
}

static void on_follow(void *ctx, const struct sr_repl_follow_ev *ev)
{
	struct node *n = ctx;
	if (ev->kind == SR_FOLLOW_SNAPSHOT_END)
		n->after_snapshot = true;
	if (ev->kind == SR_FOLLOW_CHANGE) {
		/* changes of one epoch arrive in order, each once, without holes between snapshots */
		bool same = ev->epoch == n->last_change_epoch;
		if (same && (ev->seq <= n->last_change_seq || (!n->after_snapshot && ev->seq != n->last_change_seq + 1))) {
			fprintf(stderr, "node: change %llu after %llu (epoch %llu)\n", (unsigned long long)ev->seq,
				(unsigned long long)n->last_change_seq, (unsigned long long)ev->epoch);
			n->order_errors++;
		}
		n->after_snapshot = false;
		n->last_change_epoch = ev->epoch;
		n->last_change_seq = ev->seq;
	}
	model_follow(n->seen, ev);
}

void node_defaults(struct node_opts *o, const char *redis, const char *node_id, bool active)
{
	memset(o, 0, sizeof(*o));
	o->redis = redis;
	o->node_id = node_id;
	o->prefix = "t";
	o->active = active;
	o->failover_ms = 500;
	o->heartbeat_ms = 100;
	o->batch_events = 256;
	o->backlog_events = 100000;
	o->stream_len = 100000;
}

void node_open(struct node *n, const struct node_opts *o, struct model *own, struct model *seen)
{
	memset(n, 0, sizeof(*n));
	snprintf(n->name, sizeof(n->name), "%s", o->node_id);
	n->own = own;
	n->seen = seen;
	struct sr_repl_config c;
	sr_repl_config_defaults(&c);
	snprintf(c.redis, sizeof(c.redis), "%s", o->redis);
	snprintf(c.node_id, sizeof(c.node_id), "%s", o->node_id);
	snprintf(c.prefix, sizeof(c.prefix), "%s", o->prefix);
	c.role = o->active ? SR_REPL_ROLE_ACTIVE : SR_REPL_ROLE_STANDBY;
	c.failover_ms = o->failover_ms;
	c.heartbeat_ms = o->heartbeat_ms;
	c.batch_events = o->batch_events;
	c.backlog_events = o->backlog_events;
	c.stream_len = o->stream_len;
	c.wait_replicas = o->wait_replicas;
	if (o->connections)
		c.connections = o->connections;
	c.timeout_ms = 1000;
	c.reconnect_max_ms = 200;
	struct sr_repl_callbacks cb = { .ctx = n, .settled = on_settled, .role = on_role, .follow = on_follow,
					.snapshot = model_snapshot(own) };
	char err[512];
	if (sr_repl_open(&c, &cb, now_unix_ms(), &n->r, err, sizeof(err)) != 0) {
		fprintf(stderr, "node_open: %s\n", err);
		exit(1);
	}
}

void node_close(struct node *n)
{
	sr_repl_close(n->r);
	n->r = NULL;
}

uint64_t node_add(struct node *n, const struct model_change *mc)
{
	return sr_repl_add(n->r, &mc->c);
}

static bool cond_active(void *arg)
{
	struct node *n = arg;
	return n->active && sr_repl_available(n->r);
}

bool wait_active(struct pump *p, struct node *n, unsigned ms)
{
	return pump_until(p, ms, cond_active, n);
}

static bool cond_following(void *arg)
{
	struct node *n = arg;
	struct sr_repl_stats s;
	sr_repl_stats(n->r, &s);
	return s.f.streaming && n->seen->snapshots_ended > 0;
}

bool wait_following(struct pump *p, struct node *n, unsigned ms)
{
	return pump_until(p, ms, cond_following, n);
}

struct settle_wait {
	struct node *n;
	uint64_t upto;
};

static bool cond_settled(void *arg)
{
	struct settle_wait *w = arg;
	return w->n->settled >= w->upto;
}

bool wait_settled(struct pump *p, struct node *n, uint64_t upto, unsigned ms)
{
	struct settle_wait w = { n, upto };
	return pump_until(p, ms, cond_settled, &w);
}

struct equal_wait {
	const struct model *a, *b;
};

static bool cond_equal(void *arg)
{
	struct equal_wait *w = arg;
	return model_equal(w->a, w->b, now_unix_s(), false);
}

bool wait_equal(struct pump *p, const struct model *a, const struct model *b, unsigned ms)
{
	struct equal_wait w = { a, b };
	if (pump_until(p, ms, cond_equal, &w))
		return true;
	return model_equal(a, b, now_unix_s(), true); /* says what differs */
}

struct role_wait {
	struct node *n;
	bool active;
};

static bool cond_role(void *arg)
{
	struct role_wait *w = arg;
	return w->n->role_calls > 0 && w->n->active == w->active;
}

bool wait_role(struct pump *p, struct node *n, bool active, unsigned ms)
{
	struct role_wait w = { n, active };
	return pump_until(p, ms, cond_role, &w);
}

bool duo_open(struct duo *d, const char *redis, void (*tune)(struct node_opts *o, bool active), struct model *own,
	      struct model *seen_a, struct model *seen_b)
{
	struct node_opts o;
	memset(d, 0, sizeof(*d));
	node_defaults(&o, redis, "a", true);
	if (tune)
		tune(&o, true);
	node_open(&d->a, &o, own, seen_a);
	node_defaults(&o, redis, "b", false);
	if (tune)
		tune(&o, false);
	node_open(&d->b, &o, own, seen_b);
	d->p = (struct pump){ .r = { d->a.r, d->b.r }, .n = 2 };
	return wait_active(&d->p, &d->a, 10000) && wait_following(&d->p, &d->b, 10000);
}

void duo_close(struct duo *d)
{
	node_close(&d->b);
	node_close(&d->a);
}

void node_print(const char *name, struct node *n)
{
	struct sr_repl_stats s;
	sr_repl_stats(n->r, &s);
	fprintf(stderr,
		"%s: role %s active %d available %d epoch %llu | writer last %llu settled %llu backlog %llu "
		"resyncs %llu retries %llu errors %llu | follower following %d snapshot %d full_reads %llu "
		"changes %llu entries %llu gaps %llu errors %llu epoch %llu seq %llu | redis masters %u/%u, "
		"follower's %u/%u | last error: %s\n",
		name, sr_repl_role_state_name(s.role), s.active, s.available, (unsigned long long)s.epoch,
		(unsigned long long)s.w.last_seq, (unsigned long long)s.w.settled_seq,
		(unsigned long long)s.w.backlog_events, (unsigned long long)s.w.resyncs,
		(unsigned long long)s.w.retries, (unsigned long long)s.w.redis_errors, s.f.following,
		s.f.in_snapshot, (unsigned long long)s.f.full_reads, (unsigned long long)s.f.changes,
		(unsigned long long)s.f.entries, (unsigned long long)s.f.gaps, (unsigned long long)s.f.errors,
		(unsigned long long)s.f.last_epoch, (unsigned long long)s.f.last_seq, s.redis.masters_up,
		s.redis.masters, s.redis_follow.masters_up, s.redis_follow.masters, sr_repl_last_error(n->r));
}

uint64_t add_random(struct pump *p, struct node *n, uint64_t *rng, int count, int every)
{
	struct model_change mc;
	uint64_t last = 0;
	for (int i = 0; i < count; i++) {
		model_step(n->own, rng, now_unix_s(), 3600, &mc);
		last = node_add(n, &mc);
		if (last == 0) {
			fprintf(stderr, "add_random: the node refused a change\n");
			return 0;
		}
		if (every && i % every == every - 1)
			pump_for(p, 1);
	}
	return last;
}

int models_alloc(struct models *m)
{
	m->own = calloc(1, sizeof(*m->own));
	m->seen = calloc(1, sizeof(*m->seen));
	m->seen2 = calloc(1, sizeof(*m->seen2));
	return m->own && m->seen && m->seen2 ? 0 : -1;
}

void models_reset(struct models *m, unsigned n_aors)
{
	model_init(m->own, n_aors);
	model_init(m->seen, n_aors);
	model_init(m->seen2, n_aors);
}

void models_free(struct models *m)
{
	free(m->own);
	free(m->seen);
	free(m->seen2);
}
