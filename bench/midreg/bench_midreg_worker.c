/*
 * bench_midreg_worker.c - in-process cost of a WHOLE absorbed refresh as a
 * worker makes it, against a final registrar's refresh of the same
 * REGISTER, for callgrind (issue 13: "sipreg's CPU per absorbed refresh: no
 * more than a final-registrar refresh").
 *
 * Both sides run what app/sipreg/worker.c runs for a REGISTER datagram: the
 * owner pre-scan (sr_reg_prescan_carry), then sr_reg_process_carried
 * resuming from it with the carried AoR and hash. The final registrar is a shard without mid hooks. The mid-registrar
 * is a shard wired as worker_mid.c wires it: the registrar's absorbs and
 * take hooks go to lib/midreg's offer (struct sr_midreg_offer, the same
 * code the worker calls), its settings hook straight to lib/policy's
 * rule lookup (asked once per REGISTER), its absorbed hook to
 * sr_midreg_count_absorbed, io.bindings to sr_reg_mid_bindings, io.apply
 * to sr_reg_mid_apply, io.lease to the shard's store (sr_loc_set_lease: the
 * restored records' leases are what the measured refreshes are absorbed
 * on), over a contact-throttling shard whose AoR rules come
 * from lib/policy (three `aor mid` lines that do not match the bench's AoRs,
 * or none with "norules").
 *
 * Set-up (not measured): N UAs register through both shards (the mid shard
 * stores them as a final registrar would: its taker absorbs during the
 * set-up), then each mid binding gets its upstream record as a restart
 * hands them back (LIVE for 3600 s, keyed by the binding id the store
 * gave). Then every UA refreshes once unmeasured (its first refresh after
 * the restart: the mid record's AoR is read once, and then known by its
 * hash, midreg_record.c). Measured: every UA's next refresh (same Call-ID
 * and Contact, CSeq + 1, Expires 60) through each shard, the steady state;
 * every mid refresh must be absorbed and answered 200 (the bench fails
 * otherwise). The REGISTER is regflood's, written by its own builder
 * (sr_rf_build, bench/regflood/rf_msg.c): the one the devnet benchmark
 * sends.
 *
 * callgrind: --toggle-collect=refresh_final and --toggle-collect=refresh_mid
 * give instructions per refresh of each side (divide by N).
 *
 * The AoR's rule is looked up as the worker does, with the tag its record
 * keeps (reg_rule.c): the set-up's registrations leave it there, so the
 * measured refreshes scan nothing. "reload" reloads the same three rules
 * after the set-up: every measured refresh is then its AoR's first after a
 * reload and scans once (the cost a reload adds, once per AoR).
 *
 * Usage: bench_midreg_worker [N] [norules|reload]   (default 20000 UAs, three rules)
 */
#include "midreg_offer.h"
#include "policy.h"
#include "registrar.h"
#include "rf_msg.h"

#include <rte_eal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define START_S 1796000000u /* a fixed wall clock: 2026-11-30 */
#define MSG_MAX 640
#define VIEWS 64

static struct sr_registrar *mid_reg;
static struct sr_midreg_offer offer;
static bool setup_phase;
static uint64_t sent;
static struct sr_loc_binding views[VIEWS];
static struct sr_policy_reader reader; /* the rules' reader: lib/midreg's and the registrar's settings hook's */
static struct sr_midreg_binding binds[VIEWS];

/* regflood's REGISTER for UA i with CSeq cseq, as one sender socket of regflood writes it. */
static int build(char *out, uint32_t i, uint32_t cseq)
{
	static const struct sr_rf_ident id = { .domain = "example.com", .user_prefix = "rf",
					       .local_ip = "198.51.100.2", .local_port = 40000, .run = 1,
					       .expires = 60 };
	struct sr_rf_req r = { .op = cseq == 1 ? SR_RF_OP_NEW : SR_RF_OP_REFRESH, .aor = i, .cseq = cseq };
	return (int)sr_rf_build(out, MSG_MAX, &id, &r);
}

/* ---- the mid shard's wiring, as worker_mid.c does it ---- */

static bool take(void *ctx, struct sr_midreg_req *rq)
{
	(void)ctx;
	return setup_phase ? false : sr_midreg_offer_take(&offer, rq);
}

static bool absorbs(void *ctx, const struct sr_midreg_req *rq)
{
	(void)ctx;
	return setup_phase ? true : sr_midreg_offer_absorbs(&offer, rq);
}

static void io_send(void *ctx, const struct sr_txn_dest *to, const char *bytes, size_t len)
{
	(void)ctx, (void)to, (void)bytes, (void)len;
	sent++;
}

static int io_apply(void *ctx, const struct sr_midreg_apply *a, uint64_t ids[SR_MIDREG_MAX_CONTACTS])
{
	(void)ctx;
	return sr_reg_mid_apply(mid_reg, a, offer.now_ms, ids);
}

static unsigned io_bindings(void *ctx, struct sr_str aor, const struct sr_midreg_binding **out)
{
	(void)ctx;
	*out = binds;
	return sr_reg_mid_bindings(mid_reg, aor, (uint32_t)(offer.now_ms / 1000), views, binds, VIEWS);
}

