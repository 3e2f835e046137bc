/*
 * txn.h - the SIP transaction layer (RFC 3261 section 17, with the RFC 6026
 * "Accepted" states), sans-I/O: one shard per worker, fed parsed facts and a
 * millisecond clock, answering with actions through callbacks.
 *
 * Design decisions:
 * - Facts, not bytes. The caller (the worker) parses a message once in
 *   lib/sip and hands this layer the few facts transactions need (method,
 *   top Via branch and sent-by, CSeq, status, ...) in the small structs
 *   below, plus the raw bytes only where they must be kept for
 *   retransmission. Nothing here reads SIP text, so the layer does not
 *   depend on the message view.
 * - Actions through callbacks (struct sr_txn_ops): "send these bytes to that
 *   address", "a response for your client transaction", "timed out",
 *   "terminated". A callback runs only once the transaction's own state is
 *   consistent, and the transaction user (lib/routing) may call back into
 *   the layer from it (fork another branch, answer the server transaction,
 *   send a CANCEL). "terminated" is the last word about a transaction: it is
 *   freed when that callback returns.
 * - Bounded memory, no malloc after creation: a fixed pool of transactions
 *   per shard with an intrusive hash table for matching, and a pool of
 *   message buffers (struct sr_bufpool) for the bytes kept for
 *   retransmission. Every transaction owns one "small" buffer at most (the
 *   pool has one per transaction); a message that does not fit takes a
 *   "large" buffer (64 KiB, the largest UDP payload), of which there are few.
 *   An exhausted pool is an error code the caller turns into 503 with
 *   Retry-After and a counter, never a silent drop.
 * - Timers on a hierarchical timer wheel driven in milliseconds (a wheel
 *   instance of the shard's own, separate from the binding-expiry wheel
 *   driven in seconds). Each transaction has two timer nodes: the
 *   retransmission timer (A, E, G) and the lifetime timer (B, C, D, F, H,
 *   I, J, K, L, M): no state needs more than one of each at a time.
 * - Branches sipreg generates name the owning worker at a fixed position
 *   (see sr_txn_branch_parse), so the data plane hands a response to its
 *   worker from the branch alone.
 * - Matching per RFC 3261 17.1.3 (client: branch + CSeq method) and 17.2.3
 *   (server: branch + sent-by + method, ACK matching INVITE). A request
 *   whose branch lacks the magic cookie (an RFC 2543 client) is matched on a
 *   keyed 64-bit hash of Request-URI, From tag, Call-ID, CSeq number and top
 *   Via, which stands in for its branch: exact for every well-behaved old
 *   client, and an ACK/CANCEL of such a client matches its INVITE because
 *   those fields are equal in them. (The To tag rule for ACKs of RFC 2543
 *   is not applied: a proxy sees one ACK per INVITE transaction.)
 *
 * Transports: the destination carries a "reliable" flag; for a reliable
 * transport the retransmission timers are not started and D, I, J, K are
 * zero, as RFC 3261 17 says. sipreg speaks UDP today.
 */
#ifndef SR_TXN_H
#define SR_TXN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sip_str.h"
/* The wheel is the project's hierarchical timer wheel; this is the one include to repoint when it moves. */
#include "timer_wheel.h"

/* ---------------------------------------------------------------- hashing */

/* SipHash-2-4 of data under a 128-bit key: the keyed hash behind branches, matching and loop detection. */
uint64_t sr_txn_hash(const uint64_t key[2], const void *data, size_t len);
/* The same over several byte ranges, each prefixed by its length (so field boundaries count), in one pass. */
uint64_t sr_txn_hash_parts(const uint64_t key[2], const struct sr_str *parts, unsigned n);

/* Lower-case hex of the low 4*digits bits of v (no NUL); and back (false on any other character). */
void sr_txn_hex(char *out, uint64_t v, unsigned digits);
bool sr_txn_unhex(const char *p, unsigned digits, uint64_t *v);

/* ---------------------------------------------------------------- buffers */

