/*
 * midreg_harness.c - the fake host, main registrar and clock of the
 * mid-registrar tests (see midreg_harness.h). Messages are read with
 * strstr: the tests' own, well-formed messages, as the message view would
 * hand out their ranges.
 */
#include "midreg_harness.h"

#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define START_MS 1800000000000ull /* 2027-01-15: wall clock in ms */
#define UA_IP "198.51.100.2"
#define MAX_LINES 40

struct sr_txn_dest mh_main_addr; /* 198.51.100.2:5070 (the UAs use other ports of that address) */

uint32_t mh_now_s(const struct mh *h)
{
	return (uint32_t)(h->now_ms / 1000);
}

/* ---------------------------------------------------------------- message reading (test messages only) */

static struct sr_str line_value(const char *msg, const char *name)
{
	char key[64];
	snprintf(key, sizeof(key), "\r\n%s: ", name);
	const char *p = strstr(msg, key);
	if (!p)
		return SR_STR_NULL;
	p += strlen(key);
	return sr_str_make(p, (size_t)(strstr(p, "\r\n") - p));
}

static unsigned split_lines(const char *msg, struct sr_mid_line *lines)
{
	const char *p = strstr(msg, "\r\n") + 2, *end = strstr(msg, "\r\n\r\n") + 2;
	unsigned n = 0;
	while (p < end && n < MAX_LINES) {
		const char *eol = strstr(p, "\r\n") + 2, *colon = strchr(p, ':');
		lines[n].line = sr_str_make(p, (size_t)(eol - p));
		lines[n].name = sr_str_make(p, (size_t)(colon - p));
		n++;
		p = eol;
	}
	return n;
}

/* A parameter ";name=value" inside s (value up to ';', '>' or the end); empty when absent. */
static struct sr_str param(struct sr_str s, const char *name)
{
	char key[32];
	snprintf(key, sizeof(key), ";%s=", name);
	size_t kl = strlen(key);
	for (size_t i = 0; i + kl <= s.len; i++)
		if (strncasecmp(s.p + i, key, kl) == 0) {
			size_t j = i + kl;
			while (j < s.len && s.p[j] != ';' && s.p[j] != '>' && s.p[j] != '\r')
				j++;
			return sr_str_make(s.p + i + kl, j - i - kl);
		}
	return SR_STR_NULL;
}

static int64_t num(struct sr_str s)
{
	uint64_t v;
	return sr_str_to_uint(s, UINT32_MAX, &v) ? (int64_t)v : -1;
}

/* Every "Contact: <uri>params" of msg: uri (without < >) and the parameters after it. */
static unsigned contacts(const char *msg, struct sr_str *uri, struct sr_str *after, struct sr_str *value, unsigned cap)
{
	unsigned n = 0;
	for (const char *p = strstr(msg, "\r\nContact: <"); p && n < cap; p = strstr(p + 1, "\r\nContact: <")) {
		const char *v = p + 11, *u = v + 1, *gt = strchr(u, '>'), *eol = strstr(u, "\r\n");
		uri[n] = sr_str_make(u, (size_t)(gt - u));
		after[n] = sr_str_make(gt + 1, (size_t)(eol - gt - 1));
		value[n] = sr_str_make(v, (size_t)(eol - v));
		n++;
	}
	return n;
}

static struct sr_str uri_user(struct sr_str uri)
{
	const char *colon = memchr(uri.p, ':', uri.len), *at = memchr(uri.p, '@', uri.len);
	return colon && at && at > colon ? sr_str_make(colon + 1, (size_t)(at - colon - 1)) : SR_STR_NULL;
}

/* ---------------------------------------------------------------- the host: location store */

static struct mh_binding *find_binding(struct mh *h, const char *aor, struct sr_str uri)
{
	for (unsigned i = 0; i < MH_BINDINGS; i++)
		if (h->store[i].used && strcmp(h->store[i].aor, aor) == 0 && sr_str_eq(sr_str_cstr(h->store[i].uri), uri))
			return &h->store[i];
	return NULL;
}

