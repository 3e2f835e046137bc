/*
 * commands.c - sipreg's control commands (see commands.h).
 *
 * Design decisions:
 * - Commands run on the front ends' threads (DPDK telemetry's, the control
 *   socket's), several at once, never on a worker or the control core's
 *   loop. Figures are read with relaxed loads (net_stats.h), so /sipreg/stats
 *   and /sipreg/workers need no cooperation from the workers.
 * - An AoR lives in exactly one shard, touched only by its owner, so
 *   /sipreg/aor canonicalises the URI here, finds the owner by the bucket
 *   table the data plane uses, posts the question on the owner's query ring
 *   and waits (bounded by control.query_timeout_ms) for the answer
 *   (answer_query in worker.c), complete: every binding with every field
 *   (lib/ctl/ctl_answer.h). One question is in flight at a time: this is
 *   the slow path. A question that timed out keeps its slot busy until the
 *   worker has answered it, so a worker never writes into a reused slot.
 * - /sipreg/reload reloads every part that is configured, each on its own:
 *   a bad policy file does not keep new subscribers out, and the answer says
 *   per part what was reloaded, what was not configured and what was
 *   refused and why.
 * - /sipreg/dump reads the committed LMDB store in a read transaction on the
 *   caller's thread: constant memory however many bindings there are, and
 *   no worker is asked anything.
 */
#include "commands.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_ring.h>

#include "app_auth.h"
#include "admission.h"
#include "ctl_answer.h"
#include "ctl_store.h"
#include "persist.h"
#include "replicate.h"
#include "sip_aor.h"
#include "sip_uri_addr.h"
#include "sip_response.h"
#include "stats.h"
#include "worker.h"
#include "worker_figures.h"

#define DUMP_PAGE 64 /* bindings per /sipreg/dump answer: fits DPDK telemetry's 16 KB with common URIs */

struct sr_commands {
	struct sr_app *app;
	pthread_mutex_t reload_lock;
	pthread_mutex_t query_lock;
	struct sr_aor_query *query; /* the one question slot; NULL once stopped */
	bool query_busy;            /* posted, and not (yet) answered */
	uint8_t *answer;            /* the answer buffer the owner writes into (grows; freed with c) */
	size_t answer_cap;
	struct sr_ctl_table table;
};

static bool stopping(struct sr_commands *c, struct sr_ctl_out *out)
{
	if (!sr_app_stopping(c->app))
		return false;
	sr_ctl_out_fail(out, "sipreg is stopping");
	return true;
}

/* --- figures --- */

static void cmd_stats(void *ctx, const char *params, struct sr_ctl_out *out)
{
	struct sr_commands *c = ctx;
	(void)params;
	if (stopping(c, out)) /* workers are going away */
		return;
	struct sr_stats_out_sink s;
	sr_stats_out_sink_init(&s, out);
	sr_stats_walk(c->app, &s.base);
}

/* {"w0": {...}, "w1": {...}} */
static void cmd_workers(void *ctx, const char *params, struct sr_ctl_out *out)
{
	struct sr_commands *c = ctx;
	(void)params;
	if (stopping(c, out))
		return;
	for (unsigned i = 0; i < c->app->n_workers; i++) {
		struct sr_worker_figures f;
		sr_worker_figures(c->app, i, &f);
		char name[16];
		snprintf(name, sizeof(name), "w%u", f.id);
		sr_ctl_out_dict(out, name);
		sr_ctl_out_u64(out, "lcore", f.lcore);
		sr_ctl_out_u64(out, "rx_queue", f.rx_queue);
		sr_ctl_out_u64(out, "rx_packets", f.rx_packets);
		sr_ctl_out_u64(out, "sip_requests", f.sip_requests);
		sr_ctl_out_u64(out, "aors", f.aors);
		sr_ctl_out_u64(out, "bindings", f.bindings);
		sr_ctl_out_u64(out, "ring_occupancy", f.ring_occupancy);
		sr_ctl_out_u64(out, "busy_cycles", f.busy_cycles);
		sr_ctl_out_u64(out, "busy_permille", f.busy_permille);
		sr_ctl_out_u64(out, "neigh_entries", f.neigh_entries);
		sr_ctl_out_end(out);
	}
}

/* --- bindings of one AoR, from its owner worker --- */

