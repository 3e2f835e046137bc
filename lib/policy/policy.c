/*
 * policy.c - compile, publish (RCU) and scan the operator policy database.
 *
 * Design decisions are in policy.h. Here: a database object ("db") owns the
 * parsed rules, the compiled hyperscan database and one scratch per reader;
 * it is immutable once published. The policy object holds the current db
 * (an atomic pointer), the QSBR variable and at most one "retired" db whose
 * grace period timed out. Only the control thread writes; readers only load
 * the pointer, scan with their own scratch and report quiescence.
 *
 * host: rules (hijack contacts) are not in the hyperscan database: each
 * request's contact hosts are classified once (sip_host.h) and the classes
 * compared with those rules, which keep their place in the file order.
 */
#include "policy.h"

#include "policy_internal.h"
#include "policy_rules.h"

#include <hs.h>
#include <rte_common.h>
#include <rte_rcu_qsbr.h>

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SR_POLICY_MAX_FILE (4u << 20) /* a rules file larger than this is a mistake */

static void db_free(struct sr_policy_db *d)
{
	if (!d)
		return;
	for (unsigned i = 0; i < d->n_scratch; i++)
		hs_free_scratch(d->scratch[i]);
	free(d->scratch);
	hs_free_database(d->hs);
	sr_policy_mid_free(&d->mid);
	sr_pol_rules_free(&d->rules);
	free(d);
}

/* Compiles the regex rules (pattern id = rule index); a set of host: rules only needs no database. */
static int compile(struct sr_policy_db *d, char *err, size_t errcap)
{
	unsigned n = d->rules.n, k = 0;
	const char **exprs = calloc(n, sizeof(*exprs));
	unsigned *flags = calloc(n, sizeof(*flags)), *ids = calloc(n, sizeof(*ids));
	int rc = -1;
	if (!exprs || !flags || !ids) {
		snprintf(err, errcap, "out of memory");
		goto out;
	}
	for (unsigned i = 0; i < n; i++) {
		const struct sr_pol_rule *r = &d->rules.v[i];
		if (r->action == SR_PA_MID)
			continue; /* settings, not verdicts: their own database (policy_mid.c) */
		if (!r->regex) {
			d->host_classes |= r->host_classes;
			continue;
		}
		exprs[k] = r->regex;
		flags[k] = r->hs_flags | HS_FLAG_SINGLEMATCH | HS_FLAG_ALLOWEMPTY;
		ids[k++] = i;
		if (r->action == SR_PA_ALLOW)
			d->has_allow[r->field] = true;
		d->has_rules[r->field] = true;
	}
	if (k == 0) {
		rc = 0;
		goto out;
	}
	rc = sr_policy_hs_compile(&d->rules, exprs, flags, ids, k, &d->hs, err, errcap);
out:
	free(exprs);
	free(flags);
	free(ids);
	return rc;
}

int sr_policy_hs_compile(const struct sr_pol_rules *rules, const char *const *exprs, const unsigned *flags,
			 const unsigned *ids, unsigned k, hs_database_t **db, char *err, size_t errcap)
{
	hs_compile_error_t *ce = NULL;
	if (hs_compile_multi(exprs, flags, ids, k, HS_MODE_BLOCK, NULL, db, &ce) == HS_SUCCESS)
		return 0;
	/* expression is the failing pattern's index, or negative for a database-wide error */
	if (ce && ce->expression >= 0 && (unsigned)ce->expression < k)
		snprintf(err, errcap, "line %u: %s", rules->v[ids[ce->expression]].line, ce->message);
	else
		snprintf(err, errcap, "hyperscan: %s", ce ? ce->message : "compile failed");
	hs_free_compile_error(ce);
	*db = NULL;
	return -1;
}

int sr_policy_hs_scratch(hs_database_t *hs, unsigned readers, hs_scratch_t ***scratch, unsigned *n, char *err,
			 size_t errcap)
{
	*scratch = calloc(readers, sizeof(**scratch));
	if (!*scratch) {
		snprintf(err, errcap, "out of memory");
		return -1;
	}
	if (!hs)
		return 0;
	for (; *n < readers; (*n)++) {
		hs_error_t e = *n == 0 ? hs_alloc_scratch(hs, &(*scratch)[0]) : hs_clone_scratch((*scratch)[0], &(*scratch)[*n]);
		if (e != HS_SUCCESS) {
			snprintf(err, errcap, "hyperscan scratch: error %d", (int)e);
			return -1;
		}
	}
	return 0;
}

