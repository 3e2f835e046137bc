/*
 * test_ctl_load.c - a restart's restore in parallel parts
 * (lib/ctl/ctl_load.c, sr_ctl_store_load_parts).
 *
 * A store of some hundreds of AoRs (one to three bindings each, some
 * expired, one expiring exactly at the restore's second) is restored once
 * serially into one location store and once, from a snapshot of the same
 * store, in three parts on three threads into three stores: every AoR must
 * land whole in the store its hash names and nowhere else, field for field
 * as the serial restore put it; the figures must agree; the expired ones
 * must be dropped, counted and deleted from the store in both cases (the
 * parts own the slots round-robin, so each walks many key ranges); every
 * binding a part's callback gets was announced to its ahead hook first; each
 * part's callback must run on one thread of its own. A record that does not
 * decode, a record under another AoR's key, a key shorter than a binding key
 * (reported by the part whose slot range it lies in), a slot the caller
 * maps to no part and a binding the callback refuses
 * each stop the whole load with a message naming the record (not another
 * part's "stopped"), and leave the store as it was. The refusals run their
 * parts one after another in a set order on the calling thread (a runner
 * of the test's), the failing part first, so that every other part is
 * sure to find the stop flag at its first check and to stop before it has
 * restored all of its share: the early stop is counted, not left to
 * timing. A runner starts every part, part 0 too (the caller only waits);
 * a part it cannot start runs on the calling thread.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aor_table.h"
#include "ctl_store.h"
#include "location.h"
#include "store_dir.h"
#include "test_eal.h"

#define NOW_S 1000000u
#define N_AORS 600u
#define PARTS 3u

static struct sr_loc *loc_new(void)
{
	static unsigned seq;
	char name[32];
	snprintf(name, sizeof(name), "tl_%u", seq++);
	struct sr_loc_params p = { .name = name, .max_aors = 4096, .now_s = NOW_S };
	const char *err = NULL;
	struct sr_loc *loc = sr_loc_create(&p, &err);
	assert_non_null(loc);
	return loc;
}

static void aor_of(unsigned i, char *out, size_t cap)
{
	snprintf(out, cap, "sip:user%u@example.com", i);
}

/* Binding j of AoR i: every 7th expired (one of them exactly at NOW_S), the others live. */
static uint32_t expires_of(unsigned i, unsigned j)
{
	unsigned k = i * 3 + j;
	if (k == 7)
		return NOW_S; /* not after now: dropped */
	if (k == 8)
		return NOW_S + 1; /* the first second that is kept */
	return k % 7 == 0 ? NOW_S - 1 - k : NOW_S + 60 + k;
}

/* Fills the store in dir; returns how many bindings are live at NOW_S (*expired: the others). */
static unsigned fill(const char *dir, unsigned *expired)
{
	char err[512];
	struct sr_ctl_store *st;
	assert_int_equal(sr_ctl_store_open(dir, 0, &st, err, sizeof(err)), 0);
	struct sr_ctl_batch b;
	assert_int_equal(sr_ctl_batch_init(&b, 4 * N_AORS, 5), 0);
	unsigned live = 0, seq = 0;
	*expired = 0;
	for (unsigned i = 0; i < N_AORS; i++) {
		char aor[64], contact[3][64], call_id[64];
		aor_of(i, aor, sizeof(aor));
		snprintf(call_id, sizeof(call_id), "call-%u@ua", i);
		for (unsigned j = 0; j < 1 + i % 3; j++) {
			snprintf(contact[j], sizeof(contact[j]), "sip:u%u-%u@198.51.100.%u:5060", i, j, 2 + j);
			struct sr_loc_binding bd = { .aor = sr_str_cstr(aor) };
			bd.f[SR_BF_CONTACT] = sr_str_cstr(contact[j]);
			bd.f[SR_BF_CALL_ID] = sr_str_cstr(call_id);
			bd.st = (struct sr_binding_state){ .id = (uint64_t)i * 4 + j + 1, .expires = expires_of(i, j),
							   .registered_at = NOW_S - 10, .cseq = j + 1,
							   .q = (uint16_t)(j == 1 ? 500 : SR_Q_NONE),
							   .src_port = (uint16_t)(5060 + j) };
			assert_int_equal(sr_ctl_batch_add(&b, SR_EV_ADDED, &bd, ++seq, 0), 0);
			if (bd.st.expires > NOW_S)
				live++;
			else
				(*expired)++;
		}
	}
	assert_int_equal(sr_ctl_store_commit(st, &b, err, sizeof(err)), 0);
	sr_ctl_batch_fini(&b);
	sr_ctl_store_close(st);
	return live;
}

