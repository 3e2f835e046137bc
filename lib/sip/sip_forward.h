/*
 * sip_forward.h - the messages a stateful proxy writes: the forwarded
 * request of each branch, its CANCEL and its ACK (for a non-2xx), a
 * response relayed upstream, and the proxy's own responses to a request it
 * no longer has parsed.
 *
 * Design decisions:
 * - Byte ranges in, bytes out. The writer is fed the ranges the one parse
 *   found (struct sr_fwd_req, struct sr_fwd_resp), never a parsed object,
 *   so it is independent of the message view and the proxy can keep a copy
 *   of the request with its ranges (sr_fwd_req_rebase) and write branches
 *   later (serial forking) without parsing again.
 * - The forwarded request is the received one with edits (RFC 3261 16.6):
 *   start line with the branch's Request-URI; our Via first; Max-Forwards
 *   decremented (70 when absent); our Record-Route; one Route header with
 *   the branch's route (a binding's Path, RFC 3327) followed by the
 *   received Route values minus the ones addressed to us; then every other
 *   received header and the body byte for byte. Gathering all Route values
 *   into one line right after our Via keeps their order (the only order
 *   that matters among headers of one name) and lets CANCEL and ACK repeat
 *   exactly the same route set (9.1, 17.1.1.3), from the same inputs.
 * - CANCEL and ACK are written from the same request ranges and branch
 *   parameters as the INVITE they follow, so they carry the same
 *   Request-URI, Via, Route, From, Call-ID and CSeq number by
 *   construction.
 * - Every append goes through the response writer's bounded appender
 *   (struct sr_resp): on overflow the functions return 0 and nothing past
 *   the capacity is written.
 */
#ifndef SR_SIP_FORWARD_H
#define SR_SIP_FORWARD_H

#include <stddef.h>
#include <stdint.h>

#include "sip_str.h"

#define SR_FWD_MAX_ROUTES 16 /* Route values (and Route header lines) a forwarded request may carry */

/* The ranges of a received request the proxy writers need; each points into msg. */
struct sr_fwd_req {
	struct sr_str msg;          /* the whole request */
	struct sr_str method;       /* in the start line */
	struct sr_str ruri;         /* Request-URI in the start line */
	size_t headers_at;          /* offset of the first header line */
	size_t body_at;             /* offset just past the empty line that ends the headers */
	struct sr_str max_forwards_line; /* the whole Max-Forwards line with its CRLF; empty when absent */
	uint32_t max_forwards;      /* its value (the caller refused 0 with 483) */
	unsigned n_route_lines;
	struct sr_str route_lines[SR_FWD_MAX_ROUTES]; /* every Route header line with its CRLF */
	unsigned n_routes;
	struct sr_str routes[SR_FWD_MAX_ROUTES];      /* the Route values in order, one name-addr each */
	struct sr_str from, to, call_id;              /* header values (for CANCEL and ACK) */
	uint32_t cseq;                                /* CSeq number */
};

/* What differs per branch. */
struct sr_fwd_branch {
	struct sr_str ruri;         /* the branch's Request-URI; empty: the received one */
	struct sr_str sent_by;      /* our Via sent-by, e.g. "198.51.100.1:5060" */
	struct sr_str branch;       /* our Via branch */
	struct sr_str record_route; /* URI for our Record-Route (without < >); empty: none */
	struct sr_str route_first;  /* Route values to put first (a Path, ", "-joined); empty: none */
	unsigned route_skip;        /* received Route values to drop from the top (ours) */
};

/* Writes the forwarded request into out; returns its length, 0 when it does not fit. */
size_t sr_fwd_request(char *out, size_t cap, const struct sr_fwd_req *rq, const struct sr_fwd_branch *br);
/* Writes the CANCEL of the branch's INVITE (RFC 3261 9.1); 0 when it does not fit. */
size_t sr_fwd_cancel(char *out, size_t cap, const struct sr_fwd_req *rq, const struct sr_fwd_branch *br);
/* Writes the ACK of a non-2xx final response whose To value is resp_to (17.1.1.3); 0 when it does not fit. */
size_t sr_fwd_ack(char *out, size_t cap, const struct sr_fwd_req *rq, const struct sr_fwd_branch *br,
		  struct sr_str resp_to);

/* Moves every range of rq from the buffer at 'from' to a copy of it at 'to' (rq->msg included). */
void sr_fwd_req_rebase(struct sr_fwd_req *rq, const char *from, const char *to);

/* The ranges of a received response the relay needs; each points into msg. */
struct sr_fwd_resp {
	struct sr_str msg;          /* the whole response */
	struct sr_str top_via_line; /* the header line holding the top Via value, with its CRLF */
	struct sr_str top_via;      /* the top Via value inside that line */
	size_t headers_end;         /* offset of the empty line that ends the headers */
};

/*
 * Writes the response to relay upstream (16.7 step 9): our top Via value
 * removed (the whole line when it held only that value), extra_lines
 * (complete header lines, e.g. gathered WWW-Authenticate, 16.7 step 7)
 * added at the end of the headers, the rest byte for byte. 0 when it does
 * not fit.
 */
size_t sr_fwd_response(char *out, size_t cap, const struct sr_fwd_resp *rs, struct sr_str extra_lines);

/*
 * The head of the proxy's own responses to a request: the request's Via
 * lines, From, To, Call-ID and CSeq as header lines, as the response writer
 * copies them (top Via with received/rport), written once when the request
 * arrives and kept.
 */
struct sr_fwd_head {
	struct sr_str lines;  /* header lines, each with its CRLF */
	size_t to_tag_at;     /* offset in lines where ";tag=" goes (end of the To value); 0: the To has a tag */
};

/*
 * Writes a response of the proxy's own from a kept head: status line
 * (reason NULL: the standard phrase), the head with ";tag=<to_tag>" added to
 * the To when it has none and to_tag is not empty (RFC 3261 8.2.6.2; a 100
 * Trying gets no tag, 17.2.1), extra_lines, Content-Length: 0. 0 when it
 * does not fit.
 */
size_t sr_fwd_local_response(char *out, size_t cap, int status, const char *reason,
			     const struct sr_fwd_head *head, struct sr_str to_tag, struct sr_str extra_lines);

/* One Contact of a redirect: URI, q in thousandths (negative: none), seconds it stays valid. */
struct sr_fwd_contact {
	struct sr_str uri;
	int q;
	uint32_t expires;
	uint32_t received_ip;   /* network order; 0: no ;received= */
	uint16_t received_port;
};

/* Writes a 3xx (RFC 3261 21.3) from a kept head with one Contact per entry, in the given order; 0 when it does not fit. */
size_t sr_fwd_redirect(char *out, size_t cap, int status, const struct sr_fwd_head *head, struct sr_str to_tag,
		       const struct sr_fwd_contact *contacts, unsigned n);

/* Writes one header line "Name: value\r\n" (for the extra lines above); 0 when it does not fit. */
size_t sr_fwd_header_line(char *out, size_t cap, const char *name, struct sr_str value);

#endif
