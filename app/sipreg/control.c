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
 * into memory that was reused.
 */
#include "control.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_ring.h>
#include <rte_telemetry.h>

#include "net_ring.h"
#include "persist.h"
#include "sip_aor.h"
#include "stats.h"
#include "worker.h"
#include "workers.h"

static struct sr_app *g_app;
static struct sr_aor_query *g_query; /* the one question slot */
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
	return sr_aor_canonicalize_text(sr_str_cstr(uri), &opt, out, cap, len) == SR_AOR_OK ? 0 : -1;
}

static void add_strings(struct rte_tel_data *d, const char *name, const struct sr_aor_query *q, size_t off)
{
	struct rte_tel_data *a = rte_tel_data_alloc();
	if (a == NULL)
		return;
	rte_tel_data_start_array(a, RTE_TEL_STRING_VAL);
	for (unsigned i = 0; i < q->n; i++)
		rte_tel_data_add_array_string(a, (const char *)&q->b[i] + off);
	rte_tel_data_add_dict_container(d, name, a, 0);
}

static void add_ints(struct rte_tel_data *d, const char *name, const struct sr_aor_query *q, int which)
{
	struct rte_tel_data *a = rte_tel_data_alloc();
	if (a == NULL)
		return;
	rte_tel_data_start_array(a, RTE_TEL_INT_VAL);
	for (unsigned i = 0; i < q->n; i++) {
		const struct sr_query_binding *b = &q->b[i];
		rte_tel_data_add_array_int(a, which == 0 ? (int)b->expires_in : which == 1 ? b->q :
					      which == 2 ? (int)b->cseq : b->reg_id);
	}
	rte_tel_data_add_dict_container(d, name, a, 0);
}

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
	g_query_busy = true;
	if (rte_ring_sp_enqueue(g_app->w[owner]->queries, q) != 0) {
		g_query_busy = false;
		rc = -1;
		goto out;
	}
	uint64_t deadline = rte_get_timer_cycles() + rte_get_timer_hz() / 1000 * g_app->cfg.query_timeout_ms;
	while (!__atomic_load_n(&q->done, __ATOMIC_ACQUIRE) && rte_get_timer_cycles() < deadline)
		rte_delay_us_sleep(100);
	if (!__atomic_load_n(&q->done, __ATOMIC_ACQUIRE)) {
		rc = -1;
		goto out;
	}
	g_query_busy = false;

	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "aor", q->aor);
	rte_tel_data_add_dict_u64(d, "worker", owner);
	if (rm)
		rte_tel_data_add_dict_u64(d, "removed", q->removed);
	rte_tel_data_add_dict_u64(d, "bindings", q->total);
	add_strings(d, "contact", q, offsetof(struct sr_query_binding, contact));
	add_ints(d, "expires", q, 0);
	add_ints(d, "q", q, 1);
	add_strings(d, "call_id", q, offsetof(struct sr_query_binding, call_id));
	add_ints(d, "cseq", q, 2);
	add_strings(d, "user_agent", q, offsetof(struct sr_query_binding, user_agent));
	add_strings(d, "params", q, offsetof(struct sr_query_binding, params));
	add_strings(d, "path", q, offsetof(struct sr_query_binding, path));
	add_strings(d, "instance", q, offsetof(struct sr_query_binding, instance));
	add_ints(d, "reg_id", q, 3);
	struct rte_tel_data *src = rte_tel_data_alloc();
	if (src) {
		rte_tel_data_start_array(src, RTE_TEL_STRING_VAL);
		for (unsigned i = 0; i < q->n; i++) {
			char ip[INET_ADDRSTRLEN], s[40];
			inet_ntop(AF_INET, &q->b[i].src_ip, ip, sizeof(ip));
			snprintf(s, sizeof(s), "%s:%u", ip, q->b[i].src_port);
			rte_tel_data_add_array_string(src, s);
		}
		rte_tel_data_add_dict_container(d, "source", src, 0);
	}
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
	pthread_mutex_unlock(&g_query_lock);
}
