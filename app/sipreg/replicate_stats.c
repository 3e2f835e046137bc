/*
 * replicate_stats.c - replication's figures in the one walk that
 * /sipreg/stats and /metrics render (stats.c), names as docs/REPLICATION.md
 * lists them.
 *
 * Read from the copy the control core publishes every 100 ms
 * (replicate.c), never from lib/replication, which belongs to the control
 * core; worker-side counters with relaxed loads. Absent when replication
 * is off, like persistence's families.
 */
#include "replicate_internal.h"

#include <stddef.h>

#define C SR_STAT_COUNTER
#define G SR_STAT_GAUGE

static uint64_t rwsum(const struct sr_replicate *x, unsigned n, size_t off)
{
	uint64_t t = 0;
	for (unsigned i = 0; i < n; i++)
		t += __atomic_load_n((const uint64_t *)((const char *)&x->w[i] + off), __ATOMIC_RELAXED);
	return t;
}
#define RWSUM(x, n, field) rwsum(x, n, offsetof(struct replicate_worker, field))

void sr_replicate_stats_walk(const struct sr_app *app, struct sr_stats_sink *s)
{
	struct sr_replicate *x = app->repl;
	if (!x)
		return;
	struct sr_repl_stats st;
	pthread_mutex_lock(&x->lock);
	st = x->pub;
	pthread_mutex_unlock(&x->lock);
	unsigned n = app->n_workers;

	struct sr_stat_family role = { .name = "sipreg_repl_role", .kind = G, .label = "state",
				       .help = "Replication role: 1 for the state the node is in." };
	s->family(s, &role);
	for (int r = SR_ROLE_STARTING; r <= SR_ROLE_ACTIVE; r++)
		s->sample(s, sr_repl_role_state_name((enum sr_repl_role_state)r), st.role == (enum sr_repl_role_state)r);
	s->end(s);
	sr_stats_one(s, "sipreg_repl_serving", G, "1 when the node answers for the service address (active).",
		     sr_app_serving(app));
	sr_stats_one(s, "sipreg_repl_epoch", G, "Fencing epoch (active: ours; standby: the last one read).", st.epoch);
	sr_stats_one(s, "sipreg_repl_available", G, "1 when a change committed now is expected to reach Redis.",
		     st.available);
	sr_stats_one(s, "sipreg_repl_events_total", C, "Binding changes settled durable in Redis.",
		     st.w.events_replicated);
	sr_stats_one(s, "sipreg_repl_batches_total", C, "Batches settled durable in Redis.", st.w.batches);
	sr_stats_one(s, "sipreg_repl_lag_events", G, "Changes handed to replication, not yet settled.",
		     st.w.last_seq - st.w.settled_seq);
	sr_stats_one(s, "sipreg_repl_lag_ms", G, "Age of the oldest unsettled change, milliseconds.", st.w.lag_ms);
	sr_stats_one(s, "sipreg_repl_backlog_events", G, "Unsettled changes kept for Redis.", st.w.backlog_events);
	sr_stats_one(s, "sipreg_repl_backlog_bytes", G, "Bytes of the unsettled changes kept.", st.w.backlog_bytes);
	sr_stats_one(s, "sipreg_repl_events_dropped_total", C,
		     "Changes not replicated: backlog overflow (a full resynchronisation follows) or demotion.",
		     st.w.events_dropped);
	sr_stats_one(s, "sipreg_repl_events_rejected_total", C, "Changes Redis refused for good.",
		     st.w.events_rejected);
	sr_stats_one(s, "sipreg_repl_resyncs_total", C, "Full resynchronisations of Redis from the store.",
		     st.w.resyncs);
	sr_stats_one(s, "sipreg_repl_retries_total", C, "Re-sends after a failed batch.", st.w.retries);
	sr_stats_one(s, "sipreg_repl_redis_errors_total", C, "Redis error replies, timeouts and lost connections.",
		     st.w.redis_errors + st.redis.errors + st.redis.timeouts + st.redis_follow.errors +
			     st.redis_follow.timeouts);
	sr_stats_one(s, "sipreg_repl_redis_reconnects_total", C, "Reconnections to Redis.",
		     st.redis.reconnects + st.redis_follow.reconnects);
	sr_stats_one(s, "sipreg_repl_follow_changes_total", C, "Standby: changes read from the active's stream.",
		     st.f.changes);
	sr_stats_one(s, "sipreg_repl_follow_full_reads_total", C, "Standby: full reads of the keys.", st.f.full_reads);
	sr_stats_one(s, "sipreg_repl_follow_lag_ms", G, "Standby: age of the last stream entry read, milliseconds.",
		     st.f.lag_ms);
	sr_stats_one(s, "sipreg_repl_follow_streaming", G, "Standby: 1 when caught up and reading the stream live.",
		     st.f.streaming);
	sr_stats_one(s, "sipreg_repl_applied_total", C, "Standby: changes applied to the shards.",
		     RWSUM(x, n, applied));
	sr_stats_one(s, "sipreg_repl_apply_failed_total", C,
		     "Standby: changes the shards could not apply (table or memory full, bad record).",
		     RWSUM(x, n, apply_failed) + __atomic_load_n(&x->apply_oom, __ATOMIC_RELAXED));
	sr_stats_one(s, "sipreg_repl_swept_total", C, "Standby: bindings dropped because a full read lacked them.",
		     RWSUM(x, n, swept));
	sr_stats_one(s, "sipreg_repl_apply_pending", G, "Standby: changes waiting for room in a worker's ring.",
		     RWSUM(x, n, pending_n));
	sr_stats_one(s, "sipreg_repl_standby_drops_total", C, "Frames dropped because the node was not serving.",
		     RWSUM(x, n, standby_drops));
	sr_stats_one(s, "sipreg_repl_garps_total", C, "Gratuitous ARPs sent on taking the service address.",
		     RWSUM(x, n, garps_sent));
	sr_stats_one(s, "sipreg_repl_failovers_total", C, "Promotions of this node to active.", st.failovers);
	sr_stats_one(s, "sipreg_repl_demotions_total", C, "Times this node was fenced by a newer epoch.",
		     st.demotions);
	sr_stats_one(s, "sipreg_repl_fenced_starts_total", C, "Starts as standby because another node was active.",
		     st.fenced_starts);
	sr_stats_one(s, "sipreg_repl_beat_failures_total", C, "Heartbeats not stored.", st.beat_failures);
}
