/*
 * midreg_upstream.c - the requests to the main registrar and what their
 * answers do: forwarding a UA's REGISTER, our own de-REGISTERs, and the
 * answer mapped back to the UA.
 *
 * A forwarded REGISTER is a context: the UA's server transaction (its
 * retransmissions absorbed, our final answer re-sent), one client
 * transaction upstream, the records of its contacts (each counts it as
 * pending) and a kept copy of what the answer and io.apply need (AoR,
 * request, head, the registrar's 2xx lines, its state). The context is
 * freed when both transactions have terminated, so no callback finds it
 * gone.
 *
 * What an answer does (mode by mode in midreg.h):
 * - 2xx: each contact's upstream expiry is read from the main registrar's
 *   Contact of its contact id (or the AoR contact), else its Expires, else
 *   what we asked; a contact it does not list is not registered there.
 *   io.apply then stores the bindings with mirror: that expiry, throttling:
 *   the smaller of the local grant and it (a throttling refresh the main
 *   registrar did not list stands on its local grant, its record lapsed).
 *   The UA gets the main registrar's status and lines, and the AoR's
 *   bindings as sipreg now holds them (the UA's own contacts), plus the
 *   contacts not ours the main registrar listed. If io.apply refuses, the
 *   UA gets its status and what was just registered upstream is
 *   de-registered.
 * - 401/407 and other refusals: passed to the UA (challenge included);
 *   nothing changes locally, a record made for this request goes.
 * - 5xx or no answer (Timer F): a pure refresh in a throttling mode stands
 *   (io.apply with the local grants, 200 to the UA; a binding that expired
 *   meanwhile is stored again and its record follows the new id) and its
 *   records back off; anything else gives the UA the 5xx, or 504 with
 *   Retry-After.
 * Afterwards every record this request held is settled: one that no local
 * binding stands for (not linked, nothing pending) is de-registered when
 * its upstream registration may still stand (after a timeout we cannot
 * know, so we assume it does, for as long as we asked), else freed.
 */
#include "midreg_internal.h"

#include <stdio.h>
#include <string.h>

#define TAG_SERVER 1u
#define TAG_CLIENT 2u

static const struct sr_str M_REGISTER = SR_STR_LIT("REGISTER");

/* ---------------------------------------------------------------- contexts */

static struct mr_ctx *ctx_alloc(struct sr_midreg_shard *m, enum mr_ctx_kind kind)
{
	if (m->ctx_free_top == 0)
		return NULL;
	struct mr_ctx *c = &m->ctxs[m->ctx_free[--m->ctx_free_top]];
	uint32_t idx = c->idx;
	memset(c, 0, offsetof(struct mr_ctx, e));
	c->idx = idx;
	c->kind = (uint8_t)kind;
	c->aor_rec = MR_NIL;
	m->stats.contexts++;
	return c;
}

void mr_ctx_unref(struct sr_midreg_shard *m, struct mr_ctx *c)
{
	if (c->refs && --c->refs)
		return;
	sr_buf_release(sr_txn_bufs(m->txn), &c->store);
	c->kind = 0;
	m->ctx_free[m->ctx_free_top++] = c->idx;
	m->stats.contexts--;
}

/* Copies what outlives the packet into the context's buffer. */
static bool keep(struct sr_midreg_shard *m, struct mr_ctx *c, const struct sr_midreg_req *rq)
{
	const struct sr_str parts[] = { rq->aor, rq->msg, rq->head.lines, rq->ok_lines, rq->host_state, rq->to_tag };
	size_t n = 0;
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		n += parts[i].len;
	char *p = sr_buf_reserve(sr_txn_bufs(m->txn), &c->store, n ? n : 1);
	if (!p)
		return false;
	struct sr_str *dst[] = { &c->aor, &c->msg, &c->head.lines, &c->ok_lines, &c->host_state, &c->to_tag };
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		if (parts[i].len)
			memcpy(p, parts[i].p, parts[i].len);
		*dst[i] = sr_str_make(p, parts[i].len);
		p += parts[i].len;
	}
	c->head.to_tag_at = rq->head.to_tag_at;
	return true;
}

/* ---------------------------------------------------------------- answers to the UA */

static struct sr_str retry_after_line(const struct sr_midreg_shard *m, char *buf, size_t cap)
{
	char num[12];
	int k = snprintf(num, sizeof(num), "%u", m->cfg.retry_after_s);
	return sr_str_make(buf, sr_fwd_header_line(buf, cap, "Retry-After", sr_str_make(num, (size_t)k)));
}