static uint64_t upsert(struct mh *h, const char *aor, struct sr_str uri, uint32_t expires)
{
	struct mh_binding *b = find_binding(h, aor, uri);
	for (unsigned i = 0; !b && i < MH_BINDINGS; i++)
		if (!h->store[i].used) {
			b = &h->store[i];
			*b = (struct mh_binding){ .used = true, .id = ++h->next_id };
			snprintf(b->aor, sizeof(b->aor), "%s", aor);
			snprintf(b->uri, sizeof(b->uri), "%.*s", (int)uri.len, uri.p);
		}
	assert_non_null(b);
	b->expires_at = mh_now_s(h) + expires;
	return b->id;
}

const struct mh_binding *mh_local(const struct mh *h, const char *aor, const char *uri)
{
	return find_binding((struct mh *)h, aor, sr_str_cstr(uri));
}

unsigned mh_local_count(const struct mh *h, const char *aor)
{
	unsigned n = 0;
	for (unsigned i = 0; i < MH_BINDINGS; i++)
		n += h->store[i].used && strcmp(h->store[i].aor, aor) == 0;
	return n;
}

static unsigned io_bindings(void *ctx, struct sr_str aor, const struct sr_midreg_binding **out)
{
	struct mh *h = ctx;
	unsigned n = 0;
	for (unsigned i = 0; i < MH_BINDINGS; i++) {
		struct mh_binding *b = &h->store[i];
		if (!b->used || !sr_str_eq(sr_str_cstr(b->aor), aor))
			continue;
		h->view[n++] = (struct sr_midreg_binding){
			.id = b->id,
			.uri = sr_str_cstr(b->uri),
			.expires_in = b->expires_at > mh_now_s(h) ? b->expires_at - mh_now_s(h) : 0,
			.q = -1,
			.source = { .ip = inet_addr(UA_IP), .port = 40000 },
			.nat = true,
		};
	}
	*out = h->view;
	return n;
}

/*
 * The host's resumable state: per contact, the offset and length of its URI
 * in the request (as a registrar would keep its plan as offsets into the
 * bytes), so io.apply works on the kept copy without parsing again.
 */
struct host_state {
	char aor[96];
	unsigned n;
	uint32_t at[SR_MIDREG_MAX_CONTACTS], len[SR_MIDREG_MAX_CONTACTS];
};

static int io_apply(void *ctx, const struct sr_midreg_apply *a, uint64_t ids[SR_MIDREG_MAX_CONTACTS])
{
	struct mh *h = ctx;
	h->apply_calls++;
	if (h->apply_rc)
		return h->apply_rc;
	struct host_state hs;
	assert_int_equal(a->host_state.len, sizeof(hs));
	memcpy(&hs, a->host_state.p, sizeof(hs));
	assert_true(sr_str_eq(sr_str_cstr(hs.aor), a->aor));
	if (a->star) {
		for (unsigned i = 0; i < MH_BINDINGS; i++)
			if (h->store[i].used && strcmp(h->store[i].aor, hs.aor) == 0)
				h->store[i].used = false;
		return 0;
	}
	assert_int_equal(a->n, hs.n);
	for (unsigned i = 0; i < a->n; i++) {
		struct sr_str uri = sr_str_make(a->msg.p + hs.at[i], hs.len[i]);
		if (a->expires[i]) {
			ids[i] = upsert(h, hs.aor, uri, a->expires[i]);
		} else {
			struct mh_binding *b = find_binding(h, hs.aor, uri);
			if (b)
				b->used = false;
			ids[i] = 0;
		}
	}
	return 0;
}