/* Canonical AoR of a URI as the registrar keys it; -1 if it does not parse. */
static int canonical(const struct sr_app *app, const char *uri, char *out, size_t cap, size_t *len)
{
	const struct sr_reg_config *rc = &app->cfg.reg;
	struct sr_aor_options opt = { .case_sensitive = rc->case_sensitive, .realm_prefix = rc->realm_prefix };
	return sr_aor_canonicalize_text(sr_str_cstr(uri), &opt, out, cap, len) == SR_AOR_OK ? 0 : -1;
}

/*
 * Posts the question in c->query to worker 'owner' and waits for its answer
 * (answer_query in worker.c). Call with query_lock held. NULL when answered,
 * else why not.
 */
static const char *ask_owner(struct sr_commands *c, unsigned owner)
{
	struct sr_aor_query *q = c->query;
	q->done = 0;
	c->query_busy = true;
	if (rte_ring_sp_enqueue(c->app->w[owner]->queries, q) != 0) {
		c->query_busy = false;
		return "the owner worker's query ring is full";
	}
	uint64_t deadline = rte_get_timer_cycles() + rte_get_timer_hz() / 1000 * c->app->cfg.query_timeout_ms;
	while (!__atomic_load_n(&q->done, __ATOMIC_ACQUIRE) && rte_get_timer_cycles() < deadline)
		rte_delay_us_sleep(100);
	if (!__atomic_load_n(&q->done, __ATOMIC_ACQUIRE))
		return "the owner worker did not answer within control.query_timeout_ms";
	c->query_busy = false;
	return NULL;
}

/*
 * The answer of /sipreg/aor and /sipreg/rm: parallel arrays, one entry per
 * binding, each binding whole (lib/ctl/ctl_answer.h). One pass over the
 * answer per column keeps the output's shape that of the front ends.
 */
enum aor_column { COL_CONTACT, COL_EXPIRES, COL_Q, COL_CALL_ID, COL_CSEQ, COL_USER_AGENT, COL_PARAMS,
		  COL_PATH, COL_INSTANCE, COL_REG_ID, COL_SOURCE, COL_ID, COL_GRUU, COL_PUSH, COL_DESTINATION,
		  COL_RECEIVED, COL_COUNT };
static const char *const col_name[COL_COUNT] = { "contact", "expires", "q", "call_id", "cseq", "user_agent",
						 "params", "path", "instance", "reg_id", "source", "id", "gruu",
						 "push", "destination", "received" };

/*
 * Where a routed request for binding b goes (lib/routing's rule, routing.h):
 * the first Path hop when there is a Path, else the REGISTER's source (the
 * Contact's own address is never used for a registered binding). A Path hop
 * that is a name is shown as written: the data plane skips it (no DNS).
 */
static void add_destination(struct sr_ctl_out *out, const struct sr_loc_binding *b)
{
	char ip[INET_ADDRSTRLEN];
	struct sr_str path = b->f[SR_BF_PATH];
	if (path.len == 0) {
		inet_ntop(AF_INET, &b->st.src_ip, ip, sizeof(ip));
		sr_ctl_out_strf(out, NULL, "%s:%u", ip, b->st.src_port);
		return;
	}
	char buf[1024];
	struct sr_arena arena;
	struct sr_uri_parts hop;
	sr_arena_init_buf(&arena, buf, sizeof(buf));
	bool read = sr_sip_first_hop(path, &arena, &hop) == 0;
	if (read)
		sr_ctl_out_strf(out, NULL, "%.*s:%u", (int)hop.host.len, hop.host.p, hop.port ? hop.port : 5060);
	sr_arena_fini(&arena);
	if (read)
		return;
	sr_ctl_out_strf(out, NULL, "%.*s", (int)path.len, path.p); /* not a URI we can read: as stored */
}