/* Writes r into the scratch area and sends it: on server transaction t, or statelessly to reply_to. */
static void send_reply(struct sr_midreg_shard *m, struct sr_txn *t, const struct sr_txn_dest *reply_to,
		       struct sr_mid_reply *r)
{
	char *buf = sr_txn_scratch(m->txn);
	size_t half = SR_BUF_LARGE_SIZE / 2;
	size_t n = sr_mid_reply(buf, half, buf + half, SR_BUF_LARGE_SIZE - half, r);
	if (n == 0) { /* our answer does not fit: say so without its lines and contacts */
		struct sr_mid_reply small = { .status = 500, .reason = SR_STR_LIT("Response Too Large"),
					      .head = r->head, .to_tag = r->to_tag };
		n = sr_mid_reply(buf, half, buf + half, SR_BUF_LARGE_SIZE - half, &small);
	}
	if (n == 0)
		return;
	if (t)
		sr_txn_server_respond(m->txn, t, r->status, buf, n, m->now_ms);
	else
		m->io.send(m->io_ctx, reply_to, buf, n);
}

/* Our own answer to a request at hand (before any context holds it). */
static void answer_req(struct sr_midreg_shard *m, struct sr_txn *t, const struct sr_midreg_req *rq, int status,
		       const char *reason)
{
	char line[48];
	struct sr_mid_reply r = {
		.status = status,
		.reason = sr_str_cstr(reason),
		.head = &rq->head,
		.to_tag = rq->to_tag,
		.extra = status == 503 ? retry_after_line(m, line, sizeof(line)) : SR_STR_NULL,
	};
	send_reply(m, t, &rq->reply_to, &r);
}

static void answer_ctx(struct sr_midreg_shard *m, struct mr_ctx *c, struct sr_mid_reply *r)
{
	r->head = &c->head;
	if (!r->to_tag.len)
		r->to_tag = c->to_tag;
	send_reply(m, c->server, &c->reply_to, r);
	c->answered = true;
	/*
	 * The final answer is the layer's now (it re-sends it to a retransmission
	 * until Timer J): the context lets go of the server transaction, so it is
	 * not held for Timer J's 32 s after every forwarded REGISTER. Only while
	 * another reference (the upstream transaction) keeps it alive: the
	 * caller goes on using it.
	 */
	if (c->server && r->status >= 200 && c->refs > 1) {
		sr_txn_set_user(c->server, NULL, 0);
		c->server = NULL;
		mr_ctx_unref(m, c);
	}
}

/* Our own status to the UA of a context (504 and 503 with Retry-After). */
static void answer_own(struct sr_midreg_shard *m, struct mr_ctx *c, int status, const char *reason)
{
	char line[48];
	struct sr_mid_reply r = {
		.status = status,
		.reason = sr_str_cstr(reason),
		.extra = status >= 500 ? retry_after_line(m, line, sizeof(line)) : SR_STR_NULL,
	};
	answer_ctx(m, c, &r);
}

/* The main registrar's final response, as it is, to the UA (no contacts: nothing changed). */
static void answer_mapped(struct sr_midreg_shard *m, struct mr_ctx *c, const struct sr_midreg_resp *rp)
{
	struct sr_mid_reply r = {
		.status = rp->txn.status,
		.reason = rp->reason,
		.to_tag = rp->to_tag,
		.n_lines = rp->n_lines,
		.lines = rp->lines,
	};
	answer_ctx(m, c, &r);
}

/* The contact id an upstream Contact names, if it is one of ours. */
static bool up_ctid(const struct sr_midreg_shard *m, const struct sr_midreg_up_contact *u, uint64_t *ctid)
{
	return sr_mid_ctid_parse(m->cfg.uri.ct_username ? u->user : u->ctid, ctid);
}

/* The user part of the AoR contact of aor (in buf). */
static struct sr_str aor_contact_user(const struct sr_midreg_shard *m, struct sr_str aor, char *buf, size_t cap)
{
	size_t n = sr_mid_aor_contact_uri(buf, cap, &m->cfg.uri, aor);
	size_t tail = 1 + m->cfg.uri.self.len + m->cfg.uri.extra_params.len; /* "@self" and the extra parameters */
	return n > 4 + tail ? sr_str_make(buf + 4, n - 4 - tail) : SR_STR_NULL;
}

/* True when upstream Contact u is ours (one of our contact ids, or this AoR's contact). */
static bool up_is_ours(struct sr_midreg_shard *m, const struct sr_midreg_up_contact *u, struct sr_str aor_user)
{
	uint64_t ctid;
	if (!mr_contact_mode(m))
		return aor_user.len && sr_str_caseeq(u->user, aor_user);
	return up_ctid(m, u, &ctid) && mr_rec_by_ctid(m, ctid) != NULL;
}

