/*
 * routing.h - what happens to a request for a registered address-of-record:
 * the redirect server (RFC 3261 8.3, 21.3.3) and the stateful forking proxy
 * (RFC 3261 16, RFC 3327 Path, RFC 5626 outbound, RFC 5627 GRUU), sans-I/O,
 * one shard per worker on top of that worker's transaction shard.
 *
 * Design decisions:
 * - The worker calls three functions: sr_route_request() for every request
 *   that is not a REGISTER, sr_route_response() for every response, and
 *   sr_route_advance() once per poll loop. It hands parsed facts (struct
 *   sr_route_req / sr_route_resp, built from the one parse) and gets
 *   actions back through struct sr_route_io: "send these bytes there" and
 *   "look up this AoR". Nothing here reads SIP text or touches a socket.
 * - The routing shard is the transaction user of its transaction shard: it
 *   owns the callbacks, so responses, timeouts and terminations of the
 *   transactions it created come back to the proxy context that made them.
 * - A proxy context (one server transaction, up to SR_ROUTE_MAX_TARGETS
 *   client transactions) keeps a copy of the request with the ranges the
 *   parse found, so branches can be written long after the packet is gone
 *   (serial forking, Timer C, CANCEL) without a second parse. Contexts come
 *   from a bounded pool; an exhausted pool is answered 503 with Retry-After
 *   and counted.
 * - Decisions are plain functions of facts (sr_route_decide,
 *   sr_route_targets, sr_route_better) so each rule of RFC 3261 16 has a
 *   unit test without any transaction running.
 * - Not an open relay: a request is forwarded only to the bindings of an AoR
 *   of a served domain, or along a dialog whose Record-Route we wrote and
 *   signed (the "flow token" below). Anything else is refused.
 *
 * Record-Route and in-dialog requests. With record_route on, every forwarded
 * dialog-creating request carries <sip:TOKEN@self;lr>, where TOKEN names the
 * two hops on either side of us for this branch (where the request came from
 * and where it went: NAT source addresses, Path hops) and a hash of the
 * caller's From tag, under a MAC. An in-dialog request whose top Route is
 * ours is sent to the other hop: to the callee's hop when its From tag is the
 * caller's, to the caller's hop otherwise. That is the RFC 5626 flow-token
 * idea applied to both directions; it reaches UAs behind NAT whose Contact
 * addresses are private, and a forged or foreign Route is refused.
 */
#ifndef SR_ROUTING_H
#define SR_ROUTING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "push.h"
#include "sip_forward.h"
#include "sip_msg.h"
#include "sip_str.h"
#include "txn.h"

#define SR_ROUTE_MAX_TARGETS 16 /* bindings considered per request (best q first) and branches per context */
#define SR_ROUTE_MAX_OWN_VIAS 4 /* our own Via branches looked at for loop detection */
#define SR_ROUTE_MAX_AUTH 4     /* WWW-/Proxy-Authenticate lines taken from one response */
#define SR_ROUTE_Q_NONE 0xffffu /* a binding registered without q */

enum sr_route_mode {
	SR_ROUTE_OFF = 0,  /* today's behaviour: requests other than REGISTER are not routed */
	SR_ROUTE_REDIRECT, /* 302 with the contacts by q */
	SR_ROUTE_PROXY,    /* stateful forking proxy */
};

/* Methods as bits: the Allow filter and method checks (lib/sip's bits, one table). */
enum sr_route_method {
	SR_M_INVITE = SR_SIP_M_INVITE,
	SR_M_ACK = SR_SIP_M_ACK,
	SR_M_BYE = SR_SIP_M_BYE,
	SR_M_CANCEL = SR_SIP_M_CANCEL,
	SR_M_OPTIONS = SR_SIP_M_OPTIONS,
	SR_M_REGISTER = SR_SIP_M_REGISTER,
	SR_M_PRACK = SR_SIP_M_PRACK,
	SR_M_SUBSCRIBE = SR_SIP_M_SUBSCRIBE,
	SR_M_NOTIFY = SR_SIP_M_NOTIFY,
	SR_M_PUBLISH = SR_SIP_M_PUBLISH,
	SR_M_INFO = SR_SIP_M_INFO,
	SR_M_REFER = SR_SIP_M_REFER,
	SR_M_MESSAGE = SR_SIP_M_MESSAGE,
	SR_M_UPDATE = SR_SIP_M_UPDATE,
	SR_M_OTHER = SR_SIP_M_OTHER, /* an extension method: not subject to the Allow filter */
};
/* The bit of a method name (case-sensitive, RFC 3261 7.1); SR_M_OTHER for anything else. */
static inline uint32_t sr_route_method_bit(struct sr_str method)
{
	return sr_sip_method_bit(method);
}

