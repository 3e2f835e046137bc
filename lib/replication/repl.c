/*
 * repl.c - the role driver and the glue between role, writer and follower
 * (see repl.h).
 *
 * Design decisions:
 * - The role machine is pure (repl_role.c); this file turns its requests
 *   into Redis commands (MGET of the two control keys; the sr2_promote and
 *   sr2_beat functions) and its events into actions:
 *     active at start      -> the writer starts with a full
 *                             resynchronisation from the node's own state
 *                             (Redis may lack what it committed while away);
 *     promoted (standby)   -> the follower reads what the old active's
 *                             stream still holds, then the writer starts
 *                             without resynchronising (Redis is the more
 *                             complete copy), then the caller is told;
 *     standby / demoted    -> the writer stops (unsent changes settle not
 *                             durable: a fenced node must not overwrite the
 *                             new active's data), the follower follows the
 *                             active named by the heartbeat.
 * - Three clients (connection sets): the heartbeat must never wait behind
 *   the writer's pipeline (64 chunks of key writes can take longer
 *   than failover_ms to answer on a loaded Redis, and a late beat lets the
 *   standby take over a healthy active), and the follower's XREAD BLOCK
 *   holds its connection.
 */
#include "repl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FOLLOW_BLOCK_MS 100
#define MAX_FDS (3 * SR_REPL_MAX_NODES)

struct sr_repl {
	struct sr_repl_config cfg;
	struct sr_repl_callbacks cb;
	uint64_t now;
	struct sr_repl_client *ctl, *wcl, *fol; /* role (heartbeat), writer, follower */
	struct sr_repl_writer *w;
	struct sr_repl_follower *f;
	struct sr_repl_role role;
	char epoch_key[SR_REPL_NAME_MAX + 32], hb_key[SR_REPL_NAME_MAX + 32];
	int ctl_slot;
	bool active;     /* the writer is on and the caller was told */
	bool activating; /* promoted: waiting for the follower's drain */
	unsigned n_fds[3]; /* how many of the fds belong to each client */
	char last_error[200];
};

static void tell_role(struct sr_repl *r, bool active)
{
	if (r->cb.role)
		r->cb.role(r->cb.ctx, active, r->role.epoch, r->role.why);
}

static void become_active(struct sr_repl *r, bool resync)
{
	r->activating = false;
	r->active = true;
	sr_repl_follow_stop(r->f);
	sr_repl_writer_activate(r->w, r->role.epoch, resync);
	tell_role(r, true);
}

static void on_role_event(struct sr_repl *r, enum sr_repl_role_event ev)
{
	switch (ev) {
	case SR_ROLE_EV_ACTIVE:
		if (r->role.from_standby) {
			r->activating = true;
			sr_repl_follow_drain(r->f);
		} else {
			become_active(r, true);
		}
		break;
	case SR_ROLE_EV_STANDBY:
		r->activating = false;
		if (r->active || r->role.demotions)
			snprintf(r->last_error, sizeof(r->last_error), "%s", r->role.why);
		r->active = false;
		sr_repl_writer_deactivate(r->w);
		if (r->role.target_known)
			sr_repl_follow_target(r->f, r->role.target, r->role.target_epoch);
		else
			sr_repl_follow_stop(r->f);
		tell_role(r, false);
		break;
	case SR_ROLE_EV_FOLLOW:
		sr_repl_follow_target(r->f, r->role.target, r->role.target_epoch);
		break;
	case SR_ROLE_EV_NONE:
		break;
	}
}

/* "NODE EPOCH MS" */
static bool parse_heartbeat(const redisReply *v, struct sr_repl_probe *p)
{
	char buf[SR_REPL_NAME_MAX + 64];
	if (v->type != REDIS_REPLY_STRING || v->len >= sizeof(buf))
		return false;
	memcpy(buf, v->str, v->len);
	buf[v->len] = '\0';
	char node[SR_REPL_NAME_MAX + 1];
	unsigned long long epoch;
	if (sscanf(buf, "%64s %llu", node, &epoch) != 2)
		return false;
	snprintf(p->hb_node, sizeof(p->hb_node), "%s", node);
	p->hb_epoch = epoch;
	p->hb_present = true;
	return true;
}