static void io_record(void *ctx, enum sr_midreg_rec_op op, struct sr_str aor, uint64_t ctid, const uint8_t *bytes,
		      size_t len)
{
	struct mh *h = ctx;
	(void)aor;
	unsigned free_slot = MH_BINDINGS, at = MH_BINDINGS;
	for (unsigned i = 0; i < MH_BINDINGS; i++) {
		if (h->rec_len[i] && h->rec_ctid[i] == ctid)
			at = i;
		if (!h->rec_len[i] && free_slot == MH_BINDINGS)
			free_slot = i;
	}
	if (op == SR_MIDREG_REC_DEL) {
		h->rec_del++;
		if (at < MH_BINDINGS)
			h->rec_len[at] = 0;
		return;
	}
	h->rec_put++;
	if (at == MH_BINDINGS)
		at = free_slot;
	assert_true(at < MH_BINDINGS && len <= sizeof(h->rec_bytes[0]));
	h->rec_ctid[at] = ctid;
	memcpy(h->rec_bytes[at], bytes, len);
	h->rec_len[at] = len;
}

/* ---------------------------------------------------------------- sends: to the main registrar or to a UA */

static void io_send(void *ctx, const struct sr_txn_dest *to, const char *bytes, size_t len)
{
	struct mh *h = ctx;
	assert_true(len < MH_MSG);
	if (to->ip == mh_main_addr.ip && to->port == mh_main_addr.port) {
		assert_true(h->main.q_tail - h->main.q_head < MH_QUEUE);
		unsigned k = h->main.q_tail++ % MH_QUEUE;
		memcpy(h->main.queue[k], bytes, len);
		h->main.queue[k][len] = '\0';
		h->main.queue_len[k] = len;
		return;
	}
	struct mh_ua_reply *r = &h->ua_out[h->n_ua_out++ % MH_UA_OUT];
	r->port = to->port;
	memcpy(r->bytes, bytes, len);
	r->bytes[len] = '\0';
	r->status = atoi(bytes + 8);
}

const struct mh_ua_reply *mh_ua_reply(const struct mh *h, const struct mh_ua *u, unsigned since)
{
	for (unsigned n = h->n_ua_out; n > since && n + MH_UA_OUT > h->n_ua_out; n--) {
		const struct mh_ua_reply *r = &h->ua_out[(n - 1) % MH_UA_OUT];
		if (r->port == u->port)
			return r;
	}
	return NULL;
}

/* ---------------------------------------------------------------- the main registrar */

static struct mh_up_binding *up_find(struct mh *h, struct sr_str aor, struct sr_str uri)
{
	for (unsigned i = 0; i < MH_BINDINGS; i++) {
		struct mh_up_binding *b = &h->main.b[i];
		if (b->used && sr_str_eq(sr_str_cstr(b->aor), aor) && sr_str_caseeq(sr_str_cstr(b->uri), uri))
			return b;
	}
	return NULL;
}

unsigned mh_main_count(const struct mh *h, const char *aor)
{
	unsigned n = 0;
	for (unsigned i = 0; i < MH_BINDINGS; i++) {
		const struct mh_up_binding *b = &h->main.b[i];
		n += b->used && b->expires_at > mh_now_s(h) && strcmp(b->aor, aor) == 0;
	}
	return n;
}

const struct mh_up_binding *mh_main_binding(const struct mh *h, const char *aor, unsigned k)
{
	for (unsigned i = 0; i < MH_BINDINGS; i++) {
		const struct mh_up_binding *b = &h->main.b[i];
		if (b->used && b->expires_at > mh_now_s(h) && strcmp(b->aor, aor) == 0 && k-- == 0)
			return b;
	}
	return NULL;
}