static void add_cell(struct sr_ctl_out *out, enum aor_column col, const struct sr_loc_binding *b, int64_t now_s)
{
	const struct sr_binding_state *st = &b->st;
	static const enum sr_bfield str_of[COL_COUNT] = { [COL_CONTACT] = SR_BF_CONTACT, [COL_CALL_ID] = SR_BF_CALL_ID,
		[COL_USER_AGENT] = SR_BF_USER_AGENT, [COL_PARAMS] = SR_BF_PARAMS, [COL_PATH] = SR_BF_PATH,
		[COL_INSTANCE] = SR_BF_INSTANCE };
	char ip[INET_ADDRSTRLEN];
	switch (col) {
	case COL_EXPIRES: sr_ctl_out_int(out, NULL, (int64_t)st->expires - now_s); return;
	case COL_Q: sr_ctl_out_int(out, NULL, st->q == SR_Q_NONE ? -1 : st->q); return;
	case COL_CSEQ: sr_ctl_out_int(out, NULL, st->cseq); return;
	case COL_REG_ID: sr_ctl_out_int(out, NULL, (st->flags & SR_BFLAG_OUTBOUND) ? (int64_t)st->reg_id : -1); return;
	case COL_ID: sr_ctl_out_u64(out, NULL, st->id); return;
	case COL_GRUU: sr_ctl_out_int(out, NULL, (st->flags & SR_BFLAG_GRUU) != 0); return;
	case COL_SOURCE:
		inet_ntop(AF_INET, &st->src_ip, ip, sizeof(ip));
		sr_ctl_out_strf(out, NULL, "%s:%u", ip, st->src_port);
		return;
	case COL_DESTINATION: add_destination(out, b); return;
	case COL_RECEIVED: { /* the ;received= of a contact behind NAT (the 200's), empty otherwise */
		char r[SR_RECEIVED_LEN];
		size_t n = (st->flags & SR_BFLAG_NAT) ? sr_resp_received_uri(r, st->src_ip, st->src_port) : 0;
		sr_ctl_out_strf(out, NULL, "%.*s", (int)n, r);
		return;
	}
	case COL_PUSH: { /* "provider\0prid\0param" shown as the RFC 8599 parameters it came from */
		struct sr_str k = b->f[SR_BF_PN_KEY];
		const char *prid = k.len ? memchr(k.p, '\0', k.len) : NULL;
		const char *param = prid ? memchr(prid + 1, '\0', (size_t)(k.p + k.len - prid - 1)) : NULL;
		if (param)
			sr_ctl_out_strf(out, NULL, "pn-provider=%.*s;pn-prid=%.*s;pn-param=%.*s", (int)(prid - k.p), k.p,
					(int)(param - prid - 1), prid + 1, (int)(k.p + k.len - param - 1), param + 1);
		else
			sr_ctl_out_str(out, NULL, "");
		return;
	}
	default:
		sr_ctl_out_strf(out, NULL, "%.*s", (int)b->f[str_of[col]].len, b->f[str_of[col]].p);
		return;
	}
}

static void render_aor(struct sr_ctl_out *out, const struct sr_aor_query *q, unsigned owner, unsigned removed,
		       bool rm, int64_t now_s)
{
	sr_ctl_out_str(out, "aor", q->aor);
	sr_ctl_out_u64(out, "worker", owner);
	if (rm)
		sr_ctl_out_u64(out, "removed", removed);
	sr_ctl_out_u64(out, "bindings", q->total);
	for (int col = 0; col < COL_COUNT; col++) {
		sr_ctl_out_array(out, col_name[col]);
		size_t off = 0;
		struct sr_loc_binding b;
		const char *why;
		while (sr_ctl_answer_next(q->buf, q->len, &off, &b, &why) == 1)
			add_cell(out, (enum aor_column)col, &b, now_s);
		sr_ctl_out_end(out);
	}
}

#define ANSWER_FIRST_CAP (64 * 1024)

/*
 * Asks the owner until the answer fits this side's buffer: the worker reports
 * the size it needs and writes nothing usable when the buffer is short, so the
 * buffer grows (with room for growth meanwhile) and the question is asked
 * again, reading only (a removal happens once). NULL when answered.
 */
static const char *ask_whole(struct sr_commands *c, unsigned owner, unsigned *removed)
{
	struct sr_aor_query *q = c->query;
	*removed = 0;
	for (int attempt = 0;; attempt++) {
		if (c->answer_cap == 0 || (attempt > 0 && q->len > c->answer_cap)) {
			size_t want = attempt > 0 ? q->len + q->len / 4 : ANSWER_FIRST_CAP;
			uint8_t *bigger = realloc(c->answer, want);
			if (bigger == NULL)
				return "out of memory for the answer";
			c->answer = bigger;
			c->answer_cap = want;
		}
		q->buf = c->answer;
		q->cap = c->answer_cap;
		const char *why = ask_owner(c, owner);
		if (why)
			return why;
		if (q->remove && q->busy)
			return "persistence has no room for the removal now; nothing was removed, try again";
		*removed += q->removed;
		q->remove = false;
		if (q->len <= q->cap)
			return NULL;
		if (attempt == 3) /* the AoR grows faster than we can ask: give up rather than spin */
			return "the AoR kept growing while it was read; try again";
	}
}

