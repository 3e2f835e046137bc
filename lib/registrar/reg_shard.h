/*
 * reg_shard.h - the inside of a shard, shared by the registrar's own files only.
 *
 * A shard owns its slab, its AoR table, its timer wheel and its parse arena;
 * exactly one thread touches it. The request context carries what one
 * sr_reg_process call needs across reg_save.c and reg_reply.c.
 */
#ifndef SR_REG_SHARD_H
#define SR_REG_SHARD_H

#include "registrar.h"
#include "reg_errors.h"
#include "reg_plan.h"

struct sr_shard {
	struct sr_reg_config cfg;
	unsigned id;
	struct sr_slab slab;
	struct sr_aor_table *table;
	struct sr_tw wheel;
	struct sr_arena arena;
	sr_event_fn *on_event;
	void *event_ctx;
	struct sr_auth_hooks auth;
	struct sr_policy_hooks policy;
	struct sr_shard_stats stats;
	uint64_t n_bindings;
	uint64_t rng; /* xorshift state for expires_max_deviation */
	bool (*owns)(void *ctx, uint64_t aor_hash); /* NULL: every AoR is ours */
	bool default_hash;   /* the table hashes with sr_aor_hash: the ownership hash serves it too */
	char supported_line[48]; /* "Supported: path, outbound, gruu\r\n" as configured, or empty */
	size_t supported_len;
	void *owns_ctx;
	struct sr_plan plan; /* the REGISTER being processed (too large for a worker's stack) */
	struct sr_sip_msg msg; /* its message view (several KB: not on a worker's stack either) */
};

/* One request being answered. */
struct sr_req_ctx {
	struct sr_shard *s;
	const struct sr_sip_msg *m;
	const struct sr_addr *src;
	uint64_t now_ms;
	uint32_t now_s;
	char *resp;
	size_t cap;
	struct sr_reg_result *res;
	char extra_hdrs[1024]; /* header lines an auth hook asks to add to the response */
	size_t extra_len;
};

static inline void sr_shard_emit(struct sr_shard *s, enum sr_event_type type,
				 const struct sr_binding *b)
{
	if (s->on_event) {
		struct sr_reg_event ev = { type, sr_aor_name(b->aor), b };
		s->on_event(s->event_ctx, &ev);
	}
}

/* reg_save.c: RFC 3261 10.3 for a parsed REGISTER. */
void sr_reg_save(struct sr_req_ctx *c);

/* reg_reply.c: responses. */
void sr_reply_error(struct sr_req_ctx *c, enum sr_reg_err e, const char *detail_hdr_name,
		    struct sr_str detail_hdr_value);
void sr_reply_status(struct sr_req_ctx *c, int status, const char *reason);
void sr_reply_error_uint(struct sr_req_ctx *c, enum sr_reg_err e, const char *hdr_name,
			 uint64_t value);
/* 200 listing every live binding of aor (may be NULL); p gives the request's Path/outbound facts. */
void sr_reply_bindings(struct sr_req_ctx *c, const struct sr_aor *aor, struct sr_str canonical_aor,
		       const struct sr_plan *p);
void sr_reply_options(struct sr_req_ctx *c, int status);
/* The Supported header line the configuration gives (empty when it names no extension). */
void sr_reply_supported_line(const struct sr_reg_config *cfg, char *out, size_t cap, size_t *len);

/* Unlinks one binding from its AoR, cancels its timer, announces it and frees it. */
void sr_shard_drop_binding(struct sr_shard *s, struct sr_binding *b, enum sr_event_type why);
/* Erases the AoR record if it has no binding left. */
void sr_shard_erase_if_empty(struct sr_shard *s, struct sr_aor *a);

#endif
