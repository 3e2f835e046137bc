/*
 * worker_mid.c - one job: the worker's side of the mid-registrar
 * (registrar.role = mid; docs/MID_REGISTRAR.md, "Wiring").
 *
 * Design decisions:
 * - The REGISTER path stays the registrar's: it parses, checks (limits,
 *   policy, local digest) and plans as a final registrar, then offers the
 *   plan through its mid hook (lib/registrar/reg_mid.c), which fills
 *   lib/midreg's facts from the one parse. This file only passes them on
 *   (with the reply port net.symmetric_responses asks for) and tells the
 *   registrar whether to answer (absorbed) or not (forwarded, or handled
 *   by the mid-registrar).
 * - io.apply is the registrar's sr_reg_mid_apply: bindings change only
 *   through the registrar and the location store, all or nothing.
 * - A response whose CSeq method is REGISTER is the mid-registrar's (the
 *   routing never sends a REGISTER). Our branches name the worker (as the
 *   routing's do), so the receiving worker hands it to the owner first.
 *   It is parsed here once, into this glue's own arena, by lib/sip; every
 *   fact of struct sr_midreg_resp is a range of that parse or a lib/sip
 *   accessor over one.
 * - Binding events arrive while the store commits (it must not be called
 *   back then), so a binding that went is queued and handed to
 *   sr_midreg_binding_gone from the loop, after the store changed. A full
 *   queue loses the event (counted): the upstream registration then ends
 *   at its own expiry, at most mid.outgoing_expires later.
 * - Sends reuse worker_send.c: the next hop from the worker's neighbour
 *   table (worker_neigh.h), resolved by ARP when unknown.
 */
#include "worker_mid.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include <rte_malloc.h>
#include <rte_mbuf_dyn.h>
#include <rte_ring.h>

#include "midreg_offer.h"
#include "persist_mid.h"
#include "policy.h"
#include "sip_msg.h"
#include "siphash.h"
#include "sip_uri_addr.h"
#include "txn.h"
#include "worker.h"
#include "worker_send.h"

#define MID_ARENA (256 * 1024) /* one parse of a response up to 64 KiB */
#define MID_BUDGET 256         /* timers run per loop at most */
#define MID_GONE_QUEUE 512     /* binding events waiting for the loop */
#define MID_GONE_AOR 256       /* longest AoR a queued event keeps (longer: counted as lost) */
#define MID_VIEWS 64           /* bindings of one AoR handed to lib/midreg */
#define FIGURES_PERIOD_MS 100

struct mid_gone {
	uint64_t binding_id;
	uint16_t aor_len;
	char aor[MID_GONE_AOR];
};

struct sr_worker_mid {
	struct sr_midreg_shard *ms;
	struct sr_worker *w;
	char self[32];                 /* "a.b.c.d:port": our contacts upstream and our Via */
	uint64_t now_ms;               /* of the call in progress */
	uint16_t port;                 /* where the last datagram came in: sends go out there */
	struct sr_arena arena;
	struct sr_sip_msg msg;
	struct sr_midreg_resp resp;
	struct sr_mid_line lines[SR_REG_MID_MAX_LINES];
	struct sr_loc_binding views[MID_VIEWS];
	struct sr_midreg_binding binds[MID_VIEWS];
	unsigned gone_head, gone_tail; /* ring of binding events */
	struct mid_gone gone[MID_GONE_QUEUE];
	char call_aor[SR_REG_MAX_AOR_LEN]; /* the AoR a main registrar's call names */
	struct sr_midreg_offer offer;  /* the registrar's offers: the decision first, then take */
	uint64_t next_publish_ms;
	struct sr_mid_figures own;     /* this glue's counters (worker only) */
	struct sr_mid_figures pub;     /* published copy (relaxed stores) */
};

/* --- io for lib/midreg --- */

static void io_send(void *ctx, const struct sr_txn_dest *to, const char *bytes, size_t len)
{
	struct sr_worker_mid *wm = ctx;
	if (sr_worker_send_udp(wm->w, wm->port, to->ip, to->port, bytes, len, wm->now_ms) == SR_SEND_OK)
		wm->own.sent++;
	else
		wm->own.send_failed++;
}

