/*
 * route_reply.c - the routing's own responses (errors, 100 Trying, 302, the
 * proxy's 408/480/487/500/503), written from the request's kept head by
 * lib/sip's proxy writers and sent on the server transaction (so a
 * retransmitted request is answered again and a non-2xx to an INVITE is
 * retransmitted until its ACK), or statelessly when there is no transaction
 * (the pool is exhausted, the CANCEL matches nothing).
 */
#include "route_internal.h"

#include <stdio.h>

void route_reply(struct sr_route_shard *rs, struct sr_txn *t, const struct sr_txn_dest *reply_to,
		 const struct sr_fwd_head *head, struct sr_str to_tag, int status, const char *reason,
		 struct sr_str extra)
{
	char *buf = sr_txn_scratch(rs->txn);
	size_t n = sr_fwd_local_response(buf, SR_BUF_LARGE_SIZE, status, reason, head,
					 status == 100 ? SR_STR_NULL : to_tag, extra);
	if (n == 0) {
		rs->stats.dropped++;
		return;
	}
	rs->stats.local[status / 100 < 7 ? status / 100 : 0]++;
	if (t)
		sr_txn_server_respond(rs->txn, t, status, buf, n, rs->now_ms);
	else
		rs->io.send(rs->io_ctx, reply_to, buf, n);
}

void route_reply_req(struct sr_route_shard *rs, struct sr_txn *t, const struct sr_route_req *rq, int status,
		     const char *reason, struct sr_str extra)
{
	char tag[ROUTE_TAG_LEN];
	route_to_tag(rs, rq->txn.call_id, rq->txn.from_tag, rq->txn.cseq, tag);
	route_reply(rs, t, &rq->reply_to, &rq->head, sr_str_make(tag, sizeof(tag)), status, reason, extra);
}
