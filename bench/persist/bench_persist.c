/*
 * bench_persist.c - persistence costs without a network: LMDB commit
 * throughput (events/s) with large batches (async: control.batch_events)
 * and with small groups (what sync durability's group commit does under
 * light load), and restart time (load + restore into a shard) for N
 * bindings.
 *
 *   bench_persist [N=1000000] [DIR=/tmp] [keep]
 *   bench_persist restore DIR [PARTS=1]
 *
 * 'keep' leaves the store in place and prints its directory, so that
 * sipreg itself can restore it (control.data_dir): the store is exactly
 * what sipreg writes (same ctl_store code, same format version).
 * 'restore DIR [PARTS]' times the restart alone on such a kept store (a
 * 10M store takes minutes to fill; its restart can then be run, profiled
 * and repeated without filling again), into PARTS shards restored in
 * parallel as sipreg's workers' shards are (sr_ctl_store_load_parts, the
 * AoR hash's bucket deciding the shard as in sipreg). The full run's
 * restart is the same restart in one part (one shard), on this thread.
 *
 * Design decisions:
 * - Bindings are built as ctl_binding views over generated strings of
 *   realistic size (AoR, contact with transport, Call-ID, User-Agent), so
 *   the record size matches what the sipp runs store.
 * - Everything goes through the same code sipreg runs (ctl_batch,
 *   ctl_store, sr_ctl_store_load_parts, sr_loc_restore_hashed); only the
 *   workers' rings are left out. Fully durable commits (fsync), as in
 *   sipreg.
 * - The bindings are stamped with the wall clock of the run (registered
 *   now, expiring in a day), not a fixed date, so a kept store is live
 *   when sipreg (or 'restore') restores it that day: a 10M store takes
 *   minutes to fill and is restarted many times.
 * - The LMDB map and the EAL memory (the shard's rte_hash) are sized from
 *   N, so 10M bindings fit: sipreg's defaults (control.map_size 4 GiB)
 *   are meant for its own configuration, not for this program's N.
 * - Prints human lines and, last, one JSON object.
 */
#include <ftw.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_eal.h>

#include "ctl_store.h"
#include "registrar.h"

#define LIFETIME_S 86400u
#define MAP_BYTES_PER_BINDING 1024ull /* 316-383 used (10M, 1M): room for B-tree slack */
#define EAL_MB_BASE 256u
#define EAL_BYTES_PER_BINDING 128u /* the shard's rte_hash: buckets, extension buckets, key slots */

static uint32_t t0_s; /* wall clock at start: registered_at of every binding */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

struct gen {
	char aor[64], contact[96], call_id[48];
};

static void make(struct gen *g, uint32_t i, struct sr_loc_binding *b)
{
	snprintf(g->aor, sizeof(g->aor), "sip:user%07u@example.com", i);
	snprintf(g->contact, sizeof(g->contact), "sip:user%07u@198.51.100.2:%u;transport=udp", i, 1024 + i % 60000);
	snprintf(g->call_id, sizeof(g->call_id), "%08x-%08x@198.51.100.2", i * 2654435761u, i);
	memset(b, 0, sizeof(*b));
	b->aor = sr_str_cstr(g->aor);
	b->f[SR_BF_CONTACT] = sr_str_cstr(g->contact);
	b->f[SR_BF_CALL_ID] = sr_str_cstr(g->call_id);
	b->f[SR_BF_USER_AGENT] = SR_STR_LIT("sipp-sipreg-persist");
	b->st.id = (uint64_t)i + 1;
	b->st.expires = t0_s + LIFETIME_S;
	b->st.registered_at = t0_s;
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
		struct sr_loc_binding bd;
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

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(p);
}

static int eal_init(uint64_t n)
{
	char eal_mb[24];
	snprintf(eal_mb, sizeof(eal_mb), "%llu", EAL_MB_BASE + (unsigned long long)n * EAL_BYTES_PER_BINDING / (1 << 20));
	char *eal[] = { "bench_persist", "--no-huge", "--no-pci", "--no-shconf", "-m", eal_mb,
			"--no-telemetry", "--log-level=lib.eal:error", NULL };
	if (rte_eal_init(8, eal) < 0) {
		fprintf(stderr, "bench_persist: EAL: --no-huge -m %s failed\n", eal_mb);
		return -1;
	}
	return 0;
}