/*
 * A pool of message buffers of two sizes. Buffers are handed out whole; a
 * request for more than 'small_size' bytes takes a large one. No malloc
 * after sr_bufpool_init().
 */
#define SR_BUF_LARGE_SIZE 65535u

struct sr_buf {
	char *p;      /* NULL: no buffer held */
	uint32_t len; /* bytes in use */
	uint32_t cap;
};

struct sr_bufpool {
	char *small_mem, *large_mem;
	uint32_t small_size, n_small, n_large;
	uint32_t *small_free, *large_free; /* stacks of free indexes */
	uint32_t small_top, large_top;
};

/* Returns 0, or -1 when memory cannot be had. */
int sr_bufpool_init(struct sr_bufpool *bp, uint32_t small_size, uint32_t n_small, uint32_t n_large);
void sr_bufpool_free(struct sr_bufpool *bp);
/* Replaces whatever b holds by a buffer able to hold len bytes holding a copy of bytes; -1 when none is free (b then holds nothing). */
int sr_buf_set(struct sr_bufpool *bp, struct sr_buf *b, const char *bytes, size_t len);
/* Makes b hold a buffer of at least len bytes (contents undefined, b->len = len) and returns it; NULL when none is free. */
char *sr_buf_reserve(struct sr_bufpool *bp, struct sr_buf *b, size_t len);
/* Gives b's buffer back (no-op when empty). */
void sr_buf_release(struct sr_bufpool *bp, struct sr_buf *b);

/* ---------------------------------------------------------------- facts and actions */

/* A transport destination: IPv4 address (network byte order), UDP port (host order), reliable transport or not. */
struct sr_txn_dest {
	uint32_t ip;
	uint16_t port;
	bool reliable;
};

/* What the layer needs to know about a received request. */
struct sr_txn_req {
	struct sr_str method;  /* "INVITE", "ACK", "CANCEL", "BYE", ... (case-sensitive, RFC 3261 7.1) */
	struct sr_str branch;  /* top Via branch parameter; may be empty (RFC 2543) */
	struct sr_str sent_by; /* top Via sent-by "host[:port]" as sent */
	uint32_t cseq;         /* CSeq number */
	/* Read only when the branch lacks the "z9hG4bK" cookie (RFC 2543 matching): */
	struct sr_str ruri, call_id, from_tag, top_via;
};

/* What the layer needs to know about a received response. */
struct sr_txn_resp {
	int status;
	struct sr_str branch;      /* top Via branch */
	struct sr_str cseq_method; /* CSeq method */
	const char *bytes;         /* the whole response, for the TU (valid during the call) */
	size_t len;
	const void *facts;         /* the TU's own parsed facts of the same response, passed through untouched */
};

/* Why a timeout callback runs. */
enum sr_txn_timeout {
	SR_TXN_TIMER_B = 'B', /* INVITE client: no final response (Calling) */
	SR_TXN_TIMER_C = 'C', /* INVITE client: no final response for timer_c_ms after the last provisional (RFC 3261 16.6/16.8) */
	SR_TXN_TIMER_F = 'F', /* non-INVITE client: no final response */
	SR_TXN_TIMER_H = 'H', /* INVITE server: the ACK for our non-2xx final never came */
};

/* What the layer asks the transaction user to write, from the request it holds (see build). */
enum sr_txn_build {
	SR_TXN_BUILD_ACK,    /* the ACK for a non-2xx final response (17.1.1.3); resp is that response */
	SR_TXN_BUILD_CANCEL, /* a CANCEL for this INVITE client transaction (9.1); resp is NULL */
};

struct sr_txn;