/* /sipreg/aor,<uri> and /sipreg/rm,<aor>[,<contact>]: the owner removes first, then answers what is left. */
static void aor_query(struct sr_commands *c, const char *params, bool rm, struct sr_ctl_out *out)
{
	char uri[sizeof(c->query->aor)], aor[sizeof(c->query->aor)];
	size_t len;
	char *contact = NULL;
	if (stopping(c, out))
		return;
	if (snprintf(uri, sizeof(uri), "%s", params) >= (int)sizeof(uri)) {
		sr_ctl_out_fail(out, "URI longer than %zu bytes", sizeof(uri) - 1);
		return;
	}
	if (rm && (contact = strchr(uri, ',')) != NULL)
		*contact++ = '\0';
	if (uri[0] == '\0') {
		sr_ctl_out_fail(out, "needs an AoR URI, e.g. sip:alice@example.com");
		return;
	}
	if (canonical(c->app, uri, aor, sizeof(aor), &len) != 0) {
		sr_ctl_out_fail(out, "'%s' is not a SIP URI of an address-of-record", uri);
		return;
	}
	if (contact && strlen(contact) >= sizeof(c->query->contact)) {
		sr_ctl_out_fail(out, "contact longer than %zu bytes", sizeof(c->query->contact) - 1);
		return;
	}
	unsigned owner = c->app->owner[sr_hash64(aor, len) % SR_BUCKETS];
	unsigned removed = 0;
	pthread_mutex_lock(&c->query_lock);
	struct sr_aor_query *q = c->query;
	const char *why = NULL;
	if (q == NULL || sr_app_stopping(c->app))
		why = "sipreg is stopping";
	else if (c->query_busy && !__atomic_load_n(&q->done, __ATOMIC_ACQUIRE))
		why = "the last question timed out and is still being answered; try again";
	else {
		memset(q, 0, sizeof(*q));
		memcpy(q->aor, aor, len);
		q->aor_len = len;
		q->remove = rm;
		if (contact) {
			q->contact_len = strlen(contact);
			memcpy(q->contact, contact, q->contact_len);
		}
		why = ask_whole(c, owner, &removed);
	}
	if (why)
		sr_ctl_out_fail(out, "%s", why);
	else
		render_aor(out, q, owner, removed, rm,
			   (int64_t)(sr_clock_ms(&c->app->clock, rte_get_tsc_cycles()) / 1000));
	pthread_mutex_unlock(&c->query_lock);
}

static void cmd_aor(void *ctx, const char *params, struct sr_ctl_out *out)
{
	aor_query(ctx, params, false, out);
}

static void cmd_rm(void *ctx, const char *params, struct sr_ctl_out *out)
{
	aor_query(ctx, params, true, out);
}

/* --- authentication and reload --- */

/* The authentication counters summed over the workers, and the subscribers in force. */
static void cmd_auth(void *ctx, const char *params, struct sr_ctl_out *out)
{
	struct sr_commands *c = ctx;
	struct sr_app *app = c->app;
	(void)params;
	sr_ctl_out_int(out, "enabled", app->auth ? 1 : 0);
	if (!app->auth)
		return;
	struct sr_auth_stats sum;
	sr_app_auth_counters(app, &sum);
	pthread_mutex_lock(&c->reload_lock); /* only a reload frees a table */
	size_t subscribers = sr_auth_subscribers(app->auth);
	pthread_mutex_unlock(&c->reload_lock);
	sr_ctl_out_u64(out, "subscribers", subscribers);
	sr_ctl_out_u64(out, "authenticated", sum.ok);
	sr_ctl_out_u64(out, "challenged", sum.challenged);
	sr_ctl_out_u64(out, "stale", sum.stale);
	sr_ctl_out_u64(out, "replayed", sum.replayed);
	sr_ctl_out_u64(out, "forbidden", sum.forbidden);
	sr_ctl_out_u64(out, "replay_live_evictions", sum.replay_live_evictions);
}

enum part_state { PART_RELOADED, PART_UNCONFIGURED, PART_REFUSED };

/* What /sipreg/reload did, part by part; rendered once every part has run. */
struct reload_result {
	enum part_state sub, pol;
	char sub_why[512], pol_why[512]; /* refused or not configured: why */
	struct sr_app_auth_reloaded auth;
	struct sr_policy_info policy;
};

