/*
 * reg_refuse.c - answer a request with a fixed refusal (e.g. 503 with
 * Retry-After for a flooding source) without running the registrar.
 *
 * The data plane decides to refuse before the request reaches its owner
 * shard, so this touches nothing of the shard but its parse arena and its
 * configuration (the To-tag secret): any worker can call it on its own
 * shard. It is not counted in the shard's request figures; the caller
 * counts what it refused. ACKs and responses get no answer, as always.
 */
#include "reg_shard.h"

#include <stdio.h>
#include <string.h>

/* A To tag for the refusal: stable for a retransmission, unguessable without the secret. */
static struct sr_str refusal_tag(const struct sr_shard *s, const struct sr_sip_msg *m, char buf[17])
{
	uint64_t h = s->cfg.secret ^ 0x5352524546ull; /* "SRREF" */
	h ^= sr_aor_hash(m->call_id.p, m->call_id.len);
	h = h * 0x9e3779b97f4a7c15ull ^ m->cseq;
	snprintf(buf, 17, "%016llx", (unsigned long long)h);
	return sr_str_make(buf, 16);
}

void sr_reg_refuse(struct sr_shard *s, const char *req, size_t len, const struct sr_addr *src,
		   int status, uint32_t retry_after_s, char *resp, size_t cap, struct sr_reg_result *res)
{
	memset(res, 0, sizeof(*res));
	struct sr_sip_msg *m = &s->msg;
	struct sr_sip_error err;
	struct sr_arena *prev = sr_arena_bind_osip(&s->arena);
	int rc = sr_sip_parse(m, req, len, NULL, s->cfg.fast_parse ? SR_SIP_FAST : 0, &s->arena, &err);
	res->reply_port = sr_resp_reply_port(m, src ? src->port : 0);
	res->credentials = m->n_authorization > 0;
	if (rc == SR_SIP_DROP) {
		res->drop = SR_DROP_GARBAGE;
	} else if (!m->is_request) {
		res->drop = SR_DROP_RESPONSE;
	} else if (sr_str_eq(m->method, SR_STR_LIT("ACK"))) {
		res->drop = SR_DROP_ACK;
	} else {
		char tag[17];
		struct sr_resp w;
		res->reason = sr_resp_reason(status);
		sr_resp_begin(&w, resp, cap, status, res->reason);
		sr_resp_dialog_headers(&w, m, src, refusal_tag(s, m, tag));
		if (retry_after_s)
			sr_resp_header_uint(&w, "Retry-After", retry_after_s);
		res->len = sr_resp_finish(&w);
		res->status = res->len ? status : 0;
		if (!res->len)
			res->drop = SR_DROP_NO_BUFFER;
	}
	sr_arena_reset(&s->arena);
	sr_arena_bind_osip(prev);
}
