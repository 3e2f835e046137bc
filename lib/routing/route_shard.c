/*
 * route_shard.c - the routing shard: the worker's three entry points, and
 * the transaction user's callbacks that lead each transaction event to the
 * proxy context that owns it.
 *
 * A request goes through the transaction layer first, so retransmissions,
 * ACKs of our non-2xx answers and CANCELs are settled before any decision;
 * only a new request is decided on (sr_route_decide), looked up and then
 * redirected or proxied. Refusals are sent on the new server transaction so
 * that they, too, are retransmitted and absorbed as RFC 3261 17.2 says; only
 * when no transaction can be had is the answer stateless (503, 481, 400).
 */
#include "route_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SERVER_TAG UINT32_MAX

static void t_send(void *ctx, const struct sr_txn_dest *to, const char *bytes, size_t len)
{
	struct sr_route_shard *rs = ctx;
	rs->io.send(rs->io_ctx, to, bytes, len);
}

static void t_response(void *ctx, struct sr_txn *t, const struct sr_txn_resp *r)
{
	struct route_ctx *c = sr_txn_user(t);
	if (c && r->facts)
		route_on_response(ctx, c, sr_txn_user_tag(t), r->facts);
}

static void t_timeout(void *ctx, struct sr_txn *t, enum sr_txn_timeout which)
{
	struct route_ctx *c = sr_txn_user(t);
	if (c)
		route_on_timeout(ctx, c, sr_txn_user_tag(t) == SERVER_TAG ? SR_ROUTE_MAX_TARGETS : sr_txn_user_tag(t),
				 which);
}

static void t_terminated(void *ctx, struct sr_txn *t)
{
	struct route_ctx *c = sr_txn_user(t);
	if (c)
		route_on_terminated(ctx, c, t);
}

static size_t t_build(void *ctx, struct sr_txn *t, enum sr_txn_build what, const struct sr_txn_resp *resp,
		      char *buf, size_t cap)
{
	struct route_ctx *c = sr_txn_user(t);
	if (!c)
		return 0;
	return route_build(ctx, c, sr_txn_user_tag(t), what, resp ? resp->facts : NULL, buf, cap);
}

static const struct sr_txn_ops txn_ops = { t_send, t_response, t_timeout, t_terminated, t_build };

struct sr_route_shard *sr_route_shard_create(const struct sr_route_config *cfg, const struct sr_route_io *io,
					     void *ctx, uint64_t now_ms)
{
	if (!cfg || !io || !io->send || !io->lookup || cfg->contexts == 0 || cfg->self.len == 0 ||
	    cfg->self.len >= ROUTE_SELF_MAX)
		return NULL;
	struct sr_route_shard *rs = calloc(1, sizeof(*rs));
	if (!rs)
		return NULL;
	rs->cfg = *cfg;
	memcpy(rs->self, cfg->self.p, cfg->self.len);
	rs->cfg.self = sr_str_make(rs->self, cfg->self.len);
	if (!rs->cfg.default_q)
		rs->cfg.default_q = 1000;
	if (!rs->cfg.retry_after_s)
		rs->cfg.retry_after_s = 5;
	rs->io = *io;
	rs->io_ctx = ctx;
	rs->now_ms = now_ms;
	rs->txn = sr_txn_shard_create(&cfg->txn, &txn_ops, rs, now_ms);
	rs->ctxs = calloc(cfg->contexts, sizeof(*rs->ctxs));
	rs->free_stack = malloc(sizeof(uint32_t) * cfg->contexts);
	if (!rs->txn || !rs->ctxs || !rs->free_stack) {
		sr_route_shard_free(rs);
		return NULL;
	}
	for (uint32_t i = 0; i < cfg->contexts; i++) {
		rs->ctxs[i].idx = i;
		rs->free_stack[i] = cfg->contexts - 1 - i;
	}
	rs->free_top = cfg->contexts;
	return rs;
}

void sr_route_shard_free(struct sr_route_shard *rs)
{
	if (!rs)
		return;
	sr_txn_shard_free(rs->txn); /* the contexts' buffers live in its pool */
	free(rs->ctxs);
	free(rs->free_stack);
	free(rs);
}

const struct sr_route_stats *sr_route_stats(const struct sr_route_shard *rs)
{
	return &rs->stats;
}

struct sr_txn_shard *sr_route_txn(struct sr_route_shard *rs)
{
	return rs->txn;
}

