/*
 * route_proxy.c - the stateful forking proxy (RFC 3261 16.6 to 16.10): one
 * context per proxied request, over one server transaction and a client
 * transaction per branch.
 *
 * Forking: the targets come sorted into q groups; the branches of a group
 * start together (parallel forking), and the next group starts only when
 * every branch of the current one has a final answer that is not a 2xx or
 * a 6xx (serial forking, highest q first).
 *
 * Responses (16.7): provisional ones other than 100 and every 2xx are
 * relayed at once (a 2xx also after our final response: RFC 6026); a 2xx
 * or a 6xx stops the forking and cancels the branches still pending, and
 * so does a CANCEL from the caller (16.10). Other finals are kept: the best
 * one (sr_route_better) is sent when no branch is left, with the
 * WWW-Authenticate and Proxy-Authenticate lines of the other 401/407
 * gathered into it (16.7 step 7). A branch that times out counts as 408; a
 * branch that could not even be sent (no transaction, no buffer) as 503; a
 * 430 Flow Failed tries the next flow of the same instance (RFC 5626) and
 * otherwise counts as 480; a 503 chosen as best goes up as 500 (16.7 step
 * 6). Timer C (in the transaction layer) makes a ringing branch that never
 * ends send its CANCEL (16.8).
 *
 * Memory: the context keeps one buffer with the request, the head of our
 * responses and the target strings, one with the best response so far, and
 * one with the gathered authenticate lines. It is freed when the last of
 * its transactions terminates, so no callback ever finds it gone.
 */
#include "route_internal.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define SERVER_TAG UINT32_MAX

static struct route_ctx *ctx_alloc(struct sr_route_shard *rs)
{
	if (rs->free_top == 0)
		return NULL;
	struct route_ctx *c = &rs->ctxs[rs->free_stack[--rs->free_top]];
	uint32_t idx = c->idx;
	memset(c, 0, offsetof(struct route_ctx, fwd));
	c->idx = idx;
	c->live = true;
	rs->stats.live_contexts++;
	return c;
}

static void ctx_unref(struct sr_route_shard *rs, struct route_ctx *c)
{
	if (--c->refs)
		return;
	struct sr_bufpool *bp = sr_txn_bufs(rs->txn);
	sr_buf_release(bp, &c->store);
	sr_buf_release(bp, &c->best);
	sr_buf_release(bp, &c->auth);
	sr_buf_release(bp, &c->woken);
	c->live = false;
	rs->free_stack[rs->free_top++] = c->idx;
	rs->stats.live_contexts--;
}

static bool pending(const struct route_ctx *c)
{
	for (unsigned i = 0; i < c->n_branches; i++)
		if (c->branches[i].state == BR_PENDING)
			return true;
	return false;
}

static void keep_best(struct sr_route_shard *rs, struct route_ctx *c, int s, const struct sr_route_resp *rp);

/* The writer's parameters of branch i (the Record-Route only when asked, with its token). */
static void branch_params(const struct sr_route_shard *rs, const struct route_ctx *c, const struct sr_txn *t,
			  unsigned i, struct sr_fwd_branch *br)
{
	const struct sr_route_target *tg = &c->targets[c->branches[i].target];
	*br = (struct sr_fwd_branch){
		.ruri = tg->ruri,
		.sent_by = sr_str_cstr(rs->self),
		.branch = sr_txn_branch(t),
		.route_first = tg->route,
		.route_skip = c->route_skip,
	};
}

