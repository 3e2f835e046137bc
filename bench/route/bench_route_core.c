/*
 * bench_route_core.c - in-process calls through the routing shard and its
 * transaction layer: the CPU the proxy logic costs per routed call, without
 * packets, parsing or a location store.
 *
 * One thread, one routing shard in proxy mode with Record-Route, one
 * binding. Each call is the message flow sipp's basic call would produce:
 * INVITE in (100 Trying out, INVITE forwarded), 180 and 200 from the callee
 * (relayed), the caller's ACK (forwarded statelessly along our Record-Route),
 * the caller's BYE (forwarded) and its 200 (relayed). Requests and their
 * facts (what the message view would hand over) are built in batches outside
 * the timed regions; responses are fixed templates with the branch our
 * forwarded request carried copied in (a 43-byte memcpy per response, inside
 * the timing). The clock then runs through the batch's simulated time one
 * millisecond at a time, so every transaction's timers fire and every
 * transaction and context is freed: the timer cost is timed on its own.
 *
 * Phases, timed separately (thread CPU time) and reported per call:
 *   invite  INVITE + 180 + 200 (server and client INVITE transactions, relays)
 *   ack     the ACK of the 2xx (stateless)
 *   bye     BYE + 200 (server and client non-INVITE transactions)
 *   timers  sr_route_advance over the batch's simulated time (200 calls/s)
 *
 * Usage: bench_route_core [CALLS]   (default 200,000). Last line: one JSON object.
 */
#include "routing.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCH 4096
#define MSG 1536
#define SIM_MS_PER_CALL 5 /* 200 calls per simulated second */

struct call {
	char inv[MSG], inv_head[MSG], ack[MSG], bye[MSG], bye_head[MSG];
	struct sr_route_req inv_rq, ack_rq, bye_rq;
};

static struct call *calls;
static char token[64];
static char last_branch[SR_TXN_BRANCH_LEN];
static unsigned long sends;

/* CPU time of this thread: the figure is CPU per call, and the machine is shared. */
static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint32_t ip4(const char *s)
{
	struct in_addr a;
	inet_pton(AF_INET, s, &a);
	return a.s_addr;
}

/* ---- the fake worker: a few strstr over messages we wrote ourselves ---- */

static struct sr_str line_of(const char *msg, const char *name)
{
	char key[40];
	snprintf(key, sizeof(key), "\r\n%s:", name);
	const char *l = strstr(msg, key);
	if (!l)
		return SR_STR_NULL;
	l += 2;
	return sr_str_make(l, (size_t)(strstr(l, "\r\n") + 2 - l));
}

static struct sr_str value_of(struct sr_str line)
{
	const char *v = memchr(line.p, ':', line.len) + 2;
	return sr_str_make(v, (size_t)(line.p + line.len - 2 - v));
}

static struct sr_str after(const char *msg, const char *prefix, const char *stop)
{
	const char *p = strstr(msg, prefix) + strlen(prefix);
	return sr_str_make(p, strcspn(p, stop));
}

static void send_cb(void *ctx, const struct sr_txn_dest *to, const char *bytes, size_t len)
{
	(void)ctx, (void)to;
	sends++;
	/* Keep our branch of a forwarded request: the fake UA answers with it. */
	if (bytes[0] != 'S' && len > 100) {
		/* Our Via is the first header line: "Via: SIP/2.0/UDP 198.51.100.1:5060;branch=" */
		const char *b = (const char *)memchr(bytes, '\n', len) + 1 + 42;
		memcpy(last_branch, b, SR_TXN_BRANCH_LEN);
		if (!token[0] && bytes[0] == 'I') {
			const char *rr = memmem(bytes, len, "Record-Route: <sip:", 19);
			if (rr)
				snprintf(token, sizeof(token), "%.*s", (int)strcspn(rr + 19, "@"), rr + 19);
		}
	}
}

static struct sr_route_binding binding;

static unsigned lookup_cb(void *ctx, const struct sr_route_req *rq, const struct sr_route_binding **out, bool *known)
{
	(void)ctx, (void)rq;
	*out = &binding;
	*known = true;
	return 1;
}