unsigned sr_route_advance(struct sr_route_shard *rs, uint64_t now_ms, unsigned budget)
{
	rs->now_ms = now_ms;
	return sr_txn_advance(rs->txn, now_ms, budget);
}

int sr_route_response(struct sr_route_shard *rs, const struct sr_route_resp *rp, uint64_t now_ms)
{
	rs->now_ms = now_ms;
	struct sr_txn_resp r = rp->txn;
	r.facts = rp;
	return sr_txn_client_response(rs->txn, &r, now_ms);
}

/* Answers without a transaction (none could be had, or none exists). */
static void stateless(struct sr_route_shard *rs, const struct sr_route_req *rq, int status, const char *reason,
		      bool retry_after)
{
	char line[48], num[12];
	struct sr_str extra = SR_STR_NULL;
	if (retry_after) {
		int k = snprintf(num, sizeof(num), "%u", rs->cfg.retry_after_s);
		extra = sr_str_make(line, sr_fwd_header_line(line, sizeof(line), "Retry-After",
							      sr_str_make(num, (size_t)k)));
	}
	route_reply_req(rs, NULL, rq, status, reason, extra);
}

/* The ACK of a 2xx is its own transaction (17): forwarded statelessly along our Record-Route, or dropped. */
static void forward_ack(struct sr_route_shard *rs, const struct sr_route_req *rq)
{
	struct sr_route_decision d;
	sr_route_decide(rs, rq, &d);
	if (d.verdict != SR_ROUTE_V_DIALOG) {
		rs->stats.dropped++;
		return;
	}
	char branch[SR_TXN_BRANCH_LEN];
	sr_txn_branch_stateless(rs->txn, d.loop_hash, rq->txn.branch, branch);
	struct sr_fwd_branch br = {
		.sent_by = rs->cfg.self,
		.branch = sr_str_make(branch, sizeof(branch)),
		.route_skip = d.route_skip,
	};
	char *buf = sr_txn_scratch(rs->txn);
	size_t n = sr_fwd_request(buf, SR_BUF_LARGE_SIZE, &rq->fwd, &br);
	if (n == 0) {
		rs->stats.dropped++;
		return;
	}
	rs->stats.acks_forwarded++;
	rs->io.send(rs->io_ctx, &d.dest, buf, n);
}

static void redirect(struct sr_route_shard *rs, struct sr_txn *t, const struct sr_route_req *rq,
		     const struct sr_route_target *tg, unsigned n)
{
	struct sr_fwd_contact contacts[SR_ROUTE_MAX_TARGETS];
	unsigned nc = 0;
	for (unsigned i = 0; i < n; i++)
		if (tg[i].group != SR_ROUTE_ALTERNATE)
			contacts[nc++] = (struct sr_fwd_contact){ tg[i].ruri, tg[i].q, tg[i].expires_in,
								  tg[i].received.ip, tg[i].received.port };
	char tag[ROUTE_TAG_LEN];
	route_to_tag(rs, rq->txn.call_id, rq->txn.from_tag, rq->txn.cseq, tag);
	char *buf = sr_txn_scratch(rs->txn);
	size_t len = sr_fwd_redirect(buf, SR_BUF_LARGE_SIZE, 302, &rq->head, sr_str_make(tag, sizeof(tag)), contacts, nc);
	if (len == 0) {
		route_reply_req(rs, t, rq, 500, "Redirect Too Large", SR_STR_NULL);
		return;
	}
	rs->stats.redirects++;
	rs->stats.local[3]++;
	sr_txn_server_respond(rs->txn, t, 302, buf, len, rs->now_ms);
}

