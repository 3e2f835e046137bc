/*
 * midreg_shard.c - the mid-registrar shard: creation, the worker's entry
 * points, the transaction user's callbacks, the location store's events,
 * calls from the main registrar's side and the restore at start.
 *
 * Every entry point takes the clock (wall-clock milliseconds) and keeps it
 * for the callbacks it causes: the transaction layer's callbacks carry
 * none. Record times are Unix seconds, the record wheel turns in seconds.
 */
#include "midreg_internal.h"

#include <stdlib.h>
#include <string.h>

#define TAG_CLIENT 2u

/* ---------------------------------------------------------------- transaction user */

static void t_send(void *ctx, const struct sr_txn_dest *to, const char *bytes, size_t len)
{
	struct sr_midreg_shard *m = ctx;
	m->io.send(m->io_ctx, to, bytes, len);
}

static void t_response(void *ctx, struct sr_txn *t, const struct sr_txn_resp *r)
{
	struct mr_ctx *c = sr_txn_user(t);
	if (c && r->facts && r->status >= 200 && sr_txn_user_tag(t) == TAG_CLIENT) {
		mr_on_final(ctx, c, r->facts);
		/* answered and settled: the transaction's Timer K (5 s) need not hold the context */
		sr_txn_set_user(t, NULL, 0);
		mr_ctx_unref(ctx, c);
	}
}

static void t_timeout(void *ctx, struct sr_txn *t, enum sr_txn_timeout which)
{
	(void)which; /* non-INVITE client transactions only time out by Timer F */
	struct mr_ctx *c = sr_txn_user(t);
	if (c && sr_txn_user_tag(t) == TAG_CLIENT)
		mr_on_timeout(ctx, c);
}

static void t_terminated(void *ctx, struct sr_txn *t)
{
	struct mr_ctx *c = sr_txn_user(t);
	if (c)
		mr_ctx_unref(ctx, c);
}

static const struct sr_txn_ops txn_ops = { t_send, t_response, t_timeout, t_terminated, NULL };

/* ---------------------------------------------------------------- creation */

/* Copies s into buf (cap bytes) and points *s at the copy; false when it does not fit. */
static bool own_str(struct sr_str *s, char *buf, size_t cap)
{
	if (s->len >= cap)
		return false;
	if (s->len)
		memcpy(buf, s->p, s->len);
	*s = sr_str_make(buf, s->len);
	return true;
}

/*
 * Like own_str for URI parameters, with the leading ';' added when missing:
 * an INI file cannot start a value with ';' (inih reads " ;" as a comment).
 */
static bool own_params(struct sr_str *s, char *buf, size_t cap)
{
	if (s->len == 0 || s->p[0] == ';')
		return own_str(s, buf, cap);
	if (s->len + 1 >= cap)
		return false;
	buf[0] = ';';
	memcpy(buf + 1, s->p, s->len);
	*s = sr_str_make(buf, s->len + 1);
	return true;
}

static void config_defaults(struct sr_midreg_config *c)
{
	if (!c->outgoing_expires)
		c->outgoing_expires = 3600;
	if (!c->refresh_margin_s)
		c->refresh_margin_s = 32;
	if (!c->backoff_min_s)
		c->backoff_min_s = 30;
	if (!c->backoff_max_s)
		c->backoff_max_s = 1800;
	if (c->backoff_max_s < c->backoff_min_s)
		c->backoff_max_s = c->backoff_min_s;
	if (!c->retry_after_s)
		c->retry_after_s = 30;
	/* Each forward holds two transactions and a kept copy, all with a small buffer each. */
	if (!c->txn.capacity)
		c->txn.capacity = 3 * c->contexts;
	if (!c->txn.buf_small)
		c->txn.buf_small = 2048;
	if (!c->txn.buf_large)
		c->txn.buf_large = 4;
}

