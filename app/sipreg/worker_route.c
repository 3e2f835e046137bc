/*
 * worker_route.c - one job: the glue between a worker's poll loop and its
 * routing shard (lib/routing, docs/ROUTING.md "Wiring").
 *
 * Design decisions:
 * - One parse. A routed datagram is parsed once by lib/sip's message view
 *   (sr_sip_parse, in this glue's arena) and route_facts.c turns that parse
 *   into lib/routing's facts. A request the routing leaves alone (REGISTER
 *   is recognised before parsing; a Request-URI naming us, a message the
 *   view refuses, one route_facts.c cannot express) goes to the registrar
 *   untouched, which parses it as today: only those rare requests are
 *   parsed twice.
 * - Sends go through worker_send.h (the next hop from the worker's
 *   neighbour table, resolved by ARP when unknown; the frame built like a
 *   registrar response); a send with no next hop at all is counted.
 * - Lookups read lib/location's q-ordered complete query of the worker's
 *   own shard (the AoR's owner is this worker: dispatch made sure).
 * - lib/routing's counters are plain integers of the worker; they are
 *   copied into published figures every 100 ms (as the shard figures are),
 *   so the control core reads consistent relaxed values.
 */
#include "worker_route.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_malloc.h>

#include "location.h"
#include "route_facts.h"
#include "route_ua.h"
#include "routing.h"
#include "sip_host.h"
#include "sip_uri_addr.h"
#include "worker.h"
#include "worker_send.h"
#include "worker_push.h"
#include "worker_mid.h"
#include "worker_purr.h"

#define ROUTE_ARENA (256 * 1024) /* one parse of a datagram up to 64 KiB */
#define ROUTE_BUDGET 256        /* timers run per loop at most */
#define FIGURES_PERIOD_MS 100

struct sr_worker_route {
	struct sr_route_shard *rs;
	struct sr_worker *w;
	struct sr_arena arena;
	struct sr_sip_msg msg;
	uint16_t port;                      /* where the last datagram came in: sends go out there */
	char self[32];                      /* "a.b.c.d:port" in our Via and Record-Route */
	struct sr_host_self self_ip;
	struct sr_route_facts facts;        /* what route_facts.c needs to turn the parse into facts */
	struct sr_route_ua *ua;             /* routing.user_agent_filter, NULL when empty */
	char aor[SR_REG_MAX_AOR_LEN];       /* the Request-URI's canonical AoR */
	char head[16384];                   /* head of our own responses (Via lines, From, To, Call-ID, CSeq) */
	struct sr_loc_binding views[SR_ROUTE_MAX_TARGETS];
	struct sr_route_binding binds[SR_ROUTE_MAX_TARGETS];
	struct sr_tgruu_keys tgruu;         /* the registrar's temporary GRUUs, read back for a lookup */
	char tgruu_user[SR_ROUTE_MAX_TARGETS][SR_TGRUU_MAX_USER];
	uint64_t now_ms;                    /* of the call in progress (lookups need the second; io_send) */
	uint64_t only_binding;              /* registrar.role = mid: the one binding a contact id names; 0: all */
	uint64_t next_publish_ms;
	struct sr_route_figures own;        /* this glue's counters (worker only) */
	struct sr_route_figures pub;        /* published copy (relaxed stores) */
};

/* --- io for lib/routing --- */

static void io_send(void *ctx, const struct sr_txn_dest *to, const char *bytes, size_t len)
{
	struct sr_worker_route *wr = ctx;
	switch (sr_worker_send_udp(wr->w, wr->port, to->ip, to->port, bytes, len, wr->now_ms)) {
	case SR_SEND_OK: wr->own.sent++; break;
	case SR_SEND_NO_NEIGHBOUR: wr->own.no_neighbour++; break;
	case SR_SEND_FAILED: wr->own.send_failed++; break;
	}
}

/*
 * The address of the first hop of a Path (its first URI), when an IPv4
 * literal. Read per lookup, not kept per binding: a binding is 297 bytes
 * (bench/core, target under 300), so 6 more bytes for every binding would
 * break the target, and a field of its own only in Path bindings would
 * still cost every binding its 2-byte length (299, one byte left); the
 * parse is paid only by routed requests to bindings that have a Path.
 */
static struct sr_txn_dest path_hop(struct sr_worker_route *wr, struct sr_str path)
{
	struct sr_txn_dest d = { 0, 0, false };
	struct sr_uri_parts up;
	if (sr_sip_first_hop(path, &wr->arena, &up) == 0 && up.ipv4)
		d = (struct sr_txn_dest){ up.ipv4, up.port ? up.port : 5060, false };
	return d;
}

