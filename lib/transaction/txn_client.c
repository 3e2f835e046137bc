/*
 * txn_client.c - client transactions (RFC 3261 17.1, RFC 6026).
 *
 * INVITE: Calling (Timer A re-sends over UDP, doubling without a cap as
 * 17.1.1.2 says; Timer B gives up after 64*T1) -> 1xx: Proceeding (Timer C
 * of the proxy, 16.6 step 11, reset by every provisional) -> 2xx: Accepted
 * (Timer M: later 2xx from other forks still go up, RFC 6026) | 300-699:
 * Completed (the ACK is sent and kept, and re-sent for every retransmitted
 * final response until Timer D).
 * Non-INVITE: Trying (Timer E doubling up to T2, Timer F gives up) -> 1xx:
 * Proceeding (E at T2) -> final: Completed (Timer K absorbs copies).
 *
 * Timer C lives here rather than in the proxy because it is one more
 * lifetime of the same transaction: in Calling Timer B (32 s) always comes
 * first, so one lifetime node carries B in Calling and C in Proceeding. When
 * C fires the TU is told (it sends a CANCEL, 16.8) and the transaction then
 * waits at most 64*T1 for the 487 before it gives up like Timer B: a dead
 * callee never pins a transaction.
 *
 * CANCEL (9.1): sent as its own non-INVITE client transaction with the
 * INVITE's branch, only once a provisional response has arrived; asked
 * earlier, it is remembered and sent with the first provisional response.
 * Responses to our CANCELs are not the TU's business (user NULL).
 */
#include "txn_internal.h"

#include <string.h>

static const struct sr_str M_INVITE = SR_STR_LIT("INVITE");
static const struct sr_str M_CANCEL = SR_STR_LIT("CANCEL");

static struct sr_txn *client_new(struct sr_txn_shard *ts, struct sr_str method, struct sr_str branch,
				 const struct sr_txn_dest *to)
{
	char key[SR_TXN_KEY_MAX];
	uint8_t boff;
	size_t kl = txn_key(key, 'C', method, branch, SR_STR_NULL, &boff);
	if (!kl)
		return NULL;
	struct sr_txn *t = txn_alloc(ts);
	if (!t)
		return NULL;
	memcpy(t->key, key, kl);
	t->key_len = (uint16_t)kl;
	t->hash = txn_key_hash(ts, key, kl);
	t->branch_off = boff;
	t->branch_len = (uint8_t)branch.len;
	t->flags = TF_CLIENT | (sr_str_eq(method, M_INVITE) ? TF_INVITE : 0);
	t->state = (t->flags & TF_INVITE) ? SR_TXN_CALLING : SR_TXN_TRYING;
	t->peer = *to;
	txn_table_insert(ts, t);
	ts->stats.client_created++;
	return t;
}

int sr_txn_client_create(struct sr_txn_shard *ts, struct sr_str method, uint32_t loop_hash,
			 const struct sr_txn_dest *to, struct sr_txn **t)
{
	char branch[SR_TXN_BRANCH_LEN];
	*t = NULL;
	if (method.len == 0 || method.len + SR_TXN_BRANCH_LEN + 2 > SR_TXN_KEY_MAX)
		return SR_TXN_E_KEY;
	if (sr_str_eq(method, M_INVITE) && !ts->ops.build)
		return SR_TXN_E_STATE; /* an INVITE needs the TU to write its ACK and CANCEL */
	sr_txn_branch_write(ts->cfg.secret, ts->cfg.worker, loop_hash, ++ts->counter, branch);
	*t = client_new(ts, method, sr_str_make(branch, sizeof(branch)), to);
	return *t ? SR_TXN_OK : SR_TXN_E_POOL;
}

void sr_txn_client_abandon(struct sr_txn_shard *ts, struct sr_txn *t)
{
	txn_release(ts, t);
}

int sr_txn_client_send(struct sr_txn_shard *ts, struct sr_txn *t, const char *bytes, size_t len,
		       uint64_t now_ms)
{
	if (!(t->flags & TF_CLIENT) || (t->flags & TF_SENT))
		return SR_TXN_E_STATE;
	if (sr_buf_set(&ts->bufs, &t->msg, bytes, len) != 0) {
		ts->stats.buf_exhausted++;
		txn_release(ts, t);
		return SR_TXN_E_BUF;
	}
	t->flags |= TF_SENT;
	txn_send_kept(ts, t, false);
	if (!txn_reliable(t)) {
		t->retx_ms = ts->cfg.t1_ms;
		txn_arm(ts, &t->retx, now_ms, t->retx_ms); /* Timer A or E */
	}
	/* Timer B, or F (sr_txn_config.timer_f_ms when set) */
	txn_arm(ts, &t->life, now_ms, (t->flags & TF_INVITE) || !ts->cfg.timer_f_ms ? txn_64t1(ts) : ts->cfg.timer_f_ms);
	return SR_TXN_OK;
}

