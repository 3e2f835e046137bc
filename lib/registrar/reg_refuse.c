/*
 * reg_refuse.c - answer a request with a fixed refusal (e.g. 503 with
 * Retry-After for a flooding source) without running the registrar.
 *
 * The data plane decides to refuse before the request reaches its owner
 * shard, so this touches nothing of the shard but its parse arena, its
 * configuration and its keys: any worker can call it on its own shard. The
 * answer is written by reg_reply.c like every other response (same To-tag
 * recipe, same Server header). It is not counted in the shard's request
 * figures; the caller counts what it refused. ACKs and responses get no
 * answer, as always.
 */
#include "reg_shard.h"

#include <string.h>

void sr_reg_refuse(struct sr_registrar *s, const char *req, size_t len, const struct sr_addr *src,
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
		struct sr_req_ctx c = { .s = s, .m = m, .src = src, .resp = resp, .cap = cap, .res = res };
		sr_reply_refusal(&c, status, retry_after_s);
	}
	sr_arena_reset(&s->arena);
	sr_arena_bind_osip(prev);
}