/* A 2xx (the main registrar's, or ours when a refresh stands): the AoR's bindings now, and the foreign contacts. */
static void answer_ok(struct sr_midreg_shard *m, struct mr_ctx *c, const struct sr_midreg_resp *rp)
{
	const struct sr_midreg_binding *b = NULL;
	unsigned nb = m->io.bindings(m->io_ctx, c->aor, &b), n = 0;
	for (unsigned i = 0; i < nb && n < MR_REPLY_MAX; i++) {
		bool in_request = false;
		for (unsigned k = 0; k < c->n && !in_request; k++)
			in_request = c->ids[k] == b[i].id;
		if (c->only_request && !in_request)
			continue;
		struct sr_mid_reply_contact *rc = &m->reply[n];
		*rc = (struct sr_mid_reply_contact){ .uri = b[i].uri, .params = b[i].params, .expires = b[i].expires_in,
						     .q = b[i].q, .received_param = m->cfg.received_param };
		if (b[i].nat && m->cfg.received_param.len) {
			uint32_t ip = b[i].source.ip; /* network byte order */
			const uint8_t *o = (const uint8_t *)&ip;
			int k = snprintf(m->received[n], sizeof(m->received[n]), "sip:%u.%u.%u.%u:%u", o[0], o[1], o[2],
					 o[3], b[i].source.port);
			rc->received = sr_str_make(m->received[n], (size_t)k);
		}
		n++;
	}
	struct sr_str foreign[SR_MIDREG_MAX_UP_CONTACTS];
	unsigned nf = 0;
	char ubuf[MR_URI_MAX];
	struct sr_str aor_user = mr_contact_mode(m) ? SR_STR_NULL : aor_contact_user(m, c->aor, ubuf, sizeof(ubuf));
	for (unsigned i = 0; rp && !c->only_request && i < rp->n_contacts && i < SR_MIDREG_MAX_UP_CONTACTS; i++)
		if (!up_is_ours(m, &rp->contacts[i], aor_user))
			foreign[nf++] = rp->contacts[i].value;
	struct sr_mid_reply r = {
		.status = rp ? rp->txn.status : 200,
		.reason = rp ? rp->reason : SR_STR_NULL,
		.to_tag = rp ? rp->to_tag : SR_STR_NULL,
		.n_lines = rp ? rp->n_lines : 0,
		.lines = rp ? rp->lines : NULL,
		.extra = c->ok_lines,
		.n_contacts = n,
		.contacts = m->reply,
		.n_foreign = nf,
		.foreign = foreign,
	};
	answer_ctx(m, c, &r);
}

/* ---------------------------------------------------------------- records after an answer */

/* The expiry the main registrar granted upstream Contact u: its parameter, else the Expires header, else asked. */
static int64_t granted(const struct sr_midreg_up_contact *u, const struct sr_midreg_resp *rp, uint32_t asked)
{
	if (u->expires >= 0)
		return u->expires;
	return rp->expires >= 0 ? rp->expires : (int64_t)asked;
}

/* The grant for contact id ctid in a 2xx; -1 when the main registrar does not list it. */
static int64_t grant_of_ctid(const struct sr_midreg_shard *m, const struct sr_midreg_resp *rp, uint64_t ctid,
			     uint32_t asked)
{
	uint64_t id;
	for (unsigned i = 0; i < rp->n_contacts && i < SR_MIDREG_MAX_UP_CONTACTS; i++)
		if (up_ctid(m, &rp->contacts[i], &id) && id == ctid)
			return granted(&rp->contacts[i], rp, asked);
	return -1;
}

static int64_t grant_of_aor(const struct sr_midreg_shard *m, const struct sr_midreg_resp *rp, struct sr_str aor,
			    uint32_t asked)
{
	char buf[MR_URI_MAX];
	struct sr_str user = aor_contact_user(m, aor, buf, sizeof(buf));
	for (unsigned i = 0; user.len && i < rp->n_contacts && i < SR_MIDREG_MAX_UP_CONTACTS; i++)
		if (sr_str_caseeq(rp->contacts[i].user, user))
			return granted(&rp->contacts[i], rp, asked);
	return -1;
}

void mr_settle(struct sr_midreg_shard *m, struct mr_rec *r)
{
	if (r->pending)
		return; /* the request in flight settles it when it ends */
	if (r->up_expires_at > mr_now_s(m))
		mr_dereg(m, r);
	else
		mr_rec_free(m, r);
}

/* True when no local binding stands for r any more. */
static bool orphan(struct sr_midreg_shard *m, const struct mr_rec *r)
{
	if (r->pending || r->state == SR_MIDREG_REC_DEREG)
		return false;
	if (mr_contact_mode(m))
		return !r->in_key;
	const struct sr_midreg_binding *b;
	return m->io.bindings(m->io_ctx, mr_rec_aor(r), &b) == 0;
}

static struct mr_rec *entry_rec(struct sr_midreg_shard *m, const struct mr_ctx *c, unsigned i)
{
	return mr_rec_at(m, mr_contact_mode(m) ? c->e[i].rec : c->aor_rec);
}

/* Entries of c that hold records: every contact (contact modes) or the AoR's one. */
static unsigned rec_entries(const struct sr_midreg_shard *m, const struct mr_ctx *c)
{
	return mr_contact_mode(m) ? c->n : 1;
}

/* The record of entry i, unless an earlier entry has it too (a contact listed twice): each counts once. */
static struct mr_rec *entry_rec_once(struct sr_midreg_shard *m, const struct mr_ctx *c, unsigned i)
{
	for (unsigned j = 0; mr_contact_mode(m) && j < i; j++)
		if (c->e[j].rec == c->e[i].rec)
			return NULL;
	return entry_rec(m, c, i);
}

