/*
 * test_loc_model.c - the location store and the registrar against a simple
 * model, over long random sequences of operations.
 *
 * Operations: REGISTERs through sr_reg_process (adds, refreshes that change
 * the contact's bytes but not its identity: ";ob", host case; instance and
 * reg-id contacts, removals, q changes, out-of-order CSeqs, retransmissions,
 * Contact: *, fetches, max_contacts in reject and force mode), expiry by
 * advancing the clock, administrative removal, queries, a restore of a live
 * binding, and a restart (a fresh store restored from what the events
 * persisted).
 *
 * The model is the registrar's rules written out plainly: small integers
 * for identities, arrays sorted after every change, no hashing, no store.
 * After every step the test checks that
 *  - the status and the 200's Contact list are the model's;
 *  - the events are the model's, in order (expiry: as a set), with ids;
 *  - every AoR's bindings, complete (sr_loc_lookup), are the model's, in
 *    q order;
 *  - the counters (AoRs, bindings, expired) are the model's;
 *  - the store's invariants hold (sr_loc_check: lists, counts, one armed
 *    timer per binding, ids, identity hashes);
 *  - a persistent map keyed (AoR, id) and driven only by the events holds
 *    exactly the live bindings (what LMDB would hold): an added key is new,
 *    a refreshed or removed one exists.
 * Seeded and reproducible: SR_MODEL_SEED and SR_MODEL_STEPS override the
 * defaults; a failure names the seed and the step.
 */
#include "reg_harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_AOR 4
#define MAXB 32
#define MAX_CONTACTS 4 /* registrar.max_contacts in the model runs */
#define STR 160

static uint64_t rng;
static unsigned step_no;
static unsigned long long seed_used;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

