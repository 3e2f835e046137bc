/*
 * route_harness.c - the fake worker of route_harness.h.
 */
#include "route_harness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

struct sr_txn_dest rh_caller(void)
{
	return (struct sr_txn_dest){ rh_ip("198.51.100.2"), 5070, false };
}

uint32_t rh_ip(const char *dotted)
{
	struct in_addr a;
	assert_int_equal(inet_pton(AF_INET, dotted, &a), 1);
	return a.s_addr;
}

static void io_send(void *ctx, const struct sr_txn_dest *to, const char *bytes, size_t len)
{
	struct rh *h = ctx;
	assert_true(h->n_sends < RH_MAX_SENDS);
	struct rh_send *s = &h->sends[h->n_sends++];
	s->at = h->now;
	s->to = *to;
	s->len = len;
	assert_true(len <= RH_MSG_MAX);
	memcpy(s->bytes, bytes, len);
	s->bytes[len] = '\0';
}

static unsigned io_lookup(void *ctx, const struct sr_route_req *rq, const struct sr_route_binding **out,
			  bool *user_known)
{
	struct rh *h = ctx;
	h->lookups++;
	snprintf(h->last_aor, sizeof(h->last_aor), "%.*s", (int)rq->aor.len, rq->aor.p);
	*out = h->bindings;
	*user_known = h->user_known;
	return h->n_bindings;
}

static bool io_purr(void *ctx, struct sr_str purr, struct sr_str *aor, struct sr_push_binding *pb)
{
	struct rh *h = ctx;
	snprintf(h->last_purr, sizeof(h->last_purr), "%.*s", (int)purr.len, purr.p);
	*aor = SR_STR_LIT("sip:bob@example.com");
	*pb = h->purr_pb;
	return h->purr_found;
}

struct sr_route_config rh_config(enum sr_route_mode mode, bool record_route)
{
	return (struct sr_route_config){
		.mode = mode,
		.record_route = record_route,
		.self = SR_STR_LIT("198.51.100.1:5060"),
		.contexts = 16,
		.txn = { .capacity = 64, .buf_small = 2048, .buf_large = 4, .worker = 5,
			 .secret = { 0x1111222233334444ull, 0x5555666677778888ull } },
	};
}

void rh_init(struct rh *h, const struct sr_route_config *cfg)
{
	static const struct sr_route_io io = { io_send, io_lookup, io_purr };
	memset(h, 0, sizeof(*h));
	h->now = 1000;
	h->user_known = true;
	struct sr_route_config def = rh_config(SR_ROUTE_PROXY, false);
	h->rs = sr_route_shard_create(cfg ? cfg : &def, &io, h, h->now);
	assert_non_null(h->rs);
}

void rh_free(struct rh *h)
{
	sr_route_shard_free(h->rs);
	h->rs = NULL;
}

struct sr_route_binding *rh_bind(struct rh *h, const char *contact, uint16_t q, uint32_t src_ip, uint16_t src_port)
{
	assert_true(h->n_bindings < SR_ROUTE_MAX_TARGETS);
	struct sr_route_binding *b = &h->bindings[h->n_bindings++];
	memset(b, 0, sizeof(*b));
	b->contact = sr_str_cstr(contact);
	b->q = q;
	b->expires_in = 3600;
	b->registered_at = h->n_bindings;
	b->source = (struct sr_txn_dest){ src_ip, src_port, false };
	return b;
}

/* ---- a test-only scanner for the messages the harness and the shard write ---- */

/* The whole line (with CRLF) of the first header named name (case-sensitive, at a line start), or empty. */
static struct sr_str header_line(const char *msg, const char *name)
{
	size_t nl = strlen(name);
	for (const char *p = strstr(msg, "\r\n"); p; p = strstr(p + 2, "\r\n")) {
		const char *l = p + 2;
		if (l[0] == '\r')
			break;
		if (strncmp(l, name, nl) == 0 && l[nl] == ':') {
			const char *e = strstr(l, "\r\n");
			return sr_str_make(l, (size_t)(e + 2 - l));
		}
	}
	return SR_STR_NULL;
}

/* The value inside a header line: after ": " up to the CRLF. */
static struct sr_str line_value(struct sr_str line)
{
	const char *c = memchr(line.p, ':', line.len);
	const char *v = c + 1;
	while (*v == ' ')
		v++;
	return sr_str_make(v, (size_t)(line.p + line.len - 2 - v));
}

const char *rh_header(const struct rh *h, unsigned i, const char *name, char *out, size_t cap)
{
	struct sr_str l = header_line(h->sends[i].bytes, name);
	out[0] = '\0';
	if (l.len) {
		struct sr_str v = line_value(l);
		snprintf(out, cap, "%.*s", (int)v.len, v.p);
	}
	return out;
}

/* ---- requests ---- */

static char req_buf[RH_MSG_MAX], head_buf[RH_MSG_MAX];