#define MAX_PARTS 16
#define BUCKETS 1024 /* sipreg's SR_BUCKETS: AoR hash -> bucket -> owner */

static unsigned bucket_part(void *ctx, unsigned slot)
{
	return slot % BUCKETS % *(unsigned *)ctx;
}

static int restore_hashed_cb(void *ctx, const struct sr_loc_binding *b, uint64_t aor_hash64, const char **why)
{
	enum sr_restore_rc rc = sr_loc_restore_hashed(sr_reg_location(ctx), b, aor_hash64, t0_s);
	if (rc == SR_RESTORE_OK)
		return 0;
	*why = sr_restore_rc_str(rc);
	return -1;
}

static void restore_ahead_cb(void *ctx, const uint64_t *aor_hash64, unsigned n)
{
	(void)sr_loc_prefetch(sr_reg_location(ctx), aor_hash64, n);
}

static void free_shards(struct sr_registrar **sh, unsigned n_parts)
{
	for (unsigned i = 0; i < n_parts; i++)
		sr_reg_free(sh[i]);
}

/*
 * The restart: the store in 'dir' (map_size 0: as it is) restored into
 * n_parts new shards sized for n bindings, in parts that run at the same
 * time as sipreg's workers' do (sr_ctl_store_load_parts, the AoR hash's
 * bucket deciding the shard; one part runs on this thread). sh[] gets the
 * shards, *held the bindings they hold. Returns the seconds the load and
 * restore took (the shards' creation is not counted), < 0 when it failed.
 */
static double restart(const char *dir, uint64_t map_size, uint64_t n, unsigned n_parts, struct sr_registrar **sh,
		      struct sr_ctl_load_stats *ls, uint64_t *held)
{
	struct sr_reg_config cfg;
	sr_reg_config_defaults(&cfg);
	sr_reg_config_add_domain(&cfg, "example.com");
	cfg.max_aors = (uint32_t)(n / n_parts + n / 8 / n_parts + 1024); /* buckets are not exactly even */
	struct sr_ctl_part parts[MAX_PARTS];
	for (unsigned i = 0; i < n_parts; i++) {
		const char *serr = NULL;
		struct sr_reg_params sp = { .cfg = &cfg, .shard_id = i, .now_ms = (uint64_t)t0_s * 1000 };
		if (!(sh[i] = sr_reg_create(&sp, &serr))) {
			fprintf(stderr, "bench_persist: shard: %s\n", serr);
			free_shards(sh, i);
			return -1;
		}
		parts[i] = (struct sr_ctl_part){ .fn = restore_hashed_cb, .ahead = restore_ahead_cb, .ctx = sh[i] };
	}
	char err[1024];
	struct sr_ctl_store *st;
	double t = now_s();
	if (sr_ctl_store_open(dir, map_size, &st, err, sizeof(err)) != 0 ||
	    sr_ctl_store_load_parts(st, t0_s, n_parts, parts, bucket_part, &n_parts, NULL, ls, err, sizeof(err)) != 0) {
		fprintf(stderr, "bench_persist: %s\n", err);
		free_shards(sh, n_parts);
		return -1;
	}
	t = now_s() - t;
	sr_ctl_store_close(st);
	*held = 0;
	for (unsigned i = 0; i < n_parts; i++) {
		struct sr_reg_stats ss;
		sr_reg_get_stats(sh[i], &ss);
		*held += ss.bindings;
	}
	return t;
}