static void io_lease(void *ctx, struct sr_str aor, uint64_t binding_id, uint32_t lease)
{
	(void)ctx;
	sr_loc_set_lease(sr_reg_location(mid_reg), aor, binding_id, lease);
}

static void absorbed(void *ctx)
{
	(void)ctx;
	if (!setup_phase)
		sr_midreg_count_absorbed(offer.ms);
}

static const struct sr_midreg_io io = { io_send, io_apply, io_bindings, NULL, io_lease };

static const char RULES[] =
	"aor mid outgoing-expires=7200,max-contacts=3 /@ims\\.example\\.com$/i\n"
	"aor mid only-request-contacts,matching-mode=rinstance /^sip:pbx-/\n"
	"aor mid aor=sip:$user@tenant.$domain,memory-only /@legacy\\.example$/i\n";
/* ---- one datagram, as worker.c handles a REGISTER ---- */

static struct sr_reg_config cfg;
static struct sr_arena prescan_arena;
static const struct sr_addr src = { .ip = 0x026433C6u /* 198.51.100.2 */, .port = 40000 };

static int process(struct sr_registrar *s, const char *m, size_t len, uint64_t now_ms)
{
	static char resp[4096];
	struct sr_sip_scan scan;
	struct sr_reg_result res;
	struct sr_reg_carry carry; /* the pre-scan's AoR and hash, as worker.c carries them in the mbuf */
	if (sr_reg_prescan_carry(m, len, &cfg, &prescan_arena, &scan, NULL, &carry) != 0)
		return -1;
	sr_reg_process_carried(s, m, len, &scan, &carry, &src, now_ms, resp, sizeof(resp), &res);
	return res.mid_taken ? -2 : res.status;
}

__attribute__((noinline)) static int refresh_final(struct sr_registrar *s, const char *m, size_t len, uint64_t now_ms)
{
	return process(s, m, len, now_ms);
}

