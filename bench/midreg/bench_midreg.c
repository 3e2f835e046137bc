/*
 * bench_midreg.c - in-process cost of an absorbed refresh in lib/midreg,
 * for callgrind (issue 13's "sipreg's CPU per absorbed refresh: no more
 * than a final-registrar refresh").
 *
 * What a worker adds to a REGISTER when it is a mid-registrar and the
 * refresh is absorbed: the AoR's settings (lib/policy's
 * sr_policy_mid_settings over `aor mid` rules, the registrar's settings hook
 * as the application wires it) and
 * the decision (sr_midreg_register returning SR_MIDREG_ABSORB). The
 * registrar then answers as a final registrar, which bench/core measures;
 * so an absorbed refresh costs bench/core's refresh plus what this bench
 * measures, and a forwarded one is not what is measured here.
 *
 * Set-up as after a restart: N contact-throttling records, LIVE upstream
 * for outgoing_expires (3600 s), are taken back with sr_midreg_restore
 * (each with its local binding, which io.bindings reports), then every UA
 * refreshes its contact (Expires 120) ROUNDS times, 60 s apart: every
 * refresh is covered by its upstream registration, so every one is
 * absorbed (checked: the bench fails otherwise). Only the refresh loop is
 * timed; run under callgrind with --toggle-collect=one_refresh for the
 * exact instruction count per refresh (settings and decision), or
 * --toggle-collect=sr_midreg_register for the decision alone.
 *
 * Usage: bench_midreg [N] [ROUNDS]   (default 100000 UAs, 10 rounds)
 */
#include "midreg.h"
#include "policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define START_S 1796000000u /* a fixed wall clock: 2026-11-30 */
#define AOR_MAX 48

static unsigned n_uas;
static char (*aors)[AOR_MAX];
static uint8_t *aor_len;
static uint64_t sent, records;

static void io_send(void *ctx, const struct sr_txn_dest *to, const char *bytes, size_t len)
{
	(void)ctx, (void)to, (void)bytes, (void)len;
	sent++;
}

static int io_apply(void *ctx, const struct sr_midreg_apply *a, uint64_t ids[SR_MIDREG_MAX_CONTACTS])
{
	(void)ctx, (void)a, (void)ids;
	return 500; /* never called: nothing is forwarded */
}

/* Every AoR has one local binding, id = its index + 1 (the restore's "is it still there" check). */
static struct sr_midreg_binding view;
static unsigned io_bindings(void *ctx, struct sr_str aor, const struct sr_midreg_binding **out)
{
	(void)ctx;
	unsigned i = (unsigned)strtoul(aor.p + 5, NULL, 10); /* "sip:u<i>@..." */
	view = (struct sr_midreg_binding){ .id = i + 1, .uri = aor, .expires_in = 120, .q = -1 };
	*out = &view;
	return 1;
}

static void io_record(void *ctx, enum sr_midreg_rec_op op, struct sr_str aor, uint64_t ctid, const uint8_t *b,
		      size_t len)
{
	(void)ctx, (void)op, (void)aor, (void)ctid, (void)b, (void)len;
	records++;
}

static const struct sr_midreg_io io = { io_send, io_apply, io_bindings, io_record, NULL };

/* Rules as an operator might keep them: a few domains with their own settings, none of them the bench's. */
static const char RULES[] =
	"aor mid outgoing-expires=7200,max-contacts=3 /@ims\\.example\\.com$/i\n"
	"aor mid only-request-contacts,matching-mode=rinstance /^sip:pbx-/\n"
	"aor mid aor=sip:$user@tenant.$domain,memory-only /@legacy\\.example$/i\n";

/* What a worker does for an absorbed refresh besides the final registrar's work: settings, then the decision. */
__attribute__((noinline)) static enum sr_midreg_verdict one_refresh(struct sr_midreg_shard *m,
								    struct sr_policy_reader *reader,
								    struct sr_midreg_req *rq,
								    uint64_t now_ms)
{
	uint32_t tag = 0; /* kept nowhere: this bench measures the scan (bench_midreg_worker keeps it) */
	rq->settings = sr_policy_mid_settings(reader, rq->aor, &tag);
	return sr_midreg_register(m, rq, now_ms);
}