static uint64_t stored(const char *dir)
{
	char err[512];
	struct sr_ctl_store *st;
	uint64_t n, bytes;
	assert_int_equal(sr_ctl_store_open(dir, 0, &st, err, sizeof(err)), 0);
	assert_int_equal(sr_ctl_store_count(st, &n, &bytes), 0);
	sr_ctl_store_close(st);
	return n;
}

/* A copy of the store in dir (a snapshot), so that two restores start from the same records. */
static void copy_store(const char *dir, struct dir *out)
{
	char err[512];
	struct sr_ctl_store *st;
	dir_new(out);
	assert_int_equal(sr_ctl_store_open(dir, 0, &st, err, sizeof(err)), 0);
	assert_int_equal(sr_ctl_store_snapshot(st, out->path, err, sizeof(err)), 0);
	sr_ctl_store_close(st);
}

/* Slots dealt round-robin, as sipreg deals its buckets: every part owns many separate key ranges. */
static unsigned hash_part(void *ctx, unsigned slot)
{
	return slot % *(unsigned *)ctx;
}

/* A caller's mistake: every AoR hash maps to part n of n parts (ctx: n). */
static unsigned no_such_part(void *ctx, unsigned slot)
{
	(void)slot;
	return *(unsigned *)ctx;
}

static unsigned part_of_aor(const char *aor)
{
	return sr_ctl_slot_of(sr_hash64(aor, strlen(aor))) % PARTS;
}

/* The live bindings fill() stored whose AoR is part p's. */
static unsigned owned_live(unsigned p)
{
	unsigned n = 0;
	for (unsigned i = 0; i < N_AORS; i++) {
		char aor[64];
		aor_of(i, aor, sizeof(aor));
		for (unsigned j = 0; j < 1 + i % 3; j++)
			n += part_of_aor(aor) == p && expires_of(i, j) > NOW_S;
	}
	return n;
}

/* One part's location store and the threads its callback ran on. */
struct part_ctx {
	struct sr_loc *loc;
	pthread_t thread;
	unsigned calls, other_threads;
	const char *refuse_aor; /* refused with "test refusal" */
	uint64_t ahead[SR_CTL_AHEAD]; /* the hashes the ahead hook was last told */
	unsigned ahead_n, ahead_at;
};

static void note_ahead(void *ctx, const uint64_t *aor_hash64, unsigned n)
{
	struct part_ctx *pc = ctx;
	assert_true(n > 0 && n <= SR_CTL_AHEAD);
	memcpy(pc->ahead, aor_hash64, n * sizeof(*aor_hash64));
	pc->ahead_n = n;
	pc->ahead_at = 0;
}

/* Each binding given was announced to the ahead hook, in order (expired ones are announced, never given). */
static void was_ahead(struct part_ctx *pc, uint64_t aor_hash64)
{
	while (pc->ahead_at < pc->ahead_n && pc->ahead[pc->ahead_at] != aor_hash64)
		pc->ahead_at++;
	if (pc->ahead_at == pc->ahead_n)
		fail_msg("AoR hash %016llx given without being announced ahead", (unsigned long long)aor_hash64);
	pc->ahead_at++;
}

static int restore_part(void *ctx, const struct sr_loc_binding *b, uint64_t aor_hash64, const char **why)
{
	struct part_ctx *pc = ctx;
	assert_true(aor_hash64 == sr_hash64(b->aor.p, b->aor.len));
	was_ahead(pc, aor_hash64);
	if (pc->calls++ == 0)
		pc->thread = pthread_self();
	else if (!pthread_equal(pc->thread, pthread_self()))
		pc->other_threads++;
	if (pc->refuse_aor && sr_str_eq(b->aor, sr_str_cstr(pc->refuse_aor))) {
		*why = "test refusal";
		return -1;
	}
	enum sr_restore_rc rc = sr_loc_restore_hashed(pc->loc, b, aor_hash64, NOW_S);
	if (rc == SR_RESTORE_OK)
		return 0;
	*why = sr_restore_rc_str(rc);
	return -1;
}