static int io_apply(void *ctx, const struct sr_midreg_apply *a, uint64_t ids[SR_MIDREG_MAX_CONTACTS])
{
	struct sr_worker_mid *wm = ctx;
	return sr_reg_mid_apply(wm->w->shard, a, wm->now_ms, ids);
}

static unsigned io_bindings(void *ctx, struct sr_str aor, const struct sr_midreg_binding **out)
{
	struct sr_worker_mid *wm = ctx;
	*out = wm->binds;
	return sr_reg_mid_bindings(wm->w->shard, aor, (uint32_t)(wm->now_ms / 1000), wm->views, wm->binds, MID_VIEWS);
}

static void io_record(void *ctx, enum sr_midreg_rec_op op, struct sr_str aor, uint64_t ctid, const uint8_t *bytes,
		      size_t len)
{
	struct sr_worker_mid *wm = ctx;
	sr_persist_mid_record(wm->w->app, wm->w->id, op, aor, ctid, bytes, len);
	wm->own.records_handed++;
}

/* The record's lease, kept with its binding in this worker's store (the registrar reads it there). */
static void io_lease(void *ctx, struct sr_str aor, uint64_t binding_id, uint32_t lease)
{
	struct sr_worker_mid *wm = ctx;
	sr_loc_set_lease(sr_reg_location(wm->w->shard), aor, binding_id, lease);
}

/* --- the registrar's offer --- */

static bool take(void *ctx, struct sr_midreg_req *rq)
{
	struct sr_worker *w = ctx;
	if (w->mid == NULL)
		return false; /* not started (cannot happen once the worker runs): a final registrar's answer */
	return sr_midreg_offer_take(&w->mid->offer, rq);
}

/* The registrar asks first with the decision's facts only: an absorbed refresh gathers nothing more. */
static bool absorbs(void *ctx, const struct sr_midreg_req *rq)
{
	struct sr_worker *w = ctx;
	return w->mid != NULL && sr_midreg_offer_absorbs(&w->mid->offer, rq);
}

/* A refresh the registrar absorbed on its binding's lease: lib/midreg counts it. */
static void absorbed(void *ctx)
{
	struct sr_worker *w = ctx;
	if (w->mid)
		sr_midreg_count_absorbed(w->mid->ms);
}

/*
 * The operator's `aor mid` rules (lib/policy; none without policy.rules),
 * over the worker's policy reader (filled by sr_admission_worker; only its
 * address is taken here). One lookup, wired directly into the registrar's
 * settings hook (lib/midreg asks nothing itself), which asks it once per
 * REGISTER as soon as the AoR is known and hands the result on (memory-only,
 * limits, matching, custom AoR, and take()'s rq->settings); the registrar
 * keeps the lookup's tag with the AoR (reg_rule.c), which spares a refresh
 * the scan until the policy is reloaded.
 */
static sr_midreg_settings_fn *const mid_rules = sr_policy_mid_settings;

void sr_worker_mid_hooks(struct sr_worker *w, struct sr_reg_params *p)
{
	p->mid = (struct sr_reg_mid_hooks){ 0 };
	if (w->app->cfg.role == SR_ROLE_MID) {
		p->mid = (struct sr_reg_mid_hooks){ .take = take, .ctx = w, .settings = mid_rules,
						     .settings_ctx = &w->policy_reader, .absorbs = absorbs,
						     .absorbed = absorbed };
	}
}

/* --- the main registrar's responses --- */

bool sr_worker_mid_owner(struct sr_worker *w, const struct sr_sip_scan *scan, const struct sr_reg_owner *o,
			 unsigned *owner)
{
	if (w->mid == NULL || !(scan->flags & SR_SCAN_RESPONSE))
		return false;
	struct sr_txn_branch_info bi;
	struct sr_str branch = sr_str_make(o->branch, o->branch_len);
	/* not one of our branches, or a worker that does not exist: processed here (counted stray) */
	*owner = sr_txn_branch_parse(branch, &bi) && bi.worker < w->app->n_workers ? bi.worker : w->id;
	return true;
}