/* Starts a branch to target ti; false when it could not be sent (the branch is then done with 503). */
static bool start_branch(struct sr_route_shard *rs, struct route_ctx *c, unsigned ti)
{
	if (c->n_branches == SR_ROUTE_MAX_TARGETS)
		return false;
	unsigned bi = c->n_branches++;
	struct route_branch *b = &c->branches[bi];
	const struct sr_route_target *tg = &c->targets[ti];
	*b = (struct route_branch){ NULL, (uint8_t)ti, BR_DONE, 503 };
	struct sr_txn *t;
	if (sr_txn_client_create(rs->txn, c->fwd.method, c->loop_hash, &tg->dest, &t) != SR_TXN_OK) {
		rs->stats.exhausted++;
		keep_best(rs, c, 503, NULL);
		return false;
	}
	sr_txn_set_user(t, c, bi);
	struct sr_fwd_branch br;
	branch_params(rs, c, t, bi, &br);
	char rr[ROUTE_TOKEN_LEN + ROUTE_SELF_MAX + 16];
	if (c->record_route) {
		/* sip:TOKEN@self;lr */
		size_t k = 0, sl = rs->cfg.self.len;
		memcpy(rr, "sip:", 4);
		k = 4 + route_token_write(rs, &c->source, &tg->dest, c->ftag_hash, rr + 4);
		rr[k++] = '@';
		memcpy(rr + k, rs->self, sl);
		k += sl;
		memcpy(rr + k, ";lr", 3);
		br.record_route = sr_str_make(rr, k + 3);
	}
	char *buf = sr_txn_scratch(rs->txn);
	size_t n = sr_fwd_request(buf, SR_BUF_LARGE_SIZE, &c->fwd, &br);
	if (n == 0) {
		sr_txn_client_abandon(rs->txn, t);
		keep_best(rs, c, 503, NULL);
		return false;
	}
	if (sr_txn_client_send(rs->txn, t, buf, n, rs->now_ms) != SR_TXN_OK) {
		rs->stats.exhausted++; /* no buffer; the transaction layer abandoned it */
		keep_best(rs, c, 503, NULL);
		return false;
	}
	b->txn = t;
	b->state = BR_PENDING;
	b->final = 0;
	c->refs++;
	rs->stats.branches++;
	return true;
}

static void start_group(struct sr_route_shard *rs, struct route_ctx *c)
{
	for (unsigned i = 0; i < c->n_targets; i++)
		if (c->targets[i].group == c->group)
			start_branch(rs, c, i);
}

/* Moves to the next q group; false when there is none. */
static bool next_group(struct route_ctx *c)
{
	unsigned next = SR_ROUTE_ALTERNATE;
	for (unsigned i = 0; i < c->n_targets; i++)
		if (c->targets[i].group > c->group && c->targets[i].group < next)
			next = c->targets[i].group;
	if (next == SR_ROUTE_ALTERNATE)
		return false;
	c->group = (uint16_t)next;
	return true;
}

static void cancel_pending(struct sr_route_shard *rs, struct route_ctx *c)
{
	if (!c->invite)
		return; /* only INVITE can be cancelled (9.1) */
	for (unsigned i = 0; i < c->n_branches; i++)
		if (c->branches[i].state == BR_PENDING && c->branches[i].txn)
			sr_txn_client_cancel(rs->txn, c->branches[i].txn, rs->now_ms);
}

/* Appends lines to the gathered authenticate lines (dropped when no buffer is left). */
static void gather_auth(struct sr_route_shard *rs, struct route_ctx *c, const struct sr_str *lines, unsigned n)
{
	char *buf = sr_txn_scratch(rs->txn);
	size_t len = c->auth.len;
	if (len)
		memcpy(buf, c->auth.p, len);
	for (unsigned i = 0; i < n; i++) {
		if (len + lines[i].len > SR_BUF_LARGE_SIZE)
			break;
		memcpy(buf + len, lines[i].p, lines[i].len);
		len += lines[i].len;
	}
	if (len != c->auth.len && sr_buf_set(sr_txn_bufs(rs->txn), &c->auth, buf, len) != 0)
		rs->stats.dropped++;
}

static void shift_str(struct sr_str *s, const char *from, const char *to)
{
	if (s->p)
		s->p = to + (s->p - from);
}