/* Starts the CANCEL of INVITE client transaction inv. */
static int send_cancel(struct sr_txn_shard *ts, struct sr_txn *inv, uint64_t now_ms)
{
	size_t n = ts->ops.build(ts->ctx, inv, SR_TXN_BUILD_CANCEL, NULL, ts->scratch, SR_BUF_LARGE_SIZE);
	if (n == 0)
		return SR_TXN_E_BUF;
	struct sr_txn *c = client_new(ts, M_CANCEL, sr_txn_branch(inv), &inv->peer);
	if (!c)
		return SR_TXN_E_POOL;
	int rc = sr_txn_client_send(ts, c, ts->scratch, n, now_ms);
	if (rc != SR_TXN_OK)
		return rc;
	inv->flags |= TF_CANCEL_SENT;
	return SR_TXN_CANCEL_SENT;
}

int sr_txn_client_cancel(struct sr_txn_shard *ts, struct sr_txn *t, uint64_t now_ms)
{
	if ((t->flags & (TF_CLIENT | TF_INVITE)) != (TF_CLIENT | TF_INVITE) || !(t->flags & TF_SENT))
		return SR_TXN_CANCEL_NOTHING;
	if (t->state == SR_TXN_CALLING) {
		t->flags |= TF_CANCEL_PENDING;
		return SR_TXN_CANCEL_DEFERRED;
	}
	if (t->state != SR_TXN_PROCEEDING || (t->flags & TF_CANCEL_SENT))
		return SR_TXN_CANCEL_NOTHING;
	return send_cancel(ts, t, now_ms);
}

static void pass_up(struct sr_txn_shard *ts, struct sr_txn *t, const struct sr_txn_resp *r)
{
	if (t->user && ts->ops.response)
		ts->ops.response(ts->ctx, t, r);
}

/* A 300-699 final response in Calling or Proceeding: ACK it, keep the ACK, wait out copies (Timer D). */
static void invite_failed(struct sr_txn_shard *ts, struct sr_txn *t, const struct sr_txn_resp *r,
			  uint64_t now_ms)
{
	t->state = SR_TXN_COMPLETED;
	txn_disarm(ts, &t->retx);
	size_t n = ts->ops.build(ts->ctx, t, SR_TXN_BUILD_ACK, r, ts->scratch, SR_BUF_LARGE_SIZE);
	if (n == 0 || sr_buf_set(&ts->bufs, &t->msg, ts->scratch, n) != 0) {
		ts->stats.buf_exhausted++;
		sr_buf_release(&ts->bufs, &t->msg); /* the downstream will retransmit; nothing to answer with */
	} else {
		txn_send_kept(ts, t, false);
	}
	uint32_t d = txn_64t1(ts) > 32000 ? txn_64t1(ts) : 32000; /* Timer D: at least 32 s */
	if (!txn_reliable(t))
		txn_arm(ts, &t->life, now_ms, d);
	pass_up(ts, t, r);
	if (txn_reliable(t))
		txn_terminate(ts, t);
}