static int restore_serial(void *ctx, const struct sr_loc_binding *b, const char **why)
{
	enum sr_restore_rc rc = sr_loc_restore(ctx, b, NOW_S);
	if (rc == SR_RESTORE_OK)
		return 0;
	*why = sr_restore_rc_str(rc);
	return -1;
}

/*
 * Loads dir in PARTS parts, each into a new location store of pc[] (freed
 * by free_parts), refusing refuse_aor's bindings when not NULL; checks that
 * the sums are the parts' figures.
 */
static int load_parts(const char *dir, struct part_ctx pc[PARTS], const char *refuse_aor, sr_ctl_part_fn *part_of,
		      const struct sr_ctl_runner *runner, struct sr_ctl_load_stats *ls, char *err, size_t cap)
{
	unsigned n = PARTS;
	struct sr_ctl_part parts[PARTS];
	for (unsigned i = 0; i < n; i++) {
		pc[i] = (struct part_ctx){ .loc = loc_new(), .refuse_aor = refuse_aor };
		parts[i] = (struct sr_ctl_part){ .fn = restore_part, .ahead = note_ahead, .ctx = &pc[i] };
	}
	struct sr_ctl_store *st;
	assert_int_equal(sr_ctl_store_open(dir, 0, &st, err, cap), 0);
	int rc = sr_ctl_store_load_parts(st, NOW_S, n, parts, part_of, &n, runner, ls, err, cap);
	uint64_t sum_loaded = 0, sum_dropped = 0, sum_advised = 0;
	for (unsigned i = 0; i < n; i++) {
		sum_loaded += parts[i].stats.loaded;
		sum_dropped += parts[i].stats.dropped;
		sum_advised += parts[i].stats.advised;
	}
	assert_int_equal(sum_loaded, ls->loaded);
	assert_int_equal(sum_dropped, ls->dropped);
	assert_int_equal(sum_advised, ls->advised);
	sr_ctl_store_close(st);
	return rc;
}

static void free_parts(struct part_ctx pc[PARTS])
{
	for (unsigned i = 0; i < PARTS; i++)
		sr_loc_free(pc[i].loc);
}

static void assert_same_aor(struct sr_loc *a, struct sr_loc *b, struct sr_str aor)
{
	struct sr_loc_binding x[4], y[4];
	unsigned n = sr_loc_lookup(a, aor, NOW_S, x, 4);
	assert_int_equal(sr_loc_lookup(b, aor, NOW_S, y, 4), n);
	for (unsigned i = 0; i < n; i++) {
		for (int f = 0; f < SR_BF_COUNT; f++)
			assert_true(sr_str_eq(x[i].f[f], y[i].f[f]));
		assert_true(sr_binding_state_equal(&x[i].st, &y[i].st));
		assert_int_equal(x[i].st.id, y[i].st.id);
	}
}

