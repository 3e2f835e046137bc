/*
 * persist_restore.c - a restart's restore of the stored bindings into the
 * workers' shards, one part per worker, in parallel (see persist_internal.h).
 *
 * Design decisions:
 * - One part per worker, each filling that worker's shard only: the shard
 *   stays single-writer as at run time, and no record crosses threads
 *   (ctl_load.c walks each part's own slots, the key ranges whose AoR
 *   hashes the data plane's bucket -> owner table gives that worker).
 * - Part i runs on worker i's lcore, which is idle until the workers are
 *   launched and is pinned to the CPU the worker will use (its shard's
 *   memory is touched first there); the main lcore only waits. It does not
 *   take a part itself: it may share its CPU with a worker lcore (the
 *   development profile maps 0@0,1@1,2@0), and two parts on one CPU would
 *   leave the other idle. With one worker the restore is serial, as before.
 * - The main lcore waits for the others by sleeping, not by DPDK's
 *   spinning wait: with more workers than CPUs it would take a CPU from a
 *   part still running.
 * - One clock reading (now_s) for the whole restore: what expired by then
 *   is dropped, and a binding that expires while the restore runs is put
 *   back with its timer already due, so the worker expires it (and
 *   announces it) at its first expiry pass.
 */
#include <stdio.h>
#include <unistd.h>

#include <rte_launch.h>
#include <rte_lcore.h>

#include "aor_table.h"
#include "persist_internal.h"
#include "worker_push.h"

struct part_ctx {
	struct sr_app *app;
	struct sr_worker *w;
	struct sr_loc *loc;
	uint32_t now_s;
};

/* A slot's AoRs are one bucket's (SR_BUCKETS divides SR_CTL_SLOTS): the worker the data plane routes them to. */
_Static_assert(SR_CTL_SLOTS % SR_BUCKETS == 0, "a store slot must lie within one owner bucket");

unsigned persist_owner_part(void *ctx, unsigned slot)
{
	const struct sr_app *app = ctx;
	return app->owner[slot % SR_BUCKETS];
}

static int restore_one(void *ctx, const struct sr_loc_binding *b, uint64_t aor_hash64, const char **why)
{
	struct part_ctx *pc = ctx;
	enum sr_restore_rc rc = sr_loc_restore_hashed(pc->loc, b, aor_hash64, pc->now_s);
	if (rc == SR_RESTORE_OK || rc == SR_RESTORE_REPLACED)
		sr_worker_push_restored(pc->w, b); /* RFC 8599 refresh push (no event announces a restore) */
	if (rc == SR_RESTORE_OK || rc == SR_RESTORE_REPLACED || rc == SR_RESTORE_EXPIRED)
		return 0;
	*why = sr_restore_rc_str(rc);
	return -1;
}

/* The next records' table buckets and AoRs fetched together (rte_hash's bulk lookup): their misses overlap. */
static void restore_ahead(void *ctx, const uint64_t *aor_hash64, unsigned n)
{
	struct part_ctx *pc = ctx;
	(void)sr_loc_prefetch(pc->loc, aor_hash64, n);
}

struct lcore_run {
	void (*body)(void *);
	void *arg;
};

static int lcore_main(void *arg)
{
	struct lcore_run *r = arg;
	r->body(r->arg);
	return 0;
}

struct runner_ctx {
	struct sr_app *app;
	struct lcore_run run[SR_NET_MAX_WORKERS];
};

static int start_on_worker(void *ctx, unsigned part, void (*body)(void *), void *arg)
{
	struct runner_ctx *rc = ctx;
	rc->run[part] = (struct lcore_run){ body, arg };
	return rte_eal_remote_launch(lcore_main, &rc->run[part], rc->app->w[part]->lcore);
}

static void wait_worker(void *ctx, unsigned part)
{
	struct runner_ctx *rc = ctx;
	unsigned lcore = rc->app->w[part]->lcore;
	while (rte_eal_get_lcore_state(lcore) == RUNNING)
		usleep(200);
	rte_eal_wait_lcore(lcore);
}

int persist_restore(struct sr_app *app, struct sr_persist *p, uint32_t now_s, struct sr_ctl_load_stats *ls,
		    char *err, size_t cap)
{
	/* one part per worker: sr_ctl_store_load_parts refuses more than SR_CTL_MAX_PARTS at run time */
	_Static_assert(SR_NET_MAX_WORKERS <= SR_CTL_MAX_PARTS, "a restore part per worker: raise SR_CTL_MAX_PARTS");
	struct part_ctx ctx[SR_NET_MAX_WORKERS];
	struct sr_ctl_part parts[SR_NET_MAX_WORKERS];
	for (unsigned i = 0; i < app->n_workers; i++) {
		ctx[i] = (struct part_ctx){ app, app->w[i], sr_reg_location(app->w[i]->shard), now_s };
		parts[i] = (struct sr_ctl_part){ .fn = restore_one, .ahead = restore_ahead, .ctx = &ctx[i] };
	}
	struct runner_ctx rc = { .app = app }; /* every part is waited for before it goes */
	struct sr_ctl_runner runner = { start_on_worker, wait_worker, &rc };
	return sr_ctl_store_load_parts(p->store, now_s, app->n_workers, parts, persist_owner_part, app, &runner, ls, err,
				       cap);
}