int main(int argc, char **argv)
{
	n_uas = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 100000;
	unsigned rounds = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 10;
	if (n_uas == 0 || n_uas > 10000000 || rounds == 0) {
		fprintf(stderr, "usage: bench_midreg [N 1..10000000] [ROUNDS]\n");
		return 2;
	}
	aors = calloc(n_uas, sizeof(*aors));
	aor_len = calloc(n_uas, 1);
	char err[256];
	struct sr_policy *pol = sr_policy_create(1, "198.51.100.1", RULES, sizeof(RULES) - 1, err, sizeof(err));
	if (!aors || !aor_len || !pol) {
		fprintf(stderr, "bench_midreg: %s\n", pol ? "out of memory" : err);
		return 1;
	}
	struct sr_policy_reader reader = { pol, 0 };

	struct sr_midreg_options o;
	sr_midreg_options_defaults(&o);
	o.mode = SR_MIDREG_CONTACT_THROTTLING;
	o.records = n_uas;
	o.contexts = 64;
	o.registrar_ip = 0x0a6433c6; /* 198.51.100.10, never sent to: nothing leaves this process */
	o.registrar_port = 5070;
	struct sr_midreg_config c;
	sr_midreg_config_from(&o, &c);
	c.uri.self = SR_STR_LIT("198.51.100.1:5060");
	c.max_aor_len = AOR_MAX;
	c.txn = (struct sr_txn_config){ .worker = 0, .secret = { 0x1234, 0x5678 } };
	uint64_t now_ms = (uint64_t)START_S * 1000;
	struct sr_midreg_shard *m = sr_midreg_shard_create(&c, &io, NULL, now_ms);
	if (!m) {
		fprintf(stderr, "bench_midreg: shard refused\n");
		return 1;
	}

	/* the records, as a restart hands them back: LIVE for an hour, each with its binding */
	for (unsigned i = 0; i < n_uas; i++) {
		aor_len[i] = (uint8_t)snprintf(aors[i], AOR_MAX, "sip:u%07u@example.com", i);
		struct sr_midreg_record r = { .ctid = ((uint64_t)(i & 0xffff) << 48) | (i + 1), .binding_id = i + 1,
					      .up_expires_at = START_S + 3600, .up_refreshed_at = START_S,
					      .cseq = 1, .mode = SR_MIDREG_CONTACT_THROTTLING, .state = SR_MIDREG_REC_LIVE,
					      .aor = sr_str_make(aors[i], aor_len[i]) };
		uint8_t buf[128];
		size_t n = sr_midreg_record_encode(&r, buf, sizeof(buf));
		if (n == 0 || sr_midreg_restore(m, buf, n, now_ms) != 0) {
			fprintf(stderr, "bench_midreg: record %u refused\n", i);
			return 1;
		}
	}
	sr_midreg_restore_done(m, now_ms);

	struct sr_midreg_req rq;
	memset(&rq, 0, sizeof(rq));
	rq.n_contacts = 1;
	rq.max_forwards = 70;
	rq.txn.call_id = SR_STR_LIT("bench-call@198.51.100.2");
	rq.txn.branch = SR_STR_LIT("z9hG4bK-bench");
	rq.contacts[0] = (struct sr_midreg_contact){ .user = SR_STR_LIT("u"), .requested = 120, .expires = 120 };
	uint64_t absorbed = 0, total = 0;
	struct timespec t0, t1;
	double ns = 0;
	for (unsigned k = 0; k < rounds; k++) {
		now_ms += 60000; /* every UA refreshes once a minute */
		sr_midreg_advance(m, now_ms, UINT32_MAX);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (unsigned i = 0; i < n_uas; i++) {
			rq.aor = sr_str_make(aors[i], aor_len[i]);
			rq.owner = (uint16_t)i;
			rq.contacts[0].binding_id = i + 1;
			rq.txn.cseq = k + 2;
			absorbed += one_refresh(m, &reader, &rq, now_ms) == SR_MIDREG_ABSORB;
			total++;
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ns += (double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec);
	}
	const struct sr_midreg_stats *st = sr_midreg_stats(m);
	printf("bench_midreg: %u UAs x %u rounds: %lu refreshes, %lu absorbed (%.4f), %lu forwarded, %lu sent, "
	       "%lu records written; %.1f ns per refresh (settings + decision)\n",
	       n_uas, rounds, (unsigned long)total, (unsigned long)absorbed, sr_midreg_absorption(st),
	       (unsigned long)st->forwarded, (unsigned long)sent, (unsigned long)records, ns / (double)total);
	int rc = absorbed == total ? 0 : 1;
	if (rc)
		fprintf(stderr, "bench_midreg: not every refresh was absorbed\n");
	sr_midreg_shard_free(m);
	sr_policy_free(pol);
	free(aors);
	free(aor_len);
	return rc;
}
