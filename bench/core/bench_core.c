/*
 * bench_core.c - in-process replay of REGISTERs through sr_reg_process.
 *
 * One thread, one shard, no I/O: the cost of the registrar core itself
 * (parse, canonicalise, table, timer, response bytes). Requests are built in
 * batches outside the timed region; only sr_reg_process is timed. Phases:
 *   new      N unique AoRs, one contact each (initial registrations)
 *   refresh  the same N, same Call-ID and contact, CSeq + 1
 *   fetch    the same N, no Contact
 *   parse    the new-registration messages through sr_sip_parse alone (the
 *            message view with its arena), for the parse share, on the fast
 *            path and on the libosip2 path
 * Memory per binding is the shard's slab plus the AoR table's DPDK memory,
 * divided by the number of bindings (resident-set growth is printed too, as
 * a cross-check).
 *
 * Usage: bench_core [AORS] [sync] [slow] [prescan] [burst]   (default 1,000,000)
 *
 * 'sync' runs the shard as sipreg does with control.durability=sync: a
 * room claim per event (here always granted, counted) and each change's
 * retraction written behind its 200, so the difference is the registrar's
 * share of sync durability. 'slow': registrar.fast_parse off, the libosip2
 * path only, for its own figures. 'prescan': every request goes through the
 * owner pre-scan first and the registrar resumes from it, as a worker does
 * with every datagram (sr_reg_prescan_carry + sr_reg_process_carried timed
 * together: the owner takes the To and the AoR the pre-scan read). 'burst':
 * the same in bursts of 32 as a worker's rx loop does it: the burst is
 * pre-scanned, the location store prefetches its AoRs (sr_loc_prefetch),
 * then each request is processed.
 */
#include "registrar.h"

#include <rte_eal.h>
#include <rte_malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define BATCH 65536
#define MSG_MAX 640

enum phase { PH_NEW, PH_REFRESH, PH_FETCH };

static char *batch_buf;
static uint16_t batch_len[BATCH];

/* A REGISTER as a typical phone sends it (about 460 bytes). */
static int build(char *out, enum phase ph, uint32_t i)
{
	uint32_t cseq = ph == PH_NEW ? 1 : 2;
	const char *contact_hdr = ph == PH_FETCH ? "" : "Contact: <sip:u%07u@198.51.100.2:5060;transport=udp>\r\n";
	char contact[96];
	snprintf(contact, sizeof(contact), contact_hdr, i);
	return snprintf(out, MSG_MAX,
			"REGISTER sip:example.com SIP/2.0\r\n"
			"Via: SIP/2.0/UDP 198.51.100.2:5060;branch=z9hG4bK-%u-%u;rport\r\n"
			"Max-Forwards: 70\r\n"
			"From: \"User %u\" <sip:u%07u@example.com>;tag=f%u\r\n"
			"To: \"User %u\" <sip:u%07u@example.com>\r\n"
			"Call-ID: c%u-bench@198.51.100.2\r\n"
			"CSeq: %u REGISTER\r\n"
			"%s"
			"Expires: 3600\r\n"
			"Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, NOTIFY, REFER, MESSAGE\r\n"
			"Supported: path, outbound\r\n"
			"User-Agent: sipreg-bench/0.1\r\n"
			"Content-Length: 0\r\n\r\n",
			i, cseq, i, i, i, i, i, i, cseq, contact);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long rss_kb(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long pages = 0, resident = 0;
	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
			resident = 0;
		fclose(f);
	}
	return resident * 4;
}

/* What a timed loop does with one message (i: its AoR number). */
typedef void msg_fn(void *ctx, const char *msg, size_t len, uint32_t i);
/* Called (timed) after the last message of each batch: a burst mode finishes its burst. */
static void (*batch_end)(void *ctx);

/*
 * Builds the messages of phase ph for AoRs 0..n-1 in batches (untimed) and
 * calls fn on each (timed). Returns ns per message.
 */