/* Fills the facts of a request we wrote (head: Via .. CSeq lines without Max-Forwards and Route). */
static void facts(char *msg, char *head, struct sr_route_req *rq, enum sr_route_ruri kind, bool route_ours)
{
	memset(rq, 0, sizeof(*rq));
	struct sr_fwd_req *f = &rq->fwd;
	size_t len = strlen(msg);
	f->msg = sr_str_make(msg, len);
	f->method = sr_str_make(msg, strcspn(msg, " "));
	f->ruri = sr_str_make(msg + f->method.len + 1, strcspn(msg + f->method.len + 1, " "));
	f->headers_at = (size_t)(strstr(msg, "\r\n") + 2 - msg);
	f->body_at = (size_t)(strstr(msg, "\r\n\r\n") + 4 - msg);
	f->max_forwards_line = line_of(msg, "Max-Forwards");
	f->max_forwards = 70;
	struct sr_str route = line_of(msg, "Route");
	if (route.len) {
		f->route_lines[f->n_route_lines++] = route;
		f->routes[f->n_routes++] = value_of(route);
	}
	f->from = value_of(line_of(msg, "From"));
	f->to = value_of(line_of(msg, "To"));
	f->call_id = value_of(line_of(msg, "Call-ID"));
	f->cseq = (uint32_t)atoi(value_of(line_of(msg, "CSeq")).p);
	rq->txn = (struct sr_txn_req){ f->method, after(msg, "branch=", ";\r"), SR_STR_LIT("198.51.100.2:5070"),
				       f->cseq, f->ruri, f->call_id, after(msg, "From: ", "\r").len ? after(msg, ";tag=", ";\r") : SR_STR_NULL,
				       value_of(line_of(msg, "Via")) };
	rq->source = rq->reply_to = (struct sr_txn_dest){ ip4("198.51.100.2"), 5070, false };
	struct sr_str to = value_of(line_of(msg, "To"));
	const char *tt = memmem(to.p, to.len, ";tag=", 5);
	rq->to_tag = tt ? sr_str_make(tt + 5, (size_t)(to.p + to.len - tt - 5)) : SR_STR_NULL;
	rq->ruri = kind;
	rq->aor = SR_STR_LIT("sip:bob@example.com");
	if (route_ours) {
		rq->top_route_self = true;
		rq->top_route_user = sr_str_make(token, strlen(token));
	}
	/* head */
	size_t hl = 0;
	for (const char *l = msg + f->headers_at;;) {
		const char *e = strstr(l, "\r\n") + 2;
		if (strncmp(l, "Content-", 8) == 0 || strncmp(l, "Contact", 7) == 0 || l[0] == '\r')
			break;
		if (strncmp(l, "Max-Forwards", 12) != 0 && strncmp(l, "Route", 5) != 0) {
			memcpy(head + hl, l, (size_t)(e - l));
			hl += (size_t)(e - l);
		}
		l = e;
	}
	head[hl] = '\0';
	rq->head.lines = sr_str_make(head, hl);
	if (!tt)
		rq->head.to_tag_at = (size_t)(strstr(head, "\r\nCall-ID") - head);
}

static const char SDP[] = "v=0\r\no=alice 1 1 IN IP4 198.51.100.2\r\ns=-\r\nc=IN IP4 198.51.100.2\r\nt=0 0\r\n"
			  "m=audio 20000 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
			  "a=rtpmap:101 telephone-event/8000\r\n";

static void build_invite(struct call *c, uint32_t i)
{
	snprintf(c->inv, MSG,
		 "INVITE sip:bob@example.com SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 198.51.100.2:5070;branch=z9hG4bK-%08x-inv;rport\r\n"
		 "Max-Forwards: 70\r\n"
		 "From: \"Alice\" <sip:alice@example.com>;tag=alice-1\r\n"
		 "To: <sip:bob@example.com>\r\n"
		 "Call-ID: %08x-bench@198.51.100.2\r\n"
		 "CSeq: 1 INVITE\r\n"
		 "Contact: <sip:alice@198.51.100.2:5070>\r\n"
		 "Content-Type: application/sdp\r\n"
		 "Content-Length: %zu\r\n\r\n%s",
		 i, i, sizeof(SDP) - 1, SDP);
	facts(c->inv, c->inv_head, &c->inv_rq, SR_RURI_SERVED, false);
}