/* Settles the records of c that no local binding stands for any more. */
static void settle_orphans(struct sr_midreg_shard *m, struct mr_ctx *c)
{
	for (unsigned i = 0; i < rec_entries(m, c); i++) {
		struct mr_rec *r = entry_rec_once(m, c, i);
		if (r && r->state && orphan(m, r))
			mr_settle(m, r);
	}
}

/* The request is over: its records are no longer pending; those no local binding stands for are settled. */
static void release(struct sr_midreg_shard *m, struct mr_ctx *c)
{
	for (unsigned i = 0; i < rec_entries(m, c); i++) {
		struct mr_rec *r = entry_rec_once(m, c, i);
		if (r && r->pending)
			r->pending--;
		if (r)
			mr_rec_lease(m, r); /* after every change the request made: the record as it now stands */
	}
	settle_orphans(m, c);
}

/* Records made for a request the main registrar refused (it answered): nothing of them stands upstream. */
static void refused(struct sr_midreg_shard *m, struct mr_ctx *c)
{
	for (unsigned i = 0; i < rec_entries(m, c) && i < c->n; i++) {
		struct mr_rec *r = entry_rec(m, c, i);
		if (r && (c->e[i].flags & MR_E_NEW))
			r->up_expires_at = 0;
	}
}

/* Links r to binding id, de-registering an older record of the same binding (two forwards of one new contact). */
static void link_binding(struct sr_midreg_shard *m, struct mr_rec *r, uint64_t id)
{
	struct mr_rec *old = mr_rec_by_key(m, mr_rec_aor(r), id);
	mr_rec_link(m, r, id);
	if (old && old != r) {
		mr_rec_unlink(m, old);
		old->binding_id = 0;
		mr_settle(m, old);
	}
	mr_rec_lease(m, r); /* after the older record let go of the binding */
}

static void confirm(struct sr_midreg_shard *m, struct mr_rec *r, int64_t g)
{
	uint32_t now = mr_now_s(m);
	uint64_t until = (uint64_t)now + (uint64_t)g;
	mr_rec_set_live(m, r, until > UINT32_MAX ? UINT32_MAX : (uint32_t)until);
	r->up_refreshed_at = now;
	r->attempts = 0;
	r->retry_at = 0;
}

static void not_held(struct sr_midreg_shard *m, struct mr_rec *r)
{
	mr_rec_set_lapsed(m, r);
	r->up_expires_at = 0;
}

static uint32_t min_u32(uint32_t a, int64_t b)
{
	return (int64_t)a < b ? a : (uint32_t)b;
}

/* The expiries io.apply gets, from a 2xx (grants[i] < 0: not listed); 'held' tells whether each is held upstream. */
static void plan_apply(struct sr_midreg_shard *m, struct mr_ctx *c, const int64_t *grants, struct sr_midreg_apply *a)
{
	bool mirror = m->cfg.mode == SR_MIDREG_MIRROR;
	for (unsigned i = 0; i < a->n; i++) {
		const struct mr_entry *e = &c->e[i];
		bool has_local = mr_contact_mode(m) ? !(e->flags & MR_E_NEW) && e->rec != MR_NIL : c->ids[i] != 0;
		if (e->flags & MR_E_REMOVE)
			a->expires[i] = 0;
		else if (grants[i] > 0)
			a->expires[i] = mirror ? min_u32(UINT32_MAX, grants[i]) : min_u32(e->grant, grants[i]);
		else /* not held upstream: a throttling refresh stands on its local grant, nothing else is stored */
			a->expires[i] = !mirror && has_local ? e->grant : 0;
	}
}