static double replay(enum phase ph, uint32_t n, msg_fn *fn, void *ctx)
{
	double busy = 0;
	for (uint32_t base = 0; base < n; base += BATCH) {
		uint32_t cnt = n - base < BATCH ? n - base : BATCH;
		for (uint32_t k = 0; k < cnt; k++)
			batch_len[k] = (uint16_t)build(batch_buf + (size_t)k * MSG_MAX, ph, base + k);
		double t0 = now_s();
		for (uint32_t k = 0; k < cnt; k++)
			fn(ctx, batch_buf + (size_t)k * MSG_MAX, batch_len[k], base + k);
		if (batch_end)
			batch_end(ctx);
		busy += now_s() - t0;
	}
	return busy * 1e9 / n;
}

struct process_ctx {
	struct sr_registrar *s;
	uint64_t now_ms;
	const struct sr_reg_config *prescan; /* non-NULL: pre-scan first, as the data plane does */
	struct sr_arena *prescan_arena;
};

static void prescan(const struct process_ctx *c, const char *m, size_t len, uint32_t i, struct sr_sip_scan *scan,
		    struct sr_reg_carry *carry, uint64_t *hash)
{
	struct sr_reg_owner o;
	if (sr_reg_prescan_carry(m, len, c->prescan, c->prescan_arena, scan, &o, carry) != 0) {
		fprintf(stderr, "request %u: the pre-scan found no owner\n", i);
		exit(1);
	}
	*hash = o.hash;
}

/* sr_reg_process one message (resuming from scan, carry: may be NULL); anything but 200 ends the bench loudly. */
static void process(struct process_ctx *c, const char *m, size_t len, uint32_t i, const struct sr_sip_scan *scan,
		    const struct sr_reg_carry *carry)
{
	static char resp[4096];
	static const struct sr_addr src = { .ip = 0x026433C6u /* 198.51.100.2 */, .port = 5060 };
	struct sr_reg_result res;
	sr_reg_process_carried(c->s, m, len, scan, carry, &src, c->now_ms, resp, sizeof(resp), &res);
	if (res.status != 200) {
		fprintf(stderr, "request %u: status %d (%s)\n", i, res.status, res.reason ? res.reason : "");
		exit(1);
	}
}

static void process_one(void *vctx, const char *m, size_t len, uint32_t i)
{
	struct process_ctx *c = vctx;
	struct sr_sip_scan scan;
	struct sr_reg_carry carry;
	uint64_t hash;
	if (!c->prescan) {
		process(c, m, len, i, NULL, NULL);
		return;
	}
	prescan(c, m, len, i, &scan, &carry, &hash);
	process(c, m, len, i, &scan, &carry);
}

/*
 * 'burst': what a worker does with an rx burst. Every message of the burst
 * is pre-scanned, the location store prefetches their AoRs (sr_loc_prefetch),
 * then they are processed in order.
 */
#define BURST 32
static struct {
	unsigned n;
	const char *msg[BURST];
	size_t len[BURST];
	uint32_t i[BURST];
	struct sr_sip_scan scan[BURST];
	struct sr_reg_carry carry[BURST];
	uint64_t hash[BURST];
} burst;

static void burst_end(void *vctx)
{
	struct process_ctx *c = vctx;
	sr_loc_prefetch(sr_reg_location(c->s), burst.hash, burst.n);
	for (unsigned k = 0; k < burst.n; k++)
		process(c, burst.msg[k], burst.len[k], burst.i[k], &burst.scan[k], &burst.carry[k]);
	burst.n = 0;
}

static void burst_one(void *vctx, const char *m, size_t len, uint32_t i)
{
	struct process_ctx *c = vctx;
	unsigned k = burst.n++;
	burst.msg[k] = m;
	burst.len[k] = len;
	burst.i[k] = i;
	prescan(c, m, len, i, &burst.scan[k], &burst.carry[k], &burst.hash[k]);
	if (burst.n == BURST)
		burst_end(c);
}