/* bench_persist restore DIR [PARTS]: the restart alone, on a kept store. */
static int restore_only(const char *dir, unsigned n_parts)
{
	char err[1024];
	struct sr_ctl_store *st;
	uint64_t n, bytes;
	if (n_parts < 1 || n_parts > MAX_PARTS) {
		fprintf(stderr, "bench_persist: PARTS from 1 to %d\n", MAX_PARTS);
		return 1;
	}
	if (sr_ctl_store_open(dir, 0, &st, err, sizeof(err)) != 0 || sr_ctl_store_count(st, &n, &bytes) != 0) {
		fprintf(stderr, "bench_persist: %s\n", err);
		return 1;
	}
	sr_ctl_store_close(st);
	if (eal_init(n) != 0)
		return 1;
	t0_s = (uint32_t)time(NULL);
	struct sr_registrar *sh[MAX_PARTS];
	struct sr_ctl_load_stats ls;
	uint64_t held;
	double t = restart(dir, 0, n, n_parts, sh, &ls, &held);
	if (t < 0)
		return 1;
	printf("restart: %" PRIu64 " bindings loaded and restored into %u shard(s) in %.2f s (%.0f bindings/s), %" PRIu64
	       " expired; shards hold %" PRIu64 "\n", ls.loaded, n_parts, t, ls.loaded / t, ls.dropped, held);
	printf("{\"bindings\":%" PRIu64 ",\"parts\":%u,\"store_bytes\":%" PRIu64 ",\"restart_s\":%.3f}\n", ls.loaded,
	       n_parts, bytes, t);
	free_shards(sh, n_parts);
	rte_eal_cleanup();
	return held == ls.loaded ? 0 : 1;
}

int main(int argc, char **argv)
{
	if ((argc == 3 || argc == 4) && strcmp(argv[1], "restore") == 0)
		return restore_only(argv[2], argc == 4 ? (unsigned)strtoul(argv[3], NULL, 10) : 1);
	uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 1000000;
	const char *base = argc > 2 ? argv[2] : "/tmp";
	bool keep = argc > 3 && strcmp(argv[3], "keep") == 0;
	if (n < 1000 || (argc > 3 && !keep)) {
		fprintf(stderr, "usage: bench_persist [N >= 1000] [DIR] [keep] | bench_persist restore DIR [PARTS]\n");
		return 1;
	}
	if (eal_init(n) != 0)
		return 1;
	t0_s = (uint32_t)time(NULL);
	uint64_t map_size = (uint64_t)n * MAP_BYTES_PER_BINDING;
	if (map_size < SR_CTL_STORE_DEFAULT_MAP)
		map_size = SR_CTL_STORE_DEFAULT_MAP;
	char dir[512], err[1024];
	snprintf(dir, sizeof(dir), "%s/bench_persist.XXXXXX", base);
	if (!mkdtemp(dir)) {
		perror("bench_persist: mkdtemp");
		return 1;
	}
	struct sr_ctl_store *st;
	if (sr_ctl_store_open(dir, map_size, &st, err, sizeof(err)) != 0) {
		fprintf(stderr, "bench_persist: %s\n", err);
		return 1;
	}
	double fill = now_s();
	/* small groups first, on a 20th of N (each is an fsync) */
	uint32_t small_n = n / 20;
	double sync64 = commit_run(st, 0, small_n, 64);
	double async10k = commit_run(st, small_n, n, 10000);
	fill = now_s() - fill;
	uint64_t nb, bytes;
	sr_ctl_store_count(st, &nb, &bytes);
	sr_ctl_store_close(st);
	printf("commit: %.0f events/s in batches of 10000 (async), %.0f events/s in groups of 64 (sync, light load)\n",
	       async10k, sync64);
	printf("fill: %u bindings in %.1f s\n", n, fill);
	printf("store: %" PRIu64 " bindings, %.1f MB\n", nb, bytes / 1e6);

	struct sr_registrar *sh;
	struct sr_ctl_load_stats ls;
	uint64_t held;
	double t = restart(dir, map_size, n, 1, &sh, &ls, &held);
	if (t < 0)
		return 1;
	printf("restart: %" PRIu64 " bindings loaded and restored in %.2f s (%.0f bindings/s); shard holds %" PRIu64 "\n",
	       ls.loaded, t, ls.loaded / t, held);
	if (keep)
		printf("store kept in %s (control.data_dir; control.map_size >= %" PRIu64 ")\n", dir, map_size);
	printf("{\"bindings\":%u,\"commit_async_events_per_s\":%.0f,\"commit_sync64_events_per_s\":%.0f,"
	       "\"fill_s\":%.1f,\"store_bytes\":%" PRIu64 ",\"restart_s\":%.3f}\n",
	       n, async10k, sync64, fill, bytes, t);
	free_shards(&sh, 1);
	if (!keep)
		nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	rte_eal_cleanup();
	return held == n ? 0 : 1;
}
