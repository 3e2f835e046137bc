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
#define SR_SLAB_CHUNK (1u << 20)

struct sr_shard *sr_shard_create(const struct sr_shard_params *p, const char **err)
{
	const char *msg = sr_reg_config_check(p->cfg);
	if (msg) {
		*err = msg;
		return NULL;
	}
	struct sr_shard *s = calloc(1, sizeof(*s));
	if (!s) {
		*err = "out of memory for the shard";
		return NULL;
	}
	s->cfg = *p->cfg;
	s->id = p->shard_id;
	s->on_event = p->on_event;
	s->event_ctx = p->event_ctx;
	s->auth = p->auth;
	s->policy = p->policy;
	s->owns = p->owns;
	s->owns_ctx = p->owns_ctx;
	s->default_hash = p->hash == NULL || p->hash == sr_aor_hash;
	sr_reply_supported_line(&s->cfg, s->supported_line, sizeof(s->supported_line), &s->supported_len);
	s->rng = (s->cfg.secret ^ (0x9e3779b97f4a7c15ull * (p->shard_id + 1))) | 1;
	/* A memory_limit below one chunk would refuse every binding: use smaller chunks then. */
	uint64_t limit = s->cfg.memory_limit;
	sr_slab_init(&s->slab, limit && limit < SR_SLAB_CHUNK ? (size_t)limit : SR_SLAB_CHUNK, limit);
	sr_tw_init(&s->wheel, (uint32_t)(p->now_ms / 1000));
	if (sr_arena_init(&s->arena, p->arena_size ? p->arena_size : SR_DEFAULT_ARENA) != 0) {
		*err = "out of memory for the parse arena";
		goto fail;
	}
	char name[32];
	snprintf(name, sizeof(name), "sr_aors_%u", p->shard_id);
	struct sr_aor_table_params tp = { name, s->cfg.max_aors, -1, p->hash, &s->slab };
	s->table = sr_aor_table_create(&tp);
	if (!s->table) {
		*err = "cannot create the AoR table (EAL not initialised, name in use or no memory)";
		goto fail;
	}
	return s;
fail:
	sr_arena_fini(&s->arena);
	sr_slab_fini(&s->slab);
	free(s);
	return NULL;
}

void sr_shard_free(struct sr_shard *s)
{
	if (!s)
		return;
	/* Bindings and AoR records live in the slab: freeing it frees them all at once. */
	sr_aor_table_free(s->table);
	sr_slab_fini(&s->slab);
	sr_arena_fini(&s->arena);
	free(s);
}

void sr_shard_drop_binding(struct sr_shard *s, struct sr_binding *b, enum sr_event_type why)
{
	struct sr_aor *a = b->aor;
	struct sr_binding **pp = &a->bindings;
	while (*pp && *pp != b)
		pp = &(*pp)->next;
	if (*pp)
		*pp = b->next;
	a->n_bindings--;
	s->n_bindings--;
	sr_tw_cancel(&s->wheel, &b->timer);
	sr_shard_emit(s, why, b);
	sr_binding_delete(&s->slab, b);
}

void sr_shard_erase_if_empty(struct sr_shard *s, struct sr_aor *a)
{
	if (a && a->n_bindings == 0)
		sr_aor_table_erase(s->table, a);
}

static void count_response(struct sr_shard *s, const struct sr_reg_result *res)
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

void sr_reg_process_scan(struct sr_shard *s, const char *req, size_t len, const struct sr_sip_scan *scan,
			 const struct sr_addr *src, uint64_t now_ms, char *resp, size_t cap,
			 struct sr_reg_result *res)
{
	memset(res, 0, sizeof(*res));
	s->stats.requests++;
	struct sr_sip_msg *m = &s->msg;
	struct sr_sip_error err;
	struct sr_req_ctx c = { .s = s, .m = m, .src = src, .now_ms = now_ms,
				.now_s = (uint32_t)(now_ms / 1000), .resp = resp, .cap = cap, .res = res };
	struct sr_arena *prev = sr_arena_bind_osip(&s->arena);
	uint64_t overflows = s->arena.overflows;

	int rc = sr_sip_parse(m, req, len, scan, s->cfg.fast_parse ? SR_SIP_FAST : 0, &s->arena, &err);
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

void sr_reg_process(struct sr_shard *s, const char *req, size_t len, const struct sr_addr *src,
		    uint64_t now_ms, char *resp, size_t cap, struct sr_reg_result *res)
{
	sr_reg_process_scan(s, req, len, NULL, src, now_ms, resp, cap, res);
}

struct expire_ctx {
	struct sr_shard *s;
};

static void on_expire(struct sr_tw_node *node, void *vctx)
{
	struct expire_ctx *x = vctx;
	struct sr_binding *b = (struct sr_binding *)((char *)node - offsetof(struct sr_binding, timer));
	struct sr_aor *a = b->aor;
	x->s->stats.expired++;
	sr_shard_drop_binding(x->s, b, SR_EV_EXPIRED);
	sr_shard_erase_if_empty(x->s, a);
}

unsigned sr_shard_expire(struct sr_shard *s, uint64_t now_ms, unsigned budget)
{
	struct expire_ctx x = { s };
	return sr_tw_advance(&s->wheel, (uint32_t)(now_ms / 1000), budget, on_expire, &x);
}

void sr_shard_get_stats(const struct sr_shard *s, struct sr_shard_stats *st)
{
	*st = s->stats;
	st->aors = sr_aor_table_count(s->table);
	st->bindings = s->n_bindings;
	st->binding_bytes = s->slab.bytes_reserved;
}

const struct sr_aor *sr_shard_find(struct sr_shard *s, struct sr_str aor)
{
	return sr_aor_table_lookup(s->table, aor, sr_aor_table_hash(s->table, aor));
}