struct sr_txn_ops {
	/* Transmit len bytes to 'to' now (copy them: the pointer is only valid during the call). */
	void (*send)(void *ctx, const struct sr_txn_dest *to, const char *bytes, size_t len);
	/* A response matched client transaction t and is for the TU (provisional, final, later 2xx). */
	void (*response)(void *ctx, struct sr_txn *t, const struct sr_txn_resp *r);
	/*
	 * A timer the TU must hear about fired. For B, F and H the transaction
	 * terminates right after; for C it stays (the TU sends a CANCEL or treats
	 * the branch as timed out, then the transaction waits 64*T1 more at most).
	 */
	void (*timeout)(void *ctx, struct sr_txn *t, enum sr_txn_timeout which);
	/* t is done; it is freed when this returns. */
	void (*terminated)(void *ctx, struct sr_txn *t);
	/*
	 * Write the ACK or CANCEL for INVITE client transaction t into buf (cap
	 * bytes); return its length, 0 when it cannot be written. The transaction
	 * user holds the request the client transaction was created for, so it
	 * writes them (lib/sip's request writer); the layer keeps and sends them.
	 */
	size_t (*build)(void *ctx, struct sr_txn *t, enum sr_txn_build what, const struct sr_txn_resp *resp,
			char *buf, size_t cap);
};

/* ---------------------------------------------------------------- the shard */

struct sr_txn_config {
	uint32_t capacity;       /* transactions in the pool (server and client together) */
	uint32_t buf_small;      /* bytes of each small buffer; a message longer takes a large one */
	uint32_t buf_large;      /* number of 64 KiB buffers */
	uint32_t t1_ms, t2_ms, t4_ms; /* 0: RFC 3261 defaults 500, 4000, 5000 */
	uint32_t timer_c_ms;     /* 0: 180000 (RFC 3261: more than 3 minutes) */
	/*
	 * Timer F of non-INVITE client transactions; 0: 64*T1 (RFC 3261). A relay
	 * whose answer to its own client depends on this transaction (the
	 * mid-registrar) sets it shorter than that client's Timer F, so that its
	 * timeout answer arrives while the client still listens.
	 */
	uint32_t timer_f_ms;
	uint8_t worker;          /* owning worker id, written into every branch */
	uint64_t secret[2];      /* random: keys branches, matching hash and loop hashes */
};

struct sr_txn_stats {
	uint64_t server_created, client_created;
	uint64_t pool_exhausted;     /* a transaction was refused: no free slot */
	uint64_t buf_exhausted;      /* a message could not be kept: no free buffer */
	uint64_t retransmissions;    /* requests and responses we re-sent on a timer */
	uint64_t absorbed;           /* retransmitted requests and ACKs absorbed */
	uint64_t timeouts;           /* B, F, H */
	uint64_t stray_responses;    /* responses matching no client transaction */
	uint32_t live;               /* transactions in use now */
};

struct sr_txn_shard;

/* Allocates a shard (all memory up front) starting its clock at now_ms; NULL on a bad config or no memory. */
struct sr_txn_shard *sr_txn_shard_create(const struct sr_txn_config *cfg, const struct sr_txn_ops *ops,
					 void *ctx, uint64_t now_ms);
/* Frees the shard and every transaction in it without callbacks. */
void sr_txn_shard_free(struct sr_txn_shard *ts);
const struct sr_txn_stats *sr_txn_stats(const struct sr_txn_shard *ts);
/* The buffer pool of the shard, shared with its transaction user. */
struct sr_bufpool *sr_txn_bufs(struct sr_txn_shard *ts);
/* A scratch area of SR_BUF_LARGE_SIZE bytes for writing a message before handing it to the layer. */
char *sr_txn_scratch(struct sr_txn_shard *ts);
/* The shard's timer values in milliseconds (after defaults). */
uint32_t sr_txn_t1(const struct sr_txn_shard *ts);

/*
 * Runs the timers due by now_ms, at most 'budget' of them; returns how many
 * ran. Call once per poll loop; call again when it returns 'budget'.
 */
unsigned sr_txn_advance(struct sr_txn_shard *ts, uint64_t now_ms, unsigned budget);

/* ---------------------------------------------------------------- errors and outcomes */