static int64_t uint_of(struct sr_str v)
{
	int64_t n = 0;
	if (v.len == 0 || v.len > 10)
		return -1;
	for (size_t i = 0; i < v.len; i++) {
		if (v.p[i] < '0' || v.p[i] > '9')
			return -1;
		n = n * 10 + (v.p[i] - '0');
	}
	return n;
}

/* lib/midreg's facts of the parse m of the response sip[0..len); false when its ranges do not hold. */
static bool response_facts(struct sr_worker_mid *wm, const struct sr_sip_msg *m, const char *sip, size_t len)
{
	struct sr_midreg_resp *rp = &wm->resp;
	const struct sr_app_config *c = &wm->w->app->cfg;
	if (m->body_at > len || m->headers_at > m->body_at)
		return false;
	rp->txn = (struct sr_txn_resp){ .status = m->status, .branch = m->top_via.branch,
					.cseq_method = m->cseq_method, .bytes = sip, .len = len };
	rp->reason = sr_mid_status_reason(sip, m->headers_at);
	rp->to_tag = m->to.tag;
	rp->expires = m->expires;
	if (!sr_mid_header_lines(sip, m->headers_at, m->body_at, wm->lines, SR_REG_MID_MAX_LINES, &rp->n_lines))
		return false;
	rp->lines = wm->lines;
	rp->n_contacts = 0;
	for (unsigned i = 0; !m->contact_star && i < m->n_contacts && i < SR_MIDREG_MAX_UP_CONTACTS; i++) {
		const struct sr_sip_contact *ct = &m->contacts[i];
		struct sr_midreg_up_contact *u = &rp->contacts[rp->n_contacts++];
		struct sr_str v = SR_STR_NULL;
		*u = (struct sr_midreg_up_contact){ .value = ct->raw, .user = sr_mid_uri_user_raw(ct->uri_text),
						    .expires = -1 };
		if (sr_sip_uri_param(&ct->uri, c->mid.contact_id_param, &v))
			u->ctid = v;
		if (sr_sip_contact_param(ct, "expires", &v))
			u->expires = uint_of(v);
	}
	return true;
}

bool sr_worker_mid_process(struct sr_worker *w, struct rte_mbuf *m, const struct sr_net_pkt *p, const char *sip,
			   const struct sr_sip_scan *scan, uint64_t now_ms)
{
	struct sr_worker_mid *wm = w->mid;
	if (wm == NULL)
		return false;
	wm->port = m->port;
	wm->now_ms = now_ms;
	wm->offer.now_ms = now_ms;
	/* as send_response does for the registrar's answers */
	wm->offer.reply_port = w->app->cfg.symmetric_responses ? p->src_port : 0;
	if (!(scan->flags & SR_SCAN_RESPONSE))
		return false; /* a request: the registrar's (REGISTER) or the routing's */
	struct sr_arena *prev = sr_arena_bind_osip(&wm->arena);
	struct sr_sip_error err;
	bool taken = false;
	unsigned flags = w->app->cfg.reg.fast_parse ? SR_SIP_FAST : 0;
	if (sr_sip_parse(&wm->msg, sip, p->payload_len, scan, flags, &wm->arena, &err) == SR_SIP_OK &&
	    !wm->msg.is_request && sr_str_eq(wm->msg.cseq_method, SR_STR_LIT("REGISTER"))) {
		taken = true; /* the routing never sends a REGISTER: whatever it is, it is not the routing's */
		if (!response_facts(wm, &wm->msg, sip, p->payload_len) ||
		    !sr_midreg_response(wm->ms, &wm->resp, now_ms))
			wm->own.stray++;
	}
	sr_arena_reset(&wm->arena);
	sr_arena_bind_osip(prev);
	if (taken)
		rte_pktmbuf_free(m);
	return taken;
}