/* Processes one REGISTER as RFC 3261 10.3 says (in miniature); writes the answer into out. */
static void main_process(struct mh *h, const char *req, char *out, size_t cap)
{
	struct mh_main *mn = &h->main;
	snprintf(mn->last, sizeof(mn->last), "%s", req);
	struct sr_str via = line_value(req, "Via"), call_id = line_value(req, "Call-ID"), cseq_s = line_value(req, "CSeq");
	struct sr_str to = line_value(req, "To"), from = line_value(req, "From");
	struct sr_str aor = sr_str_make(to.p + 1, (size_t)((const char *)memchr(to.p, '>', to.len) - (to.p + 1)));
	uint32_t cseq = (uint32_t)atoi(cseq_s.p);
	int n = snprintf(out, cap, "Via: %.*s\r\nFrom: %.*s\r\nTo: %.*s;tag=main1\r\nCall-ID: %.*s\r\nCSeq: %.*s\r\n",
			 (int)via.len, via.p, (int)from.len, from.p, (int)to.len, to.p, (int)call_id.len, call_id.p,
			 (int)cseq_s.len, cseq_s.p);
	char head[1024];
	assert_true((size_t)n < sizeof(head));
	memcpy(head, out, (size_t)n + 1);
	mn->received++;
	if (mn->mode == MH_MAIN_503) {
		snprintf(out, cap, "SIP/2.0 503 Service Unavailable\r\n%sRetry-After: 20\r\nContent-Length: 0\r\n\r\n", head);
		return;
	}
	if (mn->mode == MH_MAIN_403) {
		snprintf(out, cap, "SIP/2.0 403 Forbidden\r\n%sContent-Length: 0\r\n\r\n", head);
		return;
	}
	if (mn->mode == MH_MAIN_AUTH && !strstr(req, "\r\nAuthorization: ")) {
		snprintf(out, cap,
			 "SIP/2.0 401 Unauthorized\r\n%sWWW-Authenticate: Digest realm=\"example.com\", nonce=\"n1\"\r\n"
			 "Content-Length: 0\r\n\r\n", head);
		return;
	}
	struct sr_str uri[16], after[16], value[16];
	unsigned nc = contacts(req, uri, after, value, 16);
	int64_t hdr_exp = num(line_value(req, "Expires"));
	bool all_zero = nc > 0;
	for (unsigned i = 0; i < nc; i++) {
		int64_t e = num(param(after[i], "expires"));
		if (e < 0)
			e = hdr_exp >= 0 ? hdr_exp : 3600;
		if (mn->max_expires && e > mn->max_expires)
			e = mn->max_expires;
		all_zero &= e == 0;
		struct mh_up_binding *b = up_find(h, aor, uri[i]);
		if (b && b->expires_at > mh_now_s(h) && sr_str_eq(sr_str_cstr(b->call_id), call_id) && cseq <= b->cseq) {
			mn->cseq_errors++; /* 10.3 step 7: same Call-ID, CSeq not higher: the update is aborted */
			snprintf(out, cap, "SIP/2.0 500 Out Of Order\r\n%sContent-Length: 0\r\n\r\n", head);
			return;
		}
		if (e == 0) {
			if (b)
				b->used = false;
			continue;
		}
		for (unsigned k = 0; !b && k < MH_BINDINGS; k++)
			if (!mn->b[k].used || mn->b[k].expires_at <= mh_now_s(h))
				b = &mn->b[k];
		assert_non_null(b);
		b->used = true;
		snprintf(b->aor, sizeof(b->aor), "%.*s", (int)aor.len, aor.p);
		snprintf(b->uri, sizeof(b->uri), "%.*s", (int)uri[i].len, uri[i].p);
		snprintf(b->call_id, sizeof(b->call_id), "%.*s", (int)call_id.len, call_id.p);
		b->cseq = cseq;
		b->expires_at = mh_now_s(h) + (uint32_t)e;
	}
	mn->deregisters += all_zero;
	size_t k = (size_t)snprintf(out, cap, "SIP/2.0 200 OK\r\n%s", head);
	for (unsigned i = 0; i < MH_BINDINGS; i++) {
		struct mh_up_binding *b = &mn->b[i];
		if (b->used && b->expires_at > mh_now_s(h) && sr_str_eq(sr_str_cstr(b->aor), aor))
			k += (size_t)snprintf(out + k, cap - k, "Contact: <%s>;expires=%u\r\n", b->uri,
					      b->expires_at - mh_now_s(h));
	}
	snprintf(out + k, cap - k, "Date: Fri, 15 Jan 2027 08:00:00 GMT\r\nContent-Length: 0\r\n\r\n");
}

