/*
 * route_decide.c - what to do with a new request, before any lookup
 * (RFC 3261 16.3 request validation, 16.4 route information preprocessing).
 *
 * Order: not ours at all (mode off, REGISTER, addressed to us); Proxy-Require
 * (420); Max-Forwards 0 (483); loop detection (482); then where it may go:
 * - in a dialog (To tag) with our Route on top: along the dialog, to the
 *   hop the signed token names for the sender's direction; a top Route that
 *   is ours but carries no valid token is refused (403);
 * - otherwise only to the bindings of a served AoR: a Route beyond ours
 *   (a pre-loaded route elsewhere) or a foreign domain is refused; sipreg is
 *   not an open relay.
 *
 * Loop detection (16.3 step 4): our branches carry a 32-bit keyed hash of
 * the request fields a loop leaves unchanged (Request-URI as received, From
 * tag, To tag, Call-ID, CSeq number). A request that comes back with one of
 * our Vias carrying the hash it would get again is a loop (482); one whose
 * hash differs (its Request-URI was retargeted) is a spiral and goes on.
 * The top Via is left out of the hash although 16.6 step 8 lists it: the
 * hop before us on the way back is another element, so with it no loop
 * through another proxy could ever be recognised.
 */
#include "route_internal.h"

#include <string.h>

static uint32_t loop_hash(const struct sr_route_shard *rs, const struct sr_route_req *rq)
{
	const struct sr_str parts[] = { rq->fwd.ruri, rq->txn.from_tag, rq->to_tag, rq->txn.call_id,
					sr_str_make((const char *)&rq->txn.cseq, sizeof(rq->txn.cseq)) };
	uint64_t key[2] = { rs->cfg.txn.secret[0] ^ 0x4c4f4f50ull /* "LOOP" */, rs->cfg.txn.secret[1] };
	return (uint32_t)sr_txn_hash_parts(key, parts, sizeof(parts) / sizeof(parts[0]));
}

static bool is_loop(const struct sr_route_req *rq, uint32_t hash)
{
	struct sr_txn_branch_info bi;
	unsigned n = rq->n_own_vias < SR_ROUTE_MAX_OWN_VIAS ? rq->n_own_vias : SR_ROUTE_MAX_OWN_VIAS;
	for (unsigned i = 0; i < n; i++)
		if (sr_txn_branch_parse(rq->own_via_branch[i], &bi) && bi.loop_hash == hash)
			return true;
	return false;
}

static void answer(struct sr_route_decision *d, int status, const char *reason)
{
	d->verdict = SR_ROUTE_V_ANSWER;
	d->status = status;
	d->reason = reason;
}

/* The next hop of an in-dialog request from our signed Record-Route token; false when it is not valid. */
static bool dialog_hop(const struct sr_route_shard *rs, const struct sr_route_req *rq, struct sr_txn_dest *dest)
{
	struct sr_txn_dest up, down;
	uint32_t ftag;
	if (!route_token_read(rs, rq->top_route_user, &up, &down, &ftag))
		return false;
	/* From the caller (its From tag): towards the callee's hop; from the callee: back to the caller's. */
	*dest = route_tag_hash(rs, rq->txn.from_tag) == ftag ? down : up;
	return true;
}

void sr_route_decide(const struct sr_route_shard *rs, const struct sr_route_req *rq, struct sr_route_decision *d)
{
	memset(d, 0, sizeof(*d));
	uint32_t m = sr_route_method_bit(rq->fwd.method);
	if (route_not_mine(rs, rq, m)) {
		d->verdict = SR_ROUTE_V_NOT_MINE;
		return;
	}
	d->loop_hash = loop_hash(rs, rq);
	if (rq->proxy_require_unknown.len)
		return answer(d, 420, "Bad Extension");
	if (rq->fwd.max_forwards_line.len && rq->fwd.max_forwards == 0)
		return answer(d, 483, "Too Many Hops");
	if (is_loop(rq, d->loop_hash))
		return answer(d, 482, "Loop Detected");

	if (rq->to_tag.len && rq->top_route_self) {
		if (!dialog_hop(rs, rq, &d->dest))
			return answer(d, 403, "Route Not Recorded Here");
		d->verdict = SR_ROUTE_V_DIALOG;
		d->route_skip = 1;
		return;
	}
	if (rq->to_tag.len && rq->ruri != SR_RURI_SERVED)
		return answer(d, 403, "Not Relaying"); /* in a dialog we are not on */
	if (rq->fwd.n_routes) {
		/* A Route other than ours, or more after ours, would make us relay elsewhere. */
		if (!rq->top_route_self || rq->fwd.n_routes > 1)
			return answer(d, 403, "Not Relaying");
		d->route_skip = 1;
	}
	if (rq->ruri != SR_RURI_SERVED)
		return answer(d, 404, "Domain Not Served Here");
	d->verdict = SR_ROUTE_V_LOOKUP;
}
