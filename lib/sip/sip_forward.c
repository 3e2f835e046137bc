/*
 * sip_forward.c - the proxy's writers (see sip_forward.h).
 *
 * Everything is appended through the response writer's bounded appender
 * (sr_resp_raw, sr_resp_header*), so there is one bounds check in lib/sip
 * and a writer that runs out of room reports 0 instead of a truncated
 * message. Received bytes are copied in runs between the ranges to drop;
 * those ranges come from the parser, and are clipped to the header section
 * (and ordered) here so a wrong range can only drop too little, never read
 * outside the message.
 */
#include "sip_forward.h"

#include <stdio.h>

#include "sip_response.h"

#define RAW_LIT(w, lit) sr_resp_raw((w), SR_STR_LIT(lit))

static void writer_init(struct sr_resp *w, char *out, size_t cap)
{
	w->buf = out;
	w->cap = out ? cap : 0;
	w->len = 0;
	w->overflow = false;
}

static size_t writer_done(const struct sr_resp *w)
{
	return w->overflow ? 0 : w->len;
}

static void start_line(struct sr_resp *w, struct sr_str method, struct sr_str ruri)
{
	sr_resp_raw(w, method);
	RAW_LIT(w, " ");
	sr_resp_raw(w, ruri);
	RAW_LIT(w, " SIP/2.0\r\n");
}

static struct sr_str branch_ruri(const struct sr_fwd_req *rq, const struct sr_fwd_branch *br)
{
	return br->ruri.len ? br->ruri : rq->ruri;
}

static void via_line(struct sr_resp *w, const struct sr_fwd_branch *br)
{
	RAW_LIT(w, "Via: SIP/2.0/UDP ");
	sr_resp_raw(w, br->sent_by);
	RAW_LIT(w, ";branch=");
	sr_resp_raw(w, br->branch);
	RAW_LIT(w, "\r\n");
}

/* One Route line: the branch's own route first, then the received values not addressed to us. */
static void route_line(struct sr_resp *w, const struct sr_fwd_req *rq, const struct sr_fwd_branch *br)
{
	bool any = false;
	if (br->route_first.len) {
		RAW_LIT(w, "Route: ");
		sr_resp_raw(w, br->route_first);
		any = true;
	}
	unsigned n = rq->n_routes < SR_FWD_MAX_ROUTES ? rq->n_routes : SR_FWD_MAX_ROUTES;
	for (unsigned i = br->route_skip; i < n; i++) {
		sr_resp_raw(w, any ? SR_STR_LIT(", ") : SR_STR_LIT("Route: "));
		sr_resp_raw(w, rq->routes[i]);
		any = true;
	}
	if (any)
		RAW_LIT(w, "\r\n");
}

/* Copies [from, to) of the message except the given ranges (clipped to it, any order). */
static void copy_except(struct sr_resp *w, const char *from, const char *to, struct sr_str *skip, unsigned n)
{
	/* Insertion sort by start: n is at most SR_FWD_MAX_ROUTES + 1. */
	for (unsigned i = 1; i < n; i++)
		for (unsigned j = i; j > 0 && skip[j].p < skip[j - 1].p; j--) {
			struct sr_str t = skip[j];
			skip[j] = skip[j - 1];
			skip[j - 1] = t;
		}
	const char *at = from;
	for (unsigned i = 0; i < n; i++) {
		const char *s = skip[i].p, *e = skip[i].p + skip[i].len;
		if (!s || e <= at || s >= to)
			continue;
		if (s > at)
			sr_resp_raw(w, sr_str_make(at, (size_t)(s - at)));
		at = e < to ? e : to;
	}
	if (to > at)
		sr_resp_raw(w, sr_str_make(at, (size_t)(to - at)));
}

size_t sr_fwd_request(char *out, size_t cap, const struct sr_fwd_req *rq, const struct sr_fwd_branch *br)
{
	struct sr_resp w;
	struct sr_str skip[SR_FWD_MAX_ROUTES + 1];
	unsigned n = 0;
	writer_init(&w, out, cap);
	if (rq->headers_at > rq->body_at || rq->body_at > rq->msg.len)
		return 0;
	start_line(&w, rq->method, branch_ruri(rq, br));
	via_line(&w, br);
	bool has_mf = rq->max_forwards_line.len != 0;
	sr_resp_header_uint(&w, "Max-Forwards", has_mf ? (rq->max_forwards ? rq->max_forwards - 1 : 0) : 70);
	if (br->record_route.len) {
		RAW_LIT(&w, "Record-Route: <");
		sr_resp_raw(&w, br->record_route);
		RAW_LIT(&w, ">\r\n");
	}
	route_line(&w, rq, br);
	if (has_mf)
		skip[n++] = rq->max_forwards_line;
	for (unsigned i = 0; i < rq->n_route_lines && i < SR_FWD_MAX_ROUTES; i++)
		skip[n++] = rq->route_lines[i];
	const char *headers = rq->msg.p + rq->headers_at, *body = rq->msg.p + rq->body_at;
	copy_except(&w, headers, body, skip, n);
	sr_resp_raw(&w, sr_str_make(body, rq->msg.len - rq->body_at));
	return writer_done(&w);
}

/* CANCEL and ACK: the INVITE's Request-URI, Via, Route, From, Call-ID and CSeq number. */
static size_t hop_request(char *out, size_t cap, const struct sr_fwd_req *rq, const struct sr_fwd_branch *br,
			  struct sr_str method, struct sr_str to)
{
	struct sr_resp w;
	char cseq[48];
	writer_init(&w, out, cap);
	start_line(&w, method, branch_ruri(rq, br));
	via_line(&w, br);
	sr_resp_header_uint(&w, "Max-Forwards", 70);
	route_line(&w, rq, br);
	sr_resp_header(&w, "From", rq->from);
	sr_resp_header(&w, "To", to);
	sr_resp_header(&w, "Call-ID", rq->call_id);
	int n = snprintf(cseq, sizeof(cseq), "%u %.*s", rq->cseq, (int)method.len, method.p);
	sr_resp_header(&w, "CSeq", sr_str_make(cseq, (size_t)n));
	return sr_resp_finish(&w);
}