static const struct sr_reg_config *g_prescan; /* "prescan": the configuration the pre-scan reads */
static struct sr_arena g_prescan_arena;
static bool g_burst;

static double run_phase(struct sr_registrar *s, enum phase ph, uint32_t n, uint64_t now_ms)
{
	struct process_ctx c = { s, now_ms, g_prescan, &g_prescan_arena };
	batch_end = g_burst ? burst_end : NULL;
	double ns = replay(ph, n, g_burst ? burst_one : process_one, &c);
	batch_end = NULL;
	return ns;
}

struct parse_ctx {
	struct sr_arena arena;
	unsigned flags;
	bool want_fast; /* the fast path must have parsed it */
};

/* sr_sip_parse one message into the bound arena, then reset it. */
static void parse_one(void *vctx, const char *m, size_t len, uint32_t i)
{
	static struct sr_sip_msg msg;
	struct parse_ctx *c = vctx;
	struct sr_sip_error err;
	if (sr_sip_parse(&msg, m, len, NULL, c->flags, &c->arena, &err) != SR_SIP_OK || msg.fast != c->want_fast) {
		fprintf(stderr, "message %u: parse failed: %s\n", i, err.reason ? err.reason : "wrong path");
		exit(1);
	}
	sr_arena_reset(&c->arena);
}

/* ns per message of sr_sip_parse alone (plus the arena reset), over n new-registration messages. */
static double run_parse(uint32_t n, bool fast)
{
	struct parse_ctx c = { .flags = fast ? SR_SIP_FAST : 0, .want_fast = fast };
	if (sr_arena_init(&c.arena, 256 * 1024) != 0)
		exit(1);
	struct sr_arena *prev = sr_arena_bind_osip(&c.arena);
	double ns = replay(PH_NEW, n, parse_one, &c);
	sr_arena_bind_osip(prev);
	sr_arena_fini(&c.arena);
	return ns;
}

static size_t heap_used(void)
{
	struct rte_malloc_socket_stats st;
	if (rte_malloc_get_socket_stats(0, &st) != 0)
		return 0;
	return st.heap_allocsz_bytes;
}

static uint64_t claims;

static bool grant(void *ctx, enum sr_event_type type, const struct sr_loc_binding *b)
{
	(void)ctx, (void)type, (void)b;
	claims++;
	return true;
}

static void release(void *ctx)
{
	(void)ctx;
}

