/*
 * bench_persist.c - persistence costs without a network: LMDB commit
 * throughput (events/s) with large batches (async: control.batch_events)
 * and with small groups (what sync durability's group commit does under
 * light load), and restart time (load + restore into a shard) for N
 * bindings.
 *
 *   bench_persist [N=1000000] [DIR=/tmp]
 *
 * Design decisions:
 * - Bindings are built as ctl_binding views over generated strings of
 *   realistic size (AoR, contact with transport, Call-ID, User-Agent), so
 *   the record size matches what the sipp runs store.
 * - Everything goes through the same code sipreg runs (ctl_batch,
 *   ctl_store, sr_shard_restore_binding); only the workers' rings are
 *   left out. Fully durable commits (fsync), as in sipreg.
 * - Prints human lines and, last, one JSON object.
 */
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_eal.h>

#include "ctl_store.h"
#include "reg_restore.h"

#define T0_S 1795262940u

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

struct gen {
	char aor[64], contact[96], call_id[48];
};

static void make(struct gen *g, uint32_t i, struct sr_ctl_binding *b)
{
	snprintf(g->aor, sizeof(g->aor), "sip:user%07u@example.com", i);
	snprintf(g->contact, sizeof(g->contact), "sip:user%07u@198.51.100.2:%u;transport=udp", i, 1024 + i % 60000);
	snprintf(g->call_id, sizeof(g->call_id), "%08x-%08x@198.51.100.2", i * 2654435761u, i);
	memset(b, 0, sizeof(*b));
	b->aor = sr_str_cstr(g->aor);
	b->f[SR_BF_CONTACT] = sr_str_cstr(g->contact);
	b->f[SR_BF_CALL_ID] = sr_str_cstr(g->call_id);
	b->f[SR_BF_USER_AGENT] = SR_STR_LIT("sipp-sipreg-persist");
	b->st.expires = T0_S + 3600;
	b->st.registered_at = T0_S;
	b->st.cseq = 1;
	b->st.q = SR_Q_NONE;
	b->st.src_port = (uint16_t)(1024 + i % 60000);
}

/* Commits events [from, to) in batches of 'batch'; returns events/s. */
static double commit_run(struct sr_ctl_store *st, uint32_t from, uint32_t to, unsigned batch)
{
	struct sr_ctl_batch b;
	char err[512];
	if (sr_ctl_batch_init(&b, batch, 5) != 0)
		exit(1);
	double t = now_s();
	for (uint32_t i = from; i < to; i++) {
		struct gen g;
		struct sr_ctl_binding bd;
		make(&g, i, &bd);
		if (sr_ctl_batch_add(&b, SR_EV_ADDED, &bd, i, 0) != 0)
			exit(1);
		if (b.n == batch || i + 1 == to) {
			if (sr_ctl_store_commit(st, &b, err, sizeof(err)) != 0) {
				fprintf(stderr, "bench_persist: %s\n", err);
				exit(1);
			}
			sr_ctl_batch_clear(&b);
		}
	}
	t = now_s() - t;
	sr_ctl_batch_fini(&b);
	return (to - from) / t;
}

static int restore_cb(void *ctx, const struct sr_ctl_binding *b, const char **why)
{
	enum sr_restore_rc rc = sr_shard_restore_binding(ctx, b->aor, b->f, &b->st, (uint64_t)T0_S * 1000);
	if (rc == SR_RESTORE_OK)
		return 0;
	*why = sr_restore_rc_str(rc);
	return -1;
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(p);
}

int main(int argc, char **argv)
{
	uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 1000000;
	const char *base = argc > 2 ? argv[2] : "/tmp";
	char *eal[] = { "bench_persist", "--no-huge", "--no-pci", "--no-shconf", "-m", "2048",
			"--no-telemetry", "--log-level=lib.eal:error", NULL };
	if (n < 1000 || rte_eal_init(8, eal) < 0) {
		fprintf(stderr, "usage: bench_persist [N >= 1000] [DIR]; EAL: --no-huge -m 2048\n");
		return 1;
	}
	char dir[512], err[1024];
	snprintf(dir, sizeof(dir), "%s/bench_persist.XXXXXX", base);
	if (!mkdtemp(dir)) {
		perror("bench_persist: mkdtemp");
		return 1;
	}
	struct sr_ctl_store *st;
	if (sr_ctl_store_open(dir, 0, &st, err, sizeof(err)) != 0) {
		fprintf(stderr, "bench_persist: %s\n", err);
		return 1;
	}
	/* small groups first, on a 20th of N (each is an fsync) */
	uint32_t small_n = n / 20;
	double sync64 = commit_run(st, 0, small_n, 64);
	double async10k = commit_run(st, small_n, n, 10000);
	uint64_t nb, bytes;
	sr_ctl_store_count(st, &nb, &bytes);
	sr_ctl_store_close(st);
	printf("commit: %.0f events/s in batches of 10000 (async), %.0f events/s in groups of 64 (sync, light load)\n",
	       async10k, sync64);
	printf("store: %" PRIu64 " bindings, %.1f MB\n", nb, bytes / 1e6);

	struct sr_reg_config cfg;
	sr_reg_config_defaults(&cfg);
	sr_reg_config_add_domain(&cfg, "example.com");
	cfg.max_aors = n + 1;
	const char *serr = NULL;
	struct sr_shard_params sp = { .cfg = &cfg, .now_ms = (uint64_t)T0_S * 1000 };
	struct sr_shard *sh = sr_shard_create(&sp, &serr);
	if (!sh) {
		fprintf(stderr, "bench_persist: shard: %s\n", serr);
		return 1;
	}
	double t = now_s();
	struct sr_ctl_load_stats ls;
	if (sr_ctl_store_open(dir, 0, &st, err, sizeof(err)) != 0 ||
	    sr_ctl_store_load(st, T0_S, restore_cb, sh, &ls, err, sizeof(err)) != 0) {
		fprintf(stderr, "bench_persist: %s\n", err);
		return 1;
	}
	double restart = now_s() - t;
	sr_ctl_store_close(st);
	struct sr_shard_stats ss;
	sr_shard_get_stats(sh, &ss);
	printf("restart: %" PRIu64 " bindings loaded and restored in %.2f s (%.0f bindings/s); shard holds %" PRIu64 "\n",
	       ls.loaded, restart, ls.loaded / restart, ss.bindings);
	printf("{\"bindings\":%u,\"commit_async_events_per_s\":%.0f,\"commit_sync64_events_per_s\":%.0f,"
	       "\"store_bytes\":%" PRIu64 ",\"restart_s\":%.3f}\n",
	       n, async10k, sync64, bytes, restart);
	sr_shard_free(sh);
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	rte_eal_cleanup();
	return ss.bindings == n ? 0 : 1;
}