static void on_probe(struct sr_repl_client *cl, redisReply *rep, void *priv)
{
	(void)cl;
	struct sr_repl *r = priv;
	struct sr_repl_probe p = { 0 };
	bool ok = rep && rep->type == REDIS_REPLY_ARRAY && rep->elements == 2;
	if (ok && rep->element[0]->type == REDIS_REPLY_STRING)
		p.epoch = strtoull(rep->element[0]->str, NULL, 10);
	if (ok && rep->element[1]->type != REDIS_REPLY_NIL && !parse_heartbeat(rep->element[1], &p))
		ok = false;
	on_role_event(r, sr_repl_role_on_probe(&r->role, r->now, ok, &p));
}

/* {result, epoch} of sr2_promote and sr2_beat. */
static bool pair(const redisReply *rep, int *result, uint64_t *epoch)
{
	if (!rep || rep->type != REDIS_REPLY_ARRAY || rep->elements != 2 ||
	    rep->element[0]->type != REDIS_REPLY_INTEGER || rep->element[1]->type != REDIS_REPLY_INTEGER)
		return false;
	*result = (int)rep->element[0]->integer;
	*epoch = (uint64_t)rep->element[1]->integer;
	return true;
}

static void on_promote(struct sr_repl_client *cl, redisReply *rep, void *priv)
{
	(void)cl;
	struct sr_repl *r = priv;
	int res = 0;
	uint64_t e = 0;
	bool ok = pair(rep, &res, &e);
	on_role_event(r, sr_repl_role_on_promote(&r->role, r->now, ok, res, e));
}

static void on_beat(struct sr_repl_client *cl, redisReply *rep, void *priv)
{
	(void)cl;
	struct sr_repl *r = priv;
	int res = 0;
	uint64_t e = 0;
	bool ok = pair(rep, &res, &e);
	on_role_event(r, sr_repl_role_on_beat(&r->role, r->now, ok, res, e));
}

static void role_step(struct sr_repl *r)
{
	struct sr_repl_role_req req;
	if (!sr_repl_role_next(&r->role, r->now, &req))
		return;
	char epoch[24], px[16], ms[24];
	snprintf(epoch, sizeof(epoch), "%llu", (unsigned long long)req.epoch);
	snprintf(px, sizeof(px), "%u", r->cfg.failover_ms);
	snprintf(ms, sizeof(ms), "%llu", (unsigned long long)r->now);
	const char *node = r->cfg.node_id;
	int rc;
	if (req.kind == SR_ROLE_REQ_PROBE) {
		const char *argv[] = { "MGET", r->epoch_key, r->hb_key };
		size_t lens[] = { 4, strlen(r->epoch_key), strlen(r->hb_key) };
		rc = sr_repl_client_send(r->ctl, r->ctl_slot, 3, argv, lens, 0, on_probe, r);
		if (rc != 0)
			on_role_event(r, sr_repl_role_on_probe(&r->role, r->now, false, NULL));
	} else if (req.kind == SR_ROLE_REQ_PROMOTE) {
		const char *argv[] = { "FCALL", "sr2_promote", "2", r->epoch_key, r->hb_key, node, epoch, px, ms,
				       req.force ? "1" : "0" };
		size_t lens[10];
		for (int i = 0; i < 10; i++)
			lens[i] = strlen(argv[i]);
		rc = sr_repl_client_send(r->ctl, r->ctl_slot, 10, argv, lens, 0, on_promote, r);
		if (rc != 0)
			on_role_event(r, sr_repl_role_on_promote(&r->role, r->now, false, 0, 0));
	} else {
		const char *argv[] = { "FCALL", "sr2_beat", "2", r->epoch_key, r->hb_key, node, epoch, px, ms };
		size_t lens[9];
		for (int i = 0; i < 9; i++)
			lens[i] = strlen(argv[i]);
		rc = sr_repl_client_send(r->ctl, r->ctl_slot, 9, argv, lens, 0, on_beat, r);
		if (rc != 0)
			on_role_event(r, sr_repl_role_on_beat(&r->role, r->now, false, 0, 0));
	}
}

