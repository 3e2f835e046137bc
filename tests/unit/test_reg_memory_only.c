/*
 * test_reg_memory_only.c - the mid-registrar's memory-only setting (issue
 * 13, wiring item 9), from the operator's rule to the LMDB store: an
 * `aor mid memory-only` line (lib/policy), the registrar's binding_flags
 * hook answering from that lookup as the worker does, the binding carrying
 * SR_BFLAG_MEMORY_ONLY, and persistence's test (sr_ctl_record_kept, which
 * app/sipreg/persist.c applies to every room claim and every event) keeping
 * its events out of the batch and so out of the store, the listener stream
 * and replication. The location store still announces them (the
 * mid-registrar's binding-gone events need them); other AoRs persist as
 * before.
 */
#include "reg_harness.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_store.h"
#include "midreg.h"
#include "policy.h"

struct sink {
	struct sr_ctl_batch batch; /* what persistence would commit */
	unsigned announced;        /* every event the store announced */
};

static struct sink sink;
static struct sr_policy_reader reader;

/* Persistence's side of each event, as persist.c decides it. */
static void persist_event(void *ctx, const struct sr_loc_event *ev)
{
	struct sink *s = ctx;
	s->announced++;
	if (sr_ctl_record_kept(ev->b))
		assert_int_equal(sr_ctl_batch_add(&s->batch, ev->type, ev->b, s->announced, 0), 0);
}

/* The worker's hook: the AoR's mid settings (one lookup), memory-only as a binding flag. */
static uint16_t flags_from_rules(struct th_env *e, struct sr_str aor)
{
	(void)e;
	uint32_t tag = 0;
	const struct sr_midreg_settings *st = sr_policy_mid_settings(&reader, aor, &tag);
	return st && st->memory_only ? SR_BFLAG_MEMORY_ONLY : 0;
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(p);
}

static void memory_only_binding_emits_no_persistence_event(void **state)
{
	(void)state;
	const char *rules = "aor mid memory-only,outgoing-expires=7200 /^sip:carol@/\n";
	char err[512] = "";
	reader.p = sr_policy_create(1, "198.51.100.1", rules, strlen(rules), err, sizeof(err));
	reader.id = 0;
	assert_non_null(reader.p);
	struct th_env *e = th_env_new(NULL, NULL);
	assert_non_null(e);
	e->binding_flags = flags_from_rules;
	e->on_event = persist_event;
	e->on_event_ctx = &sink;
	assert_int_equal(sr_ctl_batch_init(&sink.batch, 1000, 5), 0);

	/* carol's add, refresh and removal: announced by the store, none persisted */
	assert_int_equal(th_register(e, "carol", "<sip:carol@198.51.100.9:5060>;expires=300", "c-1", 1), 200);
	const struct sr_binding *b = th_binding(e, "sip:carol@example.com", 0);
	assert_non_null(b);
	assert_true(b->flags & SR_BFLAG_MEMORY_ONLY);
	assert_int_equal(th_register(e, "carol", "<sip:carol@198.51.100.9:5060>;expires=300", "c-1", 2), 200);
	assert_int_equal(th_register(e, "carol", "<sip:carol@198.51.100.9:5060>;expires=0", "c-1", 3), 200);
	assert_int_equal(th_binding_count(e, "sip:carol@example.com"), 0);
	assert_int_equal(sink.announced, 3);
	assert_int_equal(sink.batch.n, 0);

	/* carol again, left to expire: the expiry is not persisted either */
	assert_int_equal(th_register(e, "carol", "<sip:carol@198.51.100.9:5060>;expires=60", "c-2", 1), 200);
	assert_int_equal(th_advance(e, 120), 1);
	assert_int_equal(sink.announced, 5);
	assert_int_equal(sink.batch.n, 0);

	/* alice matches no mid line: her binding has no flag and persists as ever */
	assert_int_equal(th_register(e, "alice", "<sip:alice@198.51.100.7:5060>;expires=300", "a-1", 1), 200);
	b = th_binding(e, "sip:alice@example.com", 0);
	assert_false(b->flags & SR_BFLAG_MEMORY_ONLY);
	assert_int_equal(sink.batch.n, 1);
	/* with carol registered beside her, the store ends with alice's binding only */
	assert_int_equal(th_register(e, "carol", "<sip:carol@198.51.100.9:5060>;expires=300", "c-3", 1), 200);
	assert_int_equal(sink.batch.n, 1);
	char dir[64];
	snprintf(dir, sizeof(dir), "/tmp/sr_memonly_XXXXXX");
	assert_non_null(mkdtemp(dir));
	struct sr_ctl_store *st;
	assert_int_equal(sr_ctl_store_open(dir, 0, &st, err, sizeof(err)), 0);
	assert_int_equal(sr_ctl_store_commit(st, &sink.batch, err, sizeof(err)), 0);
	uint64_t n = 0, bytes = 0;
	assert_int_equal(sr_ctl_store_count(st, &n, &bytes), 0);
	assert_int_equal(n, 1);
	sr_ctl_store_close(st);
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);

	sr_ctl_batch_fini(&sink.batch);
	th_env_free(e);
	sr_policy_free(reader.p);
}

static void no_hook_no_flag(void **state)
{
	(void)state;
	struct th_env *e = th_env_new(NULL, NULL);
	assert_non_null(e);
	assert_int_equal(th_register(e, "carol", "<sip:carol@198.51.100.9:5060>;expires=300", "c-1", 1), 200);
	const struct sr_binding *b = th_binding(e, "sip:carol@example.com", 0);
	assert_non_null(b);
	assert_false(b->flags & SR_BFLAG_MEMORY_ONLY);
	struct sr_loc_binding v;
	sr_loc_view(b, &v);
	assert_true(sr_ctl_record_kept(&v));
	th_env_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(memory_only_binding_emits_no_persistence_event),
		cmocka_unit_test(no_hook_no_flag),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