static void invite_response(struct sr_txn_shard *ts, struct sr_txn *t, const struct sr_txn_resp *r,
			    uint64_t now_ms)
{
	int s = r->status;
	switch (t->state) {
	case SR_TXN_CALLING:
	case SR_TXN_PROCEEDING:
		if (s < 200) {
			bool first = t->state == SR_TXN_CALLING;
			t->state = SR_TXN_PROCEEDING;
			txn_disarm(ts, &t->retx);
			/* Timer C starts with the first provisional and is reset by every one but 100 (16.7 step 2). */
			if (first || s > 100) {
				t->flags &= (uint8_t)~TF_TIMER_C_FIRED;
				txn_arm(ts, &t->life, now_ms, ts->cfg.timer_c_ms);
			}
			if (first && (t->flags & TF_CANCEL_PENDING)) {
				t->flags &= (uint8_t)~TF_CANCEL_PENDING;
				send_cancel(ts, t, now_ms);
			}
			pass_up(ts, t, r);
		} else if (s < 300) {
			t->state = SR_TXN_ACCEPTED;
			txn_disarm(ts, &t->retx);
			txn_arm(ts, &t->life, now_ms, txn_64t1(ts)); /* Timer M */
			pass_up(ts, t, r);
		} else {
			invite_failed(ts, t, r, now_ms);
		}
		return;
	case SR_TXN_COMPLETED:
		if (s >= 300) {
			ts->stats.absorbed++;
			txn_send_kept(ts, t, true); /* the ACK again */
		}
		return;
	case SR_TXN_ACCEPTED:
		if (s >= 200 && s < 300)
			pass_up(ts, t, r); /* a 2xx retransmission or another fork's 2xx: the proxy forwards it */
		return;
	default:
		return;
	}
}

static void non_invite_response(struct sr_txn_shard *ts, struct sr_txn *t, const struct sr_txn_resp *r,
				uint64_t now_ms)
{
	if (t->state == SR_TXN_COMPLETED) {
		ts->stats.absorbed++;
		return;
	}
	if (r->status < 200) {
		t->state = SR_TXN_PROCEEDING;
		pass_up(ts, t, r);
		return;
	}
	t->state = SR_TXN_COMPLETED;
	txn_disarm(ts, &t->retx);
	if (!txn_reliable(t))
		txn_arm(ts, &t->life, now_ms, ts->cfg.t4_ms); /* Timer K */
	pass_up(ts, t, r);
	if (txn_reliable(t))
		txn_terminate(ts, t);
}

int sr_txn_client_response(struct sr_txn_shard *ts, const struct sr_txn_resp *r, uint64_t now_ms)
{
	char key[SR_TXN_KEY_MAX];
	uint8_t boff;
	size_t kl = txn_key(key, 'C', r->cseq_method, r->branch, SR_STR_NULL, &boff);
	struct sr_txn *t = kl ? txn_table_find(ts, key, kl, txn_key_hash(ts, key, kl)) : NULL;
	if (!t || !(t->flags & TF_SENT) || r->status < 100 || r->status > 699) {
		ts->stats.stray_responses++;
		return 0;
	}
	t->status = (uint16_t)r->status;
	if (t->flags & TF_INVITE)
		invite_response(ts, t, r, now_ms);
	else
		non_invite_response(ts, t, r, now_ms);
	return 1;
}

void txn_client_timer(struct sr_txn_shard *ts, struct sr_txn *t, bool retx, uint64_t now_ms)
{
	bool invite = t->flags & TF_INVITE;
	if (retx) {
		if (invite && t->state == SR_TXN_CALLING) {
			t->retx_ms *= 2; /* Timer A: doubles, no cap (17.1.1.2); Timer B ends it after 7 sends */
		} else if (!invite && t->state == SR_TXN_TRYING) {
			t->retx_ms = 2 * t->retx_ms < ts->cfg.t2_ms ? 2 * t->retx_ms : ts->cfg.t2_ms;
		} else if (!invite && t->state == SR_TXN_PROCEEDING) {
			t->retx_ms = ts->cfg.t2_ms;
		} else {
			return;
		}
		txn_send_kept(ts, t, true);
		txn_arm(ts, &t->retx, now_ms, t->retx_ms);
		return;
	}
	if (invite && t->state == SR_TXN_PROCEEDING && !(t->flags & TF_TIMER_C_FIRED)) {
		/* Timer C: the TU cancels the branch; the transaction then waits 64*T1 at most for the answer. */
		t->flags |= TF_TIMER_C_FIRED;
		txn_arm(ts, &t->life, now_ms, txn_64t1(ts));
		if (ts->ops.timeout && t->user)
			ts->ops.timeout(ts->ctx, t, SR_TXN_TIMER_C);
		return;
	}
	bool waiting = t->state == SR_TXN_CALLING || t->state == SR_TXN_TRYING || t->state == SR_TXN_PROCEEDING;
	if (waiting) {
		ts->stats.timeouts++; /* B, F, or the wait after Timer C */
		if (ts->ops.timeout && t->user)
			ts->ops.timeout(ts->ctx, t, invite ? SR_TXN_TIMER_B : SR_TXN_TIMER_F);
	}
	txn_terminate(ts, t); /* or D, K, M */
}