/* Keeps final response s (rp NULL: one of ours, 408/480/503) if it beats the best so far (16.7 step 6). */
static void keep_best(struct sr_route_shard *rs, struct route_ctx *c, int s, const struct sr_route_resp *rp)
{
	int rank_as = s == 430 ? 480 : s;
	bool auth = s == 401 || s == 407;
	if (!sr_route_better(rank_as, c->best_status)) {
		if (rp && auth)
			gather_auth(rs, c, rp->auth, rp->n_auth);
		return;
	}
	/* The old best's authenticate lines now belong with the others. */
	if (c->best.p && (c->best_status == 401 || c->best_status == 407))
		gather_auth(rs, c, c->best_auth, c->best_n_auth);
	struct sr_bufpool *bp = sr_txn_bufs(rs->txn);
	c->best_status = rank_as;
	if (!rp || s == 430 || sr_buf_set(bp, &c->best, rp->txn.bytes, rp->txn.len) != 0) {
		sr_buf_release(bp, &c->best); /* ours to write (or no room to keep theirs: ours instead) */
		return;
	}
	c->best_fwd = rp->fwd;
	shift_str(&c->best_fwd.msg, rp->txn.bytes, c->best.p);
	shift_str(&c->best_fwd.top_via_line, rp->txn.bytes, c->best.p);
	shift_str(&c->best_fwd.top_via, rp->txn.bytes, c->best.p);
	c->best_n_auth = rp->n_auth < SR_ROUTE_MAX_AUTH ? rp->n_auth : SR_ROUTE_MAX_AUTH;
	for (unsigned i = 0; i < c->best_n_auth; i++) {
		c->best_auth[i] = rp->auth[i];
		shift_str(&c->best_auth[i], rp->txn.bytes, c->best.p);
	}
}

static void reply_own(struct sr_route_shard *rs, struct route_ctx *c, int status)
{
	char ra[48];
	struct sr_str extra = SR_STR_NULL;
	if (status == 503) {
		char num[12];
		int k = snprintf(num, sizeof(num), "%u", rs->cfg.retry_after_s);
		extra = sr_str_make(ra, sr_fwd_header_line(ra, sizeof(ra), "Retry-After", sr_str_make(num, (size_t)k)));
	}
	char tag[ROUTE_TAG_LEN];
	route_to_tag(rs, c->fwd.call_id, c->from_tag, c->fwd.cseq, tag);
	route_reply(rs, c->server, &c->reply_to, &c->head, sr_str_make(tag, sizeof(tag)), status, NULL, extra);
}

/* 16.7 step 6: no branch left and nothing final sent: the best response goes up. */
static void send_best(struct sr_route_shard *rs, struct route_ctx *c)
{
	c->final_sent = true;
	if (!c->server)
		return;
	int s = c->best_status ? c->best_status : 480;
	if (!c->best.p || s == 503) {
		reply_own(rs, c, s == 503 && c->best.p ? 500 : s);
		return;
	}
	char *buf = sr_txn_scratch(rs->txn);
	size_t n = sr_fwd_response(buf, SR_BUF_LARGE_SIZE, &c->best_fwd, sr_str_make(c->auth.p, c->auth.len));
	if (n == 0) {
		reply_own(rs, c, s);
		return;
	}
	rs->stats.relayed++;
	sr_txn_server_respond(rs->txn, c->server, s, buf, n, rs->now_ms);
}

/* After any branch event: start the next group or send the best response when nothing is pending. */
static void progress(struct sr_route_shard *rs, struct route_ctx *c)
{
	while (!pending(c) && !c->final_sent) {
		if (c->stop || !next_group(c)) {
			if (!c->waiting) /* RFC 8599: pushed devices may still join (route_push.c) */
				send_best(rs, c);
			return;
		}
		start_group(rs, c);
	}
}

/* Relays response rp upstream now (provisional, 2xx). */
static void relay(struct sr_route_shard *rs, struct route_ctx *c, const struct sr_route_resp *rp)
{
	char *buf = sr_txn_scratch(rs->txn);
	size_t n = sr_fwd_response(buf, SR_BUF_LARGE_SIZE, &rp->fwd, SR_STR_NULL);
	int s = rp->txn.status;
	if (n == 0) {
		rs->stats.dropped++;
		return;
	}
	rs->stats.relayed++;
	if (c->server && sr_txn_server_respond(rs->txn, c->server, s, buf, n, rs->now_ms) != SR_TXN_E_STATE)
		return;
	/* No server transaction to carry it (gone, or a final already sent): a 2xx to INVITE still goes (16.7 step 5). */
	if (c->invite && s >= 200 && s < 300)
		rs->io.send(rs->io_ctx, &c->reply_to, buf, n);
}

