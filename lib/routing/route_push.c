/*
 * route_push.c - RFC 8599 for the forking proxy: a request whose targets
 * include sleeping push contacts is held for them (docs/PUSH.md, "Call
 * pushes", wiring step 6).
 *
 * Design decisions:
 * - The decision is lib/push's (sr_push_on_call, with the targets' push
 *   facts in target order); this file only acts on it: FORK as before;
 *   BUSY (every target needs a push and push.held is reached) is 503 with
 *   Retry-After; HOLD and FORK_WAIT start branches to the awake targets
 *   only and mark the context 'waiting', which keeps the best response from
 *   being sent while pushed devices may still join.
 * - A pushed target is never tried at its old address: it gets a branch
 *   when its device re-registers (sr_route_push_release), as a new target
 *   made of the new binding, whose strings the context keeps in its own
 *   buffer ('woken') because the branch may need them for a CANCEL or an
 *   ACK long after the REGISTER is gone.
 * - A waiting context holds one reference of its own, dropped when the
 *   wait ends: the last release, the deadline (sr_route_push_expired; with
 *   no branch at all the best response is 480), or the context stopping on
 *   a 2xx, a 6xx or a CANCEL (route_push_stop cancels the hold in lib/push
 *   first, so no callback can find the context gone).
 * - PURR (RFC 8599 section 5, the manual's pn_process_purr): an in-dialog
 *   request whose Request-URI carries one of our PURRs, naming a live push
 *   binding, is held the same way but without any branch: its one target
 *   (the dialog's hop, from our Record-Route token) is started when the
 *   binding re-registers or when refresh_timeout passes, whichever comes
 *   first (sr_route_push_purr_go). The glue finds the binding
 *   (io.purr); lib/push decides (sr_push_on_purr: SEND or HOLD).
 */
#include "route_internal.h"

#include <stdio.h>
#include <string.h>

/* Targets the decision did not fork now are not started by the groups: they wait for their device. */
static void park_pushed(struct route_ctx *c, uint32_t fork_mask)
{
	for (unsigned i = 0; i < c->n_targets; i++)
		if (!(fork_mask & (1u << i)))
			c->targets[i].group = SR_ROUTE_ALTERNATE;
}

bool route_push_plan(struct sr_route_shard *rs, struct route_ctx *c, struct sr_str aor,
		     const struct sr_push_binding *pb)
{
	struct sr_push_plan plan;
	uint32_t now_s = (uint32_t)(rs->now_ms / 1000);
	switch (sr_push_on_call(rs->cfg.push, c, aor, pb, c->n_targets, now_s, rs->now_ms, &plan)) {
	case SR_PUSH_CALL_FORK:
		return true;
	case SR_PUSH_CALL_BUSY:
		c->stop = true;
		route_note_final(rs, c, 503); /* ours, with Retry-After (send_best) */
		route_progress(rs, c);
		return false;
	case SR_PUSH_CALL_HOLD:
	case SR_PUSH_CALL_FORK_WAIT:
		break;
	}
	c->waiting = true;
	c->push_handle = plan.handle;
	c->refs++; /* the hold's: dropped when the wait ends */
	park_pushed(c, plan.fork_mask);
	return true; /* the caller starts the groups: the forked targets now, nothing for HOLD */
}

/* Ends the wait: no hold left in lib/push, the hold's reference goes after the best response may be sent. */
static void end_wait(struct sr_route_shard *rs, struct route_ctx *c)
{
	c->waiting = false;
	route_progress(rs, c);
	route_ctx_release(rs, c);
}

bool route_push_purr(struct sr_route_shard *rs, struct route_ctx *c, const struct sr_route_req *rq)
{
	struct sr_str aor;
	struct sr_push_binding pb;
	uint64_t handle;
	if (!rs->cfg.push || rq->purr.len == 0 || rq->to_tag.len == 0 || c->n_targets != 1 || !rs->io.purr ||
	    !rs->io.purr(rs->io_ctx, rq->purr, &aor, &pb))
		return true;
	uint32_t now_s = (uint32_t)(rs->now_ms / 1000);
	if (sr_push_on_purr(rs->cfg.push, c, aor, &pb, now_s, rs->now_ms, &handle) == SR_PUSH_PURR_SEND)
		return true;
	c->waiting = true;
	c->push_handle = handle;
	c->refs++; /* the hold's: dropped when the wait ends */
	return false;
}

void sr_route_push_purr_go(struct sr_route_shard *rs, void *req, uint64_t now_ms)
{
	struct route_ctx *c = req;
	if (!c->live || !c->waiting)
		return;
	rs->now_ms = now_ms;
	if (!c->stop && !c->final_sent)
		route_branch(rs, c, 0); /* the dialog's hop, as planned */
	end_wait(rs, c);
}

void route_push_stop(struct sr_route_shard *rs, struct route_ctx *c)
{
	if (!c->waiting)
		return;
	sr_push_cancel(rs->cfg.push, c->push_handle);
	c->waiting = false;
	route_ctx_release(rs, c); /* never the last reference: the caller holds one */
}

/* Appends binding b as a new target of c (its strings copied into c->woken); its index, or -1. */
static int add_woken(struct sr_route_shard *rs, struct route_ctx *c, const struct sr_route_binding *b)
{
	struct sr_route_target tg;
	if (c->n_targets == SR_ROUTE_MAX_TARGETS || !route_target_one(rs, b, &tg))
		return -1;
	size_t old = c->woken.len, len = old + tg.ruri.len + tg.route.len;
	char *buf = sr_txn_scratch(rs->txn);
	if (len > SR_BUF_LARGE_SIZE)
		return -1;
	if (old)
		memcpy(buf, c->woken.p, old);
	memcpy(buf + old, tg.ruri.p, tg.ruri.len);
	if (tg.route.len)
		memcpy(buf + old + tg.ruri.len, tg.route.p, tg.route.len);
	if (sr_buf_set(sr_txn_bufs(rs->txn), &c->woken, buf, len) != 0)
		return -1;
	/* the buffer may have moved: point every woken target into it again, in the order they were added */
	unsigned first = c->n_targets - c->n_woken;
	c->targets[c->n_targets] = tg;
	c->n_targets++;
	c->n_woken++;
	size_t pos = 0;
	for (unsigned i = first; i < c->n_targets; i++) {
		c->targets[i].ruri.p = c->woken.p + pos;
		pos += c->targets[i].ruri.len;
		c->targets[i].route.p = c->targets[i].route.len ? c->woken.p + pos : NULL;
		pos += c->targets[i].route.len;
	}
	c->targets[c->n_targets - 1].group = c->group;
	return (int)(c->n_targets - 1);
}

void sr_route_push_release(struct sr_route_shard *rs, void *req, const struct sr_route_binding *b, bool last,
			   uint64_t now_ms)
{
	struct route_ctx *c = req;
	if (!c->live || !c->waiting)
		return;
	rs->now_ms = now_ms;
	if (!c->stop && !c->final_sent) {
		int ti = add_woken(rs, c, b);
		if (ti < 0)
			route_note_final(rs, c, 480); /* woken, but no address or no room to try it: unavailable */
		else
			route_branch(rs, c, (unsigned)ti);
	}
	if (last)
		end_wait(rs, c);
}

void sr_route_push_expired(struct sr_route_shard *rs, void *req, uint64_t now_ms)
{
	struct route_ctx *c = req;
	if (!c->live || !c->waiting)
		return;
	rs->now_ms = now_ms;
	end_wait(rs, c); /* no branch: 480 (send_best's default) */
}