static void test_parts_restore_what_the_serial_load_does(void **state)
{
	(void)state;
	struct dir d, copy;
	dir_new(&d);
	unsigned expired, live = fill(d.path, &expired);
	assert_true(expired > 0 && live > N_AORS);
	copy_store(d.path, &copy);

	char err[512];
	struct sr_ctl_store *st;
	struct sr_loc *serial = loc_new();
	struct sr_ctl_load_stats ls1, ls2;
	assert_int_equal(sr_ctl_store_open(d.path, 0, &st, err, sizeof(err)), 0);
	assert_int_equal(sr_ctl_store_load(st, NOW_S, restore_serial, serial, &ls1, err, sizeof(err)), 0);
	sr_ctl_store_close(st);

	struct part_ctx pc[PARTS];
	assert_int_equal(load_parts(copy.path, pc, NULL, hash_part, NULL, &ls2, err, sizeof(err)), 0);

	assert_int_equal(ls1.loaded, live);
	assert_int_equal(ls1.dropped, expired);
	assert_int_equal(ls2.loaded, live);
	assert_int_equal(ls2.dropped, expired);
	/* the map was found by address and read ahead, serially and in parts */
	assert_true(ls1.advised > 0);
	assert_true(ls2.advised > 0);
	/* the expired ones are gone from both stores */
	assert_int_equal(stored(d.path), live);
	assert_int_equal(stored(copy.path), live);

	uint64_t held = 0;
	for (unsigned p = 0; p < PARTS; p++) {
		struct sr_loc_stats s;
		sr_loc_get_stats(pc[p].loc, &s);
		held += s.bindings;
		assert_true(pc[p].calls > 0);
		assert_int_equal(pc[p].other_threads, 0);
		if (p > 0)
			assert_false(pthread_equal(pc[p].thread, pthread_self()));
		for (unsigned q = 0; q < p; q++)
			assert_false(pthread_equal(pc[p].thread, pc[q].thread));
	}
	assert_int_equal(held, live);
	for (unsigned i = 0; i < N_AORS; i++) {
		char aor[64];
		aor_of(i, aor, sizeof(aor));
		struct sr_str a = sr_str_cstr(aor);
		unsigned owner = part_of_aor(aor);
		assert_same_aor(serial, pc[owner].loc, a);
		for (unsigned p = 0; p < PARTS; p++)
			if (p != owner)
				assert_null(sr_loc_find(pc[p].loc, a));
	}
	sr_loc_free(serial);
	free_parts(pc);
	dir_free(&d);
	dir_free(&copy);
}

/* The key of a binding of 'aor' with id 'id' (the AoR hash, then the id). */
static void key_for(const char *aor, uint64_t id, uint8_t key[SR_CTL_KEY_LEN])
{
	struct sr_loc_binding b = { .aor = sr_str_cstr(aor), .st.id = id };
	sr_ctl_record_key(&b, key);
}

/* The part hash_part gives the key's slot. */
static unsigned key_part(const uint8_t key[SR_CTL_KEY_LEN])
{
	return sr_ctl_slot_of(sr_ctl_record_key_aor_hash(key)) % PARTS;
}

static void hex(const uint8_t key[SR_CTL_KEY_LEN], char out[2 * SR_CTL_KEY_LEN + 1])
{
	for (unsigned i = 0; i < SR_CTL_KEY_LEN; i++)
		snprintf(out + 2 * i, 3, "%02x", key[i]);
}

struct job {
	void (*body)(void *);
	void *arg;
};

/* A runner on the calling thread: starts nothing, then at the first wait runs every part, 'first' first. */
struct ordered_runner {
	unsigned first;
	struct job job[PARTS];
	bool ran;
};

static int start_later(void *ctx, unsigned part, void (*body)(void *), void *arg)
{
	struct ordered_runner *r = ctx;
	r->job[part] = (struct job){ body, arg };
	return 0;
}

static void run_in_order(void *ctx, unsigned part)
{
	struct ordered_runner *r = ctx;
	(void)part;
	if (r->ran)
		return;
	r->ran = true;
	r->job[r->first].body(r->job[r->first].arg);
	for (unsigned i = 0; i < PARTS; i++)
		if (i != r->first)
			r->job[i].body(r->job[i].arg);
}

/*
 * Loads dir in PARTS parts, part 'first' run to its failure before the
 * others, expecting a refusal whose message holds 'want': every other part
 * stops early (it restored less than its share), and the store keeps every
 * record.
 */
static void refused(const char *dir, const char *want, const char *refuse_aor, unsigned first,
		    sr_ctl_part_fn *part_of)
{
	uint64_t before = stored(dir);
	struct part_ctx pc[PARTS];
	struct ordered_runner order = { .first = first };
	struct sr_ctl_runner runner = { start_later, run_in_order, &order };
	char err[512] = "";
	struct sr_ctl_load_stats ls;
	assert_int_equal(load_parts(dir, pc, refuse_aor, part_of, &runner, &ls, err, sizeof(err)), -1);
	if (!strstr(err, want))
		fail_msg("message \"%s\" lacks \"%s\"", err, want);
	assert_null(strstr(err, "stopped")); /* the failing part's message, not a stopped one's */
	for (unsigned i = 0; i < PARTS; i++)
		if (i != first && pc[i].calls >= owned_live(i))
			fail_msg("part %u restored %u of its %u bindings after part %u failed", i, pc[i].calls,
				 owned_live(i), first);
	assert_int_equal(stored(dir), before); /* expired ones are not deleted by a refused load */
	free_parts(pc);
}