int main(int argc, char **argv)
{
	uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 1000000;
	bool sync = false, slow = false, prescan = false;
	for (int a = 2; a < argc; a++) {
		sync |= strcmp(argv[a], "sync") == 0;
		slow |= strcmp(argv[a], "slow") == 0;
		prescan |= strcmp(argv[a], "prescan") == 0;
		g_burst |= strcmp(argv[a], "burst") == 0;
	}
	prescan |= g_burst;
	char *eal[] = { "bench_core", "--no-huge", "--no-pci", "--no-shconf", "-m", "2048",
			"--no-telemetry", "--log-level=lib.eal:error", NULL };
	if (rte_eal_init(8, eal) < 0) {
		fprintf(stderr, "rte_eal_init failed\n");
		return 1;
	}
	batch_buf = malloc((size_t)BATCH * MSG_MAX);
	if (batch_buf) /* touch it now so the RSS cross-check counts only the shard */
		memset(batch_buf, 0, (size_t)BATCH * MSG_MAX);
	struct sr_reg_config cfg;
	sr_reg_config_defaults(&cfg);
	sr_reg_config_add_domain(&cfg, "example.com");
	cfg.max_aors = n + n / 4;
	cfg.secret = 42;
	cfg.fast_parse = !slow;
	if (prescan) {
		if (sr_arena_init(&g_prescan_arena, 64 * 1024) != 0)
			return 1;
		g_prescan = &cfg;
	}
	uint64_t now_ms = (uint64_t)time(NULL) * 1000;

	size_t heap0 = heap_used();
	long rss0 = rss_kb();
	struct sr_reg_params p = { .cfg = &cfg, .shard_id = 0, .now_ms = now_ms };
	if (sync) {
		p.room = (struct sr_loc_room){ grant, release, NULL };
		p.retraction = true;
	}
	const char *err = NULL;
	struct sr_registrar *s = sr_reg_create(&p, &err);
	if (!s || !batch_buf) {
		fprintf(stderr, "shard: %s\n", err ? err : "no memory");
		return 1;
	}
	size_t table_bytes = heap_used() - heap0;

	double ns_new = run_phase(s, PH_NEW, n, now_ms);
	long rss_after_new = rss_kb();
	double ns_refresh = run_phase(s, PH_REFRESH, n, now_ms + 1000);
	double ns_fetch = run_phase(s, PH_FETCH, n, now_ms + 2000);
	double ns_parse = run_parse(n < 200000 ? n : 200000, true);
	double ns_parse_slow = run_parse(n < 200000 ? n : 200000, false);

	struct sr_reg_stats st;
	sr_reg_get_stats(s, &st);
	double per_binding = (double)(st.binding_bytes + table_bytes) / (double)st.bindings;
	double rss_per_binding = (double)(rss_after_new - rss0) * 1024.0 / (double)st.bindings;

	printf("sipreg core bench: %u AoRs, one contact each, one thread, %s%s%s%s\n", n,
	       slow ? "libosip2 path only (registrar.fast_parse off)" : "fast path",
	       prescan ? ", owner pre-scan + resumed parse per request" : "",
	       g_burst ? ", in bursts of 32 (pre-scan all, sr_loc_prefetch, process)" : "",
	       sync ? ", durability=sync (room claims, retractions)" : "");
	if (sync)
		printf("  room claims %llu\n", (unsigned long long)claims);
	printf("  new REGISTER      %8.0f ns\n", ns_new);
	printf("  refresh REGISTER  %8.0f ns\n", ns_refresh);
	printf("  fetch REGISTER    %8.0f ns\n", ns_fetch);
	printf("  parse only        %8.0f ns fast path, %.0f ns libosip2 path (sr_sip_parse of a new REGISTER,"
	       " arena reset included)\n", ns_parse, ns_parse_slow);
	printf("  bindings %llu, AoRs %llu, arena overflows %llu, parsed fast %llu (resumed %llu), libosip2 %llu\n",
	       (unsigned long long)st.bindings, (unsigned long long)st.aors, (unsigned long long)st.arena_overflows,
	       (unsigned long long)st.parsed_fast, (unsigned long long)st.parsed_resumed,
	       (unsigned long long)st.parsed_slow);
	printf("  memory per binding %.0f bytes (slab %llu + AoR table %zu); RSS growth %.0f bytes/binding\n",
	       per_binding, (unsigned long long)st.binding_bytes, table_bytes, rss_per_binding);
	printf("{\"aors\":%u,\"fast_parse\":%s,\"prescan\":%s,\"burst\":%s,\"ns_per_new\":%.0f,\"ns_per_refresh\":%.0f,\"ns_per_fetch\":%.0f,"
	       "\"ns_per_parse\":%.0f,\"ns_per_parse_libosip2\":%.0f,"
	       "\"bytes_per_binding\":%.0f,\"rss_bytes_per_binding\":%.0f}\n",
	       n, slow ? "false" : "true", prescan ? "true" : "false", g_burst ? "true" : "false", ns_new, ns_refresh, ns_fetch, ns_parse,
	       ns_parse_slow, per_binding, rss_per_binding);
	sr_reg_free(s);
	free(batch_buf);
	rte_eal_cleanup();
	return 0;
}
