/*
 * registrar.c - the shard's life cycle and the entry point sr_reg_process().
 *
 * sr_reg_process() parses into the shard's arena, dispatches on the method
 * (REGISTER to reg_save.c; OPTIONS answered 200; other requests 405, never
 * a 6xx; ACK and responses absorbed) and always resets the arena before it
 * returns, so nothing of a request outlives its answer.
 */
#include "reg_shard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SR_DEFAULT_ARENA (256 * 1024) /* a 64 KB datagram parses in well under this */

struct sr_registrar *sr_reg_create(const struct sr_reg_params *p, const char **err)
{
	const char *msg = sr_reg_config_check(p->cfg);
	if (msg) {
		*err = msg;
		return NULL;
	}
	struct sr_registrar *s = calloc(1, sizeof(*s));
	if (!s) {
		*err = "out of memory for the shard";
		return NULL;
	}
	s->cfg = *p->cfg;
	s->id = p->shard_id;
	s->auth = p->auth;
	s->policy = p->policy;
	s->retraction = p->retraction;
	s->retraction_replica = p->retraction && p->retraction_replica;
	/*
	 * One key per use, so that no output of one (a To-tag) says anything
	 * about another (a temporary GRUU); registrar.secret is 64 bits, the
	 * master key's second word is fixed.
	 */
	const struct sr_siphash_key master = { s->cfg.secret, 0 };
	s->key_tag = sr_siphash_derive(&master, "sipreg to-tag");
	s->key_jitter = sr_siphash_derive(&master, "sipreg expires-jitter");
	sr_tgruu_keys_from(s->cfg.secret, &s->tgruu);
	s->owns = p->owns;
	s->owns_ctx = p->owns_ctx;
	s->binding_flags = p->binding_flags;
	s->binding_flags_ctx = p->binding_flags_ctx;
	s->mid_hooks = p->mid;
	sr_reply_supported_line(&s->cfg, s->supported_line, sizeof(s->supported_line), &s->supported_len);
	if (sr_arena_init(&s->arena, p->arena_size ? p->arena_size : SR_DEFAULT_ARENA) != 0) {
		*err = "out of memory for the parse arena";
		free(s);
		return NULL;
	}
	char name[32];
	snprintf(name, sizeof(name), "sr_aors_%u", p->shard_id);
	struct sr_loc_params lp = { .name = name, .max_aors = s->cfg.max_aors, .memory_limit = s->cfg.memory_limit,
				    .hash = p->hash, .now_s = (uint32_t)(p->now_ms / 1000),
				    .on_event = p->on_event, .event_ctx = p->event_ctx, .room = p->room,
				    /* a PURR names a binding by id alone (worker_purr.c finds it) */
				    .index_ids = s->cfg.push.enable && s->cfg.push.purr };
	s->loc = sr_loc_create(&lp, err);
	if (s->loc && sr_reg_mid_init(s) != 0) {
		sr_loc_free(s->loc);
		s->loc = NULL;
		*err = "out of memory for the mid-registrar's buffers";
	}
	if (!s->loc) {
		sr_arena_fini(&s->arena);
		free(s);
		return NULL;
	}
	return s;
}

void sr_reg_free(struct sr_registrar *s)
{
	if (!s)
		return;
	sr_reg_mid_fini(s);
	sr_loc_free(s->loc);
	sr_arena_fini(&s->arena);
	free(s);
}

struct sr_loc *sr_reg_location(struct sr_registrar *s)
{
	return s->loc;
}

static void count_response(struct sr_registrar *s, const struct sr_reg_result *res)
{
	if (res->len)
		s->stats.responses_by_class[res->status / 100 < 7 ? res->status / 100 : 0]++;
	else
		s->stats.drops[res->drop]++;
}

/*
 * OPTIONS gets the checks every UAS makes (RFC 3261 8.2.2): a Request-URI
 * scheme we do not serve is 416, an unknown Require tag 420 (RFC 4475
 * unkscm, bext01). REGISTER makes them in reg_save.c.
 */