static void lookup(struct sr_route_shard *rs, struct sr_txn *t, const struct sr_route_req *rq,
		   const struct sr_route_decision *d)
{
	const struct sr_route_binding *b = NULL;
	bool user_known = false;
	struct sr_route_target tg[SR_ROUTE_MAX_TARGETS];
	unsigned filtered = 0;
	rs->stats.lookups++;
	unsigned nb = rs->io.lookup(rs->io_ctx, rq, &b, &user_known);
	unsigned n = sr_route_targets(rs, rq, b, nb, tg, SR_ROUTE_MAX_TARGETS, &filtered);
	rs->stats.filtered += filtered;
	if (n == 0 && filtered) {
		uint32_t accepted = sr_route_allow_refusal(rq, b, nb);
		if (accepted) { /* only the Allow filter stood in the way: 405 listing what they accept */
			char names[160], line[200];
			struct sr_str list = sr_str_make(names, sr_sip_method_text(accepted, names, sizeof(names)));
			rs->stats.method_refused++;
			route_reply_req(rs, t, rq, 405, NULL, sr_str_make(line, sr_fwd_header_line(line, sizeof(line), "Allow", list)));
			return;
		}
	}
	if (n == 0) {
		rs->stats.no_binding++;
		/* 480: a user without (usable) bindings; 404: a user we do not know, or a GRUU nobody holds. */
		bool unknown = (nb == 0 && !user_known) || (rq->gruu == SR_GRUU_TEMP && filtered == 0);
		route_reply_req(rs, t, rq, unknown ? 404 : 480, NULL, SR_STR_NULL);
		return;
	}
	if (rs->cfg.mode == SR_ROUTE_REDIRECT) {
		redirect(rs, t, rq, tg, n);
		return;
	}
	struct sr_push_binding pb[SR_ROUTE_MAX_TARGETS];
	for (unsigned i = 0; rs->cfg.push && i < n; i++)
		pb[i] = b[tg[i].binding].push; /* in target order, as the push decision wants them */
	route_proxy_start(rs, t, rq, d, tg, n, rs->cfg.push ? pb : NULL);
}

static void on_new(struct sr_route_shard *rs, struct sr_txn *t, const struct sr_route_req *rq)
{
	struct sr_route_decision d;
	sr_route_decide(rs, rq, &d);
	switch (d.verdict) {
	case SR_ROUTE_V_ANSWER: {
		if (d.status == 404)
			rs->stats.refused_foreign++;
		else if (d.status == 482)
			rs->stats.loops++;
		else if (d.status == 483)
			rs->stats.too_many_hops++;
		char line[256];
		struct sr_str extra = SR_STR_NULL;
		if (d.status == 420) /* 16.3 step 5: the tags we do not support */
			extra = sr_str_make(line, sr_fwd_header_line(line, sizeof(line), "Unsupported",
								      rq->proxy_require_unknown));
		route_reply_req(rs, t, rq, d.status, d.reason, extra);
		return;
	}
	case SR_ROUTE_V_DIALOG: {
		struct sr_route_target tg = { .dest = d.dest, .q = 1000 };
		rs->stats.in_dialog++;
		route_proxy_start(rs, t, rq, &d, &tg, 1, NULL);
		return;
	}
	case SR_ROUTE_V_LOOKUP:
		lookup(rs, t, rq, &d);
		return;
	default:
		route_reply_req(rs, t, rq, 500, NULL, SR_STR_NULL); /* cannot happen: NOT_MINE was checked first */
		return;
	}
}

int sr_route_request(struct sr_route_shard *rs, const struct sr_route_req *rq, uint64_t now_ms)
{
	uint32_t m = sr_route_method_bit(rq->fwd.method);
	if (route_not_mine(rs, rq, m))
		return SR_ROUTE_NOT_MINE;
	rs->now_ms = now_ms;
	rs->stats.requests++;
	struct sr_txn *t = NULL, *inv = NULL;
	int rc = sr_txn_server_request(rs->txn, &rq->txn, &rq->reply_to, now_ms, &t, &inv);
	switch (rc) {
	case SR_TXN_RX_NEW:
		on_new(rs, t, rq);
		break;
	case SR_TXN_RX_ABSORBED:
		break;
	case SR_TXN_RX_ACK:
		forward_ack(rs, rq);
		break;
	case SR_TXN_RX_CANCEL: {
		rs->stats.cancels++;
		route_reply_req(rs, t, rq, 200, NULL, SR_STR_NULL); /* 9.2: the CANCEL itself succeeds */
		struct route_ctx *c = sr_txn_user(inv);
		if (c)
			route_proxy_cancel(rs, c);
		break;
	}
	case SR_TXN_RX_CANCEL_NOMATCH:
		stateless(rs, rq, 481, NULL, false);
		break;
	case SR_TXN_E_POOL:
		rs->stats.exhausted++;
		if (m != SR_M_ACK)
			stateless(rs, rq, 503, NULL, true);
		break;
	default: /* SR_TXN_E_KEY */
		if (m != SR_M_ACK)
			stateless(rs, rq, 400, "Bad Via Branch Or Sent-By", false);
		else
			rs->stats.dropped++;
		break;
	}
	return SR_ROUTE_HANDLED;
}