struct sr_midreg_shard *sr_midreg_shard_create(const struct sr_midreg_config *cfg, const struct sr_midreg_io *io,
					       void *ctx, uint64_t now_ms)
{
	if (!cfg || !io || !io->send || !io->apply || !io->bindings || cfg->records == 0 || cfg->contexts == 0 ||
	    cfg->registrar.ip == 0 || cfg->registrar.port == 0 || cfg->max_aor_len == 0 ||
	    cfg->max_aor_len > MR_AOR_MAX || cfg->uri.self.len == 0 ||
	    (!cfg->uri.ct_username && cfg->uri.ctid_param.len == 0) ||
	    (cfg->mode == SR_MIDREG_AOR_THROTTLING && cfg->uri.at_escape.len == 0) ||
	    cfg->mode > SR_MIDREG_AOR_THROTTLING)
		return NULL;
	struct sr_midreg_shard *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->cfg = *cfg;
	config_defaults(&m->cfg);
	if (!own_str(&m->cfg.uri.self, m->self, sizeof(m->self)) ||
	    !own_str(&m->cfg.uri.ctid_param, m->ctid_param, sizeof(m->ctid_param)) ||
	    !own_str(&m->cfg.uri.at_escape, m->at_escape, sizeof(m->at_escape)) ||
	    !own_params(&m->cfg.uri.extra_params, m->extra, sizeof(m->extra)) ||
	    !own_str(&m->cfg.received_param, m->received_param, sizeof(m->received_param))) {
		free(m);
		return NULL;
	}
	m->io = *io;
	m->io_ctx = ctx;
	m->now_ms = now_ms;
	sr_tw_init(&m->wheel, mr_now_s(m));
	m->txn = sr_txn_shard_create(&m->cfg.txn, &txn_ops, m, now_ms);
	m->ctxs = calloc(m->cfg.contexts, sizeof(*m->ctxs));
	m->ctx_free = malloc(sizeof(uint32_t) * m->cfg.contexts);
	if (!m->txn || !m->ctxs || !m->ctx_free || mr_records_init(m) != 0) {
		sr_midreg_shard_free(m);
		return NULL;
	}
	for (uint32_t i = 0; i < m->cfg.contexts; i++) {
		m->ctxs[i].idx = i;
		m->ctx_free[i] = m->cfg.contexts - 1 - i;
	}
	m->ctx_free_top = m->cfg.contexts;
	return m;
}

void sr_midreg_shard_free(struct sr_midreg_shard *m)
{
	if (!m)
		return;
	sr_txn_shard_free(m->txn); /* the contexts' buffers live in its pool */
	free(m->ctxs);
	free(m->ctx_free);
	mr_records_fini(m);
	free(m);
}

const struct sr_midreg_stats *sr_midreg_stats(const struct sr_midreg_shard *m)
{
	return &m->stats;
}

struct sr_txn_shard *sr_midreg_txn(struct sr_midreg_shard *m)
{
	return m->txn;
}

const struct sr_midreg_config *sr_midreg_cfg(const struct sr_midreg_shard *m)
{
	return &m->cfg;
}

double sr_midreg_absorption(const struct sr_midreg_stats *s)
{
	uint64_t n = s->absorbed + s->forwarded;
	return n ? (double)s->absorbed / (double)n : 0.0;
}

/* ---------------------------------------------------------------- entry points */

enum sr_midreg_verdict sr_midreg_register(struct sr_midreg_shard *m, const struct sr_midreg_req *rq, uint64_t now_ms)
{
	m->now_ms = now_ms;
	m->stats.received++;
	struct mr_plan p;
	mr_decide(m, rq, &p);
	if (!p.forward) {
		m->stats.absorbed++;
		return SR_MIDREG_ABSORB;
	}
	return mr_forward(m, rq, &p);
}

bool sr_midreg_absorbs(struct sr_midreg_shard *m, const struct sr_midreg_req *rq, uint64_t now_ms)
{
	m->now_ms = now_ms;
	struct mr_plan p;
	mr_decide(m, rq, &p); /* changes no binding (the record lookup caches the AoR's hash in it): sr_midreg_register
			 * decides the same on the same facts */
	if (p.forward)
		return false;
	m->stats.received++;
	m->stats.absorbed++;
	return true;
}

void sr_midreg_count_absorbed(struct sr_midreg_shard *m)
{
	m->stats.received++;
	m->stats.absorbed++;
}

int sr_midreg_response(struct sr_midreg_shard *m, const struct sr_midreg_resp *rp, uint64_t now_ms)
{
	m->now_ms = now_ms;
	struct sr_txn_resp r = rp->txn;
	r.facts = rp;
	return sr_txn_client_response(m->txn, &r, now_ms);
}

static void rec_timer(struct sr_tw_node *node, void *ctx)
{
	struct sr_midreg_shard *m = ctx;
	struct mr_rec *r = (struct mr_rec *)((char *)node - offsetof(struct mr_rec, timer));
	if (r->state == SR_MIDREG_REC_DEREG) {
		mr_dereg(m, r); /* the next attempt */
		return;
	}
	if (r->state == SR_MIDREG_REC_LIVE && r->up_expires_at <= mr_now_s(m)) {
		mr_rec_set_lapsed(m, r); /* the upstream registration ran out: the next UA refresh goes up */
		mr_rec_persist(m, r);
	}
}