void rh_build(struct rh *h, const struct rh_req *r, struct sr_route_req *rq)
{
	(void)h;
	const char *method = r->method ? r->method : "INVITE";
	const char *ruri = r->ruri ? r->ruri : "sip:bob@example.com";
	const char *branch = r->branch ? r->branch : "z9hG4bK-caller-1";
	const char *ftag = r->from_tag ? r->from_tag : "alice-tag";
	const char *cid = r->call_id ? r->call_id : "call-1@198.51.100.2";
	uint32_t cseq = r->cseq ? r->cseq : 1;
	int mf = r->max_forwards ? r->max_forwards : 70;
	char to_tag[80] = "";
	if (r->to_tag)
		snprintf(to_tag, sizeof(to_tag), ";tag=%s", r->to_tag);
	char lower[256] = "", maxf[40] = "", routes[512] = "";
	if (r->lower_via)
		snprintf(lower, sizeof(lower), "Via: %s\r\n", r->lower_via);
	if (mf >= 0)
		snprintf(maxf, sizeof(maxf), "Max-Forwards: %d\r\n", mf);
	for (unsigned i = 0; i < 4 && r->routes[i]; i++) {
		size_t l = strlen(routes);
		snprintf(routes + l, sizeof(routes) - l, "Route: %s\r\n", r->routes[i]);
	}
	int n = snprintf(req_buf, sizeof(req_buf),
			 "%s %s SIP/2.0\r\n"
			 "Via: SIP/2.0/UDP 198.51.100.2:5070;branch=%s;rport\r\n"
			 "%s%s"
			 "From: <sip:alice@example.com>;tag=%s\r\n"
			 "To: <%s>%s\r\n"
			 "Call-ID: %s\r\n"
			 "CSeq: %u %s\r\n"
			 "%s"
			 "Content-Length: 0\r\n\r\n",
			 method, ruri, branch, lower, maxf, ftag, ruri, to_tag, cid, cseq, method, routes);
	assert_true(n > 0 && (size_t)n < sizeof(req_buf));

	memset(rq, 0, sizeof(*rq));
	struct sr_fwd_req *f = &rq->fwd;
	f->msg = sr_str_make(req_buf, (size_t)n);
	f->method = sr_str_make(req_buf, strlen(method));
	f->ruri = sr_str_make(req_buf + strlen(method) + 1, strlen(ruri));
	f->headers_at = (size_t)(strstr(req_buf, "\r\n") + 2 - req_buf);
	f->body_at = (size_t)n;
	if (mf >= 0) {
		f->max_forwards_line = header_line(req_buf, "Max-Forwards");
		f->max_forwards = (uint32_t)mf;
	}
	for (unsigned i = 0; i < 4 && r->routes[i]; i++) {
		const char *at = f->n_route_lines ? f->route_lines[f->n_route_lines - 1].p + 2 : req_buf;
		const char *l = strstr(at, "\r\nRoute: ") + 2;
		f->route_lines[f->n_route_lines++] = sr_str_make(l, strlen(r->routes[i]) + 9);
		f->routes[f->n_routes++] = sr_str_make(l + 7, strlen(r->routes[i]));
	}
	f->from = line_value(header_line(req_buf, "From"));
	f->to = line_value(header_line(req_buf, "To"));
	f->call_id = line_value(header_line(req_buf, "Call-ID"));
	f->cseq = cseq;

	struct sr_str via = line_value(header_line(req_buf, "Via"));
	rq->txn = (struct sr_txn_req){
		.method = f->method,
		.branch = sr_str_make(strstr(req_buf, branch), strlen(branch)),
		.sent_by = SR_STR_LIT("198.51.100.2:5070"),
		.cseq = cseq,
		.ruri = f->ruri,
		.call_id = f->call_id,
		.from_tag = sr_str_make(strstr(req_buf, ftag), strlen(ftag)),
		.top_via = via,
	};
	rq->source = r->source.ip ? r->source : rh_caller();
	rq->reply_to = rq->source;
	rq->to_tag = r->to_tag ? sr_str_make(strstr(req_buf, to_tag) + 5, strlen(r->to_tag)) : SR_STR_NULL;
	rq->ruri = r->kind ? r->kind : SR_RURI_SERVED;
	rq->aor = f->ruri;
	rq->gruu = r->gruu;
	rq->gruu_id = sr_str_cstr(r->gruu_id);
	rq->top_route_self = r->top_route_self;
	rq->top_route_user = sr_str_cstr(r->top_route_user);
	if (r->own_via_branch) {
		rq->n_own_vias = 1;
		rq->own_via_branch[0] = sr_str_cstr(r->own_via_branch);
	}
	rq->proxy_require_unknown = sr_str_cstr(r->proxy_require_unknown);
	rq->purr = sr_str_cstr(r->purr);

	/* The head: the Via lines, From, To, Call-ID and CSeq, as the response writer would copy them. */
	const char *hs = req_buf + f->headers_at;
	const char *he = header_line(req_buf, "CSeq").p + header_line(req_buf, "CSeq").len;
	size_t hl = 0;
	for (const char *l = hs; l < he;) {
		const char *e = strstr(l, "\r\n") + 2;
		if (strncmp(l, "Max-Forwards", 12) != 0 && strncmp(l, "Route", 5) != 0) {
			memcpy(head_buf + hl, l, (size_t)(e - l));
			hl += (size_t)(e - l);
		}
		l = e;
	}
	rq->head.lines = sr_str_make(head_buf, hl);
	if (!r->to_tag)
		rq->head.to_tag_at = (size_t)(strstr(head_buf, "\r\nCall-ID") - head_buf);
}