static void options(struct sr_req_ctx *c)
{
	const struct sr_sip_msg *m = c->m;
	if (m->ruri.scheme == SR_URI_OTHER)
		return sr_reply_status(c, 416, NULL);
	if (m->require_unknown.len)
		return sr_reply_error(c, SR_E_UNSUPPORTED, "Unsupported", m->require_unknown);
	sr_reply_options(c, 200);
}

static void dispatch(struct sr_req_ctx *c)
{
	const struct sr_sip_msg *m = c->m;
	if (sr_str_eq(m->method, SR_STR_LIT("REGISTER")))
		sr_reg_save(c);
	else if (sr_str_eq(m->method, SR_STR_LIT("OPTIONS")))
		options(c);
	else if (sr_str_eq(m->method, SR_STR_LIT("ACK")))
		c->res->drop = SR_DROP_ACK;
	else if (sr_str_eq(m->method, SR_STR_LIT("CANCEL")))
		sr_reply_status(c, 481, NULL); /* our transactions complete at once: nothing to cancel */
	else
		sr_reply_options(c, 405);
}

void sr_reg_process_carried(struct sr_registrar *s, const char *req, size_t len, const struct sr_sip_scan *scan,
			    const struct sr_reg_carry *carry, const struct sr_addr *src, uint64_t now_ms, char *resp,
			    size_t cap, struct sr_reg_result *res)
{
	memset(res, 0, sizeof(*res));
	s->stats.requests++;
	struct sr_sip_msg *m = &s->msg;
	struct sr_sip_error err;
	struct sr_req_ctx c = { .s = s, .m = m, .req = req, .carry = carry, .src = src, .now_ms = now_ms,
				.now_s = (uint32_t)(now_ms / 1000), .resp = resp, .cap = cap, .res = res };
	struct sr_arena *prev = sr_arena_bind_osip(&s->arena);
	uint64_t overflows = s->arena.overflows;

	int rc = sr_sip_parse_carried(m, req, len, scan, carry ? &carry->to : NULL,
				      s->cfg.fast_parse ? SR_SIP_FAST : 0, &s->arena, &err);
	if (m->fast)
		s->stats.parsed_fast++;
	else
		s->stats.parsed_slow++;
	if (m->resumed)
		s->stats.parsed_resumed++;
	res->reply_port = sr_resp_reply_port(m, src ? src->port : 0);
	res->credentials = m->n_authorization > 0;
	if (rc == SR_SIP_DROP)
		res->drop = SR_DROP_GARBAGE;
	else if (!m->is_request)
		res->drop = SR_DROP_RESPONSE;
	else if (rc == SR_SIP_BAD && sr_str_eq(m->method, SR_STR_LIT("ACK")))
		res->drop = SR_DROP_ACK;
	else if (rc == SR_SIP_BAD)
		sr_reply_status(&c, err.status, err.reason);
	else
		dispatch(&c);

	count_response(s, res);
	s->stats.arena_overflows += s->arena.overflows - overflows;
	sr_arena_reset(&s->arena);
	sr_arena_bind_osip(prev);
}

void sr_reg_process_scan(struct sr_registrar *s, const char *req, size_t len, const struct sr_sip_scan *scan,
			 const struct sr_addr *src, uint64_t now_ms, char *resp, size_t cap,
			 struct sr_reg_result *res)
{
	sr_reg_process_carried(s, req, len, scan, NULL, src, now_ms, resp, cap, res);
}

void sr_reg_process(struct sr_registrar *s, const char *req, size_t len, const struct sr_addr *src,
		    uint64_t now_ms, char *resp, size_t cap, struct sr_reg_result *res)
{
	sr_reg_process_scan(s, req, len, NULL, src, now_ms, resp, cap, res);
}

unsigned sr_reg_expire(struct sr_registrar *s, uint64_t now_ms, unsigned budget)
{
	return sr_loc_expire(s->loc, (uint32_t)(now_ms / 1000), budget);
}

void sr_reg_get_stats(const struct sr_registrar *s, struct sr_reg_stats *st)
{
	*st = s->stats;
	struct sr_loc_stats ls;
	sr_loc_get_stats(s->loc, &ls);
	st->aors = ls.aors;
	st->bindings = ls.bindings;
	st->binding_bytes = ls.bytes;
	st->expired = ls.expired;
}