/* The fixture of the tests below: a directory with fill()'s store (a refusal test adds its bad record). */
struct filled {
	struct dir d;
	unsigned live, expired;
};

static int filled_store(void **state)
{
	static struct filled f;
	dir_new(&f.d);
	f.live = fill(f.d.path, &f.expired);
	*state = &f;
	return 0;
}

static int free_store(void **state)
{
	struct filled *f = *state;
	dir_free(&f->d);
	return 0;
}

static void test_a_corrupt_record_refuses_the_load(void **state)
{
	struct dir *d = &((struct filled *)*state)->d;
	uint8_t key[SR_CTL_KEY_LEN];
	key_for("sip:broken@example.com", 7, key);
	raw_put(d->path, "bindings", key, SR_CTL_KEY_LEN, "\x04garbage", 8);
	char want[128], h[2 * SR_CTL_KEY_LEN + 1];
	hex(key, h);
	snprintf(want, sizeof(want), "binding %s: record shorter than its header", h);
	refused(d->path, want, NULL, key_part(key), hash_part);
}

static void test_a_record_under_another_aors_key_is_refused(void **state)
{
	struct dir *d = &((struct filled *)*state)->d;
	struct sr_loc_binding b = { .aor = SR_STR_LIT("sip:mallory@example.com"),
				    .st = { .id = 9, .expires = NOW_S + 100, .q = SR_Q_NONE } };
	b.f[SR_BF_CONTACT] = SR_STR_LIT("sip:m@198.51.100.9");
	uint8_t rec[256], key[SR_CTL_KEY_LEN];
	size_t len = sr_ctl_record_encode(&b, rec, sizeof(rec));
	assert_true(len > 0);
	key_for("sip:alice@example.com", 9, key); /* a valid record, but not alice's */
	raw_put(d->path, "bindings", key, SR_CTL_KEY_LEN, rec, len);
	refused(d->path, "its key is not its AoR's (sip:mallory@example.com)", NULL,
		key_part(key), hash_part);
}

static void test_a_refused_binding_refuses_the_load(void **state)
{
	struct dir *d = &((struct filled *)*state)->d;
	/* an AoR of the last part, with a live binding: the parts before it stop, and their messages are not the one */
	char aor[64], want[128];
	unsigned i = 0;
	do
		aor_of(i++, aor, sizeof(aor));
	while (part_of_aor(aor) != PARTS - 1 || expires_of(i - 1, 0) <= NOW_S);
	snprintf(want, sizeof(want), "of %s cannot be restored: test refusal", aor);
	refused(d->path, want, aor, PARTS - 1, hash_part);
}

/* A key of another length than a binding key's: the part whose slot range it lies in reports it. */
static void test_a_short_key_is_refused(void **state)
{
	struct dir *d = &((struct filled *)*state)->d;
	uint8_t key[SR_CTL_KEY_LEN];
	key_for("sip:short@example.com", 3, key);
	raw_put(d->path, "bindings", key, SR_CTL_KEY_LEN - 1, "\x04garbage", 8);
	char want[128], h[2 * SR_CTL_KEY_LEN + 1];
	hex(key, h);
	h[2 * (SR_CTL_KEY_LEN - 1)] = '\0';
	snprintf(want, sizeof(want), "binding key %s of %u bytes (a key has %u)", h, SR_CTL_KEY_LEN - 1,
		 SR_CTL_KEY_LEN);
	refused(d->path, want, NULL, key_part(key), hash_part); /* its first 15 bytes: the full key's slot */
}