static void on_settled(void *ctx, uint64_t upto, bool durable)
{
	struct sr_repl *r = ctx;
	if (r->cb.settled)
		r->cb.settled(r->cb.ctx, upto, durable);
}

int sr_repl_open(const struct sr_repl_config *cfg, const struct sr_repl_callbacks *cb, uint64_t now_ms,
		 struct sr_repl **out, char *err, size_t err_len)
{
	if (sr_repl_config_check(cfg, err, err_len) != NULL)
		return -1;
	if (!sr_repl_enabled(cfg)) {
		snprintf(err, err_len, "replication.redis is empty: replication is off");
		return -1;
	}
	struct sr_repl *r = calloc(1, sizeof(*r));
	if (!r) {
		snprintf(err, err_len, "replication: out of memory");
		return -1;
	}
	r->cfg = *cfg;
	r->cb = *cb;
	r->now = now_ms;
	sr_repl_key_epoch(cfg->prefix, r->epoch_key, sizeof(r->epoch_key));
	sr_repl_key_heartbeat(cfg->prefix, r->hb_key, sizeof(r->hb_key));
	r->ctl_slot = sr_repl_key_slot(r->epoch_key, strlen(r->epoch_key));
	/*
	 * Reconnect within a quarter of failover_ms: when Redis comes back, the
	 * active must beat again before a standby's patience (failover_ms of
	 * answered probes, repl_role.c) runs out.
	 */
	uint32_t backoff = cfg->reconnect_max_ms;
	if (backoff > cfg->failover_ms / 4)
		backoff = cfg->failover_ms / 4;
	r->ctl = sr_repl_client_new(cfg->redis, true, &r->now, cfg->timeout_ms, backoff, err, err_len);
	/*
	 * Only the role client calls functions (FCALL sr2_beat/sr2_promote); the
	 * writer sends native commands (repl_keys.c), so its connections (every
	 * lane) need no FUNCTION LOAD in their handshake, a PING does.
	 */
	r->wcl = r->ctl ? sr_repl_client_new(cfg->redis, false, &r->now, cfg->timeout_ms, backoff, err, err_len)
			: NULL;
	/* the writer's client only: heartbeats and the follower are light, the changes are not */
	if (r->wcl && !sr_repl_client_is_cluster(r->wcl) && sr_repl_client_set_lanes(r->wcl, cfg->connections) != 0) {
		snprintf(err, err_len, "replication: out of memory");
		sr_repl_client_free(r->wcl);
		r->wcl = NULL;
	}
	r->fol = r->wcl ? sr_repl_client_new(cfg->redis, false, &r->now, cfg->timeout_ms, backoff, err, err_len)
			: NULL;
	struct sr_repl_writer_cfg wc = {
		.prefix = cfg->prefix, .node = cfg->node_id, .batch_events = cfg->batch_events,
		.backlog_events = cfg->backlog_events, .stream_len = cfg->stream_len,
		.wait_replicas = cfg->wait_replicas, .wait_timeout_ms = cfg->wait_timeout_ms,
	};
	if (r->fol) {
		r->w = sr_repl_writer_new(&wc, r->wcl, &r->now, on_settled, r, &cb->snapshot);
		r->f = sr_repl_follow_new(r->fol, cfg->prefix, &r->now, FOLLOW_BLOCK_MS, cb->follow, cb->ctx);
	}
	if (!r->w || !r->f) {
		if (r->fol)
			snprintf(err, err_len, "replication: out of memory");
		sr_repl_close(r);
		return -1;
	}
	sr_repl_role_init(&r->role, cfg->node_id, cfg->role == SR_REPL_ROLE_ACTIVE, cfg->auto_failover,
			  cfg->failover_ms, sr_repl_heartbeat_ms(cfg), now_ms);
	*out = r;
	return 0;
}