static void forward_ok(struct sr_midreg_shard *m, struct mr_ctx *c, const struct sr_midreg_resp *rp)
{
	m->stats.upstream_ok++;
	struct sr_midreg_apply a = { .aor = c->aor, .msg = c->msg, .host_state = c->host_state, .star = c->star,
				     .n = c->star ? 0 : c->n };
	int64_t grants[SR_MIDREG_MAX_CONTACTS];
	struct mr_rec *ar = mr_rec_at(m, c->aor_rec);
	int64_t aor_grant = ar && !c->aor_remove ? grant_of_aor(m, rp, c->aor, c->e[0].asked) : -1;
	for (unsigned i = 0; i < c->n; i++) {
		struct mr_rec *r = mr_rec_at(m, c->e[i].rec);
		grants[i] = !mr_contact_mode(m) ? aor_grant
			    : r && !(c->e[i].flags & MR_E_REMOVE) ? grant_of_ctid(m, rp, r->ctid, c->e[i].asked) : -1;
	}
	plan_apply(m, c, grants, &a);
	int rc = m->io.apply(m->io_ctx, &a, c->ids);
	m->stats.store_refused += rc != 0;
	if (mr_contact_mode(m)) {
		for (unsigned i = 0; i < c->n; i++) {
			struct mr_rec *r = mr_rec_at(m, c->e[i].rec);
			if (!r)
				continue;
			if (c->e[i].flags & MR_E_REMOVE) {
				mr_rec_unlink(m, r);
				not_held(m, r);
			} else if (grants[i] > 0) {
				confirm(m, r, grants[i]);
			} else {
				not_held(m, r);
			}
			/*
			 * rc != 0: nothing changed locally; a new record stays unlinked and is
			 * de-registered when released (it is registered upstream only).
			 */
			if (rc == 0 && c->ids[i])
				link_binding(m, r, c->ids[i]);
			else if (rc == 0 && !(c->e[i].flags & MR_E_NEW))
				mr_rec_unlink(m, r); /* removed, or not stored: no local binding stands for it */
			mr_rec_persist(m, r);
		}
	} else if (ar) {
		if (c->aor_remove || aor_grant <= 0)
			not_held(m, ar);
		else
			confirm(m, ar, aor_grant);
		mr_rec_persist(m, ar);
	}
	if (rc != 0) {
		answer_own(m, c, rc, NULL);
		return;
	}
	answer_ok(m, c, rp);
}

/* 5xx or no answer. */
static void forward_failed(struct sr_midreg_shard *m, struct mr_ctx *c, const struct sr_midreg_resp *rp)
{
	if (c->pure_refresh && m->cfg.mode != SR_MIDREG_MIRROR) {
		uint32_t now = mr_now_s(m);
		struct sr_midreg_apply a = { .aor = c->aor, .msg = c->msg, .host_state = c->host_state, .n = c->n };
		for (unsigned i = 0; i < c->n; i++)
			a.expires[i] = c->e[i].grant;
		int rc = m->io.apply(m->io_ctx, &a, c->ids);
		m->stats.stood += rc == 0;
		for (unsigned i = 0; i < rec_entries(m, c); i++) {
			struct mr_rec *r = entry_rec_once(m, c, i);
			if (!r)
				continue;
			r->attempts = r->attempts < UINT8_MAX ? r->attempts + 1 : UINT8_MAX;
			r->retry_at = now + mr_backoff(m, r, r->attempts);
			/*
			 * The binding may have expired while the refresh was upstream and
			 * been stored again under a new id: the record stands for that one.
			 */
			if (rc == 0 && mr_contact_mode(m) && c->ids[i])
				link_binding(m, r, c->ids[i]);
			mr_rec_persist(m, r);
		}
		if (rc == 0)
			answer_ok(m, c, NULL);
		else
			answer_own(m, c, rc, NULL);
		return;
	}
	if (rp) {
		refused(m, c);
		answer_mapped(m, c, rp);
	} else {
		answer_own(m, c, 504, "Main Registrar Timeout");
	}
}

/* ---------------------------------------------------------------- our own de-REGISTER */

static void dereg_done(struct sr_midreg_shard *m, struct mr_ctx *c, int status)
{
	struct mr_rec *r = mr_rec_at(m, c->aor_rec);
	if (!r || r->state != SR_MIDREG_REC_DEREG || r->ctid != c->ids[0])
		return; /* revived (AoR throttling: a contact came back) or gone meanwhile */
	if (status < 300) {
		mr_rec_free(m, r);
	} else if (status == 408 || status >= 500) {
		r->attempts = r->attempts < UINT8_MAX ? r->attempts + 1 : UINT8_MAX;
		uint32_t at = mr_now_s(m) + mr_backoff(m, r, r->attempts);
		if (at < r->up_expires_at) {
			r->retry_at = at;
			mr_rec_arm(m, r, at);
			mr_rec_persist(m, r);
		} else {
			mr_rec_free(m, r); /* it expires upstream before we would try again */
		}
	} else {
		m->stats.dereg_refused++; /* e.g. a challenge: the main registrar must trust sipreg's own REGISTERs */
		mr_rec_free(m, r);
	}
}

/* The contact URI r has upstream. */
static size_t rec_uri(const struct sr_midreg_shard *m, const struct mr_rec *r, char *buf, size_t cap)
{
	if (r->mode != SR_MIDREG_AOR_THROTTLING) /* the record's own mode: a restart may have changed the shard's */
		return sr_mid_contact_uri(buf, cap, &m->cfg.uri, mr_rec_user(r), r->ctid);
	return sr_mid_aor_contact_uri(buf, cap, &m->cfg.uri, mr_rec_aor(r));
}

/* The next CSeq for a request involving record r: above its last, and at least the seconds since our epoch. */
static uint32_t next_cseq(const struct sr_midreg_shard *m, uint32_t last)
{
	uint32_t t = mr_now_s(m) > MR_CSEQ_EPOCH ? mr_now_s(m) - MR_CSEQ_EPOCH : 1;
	return last + 1 > t ? last + 1 : t;
}