enum sr_txn_rc {
	SR_TXN_OK = 0,
	SR_TXN_E_POOL = -1,  /* no free transaction: answer 503 with Retry-After, count */
	SR_TXN_E_BUF = -2,   /* no buffer for a message that must be kept */
	SR_TXN_E_KEY = -3,   /* branch or sent-by too long to match on, or missing: answer 400 */
	SR_TXN_E_STATE = -4, /* not allowed in the transaction's state (e.g. a second final response) */
};

/* What sr_txn_server_request() found. */
enum sr_txn_rx {
	SR_TXN_RX_NEW = 1,       /* a new server transaction (*t): pass the request to the TU */
	SR_TXN_RX_ABSORBED,      /* a retransmission or an ACK of a non-2xx: handled here (last response re-sent if due) */
	SR_TXN_RX_ACK,           /* an ACK for the TU: no transaction (ACK of a 2xx: forward it) or an Accepted one (*t) */
	SR_TXN_RX_CANCEL,        /* a new CANCEL server transaction (*t) for INVITE server transaction *invite */
	SR_TXN_RX_CANCEL_NOMATCH,/* a CANCEL for no transaction: answer 481 statelessly */
};

/* ---------------------------------------------------------------- server transactions (17.2) */

/*
 * Matches a received request against the server transactions (17.2.3) and
 * runs the state machine; creates a server transaction for a new request
 * other than ACK (responses go to reply_to). Returns an enum sr_txn_rx value
 * or a negative enum sr_txn_rc (E_POOL, E_KEY). For an INVITE the TU must
 * send 100 Trying through sr_txn_server_respond() unless it answers at once
 * (17.2.1: within 200 ms).
 */
int sr_txn_server_request(struct sr_txn_shard *ts, const struct sr_txn_req *rq,
			  const struct sr_txn_dest *reply_to, uint64_t now_ms, struct sr_txn **t,
			  struct sr_txn **invite);

/*
 * The TU's response on a server transaction: sent now and kept for
 * retransmission where the RFC says so (the last provisional, a final
 * response; a 2xx to INVITE moves the transaction to Accepted and is not
 * kept: its retransmissions come from the UAS). Returns SR_TXN_OK,
 * SR_TXN_E_STATE (a final response was already sent; a further 2xx to an
 * INVITE is allowed) or SR_TXN_E_BUF (sent once but could not be kept).
 */
int sr_txn_server_respond(struct sr_txn_shard *ts, struct sr_txn *t, int status, const char *bytes,
			  size_t len, uint64_t now_ms);

/* ---------------------------------------------------------------- client transactions (17.1) */

/*
 * Reserves a client transaction for a request of 'method' to 'to' and gives
 * it a fresh branch (loop_hash goes into the branch, RFC 3261 16.6 step 8).
 * The TU then writes the request with sr_txn_branch(t) in its Via and calls
 * sr_txn_client_send(), or sr_txn_client_abandon() if it cannot.
 */
int sr_txn_client_create(struct sr_txn_shard *ts, struct sr_str method, uint32_t loop_hash,
			 const struct sr_txn_dest *to, struct sr_txn **t);
/* Keeps a copy of the request, sends it and starts the timers. E_BUF: not sent; the transaction is abandoned. */
int sr_txn_client_send(struct sr_txn_shard *ts, struct sr_txn *t, const char *bytes, size_t len,
		       uint64_t now_ms);
/* Frees a created client transaction that was never sent (no callbacks). */
void sr_txn_client_abandon(struct sr_txn_shard *ts, struct sr_txn *t);

/* Matches a received response (17.1.3) and runs the state machine. Returns 1 matched, 0 stray. */
int sr_txn_client_response(struct sr_txn_shard *ts, const struct sr_txn_resp *r, uint64_t now_ms);