static void reload_all(struct sr_app *app, struct reload_result *r)
{
	r->sub = PART_UNCONFIGURED;
	snprintf(r->sub_why, sizeof(r->sub_why), "authentication is not enabled (auth.enabled)");
	if (app->auth)
		r->sub = sr_app_auth_reload(app, &r->auth, r->sub_why, sizeof(r->sub_why)) == 0 ? PART_RELOADED
												 : PART_REFUSED;
	r->pol = PART_UNCONFIGURED;
	snprintf(r->pol_why, sizeof(r->pol_why), "no policy configured (policy.rules)");
	if (app->policy)
		r->pol = sr_admission_reload(app, &r->policy, r->pol_why, sizeof(r->pol_why)) == 0 ? PART_RELOADED
												   : PART_REFUSED;
}

/* A part that was not reloaded: {"error": why} when refused, plus "configured": 0 when not configured. */
static void part_not_reloaded(struct sr_ctl_out *out, enum part_state st, const char *why)
{
	sr_ctl_out_str(out, "error", why);
	if (st == PART_UNCONFIGURED)
		sr_ctl_out_int(out, "configured", 0); /* skipped, not refused */
}

/*
 * /sipreg/reload: {"reload": "ok"|"refused"|"nothing", ["error": why,]
 *   "subscribers": {...}, "policy": {...}}; each part is {"reload": "ok", ...}
 *   or {"error": why} (refused) or {"error": why, "configured": 0}.
 */
static void cmd_reload(void *ctx, const char *params, struct sr_ctl_out *out)
{
	struct sr_commands *c = ctx;
	(void)params;
	if (stopping(c, out))
		return;
	struct reload_result r;
	pthread_mutex_lock(&c->reload_lock);
	reload_all(c->app, &r);
	pthread_mutex_unlock(&c->reload_lock);

	bool sub_refused = r.sub == PART_REFUSED, pol_refused = r.pol == PART_REFUSED;
	if (sub_refused || pol_refused) {
		sr_ctl_out_str(out, "reload", "refused");
		sr_ctl_out_strf(out, "error", "%s%s%s%s%s", sub_refused ? "subscribers: " : "", sub_refused ? r.sub_why : "",
				sub_refused && pol_refused ? "; " : "", pol_refused ? "policy: " : "",
				pol_refused ? r.pol_why : "");
	} else if (r.sub == PART_UNCONFIGURED && r.pol == PART_UNCONFIGURED) {
		sr_ctl_out_str(out, "reload", "nothing");
		sr_ctl_out_str(out, "error", "nothing to reload: neither auth.enabled nor policy.rules is configured");
	} else {
		sr_ctl_out_str(out, "reload", "ok");
	}
	sr_ctl_out_dict(out, "subscribers");
	if (r.sub == PART_RELOADED) {
		sr_ctl_out_str(out, "reload", "ok");
		sr_ctl_out_u64(out, "subscribers", r.auth.subscribers);
		sr_ctl_out_str(out, "nonce_secret", r.auth.rotated ? "rotated" : "unchanged");
		sr_ctl_out_u64(out, "secret_generation", r.auth.secret_generation);
	} else {
		part_not_reloaded(out, r.sub, r.sub_why);
	}
	sr_ctl_out_end(out);
	sr_ctl_out_dict(out, "policy");
	if (r.pol == PART_RELOADED) {
		sr_ctl_out_str(out, "reload", "ok");
		sr_ctl_out_u64(out, "rules", r.policy.rules);
		sr_ctl_out_u64(out, "generation", r.policy.generation);
	} else {
		part_not_reloaded(out, r.pol, r.pol_why);
	}
	sr_ctl_out_end(out);
}

/* --- the persisted bindings --- */

/* /sipreg/snapshot,<dir>: a consistent compacted copy of the store (the control core keeps committing). */
static void cmd_snapshot(void *ctx, const char *params, struct sr_ctl_out *out)
{
	struct sr_commands *c = ctx;
	struct sr_ctl_store *st = sr_persist_store(c->app);
	char err[1024];
	if (!st || sr_app_stopping(c->app))
		sr_ctl_out_fail(out, "persistence is off (control.persistence) or sipreg is stopping");
	else if (params[0] != '/')
		sr_ctl_out_fail(out, "snapshot needs an absolute directory path");
	else if (sr_ctl_store_snapshot(st, params, err, sizeof(err)) != 0)
		sr_ctl_out_fail(out, "%s", err);
	else
		sr_ctl_out_str(out, "snapshot", params);
}

