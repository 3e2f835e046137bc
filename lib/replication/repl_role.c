/*
 * repl_role.c - the role state machine (see repl_role.h for the diagram).
 *
 * Design decisions:
 * - Lapse detection uses the heartbeat key's own expiry in Redis (the
 *   active sets it with a lifetime of failover_ms), so the nodes' clocks
 *   never need to agree; a standby promotes on the first probe that finds
 *   it gone. Failover time is thus failover_ms + at most one interval + a
 *   round trip.
 * - A standby promotes itself only after it has seen Redis answer for
 *   failover_ms without interruption. A missing heartbeat right after
 *   Redis came back (restarted, or reachable again) says nothing about the
 *   active node, which needs a moment to reconnect and beat; and a freshly
 *   started standby must not race the intended active that is still
 *   connecting. In the ordinary case (the active dies, Redis stays up) the
 *   standby has been probing all along, so this adds nothing to failover.
 * - The promotion command is forced (an operator's decision overrides a
 *   live heartbeat) but still a compare-and-set on the epoch: the node it
 *   replaces sees the newer epoch on its next beat and steps down.
 */
#include "repl_role.h"

#include <stdio.h>
#include <string.h>

static const char *const state_names[] = { "starting", "standby", "promoting", "active" };

const char *sr_repl_role_state_name(enum sr_repl_role_state s)
{
	return (unsigned)s < sizeof(state_names) / sizeof(state_names[0]) ? state_names[s] : "unknown";
}

void sr_repl_role_init(struct sr_repl_role *r, const char *node, bool want_active, bool auto_failover,
		       uint32_t failover_ms, uint32_t interval_ms, uint64_t now_ms)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->node, sizeof(r->node), "%s", node);
	r->want_active = want_active;
	r->auto_failover = auto_failover;
	r->failover_ms = failover_ms;
	r->interval_ms = interval_ms ? interval_ms : 1;
	r->state = SR_ROLE_STARTING;
	r->next_ms = now_ms;
	snprintf(r->why, sizeof(r->why), "starting");
}

static void schedule(struct sr_repl_role *r, uint64_t now_ms, bool at_once)
{
	r->next_ms = at_once ? now_ms : now_ms + r->interval_ms;
}

bool sr_repl_role_next(struct sr_repl_role *r, uint64_t now_ms, struct sr_repl_role_req *req)
{
	if (r->in_flight)
		return false;
	bool cmd_now = r->promote_cmd && r->state == SR_ROLE_STANDBY;
	if (now_ms < r->next_ms && !cmd_now)
		return false;
	switch (r->state) {
	case SR_ROLE_STARTING:
	case SR_ROLE_STANDBY:
		if (r->promote_cmd && r->state == SR_ROLE_STANDBY) {
			r->promote_pending = true;
			r->promote_force = true;
		}
		if (r->promote_pending) {
			req->kind = SR_ROLE_REQ_PROMOTE;
			req->epoch = r->epoch;
			req->force = r->promote_force;
			r->before_promote = r->state;
			r->state = SR_ROLE_PROMOTING;
		} else {
			req->kind = SR_ROLE_REQ_PROBE;
			req->epoch = 0;
			req->force = false;
		}
		break;
	case SR_ROLE_ACTIVE:
		req->kind = SR_ROLE_REQ_BEAT;
		req->epoch = r->epoch;
		req->force = false;
		break;
	case SR_ROLE_PROMOTING:
		return false; /* its request is in flight */
	}
	r->in_flight = true;
	return true;
}

static enum sr_repl_role_event become_standby(struct sr_repl_role *r)
{
	r->state = SR_ROLE_STANDBY;
	r->promote_pending = false;
	return SR_ROLE_EV_STANDBY;
}

static bool set_target(struct sr_repl_role *r, const struct sr_repl_probe *p)
{
	bool changed = !r->target_known || strcmp(r->target, p->hb_node) != 0 || r->target_epoch != p->hb_epoch;
	r->target_known = true;
	snprintf(r->target, sizeof(r->target), "%s", p->hb_node);
	r->target_epoch = p->hb_epoch;
	return changed;
}