static struct sr_policy_db *db_build(const struct sr_policy *p, const char *text, size_t len,
				     char *err, size_t errcap)
{
	struct sr_policy_db *d = calloc(1, sizeof(*d));
	if (!d) {
		snprintf(err, errcap, "out of memory");
		return NULL;
	}
	if (sr_pol_rules_parse(text, len, &p->self, &d->rules, err, errcap) ||
	    (d->rules.n && compile(d, err, errcap)) ||
	    sr_policy_hs_scratch(d->hs, p->max_readers, &d->scratch, &d->n_scratch, err, errcap) ||
	    sr_policy_mid_build(&d->mid, &d->rules, p->max_readers, err, errcap)) {
		db_free(d);
		return NULL;
	}
	d->mid.epoch = (uint16_t)(p->generation + 1); /* the generation this db is published as */
	return d;
}

struct sr_policy *sr_policy_create(unsigned max_readers, const char *self_addrs, const char *text,
				   size_t len, char *err, size_t errcap)
{
	if (max_readers == 0 || max_readers > 1024) {
		snprintf(err, errcap, "max_readers must be 1..1024");
		return NULL;
	}
	struct sr_host_self self = { 0 };
	struct sr_str bad;
	if (sr_sip_host_self_parse(&self, self_addrs, &bad) != 0) {
		snprintf(err, errcap, "the registrar's own addresses: '%.*s' is not an IP address (or more "
			 "than %d)", (int)bad.len, bad.p, SR_HOST_SELF_MAX);
		return NULL;
	}
	struct sr_policy *p = calloc(1, sizeof(*p));
	size_t qs = rte_rcu_qsbr_get_memsize(max_readers);
	if (!p || (p->qsbr = aligned_alloc(RTE_CACHE_LINE_SIZE,
					   RTE_ALIGN_CEIL(qs, RTE_CACHE_LINE_SIZE))) == NULL) {
		free(p);
		snprintf(err, errcap, "out of memory");
		return NULL;
	}
	memset(p->qsbr, 0, qs);
	rte_rcu_qsbr_init(p->qsbr, max_readers);
	for (unsigned i = 0; i < max_readers; i++)
		rte_rcu_qsbr_thread_register(p->qsbr, i);
	p->max_readers = max_readers;
	p->self = self;
	struct sr_policy_db *d = db_build(p, text, len, err, errcap);
	if (!d) {
		free(p->qsbr);
		free(p);
		return NULL;
	}
	atomic_store(&p->cur, d);
	p->generation = 1;
	return p;
}

