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
	(void)epoch;
	n->active = active;
	n->role_calls++;
	snprintf(n->why, sizeof(n->why), "%s", why);
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
