/*
 * control.c - telemetry commands of the control core, and its loop.
 *
 * Telemetry callbacks run on DPDK's telemetry threads (one per client), not
 * on a worker. Counters are read with relaxed loads (net_stats.h), so
 * /sipreg/stats needs no cooperation from the workers. An AoR lives in
 * exactly one shard, touched only by its owner, so /sipreg/aor canonicalises
 * the URI here, finds the owner by the same bucket table the data plane
 * uses, posts the question on the owner's query ring and waits (bounded by
 * control.query_timeout_ms) for the answer. One question is in flight at a
 * time (a mutex: this is the slow path); a question that timed out keeps its
 * slot busy until the worker has answered it, so the worker never writes
 * into memory that was reused. The answer is complete (every binding, every
 * field: lib/ctl/ctl_answer.h) and written into this core's buffer; when it
 * needs more, the buffer grows to the size the worker reported and the
 * question is asked again (without removing twice).
 */
#include "control.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osipparser2/osip_uri.h>
#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_ring.h>
#include <rte_telemetry.h>

#include "ctl_answer.h"
#include "net_ring.h"
#include "persist.h"
#include "sip_aor.h"
#include "stats.h"
#include "worker.h"
#include "workers.h"

static struct sr_app *g_app;
static struct sr_aor_query *g_query; /* the one question slot */
static uint8_t *g_answer;            /* its answer buffer (grows; freed at fini) */
static size_t g_answer_cap;
static bool g_query_busy;
static pthread_mutex_t g_query_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * The telemetry rendering of the figure walk (stats.c): unlabelled figures
 * are keys of the answer, a labelled family is a nested dictionary keyed by
 * the label's value, e.g. "sipreg_responses_total": {"2xx": 10, ...}.
 */
struct tel_sink {
	struct sr_stats_sink base;
	struct rte_tel_data *d;
	struct rte_tel_data *nested; /* the open labelled family, or NULL */
	const char *name;
	bool labelled;
};

static void tel_family(struct sr_stats_sink *base, const struct sr_stat_family *f)
{
	struct tel_sink *s = (struct tel_sink *)base;
	s->name = f->name;
	s->labelled = f->label != NULL;
	s->nested = NULL;
	if (s->labelled && (s->nested = rte_tel_data_alloc()) != NULL)
		rte_tel_data_start_dict(s->nested);
}

static void tel_sample(struct sr_stats_sink *base, const char *label_value, uint64_t v)
{
	struct tel_sink *s = (struct tel_sink *)base;
	if (!s->labelled)
		rte_tel_data_add_dict_u64(s->d, s->name, v);
	else if (s->nested) /* NULL: out of memory, the family is left out */
		rte_tel_data_add_dict_u64(s->nested, label_value, v);
}

static void tel_end(struct sr_stats_sink *base)
{
	struct tel_sink *s = (struct tel_sink *)base;
	if (s->nested)
		rte_tel_data_add_dict_container(s->d, s->name, s->nested, 0);
	s->nested = NULL;
}

static int cmd_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	if (sr_app_stopping(g_app))
		return -1; /* shutting down: workers are going away */
	rte_tel_data_start_dict(d);
	struct tel_sink s = { .base = { .family = tel_family, .sample = tel_sample, .end = tel_end }, .d = d };
	sr_stats_walk(g_app, &s.base);
	return 0;
}

/* Canonical AoR of a URI as the registrar keys it; -1 if it does not parse. */
static int canonical(const char *uri, char *out, size_t cap, size_t *len)
{
	const struct sr_reg_config *rc = &g_app->cfg.reg;
	struct sr_aor_options opt = { .case_sensitive = rc->case_sensitive, .realm_prefix = rc->realm_prefix };
	osip_uri_t *u = NULL;
	int rc2 = -1;

	if (osip_uri_init(&u) != 0)
		return -1;
	if (osip_uri_parse(u, uri) == 0 && sr_aor_canonicalize(u, &opt, out, cap, len, NULL, NULL) == SR_AOR_OK)
		rc2 = 0;
	osip_uri_free(u);
	return rc2;
}

/*
 * The telemetry rendering of a complete answer: parallel arrays, one entry
 * per binding. DPDK telemetry cuts strings at RTE_TEL_MAX_STRING_LEN; the
 * answer itself is whole (sipreg's own control socket will carry it whole).
 */
enum aor_column { COL_CONTACT, COL_EXPIRES, COL_Q, COL_CALL_ID, COL_CSEQ, COL_USER_AGENT, COL_PARAMS,
		  COL_PATH, COL_INSTANCE, COL_REG_ID, COL_SOURCE, COL_ID, COL_GRUU, COL_PUSH, COL_COUNT };
static const char *const col_name[COL_COUNT] = { "contact", "expires", "q", "call_id", "cseq", "user_agent",
						 "params", "path", "instance", "reg_id", "source", "id", "gruu",
						 "push" };