enum sr_repl_role_event sr_repl_role_on_probe(struct sr_repl_role *r, uint64_t now_ms, bool ok,
					      const struct sr_repl_probe *p)
{
	r->in_flight = false;
	schedule(r, now_ms, false);
	if (!ok) {
		r->redis_seen = false; /* whatever happens meanwhile, we do not see it */
		return SR_ROLE_EV_NONE;
	}
	if (!r->redis_seen) {
		r->redis_seen = true;
		r->redis_seen_since = now_ms;
	}
	r->epoch = p->epoch;
	bool ours = p->hb_present && strcmp(p->hb_node, r->node) == 0;
	bool other = p->hb_present && !ours;

	if (r->state == SR_ROLE_STARTING) {
		if (other) {
			set_target(r, p);
			if (r->want_active) {
				r->fenced_starts++;
				snprintf(r->why, sizeof(r->why),
					 "node %s is active at epoch %llu: starting as standby, not as a second active",
					 p->hb_node, (unsigned long long)p->hb_epoch);
			} else {
				snprintf(r->why, sizeof(r->why), "standby of node %s (epoch %llu)", p->hb_node,
					 (unsigned long long)p->hb_epoch);
			}
			return become_standby(r);
		}
		if (r->want_active || r->promote_cmd) {
			/* our own live heartbeat: the previous run of this node; take over again, newer epoch */
			r->promote_pending = true;
			r->promote_force = ours;
			schedule(r, now_ms, true);
			return SR_ROLE_EV_NONE;
		}
		r->target_known = false;
		snprintf(r->why, sizeof(r->why), "standby; no active node yet");
		return become_standby(r);
	}
	if (r->state != SR_ROLE_STANDBY)
		return SR_ROLE_EV_NONE;
	if (other)
		return set_target(r, p) ? SR_ROLE_EV_FOLLOW : SR_ROLE_EV_NONE;
	/* no heartbeat of another node: has it lapsed long enough for us to take over? */
	if (!p->hb_present && r->auto_failover && now_ms - r->redis_seen_since >= r->failover_ms) {
		r->promote_pending = true;
		r->promote_force = false;
		schedule(r, now_ms, true);
	}
	return SR_ROLE_EV_NONE;
}

enum sr_repl_role_event sr_repl_role_on_promote(struct sr_repl_role *r, uint64_t now_ms, bool ok, int result,
						uint64_t epoch)
{
	r->in_flight = false;
	enum sr_repl_role_state back = r->before_promote;
	if (!ok) {
		r->state = back; /* keeps promote_pending: tried again after an interval */
		schedule(r, now_ms, false);
		return SR_ROLE_EV_NONE;
	}
	if (result == 1) {
		r->from_standby = back == SR_ROLE_STANDBY;
		if (r->from_standby)
			r->failovers++;
		snprintf(r->why, sizeof(r->why), "%s at epoch %llu (%s)", r->from_standby ? "promoted" : "active",
			 (unsigned long long)epoch,
			 r->promote_cmd ? "by command" : r->from_standby ? "the active's heartbeat lapsed" : "at start");
		r->state = SR_ROLE_ACTIVE;
		r->epoch = epoch;
		r->promote_pending = r->promote_cmd = false;
		r->target_known = false;
		r->last_beat_ok_ms = now_ms;
		schedule(r, now_ms, false);
		return SR_ROLE_EV_ACTIVE;
	}
	/* lost the compare-and-set: look again at once (a command keeps trying with the new epoch) */
	r->epoch = epoch;
	r->promote_pending = false;
	r->state = back;
	schedule(r, now_ms, true);
	return SR_ROLE_EV_NONE;
}

enum sr_repl_role_event sr_repl_role_on_beat(struct sr_repl_role *r, uint64_t now_ms, bool ok, int result,
					     uint64_t epoch)
{
	r->in_flight = false;
	schedule(r, now_ms, false);
	if (r->state != SR_ROLE_ACTIVE)
		return SR_ROLE_EV_NONE;
	if (!ok) {
		r->beat_failures++;
		return SR_ROLE_EV_NONE;
	}
	if (result == 1) {
		r->last_beat_ok_ms = now_ms;
		return SR_ROLE_EV_NONE;
	}
	snprintf(r->why, sizeof(r->why), "demoted: epoch %llu in Redis is newer than ours (%llu); another node "
		 "was promoted", (unsigned long long)epoch, (unsigned long long)r->epoch);
	r->demotions++;
	r->epoch = epoch;
	r->target_known = false;
	schedule(r, now_ms, true);
	return become_standby(r);
}

void sr_repl_role_promote(struct sr_repl_role *r)
{
	if (r->state != SR_ROLE_ACTIVE)
		r->promote_cmd = true;
}