/* Hands a response of the main registrar to the shard, as the worker would after parsing it. */
static void deliver(struct mh *h, const char *resp)
{
	struct sr_mid_line lines[MAX_LINES];
	struct sr_midreg_resp rp = { .expires = -1 };
	rp.txn.status = atoi(resp + 8);
	rp.txn.bytes = resp;
	rp.txn.len = strlen(resp);
	const char *sp = strchr(resp + 8, ' ');
	rp.reason = sr_str_make(sp + 1, (size_t)(strstr(resp, "\r\n") - sp - 1));
	struct sr_str via = line_value(resp, "Via");
	rp.txn.branch = param(via, "branch");
	struct sr_str cseq = line_value(resp, "CSeq");
	rp.txn.cseq_method = sr_str_make(strchr(cseq.p, ' ') + 1, (size_t)(cseq.p + cseq.len - strchr(cseq.p, ' ') - 1));
	rp.to_tag = param(line_value(resp, "To"), "tag");
	rp.expires = num(line_value(resp, "Expires"));
	rp.n_lines = split_lines(resp, lines);
	rp.lines = lines;
	struct sr_str uri[SR_MIDREG_MAX_UP_CONTACTS], after[SR_MIDREG_MAX_UP_CONTACTS], value[SR_MIDREG_MAX_UP_CONTACTS];
	rp.n_contacts = contacts(resp, uri, after, value, SR_MIDREG_MAX_UP_CONTACTS);
	for (unsigned i = 0; i < rp.n_contacts; i++)
		rp.contacts[i] = (struct sr_midreg_up_contact){
			.value = value[i],
			.user = uri_user(uri[i]),
			.ctid = param(uri[i], "ctid"),
			.expires = num(param(after[i], "expires")),
		};
	sr_midreg_response(h->m, &rp, h->now_ms);
}

void mh_pump(struct mh *h)
{
	struct mh_main *mn = &h->main;
	while (mn->q_head != mn->q_tail) {
		char req[MH_MSG], resp[MH_MSG];
		memcpy(req, mn->queue[mn->q_head % MH_QUEUE], sizeof(req));
		mn->q_head++;
		if (mn->mode == MH_MAIN_DROP)
			continue;
		struct sr_str branch = param(line_value(req, "Via"), "branch");
		const char *again = NULL;
		for (unsigned i = 0; i < mn->n_answered && i < MH_QUEUE; i++)
			if (sr_str_eq(sr_str_cstr(mn->answered_branch[i]), branch))
				again = mn->answered[i];
		if (again) {
			memcpy(resp, again, strlen(again) + 1);
		} else {
			main_process(h, req, resp, sizeof(resp));
			unsigned k = mn->n_answered++ % MH_QUEUE;
			snprintf(mn->answered_branch[k], sizeof(mn->answered_branch[k]), "%.*s", (int)branch.len, branch.p);
			snprintf(mn->answered[k], sizeof(mn->answered[k]), "%s", resp);
		}
		if (mn->mode != MH_MAIN_LOSE)
			deliver(h, resp);
	}
}

/* ---------------------------------------------------------------- time */

static void expire_bindings(struct mh *h)
{
	for (unsigned i = 0; i < MH_BINDINGS; i++) {
		struct mh_binding *b = &h->store[i];
		if (b->used && b->expires_at <= mh_now_s(h)) {
			b->used = false; /* the store removes it, then tells */
			sr_midreg_binding_gone(h->m, sr_str_cstr(b->aor), b->id, h->now_ms);
		}
	}
}

void mh_run_to(struct mh *h, uint64_t t_ms)
{
	while (h->now_ms < t_ms) {
		h->now_ms = h->now_ms + 100 < t_ms ? h->now_ms + 100 : t_ms;
		while (sr_midreg_advance(h->m, h->now_ms, 64) == 64)
			;
		mh_pump(h);
		expire_bindings(h);
		mh_pump(h);
	}
}

void mh_admin_remove(struct mh *h, const char *aor, const char *uri)
{
	struct mh_binding *b = find_binding(h, aor, sr_str_cstr(uri));
	assert_non_null(b);
	b->used = false;
	sr_midreg_binding_gone(h->m, sr_str_cstr(aor), b->id, h->now_ms);
}

