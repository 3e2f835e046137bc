/*
 * test_app_persist_restore.c - a restart's ownership (app/sipreg/
 * persist_restore.c's persist_owner_part with lib/ctl's restore in parts):
 * for 1, 2 and 3 workers, with the bucket table sipreg deals at start
 * (sr_app_deal_buckets), every restored AoR lands in the part of the worker
 * whose shard would own a new REGISTER for it (sr_worker_owns, the
 * registrar's ownership hook), whole and nowhere else. A restore by
 * another rule than the data plane's (slots from other bits of the hash
 * than the owner bucket's, a part function that ignores the owner table)
 * puts AoRs on a shard whose REGISTERs go to another worker, which this
 * catches for 2 and 3 workers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aor_table.h"
#include "app.h"
#include "ctl_store.h"
#include "location.h"
#include "persist_internal.h"
#include "store_dir.h"
#include "test_eal.h"
#include "worker.h"

#define NOW_S 1000000u
#define N_AORS 3000u
#define MAX_WORKERS 3u

static void aor_of(unsigned i, char *out, size_t cap)
{
	snprintf(out, cap, "sip:owner%u@example.com", i);
}

/* N_AORS AoRs of two live bindings each. */
static void fill(const char *dir)
{
	char err[512];
	struct sr_ctl_store *st;
	assert_int_equal(sr_ctl_store_open(dir, 0, &st, err, sizeof(err)), 0);
	struct sr_ctl_batch b;
	assert_int_equal(sr_ctl_batch_init(&b, 2 * N_AORS, 5), 0);
	unsigned seq = 0;
	for (unsigned i = 0; i < N_AORS; i++) {
		char aor[64], contact[64];
		aor_of(i, aor, sizeof(aor));
		for (unsigned j = 0; j < 2; j++) {
			snprintf(contact, sizeof(contact), "sip:o%u-%u@198.51.100.2:5060", i, j);
			struct sr_loc_binding bd = { .aor = sr_str_cstr(aor) };
			bd.f[SR_BF_CONTACT] = sr_str_cstr(contact);
			bd.st = (struct sr_binding_state){ .id = (uint64_t)i * 2 + j + 1, .expires = NOW_S + 60,
							   .registered_at = NOW_S - 10, .cseq = 1, .q = SR_Q_NONE };
			assert_int_equal(sr_ctl_batch_add(&b, SR_EV_ADDED, &bd, ++seq, 0), 0);
		}
	}
	assert_int_equal(sr_ctl_store_commit(st, &b, err, sizeof(err)), 0);
	sr_ctl_batch_fini(&b);
	sr_ctl_store_close(st);
}

static int restore_cb(void *ctx, const struct sr_loc_binding *b, uint64_t aor_hash64, const char **why)
{
	enum sr_restore_rc rc = sr_loc_restore_hashed(ctx, b, aor_hash64, NOW_S);
	if (rc == SR_RESTORE_OK)
		return 0;
	*why = sr_restore_rc_str(rc);
	return -1;
}

static void restores_to_the_register_owner(const char *dir, unsigned n)
{
	struct sr_app *app = calloc(1, sizeof(*app));
	assert_non_null(app);
	app->n_workers = n;
	sr_app_deal_buckets(app);
	struct sr_worker w[MAX_WORKERS];
	struct sr_loc *loc[MAX_WORKERS];
	struct sr_ctl_part parts[MAX_WORKERS];
	memset(w, 0, sizeof(w));
	for (unsigned i = 0; i < n; i++) {
		w[i].app = app;
		w[i].id = i;
		char name[32];
		snprintf(name, sizeof(name), "tpr_%u_%u", n, i);
		struct sr_loc_params p = { .name = name, .max_aors = N_AORS, .now_s = NOW_S };
		const char *lerr = NULL;
		assert_non_null(loc[i] = sr_loc_create(&p, &lerr));
		parts[i] = (struct sr_ctl_part){ .fn = restore_cb, .ctx = loc[i] };
	}
	char err[512];
	struct sr_ctl_store *st;
	struct sr_ctl_load_stats ls;
	assert_int_equal(sr_ctl_store_open(dir, 0, &st, err, sizeof(err)), 0);
	if (sr_ctl_store_load_parts(st, NOW_S, n, parts, persist_owner_part, app, NULL, &ls, err, sizeof(err)) != 0)
		fail_msg("%u workers: %s", n, err);
	sr_ctl_store_close(st);
	assert_int_equal(ls.loaded, 2 * N_AORS);
	unsigned per_worker[MAX_WORKERS] = { 0 };
	for (unsigned i = 0; i < N_AORS; i++) {
		char aor[64];
		aor_of(i, aor, sizeof(aor));
		struct sr_str a = sr_str_cstr(aor);
		uint64_t h = sr_hash64(a.p, a.len);
		struct sr_loc_binding got[2];
		for (unsigned k = 0; k < n; k++) {
			unsigned held = sr_loc_lookup(loc[k], a, NOW_S, got, 2);
			if (sr_worker_owns(&w[k], h)) {
				if (held != 2)
					fail_msg("%u workers: %s holds %u of 2 bindings on the worker owning its REGISTERs (%u)",
						 n, aor, held, k);
				per_worker[k]++;
			} else if (held) {
				fail_msg("%u workers: %s restored on worker %u, whose REGISTERs go elsewhere", n, aor, k);
			}
		}
	}
	for (unsigned k = 0; k < n; k++)
		assert_true(per_worker[k] > N_AORS / n / 2); /* every worker owns a share */
	for (unsigned i = 0; i < n; i++)
		sr_loc_free(loc[i]);
	free(app);
}

static void test_every_aor_restores_on_its_register_owner(void **state)
{
	(void)state;
	struct dir d;
	dir_new(&d);
	fill(d.path);
	for (unsigned n = 1; n <= MAX_WORKERS; n++)
		restores_to_the_register_owner(d.path, n);
	dir_free(&d);
}

int main(void)
{
	if (sr_test_eal_init() != 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_aor_restores_on_its_register_owner),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