/* One page of /sipreg/dump, copied out of the store's read transaction (its bytes live only during it). */
struct dump_page {
	struct {
		char *aor, *contact;
		size_t aor_len, contact_len;
		int64_t expires_in;
	} row[DUMP_PAGE];
	unsigned n;
	int64_t now_s;
	bool oom;
};

static void dump_one(void *ctx, const struct sr_loc_binding *b)
{
	struct dump_page *pg = ctx;
	if (pg->n == DUMP_PAGE)
		return;
	struct sr_str contact = b->f[SR_BF_CONTACT];
	char *a = malloc(b->aor.len + 1), *k = malloc(contact.len + 1);
	if (!a || !k) {
		free(a);
		free(k);
		pg->oom = true;
		return;
	}
	memcpy(a, b->aor.p, b->aor.len);
	memcpy(k, contact.p, contact.len);
	pg->row[pg->n].aor = a;
	pg->row[pg->n].aor_len = b->aor.len;
	pg->row[pg->n].contact = k;
	pg->row[pg->n].contact_len = contact.len;
	pg->row[pg->n].expires_in = (int64_t)b->st.expires - pg->now_s;
	pg->n++;
}

/* /sipreg/dump[,<cursor>]: one page of the persisted bindings in key order and the cursor of the next. */
static void cmd_dump(void *ctx, const char *params, struct sr_ctl_out *out)
{
	struct sr_commands *c = ctx;
	struct sr_ctl_store *st = sr_persist_store(c->app);
	uint8_t after[SR_CTL_KEY_LEN], next[SR_CTL_KEY_LEN];
	bool from_start = !*params;
	char err[512];
	if (!st || sr_app_stopping(c->app)) {
		sr_ctl_out_fail(out, "persistence is off (control.persistence): nothing to dump");
		return;
	}
	for (int i = 0; !from_start && i < SR_CTL_KEY_LEN; i++) {
		unsigned x;
		if (strlen(params) != 2 * SR_CTL_KEY_LEN || sscanf(params + 2 * i, "%2x", &x) != 1) {
			sr_ctl_out_fail(out, "bad cursor: give back the 'next' of the last page");
			return;
		}
		after[i] = (uint8_t)x;
	}
	struct dump_page *pg = calloc(1, sizeof(*pg));
	if (!pg) {
		sr_ctl_out_fail(out, "out of memory");
		return;
	}
	pg->now_s = (int64_t)(sr_clock_ms(&c->app->clock, rte_get_tsc_cycles()) / 1000);
	int n = sr_ctl_store_page(st, from_start ? NULL : after, DUMP_PAGE, dump_one, pg, next, err, sizeof(err));
	char hex[2 * SR_CTL_KEY_LEN + 1] = "";
	if (n == DUMP_PAGE)
		for (int i = 0; i < SR_CTL_KEY_LEN; i++)
			snprintf(hex + 2 * i, 3, "%02x", next[i]);
	if (pg->oom)
		sr_ctl_out_fail(out, "out of memory");
	if (n < 0)
		sr_ctl_out_str(out, "error", err);
	sr_ctl_out_str(out, "next", hex);
	sr_ctl_out_array(out, "aor");
	for (unsigned i = 0; i < pg->n; i++)
		sr_ctl_out_strn(out, NULL, pg->row[i].aor, pg->row[i].aor_len);
	sr_ctl_out_end(out);
	sr_ctl_out_array(out, "contact");
	for (unsigned i = 0; i < pg->n; i++)
		sr_ctl_out_strn(out, NULL, pg->row[i].contact, pg->row[i].contact_len);
	sr_ctl_out_end(out);
	sr_ctl_out_array(out, "expires");
	for (unsigned i = 0; i < pg->n; i++)
		sr_ctl_out_int(out, NULL, pg->row[i].expires_in);
	sr_ctl_out_end(out);
	for (unsigned i = 0; i < pg->n; i++) {
		free(pg->row[i].aor);
		free(pg->row[i].contact);
	}
	free(pg);
}

/* --- replication (replicate.c does the work) --- */

static void cmd_promote(void *ctx, const char *params, struct sr_ctl_out *out)
{
	struct sr_commands *c = ctx;
	(void)params;
	if (!stopping(c, out))
		sr_replicate_cmd_promote(c->app, out);
}