/* ---------------------------------------------------------------- UAs */

void mh_ua_init(struct mh_ua *u, unsigned id, const char *aor, const char *uri)
{
	memset(u, 0, sizeof(*u));
	u->id = id;
	u->port = (uint16_t)(20000 + id);
	snprintf(u->aor, sizeof(u->aor), "%s", aor);
	snprintf(u->uri, sizeof(u->uri), "%s", uri);
}

/* The fake registrar answering an absorbed REGISTER itself (what sr_reg_process does as a final registrar). */
static void absorb(struct mh *h, const struct mh_ua *u, const struct host_state *hs, const char *msg,
		   const uint32_t *expires, bool star)
{
	h->absorbed_local++;
	for (unsigned i = 0; i < MH_BINDINGS && star; i++)
		if (h->store[i].used && strcmp(h->store[i].aor, hs->aor) == 0) {
			h->store[i].used = false;
			sr_midreg_binding_gone(h->m, sr_str_cstr(hs->aor), h->store[i].id, h->now_ms);
		}
	for (unsigned i = 0; i < hs->n; i++) {
		struct sr_str uri = sr_str_make(msg + hs->at[i], hs->len[i]);
		if (expires[i]) {
			upsert(h, hs->aor, uri, expires[i]);
			continue;
		}
		struct mh_binding *b = find_binding(h, hs->aor, uri);
		if (b) {
			b->used = false;
			sr_midreg_binding_gone(h->m, sr_str_cstr(hs->aor), b->id, h->now_ms);
		}
	}
	struct mh_ua_reply *r = &h->ua_out[h->n_ua_out++ % MH_UA_OUT];
	r->port = u->port;
	r->status = 200;
	snprintf(r->bytes, sizeof(r->bytes), "SIP/2.0 200 OK (absorbed)\r\n\r\n");
}