/* --- the location store's events --- */

void sr_worker_mid_on_event(struct sr_worker *w, const struct sr_loc_event *ev)
{
	struct sr_worker_mid *wm = w->mid;
	if (wm == NULL || (ev->type != SR_EV_REMOVED && ev->type != SR_EV_EXPIRED))
		return;
	if (wm->gone_tail - wm->gone_head == MID_GONE_QUEUE || ev->b->aor.len > MID_GONE_AOR) {
		wm->own.gone_lost++;
		return;
	}
	struct mid_gone *g = &wm->gone[wm->gone_tail++ % MID_GONE_QUEUE];
	g->binding_id = ev->b->st.id;
	g->aor_len = (uint16_t)ev->b->aor.len;
	memcpy(g->aor, ev->b->aor.p, ev->b->aor.len);
}

static unsigned drain_gone(struct sr_worker_mid *wm, uint64_t now_ms)
{
	unsigned n = 0;
	while (wm->gone_head != wm->gone_tail) {
		const struct mid_gone *g = &wm->gone[wm->gone_head++ % MID_GONE_QUEUE];
		sr_midreg_binding_gone(wm->ms, sr_str_make(g->aor, g->aor_len), g->binding_id, now_ms);
		n++;
	}
	return n;
}

/* --- timers and figures --- */

static void publish(struct sr_worker_mid *wm)
{
	const struct sr_midreg_stats *s = sr_midreg_stats(wm->ms);
	struct sr_mid_figures *f = &wm->pub;
#define PUB(field) SR_STAT_SET(f->mid.field, s->field)
	PUB(received); PUB(forwarded); PUB(absorbed); PUB(retransmissions); PUB(deregisters);
	PUB(upstream_ok); PUB(upstream_failures); PUB(upstream_timeouts); PUB(upstream_rejected);
	PUB(challenges); PUB(retries); PUB(stood); PUB(dereg_refused); PUB(exhausted); PUB(store_refused);
	PUB(lookups); PUB(lookups_unknown); PUB(restored); PUB(restore_bad);
	PUB(upstream_live); PUB(records); PUB(contexts);
#undef PUB
	SR_STAT_SET(f->sent, wm->own.sent);
	SR_STAT_SET(f->send_failed, wm->own.send_failed);
	SR_STAT_SET(f->gone_lost, wm->own.gone_lost);
	SR_STAT_SET(f->stray, wm->own.stray);
	SR_STAT_SET(f->records_handed, wm->own.records_handed);
}

unsigned sr_worker_mid_advance(struct sr_worker *w, uint64_t now_ms)
{
	struct sr_worker_mid *wm = w->mid;
	if (wm == NULL)
		return 0;
	wm->now_ms = now_ms;
	unsigned n = drain_gone(wm, now_ms);
	n += sr_midreg_advance(wm->ms, now_ms, MID_BUDGET);
	if (now_ms >= wm->next_publish_ms) {
		publish(wm);
		wm->next_publish_ms = now_ms + FIGURES_PERIOD_MS;
	}
	return n;
}

const struct sr_mid_figures *sr_worker_mid_figures(const struct sr_worker *w)
{
	return w->mid ? &w->mid->pub : NULL;
}

struct sr_midreg_shard *sr_worker_mid_shard(struct sr_worker *w)
{
	return w->mid ? w->mid->ms : NULL;
}

/* --- start and stop --- */

/* mid.registrar "HOST:PORT" into options.registrar_ip/port (IPv4), once for every worker. */
static int resolve_registrar(struct sr_midreg_options *o)
{
	if (o->registrar_ip)
		return 0;
	char host[256];
	uint16_t port;
	if (!sr_midreg_hostport(o->registrar, host, sizeof(host), &port)) {
		fprintf(stderr, "sipreg: mid.registrar: expected HOST:PORT, got \"%s\"\n", o->registrar);
		return -1;
	}
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_DGRAM }, *res = NULL;
	int rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc != 0 || res == NULL) {
		fprintf(stderr, "sipreg: mid.registrar: cannot resolve %s: %s\n", host, gai_strerror(rc));
		return -1;
	}
	o->registrar_ip = ((const struct sockaddr_in *)(const void *)res->ai_addr)->sin_addr.s_addr;
	o->registrar_port = port;
	freeaddrinfo(res);
	return 0;
}