/* Reads a whole (small) file; returns NULL with err set. */
static char *read_file(const char *path, size_t *len, char *err, size_t errcap)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errcap, "%s: %s", path, strerror(errno));
		return NULL;
	}
	char *buf = malloc(SR_POLICY_MAX_FILE + 1);
	size_t n = buf ? fread(buf, 1, SR_POLICY_MAX_FILE + 1, f) : 0;
	bool bad = !buf || ferror(f) || n > SR_POLICY_MAX_FILE;
	fclose(f);
	if (bad) {
		snprintf(err, errcap, "%s: %s", path, !buf ? "out of memory" : "unreadable or too large");
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

struct sr_policy *sr_policy_create_file(unsigned max_readers, const char *self_addrs,
					const char *path, char *err, size_t errcap)
{
	size_t len;
	char *text = read_file(path, &len, err, errcap);
	if (!text)
		return NULL;
	struct sr_policy *p = sr_policy_create(max_readers, self_addrs, text, len, err, errcap);
	free(text);
	return p;
}

void sr_policy_free(struct sr_policy *p)
{
	if (!p)
		return;
	db_free(atomic_load(&p->cur));
	db_free(p->retired);
	free(p->qsbr);
	free(p);
}

/* Waits for every online reader to pass a quiescent state; bounded. Returns 0 or 1 on timeout. */
static int grace_period(struct sr_policy *p, unsigned timeout_ms)
{
	uint64_t t = rte_rcu_qsbr_start(p->qsbr);
	struct timespec ts = { 0, 100 * 1000 }; /* 100 us */
	for (uint64_t waited_us = 0; !rte_rcu_qsbr_check(p->qsbr, t, false); waited_us += 100) {
		if (waited_us >= (uint64_t)timeout_ms * 1000)
			return 1;
		nanosleep(&ts, NULL);
	}
	return 0;
}

int sr_policy_reload(struct sr_policy *p, const char *text, size_t len, unsigned timeout_ms,
		     char *err, size_t errcap)
{
	/* At most one database waits for its grace period: a stalled reader stops reloads. */
	if (p->retired) {
		if (grace_period(p, timeout_ms)) {
			snprintf(err, errcap, "a reader has not passed a quiescent state since the last reload");
			return -1;
		}
		db_free(p->retired);
		p->retired = NULL;
	}
	struct sr_policy_db *d = db_build(p, text, len, err, errcap);
	if (!d)
		return -1;
	struct sr_policy_db *old = atomic_exchange(&p->cur, d);
	p->generation++;
	if (grace_period(p, timeout_ms)) {
		p->retired = old; /* freed by the next reload or sr_policy_free */
		return 1;
	}
	db_free(old);
	return 0;
}

int sr_policy_reload_file(struct sr_policy *p, const char *path, unsigned timeout_ms, char *err,
			  size_t errcap)
{
	size_t len;
	char *text = read_file(path, &len, err, errcap);
	if (!text)
		return -1;
	int rc = sr_policy_reload(p, text, len, timeout_ms, err, errcap);
	free(text);
	return rc;
}

void sr_policy_reader_online(struct sr_policy *p, unsigned reader)
{
	if (reader < p->max_readers)
		rte_rcu_qsbr_thread_online(p->qsbr, reader);
}

void sr_policy_reader_offline(struct sr_policy *p, unsigned reader)
{
	if (reader < p->max_readers)
		rte_rcu_qsbr_thread_offline(p->qsbr, reader);
}

void sr_policy_quiescent(struct sr_policy *p, unsigned reader)
{
	if (reader < p->max_readers)
		rte_rcu_qsbr_quiescent(p->qsbr, reader);
}

void sr_policy_get_info(struct sr_policy *p, struct sr_policy_info *info)
{
	info->rules = atomic_load(&p->cur)->rules.n;
	info->generation = p->generation;
}

/* What one scan of one field found. */
struct scan_state {
	const struct sr_policy_db *d;
	enum sr_pol_field field;
	unsigned first_deny;  /* rule index, or UINT32_MAX */
	bool allowed[SR_PF_COUNT];
};

static int on_match(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
		    void *ctx)
{
	(void)from, (void)to, (void)flags;
	struct scan_state *st = ctx;
	const struct sr_pol_rule *r = &st->d->rules.v[id];
	if (r->field != st->field)
		return 0;
	if (r->action == SR_PA_ALLOW)
		st->allowed[r->field] = true;
	else if (id < st->first_deny)
		st->first_deny = id;
	return 0;
}

static void scan(struct scan_state *st, hs_scratch_t *scratch, enum sr_pol_field f,
		 const char *p, size_t n)
{
	st->field = f;
	/* hs_scan takes an unsigned length; a field this large is already refused by the parser. */
	if (n > UINT32_MAX)
		n = UINT32_MAX;
	hs_scan(st->d->hs, p ? p : "", (unsigned)n, 0, scratch, on_match, st);
}

/* host: rules: the first (in file order) whose classes any contact host has is a deny candidate. */
static void match_hosts(const struct sr_policy *p, const struct sr_policy_db *d,
			const struct sr_policy_input *in, struct scan_state *st)
{
	unsigned cls = 0;
	for (unsigned i = 0; i < in->n_hosts; i++)
		cls |= sr_sip_host_classify(in->hosts[i], &p->self);
	if (!(cls & d->host_classes))
		return;
	for (unsigned i = 0; i < d->rules.n && i < st->first_deny; i++)
		if (d->rules.v[i].host_classes & cls) {
			st->first_deny = i;
			return;
		}
}

void sr_policy_check(struct sr_policy *p, unsigned reader, const struct sr_policy_input *in,
		     struct sr_pol_verdict *v)
{
	const struct sr_policy_db *d = atomic_load_explicit(&p->cur, memory_order_acquire);
	v->action = SR_POL_ALLOW;
	if (reader >= p->max_readers)
		return;
	struct scan_state st = { .d = d, .first_deny = UINT32_MAX };
	if (d->hs) {
		hs_scratch_t *scratch = d->scratch[reader];
		if (d->has_rules[SR_PF_UA])
			scan(&st, scratch, SR_PF_UA, in->ua, in->ua_len);
		for (unsigned i = 0; d->has_rules[SR_PF_CONTACT] && i < in->n_contacts; i++)
			scan(&st, scratch, SR_PF_CONTACT, in->contacts[i].p, in->contacts[i].len);
		if (d->has_rules[SR_PF_AOR])
			scan(&st, scratch, SR_PF_AOR, in->aor.p, in->aor.len);
	}
	if (d->host_classes)
		match_hosts(p, d, in, &st);

	if (st.first_deny != UINT32_MAX) {
		const struct sr_pol_rule *r = &d->rules.v[st.first_deny];
		v->action = r->action == SR_PA_DROP ? SR_POL_DROP : SR_POL_REJECT;
		v->status = r->status;
		v->reason = r->reason;
		return;
	}
	for (int f = 0; f < SR_PF_COUNT; f++) {
		/* An allowlisted field with no value present (no contacts: a fetch) is not refused. */
		bool present = f == SR_PF_CONTACT ? in->n_contacts > 0 : true;
		if (d->has_allow[f] && present && !st.allowed[f]) {
			v->action = SR_POL_REJECT;
			v->status = 403;
			v->reason = "Forbidden";
			return;
		}
	}
}