unsigned sr_midreg_advance(struct sr_midreg_shard *m, uint64_t now_ms, unsigned budget)
{
	m->now_ms = now_ms;
	unsigned n = sr_txn_advance(m->txn, now_ms, budget);
	if (n < budget)
		n += sr_tw_advance(&m->wheel, mr_now_s(m), budget - n, rec_timer, m);
	return n;
}

/* ---------------------------------------------------------------- the location store's events */

static bool has_binding(struct sr_midreg_shard *m, struct sr_str aor, uint64_t id)
{
	const struct sr_midreg_binding *b = NULL;
	unsigned n = m->io.bindings(m->io_ctx, aor, &b);
	for (unsigned i = 0; i < n; i++)
		if (id == 0 || b[i].id == id)
			return true;
	return false;
}

void sr_midreg_binding_gone(struct sr_midreg_shard *m, struct sr_str aor, uint64_t binding_id, uint64_t now_ms)
{
	m->now_ms = now_ms;
	struct mr_rec *r = mr_rec_by_key(m, aor, binding_id);
	if (!r || r->state == SR_MIDREG_REC_DEREG)
		return;
	if (mr_contact_mode(m))
		mr_rec_unlink(m, r); /* its binding is gone: a forward in flight settles it when it ends */
	else if (has_binding(m, aor, 0))
		return; /* the AoR still has contacts: its upstream registration stays */
	if (!r->pending)
		mr_settle(m, r);
}

/* ---------------------------------------------------------------- calls from the main registrar's side */

bool sr_midreg_lookup(struct sr_midreg_shard *m, struct sr_str ruri_user, struct sr_str ctid, char *aor_buf,
		      size_t aor_cap, struct sr_midreg_target *t)
{
	struct mr_rec *r = NULL;
	if (mr_contact_mode(m)) {
		uint64_t id;
		if (sr_mid_ctid_parse(m->cfg.uri.ct_username ? ruri_user : ctid, &id))
			r = mr_rec_by_ctid(m, id);
		if (r && (!r->in_key || r->aor_len > aor_cap))
			r = NULL; /* no local binding stands for it (any more) */
	} else {
		static const struct sr_str schemes[] = { SR_STR_LIT("sip"), SR_STR_LIT("sips") };
		for (unsigned i = 0; i < 2 && !r; i++) {
			size_t n = sr_mid_aor_from_user(aor_buf, aor_cap, ruri_user, m->cfg.uri.at_escape, schemes[i]);
			r = n ? mr_rec_by_key(m, sr_str_make(aor_buf, n), 0) : NULL;
		}
	}
	if (!r || r->state == SR_MIDREG_REC_DEREG) {
		m->stats.lookups_unknown++;
		return false;
	}
	memmove(aor_buf, r->text, r->aor_len);
	t->aor = sr_str_make(aor_buf, r->aor_len);
	t->binding_id = mr_contact_mode(m) ? r->binding_id : 0;
	m->stats.lookups++;
	return true;
}

/* ---------------------------------------------------------------- restart */

int sr_midreg_restore(struct sr_midreg_shard *m, const uint8_t *bytes, size_t len, uint64_t now_ms)
{
	m->now_ms = now_ms;
	struct sr_midreg_record rec;
	if (sr_midreg_record_decode(bytes, len, &rec) != 0 || !mr_rec_restore(m, &rec)) {
		m->stats.restore_bad++;
		return -1;
	}
	m->stats.restored++;
	return 0;
}

void sr_midreg_restore_done(struct sr_midreg_shard *m, uint64_t now_ms)
{
	m->now_ms = now_ms;
	uint32_t now = mr_now_s(m);
	for (uint32_t i = 0; i < m->cfg.records; i++) {
		struct mr_rec *r = &m->recs[i];
		if (!r->state)
			continue;
		/*
		 * Stale: made by another mode, caught half-way (NEW: a restart before
		 * the answer; DEREG: a de-REGISTER not confirmed), or no local binding
		 * stands for it after the store's own restore.
		 */
		bool stale = r->mode != m->cfg.mode || r->state == SR_MIDREG_REC_NEW || r->state == SR_MIDREG_REC_DEREG ||
			     !has_binding(m, mr_rec_aor(r), mr_contact_mode(m) ? r->binding_id : 0) ||
			     (mr_contact_mode(m) && !r->binding_id);
		if (stale)
			mr_settle(m, r);
		else if (r->state == SR_MIDREG_REC_LIVE && r->up_expires_at > now)
			mr_rec_set_live(m, r, r->up_expires_at);
		else
			mr_rec_set_lapsed(m, r);
	}
}
