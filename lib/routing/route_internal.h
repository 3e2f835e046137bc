/*
 * route_internal.h - the routing shard and the proxy context, shared by the
 * files of lib/routing only (the public interface is routing.h).
 */
#ifndef SR_ROUTE_INTERNAL_H
#define SR_ROUTE_INTERNAL_H

#include "routing.h"

#define ROUTE_SELF_MAX 64
#define ROUTE_TOKEN_LEN 46 /* "sr" + 32 hex of hops and From-tag hash + 12 hex of MAC */
#define ROUTE_TAG_LEN 16

enum branch_state {
	BR_PENDING = 1, /* its client transaction runs */
	BR_DONE,        /* a final response, a timeout, or it could not be sent */
};

struct route_branch {
	struct sr_txn *txn; /* NULL once terminated (or never created) */
	uint8_t target;
	uint8_t state;
	uint16_t final;
};

/* A proxy context: one server transaction, its branches, the best response so far (16.7). */
struct route_ctx {
	uint32_t idx;
	bool live;
	bool invite;
	bool final_sent;  /* a final response went upstream */
	bool stop;        /* no new branches: a 2xx, a 6xx or a CANCEL (16.7 step 10, 16.10) */
	bool record_route;
	uint8_t refs;     /* transactions whose user we still are (server + clients) */
	uint8_t n_targets, n_branches;
	uint16_t group;   /* the serial group being tried */
	uint8_t route_skip;
	bool waiting;     /* RFC 8599: held for pushed devices (route_push.c); no best response while set */
	uint8_t n_woken;  /* targets added by re-registrations, after the lookup's (strings in 'woken') */
	uint64_t push_handle; /* the hold while waiting (sr_push_cancel) */
	struct sr_buf woken;  /* contact and Path strings of the woken targets, back to back */
	uint32_t loop_hash;
	uint32_t ftag_hash;
	struct sr_txn *server;
	struct sr_txn_dest reply_to, source;
	struct sr_buf store; /* the request, the head and the target strings */
	int best_status;     /* 0: none; kept in best when best.p, else ours to write (408, 480) */
	struct sr_buf best;
	struct sr_buf auth;  /* authenticate lines of the other 401/407 responses (16.7 step 7) */
	/* Below: set before use, not cleared when a context is taken (a context is ~2.5 KB). */
	struct sr_fwd_req fwd;
	struct sr_fwd_head head;
	struct sr_str from_tag; /* in store: our To tag is derived from it when we answer ourselves */
	struct sr_route_target targets[SR_ROUTE_MAX_TARGETS];
	struct route_branch branches[SR_ROUTE_MAX_TARGETS];
	struct sr_fwd_resp best_fwd;
	unsigned best_n_auth;
	struct sr_str best_auth[SR_ROUTE_MAX_AUTH];
};

struct sr_route_shard {
	struct sr_route_config cfg;
	char self[ROUTE_SELF_MAX];
	struct sr_route_io io;
	void *io_ctx;
	struct sr_txn_shard *txn;
	struct route_ctx *ctxs;
	uint32_t *free_stack;
	uint32_t free_top;
	uint64_t now_ms; /* of the call in progress: callbacks from the transaction layer carry no clock */
	struct sr_route_stats stats;
};

/* Requests the routing leaves alone: mode off, REGISTER (the registrar's), anything addressed to us. */
static inline bool route_not_mine(const struct sr_route_shard *rs, const struct sr_route_req *rq, uint32_t method)
{
	return rs->cfg.mode == SR_ROUTE_OFF || method == SR_M_REGISTER || rq->ruri == SR_RURI_SELF;
}

/* route_token.c: the signed Record-Route user part and our To tags */
size_t route_token_write(const struct sr_route_shard *rs, const struct sr_txn_dest *up,
			 const struct sr_txn_dest *down, uint32_t ftag_hash, char out[ROUTE_TOKEN_LEN]);
bool route_token_read(const struct sr_route_shard *rs, struct sr_str token, struct sr_txn_dest *up,
		      struct sr_txn_dest *down, uint32_t *ftag_hash);
uint32_t route_tag_hash(const struct sr_route_shard *rs, struct sr_str tag);
/* The To tag of our own responses to a request: a keyed hash of its Call-ID, From tag and CSeq number. */
void route_to_tag(const struct sr_route_shard *rs, struct sr_str call_id, struct sr_str from_tag, uint32_t cseq,
		  char out[ROUTE_TAG_LEN]);

/* route_reply.c: our own responses */
/* Sends our response on server transaction t (NULL: statelessly to reply_to) from a head. */
void route_reply(struct sr_route_shard *rs, struct sr_txn *t, const struct sr_txn_dest *reply_to,
		 const struct sr_fwd_head *head, struct sr_str to_tag, int status, const char *reason,
		 struct sr_str extra);
/* The same for a request at hand (its head, its To tag). */
void route_reply_req(struct sr_route_shard *rs, struct sr_txn *t, const struct sr_route_req *rq, int status,
		     const char *reason, struct sr_str extra);

/* route_proxy.c: the proxy context */
/* pb: the targets' push facts in target order (NULL: no push decision, e.g. an in-dialog request). */
void route_proxy_start(struct sr_route_shard *rs, struct sr_txn *server, const struct sr_route_req *rq,
		       const struct sr_route_decision *d, const struct sr_route_target *targets, unsigned n,
		       const struct sr_push_binding *pb);
/* For route_push.c: start a branch to target ti; after any change, the next group or the best response. */
bool route_branch(struct sr_route_shard *rs, struct route_ctx *c, unsigned ti);
void route_progress(struct sr_route_shard *rs, struct route_ctx *c);
void route_ctx_release(struct sr_route_shard *rs, struct route_ctx *c);
void route_note_final(struct sr_route_shard *rs, struct route_ctx *c, int status);

/* route_push.c: RFC 8599 holds of a proxy context */
/* Asks the push shard about a new context's targets; false when it answered (503: too many held). */
bool route_push_plan(struct sr_route_shard *rs, struct route_ctx *c, struct sr_str aor,
		     const struct sr_push_binding *pb);
/*
 * An in-dialog request (its one target the dialog's hop) whose Request-URI
 * carries a PURR: asks the push shard; false when it is held (the branch
 * starts on sr_route_push_purr_go), true to forward now.
 */
bool route_push_purr(struct sr_route_shard *rs, struct route_ctx *c, const struct sr_route_req *rq);
/* The context stops forking (2xx, 6xx, CANCEL): no longer waits for pushed devices. */
void route_push_stop(struct sr_route_shard *rs, struct route_ctx *c);
void route_proxy_cancel(struct sr_route_shard *rs, struct route_ctx *c);
void route_on_response(struct sr_route_shard *rs, struct route_ctx *c, unsigned branch,
		       const struct sr_route_resp *rp);
void route_on_timeout(struct sr_route_shard *rs, struct route_ctx *c, unsigned branch, enum sr_txn_timeout w);
void route_on_terminated(struct sr_route_shard *rs, struct route_ctx *c, struct sr_txn *t);
size_t route_build(struct sr_route_shard *rs, struct route_ctx *c, unsigned branch, enum sr_txn_build what,
		   const struct sr_route_resp *rp, char *buf, size_t cap);

/* route_targets.c: one binding as a target (its destination and q; no filter), false when it has no address. */
bool route_target_one(const struct sr_route_shard *rs, const struct sr_route_binding *b, struct sr_route_target *out);

#endif