void route_on_response(struct sr_route_shard *rs, struct route_ctx *c, unsigned bi, const struct sr_route_resp *rp)
{
	if (bi >= c->n_branches)
		return;
	struct route_branch *b = &c->branches[bi];
	int s = rp->txn.status;
	if (s < 200) {
		if (s > 100 && !c->final_sent)
			relay(rs, c, rp);
		return;
	}
	if (s < 300) {
		relay(rs, c, rp);
		c->final_sent = true;
		b->state = BR_DONE;
		b->final = (uint16_t)s;
		if (!c->stop) {
			c->stop = true;
			cancel_pending(rs, c); /* 16.7 step 10 */
			route_push_stop(rs, c);
		}
		return;
	}
	if (b->state != BR_PENDING)
		return;
	b->state = BR_DONE;
	b->final = (uint16_t)s;
	const struct sr_route_target *tg = &c->targets[b->target];
	if (s == 430 && tg->alt != SR_ROUTE_NO_ALT && !c->stop && start_branch(rs, c, tg->alt))
		return; /* RFC 5626: the next flow of the same instance */
	keep_best(rs, c, s, rp);
	if (s >= 600 && !c->stop) {
		c->stop = true; /* 16.7 step 5: a 6xx ends the forking */
		cancel_pending(rs, c);
		route_push_stop(rs, c);
	}
	progress(rs, c);
}

void route_on_timeout(struct sr_route_shard *rs, struct route_ctx *c, unsigned bi, enum sr_txn_timeout w)
{
	if (bi >= c->n_branches)
		return; /* the server transaction's Timer H: nothing to do but wait for its end */
	struct route_branch *b = &c->branches[bi];
	if (w == SR_TXN_TIMER_C) {
		if (b->txn)
			sr_txn_client_cancel(rs->txn, b->txn, rs->now_ms); /* 16.8 */
		return;
	}
	if (b->state != BR_PENDING)
		return;
	b->state = BR_DONE;
	b->final = 408;
	keep_best(rs, c, 408, NULL);
	progress(rs, c);
}

void route_on_terminated(struct sr_route_shard *rs, struct route_ctx *c, struct sr_txn *t)
{
	if (t == c->server) {
		c->server = NULL;
	} else {
		for (unsigned i = 0; i < c->n_branches; i++) {
			struct route_branch *b = &c->branches[i];
			if (b->txn != t)
				continue;
			b->txn = NULL;
			if (b->state == BR_PENDING) { /* ended without a final or a timeout: count it as one */
				b->state = BR_DONE;
				b->final = 408;
				keep_best(rs, c, 408, NULL);
				c->refs++; /* keep the context through progress() */
				progress(rs, c);
				c->refs--;
			}
		}
	}
	ctx_unref(rs, c);
}

size_t route_build(struct sr_route_shard *rs, struct route_ctx *c, unsigned bi, enum sr_txn_build what,
		   const struct sr_route_resp *rp, char *buf, size_t cap)
{
	if (bi >= c->n_branches || !c->branches[bi].txn)
		return 0;
	struct sr_fwd_branch br;
	branch_params(rs, c, c->branches[bi].txn, bi, &br);
	if (what == SR_TXN_BUILD_CANCEL)
		return sr_fwd_cancel(buf, cap, &c->fwd, &br);
	return rp ? sr_fwd_ack(buf, cap, &c->fwd, &br, rp->to) : 0;
}

void route_proxy_cancel(struct sr_route_shard *rs, struct route_ctx *c)
{
	if (c->final_sent)
		return;
	c->stop = true;
	cancel_pending(rs, c);
	c->refs++; /* the hold's reference may go in route_push_stop */
	if (c->waiting && c->n_branches == 0)
		keep_best(rs, c, 487, NULL); /* held without a branch: nobody else will say Request Terminated */
	route_push_stop(rs, c);
	progress(rs, c);
	ctx_unref(rs, c);
}