static bool send_dereg(struct sr_midreg_shard *m, struct mr_rec *r)
{
	struct mr_ctx *c = ctx_alloc(m, MR_CTX_DEREG);
	if (!c)
		return false;
	struct sr_txn *t;
	if (sr_txn_client_create(m->txn, M_REGISTER, (uint32_t)r->ctid, &m->cfg.registrar, &t) != SR_TXN_OK) {
		mr_ctx_unref(m, c);
		return false;
	}
	char uri[MR_URI_MAX], call_id[MR_CALL_ID_LEN], tag[MR_TAG_LEN], ruri[MR_AOR_MAX + 8];
	struct sr_str aor = mr_rec_aor(r);
	const char *at = memchr(aor.p, '@', aor.len), *colon = memchr(aor.p, ':', aor.len);
	const char *dom = at ? at + 1 : colon ? colon + 1 : aor.p;
	int rl = snprintf(ruri, sizeof(ruri), "sip:%.*s", (int)(aor.p + aor.len - dom), dom);
	mr_call_id(aor, call_id);
	mr_from_tag(r->ctid, tag);
	r->cseq = next_cseq(m, r->cseq);
	struct sr_mid_own o = {
		.ruri = sr_str_make(ruri, (size_t)rl),
		.sent_by = m->cfg.uri.self,
		.branch = sr_txn_branch(t),
		.aor = aor,
		.from_tag = sr_str_make(tag, sizeof(tag)),
		.call_id = sr_str_make(call_id, sizeof(call_id)),
		.cseq = r->cseq,
		.contact_uri = sr_str_make(uri, rec_uri(m, r, uri, sizeof(uri))),
		.expires = 0,
	};
	char *buf = sr_txn_scratch(m->txn);
	size_t n = o.contact_uri.len ? sr_mid_own_register(buf, SR_BUF_LARGE_SIZE, &o) : 0;
	if (n == 0) {
		sr_txn_client_abandon(m->txn, t);
		mr_ctx_unref(m, c);
		return false;
	}
	sr_txn_set_user(t, c, TAG_CLIENT);
	c->aor_rec = mr_rec_idx(m, r);
	c->ids[0] = r->ctid;
	c->refs = 1;
	if (sr_txn_client_send(m->txn, t, buf, n, m->now_ms) != SR_TXN_OK) {
		mr_ctx_unref(m, c); /* the layer released the transaction */
		return false;
	}
	return true;
}

void mr_dereg(struct sr_midreg_shard *m, struct mr_rec *r)
{
	if (mr_contact_mode(m))
		mr_rec_unlink(m, r); /* no binding stands for it; AoR throttling keeps it findable to revive it */
	if (r->counted_live) {
		r->counted_live = false;
		m->stats.upstream_live--;
	}
	sr_tw_cancel(&m->wheel, &r->timer);
	bool retry = r->state == SR_MIDREG_REC_DEREG;
	r->state = SR_MIDREG_REC_DEREG;
	if (send_dereg(m, r)) {
		if (retry)
			m->stats.retries++;
		else
			m->stats.deregisters++;
	} else {
		m->stats.exhausted++;
		r->attempts = r->attempts < UINT8_MAX ? r->attempts + 1 : UINT8_MAX;
		r->retry_at = mr_now_s(m) + mr_backoff(m, r, r->attempts);
		mr_rec_arm(m, r, r->retry_at);
	}
	mr_rec_persist(m, r);
}

/* ---------------------------------------------------------------- answers from the main registrar */

void mr_on_final(struct sr_midreg_shard *m, struct mr_ctx *c, const struct sr_midreg_resp *rp)
{
	int s = rp->txn.status;
	if (c->kind == MR_CTX_DEREG) {
		dereg_done(m, c, s);
		return;
	}
	if (c->answered)
		return;
	if (s < 300) {
		forward_ok(m, c, rp);
	} else if (s == 401 || s == 407) {
		m->stats.challenges++;
		refused(m, c);
		answer_mapped(m, c, rp);
	} else if (s >= 500) {
		m->stats.upstream_failures++;
		forward_failed(m, c, rp);
	} else {
		m->stats.upstream_rejected++;
		refused(m, c);
		answer_mapped(m, c, rp);
	}
	release(m, c);
}

/*
 * No answer: the main registrar may have taken the REGISTER, so each record
 * may stand upstream for as long as we asked from now on. Until a 2xx says
 * how long, it is not confirmed (lapsed: the next refresh after the back-off
 * goes up), and a de-REGISTER goes up if its binding goes before that bound.
 */
static void unconfirmed(struct sr_midreg_shard *m, struct mr_ctx *c)
{
	uint32_t now = mr_now_s(m);
	for (unsigned i = 0; i < rec_entries(m, c); i++) {
		struct mr_rec *r = entry_rec_once(m, c, i);
		uint32_t asked = !mr_contact_mode(m) ? (c->aor_remove || c->n == 0 ? 0 : c->e[0].asked)
				 : (c->e[i].flags & MR_E_REMOVE) ? 0 : c->e[i].asked;
		if (!r || asked == 0)
			continue;
		if ((uint64_t)now + asked > r->up_expires_at)
			r->up_expires_at = now + asked;
		if (r->state == SR_MIDREG_REC_LIVE)
			mr_rec_set_lapsed(m, r);
		mr_rec_persist(m, r);
	}
}

