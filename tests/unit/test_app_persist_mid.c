/*
 * test_app_persist_mid.c - app/sipreg/persist_mid.c with real rings, slots,
 * a registrar shard and an LMDB store in a temporary directory (no worker
 * threads): a record handed to sr_persist_mid_record travels as one event
 * slot with the worker's next sequence number, goes into the control core's
 * batch, commits, and comes back through sr_persist_mid_restore to the
 * worker owning its AoR, byte for byte; a record larger than a slot uses a
 * buffer; a memory-only AoR's PUT becomes a DEL; a record with no slot left
 * is counted lost; without persistence nothing happens.
 */
#include "reg_harness.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_malloc.h>

#include "aor_table.h"
#include "persist_internal.h"
#include "persist_mid.h"

#define SLOTS 8
#define SLOT_BYTES 160

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(p);
}

struct rig {
	struct th_env *e;
	struct sr_app *app;
	struct sr_persist *p;
	struct sr_worker w[2];
	char dir[64];
};

static uint16_t carol_memory_only(struct th_env *e, struct sr_str aor)
{
	(void)e;
	return sr_str_eq(aor, SR_STR_LIT("sip:carol@example.com")) ? SR_BFLAG_MEMORY_ONLY : 0;
}

static void rig_new(struct rig *r)
{
	memset(r, 0, sizeof(*r));
	r->e = th_env_new(NULL, NULL);
	assert_non_null(r->e);
	r->e->binding_flags = carol_memory_only;
	r->app = calloc(1, sizeof(*r->app));
	assert_non_null(r->app);
	r->app->n_workers = 2;
	for (unsigned i = 0; i < SR_BUCKETS; i++)
		r->app->owner[i] = (uint8_t)(i % 2);
	for (unsigned i = 0; i < 2; i++) {
		r->w[i].app = r->app;
		r->w[i].id = i;
		r->w[i].shard = r->e->shard; /* one store is enough: memory-only is read from it */
		r->app->w[i] = &r->w[i];
	}
	r->p = rte_zmalloc("t_persist", sizeof(*r->p), 64);
	assert_non_null(r->p);
	r->p->app = r->app;
	r->p->slot_bytes = SLOT_BYTES;
	static unsigned uniq;
	char name[32];
	for (unsigned i = 0; i < 2; i++) {
		snprintf(name, sizeof(name), "t_ev_%u_%u", uniq, i);
		r->p->w[i].ring = rte_ring_create(name, SLOTS, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ);
		snprintf(name, sizeof(name), "t_slot_%u_%u", uniq, i);
		r->p->w[i].pool = rte_mempool_create(name, SLOTS, SLOT_BYTES, 0, 0, NULL, NULL, NULL, NULL, SOCKET_ID_ANY, 0);
		assert_non_null(r->p->w[i].ring);
		assert_non_null(r->p->w[i].pool);
	}
	uniq++;
	snprintf(r->dir, sizeof(r->dir), "/tmp/sr_persist_mid_XXXXXX");
	assert_non_null(mkdtemp(r->dir));
	char err[512];
	assert_int_equal(sr_ctl_store_open(r->dir, 0, &r->p->store, err, sizeof(err)), 0);
	assert_int_equal(sr_ctl_batch_init(&r->p->batch, 100, 5), 0);
	r->p->started = true;
	r->app->persist = r->p;
}

