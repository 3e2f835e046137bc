/*
 * route_harness.h - a fake worker around one routing shard: it writes test
 * requests and responses as SIP text, finds the ranges in them the way the
 * message view would hand them out (a small test-only scanner), records what
 * the shard sends, answers lookups from a binding table, and steps a fake
 * clock one millisecond at a time.
 */
#ifndef ROUTE_HARNESS_H
#define ROUTE_HARNESS_H

#include "routing.h"

#define RH_MAX_SENDS 128
#define RH_MSG_MAX 2048

struct rh_send {
	uint64_t at;
	struct sr_txn_dest to;
	size_t len;
	char bytes[RH_MSG_MAX + 1];
};

struct rh {
	struct sr_route_shard *rs;
	uint64_t now;
	struct rh_send sends[RH_MAX_SENDS];
	unsigned n_sends;
	struct sr_route_binding bindings[SR_ROUTE_MAX_TARGETS];
	unsigned n_bindings;
	bool user_known;
	unsigned lookups;
	char last_aor[128];
	/* io.purr: the PURR the routing asked about, and the binding it names (purr_found false: none) */
	char last_purr[64];
	bool purr_found;
	struct sr_push_binding purr_pb;
};

/* A test request; unset fields get defaults (INVITE to sip:bob@example.com from the caller). */
struct rh_req {
	const char *method;
	const char *ruri;           /* default "sip:bob@example.com" */
	enum sr_route_ruri kind;    /* default SR_RURI_SERVED */
	const char *branch;         /* default "z9hG4bK-caller-1" */
	const char *from_tag;       /* default "alice-tag" */
	const char *to_tag;         /* NULL: none */
	const char *call_id;        /* default "call-1@198.51.100.2" */
	uint32_t cseq;              /* default 1 */
	int max_forwards;           /* default 70; -1: absent */
	const char *routes[4];      /* Route values, one header line each */
	bool top_route_self;
	const char *top_route_user;
	const char *lower_via;      /* a second Via value (e.g. ours, for loops) */
	const char *own_via_branch; /* the branch of our own Via in the request, for loop detection */
	enum sr_route_gruu gruu;
	const char *gruu_id;
	const char *proxy_require_unknown;
	const char *purr;           /* the Request-URI's pn-purr value, NULL: none */
	struct sr_txn_dest source;  /* default: the caller 198.51.100.2:5070 */
};

/* The caller: 198.51.100.2:5070. */
struct sr_txn_dest rh_caller(void);

/* cfg NULL: proxy mode, record_route off, 64 transactions, 16 contexts. */
void rh_init(struct rh *h, const struct sr_route_config *cfg);
void rh_free(struct rh *h);
struct sr_route_config rh_config(enum sr_route_mode mode, bool record_route);
/* Adds a binding of the AoR (contact URI, q in thousandths or SR_ROUTE_Q_NONE, its REGISTER's source). */
struct sr_route_binding *rh_bind(struct rh *h, const char *contact, uint16_t q, uint32_t src_ip, uint16_t src_port);
/* "a.b.c.d" -> network order. */
uint32_t rh_ip(const char *dotted);

/* Builds the request's text and facts and calls sr_route_request; returns its result. */
int rh_request(struct rh *h, const struct rh_req *r);
/* The facts rh_request would pass (text in a harness buffer valid until the next rh_* call). */
void rh_build(struct rh *h, const struct rh_req *r, struct sr_route_req *out);

/*
 * Answers the request captured in sends[i] (as its next hop would): status,
 * To tag, extra header lines (each with CRLF) or NULL. Returns sr_route_response's result.
 */
int rh_answer(struct rh *h, unsigned i, int status, const char *to_tag, const char *extra);

void rh_run_to(struct rh *h, uint64_t t);

/* Index of the first send at or after 'from' whose bytes start with prefix, or -1. */
int rh_find(const struct rh *h, unsigned from, const char *prefix);
/* Number of sends from 'from' on starting with prefix. */
unsigned rh_count(const struct rh *h, unsigned from, const char *prefix);
/* The value of header 'name' (first one) in send i, copied into out ("" when absent). */
const char *rh_header(const struct rh *h, unsigned i, const char *name, char *out, size_t cap);

#endif