static enum sr_midreg_verdict send_msg(struct mh *h, struct mh_ua *u, const char *msg, const char *const *uris,
				       unsigned n, uint32_t expires, bool star)
{
	struct sr_mid_line lines[MAX_LINES];
	struct sr_midreg_req rq = { .star = star, .max_forwards = 70 };
	struct host_state hs = { .n = n };
	snprintf(hs.aor, sizeof(hs.aor), "%s", u->aor);
	rq.aor = sr_str_cstr(u->aor);
	rq.owner = 0x1234;
	rq.ruri = SR_STR_LIT("sip:example.com");
	rq.msg = sr_str_cstr(msg);
	rq.n_lines = split_lines(msg, lines);
	rq.lines = lines;
	rq.body = SR_STR_NULL;
	uint32_t grants[SR_MIDREG_MAX_CONTACTS];
	for (unsigned i = 0; i < n; i++) {
		const char *at = strstr(msg, uris[i]);
		hs.at[i] = (uint32_t)(at - msg);
		hs.len[i] = (uint32_t)strlen(uris[i]);
		const struct mh_binding *b = find_binding(h, u->aor, sr_str_cstr(uris[i]));
		grants[i] = expires;
		rq.contacts[i] = (struct sr_midreg_contact){
			.user = uri_user(sr_str_cstr(uris[i])),
			.params = sr_str_make(at + strlen(uris[i]) + 1,
					      (size_t)(strstr(at, "\r\n") - (at + strlen(uris[i]) + 1))),
			.requested = expires,
			.expires = expires,
			.binding_id = b ? b->id : 0,
		};
	}
	rq.n_contacts = n;
	rq.txn = (struct sr_txn_req){
		.method = SR_STR_LIT("REGISTER"),
		.branch = param(line_value(msg, "Via"), "branch"),
		.sent_by = sr_str_make(line_value(msg, "Via").p + strlen("SIP/2.0/UDP "), strlen(UA_IP) + 6),
		.cseq = u->cseq,
		.ruri = rq.ruri,
		.call_id = line_value(msg, "Call-ID"),
	};
	rq.reply_to = (struct sr_txn_dest){ .ip = inet_addr(UA_IP), .port = u->port };
	const char *head_start = strstr(msg, "\r\nVia: ") + 2, *head_end = strstr(msg, "\r\nContact: ");
	if (!head_end)
		head_end = strstr(msg, "\r\nContent-Length");
	rq.head.lines = sr_str_make(head_start, (size_t)(head_end + 2 - head_start));
	rq.head.to_tag_at = (size_t)(strstr(head_start, "\r\nCall-ID") - head_start);
	rq.to_tag = SR_STR_LIT("reg1");
	rq.host_state = sr_str_make((const char *)&hs, sizeof(hs));
	rq.settings = h->settings;
	/*
	 * What a registrar wired to io.lease would do first (reg_mid.c): absorb
	 * without asking when every contact refreshes a binding whose lease
	 * covers its grant. The lease must never say more than the decision:
	 * such a REGISTER is checked to be absorbed below, in every test.
	 */
	bool leased = !star && n > 0;
	for (unsigned i = 0; i < n; i++) {
		const struct mh_binding *b = find_binding(h, u->aor, sr_str_cstr(uris[i]));
		leased = leased && b && expires && sr_midreg_lease_covers(b->lease, mh_now_s(h), expires);
	}
	h->leased += leased;
	if (h->decide_first) {
		struct sr_midreg_req d = { .aor = rq.aor, .star = rq.star, .n_contacts = rq.n_contacts };
		for (unsigned i = 0; i < n; i++)
			d.contacts[i] = (struct sr_midreg_contact){ .requested = rq.contacts[i].requested,
								    .expires = rq.contacts[i].expires,
								    .binding_id = rq.contacts[i].binding_id };
		d.txn = (struct sr_txn_req){ .branch = rq.txn.branch, .call_id = rq.txn.call_id, .cseq = rq.txn.cseq };
		if (sr_midreg_absorbs(h->m, &d, h->now_ms)) {
			h->decided_first++;
			absorb(h, u, &hs, msg, grants, star);
			return SR_MIDREG_ABSORB;
		}
		assert_false(leased);
	}
	enum sr_midreg_verdict v = sr_midreg_register(h->m, &rq, h->now_ms);
	assert_true(!leased || v == SR_MIDREG_ABSORB);
	if (v == SR_MIDREG_ABSORB)
		absorb(h, u, &hs, msg, grants, star);
	return v;
}

static void build(struct mh *h, struct mh_ua *u, const char *const *uris, unsigned n, uint32_t expires, bool star)
{
	(void)h;
	u->cseq++;
	size_t k = (size_t)snprintf(u->last_msg, sizeof(u->last_msg),
				    "REGISTER sip:example.com SIP/2.0\r\n"
				    "Via: SIP/2.0/UDP " UA_IP ":%u;branch=z9hG4bK-ua%u-%u;rport\r\n"
				    "Max-Forwards: 70\r\n"
				    "From: <%s>;tag=ua%u\r\n"
				    "To: <%s>\r\n"
				    "Call-ID: ua%u@" UA_IP "\r\n"
				    "CSeq: %u REGISTER\r\n",
				    u->port, u->id, u->cseq, u->aor, u->id, u->aor, u->id, u->cseq);
	if (star)
		k += (size_t)snprintf(u->last_msg + k, sizeof(u->last_msg) - k, "Contact: *\r\nExpires: 0\r\n");
	for (unsigned i = 0; i < n; i++)
		k += (size_t)snprintf(u->last_msg + k, sizeof(u->last_msg) - k, "Contact: <%s>;expires=%u\r\n", uris[i],
				      expires);
	if (u->credentials)
		k += (size_t)snprintf(u->last_msg + k, sizeof(u->last_msg) - k,
				      "Authorization: Digest username=\"u%u\", realm=\"example.com\", nonce=\"n1\", "
				      "uri=\"sip:example.com\", response=\"00\"\r\n", u->id);
	snprintf(u->last_msg + k, sizeof(u->last_msg) - k, "Content-Length: 0\r\n\r\n");
}