/* A stored binding as lib/routing's binding (strings point into v). */
static void route_binding(struct sr_worker_route *wr, const struct sr_loc_binding *v, uint32_t now_s,
			  struct sr_route_binding *b)
{
	memset(b, 0, sizeof(*b));
	b->contact = v->f[SR_BF_CONTACT];
	b->q = v->st.q;
	b->expires_in = v->st.expires > now_s ? v->st.expires - now_s : 0;
	b->registered_at = v->st.registered_at;
	b->source = (struct sr_txn_dest){ v->st.src_ip, v->st.src_port, false };
	b->path = v->f[SR_BF_PATH];
	if (b->path.len)
		b->path_hop = path_hop(wr, b->path);
	b->instance = v->f[SR_BF_INSTANCE];
	b->reg_id = v->st.reg_id;
	b->user_agent = v->f[SR_BF_USER_AGENT];
	b->nat = (v->st.flags & SR_BFLAG_NAT) != 0;
	b->allow = v->st.allow; /* lib/sip's method bits are lib/routing's (routing.h) */
	sr_worker_push_binding(v, &b->push);
	/* Not stored by the registrar: the Contact's own address (the source is always known). */
}

static unsigned io_lookup(void *ctx, const struct sr_route_req *rq, const struct sr_route_binding **out,
			  bool *user_known)
{
	struct sr_worker_route *wr = ctx;
	struct sr_loc *loc = sr_reg_location(wr->w->shard);
	uint32_t now_s = (uint32_t)(wr->now_ms / 1000);
	unsigned n = sr_loc_lookup(loc, rq->aor, now_s, wr->views, SR_ROUTE_MAX_TARGETS);
	if (n > SR_ROUTE_MAX_TARGETS)
		n = SR_ROUTE_MAX_TARGETS; /* the best q first: the store keeps them in q order */
	n = sr_worker_mid_only(wr->views, n, wr->only_binding);
	for (unsigned i = 0; i < n; i++) {
		route_binding(wr, &wr->views[i], now_s, &wr->binds[i]);
		const struct sr_loc_binding *v = &wr->views[i];
		if (rq->gruu == SR_GRUU_TEMP && v->f[SR_BF_INSTANCE].len) /* the one it was issued for matches */
			wr->binds[i].temp_gruu = sr_str_make(
				wr->tgruu_user[i], sr_tgruu_user(&wr->tgruu, rq->aor, v->f[SR_BF_INSTANCE],
								 v->f[SR_BF_CALL_ID], wr->tgruu_user[i],
								 sizeof(wr->tgruu_user[i])));
	}
	*out = wr->binds;
	*user_known = true; /* no subscriber list is consulted: a served domain's user without bindings gets 480 */
	return n;
}

static bool io_purr(void *ctx, struct sr_str purr, struct sr_str *aor, struct sr_push_binding *pb)
{
	struct sr_worker_route *wr = ctx;
	return sr_worker_purr_binding(wr->w, purr, (uint32_t)(wr->now_ms / 1000), aor, pb);
}

/* --- the worker's calls --- */

bool sr_worker_route_owner(struct sr_worker *w, const struct sr_sip_scan *scan, const struct sr_reg_owner *o,
			   unsigned *owner)
{
	struct sr_app *app = w->app;
	if (w->route == NULL || !(scan->flags & SR_SCAN_RESPONSE))
		return false;
	struct sr_txn_branch_info bi;
	/* not one of our branches, or a worker that does not exist: processed here (counted stray) */
	struct sr_str branch = sr_str_make(o->branch, o->branch_len);
	*owner = sr_txn_branch_parse(branch, &bi) && bi.worker < app->n_workers ? bi.worker : w->id;
	return true;
}

/* The registrar's parse switch (registrar.fast_parse) holds for routed messages too. */
static unsigned parse_flags(const struct sr_worker *w)
{
	return w->app->cfg.reg.fast_parse ? SR_SIP_FAST : 0;
}