size_t sr_fwd_cancel(char *out, size_t cap, const struct sr_fwd_req *rq, const struct sr_fwd_branch *br)
{
	return hop_request(out, cap, rq, br, SR_STR_LIT("CANCEL"), rq->to);
}

size_t sr_fwd_ack(char *out, size_t cap, const struct sr_fwd_req *rq, const struct sr_fwd_branch *br,
		  struct sr_str resp_to)
{
	return hop_request(out, cap, rq, br, SR_STR_LIT("ACK"), resp_to);
}

static void rebase_str(struct sr_str *s, const char *from, size_t len, const char *to)
{
	if (s->p && s->p >= from && s->p + s->len <= from + len)
		s->p = to + (s->p - from);
}

void sr_fwd_req_rebase(struct sr_fwd_req *rq, const char *from, const char *to)
{
	size_t len = rq->msg.len;
	rebase_str(&rq->method, from, len, to);
	rebase_str(&rq->ruri, from, len, to);
	rebase_str(&rq->max_forwards_line, from, len, to);
	for (unsigned i = 0; i < rq->n_route_lines && i < SR_FWD_MAX_ROUTES; i++)
		rebase_str(&rq->route_lines[i], from, len, to);
	for (unsigned i = 0; i < rq->n_routes && i < SR_FWD_MAX_ROUTES; i++)
		rebase_str(&rq->routes[i], from, len, to);
	rebase_str(&rq->from, from, len, to);
	rebase_str(&rq->to, from, len, to);
	rebase_str(&rq->call_id, from, len, to);
	rebase_str(&rq->msg, from, len, to);
}

/* The range to cut for our top Via: the whole line, or the value and its comma when more values follow on the line. */
static struct sr_str via_cut(const struct sr_fwd_resp *rs)
{
	const char *line_end = rs->top_via_line.p + rs->top_via_line.len;
	const char *p = rs->top_via.p + rs->top_via.len;
	while (p < line_end && (*p == ' ' || *p == '\t'))
		p++;
	if (p < line_end && *p == ',') {
		p++;
		while (p < line_end && (*p == ' ' || *p == '\t'))
			p++;
		return sr_str_make(rs->top_via.p, (size_t)(p - rs->top_via.p));
	}
	return rs->top_via_line;
}

size_t sr_fwd_response(char *out, size_t cap, const struct sr_fwd_resp *rs, struct sr_str extra_lines)
{
	struct sr_resp w;
	writer_init(&w, out, cap);
	const char *begin = rs->msg.p, *end = rs->msg.p + rs->msg.len;
	const char *hdr_end = begin + rs->headers_end;
	if (rs->headers_end > rs->msg.len || rs->top_via_line.p < begin ||
	    rs->top_via_line.p + rs->top_via_line.len > hdr_end || rs->top_via.p < rs->top_via_line.p ||
	    rs->top_via.p + rs->top_via.len > rs->top_via_line.p + rs->top_via_line.len)
		return 0;
	struct sr_str cut = via_cut(rs);
	copy_except(&w, begin, hdr_end, &cut, 1);
	sr_resp_raw(&w, extra_lines);
	sr_resp_raw(&w, sr_str_make(hdr_end, (size_t)(end - hdr_end)));
	return writer_done(&w);
}

/* Status line and the head, with our To tag when the To has none. */
static void local_head(struct sr_resp *w, char *out, size_t cap, int status, const char *reason,
		       const struct sr_fwd_head *head, struct sr_str to_tag)
{
	sr_resp_begin(w, out, cap, status, reason);
	struct sr_str l = head->lines;
	if (head->to_tag_at && head->to_tag_at <= l.len && to_tag.len) {
		sr_resp_raw(w, sr_str_make(l.p, head->to_tag_at));
		RAW_LIT(w, ";tag=");
		sr_resp_raw(w, to_tag);
		sr_resp_raw(w, sr_str_make(l.p + head->to_tag_at, l.len - head->to_tag_at));
	} else {
		sr_resp_raw(w, l);
	}
}

size_t sr_fwd_local_response(char *out, size_t cap, int status, const char *reason,
			     const struct sr_fwd_head *head, struct sr_str to_tag, struct sr_str extra_lines)
{
	struct sr_resp w;
	local_head(&w, out, cap, status, reason, head, to_tag);
	sr_resp_raw(&w, extra_lines);
	return sr_resp_finish(&w);
}

size_t sr_fwd_redirect(char *out, size_t cap, int status, const struct sr_fwd_head *head, struct sr_str to_tag,
		       const struct sr_fwd_contact *contacts, unsigned n)
{
	struct sr_resp w;
	local_head(&w, out, cap, status, NULL, head, to_tag);
	for (unsigned i = 0; i < n; i++) {
		struct sr_resp_contact rc = {
			.uri = contacts[i].uri,
			.expires = contacts[i].expires,
			.q = contacts[i].q,
			.received_ip = contacts[i].received_ip,
			.received_port = contacts[i].received_port,
		};
		sr_resp_contact(&w, &rc);
	}
	return sr_resp_finish(&w);
}

size_t sr_fwd_header_line(char *out, size_t cap, const char *name, struct sr_str value)
{
	struct sr_resp w;
	writer_init(&w, out, cap);
	sr_resp_header(&w, name, value);
	return writer_done(&w);
}