static void rig_free(struct rig *r)
{
	for (unsigned i = 0; i < 2; i++) {
		rte_ring_free(r->p->w[i].ring);
		rte_mempool_free(r->p->w[i].pool);
	}
	sr_ctl_store_close(r->p->store);
	sr_ctl_batch_fini(&r->p->batch);
	rte_free(r->p);
	free(r->app);
	th_env_free(r->e);
	nftw(r->dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

/* The control core's side: drains worker i's ring into the batch; returns the slots' types in order. */
static unsigned drain(struct rig *r, unsigned i, unsigned types[], uint64_t seqs[])
{
	void *objs[SLOTS];
	unsigned n = rte_ring_sc_dequeue_burst(r->p->w[i].ring, objs, SLOTS, NULL);
	for (unsigned k = 0; k < n; k++) {
		struct slot *s = objs[k];
		types[k] = s->type;
		seqs[k] = s->seq;
		persist_mid_take(r->p, s, 0);
		free(s->ext);
	}
	rte_mempool_put_bulk(r->p->w[i].pool, objs, n);
	return n;
}

static size_t record(const char *aor, uint64_t ctid, uint8_t *out, size_t cap)
{
	struct sr_midreg_record m = { .ctid = ctid, .binding_id = 5, .up_expires_at = 2000000000u, .cseq = 9,
				      .mode = SR_MIDREG_CONTACT_THROTTLING, .state = SR_MIDREG_REC_LIVE,
				      .aor = sr_str_cstr(aor) };
	size_t n = sr_midreg_record_encode(&m, out, cap);
	assert_true(n > 0);
	return n;
}

struct got {
	unsigned n;
	unsigned worker[8];
	uint8_t bytes[8][600];
	size_t len[8];
};

static void collect(void *ctx, unsigned worker, const uint8_t *bytes, size_t len)
{
	struct got *g = ctx;
	assert_true(g->n < 8 && len <= sizeof(g->bytes[0]));
	g->worker[g->n] = worker;
	memcpy(g->bytes[g->n], bytes, len);
	g->len[g->n++] = len;
}

static unsigned owner_of(struct rig *r, const char *aor)
{
	return r->app->owner[sr_hash64(aor, strlen(aor)) % SR_BUCKETS];
}

static void records_travel_commit_and_restore(void **state)
{
	(void)state;
	struct rig r;
	rig_new(&r);
	const char *alice = "sip:alice@example.com";
	char longer[400];
	snprintf(longer, sizeof(longer), "sip:%0300d@example.com", 7); /* larger than a slot */
	uint8_t a[600], l[600];
	size_t na = record(alice, 1, a, sizeof(a)), nl = record(longer, 2, l, sizeof(l));
	assert_true(nl > SLOT_BYTES);

	/* carol's bindings are memory-only: her PUT goes as a DEL */
	assert_int_equal(th_register(r.e, "carol", "<sip:carol@198.51.100.9:5060>;expires=300", "c-1", 1), 200);
	uint8_t c[600];
	size_t nc = record("sip:carol@example.com", 3, c, sizeof(c));

	sr_persist_mid_record(r.app, 1, SR_MIDREG_REC_PUT, sr_str_cstr(alice), 1, a, na);
	sr_persist_mid_record(r.app, 1, SR_MIDREG_REC_PUT, sr_str_cstr(longer), 2, l, nl);
	sr_persist_mid_record(r.app, 1, SR_MIDREG_REC_PUT, SR_STR_LIT("sip:carol@example.com"), 3, c, nc);
	sr_persist_mid_record(r.app, 1, SR_MIDREG_REC_PUT, SR_STR_LIT("sip:bob@example.com"), 4, a, na);
	sr_persist_mid_record(r.app, 1, SR_MIDREG_REC_DEL, SR_STR_LIT("sip:bob@example.com"), 4, NULL, 0);
	unsigned types[SLOTS];
	uint64_t seqs[SLOTS];
	assert_int_equal(drain(&r, 1, types, seqs), 5);
	unsigned want[5] = { SR_CTL_MID_PUT, SR_CTL_MID_PUT, SR_CTL_MID_DEL, SR_CTL_MID_PUT, SR_CTL_MID_DEL };
	for (unsigned k = 0; k < 5; k++) {
		assert_int_equal(types[k], want[k]);
		assert_true(seqs[k] == k + 1); /* the worker's event numbers, as its binding events get */
	}
	assert_int_equal(r.p->batch.n, 5);
	char err[512];
	assert_int_equal(sr_ctl_store_commit(r.p->store, &r.p->batch, err, sizeof(err)), 0);
	sr_ctl_batch_clear(&r.p->batch);

	struct got g = { 0 };
	assert_int_equal(sr_persist_mid_restore(r.app, collect, &g), 2);
	assert_int_equal(g.n, 2);
	for (unsigned k = 0; k < 2; k++) {
		bool is_alice = g.len[k] == na && memcmp(g.bytes[k], a, na) == 0;
		bool is_long = g.len[k] == nl && memcmp(g.bytes[k], l, nl) == 0;
		assert_true(is_alice || is_long);
		assert_int_equal(g.worker[k], owner_of(&r, is_alice ? alice : longer));
	}
	assert_int_equal(sr_persist_mid_lost(r.app), 0);
	rig_free(&r);
}

static void no_slot_is_counted_and_persistence_off_does_nothing(void **state)
{
	(void)state;
	struct rig r;
	rig_new(&r);
	uint8_t a[600];
	size_t na = record("sip:alice@example.com", 1, a, sizeof(a));
	for (unsigned k = 0; k < SLOTS + 3; k++)
		sr_persist_mid_record(r.app, 0, SR_MIDREG_REC_PUT, SR_STR_LIT("sip:alice@example.com"), 1, a, na);
	assert_int_equal(sr_persist_mid_lost(r.app), 3);
	assert_int_equal(rte_ring_count(r.p->w[0].ring), SLOTS);
	unsigned types[SLOTS];
	uint64_t seqs[SLOTS];
	assert_int_equal(drain(&r, 0, types, seqs), SLOTS);

	/* without persistence: no slot, no restore */
	struct sr_persist *p = r.app->persist;
	r.app->persist = NULL;
	sr_persist_mid_record(r.app, 0, SR_MIDREG_REC_PUT, SR_STR_LIT("sip:alice@example.com"), 1, a, na);
	struct got g = { 0 };
	assert_int_equal(sr_persist_mid_restore(r.app, collect, &g), 0);
	assert_int_equal(g.n, 0);
	r.app->persist = p;
	assert_int_equal(rte_ring_count(r.p->w[0].ring), 0);
	rig_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(records_travel_commit_and_restore),
		cmocka_unit_test(no_slot_is_counted_and_persistence_off_does_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