static void add_cell(struct rte_tel_data *a, enum aor_column col, const struct sr_loc_binding *b, int64_t now_s)
{
	char s[RTE_TEL_MAX_STRING_LEN], ip[INET_ADDRSTRLEN];
	const struct sr_binding_state *st = &b->st;
	const enum sr_bfield str_of[COL_COUNT] = { [COL_CONTACT] = SR_BF_CONTACT, [COL_CALL_ID] = SR_BF_CALL_ID,
		[COL_USER_AGENT] = SR_BF_USER_AGENT, [COL_PARAMS] = SR_BF_PARAMS, [COL_PATH] = SR_BF_PATH,
		[COL_INSTANCE] = SR_BF_INSTANCE };
	switch (col) {
	case COL_EXPIRES: rte_tel_data_add_array_int(a, (int)((int64_t)st->expires - now_s)); return;
	case COL_Q: rte_tel_data_add_array_int(a, st->q == SR_Q_NONE ? -1 : st->q); return;
	case COL_CSEQ: rte_tel_data_add_array_int(a, (int)st->cseq); return;
	case COL_REG_ID: rte_tel_data_add_array_int(a, (st->flags & SR_BFLAG_OUTBOUND) ? (int)st->reg_id : -1); return;
	case COL_ID: rte_tel_data_add_array_u64(a, st->id); return;
	case COL_GRUU: rte_tel_data_add_array_int(a, (st->flags & SR_BFLAG_GRUU) != 0); return;
	case COL_SOURCE:
		inet_ntop(AF_INET, &st->src_ip, ip, sizeof(ip));
		snprintf(s, sizeof(s), "%s:%u", ip, st->src_port);
		break;
	case COL_PUSH: { /* "provider\0prid\0param" shown as the RFC 8599 parameters it came from */
		struct sr_str k = b->f[SR_BF_PN_KEY];
		const char *prid = k.len ? memchr(k.p, '\0', k.len) : NULL;
		const char *param = prid ? memchr(prid + 1, '\0', (size_t)(k.p + k.len - prid - 1)) : NULL;
		if (param)
			snprintf(s, sizeof(s), "pn-provider=%.*s;pn-prid=%.*s;pn-param=%.*s", (int)(prid - k.p), k.p,
				 (int)(param - prid - 1), prid + 1, (int)(k.p + k.len - param - 1), param + 1);
		else
			s[0] = '\0';
		break;
	}
	default:
		snprintf(s, sizeof(s), "%.*s", (int)b->f[str_of[col]].len, b->f[str_of[col]].p);
		break;
	}
	rte_tel_data_add_array_string(a, s);
}

static void add_bindings(struct rte_tel_data *d, const struct sr_aor_query *q, int64_t now_s)
{
	for (int col = 0; col < COL_COUNT; col++) {
		struct rte_tel_data *a = rte_tel_data_alloc();
		if (a == NULL)
			return;
		bool ints = col == COL_EXPIRES || col == COL_Q || col == COL_CSEQ || col == COL_REG_ID || col == COL_GRUU;
		rte_tel_data_start_array(a, col == COL_ID ? RTE_TEL_U64_VAL : ints ? RTE_TEL_INT_VAL : RTE_TEL_STRING_VAL);
		size_t off = 0;
		struct sr_loc_binding b;
		const char *why;
		while (sr_ctl_answer_next(q->buf, q->len, &off, &b, &why) == 1)
			add_cell(a, (enum aor_column)col, &b, now_s);
		rte_tel_data_add_dict_container(d, col_name[col], a, 0);
	}
}

/* Posts q to its owner and waits for the answer; false when it could not be posted or timed out. */
static bool ask(struct sr_aor_query *q, unsigned owner)
{
	q->done = 0;
	g_query_busy = true;
	if (rte_ring_sp_enqueue(g_app->w[owner]->queries, q) != 0) {
		g_query_busy = false;
		return false;
	}
	uint64_t deadline = rte_get_timer_cycles() + rte_get_timer_hz() / 1000 * g_app->cfg.query_timeout_ms;
	while (!__atomic_load_n(&q->done, __ATOMIC_ACQUIRE) && rte_get_timer_cycles() < deadline)
		rte_delay_us_sleep(100);
	if (!__atomic_load_n(&q->done, __ATOMIC_ACQUIRE))
		return false; /* stays busy: the worker still owns q and the buffer */
	g_query_busy = false;
	return true;
}

#define ANSWER_FIRST_CAP (64 * 1024)