struct sr_route_config {
	enum sr_route_mode mode;
	bool record_route;           /* routing.record_route */
	struct sr_str self;          /* our host:port as written in Via and Record-Route, e.g. "198.51.100.1:5060" */
	uint16_t default_q;          /* thousandths for a binding without q (1000 unless set) */
	uint32_t contexts;           /* proxy contexts per shard */
	uint32_t retry_after_s;      /* Retry-After of the 503 sent when a pool is exhausted (0: 5) */
	struct sr_txn_config txn;    /* the transaction shard underneath */
	/* Optional User-Agent filter (e.g. a hyperscan pattern from lib/policy): false skips the binding. */
	bool (*ua_filter)(void *arg, struct sr_str user_agent);
	void *ua_filter_arg;
	/*
	 * RFC 8599 (docs/PUSH.md): the worker's push shard, NULL when push is
	 * off. Proxy mode asks it (sr_push_on_call) before forking; a request
	 * it holds waits for sr_route_push_release / sr_route_push_expired.
	 */
	struct sr_push_shard *push;
};

/* One binding of the Request-URI's AoR, as the location store's query gives it. */
struct sr_route_binding {
	struct sr_str contact;           /* contact URI, without < > */
	uint16_t q;                      /* thousandths, SR_ROUTE_Q_NONE when registered without q */
	uint32_t expires_in;             /* seconds left (the 302's expires) */
	uint32_t registered_at;          /* last refresh (any clock): the newest flow of an instance wins */
	struct sr_txn_dest source;       /* where its REGISTER came from (ip 0: unknown) */
	struct sr_txn_dest contact_addr; /* the Contact's host:port when the host is an IPv4 literal; ip 0 otherwise */
	struct sr_str path;              /* Path values, ", "-joined, empty when none */
	struct sr_txn_dest path_hop;     /* the first Path URI's address when an IPv4 literal; ip 0 otherwise */
	struct sr_str instance;          /* +sip.instance URN, empty when none */
	uint32_t reg_id;                 /* RFC 5626 reg-id, 0 when none */
	struct sr_str temp_gruu;         /* user part of its temporary GRUU, empty when none */
	uint32_t allow;                  /* SR_M_* of its registered Allow; 0: none registered (everything) */
	struct sr_str user_agent;
	bool nat;                        /* registered from another address than its Contact's (302: ;received=) */
	struct sr_push_binding push;     /* RFC 8599 facts (params empty: not a push contact) */
};

/* What the Request-URI names, as lib/sip and the served domains tell. */
enum sr_route_ruri {
	SR_RURI_SELF = 1, /* us (no user part, or our address): not for routing */
	SR_RURI_SERVED,   /* a user at a served domain: look it up */
	SR_RURI_FOREIGN,  /* any other domain: never relayed */
};

enum sr_route_gruu {
	SR_GRUU_NONE = 0,
	SR_GRUU_PUBLIC, /* AoR;gr=urn: gruu_id is the instance URN */
	SR_GRUU_TEMP,   /* a temporary GRUU: gruu_id is its user part */
};

/* The facts of a received request (every range valid during the call only). */
struct sr_route_req {
	struct sr_fwd_req fwd;       /* ranges for the writers (method, Request-URI, Route, Max-Forwards, ...) */
	struct sr_txn_req txn;       /* the transaction facts (method, top Via branch and sent-by, CSeq, ...) */
	struct sr_txn_dest reply_to; /* where responses go (RFC 3261 18.2.2 with RFC 3581) */
	struct sr_txn_dest source;   /* the packet's source address */
	struct sr_fwd_head head;     /* the head of our own responses (Via lines, From, To, Call-ID, CSeq) */
	struct sr_str to_tag;        /* empty: not in a dialog */
	enum sr_route_ruri ruri;
	struct sr_str aor;           /* canonical AoR of the Request-URI (the lookup key) */
	enum sr_route_gruu gruu;
	struct sr_str gruu_id;
	bool top_route_self;         /* the top Route value is one of our URIs */
	struct sr_str top_route_user;/* its user part (our token), empty when none */
	unsigned n_own_vias;         /* Via values whose sent-by is ours (loop detection, 16.3 step 4) */
	struct sr_str own_via_branch[SR_ROUTE_MAX_OWN_VIAS];
	struct sr_str proxy_require_unknown; /* Proxy-Require option tags we do not support, ", "-joined */
	struct sr_str purr;          /* RFC 8599: the Request-URI's pn-purr value, empty when none */
};