void mr_on_timeout(struct sr_midreg_shard *m, struct mr_ctx *c)
{
	if (c->kind == MR_CTX_DEREG) {
		dereg_done(m, c, 408);
		return;
	}
	if (c->answered)
		return;
	m->stats.upstream_failures++;
	m->stats.upstream_timeouts++;
	unconfirmed(m, c);
	forward_failed(m, c, NULL);
	release(m, c);
}

/* ---------------------------------------------------------------- forwarding */

/* Frees the records made for a request that never left. */
static void undo(struct sr_midreg_shard *m, struct mr_ctx *c)
{
	for (unsigned i = 0; i < c->n; i++)
		if (c->e[i].flags & MR_E_NEW) {
			struct mr_rec *r = mr_rec_at(m, mr_contact_mode(m) ? c->e[i].rec : c->aor_rec);
			if (r)
				mr_rec_free(m, r);
			c->e[i].flags &= (uint8_t)~MR_E_NEW;
		}
}

/* Makes or revives the records the plan needs; false when the pool is empty. */
static bool take_records(struct sr_midreg_shard *m, const struct sr_midreg_req *rq, const struct mr_plan *p,
			 struct mr_ctx *c)
{
	c->n = p->n;
	memcpy(c->e, p->e, sizeof(p->e[0]) * p->n);
	if (mr_contact_mode(m)) {
		for (unsigned i = 0; i < c->n; i++) {
			if (c->e[i].rec != MR_NIL || (c->e[i].flags & MR_E_REMOVE))
				continue;
			struct mr_rec *r = mr_rec_new(m, rq->aor, rq->owner, rq->contacts[i].user);
			if (!r)
				return false;
			c->e[i].rec = mr_rec_idx(m, r);
			c->e[i].flags |= MR_E_NEW;
		}
		return true;
	}
	struct mr_rec *ar = p->aor_rec;
	if (!ar) {
		ar = mr_rec_new(m, rq->aor, rq->owner, SR_STR_NULL);
		if (!ar)
			return false;
		mr_rec_link(m, ar, 0); /* findable at once: the AoR's next REGISTERs join it */
		if (c->n)
			c->e[0].flags |= MR_E_NEW;
	} else if (ar->state == SR_MIDREG_REC_DEREG) {
		sr_tw_cancel(&m->wheel, &ar->timer); /* revived: the same Call-ID, a higher CSeq wins over the de-REGISTER */
		ar->state = SR_MIDREG_REC_NEW;
	}
	c->aor_rec = mr_rec_idx(m, ar);
	return true;
}

/* Writes the forwarded REGISTER of context c into out (the contact URIs into uris). */
static size_t write_forward(struct sr_midreg_shard *m, const struct mr_ctx *c, const struct sr_midreg_req *rq,
			    struct sr_str branch, uint32_t cseq, char *out, size_t cap, char *uris, size_t ucap)
{
	struct sr_mid_contact ct[SR_MIDREG_MAX_CONTACTS];
	unsigned n = 0;
	size_t used = 0;
	bool mirror = m->cfg.mode == SR_MIDREG_MIRROR;
	if (!mr_contact_mode(m)) {
		struct mr_rec *ar = mr_rec_at((struct sr_midreg_shard *)m, c->aor_rec);
		size_t k = rec_uri(m, ar, uris, ucap);
		ct[n++] = (struct sr_mid_contact){ sr_str_make(uris, k), SR_STR_NULL,
						   c->aor_remove || c->n == 0 ? 0 : c->e[0].asked };
		if (!k)
			return 0;
	}
	for (unsigned i = 0; mr_contact_mode(m) && i < c->n; i++) {
		struct mr_rec *r = mr_rec_at((struct sr_midreg_shard *)m, c->e[i].rec);
		if (!r)
			continue; /* a removal of a contact nothing upstream stands for */
		size_t k = rec_uri(m, r, uris + used, ucap - used);
		if (!k)
			return 0;
		bool removal = c->e[i].flags & MR_E_REMOVE;
		int64_t exp = removal ? 0 : mirror ? rq->contacts[i].requested : c->e[i].asked;
		ct[n++] = (struct sr_mid_contact){ sr_str_make(uris + used, k),
						   c->star ? SR_STR_NULL : rq->contacts[i].params, exp };
		used += k;
	}
	char call_id[MR_CALL_ID_LEN];
	mr_call_id(rq->aor, call_id);
	struct sr_mid_fwd f = {
		.ruri = rq->ruri,
		.sent_by = m->cfg.uri.self,
		.branch = branch,
		.max_forwards = rq->max_forwards - 1,
		.n_lines = rq->n_lines,
		.lines = rq->lines,
		.keep_expires = mirror,
		.call_id = sr_str_make(call_id, sizeof(call_id)),
		.cseq = cseq,
		.n_contacts = n,
		.contacts = ct,
		.body = rq->body,
	};
	return sr_mid_forward(out, cap, &f);
}