enum sr_midreg_verdict mh_register_many(struct mh *h, struct mh_ua *u, const char *const *uris, unsigned n,
					uint32_t expires, bool star)
{
	build(h, u, uris, n, expires, star);
	return send_msg(h, u, u->last_msg, uris, n, expires, star);
}

enum sr_midreg_verdict mh_register(struct mh *h, struct mh_ua *u, uint32_t expires)
{
	const char *uri = u->uri;
	return mh_register_many(h, u, &uri, 1, expires, false);
}

void mh_two_devices(struct mh *h, struct mh_ua *a, struct mh_ua *b, const char *aor, const char *uri_a,
		    const char *uri_b, uint32_t expires)
{
	mh_ua_init(a, 1, aor, uri_a);
	mh_ua_init(b, 2, aor, uri_b);
	mh_register(h, a, expires);
	mh_register(h, b, expires);
	mh_pump(h);
}

enum sr_midreg_verdict mh_retransmit(struct mh *h, struct mh_ua *u)
{
	const char *uri = u->uri;
	char copy[MH_MSG];
	memcpy(copy, u->last_msg, sizeof(copy));
	struct sr_str e = param(sr_str_cstr(strstr(copy, "\r\nContact: ")), "expires");
	return send_msg(h, u, copy, &uri, 1, (uint32_t)num(e), false);
}

/* ---------------------------------------------------------------- the shard */

static void io_lease(void *ctx, struct sr_str aor, uint64_t binding_id, uint32_t lease)
{
	struct mh *h = ctx;
	for (unsigned i = 0; i < MH_BINDINGS; i++) {
		struct mh_binding *b = &h->store[i];
		if (b->used && b->id == binding_id && sr_str_eq(sr_str_cstr(b->aor), aor)) {
			b->lease = lease;
			b->leases++;
		}
	}
}

static const struct sr_midreg_io io = { io_send, io_apply, io_bindings, io_record, io_lease };

static void start(struct mh *h, enum sr_midreg_mode mode, void (*cfg_hook)(struct sr_midreg_config *c))
{
	struct sr_midreg_options o;
	sr_midreg_options_defaults(&o);
	o.mode = mode;
	o.records = 1024;
	o.contexts = 64;
	o.registrar_ip = mh_main_addr.ip;
	o.registrar_port = mh_main_addr.port;
	struct sr_midreg_config c;
	sr_midreg_config_from(&o, &c);
	c.uri.self = SR_STR_LIT("198.51.100.1:5060");
	/* A new secret at each start, as the application draws one: branches never repeat across restarts (txn.h). */
	c.txn = (struct sr_txn_config){ .worker = 3, .secret = { 11 + h->starts++, 22 } };
	if (cfg_hook)
		cfg_hook(&c);
	h->m = sr_midreg_shard_create(&c, &io, h, h->now_ms);
	assert_non_null(h->m);
}

void mh_init(struct mh *h, enum sr_midreg_mode mode, void (*cfg_hook)(struct sr_midreg_config *c))
{
	memset(h, 0, sizeof(*h));
	mh_main_addr = (struct sr_txn_dest){ .ip = inet_addr(UA_IP), .port = 5070 };
	h->now_ms = START_MS;
	start(h, mode, cfg_hook);
}

void mh_restart(struct mh *h, void (*cfg_hook)(struct sr_midreg_config *c))
{
	enum sr_midreg_mode mode = sr_midreg_cfg(h->m)->mode;
	sr_midreg_shard_free(h->m);
	h->main.q_head = h->main.q_tail; /* what was in flight is lost with the process */
	for (unsigned i = 0; i < MH_BINDINGS; i++)
		h->store[i].lease = 0; /* the store restores bindings without their leases */
	start(h, mode, cfg_hook);
	for (unsigned i = 0; i < MH_BINDINGS; i++)
		if (h->rec_len[i])
			assert_int_equal(sr_midreg_restore(h->m, h->rec_bytes[i], h->rec_len[i], h->now_ms), 0);
	sr_midreg_restore_done(h->m, h->now_ms);
}

void mh_free(struct mh *h)
{
	sr_midreg_shard_free(h->m);
}