#define CHECK(cond, ...)                                                                              \
	do {                                                                                          \
		if (!(cond)) {                                                                        \
			char m_[512];                                                                 \
			snprintf(m_, sizeof(m_), __VA_ARGS__);                                        \
			fail_msg("seed %llu step %u: %s (%s)", seed_used, step_no, m_, #cond);        \
		}                                                                                     \
	} while (0)

/* --- the model --- */

struct mb {
	uint64_t id;
	int k;             /* URI identity (spellings differ, 19.1.4 says equal) */
	char uri[STR];     /* as sent */
	int inst;          /* -1: none */
	uint32_t reg;      /* reg-id, 0: none */
	char call_id[16];
	uint32_t cseq;
	char branch[48];
	uint32_t expires;
	int q;             /* -1: none */
};

struct maor {
	unsigned n;
	struct mb b[MAXB];
};

struct model {
	struct maor a[N_AOR];
	uint64_t next_id;
	uint64_t expired; /* since the store was (re)created */
	enum sr_max_contacts_mode mode;
};

static int order_q(int q)
{
	return q < 0 ? 1000 : q;
}

static void sort_aor(struct maor *a)
{
	for (unsigned i = 1; i < a->n; i++) {
		struct mb x = a->b[i];
		unsigned j = i;
		while (j > 0 && (order_q(x.q) > order_q(a->b[j - 1].q) ||
				 (order_q(x.q) == order_q(a->b[j - 1].q) && x.id < a->b[j - 1].id))) {
			a->b[j] = a->b[j - 1];
			j--;
		}
		a->b[j] = x;
	}
}

static void drop_at(struct maor *a, unsigned i)
{
	memmove(&a->b[i], &a->b[i + 1], (a->n - i - 1) * sizeof(a->b[0]));
	a->n--;
}

static int find_id(const struct maor *a, uint64_t id)
{
	for (unsigned i = 0; i < a->n; i++)
		if (a->b[i].id == id)
			return (int)i;
	return -1;
}

/* --- events: expected and seen --- */

struct ev {
	enum sr_event_type type;
	int aor;
	uint64_t id;
	char contact[STR];
	uint32_t expires;
	uint32_t cseq;
};

#define MAX_EV 256
static struct ev want[MAX_EV], seen[MAX_EV];
static unsigned n_want, n_seen;

static void expect(enum sr_event_type t, int aor, const struct mb *b)
{
	struct ev *e = &want[n_want++];
	*e = (struct ev){ .type = t, .aor = aor, .id = b->id, .expires = b->expires, .cseq = b->cseq };
	snprintf(e->contact, sizeof(e->contact), "%s", b->uri);
}

static const char *aor_name(int i)
{
	static const char *const names[N_AOR] = { "sip:a0@example.com", "sip:a1@example.com", "sip:a2@example.com",
						  "sip:a3@example.com" };
	return names[i];
}

static int aor_index(struct sr_str s)
{
	for (int i = 0; i < N_AOR; i++)
		if (sr_str_eq(s, sr_str_cstr(aor_name(i))))
			return i;
	return -1;
}

/* --- what the events persisted: (AoR, id) -> complete binding, as LMDB would hold --- */

struct pm {
	bool used;
	int aor;
	uint64_t id;
	char f[SR_BF_COUNT][STR];
	size_t len[SR_BF_COUNT];
	struct sr_binding_state st;
};

#define MAX_PM (N_AOR * MAXB)
static struct pm persisted[MAX_PM];

static struct pm *pm_find(int aor, uint64_t id)
{
	for (unsigned i = 0; i < MAX_PM; i++)
		if (persisted[i].used && persisted[i].aor == aor && persisted[i].id == id)
			return &persisted[i];
	return NULL;
}

static void on_event(void *ctx, const struct sr_loc_event *ev)
{
	(void)ctx;
	const struct sr_loc_binding *b = ev->b;
	int aor = aor_index(b->aor);
	CHECK(aor >= 0, "event for an unknown AoR");
	CHECK(n_seen < MAX_EV, "too many events");
	struct ev *e = &seen[n_seen++];
	*e = (struct ev){ .type = ev->type, .aor = aor, .id = b->st.id, .expires = b->st.expires, .cseq = b->st.cseq };
	snprintf(e->contact, sizeof(e->contact), "%.*s", (int)b->f[SR_BF_CONTACT].len, b->f[SR_BF_CONTACT].p);

	struct pm *p = pm_find(aor, b->st.id);
	if (ev->type == SR_EV_ADDED || ev->type == SR_EV_REFRESHED) {
		CHECK((ev->type == SR_EV_ADDED) == (p == NULL), "%s of id %llu: key %s",
		      ev->type == SR_EV_ADDED ? "added" : "refreshed", (unsigned long long)b->st.id,
		      p ? "already stored" : "not stored");
		for (unsigned i = 0; !p && i < MAX_PM; i++)
			if (!persisted[i].used)
				p = &persisted[i];
		CHECK(p != NULL, "persisted map full");
		p->used = true;
		p->aor = aor;
		p->id = b->st.id;
		p->st = b->st;
		for (int f = 0; f < SR_BF_COUNT; f++) {
			CHECK(b->f[f].len < STR, "field %d too long for the test", f);
			memcpy(p->f[f], b->f[f].p, b->f[f].len);
			p->len[f] = b->f[f].len;
		}
	} else {
		CHECK(p != NULL, "removal of id %llu that is not stored", (unsigned long long)b->st.id);
		p->used = false;
	}
}

static int cmp_ev(const void *x, const void *y)
{
	const struct ev *a = x, *b = y;
	return a->id < b->id ? -1 : a->id > b->id;
}

static void check_events(bool as_set)
{
	CHECK(n_seen == n_want, "%u events, the model expects %u", n_seen, n_want);
	if (as_set) {
		qsort(seen, n_seen, sizeof(seen[0]), cmp_ev);
		qsort(want, n_want, sizeof(want[0]), cmp_ev);
	}
	for (unsigned i = 0; i < n_want; i++) {
		const struct ev *s = &seen[i], *w = &want[i];
		CHECK(s->type == w->type && s->aor == w->aor && s->id == w->id && s->expires == w->expires &&
			      s->cseq == w->cseq && strcmp(s->contact, w->contact) == 0,
		      "event %u: seen type %d aor %d id %llu %s exp %u cseq %u, want type %d aor %d id %llu %s exp %u "
		      "cseq %u",
		      i, s->type, s->aor, (unsigned long long)s->id, s->contact, s->expires, s->cseq, w->type, w->aor,
		      (unsigned long long)w->id, w->contact, w->expires, w->cseq);
	}
	n_seen = n_want = 0;
}

/* --- requests --- */

struct mc {
	int k;
	char uri[STR];
	int inst;
	uint32_t reg;
	int64_t expires; /* -1: no parameter */
	int q;
	char text[2 * STR];
};

struct mreq {
	int aor;
	bool star;
	unsigned n;
	struct mc c[3];
	int64_t expires_hdr; /* -1: no header */
	char call_id[16];
	uint32_t cseq;
	char branch[48];
};

static bool names(const struct mc *c, int k, int inst, uint32_t reg)
{
	if (c->inst >= 0)
		return inst == c->inst && reg == c->reg;
	return k == c->k;
}

static bool order_ok(const struct mreq *r, const struct mb *b, bool *retrans)
{
	if (strcmp(b->call_id, r->call_id) != 0 || r->cseq > b->cseq)
		return true;
	if (r->cseq == b->cseq && strcmp(r->branch, b->branch) == 0) {
		*retrans = true;
		return true;
	}
	return false;
}

enum { OP_NONE, OP_ADD, OP_UPDATE, OP_REMOVE };

/* The registrar's rules (reg_save.c) on the model; returns the status the real one must answer. */
static int model_register(struct model *m, const struct mreq *r, uint32_t now)
{
	struct maor *A = &m->a[r->aor];
	bool retrans = false;
	if (r->star) {
		for (unsigned i = 0; i < A->n; i++)
			if (!order_ok(r, &A->b[i], &retrans))
				return 500;
		if (retrans)
			return 200; /* answered again from the current state */
		for (unsigned i = 0; i < A->n; i++)
			expect(SR_EV_REMOVED, r->aor, &A->b[i]);
		A->n = 0;
		return 200;
	}
	struct {
		int op;
		uint32_t granted;
		uint64_t old; /* 0: none */
	} pe[3];
	unsigned n_reg = 0;
	for (unsigned i = 0; i < r->n; i++) {
		const struct mc *c = &r->c[i];
		if (c->reg && ++n_reg > 1)
			return 400;
		int64_t asked = c->expires >= 0 ? c->expires : r->expires_hdr >= 0 ? r->expires_hdr : 3600;
		uint32_t granted = 0;
		if (asked != 0) {
			if (asked < 60)
				return 423;
			granted = asked > 3600 ? 3600 : (uint32_t)asked;
		}
		for (unsigned j = 0; j < i; j++)
			if (pe[j].op != OP_NONE && names(c, r->c[j].k, r->c[j].inst, r->c[j].reg))
				pe[j].op = OP_NONE;
		const struct mb *old = NULL;
		for (unsigned b = 0; b < A->n && !old; b++)
			if (names(c, A->b[b].k, A->b[b].inst, A->b[b].reg))
				old = &A->b[b];
		for (unsigned j = 0; old && j < i; j++)
			if (pe[j].op != OP_NONE && pe[j].old == old->id)
				pe[j].op = OP_NONE;
		if (old && !order_ok(r, old, &retrans))
			return 500;
		pe[i].granted = granted;
		pe[i].old = old ? old->id : 0;
		pe[i].op = granted == 0 ? (old ? OP_REMOVE : OP_NONE) : (old ? OP_UPDATE : OP_ADD);
	}
	if (retrans || r->n == 0)
		return 200;

	unsigned adds = 0, removes = 0;
	for (unsigned i = 0; i < r->n; i++) {
		adds += pe[i].op == OP_ADD;
		removes += pe[i].op == OP_REMOVE;
	}
	uint64_t evict[MAXB];
	unsigned n_evict = 0;
	unsigned final = A->n - removes + adds;
	if (adds && final > MAX_CONTACTS) {
		if (m->mode == SR_MAXC_REJECT || adds > MAX_CONTACTS)
			return 503;
		for (unsigned need = final - MAX_CONTACTS; need; need--) {
			const struct mb *victim = NULL;
			for (unsigned b = 0; b < A->n; b++) {
				bool taken = false;
				for (unsigned i = 0; i < r->n; i++)
					taken |= pe[i].op != OP_NONE && pe[i].old == A->b[b].id;
				for (unsigned v = 0; v < n_evict; v++)
					taken |= evict[v] == A->b[b].id;
				if (!taken && (!victim || A->b[b].expires < victim->expires))
					victim = &A->b[b];
			}
			if (!victim)
				return 503;
			evict[n_evict++] = victim->id;
		}
	}
	for (unsigned i = 0; i < r->n; i++) {
		const struct mc *c = &r->c[i];
		struct mb *b = NULL;
		if (pe[i].op == OP_ADD) {
			b = &A->b[A->n++];
			*b = (struct mb){ .id = m->next_id++ };
		} else if (pe[i].op == OP_UPDATE) {
			b = &A->b[find_id(A, pe[i].old)];
		} else {
			continue;
		}
		b->k = c->k;
		snprintf(b->uri, sizeof(b->uri), "%s", c->uri);
		b->inst = c->inst;
		b->reg = c->reg;
		snprintf(b->call_id, sizeof(b->call_id), "%s", r->call_id);
		b->cseq = r->cseq;
		snprintf(b->branch, sizeof(b->branch), "%s", r->branch);
		b->expires = now + pe[i].granted;
		b->q = c->q;
		expect(pe[i].op == OP_ADD ? SR_EV_ADDED : SR_EV_REFRESHED, r->aor, b);
	}
	for (unsigned i = 0; i < r->n + n_evict; i++) {
		uint64_t id = i < r->n ? (pe[i].op == OP_REMOVE ? pe[i].old : 0) : evict[i - r->n];
		int at = id ? find_id(A, id) : -1;
		if (at < 0)
			continue;
		expect(SR_EV_REMOVED, r->aor, &A->b[at]);
		drop_at(A, (unsigned)at);
	}
	sort_aor(A);
	return 200;
}

/* --- generating requests --- */

struct gen_state {
	uint32_t cseq[N_AOR][2];
	char last_branch[N_AOR][2][48];
	unsigned branches;
};

static void gen_contact(struct mc *c)
{
	static const char *const hosts[] = { "host%d.example.net", "HOST%d.Example.NET" };
	c->k = (int)rnd(5);
	char host[48];
	snprintf(host, sizeof(host), hosts[rnd(2)], c->k);
	snprintf(c->uri, sizeof(c->uri), "sip:u%d@%s%s", c->k, host, rnd(3) == 0 ? ";ob" : "");
	c->inst = rnd(3) == 0 ? (int)rnd(3) : -1;
	c->reg = c->inst >= 0 && rnd(2) ? 1 + rnd(2) : 0;
	static const int64_t exps[] = { -1, -1, -1, 0, 0, 30, 120, 300, 3600, 7200 };
	c->expires = exps[rnd(10)];
	static const int qs[] = { -1, -1, 100, 500, 1000 };
	c->q = qs[rnd(5)];
	size_t n = strlen(c->uri); /* "<uri>" (snprintf from a member into its neighbour upsets -Wrestrict) */
	c->text[0] = '<';
	memcpy(c->text + 1, c->uri, n);
	c->text[++n] = '>';
	c->text[++n] = '\0';
	if (c->inst >= 0)
		n += (size_t)snprintf(c->text + n, sizeof(c->text) - n, ";+sip.instance=\"<urn:uuid:%d>\"", c->inst);
	if (c->reg)
		n += (size_t)snprintf(c->text + n, sizeof(c->text) - n, ";reg-id=%u", c->reg);
	if (c->expires >= 0)
		n += (size_t)snprintf(c->text + n, sizeof(c->text) - n, ";expires=%lld", (long long)c->expires);
	if (c->q >= 0)
		snprintf(c->text + n, sizeof(c->text) - n, ";q=%d.%03d", c->q / 1000, c->q % 1000);
}

static void gen_register(struct gen_state *g, struct mreq *r)
{
	memset(r, 0, sizeof(*r));
	r->aor = (int)rnd(N_AOR);
	unsigned cid = rnd(2);
	snprintf(r->call_id, sizeof(r->call_id), "call-%u", cid);
	uint32_t *cseq = &g->cseq[r->aor][cid];
	char *last = g->last_branch[r->aor][cid];
	unsigned how = rnd(20);
	if (how == 0 && *cseq) { /* a retransmission: same CSeq, same branch */
		r->cseq = *cseq;
		snprintf(r->branch, sizeof(r->branch), "%s", last);
	} else if (how == 1 && *cseq) { /* same CSeq, another branch: out of order where it names a binding */
		r->cseq = *cseq;
		snprintf(r->branch, sizeof(r->branch), "z9hG4bK-m%u", ++g->branches);
	} else if (how == 2 && *cseq > 1) { /* an older CSeq */
		r->cseq = *cseq - 1;
		snprintf(r->branch, sizeof(r->branch), "z9hG4bK-m%u", ++g->branches);
	} else {
		r->cseq = ++*cseq;
		snprintf(r->branch, sizeof(r->branch), "z9hG4bK-m%u", ++g->branches);
		snprintf(last, 48, "%s", r->branch);
	}
	r->expires_hdr = -1;
	unsigned kind = rnd(20);
	if (kind == 0) {
		r->star = true;
		r->expires_hdr = 0;
		return;
	}
	if (kind == 1)
		return; /* a fetch */
	if (rnd(4) == 0)
		r->expires_hdr = rnd(2) ? 0 : 600;
	r->n = 1 + rnd(3);
	for (unsigned i = 0; i < r->n; i++)
		gen_contact(&r->c[i]);
}

static int send_register(struct th_env *e, const struct mreq *r)
{
	char contact[3 * 2 * STR + 8] = "", extra[64] = "";
	size_t n = 0;
	if (r->star)
		snprintf(contact, sizeof(contact), "*");
	for (unsigned i = 0; i < r->n; i++)
		n += (size_t)snprintf(contact + n, sizeof(contact) - n, "%s%s", i ? ", " : "", r->c[i].text);
	if (r->expires_hdr >= 0)
		snprintf(extra, sizeof(extra), "Expires: %lld\r\n", (long long)r->expires_hdr);
	struct th_req q = { .to = aor_name(r->aor), .call_id = r->call_id, .cseq = r->cseq, .branch = r->branch,
			    .contact = r->star || r->n ? contact : NULL, .extra = extra };
	return th_send(e, &q);
}

/* --- comparing the store with the model --- */

static void check_store(struct th_env *e, const struct model *m)
{
	uint32_t now = (uint32_t)(e->now_ms / 1000);
	const char *err = sr_loc_check(th_loc(e));
	CHECK(err == NULL, "store invariant: %s", err);
	unsigned aors = 0, bindings = 0;
	for (int a = 0; a < N_AOR; a++) {
		const struct maor *A = &m->a[a];
		struct sr_loc_binding got[MAXB];
		unsigned n = sr_loc_lookup(th_loc(e), sr_str_cstr(aor_name(a)), now, got, MAXB);
		CHECK(n == A->n, "%s: %u bindings, the model has %u", aor_name(a), n, A->n);
		for (unsigned i = 0; i < n; i++) {
			const struct mb *w = &A->b[i];
			const struct sr_loc_binding *g = &got[i];
			char inst[48] = "";
			if (w->inst >= 0)
				snprintf(inst, sizeof(inst), "<urn:uuid:%d>", w->inst);
			CHECK(g->st.id == w->id && sr_str_eq(g->f[SR_BF_CONTACT], sr_str_cstr(w->uri)) &&
				      sr_str_eq(g->f[SR_BF_CALL_ID], sr_str_cstr(w->call_id)) &&
				      sr_str_eq(g->f[SR_BF_INSTANCE], sr_str_cstr(inst)) && g->st.cseq == w->cseq &&
				      g->st.expires == w->expires && g->st.q == (w->q < 0 ? (int)SR_Q_NONE : w->q) &&
				      ((g->st.flags & SR_BFLAG_OUTBOUND) ? g->st.reg_id : 0) == w->reg &&
				      sr_str_eq(g->aor, sr_str_cstr(aor_name(a))),
			      "%s[%u]: store id %llu %.*s cseq %u exp %u q %u, model id %llu %s cseq %u exp %u q %d",
			      aor_name(a), i, (unsigned long long)g->st.id, (int)g->f[SR_BF_CONTACT].len,
			      g->f[SR_BF_CONTACT].p, g->st.cseq, g->st.expires, g->st.q, (unsigned long long)w->id, w->uri,
			      w->cseq, w->expires, w->q);
			const struct pm *p = pm_find(a, w->id);
			CHECK(p && p->st.expires == w->expires && p->st.cseq == w->cseq &&
				      sr_str_eq(sr_str_make(p->f[SR_BF_CONTACT], p->len[SR_BF_CONTACT]), sr_str_cstr(w->uri)),
			      "%s id %llu: what the events persisted is not the binding", aor_name(a),
			      (unsigned long long)w->id);
		}
		aors += A->n > 0;
		bindings += A->n;
	}
	unsigned stored = 0;
	for (unsigned i = 0; i < MAX_PM; i++)
		stored += persisted[i].used;
	CHECK(stored == bindings, "the events persisted %u bindings, %u are live", stored, bindings);
	struct sr_reg_stats st;
	sr_reg_get_stats(e->shard, &st);
	CHECK(st.aors == aors && st.bindings == bindings && st.expired == m->expired,
	      "counters: aors %llu bindings %llu expired %llu, model %u %u %llu", (unsigned long long)st.aors,
	      (unsigned long long)st.bindings, (unsigned long long)st.expired, aors, bindings,
	      (unsigned long long)m->expired);
}

/* The 200 lists the model's bindings of the AoR, in order. */
static void check_contacts(struct th_env *e, const struct maor *A)
{
	CHECK(th_header_count(e, "Contact") == A->n, "200 lists %u contacts, the model has %u",
	      th_header_count(e, "Contact"), A->n);
	for (unsigned i = 0; i < A->n; i++) {
		char want_start[STR + 2];
		snprintf(want_start, sizeof(want_start), "<%s>", A->b[i].uri);
		const char *h = th_header(e, "Contact", i);
		CHECK(h && strncmp(h, want_start, strlen(want_start)) == 0, "200 contact %u: %s, want %s...", i,
		      h ? h : "(none)", want_start);
	}
}

/* --- the other operations --- */

static struct th_env *new_env(enum sr_max_contacts_mode mode, uint64_t now_ms)
{
	struct th_env *e = th_env_contacts(MAX_CONTACTS, mode);
	e->now_ms = now_ms;
	e->on_event = on_event;
	return e;
}

/* A restart: a fresh store gets back, by sr_loc_restore, what the events persisted. */
static struct th_env *restart(struct th_env *e, struct model *m)
{
	uint64_t now_ms = e->now_ms;
	th_env_free(e);
	e = new_env(m->mode, now_ms);
	uint64_t max_id = 0;
	for (unsigned i = 0; i < MAX_PM; i++) {
		const struct pm *p = &persisted[i];
		if (!p->used)
			continue;
		struct sr_loc_binding b = { .aor = sr_str_cstr(aor_name(p->aor)), .st = p->st };
		for (int f = 0; f < SR_BF_COUNT; f++)
			b.f[f] = sr_str_make(p->f[f], p->len[f]);
		enum sr_restore_rc rc = sr_loc_restore(th_loc(e), &b, (uint32_t)(now_ms / 1000));
		CHECK(rc == SR_RESTORE_OK, "restore of id %llu: %s", (unsigned long long)p->id, sr_restore_rc_str(rc));
		if (p->id > max_id)
			max_id = p->id;
	}
	m->next_id = max_id + 1; /* the store moves past every restored id */
	m->expired = 0;
	return e;
}

static void expire(struct th_env *e, struct model *m, uint32_t seconds)
{
	unsigned n = th_advance(e, seconds);
	uint32_t now = (uint32_t)(e->now_ms / 1000);
	unsigned due = 0;
	for (int a = 0; a < N_AOR; a++) {
		struct maor *A = &m->a[a];
		for (unsigned i = 0; i < A->n;) {
			if (A->b[i].expires <= now) {
				expect(SR_EV_EXPIRED, a, &A->b[i]);
				drop_at(A, i);
				due++;
			} else {
				i++;
			}
		}
	}
	m->expired += due;
	CHECK(n == due, "expired %u, the model %u", n, due);
	check_events(true);
}

static void admin_remove(struct th_env *e, struct model *m)
{
	int a = (int)rnd(N_AOR);
	struct maor *A = &m->a[a];
	char contact[64] = "";
	int k = -1;
	if (rnd(3)) { /* one URI identity, spelled any equal way; else every binding */
		k = (int)rnd(5);
		snprintf(contact, sizeof(contact), rnd(2) ? "sip:u%d@HOST%d.example.NET;ob" : "sip:u%d@host%d.example.net",
			 k, k);
	}
	unsigned want_n = 0;
	for (unsigned i = 0; i < A->n;) {
		if (k < 0 || A->b[i].k == k) {
			expect(SR_EV_REMOVED, a, &A->b[i]);
			drop_at(A, i);
			want_n++;
		} else {
			i++;
		}
	}
	unsigned n = sr_loc_remove(th_loc(e), sr_str_cstr(aor_name(a)), sr_str_cstr(contact));
	CHECK(n == want_n, "sr_loc_remove removed %u, the model %u", n, want_n);
	check_events(false);
}

/* Restoring a live binding as it is replaces it: nothing changes, nothing is announced. */
static void restore_live(struct th_env *e, const struct model *m)
{
	int a = (int)rnd(N_AOR);
	const struct sr_aor *rec = th_aor(e, aor_name(a));
	if (!rec)
		return;
	unsigned idx = rnd(rec->n_bindings);
	const struct sr_binding *b = sr_loc_first(rec);
	while (idx--)
		b = b->next;
	struct sr_loc_binding v;
	sr_loc_view(b, &v);
	char copy[SR_BF_COUNT][STR]; /* the view points into the binding the restore replaces */
	for (int f = 0; f < SR_BF_COUNT; f++) {
		memcpy(copy[f], v.f[f].p, v.f[f].len);
		v.f[f].p = copy[f];
	}
	char aor[64];
	snprintf(aor, sizeof(aor), "%s", aor_name(a));
	v.aor = sr_str_cstr(aor);
	enum sr_restore_rc rc = sr_loc_restore(th_loc(e), &v, (uint32_t)(e->now_ms / 1000));
	CHECK(rc == SR_RESTORE_REPLACED, "restore of a live binding: %s", sr_restore_rc_str(rc));
	(void)m;
	check_events(false);
}

static void run(unsigned long long seed, unsigned steps, enum sr_max_contacts_mode mode)
{
	seed_used = seed;
	rng = seed * 0x9e3779b97f4a7c15ull | 1;
	memset(persisted, 0, sizeof(persisted));
	n_seen = n_want = 0;
	static struct model m;
	memset(&m, 0, sizeof(m));
	m.next_id = 1;
	m.mode = mode;
	struct gen_state g;
	memset(&g, 0, sizeof(g));
	struct th_env *e = new_env(mode, TH_T0_MS);
	unsigned counts[8] = { 0 };
	for (step_no = 0; step_no < steps; step_no++) {
		unsigned op = rnd(100);
		if (op < 70) {
			struct mreq r;
			gen_register(&g, &r);
			int want_status = model_register(&m, &r, (uint32_t)(e->now_ms / 1000));
			int status = send_register(e, &r);
			CHECK(status == want_status, "REGISTER %s %s cseq %u -> %d, the model says %d (%s)",
			      aor_name(r.aor), r.star ? "*" : r.n ? r.c[0].text : "(fetch)", r.cseq, status, want_status,
			      th_reason(e));
			if (status == 200)
				check_contacts(e, &m.a[r.aor]);
			check_events(false);
			counts[status / 100]++;
		} else if (op < 85) {
			expire(e, &m, 1 + rnd(rnd(4) ? 200 : 3700));
			counts[0]++;
		} else if (op < 92) {
			admin_remove(e, &m);
			counts[6]++;
		} else if (op < 98) {
			restore_live(e, &m);
			counts[7]++;
		} else {
			e = restart(e, &m);
			counts[1]++;
		}
		check_store(e, &m);
	}
	print_message("seed %llu, %u steps: %u 2xx, %u 4xx, %u 5xx, %u expiry runs, %u removals, %u restores, "
		      "%u restarts\n", seed, steps, counts[2], counts[4], counts[5], counts[0], counts[6], counts[7],
		      counts[1]);
	/* the sequence did exercise what it claims */
	assert_true(counts[2] > steps / 4 && counts[4] > 0 && counts[5] > 0 && counts[1] > 0);
	th_env_free(e);
}

static unsigned long long env_or(const char *name, unsigned long long dflt)
{
	const char *v = getenv(name);
	return v && *v ? strtoull(v, NULL, 0) : dflt;
}

static void test_model_reject_mode(void **state)
{
	(void)state;
	run(env_or("SR_MODEL_SEED", 20261121), (unsigned)env_or("SR_MODEL_STEPS", 6000), SR_MAXC_REJECT);
}

static void test_model_force_mode(void **state)
{
	(void)state;
	run(env_or("SR_MODEL_SEED", 20261121) + 1, (unsigned)env_or("SR_MODEL_STEPS", 6000), SR_MAXC_FORCE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model_reject_mode),
		cmocka_unit_test(test_model_force_mode),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