/* The facts of a received response. */
struct sr_route_resp {
	struct sr_txn_resp txn;      /* status, top Via branch, CSeq method, bytes (txn.facts is set by the layer) */
	struct sr_fwd_resp fwd;      /* ranges for relaying it upstream */
	struct sr_str to;            /* To value (for the ACK of a non-2xx) */
	unsigned n_auth;             /* WWW-Authenticate / Proxy-Authenticate lines, each with its CRLF */
	struct sr_str auth[SR_ROUTE_MAX_AUTH];
};

struct sr_route_io {
	/* Send bytes to 'to' now (copy them). */
	void (*send)(void *ctx, const struct sr_txn_dest *to, const char *bytes, size_t len);
	/*
	 * The bindings of rq->aor (for a temporary GRUU: of the AoR it was
	 * issued for, none when unknown). Returns their count and points *out at
	 * them (valid until the next call); *user_known tells whether the user
	 * exists at all when there are none (false: 404, true: 480).
	 */
	unsigned (*lookup)(void *ctx, const struct sr_route_req *rq, const struct sr_route_binding **out,
			   bool *user_known);
	/*
	 * RFC 8599 (may be NULL): the live binding an in-dialog request's PURR
	 * (rq->purr) names, when the PURR is one of ours: its AoR and push
	 * facts (valid until the next call). False: not ours, or no such
	 * binding any more; the request is then forwarded as usual.
	 */
	bool (*purr)(void *ctx, struct sr_str purr, struct sr_str *aor, struct sr_push_binding *pb);
};

struct sr_route_stats {
	uint64_t requests;          /* requests taken by the routing (not REGISTER, mode on) */
	uint64_t lookups;
	uint64_t redirects;         /* 302 sent */
	uint64_t forwarded;         /* requests proxied (a context started) */
	uint64_t branches;          /* client transactions started */
	uint64_t in_dialog;         /* requests forwarded along our Record-Route */
	uint64_t acks_forwarded;    /* ACKs of 2xx forwarded statelessly */
	uint64_t relayed;           /* responses relayed upstream */
	uint64_t local[7];          /* our own responses by class (index status/100) */
	uint64_t refused_foreign;   /* 404 for a domain not served */
	uint64_t loops;             /* 482 */
	uint64_t too_many_hops;     /* 483 */
	uint64_t no_binding;        /* 480/404 for an AoR without usable bindings */
	uint64_t filtered;          /* bindings skipped by the Allow or User-Agent filter */
	uint64_t method_refused;    /* requests answered 405: every binding's registered Allow excludes the method */
	uint64_t exhausted;         /* 503: no transaction or context left */
	uint64_t cancels;           /* CANCELs received and matched */
	uint64_t dropped;           /* requests dropped: stray ACKs, ACKs we cannot route */
	uint32_t live_contexts;
};

struct sr_route_shard;

/* Allocates a shard and its transaction shard (everything up front); NULL on a bad config. */
struct sr_route_shard *sr_route_shard_create(const struct sr_route_config *cfg, const struct sr_route_io *io,
					     void *ctx, uint64_t now_ms);
void sr_route_shard_free(struct sr_route_shard *rs);
const struct sr_route_stats *sr_route_stats(const struct sr_route_shard *rs);
struct sr_txn_shard *sr_route_txn(struct sr_route_shard *rs);

/* What sr_route_request() did. */
enum sr_route_rc {
	SR_ROUTE_HANDLED = 0,   /* answered, forwarded, absorbed or dropped (counted) */
	SR_ROUTE_NOT_MINE = 1,  /* not for routing (mode off, REGISTER, the Request-URI is us): the registrar's */
};
int sr_route_request(struct sr_route_shard *rs, const struct sr_route_req *rq, uint64_t now_ms);
/* Returns 1 when the response belonged to one of our client transactions, 0 when stray (dropped, counted). */
int sr_route_response(struct sr_route_shard *rs, const struct sr_route_resp *rp, uint64_t now_ms);
/* Runs due timers (at most budget); returns how many ran. */
unsigned sr_route_advance(struct sr_route_shard *rs, uint64_t now_ms, unsigned budget);