enum sr_sip_take sr_worker_route_process(struct sr_worker *w, struct rte_mbuf *m, const struct sr_net_pkt *p,
					 const char *sip, const struct sr_sip_scan *scan, uint64_t now_ms)
{
	struct sr_worker_route *wr = w->route;
	if (wr == NULL)
		return SR_TAKE_NOT_MINE;
	if (scan->flags & SR_SCAN_REGISTER)
		return SR_TAKE_NOT_MINE;
	wr->port = m->port;
	wr->now_ms = now_ms;
	struct sr_arena *prev = sr_arena_bind_osip(&wr->arena);
	struct sr_sip_error err;
	bool taken = false, handed_on = false;
	if (sr_sip_parse(&wr->msg, sip, p->payload_len, scan, parse_flags(w), &wr->arena, &err) == SR_SIP_OK) {
		if (wr->msg.is_request) {
			struct sr_route_req rq;
			wr->only_binding = 0;
			if (!sr_route_facts_request(&wr->facts, &wr->msg, sip, p, &rq))
				wr->own.unroutable++;
			else if (rq.ruri == SR_RURI_SELF &&
				 sr_worker_mid_call(w, m, &wr->msg, &rq, &wr->only_binding) == SR_MID_CALL_HANDED)
				handed_on = true; /* a main registrar's call for another worker's contact */
			else
				taken = sr_route_request(wr->rs, &rq, now_ms) == SR_ROUTE_HANDLED;
		} else {
			struct sr_route_resp rp;
			if (sr_route_facts_response(&wr->msg, sip, p->payload_len, &rp))
				sr_route_response(wr->rs, &rp, now_ms); /* a stray one is counted by the layer */
			else
				wr->own.unroutable++;
			taken = true; /* responses are never the registrar's */
		}
	}
	sr_arena_reset(&wr->arena);
	sr_arena_bind_osip(prev);
	if (taken)
		rte_pktmbuf_free(m);
	if (handed_on)
		return SR_TAKE_HANDED_ON;
	return taken ? SR_TAKE_TAKEN : SR_TAKE_NOT_MINE;
}

static void publish(struct sr_worker_route *wr)
{
	const struct sr_route_stats *s = sr_route_stats(wr->rs);
	const struct sr_txn_stats *t = sr_txn_stats(sr_route_txn(wr->rs));
	struct sr_route_figures *f = &wr->pub;
	SR_STAT_SET(f->requests, s->requests);
	SR_STAT_SET(f->lookups, s->lookups);
	SR_STAT_SET(f->redirects, s->redirects);
	SR_STAT_SET(f->forwarded, s->forwarded);
	SR_STAT_SET(f->branches, s->branches);
	SR_STAT_SET(f->in_dialog, s->in_dialog);
	SR_STAT_SET(f->acks_forwarded, s->acks_forwarded);
	SR_STAT_SET(f->relayed, s->relayed);
	for (unsigned i = 0; i < 7; i++)
		SR_STAT_SET(f->local[i], s->local[i]);
	SR_STAT_SET(f->refused_foreign, s->refused_foreign);
	SR_STAT_SET(f->loops, s->loops);
	SR_STAT_SET(f->too_many_hops, s->too_many_hops);
	SR_STAT_SET(f->no_binding, s->no_binding);
	SR_STAT_SET(f->filtered, s->filtered);
	SR_STAT_SET(f->method_refused, s->method_refused);
	SR_STAT_SET(f->exhausted, s->exhausted);
	SR_STAT_SET(f->cancels, s->cancels);
	SR_STAT_SET(f->dropped, s->dropped);
	SR_STAT_SET(f->live_contexts, s->live_contexts);
	SR_STAT_SET(f->txn_server, t->server_created);
	SR_STAT_SET(f->txn_client, t->client_created);
	SR_STAT_SET(f->txn_pool_exhausted, t->pool_exhausted);
	SR_STAT_SET(f->txn_buf_exhausted, t->buf_exhausted);
	SR_STAT_SET(f->txn_retransmissions, t->retransmissions);
	SR_STAT_SET(f->txn_absorbed, t->absorbed);
	SR_STAT_SET(f->txn_timeouts, t->timeouts);
	SR_STAT_SET(f->txn_stray_responses, t->stray_responses);
	SR_STAT_SET(f->txn_live, t->live);
	SR_STAT_SET(f->sent, wr->own.sent);
	SR_STAT_SET(f->no_neighbour, wr->own.no_neighbour);
	SR_STAT_SET(f->send_failed, wr->own.send_failed);
	SR_STAT_SET(f->unroutable, wr->own.unroutable);
}

unsigned sr_worker_route_advance(struct sr_worker *w, uint64_t now_ms)
{
	struct sr_worker_route *wr = w->route;
	if (wr == NULL)
		return 0;
	wr->now_ms = now_ms;
	unsigned n = sr_route_advance(wr->rs, now_ms, ROUTE_BUDGET);
	if (now_ms >= wr->next_publish_ms) {
		publish(wr);
		wr->next_publish_ms = now_ms + FIGURES_PERIOD_MS;
	}
	return n;
}

/* --- RFC 8599 held requests (worker_push.c) --- */