/* The caller's part_of names a part that does not exist: refused before any part starts. */
static void test_a_part_out_of_range_is_refused(void **state)
{
	struct dir *d = &((struct filled *)*state)->d;
	char want[64];
	snprintf(want, sizeof(want), "maps to part %u of %u", PARTS, PARTS);
	refused(d->path, want, NULL, 0, no_such_part);
}

/* A runner that cannot start anything: every part runs on the calling thread, one after the other. */
static int start_none(void *ctx, unsigned part, void (*body)(void *), void *arg)
{
	(void)body, (void)arg;
	(void)part;
	(*(unsigned *)ctx)++;
	return -1;
}

static void wait_never(void *ctx, unsigned part)
{
	(void)ctx, (void)part;
	fail_msg("waited for a part that never started");
}

static void test_a_part_that_cannot_start_runs_here(void **state)
{
	struct filled *f = *state;
	unsigned starts = 0;
	struct sr_ctl_runner runner = { start_none, wait_never, &starts };
	struct part_ctx pc[PARTS];
	char err[512];
	struct sr_ctl_load_stats ls;
	assert_int_equal(load_parts(f->d.path, pc, NULL, hash_part, &runner, &ls, err, sizeof(err)), 0);
	assert_int_equal(starts, PARTS); /* a runner is asked for every part */
	assert_int_equal(ls.loaded, f->live);
	assert_int_equal(ls.dropped, f->expired);
	for (unsigned i = 0; i < PARTS; i++)
		assert_true(pthread_equal(pc[i].thread, pthread_self()));
	free_parts(pc);
}

/* A runner on threads of its own: every part, part 0 too, runs on one of them and is waited for. */
struct thread_runner {
	pthread_t t[PARTS];
	struct job job[PARTS];
	unsigned started, waited;
};

static void *job_main(void *p)
{
	struct job *j = p;
	j->body(j->arg);
	return NULL;
}

static int start_thread_job(void *ctx, unsigned part, void (*body)(void *), void *arg)
{
	struct thread_runner *r = ctx;
	r->job[part] = (struct job){ body, arg };
	r->started++;
	return pthread_create(&r->t[part], NULL, job_main, &r->job[part]) == 0 ? 0 : -1;
}

static void wait_thread_job(void *ctx, unsigned part)
{
	struct thread_runner *r = ctx;
	pthread_join(r->t[part], NULL);
	r->waited++;
}

static void test_a_runner_runs_every_part(void **state)
{
	struct filled *f = *state;
	struct thread_runner tr = { 0 };
	struct sr_ctl_runner runner = { start_thread_job, wait_thread_job, &tr };
	struct part_ctx pc[PARTS];
	char err[512];
	struct sr_ctl_load_stats ls;
	assert_int_equal(load_parts(f->d.path, pc, NULL, hash_part, &runner, &ls, err, sizeof(err)), 0);
	assert_int_equal(tr.started, PARTS);
	assert_int_equal(tr.waited, PARTS);
	assert_int_equal(ls.loaded, f->live);
	assert_int_equal(ls.dropped, f->expired);
	assert_int_equal(stored(f->d.path), f->live);
	for (unsigned i = 0; i < PARTS; i++) {
		assert_false(pthread_equal(pc[i].thread, pthread_self())); /* the caller only waited */
		assert_int_equal(pc[i].other_threads, 0);
	}
	free_parts(pc);
}

int main(void)
{
	if (sr_test_eal_init() != 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parts_restore_what_the_serial_load_does),
		cmocka_unit_test_setup_teardown(test_a_corrupt_record_refuses_the_load, filled_store, free_store),
		cmocka_unit_test_setup_teardown(test_a_record_under_another_aors_key_is_refused, filled_store, free_store),
		cmocka_unit_test_setup_teardown(test_a_refused_binding_refuses_the_load, filled_store, free_store),
		cmocka_unit_test_setup_teardown(test_a_short_key_is_refused, filled_store, free_store),
		cmocka_unit_test_setup_teardown(test_a_part_out_of_range_is_refused, filled_store, free_store),
		cmocka_unit_test_setup_teardown(test_a_part_that_cannot_start_runs_here, filled_store, free_store),
		cmocka_unit_test_setup_teardown(test_a_runner_runs_every_part, filled_store, free_store),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