/* Copies the request, the head and the target strings into one buffer of the context. */
static bool keep_request(struct sr_route_shard *rs, struct route_ctx *c, const struct sr_route_req *rq,
			 const struct sr_route_target *targets, unsigned n)
{
	const struct sr_str *parts[1 + 1 + 2 * SR_ROUTE_MAX_TARGETS];
	size_t offs[1 + 1 + 2 * SR_ROUTE_MAX_TARGETS], len = 0;
	unsigned np = 0;
	parts[np++] = &rq->fwd.msg;
	parts[np++] = &rq->head.lines;
	for (unsigned i = 0; i < n; i++) {
		parts[np++] = &targets[i].ruri;
		parts[np++] = &targets[i].route;
	}
	for (unsigned i = 0; i < np; i++) {
		offs[i] = len;
		len += parts[i]->len;
	}
	char *p = sr_buf_reserve(sr_txn_bufs(rs->txn), &c->store, len);
	if (!p)
		return false;
	for (unsigned i = 0; i < np; i++)
		if (parts[i]->len)
			memcpy(p + offs[i], parts[i]->p, parts[i]->len);
	c->fwd = rq->fwd;
	sr_fwd_req_rebase(&c->fwd, rq->fwd.msg.p, p);
	c->from_tag = rq->txn.from_tag; /* a range inside the message: moves with it */
	if (c->from_tag.p >= rq->fwd.msg.p && c->from_tag.p + c->from_tag.len <= rq->fwd.msg.p + rq->fwd.msg.len)
		c->from_tag.p = p + (c->from_tag.p - rq->fwd.msg.p);
	else
		c->from_tag = SR_STR_NULL;
	c->head = rq->head;
	c->head.lines.p = p + offs[1];
	for (unsigned i = 0; i < n; i++) {
		c->targets[i] = targets[i];
		c->targets[i].ruri.p = p + offs[2 + 2 * i];
		c->targets[i].route.p = p + offs[3 + 2 * i];
	}
	c->n_targets = (uint8_t)n;
	return true;
}

void route_proxy_start(struct sr_route_shard *rs, struct sr_txn *server, const struct sr_route_req *rq,
		       const struct sr_route_decision *d, const struct sr_route_target *targets, unsigned n,
		       const struct sr_push_binding *pb)
{
	struct route_ctx *c = ctx_alloc(rs);
	if (n > SR_ROUTE_MAX_TARGETS)
		n = SR_ROUTE_MAX_TARGETS;
	if (!c || !keep_request(rs, c, rq, targets, n)) {
		if (c) {
			c->refs = 1;
			ctx_unref(rs, c);
		}
		rs->stats.exhausted++;
		char ra[48], num[12];
		int k = snprintf(num, sizeof(num), "%u", rs->cfg.retry_after_s);
		size_t l = sr_fwd_header_line(ra, sizeof(ra), "Retry-After", sr_str_make(num, (size_t)k));
		route_reply_req(rs, server, rq, 503, NULL, sr_str_make(ra, l));
		return;
	}
	uint32_t m = sr_route_method_bit(rq->fwd.method);
	c->invite = m == SR_M_INVITE;
	/* Only dialog-creating requests are record-routed; an in-dialog one keeps the route set it has. */
	c->record_route = rs->cfg.record_route && rq->to_tag.len == 0 &&
			  (m & (SR_M_INVITE | SR_M_SUBSCRIBE | SR_M_REFER | SR_M_NOTIFY));
	c->loop_hash = d->loop_hash;
	c->route_skip = (uint8_t)d->route_skip;
	c->reply_to = rq->reply_to;
	c->source = rq->source;
	if (c->record_route)
		c->ftag_hash = route_tag_hash(rs, rq->txn.from_tag);
	c->server = server;
	c->refs = 1;
	sr_txn_set_user(server, c, SERVER_TAG);
	rs->stats.forwarded++;
	if (c->invite)
		reply_own(rs, c, 100); /* 17.2.1: quench the caller's retransmissions now */
	c->refs++; /* hold the context while the first group starts (a branch may end at once) */
	if (pb ? route_push_plan(rs, c, rq->aor, pb) : route_push_purr(rs, c, rq)) {
		start_group(rs, c);
		progress(rs, c);
	}
	ctx_unref(rs, c);
}

/* --- for route_push.c --- */

bool route_branch(struct sr_route_shard *rs, struct route_ctx *c, unsigned ti)
{
	return start_branch(rs, c, ti);
}

void route_progress(struct sr_route_shard *rs, struct route_ctx *c)
{
	progress(rs, c);
}

void route_ctx_release(struct sr_route_shard *rs, struct route_ctx *c)
{
	ctx_unref(rs, c);
}

void route_note_final(struct sr_route_shard *rs, struct route_ctx *c, int status)
{
	keep_best(rs, c, status, NULL);
}