void sr_worker_route_release(struct sr_worker *w, void *req, const struct sr_loc_binding *v, bool last,
			     uint64_t now_ms)
{
	struct sr_worker_route *wr = w->route;
	if (wr == NULL)
		return;
	wr->now_ms = now_ms; /* io_send's */
	struct sr_arena *prev = sr_arena_bind_osip(&wr->arena); /* path_hop's parse, as in a lookup */
	struct sr_route_binding b;
	route_binding(wr, v, (uint32_t)(now_ms / 1000), &b);
	sr_route_push_release(wr->rs, req, &b, last, now_ms);
	sr_arena_reset(&wr->arena);
	sr_arena_bind_osip(prev);
}

void sr_worker_route_expired(struct sr_worker *w, void *req, uint64_t now_ms)
{
	if (w->route) {
		w->route->now_ms = now_ms; /* io_send's (the 480 it may send) */
		sr_route_push_expired(w->route->rs, req, now_ms);
	}
}

void sr_worker_route_purr_go(struct sr_worker *w, void *req, uint64_t now_ms)
{
	if (w->route) {
		w->route->now_ms = now_ms; /* io_send's */
		sr_route_push_purr_go(w->route->rs, req, now_ms);
	}
}

const struct sr_route_figures *sr_worker_route_figures(const struct sr_worker *w)
{
	return w->route ? &w->route->pub : NULL;
}

int sr_worker_route_create(struct sr_worker *w, uint64_t now_ms)
{
	const struct sr_app_config *c = &w->app->cfg;
	w->route = NULL;
	if (c->routing.mode == SR_ROUTE_OFF)
		return 0;
	struct sr_worker_route *wr = rte_zmalloc("sr_worker_route", sizeof(*wr), RTE_CACHE_LINE_SIZE);
	if (wr == NULL || sr_arena_init(&wr->arena, ROUTE_ARENA) != 0) {
		fprintf(stderr, "sipreg: worker %u: routing: out of memory\n", w->id);
		rte_free(wr);
		return -1;
	}
	wr->w = w;
	wr->now_ms = now_ms;
	char ip[INET_ADDRSTRLEN];
	struct in_addr a = { .s_addr = c->ip };
	inet_ntop(AF_INET, &a, ip, sizeof(ip));
	snprintf(wr->self, sizeof(wr->self), "%s:%u", ip, c->sip_port);
	struct sr_str bad;
	sr_sip_host_self_parse(&wr->self_ip, ip, &bad);
	sr_tgruu_keys_from(c->reg.secret, &wr->tgruu);
	wr->facts = (struct sr_route_facts){
		.reg = &c->reg, .ip = c->ip, .sip_port = (uint16_t)c->sip_port, .symmetric = c->symmetric_responses,
		.self = sr_str_cstr(wr->self), .self_ip = &wr->self_ip, .tgruu = &wr->tgruu, .arena = &wr->arena,
		.aor = wr->aor, .aor_cap = sizeof(wr->aor), .head = wr->head, .head_cap = sizeof(wr->head),
	};
	static const struct sr_route_io io = { io_send, io_lookup, io_purr };
	struct sr_route_config rc = {
		.mode = (enum sr_route_mode)c->routing.mode,
		.record_route = c->routing.record_route,
		.self = sr_str_cstr(wr->self),
		.contexts = c->routing.contexts,
		.retry_after_s = c->reg.retry_after,
		.push = sr_worker_push_shard(w),
		.txn = { .capacity = c->routing.transactions, .buf_small = c->routing.buffer_bytes,
			 .buf_large = c->routing.large_buffers, .worker = (uint8_t)w->id,
			 .secret = { c->routing.secret[0], c->routing.secret[1] } },
	};
	char why[256];
	if (c->routing.user_agent_filter[0]) {
		wr->ua = sr_route_ua_create(c->routing.user_agent_filter, why, sizeof(why));
		rc.ua_filter = sr_route_ua_match;
		rc.ua_filter_arg = wr->ua;
	}
	wr->rs = wr->ua || !c->routing.user_agent_filter[0] ? sr_route_shard_create(&rc, &io, wr, now_ms) : NULL;
	if (wr->rs == NULL) {
		fprintf(stderr, "sipreg: worker %u: routing: cannot create the shard (routing.* sizes, user_agent_filter)\n",
			w->id);
		sr_route_ua_free(wr->ua);
		sr_arena_fini(&wr->arena);
		rte_free(wr);
		return -1;
	}
	w->route = wr;
	return 0;
}

void sr_worker_route_free(struct sr_worker *w)
{
	struct sr_worker_route *wr = w->route;
	if (wr == NULL)
		return;
	sr_route_shard_free(wr->rs);
	sr_route_ua_free(wr->ua);
	sr_arena_fini(&wr->arena);
	rte_free(wr);
	w->route = NULL;
}