void sr_repl_close(struct sr_repl *r)
{
	if (!r)
		return;
	/* clients first: closing them runs their pending callbacks, which reference writer and follower */
	sr_repl_client_free(r->ctl);
	sr_repl_client_free(r->wcl);
	sr_repl_client_free(r->fol);
	sr_repl_writer_free(r->w);
	sr_repl_follow_free(r->f);
	free(r);
}

unsigned sr_repl_pollfds(struct sr_repl *r, uint64_t now_ms, struct pollfd *fds, unsigned max)
{
	struct sr_repl_client *cl[3] = { r->ctl, r->wcl, r->fol };
	unsigned n = 0;
	r->now = now_ms;
	for (int i = 0; i < 3; i++) {
		sr_repl_client_tick(cl[i]);
		r->n_fds[i] = sr_repl_client_fds(cl[i], fds + n, max - n);
		n += r->n_fds[i];
	}
	return n;
}

void sr_repl_dispatch(struct sr_repl *r, uint64_t now_ms, const struct pollfd *fds, unsigned n)
{
	struct sr_repl_client *cl[3] = { r->ctl, r->wcl, r->fol };
	r->now = now_ms;
	for (int i = 0; i < 3; i++) {
		unsigned k = n < r->n_fds[i] ? n : r->n_fds[i];
		sr_repl_client_handle(cl[i], fds, k);
		fds += k;
		n -= k;
	}
	role_step(r);
	if (r->activating && sr_repl_follow_drained(r->f) && r->role.state == SR_ROLE_ACTIVE)
		become_active(r, false);
	sr_repl_writer_step(r->w);
	sr_repl_follow_step(r->f);
}

void sr_repl_poll(struct sr_repl *r, uint64_t now_ms)
{
	struct pollfd fds[MAX_FDS];
	unsigned n = sr_repl_pollfds(r, now_ms, fds, MAX_FDS);
	if (n && poll(fds, n, 0) < 0)
		n = 0; /* EINTR: handle nothing this turn */
	sr_repl_dispatch(r, now_ms, fds, n);
}

uint64_t sr_repl_add(struct sr_repl *r, const struct sr_repl_change *c)
{
	return r->active ? sr_repl_writer_add(r->w, c) : 0;
}

bool sr_repl_available(const struct sr_repl *r)
{
	return r->active && sr_repl_writer_available(r->w);
}

bool sr_repl_is_active(const struct sr_repl *r)
{
	return r->active;
}

void sr_repl_promote(struct sr_repl *r)
{
	sr_repl_role_promote(&r->role);
}

void sr_repl_stats(const struct sr_repl *r, struct sr_repl_stats *out)
{
	memset(out, 0, sizeof(*out));
	sr_repl_writer_stats(r->w, &out->w);
	sr_repl_follow_stats(r->f, &out->f);
	sr_repl_client_counts(r->wcl, &out->redis);
	sr_repl_client_counts(r->fol, &out->redis_follow);
	out->role = r->role.state;
	out->active = r->active;
	out->available = sr_repl_available(r);
	out->epoch = r->role.epoch;
	out->failovers = r->role.failovers;
	out->demotions = r->role.demotions;
	out->fenced_starts = r->role.fenced_starts;
	out->beat_failures = r->role.beat_failures;
	out->last_beat_ms = r->role.last_beat_ok_ms;
}

const char *sr_repl_last_error(const struct sr_repl *r)
{
	const char *e = sr_repl_client_last_error(r->wcl);
	if (*e)
		return e;
	e = sr_repl_writer_last_error(r->w);
	return *e ? e : r->last_error;
}