static int cmd_aor(const char *cmd, const char *params, struct rte_tel_data *d)
{
	char aor[sizeof(g_query->aor)];
	size_t len;
	int rc = 0;

	/* /sipreg/rm,<aor>[,<contact>] shares this path: the owner removes, then answers what is left */
	bool rm = strcmp(cmd, "/sipreg/rm") == 0;
	char uri[sizeof(g_query->aor)] = "";
	const char *contact = NULL;
	if (params)
		snprintf(uri, sizeof(uri), "%s", params);
	if (rm && (contact = strchr(uri, ',')) != NULL)
		*(char *)contact++ = '\0';
	if (sr_app_stopping(g_app) || uri[0] == '\0' || canonical(uri, aor, sizeof(aor), &len) != 0 ||
	    (contact && strlen(contact) >= sizeof(g_query->contact)))
		return -1; /* telemetry answers null: bad or missing URI */

	unsigned owner = g_app->owner[sr_aor_hash(aor, len) % SR_BUCKETS];
	pthread_mutex_lock(&g_query_lock);
	struct sr_aor_query *q = g_query;
	if (q == NULL || sr_app_stopping(g_app)) {
		rc = -1;
		goto out;
	}
	if (g_query_busy && !__atomic_load_n(&q->done, __ATOMIC_ACQUIRE)) {
		rc = -1; /* the last question timed out and is still being answered */
		goto out;
	}
	memset(q, 0, sizeof(*q));
	memcpy(q->aor, aor, len);
	q->aor_len = len;
	q->remove = rm;
	if (contact) {
		q->contact_len = strlen(contact);
		memcpy(q->contact, contact, q->contact_len);
	}
	unsigned removed = 0;
	for (int attempt = 0;; attempt++) {
		if (g_answer_cap == 0 || (attempt > 0 && q->len > g_answer_cap)) {
			size_t want = attempt > 0 ? q->len + q->len / 4 : ANSWER_FIRST_CAP; /* room for growth meanwhile */
			uint8_t *bigger = realloc(g_answer, want);
			if (bigger == NULL) {
				rc = -1;
				goto out;
			}
			g_answer = bigger;
			g_answer_cap = want;
		}
		q->buf = g_answer;
		q->cap = g_answer_cap;
		if (!ask(q, owner)) {
			rc = -1;
			goto out;
		}
		removed += q->removed;
		q->remove = false; /* removed once: a retry only reads */
		if (q->len <= q->cap)
			break;
		if (attempt == 3) { /* the AoR grows faster than we can ask: give up rather than spin */
			rc = -1;
			goto out;
		}
	}

	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "aor", q->aor);
	rte_tel_data_add_dict_u64(d, "worker", owner);
	if (rm)
		rte_tel_data_add_dict_u64(d, "removed", removed);
	rte_tel_data_add_dict_u64(d, "bindings", q->total);
	add_bindings(d, q, (int64_t)(sr_clock_ms(&g_app->clock, rte_get_tsc_cycles()) / 1000));
out:
	pthread_mutex_unlock(&g_query_lock);
	return rc;
}

int sr_control_init(struct sr_app *app)
{
	g_app = app;
	g_query = rte_zmalloc("sr_query", sizeof(*g_query), RTE_CACHE_LINE_SIZE);
	if (g_query == NULL)
		return -1;
	for (unsigned i = 0; i < app->n_workers; i++) {
		char name[RTE_RING_NAMESIZE];
		snprintf(name, sizeof(name), "sr_query_w%u", i);
		app->w[i]->queries = sr_net_ring_create(name, 16, SOCKET_ID_ANY);
		if (app->w[i]->queries == NULL)
			return -1;
	}
	if (SR_TEL_REGISTER("/sipreg/stats", cmd_stats,
				       "sipreg counters summed over workers. No parameters") != 0 ||
	    SR_TEL_REGISTER("/sipreg/aor", cmd_aor,
				       "Bindings of one address-of-record. Parameter: a SIP URI") != 0 ||
	    SR_TEL_REGISTER("/sipreg/rm", cmd_aor,
				       "Removes bindings of an AoR (emits removed events). "
				       "Parameters: AoR URI[,contact URI]") != 0 ||
	    sr_workers_tel_register(app) != 0)
		return -1;
	return 0;
}

void sr_control_run(struct sr_app *app)
{
	/* persistence: drain the event rings, commit due batches; nap 1 ms when idle */
	while (!sr_app_stopping(app)) {
		uint64_t now = rte_get_tsc_cycles();
		sr_workers_sample(app, now);
		if (sr_persist_poll(app, sr_clock_ms(&app->clock, now)) == 0)
			rte_delay_us_sleep(1000);
	}
}

void sr_control_fini(struct sr_app *app)
{
	for (unsigned i = 0; i < app->n_workers; i++) {
		if (app->w[i] && app->w[i]->queries) {
			rte_ring_free(app->w[i]->queries);
			app->w[i]->queries = NULL;
		}
	}
	/* a timed-out question may still sit in a freed ring: its slot is freed with it */
	pthread_mutex_lock(&g_query_lock);
	rte_free(g_query);
	g_query = NULL;
	free(g_answer); /* workers have stopped: nobody writes into it any more */
	g_answer = NULL;
	g_answer_cap = 0;
	pthread_mutex_unlock(&g_query_lock);
}