/* Outcome of sr_txn_client_cancel(). */
enum sr_txn_cancel {
	SR_TXN_CANCEL_SENT = 1,     /* a CANCEL client transaction was started */
	SR_TXN_CANCEL_DEFERRED,     /* no provisional response yet: sent when one arrives (9.1) */
	SR_TXN_CANCEL_NOTHING,      /* a final response already arrived (or not an INVITE): nothing to cancel */
};
/* Cancels INVITE client transaction t (RFC 3261 9.1). Returns enum sr_txn_cancel or a negative sr_txn_rc. */
int sr_txn_client_cancel(struct sr_txn_shard *ts, struct sr_txn *t, uint64_t now_ms);

/* ---------------------------------------------------------------- inspection */

enum sr_txn_state {
	SR_TXN_CALLING = 1,  /* INVITE client, nothing received */
	SR_TXN_TRYING,       /* non-INVITE client or server, nothing sent/received */
	SR_TXN_PROCEEDING,
	SR_TXN_COMPLETED,
	SR_TXN_CONFIRMED,    /* INVITE server: ACK received */
	SR_TXN_ACCEPTED,     /* INVITE, 2xx sent/received (RFC 6026) */
	SR_TXN_TERMINATED,
};

enum sr_txn_state sr_txn_state(const struct sr_txn *t);
bool sr_txn_is_client(const struct sr_txn *t);
bool sr_txn_is_invite(const struct sr_txn *t);
/* The branch of the transaction (for a server transaction: the request's, or the RFC 2543 stand-in). */
struct sr_str sr_txn_branch(const struct sr_txn *t);
/* The destination of a client transaction, the reply address of a server transaction. */
const struct sr_txn_dest *sr_txn_peer(const struct sr_txn *t);
/* The last status sent (server) or received (client), 0 when none. */
int sr_txn_status(const struct sr_txn *t);
/* The kept request of a client transaction (until a final response replaces it by the ACK). */
struct sr_str sr_txn_request(const struct sr_txn *t);
/* The TU's pointer for the transaction (NULL at creation). */
void sr_txn_set_user(struct sr_txn *t, void *user, uint32_t tag);
void *sr_txn_user(const struct sr_txn *t);
uint32_t sr_txn_user_tag(const struct sr_txn *t);

/* ---------------------------------------------------------------- branches */

/*
 * The branches sipreg writes, 43 characters:
 *
 *   z9hG4bK sr WW LLLLLLLL CCCCCCCCCCCC MMMMMMMMMMMM
 *
 * all lower-case hex after "z9hG4bKsr": WW the owning worker (0..255) at
 * offsets 9-10, LLLLLLLL the loop-detection hash of the request (RFC 3261
 * 16.6 step 8), CCCCCCCCCCCC a per-shard counter (unique) and
 * MMMMMMMMMMMM a keyed MAC over worker, loop hash and counter (unguessable:
 * a forged response cannot name a live transaction). The data plane reads
 * the owner with sr_txn_branch_parse() and nothing else: no table lookup.
 */
#define SR_TXN_BRANCH_LEN 43

struct sr_txn_branch_info {
	uint8_t worker;
	uint32_t loop_hash;
	uint64_t counter; /* 48 bits */
	uint64_t mac;     /* 48 bits */
};

/* True when branch has sipreg's form (then *info is filled; info may be NULL). Does not check the MAC. */
bool sr_txn_branch_parse(struct sr_str branch, struct sr_txn_branch_info *info);
/* True when branch has sipreg's form and its MAC is right under secret. */
bool sr_txn_branch_authentic(const uint64_t secret[2], struct sr_str branch);
/* Writes a branch (SR_TXN_BRANCH_LEN bytes, no NUL) for the given fields. */
void sr_txn_branch_write(const uint64_t secret[2], uint8_t worker, uint32_t loop_hash, uint64_t counter,
			 char out[SR_TXN_BRANCH_LEN]);
/*
 * The branch a stateless forward (the ACK of a 2xx) carries: derived from
 * the incoming branch, so a retransmitted ACK gets the same one (RFC 3261
 * 16.11).
 */
void sr_txn_branch_stateless(const struct sr_txn_shard *ts, uint32_t loop_hash, struct sr_str incoming,
			     char out[SR_TXN_BRANCH_LEN]);

#endif