__attribute__((noinline)) static int refresh_mid(struct sr_registrar *s, const char *m, size_t len, uint64_t now_ms)
{
	offer.now_ms = now_ms; /* worker_mid.c sets it for every datagram */
	return process(s, m, len, now_ms);
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static struct sr_registrar *shard(unsigned id, bool mid)
{
	struct sr_reg_params p = { .cfg = &cfg, .shard_id = id, .now_ms = (uint64_t)START_S * 1000 };
	if (mid) {
		p.mid = (struct sr_reg_mid_hooks){ .take = take, .settings = sr_policy_mid_settings,
						   .settings_ctx = &reader, .absorbs = absorbs,
						   .absorbed = absorbed };
	}
	const char *err = NULL;
	struct sr_registrar *s = sr_reg_create(&p, &err);
	if (!s) {
		fprintf(stderr, "bench_midreg_worker: shard: %s\n", err ? err : "failed");
		exit(1);
	}
	return s;
}

int main(int argc, char **argv)
{
	uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 20000;
	const char *variant = argc > 2 ? argv[2] : "";
	bool rules = strcmp(variant, "norules") != 0, reload = strcmp(variant, "reload") == 0;
	if (n == 0 || n > 1000000) {
		fprintf(stderr, "usage: bench_midreg_worker [N 1..1000000] [norules|reload]\n");
		return 2;
	}
	char *eal[] = { "bench_midreg_worker", "--no-huge", "--no-pci", "--no-shconf", "-m", "1024",
			"--no-telemetry", "--log-level=lib.eal:error", NULL };
	if (rte_eal_init(8, eal) < 0) {
		fprintf(stderr, "rte_eal_init failed\n");
		return 1;
	}
	sr_reg_config_defaults(&cfg);
	sr_reg_config_add_domain(&cfg, "example.com");
	cfg.max_aors = n + n / 4;
	cfg.secret = 42;
	cfg.min_expires = 30;
	char err[256];
	struct sr_policy *pol = rules ? sr_policy_create(1, "198.51.100.1", RULES, strlen(RULES), err, sizeof(err))
				      : NULL;
	char *msgs = malloc((size_t)n * MSG_MAX);
	uint16_t *lens = malloc(sizeof(uint16_t) * n);
	if ((rules && !pol) || !msgs || !lens || sr_arena_init(&prescan_arena, 64 * 1024) != 0) {
		fprintf(stderr, "bench_midreg_worker: %s\n", rules && !pol ? err : "out of memory");
		return 1;
	}
	reader = (struct sr_policy_reader){ pol, 0 };

	struct sr_registrar *fin = shard(0, false);
	mid_reg = shard(1, true);
	struct sr_midreg_options o;
	sr_midreg_options_defaults(&o);
	o.mode = SR_MIDREG_CONTACT_THROTTLING;
	o.records = n;
	o.contexts = 64;
	o.registrar_ip = 0x0a6433c6; /* 198.51.100.10: never sent to, nothing leaves this process */
	o.registrar_port = 5070;
	struct sr_midreg_config mc;
	sr_midreg_config_from(&o, &mc);
	mc.uri.self = SR_STR_LIT("198.51.100.1:5060");
	mc.max_aor_len = cfg.max_aor_len < 1024 ? cfg.max_aor_len : 1024;
	mc.txn = (struct sr_txn_config){ .worker = 0, .secret = { 0x1234, 0x5678 } };
	uint64_t now_ms = (uint64_t)START_S * 1000;
	offer.ms = sr_midreg_shard_create(&mc, &io, NULL, now_ms);
	offer.now_ms = now_ms;
	if (!offer.ms) {
		fprintf(stderr, "bench_midreg_worker: mid shard refused\n");
		return 1;
	}

	/* set-up: every UA registers with both; the mid shard's records come back as after a restart */
	setup_phase = true;
	for (uint32_t i = 0; i < n; i++) {
		lens[i] = (uint16_t)build(msgs + (size_t)i * MSG_MAX, i, 1);
		if (process(fin, msgs + (size_t)i * MSG_MAX, lens[i], now_ms) != 200 ||
		    process(mid_reg, msgs + (size_t)i * MSG_MAX, lens[i], now_ms) != 200) {
			fprintf(stderr, "bench_midreg_worker: registration %u refused\n", i);
			return 1;
		}
		char aor[64];
		int al = snprintf(aor, sizeof(aor), "sip:rf%07u@example.com", i);
		const struct sr_midreg_binding *b;
		if (io_bindings(NULL, sr_str_make(aor, (size_t)al), &b) != 1) {
			fprintf(stderr, "bench_midreg_worker: UA %u has no binding\n", i);
			return 1;
		}
		struct sr_midreg_record r = { .ctid = ((uint64_t)(i & 0xffff) << 48) | (i + 1), .binding_id = b[0].id,
					      .up_expires_at = START_S + 3600, .up_refreshed_at = START_S, .cseq = 1,
					      .mode = SR_MIDREG_CONTACT_THROTTLING, .state = SR_MIDREG_REC_LIVE,
					      .aor = sr_str_make(aor, (size_t)al) };
		uint8_t buf[128];
		size_t len = sr_midreg_record_encode(&r, buf, sizeof(buf));
		if (len == 0 || sr_midreg_restore(offer.ms, buf, len, now_ms) != 0) {
			fprintf(stderr, "bench_midreg_worker: record %u refused\n", i);
			return 1;
		}
	}
	sr_midreg_restore_done(offer.ms, now_ms);
	setup_phase = false;
	/* warm-up (not measured): every UA's first refresh after the restart, 5 s later, through each shard */
	now_ms += 5000;
	for (uint32_t i = 0; i < n; i++) {
		lens[i] = (uint16_t)build(msgs + (size_t)i * MSG_MAX, i, 2);
		offer.now_ms = now_ms;
		if (process(fin, msgs + (size_t)i * MSG_MAX, lens[i], now_ms) != 200 ||
		    process(mid_reg, msgs + (size_t)i * MSG_MAX, lens[i], now_ms) != 200) {
			fprintf(stderr, "bench_midreg_worker: warm-up refresh %u not answered 200\n", i);
			return 1;
		}
	}
	if (reload && sr_policy_reload(pol, RULES, strlen(RULES), 1000, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench_midreg_worker: reload: %s\n", err);
		return 1;
	}

	/* measured: the next refresh of every UA through each shard, 5 s later (steady state) */
	now_ms += 5000;
	for (uint32_t i = 0; i < n; i++)
		lens[i] = (uint16_t)build(msgs + (size_t)i * MSG_MAX, i, 3);
	double t0 = now_ns();
	for (uint32_t i = 0; i < n; i++)
		if (refresh_final(fin, msgs + (size_t)i * MSG_MAX, lens[i], now_ms) != 200) {
			fprintf(stderr, "bench_midreg_worker: final refresh %u not answered 200\n", i);
			return 1;
		}
	double t1 = now_ns();
	for (uint32_t i = 0; i < n; i++)
		if (refresh_mid(mid_reg, msgs + (size_t)i * MSG_MAX, lens[i], now_ms) != 200) {
			fprintf(stderr, "bench_midreg_worker: mid refresh %u not absorbed and answered 200\n", i);
			return 1;
		}
	double t2 = now_ns();
	const struct sr_midreg_stats *st = sr_midreg_stats(offer.ms);
	printf("bench_midreg_worker: %u UAs, %s: final refresh %.0f ns, absorbed refresh %.0f ns; "
	       "absorbed %llu, forwarded %llu, sent %llu\n",
	       n, !rules ? "no rules" : reload ? "three `aor mid` rules, reloaded" : "three `aor mid` rules",
	       (t1 - t0) / n, (t2 - t1) / n,
	       (unsigned long long)st->absorbed, (unsigned long long)st->forwarded, (unsigned long long)sent);
	int rc = st->absorbed == 2 * n && st->forwarded == 0 ? 0 : 1; /* the warm-up's and the measured refreshes */
	sr_midreg_shard_free(offer.ms);
	sr_reg_free(mid_reg);
	sr_reg_free(fin);
	sr_policy_free(pol);
	sr_arena_fini(&prescan_arena);
	free(msgs);
	free(lens);
	rte_eal_cleanup();
	return rc;
}