/*
 * RFC 8599 held requests (route_push.c), called from the push shard's io
 * (struct sr_push_io, kind SR_PUSH_HOLD_CALL); req is the proxy context the
 * routing gave sr_push_on_call. release: a pushed device re-registered as
 * binding b: a branch to it starts now ('last': nothing more is awaited).
 * expired: refresh_timeout passed; with no branch of its own the request
 * gets 480.
 */
void sr_route_push_release(struct sr_route_shard *rs, void *req, const struct sr_route_binding *b, bool last,
			   uint64_t now_ms);
void sr_route_push_expired(struct sr_route_shard *rs, void *req, uint64_t now_ms);
/*
 * The same for an in-dialog request held for its PURR's binding (kind
 * SR_PUSH_HOLD_PURR): the binding re-registered, or refresh_timeout passed.
 * Either way it is now forwarded along the dialog as planned (the manual's
 * pn_process_purr sends a BYE anyway).
 */
void sr_route_push_purr_go(struct sr_route_shard *rs, void *req, uint64_t now_ms);

/* ---------------------------------------------------------------- the decisions, exposed for tests */

enum sr_route_verdict {
	SR_ROUTE_V_NOT_MINE = 1,
	SR_ROUTE_V_ANSWER,  /* answer status with reason */
	SR_ROUTE_V_LOOKUP,  /* look up the AoR, then redirect or fork */
	SR_ROUTE_V_DIALOG,  /* forward along our Record-Route to dest */
};

struct sr_route_decision {
	enum sr_route_verdict verdict;
	int status;
	const char *reason;
	struct sr_txn_dest dest;  /* DIALOG: the next hop */
	unsigned route_skip;      /* received Route values addressed to us */
	uint32_t loop_hash;
};

/* Max-Forwards, loop detection, Proxy-Require, Route, domain and dialog rules (16.3, 16.4) for a new request. */
void sr_route_decide(const struct sr_route_shard *rs, const struct sr_route_req *rq,
		     struct sr_route_decision *d);

/* One target: a binding turned into a branch. */
struct sr_route_target {
	struct sr_str ruri;       /* the Request-URI of the branch (the contact) */
	struct sr_str route;      /* Route to put first (the binding's Path) */
	struct sr_txn_dest dest;  /* where the branch goes */
	uint16_t q;               /* effective q */
	uint16_t group;           /* serial group (0 = highest q); SR_ROUTE_ALTERNATE: only after a 430 */
	uint8_t alt;              /* index of the next flow of the same instance, SR_ROUTE_NO_ALT if none */
	uint32_t expires_in;
	struct sr_txn_dest received;  /* the binding's source when it is behind NAT (302: ;received=); ip 0: none */
	uint8_t binding;          /* index of the binding it was made of (in the lookup's array) */
};
#define SR_ROUTE_ALTERNATE 0xffffu
#define SR_ROUTE_NO_ALT 0xffu

/*
 * Turns bindings into targets for request rq: GRUU filter (exactly the
 * instance), Allow and User-Agent filters, one flow per instance for
 * outbound bindings (the newest; the others kept as alternates for a 430),
 * the destination (Path hop, else the REGISTER's source: NAT, else the
 * Contact's own address), sorted by q (highest first) into serial groups.
 * Returns the number of targets written (at most cap); *filtered counts the
 * bindings the filters skipped.
 */
unsigned sr_route_targets(const struct sr_route_shard *rs, const struct sr_route_req *rq,
			  const struct sr_route_binding *b, unsigned n, struct sr_route_target *out, unsigned cap,
			  unsigned *filtered);
/*
 * When a lookup gave no target: the methods the AoR's bindings do accept
 * (lib/sip's bits, the 405's Allow) when every binding the request could
 * reach was skipped by the Allow filter alone; 0 otherwise (then the answer
 * stays 480: nothing says the method is the reason).
 */
uint32_t sr_route_allow_refusal(const struct sr_route_req *rq, const struct sr_route_binding *b, unsigned n);

/* 16.7 step 6: true when final status 'cand' should replace 'best' (0: none yet) as the response to send. */
bool sr_route_better(int cand, int best);

#endif