static void build_in_dialog(struct call *c, uint32_t i)
{
	const char *fmt = "%s sip:bob@198.51.100.12:5062 SIP/2.0\r\n"
			  "Via: SIP/2.0/UDP 198.51.100.2:5070;branch=z9hG4bK-%08x-%s;rport\r\n"
			  "Max-Forwards: 70\r\n"
			  "Route: <sip:%s@198.51.100.1:5060;lr>\r\n"
			  "From: \"Alice\" <sip:alice@example.com>;tag=alice-1\r\n"
			  "To: <sip:bob@example.com>;tag=bob-1\r\n"
			  "Call-ID: %08x-bench@198.51.100.2\r\n"
			  "CSeq: %u %s\r\n"
			  "Content-Length: 0\r\n\r\n";
	snprintf(c->ack, MSG, fmt, "ACK", i, "ack", token, i, 1, "ACK");
	snprintf(c->bye, MSG, fmt, "BYE", i, "bye", token, i, 2, "BYE");
	facts(c->ack, c->inv_head, &c->ack_rq, SR_RURI_FOREIGN, true); /* an ACK never needs a head */
	facts(c->bye, c->bye_head, &c->bye_rq, SR_RURI_FOREIGN, true);
}

/* A response template from the callee (or the caller for the BYE), facts fixed, our branch copied in per use. */
struct resp {
	char text[MSG];
	char *branch;
	struct sr_route_resp rp;
};

static void build_resp(struct resp *r, int status, const char *reason, const char *cseq)
{
	snprintf(r->text, MSG,
		 "SIP/2.0 %d %s\r\n"
		 "Via: SIP/2.0/UDP 198.51.100.1:5060;branch=%0*d\r\n"
		 "Via: SIP/2.0/UDP 198.51.100.2:5070;branch=z9hG4bK-00000000-inv;rport=5070\r\n"
		 "Record-Route: <sip:%s@198.51.100.1:5060;lr>\r\n"
		 "From: \"Alice\" <sip:alice@example.com>;tag=alice-1\r\n"
		 "To: <sip:bob@example.com>;tag=bob-1\r\n"
		 "Call-ID: 00000000-bench@198.51.100.2\r\n"
		 "CSeq: %s\r\n"
		 "Contact: <sip:bob@198.51.100.12:5062>\r\n"
		 "Content-Length: 0\r\n\r\n",
		 status, reason, SR_TXN_BRANCH_LEN, 0, token, cseq);
	memset(&r->rp, 0, sizeof(r->rp));
	r->branch = strstr(r->text, "branch=") + 7;
	r->rp.txn = (struct sr_txn_resp){ status, sr_str_make(r->branch, SR_TXN_BRANCH_LEN),
					  sr_str_cstr(strchr(cseq, ' ') + 1), r->text, strlen(r->text), NULL };
	r->rp.fwd.msg = sr_str_make(r->text, strlen(r->text));
	r->rp.fwd.top_via_line = line_of(r->text, "Via");
	r->rp.fwd.top_via = value_of(r->rp.fwd.top_via_line);
	r->rp.fwd.headers_end = (size_t)(strstr(r->text, "\r\n\r\n") + 2 - r->text);
	r->rp.to = value_of(line_of(r->text, "To"));
}

static void answer(struct sr_route_shard *rs, struct resp *r, uint64_t now)
{
	memcpy(r->branch, last_branch, SR_TXN_BRANCH_LEN);
	sr_route_response(rs, &r->rp, now);
}