int sr_worker_mid_create(struct sr_worker *w, uint64_t now_ms)
{
	struct sr_app_config *c = &w->app->cfg;
	w->mid = NULL;
	if (c->role != SR_ROLE_MID)
		return 0;
	if (resolve_registrar(&c->mid) != 0)
		return -1;
	struct sr_worker_mid *wm = rte_zmalloc("sr_worker_mid", sizeof(*wm), RTE_CACHE_LINE_SIZE);
	if (wm == NULL || sr_arena_init(&wm->arena, MID_ARENA) != 0) {
		fprintf(stderr, "sipreg: worker %u: mid-registrar: out of memory\n", w->id);
		rte_free(wm);
		return -1;
	}
	wm->w = w;
	wm->now_ms = now_ms;
	char ip[INET_ADDRSTRLEN];
	struct in_addr a = { .s_addr = c->ip };
	inet_ntop(AF_INET, &a, ip, sizeof(ip));
	snprintf(wm->self, sizeof(wm->self), "%s:%u", ip, c->sip_port);
	struct sr_midreg_config mc;
	sr_midreg_config_from(&c->mid, &mc);
	mc.uri.self = sr_str_cstr(wm->self);
	mc.max_aor_len = c->reg.max_aor_len < 1024 ? c->reg.max_aor_len : 1024;
	mc.retry_after_s = c->reg.retry_after;
	mc.txn.worker = (uint8_t)w->id;
	/* a new secret at every start: branches must not repeat across restarts (never registrar.secret) */
	if (getrandom(mc.txn.secret, sizeof(mc.txn.secret), 0) != (ssize_t)sizeof(mc.txn.secret)) {
		fprintf(stderr, "sipreg: worker %u: mid-registrar: no random bytes for its transaction secret\n", w->id);
		sr_arena_fini(&wm->arena);
		rte_free(wm);
		return -1;
	}
	static const struct sr_midreg_io io = { io_send, io_apply, io_bindings, io_record, io_lease };
	wm->ms = sr_midreg_shard_create(&mc, &io, wm, now_ms);
	if (wm->ms == NULL) {
		fprintf(stderr, "sipreg: worker %u: mid-registrar: cannot create the shard (mid.* sizes)\n", w->id);
		sr_arena_fini(&wm->arena);
		rte_free(wm);
		return -1;
	}
	wm->offer.ms = wm->ms;
	w->mid = wm;
	return 0;
}

struct restore_ctx {
	struct sr_app *app;
	uint64_t now_ms;
	unsigned refused;
};

static void restore_one(void *ctx, unsigned worker, const uint8_t *bytes, size_t len)
{
	struct restore_ctx *rc = ctx;
	struct sr_worker_mid *wm = rc->app->w[worker]->mid;
	if (wm && sr_midreg_restore(wm->ms, bytes, len, rc->now_ms) != 0)
		rc->refused++; /* counted by lib/midreg (restore_bad) too */
}

int sr_worker_mid_restore(struct sr_app *app, uint64_t now_ms)
{
	if (app->cfg.role != SR_ROLE_MID)
		return 0;
	struct restore_ctx rc = { app, now_ms, 0 };
	int n = sr_persist_mid_restore(app, restore_one, &rc);
	if (n < 0)
		return -1;
	for (unsigned i = 0; i < app->n_workers; i++)
		if (app->w[i]->mid)
			sr_midreg_restore_done(app->w[i]->mid->ms, now_ms);
	if (n > 0)
		printf("sipreg: mid-registrar: %d upstream records restored, %u refused\n", n, rc.refused);
	return 0;
}