/* Sends the forwarded REGISTER of c; false when no transaction, buffer or room could be had. */
static bool send_forward(struct sr_midreg_shard *m, struct mr_ctx *c, const struct sr_midreg_req *rq)
{
	unsigned n = rec_entries(m, c);
	uint32_t last = 0;
	for (unsigned i = 0; i < n; i++) {
		struct mr_rec *r = entry_rec(m, c, i);
		if (r && r->cseq > last)
			last = r->cseq;
	}
	uint32_t cseq = next_cseq(m, last), key = mr_req_key(m, rq) | 1;
	struct sr_txn *t;
	if (sr_txn_client_create(m->txn, M_REGISTER, (uint32_t)sr_txn_hash(m->cfg.txn.secret, rq->aor.p, rq->aor.len),
				 &m->cfg.registrar, &t) != SR_TXN_OK)
		return false;
	char *buf = sr_txn_scratch(m->txn);
	size_t half = SR_BUF_LARGE_SIZE / 2;
	size_t len = write_forward(m, c, rq, sr_txn_branch(t), cseq, buf, half, buf + half, SR_BUF_LARGE_SIZE - half);
	if (len == 0) {
		sr_txn_client_abandon(m->txn, t);
		return false;
	}
	sr_txn_set_user(t, c, TAG_CLIENT);
	if (sr_txn_client_send(m->txn, t, buf, len, m->now_ms) != SR_TXN_OK)
		return false;
	c->refs++;
	uint32_t now = mr_now_s(m);
	for (unsigned i = 0; i < n; i++) {
		struct mr_rec *r = entry_rec_once(m, c, i);
		if (!r)
			continue;
		const struct mr_entry *e = i < c->n ? &c->e[i] : NULL;
		r->cseq = cseq;
		r->pending++;
		r->pending_key = key;
		mr_rec_lease(m, r); /* withdrawn while it is upstream: its copies and the next REGISTERs are asked */
		if (r->attempts)
			m->stats.retries++;
		/* Until answered it may stand upstream for as long as we asked (a timeout leaves us not knowing). */
		if (r->state == SR_MIDREG_REC_NEW && e && now + e->asked > r->up_expires_at)
			r->up_expires_at = now + e->asked;
		if (e && (e->flags & MR_E_NEW))
			mr_rec_persist(m, r); /* a restart before the answer de-registers it */
	}
	return true;
}

enum sr_midreg_verdict mr_forward(struct sr_midreg_shard *m, const struct sr_midreg_req *rq, struct mr_plan *p)
{
	struct sr_txn *st = NULL, *inv = NULL;
	int rc = sr_txn_server_request(m->txn, &rq->txn, &rq->reply_to, m->now_ms, &st, &inv);
	if (rc == SR_TXN_RX_ABSORBED) {
		m->stats.retransmissions++;
		return SR_MIDREG_HANDLED;
	}
	if (rc != SR_TXN_RX_NEW) {
		if (rc == SR_TXN_E_POOL)
			m->stats.exhausted++;
		answer_req(m, NULL, rq, rc == SR_TXN_E_POOL ? 503 : 400, rc == SR_TXN_E_POOL ? NULL : "Bad Via Branch");
		return SR_MIDREG_HANDLED;
	}
	if (rq->max_forwards == 0) {
		answer_req(m, st, rq, 483, NULL);
		return SR_MIDREG_HANDLED;
	}
	struct mr_ctx *c = ctx_alloc(m, MR_CTX_FORWARD);
	if (!c) {
		m->stats.exhausted++;
		answer_req(m, st, rq, 503, NULL);
		return SR_MIDREG_HANDLED;
	}
	c->server = st;
	c->reply_to = rq->reply_to;
	c->pure_refresh = p->pure_refresh;
	c->star = rq->star;
	c->aor_remove = p->aor_remove;
	c->only_request = rq->settings && rq->settings->only_request_contacts;
	for (unsigned i = 0; i < SR_MIDREG_MAX_CONTACTS; i++)
		c->ids[i] = i < rq->n_contacts && !rq->star ? rq->contacts[i].binding_id : 0;
	if (!take_records(m, rq, p, c) || !keep(m, c, rq) || !send_forward(m, c, rq)) {
		m->stats.exhausted++;
		undo(m, c);
		settle_orphans(m, c); /* a revived AoR record goes back to being de-registered */
		mr_ctx_unref(m, c);
		answer_req(m, st, rq, 503, NULL);
		return SR_MIDREG_HANDLED;
	}
	sr_txn_set_user(st, c, TAG_SERVER);
	c->refs++;
	m->stats.forwarded++;
	return SR_MIDREG_FORWARDED;
}