int main(int argc, char **argv)
{
	unsigned long total = argc > 1 ? strtoul(argv[1], NULL, 10) : 200000;
	struct sr_route_config cfg = {
		.mode = SR_ROUTE_PROXY,
		.record_route = true,
		.self = SR_STR_LIT("198.51.100.1:5060"),
		.contexts = 32768,
		.txn = { .capacity = 65536, .buf_small = 1024, .buf_large = 64, .worker = 1,
			 .secret = { 0x0123456789abcdefull, 0x1122334455667788ull } },
	};
	struct sr_route_io io = { send_cb, lookup_cb, NULL };
	uint64_t now = 1000;
	struct sr_route_shard *rs = sr_route_shard_create(&cfg, &io, NULL, now);
	calls = malloc(sizeof(*calls) * BATCH);
	if (!rs || !calls) {
		fprintf(stderr, "bench_route_core: out of memory\n");
		return 1;
	}
	binding = (struct sr_route_binding){ .contact = SR_STR_LIT("sip:bob@198.51.100.12:5062"), .q = SR_ROUTE_Q_NONE,
					     .expires_in = 3600, .source = { ip4("198.51.100.12"), 5062, false } };

	/* One call first: it gives the Record-Route token the in-dialog requests carry (constant: same hops, same From tag). */
	build_invite(&calls[0], 0xffffffffu);
	sr_route_request(rs, &calls[0].inv_rq, now);
	if (!token[0]) {
		fprintf(stderr, "bench_route_core: no Record-Route in the forwarded INVITE\n");
		return 1;
	}
	struct resp r180, r200, rbye;
	build_resp(&r180, 180, "Ringing", "1 INVITE");
	build_resp(&r200, 200, "OK", "1 INVITE");
	build_resp(&rbye, 200, "OK", "2 BYE");
	answer(rs, &r200, now);

	double t_inv = 0, t_ack = 0, t_bye = 0, t_tim = 0;
	unsigned long done = 0;
	while (done < total) {
		unsigned n = total - done < BATCH ? (unsigned)(total - done) : BATCH;
		for (unsigned i = 0; i < n; i++) {
			build_invite(&calls[i], (uint32_t)(done + i));
			build_in_dialog(&calls[i], (uint32_t)(done + i));
		}
		double t0 = now_s();
		for (unsigned i = 0; i < n; i++) {
			sr_route_request(rs, &calls[i].inv_rq, now);
			answer(rs, &r180, now);
			answer(rs, &r200, now);
		}
		double t1 = now_s();
		for (unsigned i = 0; i < n; i++)
			sr_route_request(rs, &calls[i].ack_rq, now);
		double t2 = now_s();
		for (unsigned i = 0; i < n; i++) {
			sr_route_request(rs, &calls[i].bye_rq, now);
			answer(rs, &rbye, now);
		}
		double t3 = now_s();
		uint64_t until = now + (uint64_t)n * SIM_MS_PER_CALL;
		while (now < until) {
			now++;
			while (sr_route_advance(rs, now, 1024) == 1024)
				;
		}
		double t4 = now_s();
		t_inv += t1 - t0;
		t_ack += t2 - t1;
		t_bye += t3 - t2;
		t_tim += t4 - t3;
		done += n;
	}
	const struct sr_route_stats *st = sr_route_stats(rs);
	const struct sr_txn_stats *ts = sr_txn_stats(sr_route_txn(rs));
	double per = 1e9 / (double)done;
	double call_ns = (t_inv + t_ack + t_bye + t_tim) * per;
	printf("calls %lu, forwarded %llu, in-dialog %llu, ACKs %llu, exhausted %llu, live txns %u, sends %lu\n", done,
	       (unsigned long long)st->forwarded, (unsigned long long)st->in_dialog,
	       (unsigned long long)st->acks_forwarded, (unsigned long long)st->exhausted, ts->live, sends);
	printf("per call: INVITE+180+200 %.0f ns, ACK %.0f ns, BYE+200 %.0f ns, timers %.0f ns, total %.0f ns\n",
	       t_inv * per, t_ack * per, t_bye * per, t_tim * per, call_ns);
	printf("{\"calls\":%lu,\"invite_ns\":%.0f,\"ack_ns\":%.0f,\"bye_ns\":%.0f,\"timers_ns\":%.0f,\"call_ns\":%.0f,"
	       "\"calls_per_s\":%.0f,\"exhausted\":%llu}\n",
	       done, t_inv * per, t_ack * per, t_bye * per, t_tim * per, call_ns, 1e9 / call_ns,
	       (unsigned long long)st->exhausted);
	int rc = st->exhausted ? 1 : 0;
	sr_route_shard_free(rs);
	free(calls);
	return rc;
}