void sr_worker_mid_free(struct sr_worker *w)
{
	struct sr_worker_mid *wm = w->mid;
	if (wm == NULL)
		return;
	sr_midreg_shard_free(wm->ms);
	sr_arena_fini(&wm->arena);
	rte_free(wm);
	w->mid = NULL;
}

/* --- calls from the main registrar's side --- */

/* The worker that owns the upstream contact the Request-URI names; false when it names none of ours. */
static bool call_owner(struct sr_worker_mid *wm, const struct sr_sip_msg *msg, uint64_t *ctid_out, unsigned *owner)
{
	const struct sr_app *app = wm->w->app;
	const struct sr_midreg_config *mc = sr_midreg_cfg(wm->ms);
	struct sr_str v = SR_STR_NULL;
	uint64_t ctid;
	struct sr_str user = sr_mid_uri_user_raw(msg->ruri_raw); /* our URIs are matched as we wrote them */
	if (mc->mode != SR_MIDREG_AOR_THROTTLING) {
		if (mc->uri.ct_username)
			v = user;
		else if (!sr_sip_uri_param(&msg->ruri, app->cfg.mid.contact_id_param, &v))
			return false;
		if (!sr_mid_ctid_parse(v, &ctid))
			return false;
		*ctid_out = ctid;
		*owner = app->owner[sr_midreg_ctid_owner(ctid) % SR_BUCKETS]; /* the low bits of the AoR's owner hash */
		return true;
	}
	size_t n = sr_mid_aor_from_user(wm->call_aor, sizeof(wm->call_aor), user, mc->uri.at_escape,
					SR_STR_LIT("sip"));
	if (n == 0)
		return false;
	*owner = app->owner[(uint32_t)sr_hash64(wm->call_aor, n) % SR_BUCKETS];
	return true;
}

enum sr_mid_call sr_worker_mid_call(struct sr_worker *w, struct rte_mbuf *m, const struct sr_sip_msg *msg,
				    struct sr_route_req *rq, uint64_t *only_binding)
{
	struct sr_worker_mid *wm = w->mid;
	uint64_t ctid = 0;
	unsigned owner;
	if (wm == NULL || !call_owner(wm, msg, &ctid, &owner))
		return SR_MID_CALL_NONE;
	struct sr_pkt_meta *meta = RTE_MBUF_DYNFIELD(m, w->app->meta_off, struct sr_pkt_meta *);
	if (owner != w->id && !(meta->scan.flags & SR_SCAN_REROUTED)) {
		meta->scan.flags |= SR_SCAN_REROUTED; /* once: the owner looks it up whatever it finds */
		if (rte_ring_sp_enqueue(w->app->mesh.ring[w->id][owner], m) != 0)
			rte_pktmbuf_free(m); /* a full ring: dropped, the main registrar's transaction retransmits */
		return SR_MID_CALL_HANDED;
	}
	char ctid_hex[SR_MID_CTID_HEX + 1];
	struct sr_str ctid_text = SR_STR_NULL;
	if (ctid) {
		snprintf(ctid_hex, sizeof(ctid_hex), "%016llx", (unsigned long long)ctid);
		ctid_text = sr_str_make(ctid_hex, SR_MID_CTID_HEX);
	}
	struct sr_midreg_target t;
	if (!sr_midreg_lookup(wm->ms, sr_mid_uri_user_raw(msg->ruri_raw), ctid_text, wm->call_aor, sizeof(wm->call_aor), &t)) {
		rq->ruri = SR_RURI_FOREIGN; /* not (or no longer) one of ours: 404, never relayed */
		return SR_MID_CALL_ROUTE;
	}
	rq->aor = t.aor;
	rq->ruri = SR_RURI_SERVED;
	*only_binding = t.binding_id;
	return SR_MID_CALL_ROUTE;
}

unsigned sr_worker_mid_only(struct sr_loc_binding *v, unsigned n, uint64_t only)
{
	if (only == 0)
		return n;
	for (unsigned i = 0; i < n; i++)
		if (v[i].st.id == only) {
			v[0] = v[i];
			return 1;
		}
	return 0;
}
