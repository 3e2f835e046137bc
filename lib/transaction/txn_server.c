/*
 * txn_server.c - server transactions (RFC 3261 17.2, RFC 6026).
 *
 * INVITE: Proceeding -> (1xx sent: Proceeding) -> 2xx sent: Accepted (Timer
 * L absorbs retransmitted INVITEs, later 2xx still go out) | 300-699 sent:
 * Completed (Timer G re-sends the final response over UDP, doubling up to
 * T2; Timer H gives up) -> ACK: Confirmed (Timer I absorbs ACK copies).
 * Non-INVITE: Trying -> 1xx: Proceeding -> final: Completed (Timer J).
 *
 * Retransmitted requests are absorbed here and never reach the TU: in
 * Proceeding the last provisional response is sent again, in Completed the
 * final one; in Trying, Confirmed and Accepted they are dropped silently
 * (17.2.2, 17.2.1, RFC 6026 8.4).
 *
 * A CANCEL is its own non-INVITE server transaction, matched to the INVITE
 * server transaction with the same key but method INVITE (17.2.3, 9.2).
 */
#include "txn_internal.h"

#include <string.h>

static const struct sr_str M_INVITE = SR_STR_LIT("INVITE");
static const struct sr_str M_ACK = SR_STR_LIT("ACK");
static const struct sr_str M_CANCEL = SR_STR_LIT("CANCEL");

#define COOKIE "z9hG4bK"

/* The RFC 2543 stand-in for a branch: a keyed hash of the fields that identify the transaction. */
static struct sr_str branch_2543(const struct sr_txn_shard *ts, const struct sr_txn_req *rq, char out[21])
{
	const struct sr_str parts[] = { rq->ruri, rq->from_tag, rq->call_id, rq->top_via,
					sr_str_make((const char *)&rq->cseq, sizeof(rq->cseq)) };
	uint64_t k[2] = { ts->cfg.secret[0] ^ 0x2543, ts->cfg.secret[1] };
	memcpy(out, "2543-", 5);
	sr_txn_hex(out + 5, sr_txn_hash_parts(k, parts, 5), 16);
	return sr_str_make(out, 21);
}

/* A server transaction key and where the branch sits in it. */
struct skey {
	char k[SR_TXN_KEY_MAX];
	size_t len;
	uint64_t hash;
	uint8_t boff;
	size_t blen;
	char tmp[21]; /* the RFC 2543 stand-in branch */
};

/* Builds the key of rq under 'method' (ACK and CANCEL look up the INVITE with it); false when there is none. */
static bool server_key(const struct sr_txn_shard *ts, const struct sr_txn_req *rq, struct sr_str method,
		       struct skey *k)
{
	struct sr_str branch = rq->branch;
	if (rq->branch.len < sizeof(COOKIE) - 1 || memcmp(rq->branch.p, COOKIE, sizeof(COOKIE) - 1) != 0) {
		if (sr_str_empty(rq->call_id))
			return false;
		branch = branch_2543(ts, rq, k->tmp);
	}
	if (sr_str_empty(rq->sent_by))
		return false;
	k->len = txn_key(k->k, 'S', method, branch, rq->sent_by, &k->boff);
	k->blen = branch.len;
	if (!k->len)
		return false;
	k->hash = txn_key_hash(ts, k->k, k->len);
	return true;
}

static void absorb(struct sr_txn_shard *ts, struct sr_txn *t)
{
	ts->stats.absorbed++;
	bool resend = (t->state == SR_TXN_PROCEEDING && t->status) || t->state == SR_TXN_COMPLETED;
	if (resend)
		txn_send_kept(ts, t, true);
}

static struct sr_txn *server_new(struct sr_txn_shard *ts, const struct skey *k, bool invite,
				 const struct sr_txn_dest *reply_to)
{
	struct sr_txn *t = txn_alloc(ts);
	if (!t)
		return NULL;
	memcpy(t->key, k->k, k->len);
	t->key_len = (uint16_t)k->len;
	t->hash = k->hash;
	t->branch_off = k->boff;
	t->branch_len = (uint8_t)k->blen;
	t->flags = invite ? TF_INVITE : 0;
	t->state = invite ? SR_TXN_PROCEEDING : SR_TXN_TRYING;
	t->peer = *reply_to;
	txn_table_insert(ts, t);
	ts->stats.server_created++;
	return t;
}

static int on_ack(struct sr_txn_shard *ts, struct sr_txn *inv, uint64_t now_ms, struct sr_txn **t)
{
	if (!inv)
		return SR_TXN_RX_ACK; /* the ACK of a 2xx, a transaction of its own (17): the TU forwards it */
	switch (inv->state) {
	case SR_TXN_COMPLETED:
		txn_disarm(ts, &inv->retx);
		inv->state = SR_TXN_CONFIRMED;
		ts->stats.absorbed++;
		if (txn_reliable(inv))
			txn_terminate(ts, inv);
		else
			txn_arm(ts, &inv->life, now_ms, ts->cfg.t4_ms); /* Timer I */
		return SR_TXN_RX_ABSORBED;
	case SR_TXN_ACCEPTED:
		*t = inv; /* RFC 6026 8.3: an ACK in Accepted goes to the TU */
		return SR_TXN_RX_ACK;
	default:
		ts->stats.absorbed++; /* Confirmed: a retransmitted ACK; Proceeding: an ACK before any final, dropped */
		return SR_TXN_RX_ABSORBED;
	}
}

int sr_txn_server_request(struct sr_txn_shard *ts, const struct sr_txn_req *rq,
			  const struct sr_txn_dest *reply_to, uint64_t now_ms, struct sr_txn **t,
			  struct sr_txn **invite)
{
	struct skey k;
	struct sr_txn *inv = NULL;
	*t = NULL;
	if (invite)
		*invite = NULL;