int rh_request(struct rh *h, const struct rh_req *r)
{
	struct sr_route_req rq;
	rh_build(h, r, &rq);
	return sr_route_request(h->rs, &rq, h->now);
}

/* ---- responses ---- */

static const char *reason(int s)
{
	switch (s) {
	case 100: return "Trying";
	case 180: return "Ringing";
	case 200: return "OK";
	case 401: return "Unauthorized";
	case 407: return "Proxy Authentication Required";
	case 430: return "Flow Failed";
	case 486: return "Busy Here";
	case 487: return "Request Terminated";
	case 503: return "Service Unavailable";
	case 603: return "Decline";
	default: return "Whatever";
	}
}

int rh_answer(struct rh *h, unsigned i, int status, const char *to_tag, const char *extra)
{
	static char resp[RH_MSG_MAX];
	const char *req = h->sends[i].bytes;
	size_t n = (size_t)snprintf(resp, sizeof(resp), "SIP/2.0 %d %s\r\n", status, reason(status));
	/* Every Via line of the request, in order. */
	for (const char *p = strstr(req, "\r\n"); p && p[2] != '\r'; p = strstr(p + 2, "\r\n")) {
		const char *l = p + 2;
		if (strncmp(l, "Via:", 4) == 0) {
			const char *e = strstr(l, "\r\n") + 2;
			memcpy(resp + n, l, (size_t)(e - l));
			n += (size_t)(e - l);
		}
	}
	char v[512];
	struct sr_str cs = line_value(header_line(req, "CSeq"));
	n += (size_t)snprintf(resp + n, sizeof(resp) - n, "From: %s\r\n", rh_header(h, i, "From", v, sizeof(v)));
	n += (size_t)snprintf(resp + n, sizeof(resp) - n, "To: %s%s%s\r\n", rh_header(h, i, "To", v, sizeof(v)),
			      to_tag ? ";tag=" : "", to_tag ? to_tag : "");
	n += (size_t)snprintf(resp + n, sizeof(resp) - n, "Call-ID: %s\r\nCSeq: %.*s\r\n%sContent-Length: 0\r\n\r\n",
			      rh_header(h, i, "Call-ID", v, sizeof(v)), (int)cs.len, cs.p, extra ? extra : "");

	struct sr_route_resp rp;
	memset(&rp, 0, sizeof(rp));
	rp.txn.status = status;
	rp.txn.bytes = resp;
	rp.txn.len = n;
	struct sr_str top = header_line(resp, "Via");
	const char *b = strstr(top.p, "branch=") + 7;
	size_t bl = strcspn(b, ";\r");
	rp.txn.branch = sr_str_make(b, bl);
	struct sr_str csv = line_value(header_line(resp, "CSeq"));
	const char *sp = memchr(csv.p, ' ', csv.len);
	rp.txn.cseq_method = sr_str_make(sp + 1, (size_t)(csv.p + csv.len - sp - 1));
	rp.fwd.msg = sr_str_make(resp, n);
	rp.fwd.top_via_line = top;
	rp.fwd.top_via = line_value(top);
	rp.fwd.headers_end = (size_t)(strstr(resp, "\r\n\r\n") + 2 - resp);
	rp.to = line_value(header_line(resp, "To"));
	const char *names[] = { "WWW-Authenticate", "Proxy-Authenticate" };
	for (unsigned k = 0; k < 2; k++) {
		struct sr_str l = header_line(resp, names[k]);
		if (l.len)
			rp.auth[rp.n_auth++] = l;
	}
	return sr_route_response(h->rs, &rp, h->now);
}

void rh_run_to(struct rh *h, uint64_t t)
{
	while (h->now < t) {
		h->now++;
		while (sr_route_advance(h->rs, h->now, 64) == 64)
			;
	}
}

int rh_find(const struct rh *h, unsigned from, const char *prefix)
{
	for (unsigned i = from; i < h->n_sends; i++)
		if (strncmp(h->sends[i].bytes, prefix, strlen(prefix)) == 0)
			return (int)i;
	return -1;
}

unsigned rh_count(const struct rh *h, unsigned from, const char *prefix)
{
	unsigned n = 0;
	for (unsigned i = from; i < h->n_sends; i++)
		n += strncmp(h->sends[i].bytes, prefix, strlen(prefix)) == 0;
	return n;
}
