/*
 * txn_harness.c - the fake transaction user of txn_harness.h.
 */
#include "txn_harness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

const struct sr_txn_dest h_caller = { 0x0201a8c0u, 5070, false };
const struct sr_txn_dest h_callee = { 0x0301a8c0u, 5080, false };

static void on_send(void *ctx, const struct sr_txn_dest *to, const char *bytes, size_t len)
{
	struct harness *h = ctx;
	assert_true(h->n_sends < H_MAX_EVENTS);
	struct h_send *s = &h->sends[h->n_sends++];
	s->at = h->now;
	s->to = *to;
	s->len = len;
	size_t n = len < H_MSG_MAX ? len : H_MSG_MAX;
	memcpy(s->bytes, bytes, n);
	s->bytes[n] = '\0';
}

static void on_response(void *ctx, struct sr_txn *t, const struct sr_txn_resp *r)
{
	struct harness *h = ctx;
	assert_true(h->n_responses < H_MAX_EVENTS);
	h->responses[h->n_responses++] = (struct h_event){ h->now, t, r->status, 0 };
	if (h->on_response)
		h->on_response(h, t, r);
}

static void on_timeout(void *ctx, struct sr_txn *t, enum sr_txn_timeout which)
{
	struct harness *h = ctx;
	assert_true(h->n_timeouts < H_MAX_EVENTS);
	h->timeouts[h->n_timeouts++] = (struct h_event){ h->now, t, 0, (char)which };
	if (h->on_timeout)
		h->on_timeout(h, t, which);
}

static void on_terminated(void *ctx, struct sr_txn *t)
{
	struct harness *h = ctx;
	assert_true(h->n_terminated < H_MAX_EVENTS);
	assert_int_equal(sr_txn_state(t), SR_TXN_TERMINATED);
	h->terminated[h->n_terminated++] = t;
}

static size_t on_build(void *ctx, struct sr_txn *t, enum sr_txn_build what, const struct sr_txn_resp *resp,
		       char *buf, size_t cap)
{
	struct harness *h = ctx;
	assert_true(h->n_builds < H_MAX_EVENTS);
	h->builds[h->n_builds++] = (struct h_event){ h->now, t, resp ? resp->status : 0,
						     what == SR_TXN_BUILD_ACK ? 'A' : 'X' };
	struct sr_str b = sr_txn_branch(t);
	int n = snprintf(buf, cap, "%s sip:callee SIP/2.0\r\nVia: SIP/2.0/UDP proxy;branch=%.*s\r\n\r\n",
			 what == SR_TXN_BUILD_ACK ? "ACK" : "CANCEL", (int)b.len, b.p);
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

static const struct sr_txn_ops ops = { on_send, on_response, on_timeout, on_terminated, on_build };

void h_init_cfg(struct harness *h, const struct sr_txn_config *cfg, uint64_t start_ms)
{
	memset(h, 0, sizeof(*h));
	h->now = start_ms;
	h->ts = sr_txn_shard_create(cfg, &ops, h, start_ms);
	assert_non_null(h->ts);
}

void h_init(struct harness *h, uint32_t capacity, uint64_t start_ms)
{
	struct sr_txn_config cfg = {
		.capacity = capacity,
		.buf_small = 1024,
		.buf_large = 2,
		.worker = 7,
		.secret = { 0x0123456789abcdefull, 0xfedcba9876543210ull },
	};
	h_init_cfg(h, &cfg, start_ms);
}

void h_free(struct harness *h)
{
	sr_txn_shard_free(h->ts);
	h->ts = NULL;
}

void h_run_to(struct harness *h, uint64_t t)
{
	while (h->now < t) {
		h->now++;
		while (sr_txn_advance(h->ts, h->now, 64) == 64)
			;
	}
}

unsigned h_send_times(const struct harness *h, unsigned from, const char *prefix, uint64_t since,
		      uint64_t *out, unsigned cap)
{
	unsigned n = 0;
	for (unsigned i = from; i < h->n_sends && n < cap; i++)
		if (strncmp(h->sends[i].bytes, prefix, strlen(prefix)) == 0)
			out[n++] = h->sends[i].at - since;
	return n;
}

struct sr_txn_req h_req(const char *method, const char *branch, const char *sent_by)
{
	return (struct sr_txn_req){
		.method = sr_str_cstr(method),
		.branch = sr_str_cstr(branch),
		.sent_by = sr_str_cstr(sent_by),
		.cseq = 1,
		.ruri = SR_STR_LIT("sip:bob@example.com"),
		.call_id = SR_STR_LIT("call-1@example.org"),
		.from_tag = SR_STR_LIT("ftag"),
		.top_via = SR_STR_LIT("SIP/2.0/UDP 192.168.1.2:5070"),
	};
}

struct sr_txn_resp h_resp(int status, struct sr_str branch, const char *cseq_method)
{
	return (struct sr_txn_resp){
		.status = status,
		.branch = branch,
		.cseq_method = sr_str_cstr(cseq_method),
		.bytes = "SIP/2.0 xxx\r\n\r\n",
		.len = 15,
	};
}