	bool is_ack = sr_str_eq(rq->method, M_ACK), is_cancel = sr_str_eq(rq->method, M_CANCEL);
	if (is_ack || is_cancel) {
		if (!server_key(ts, rq, M_INVITE, &k))
			return SR_TXN_E_KEY;
		inv = txn_table_find(ts, k.k, k.len, k.hash);
		if (is_ack)
			return on_ack(ts, inv, now_ms, t);
	}
	/* The request's own transaction: a retransmission (a CANCEL's too) is absorbed. */
	if (!server_key(ts, rq, rq->method, &k))
		return SR_TXN_E_KEY;
	struct sr_txn *old = txn_table_find(ts, k.k, k.len, k.hash);
	if (old) {
		absorb(ts, old);
		return SR_TXN_RX_ABSORBED;
	}
	if (is_cancel && !inv)
		return SR_TXN_RX_CANCEL_NOMATCH;
	*t = server_new(ts, &k, sr_str_eq(rq->method, M_INVITE), reply_to);
	if (!*t)
		return SR_TXN_E_POOL;
	if (!is_cancel)
		return SR_TXN_RX_NEW;
	if (invite)
		*invite = inv;
	return SR_TXN_RX_CANCEL;
}

/* Keeps bytes as t's last response and sends them; a response that cannot be kept is still sent once. */
static int keep_and_send(struct sr_txn_shard *ts, struct sr_txn *t, const char *bytes, size_t len)
{
	if (sr_buf_set(&ts->bufs, &t->msg, bytes, len) != 0) {
		ts->stats.buf_exhausted++;
		ts->ops.send(ts->ctx, &t->peer, bytes, len);
		return SR_TXN_E_BUF;
	}
	txn_send_kept(ts, t, false);
	return SR_TXN_OK;
}

static int respond_invite(struct sr_txn_shard *ts, struct sr_txn *t, int status, const char *bytes,
			  size_t len, uint64_t now_ms)
{
	if (t->state == SR_TXN_ACCEPTED) {
		if (status < 200 || status > 299)
			return SR_TXN_E_STATE;
		ts->ops.send(ts->ctx, &t->peer, bytes, len); /* another 2xx (another fork): passed on, not kept */
		return SR_TXN_OK;
	}
	if (t->state != SR_TXN_PROCEEDING)
		return SR_TXN_E_STATE;
	t->status = (uint16_t)status;
	if (status < 200)
		return keep_and_send(ts, t, bytes, len);
	if (status < 300) {
		sr_buf_release(&ts->bufs, &t->msg); /* a retransmitted INVITE now gets nothing: the UAS re-sends 2xx */
		t->state = SR_TXN_ACCEPTED;
		ts->ops.send(ts->ctx, &t->peer, bytes, len);
		txn_arm(ts, &t->life, now_ms, txn_64t1(ts)); /* Timer L */
		return SR_TXN_OK;
	}
	t->state = SR_TXN_COMPLETED;
	int rc = keep_and_send(ts, t, bytes, len);
	if (!txn_reliable(t)) {
		t->retx_ms = ts->cfg.t1_ms;
		txn_arm(ts, &t->retx, now_ms, t->retx_ms); /* Timer G */
	}
	txn_arm(ts, &t->life, now_ms, txn_64t1(ts)); /* Timer H */
	return rc;
}

static int respond_non_invite(struct sr_txn_shard *ts, struct sr_txn *t, int status, const char *bytes,
			      size_t len, uint64_t now_ms)
{
	if (t->state != SR_TXN_TRYING && t->state != SR_TXN_PROCEEDING)
		return SR_TXN_E_STATE;
	t->status = (uint16_t)status;
	if (status < 200) {
		t->state = SR_TXN_PROCEEDING;
		return keep_and_send(ts, t, bytes, len);
	}
	t->state = SR_TXN_COMPLETED;
	int rc = keep_and_send(ts, t, bytes, len);
	if (txn_reliable(t))
		txn_terminate(ts, t); /* Timer J is zero */
	else
		txn_arm(ts, &t->life, now_ms, txn_64t1(ts)); /* Timer J */
	return rc;
}

int sr_txn_server_respond(struct sr_txn_shard *ts, struct sr_txn *t, int status, const char *bytes,
			  size_t len, uint64_t now_ms)
{
	if ((t->flags & TF_CLIENT) || status < 100 || status > 699)
		return SR_TXN_E_STATE;
	if (t->flags & TF_INVITE)
		return respond_invite(ts, t, status, bytes, len, now_ms);
	return respond_non_invite(ts, t, status, bytes, len, now_ms);
}

void txn_server_timer(struct sr_txn_shard *ts, struct sr_txn *t, bool retx, uint64_t now_ms)
{
	if (retx) {
		if (t->state != SR_TXN_COMPLETED)
			return;
		txn_send_kept(ts, t, true); /* Timer G */
		t->retx_ms = 2 * t->retx_ms < ts->cfg.t2_ms ? 2 * t->retx_ms : ts->cfg.t2_ms;
		txn_arm(ts, &t->retx, now_ms, t->retx_ms);
		return;
	}
	if ((t->flags & TF_INVITE) && t->state == SR_TXN_COMPLETED) {
		ts->stats.timeouts++; /* Timer H: the ACK never came */
		if (ts->ops.timeout)
			ts->ops.timeout(ts->ctx, t, SR_TXN_TIMER_H);
	}
	txn_terminate(ts, t); /* H, I, J or L */
}