static void cmd_replication(void *ctx, const char *params, struct sr_ctl_out *out)
{
	struct sr_commands *c = ctx;
	(void)params;
	if (!stopping(c, out))
		sr_replicate_cmd_status(c->app, out);
}

/* --- the table --- */

/* Help texts stay under DPDK telemetry's 128 bytes (test_app_commands checks). */
static const struct sr_ctl_cmd commands[] = {
	{ "/sipreg/stats", "sipreg counters summed over workers. No parameters", cmd_stats },
	{ "/sipreg/workers",
	  "Per worker: lcore, rx queue, packets, requests, AoRs, bindings, ring occupancy, busy cycles and ratio "
	  "(last s). No parameters",
	  cmd_workers },
	{ "/sipreg/aor", "Bindings of one address-of-record. Parameter: a SIP URI", cmd_aor },
	/* the issue 12 name: what a routed request would use, which is every binding with its destination */
	{ "/sipreg/lookup",
	  "Bindings in q order with where a routed request goes (destination). Parameter: a SIP URI",
	  cmd_aor },
	{ "/sipreg/rm", "Removes bindings of an AoR (emits removed events). Parameters: AoR URI[,contact URI]",
	  cmd_rm },
	{ "/sipreg/auth", "Authentication counters and subscribers in force. No parameters", cmd_auth },
	{ "/sipreg/reload",
	  "Re-reads subscribers, nonce secret file and policy rules; says per part what was reloaded. No parameters",
	  cmd_reload },
	{ "/sipreg/dump", "One page of the persisted bindings. Parameter: the 'next' cursor of the last page",
	  cmd_dump },
	{ "/sipreg/snapshot", "Writes a consistent copy of the binding store. Parameters: absolute directory",
	  cmd_snapshot },
	{ "/sipreg/replication", "Replication role, epoch, lag and the last Redis error. No parameters",
	  cmd_replication },
	{ "/sipreg/promote", "Makes this standby the active node (epoch compare-and-set in Redis). No parameters",
	  cmd_promote },
};

struct sr_commands *sr_commands_new(struct sr_app *app)
{
	struct sr_commands *c = calloc(1, sizeof(*c));
	if (!c) {
		fprintf(stderr, "sipreg: control: out of memory\n");
		return NULL;
	}
	c->app = app;
	c->table = (struct sr_ctl_table){ commands, RTE_DIM(commands), c };
	pthread_mutex_init(&c->reload_lock, NULL);
	pthread_mutex_init(&c->query_lock, NULL);
	c->query = rte_zmalloc("sr_query", sizeof(*c->query), RTE_CACHE_LINE_SIZE);
	for (unsigned i = 0; c->query && i < app->n_workers; i++) {
		char name[RTE_RING_NAMESIZE];
		snprintf(name, sizeof(name), "sr_query_w%u", i);
		if ((app->w[i]->queries = sr_net_ring_create(name, 16, SOCKET_ID_ANY)) == NULL) {
			fprintf(stderr, "sipreg: control: cannot create the query ring of worker %u\n", i);
			sr_commands_stop(c);
			sr_commands_free(c);
			return NULL;
		}
	}
	if (!c->query) {
		fprintf(stderr, "sipreg: control: out of memory for the query slot\n");
		sr_commands_free(c);
		return NULL;
	}
	return c;
}

const struct sr_ctl_table *sr_commands_table(struct sr_commands *c)
{
	return &c->table;
}

void sr_commands_stop(struct sr_commands *c)
{
	if (!c)
		return;
	/* under the lock: a question being asked finishes (or times out) before its ring goes */
	pthread_mutex_lock(&c->query_lock);
	for (unsigned i = 0; i < c->app->n_workers; i++) {
		if (c->app->w[i] && c->app->w[i]->queries) {
			rte_ring_free(c->app->w[i]->queries);
			c->app->w[i]->queries = NULL;
		}
	}
	/* a timed-out question may still sit in a freed ring: its slot is freed with it */
	rte_free(c->query);
	c->query = NULL;
	pthread_mutex_unlock(&c->query_lock);
}

void sr_commands_free(struct sr_commands *c)
{
	if (!c)
		return;
	sr_commands_stop(c);
	pthread_mutex_destroy(&c->reload_lock);
	pthread_mutex_destroy(&c->query_lock);
	free(c->answer);
	free(c);
}
