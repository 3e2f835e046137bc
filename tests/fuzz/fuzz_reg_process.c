/*
 * fuzz_reg_process.c - libFuzzer target for the whole registrar step,
 * sr_reg_process, with the operator policy (the shipped default rules)
 * hooked in.
 *
 * An input is a short conversation: up to 8 datagrams separated by the line
 * "@@@" (a REGISTER, then its refresh with other contacts, ...), replayed
 * on a fresh shard, one second apart, with expiry run after each. A fresh
 * shard per input keeps every finding reproducible from its artifact alone
 * (a shard living across inputs found a bug whose artifact then did not
 * replay). Each datagram goes through the data plane's two steps: the owner
 * pre-scan (sr_reg_prescan_carry), then sr_reg_process_carried resuming from
 * it (a datagram of even length also takes the To and AoR it carried).
 * Invariants checked: the response fits the buffer and starts with a status
 * line whose status is below 600 (a registrar never sends 6xx, RFC 3261
 * 10.3), a request without an answer always says why, the pre-scan's owner
 * is the owner of the AoR the full parse found (issue 15: a disagreement
 * splits an AoR's bindings across workers), and the location store's own
 * invariants (sr_loc_check: lists in q order with their counts, one armed
 * timer per binding, ids, identity hashes) hold after every datagram. Odd
 * inputs alternate the parse path (fast path in front, or libosip2 alone).
 *
 * Built a second time as fuzz_reg_auth with SR_FUZZ_SUBSCRIBERS naming a
 * subscriber file: then digest authentication (lib/auth) is hooked in too,
 * with a fixed nonce secret and a fresh auth worker (replay cache) per
 * input, so the seeds in corpus/auth-*.sip that carry a valid nonce and
 * response (computed by make_auth_seeds.py for the first datagram's
 * time) reach authorisation, the binding and the replay cache.
 * SR_FUZZ_TRACE=1 in the environment prints the status (or drop reason) of
 * every datagram, to check what a seed reaches.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/test_eal.h"
#include "policy.h"
#include "registrar.h"
#ifdef SR_FUZZ_SUBSCRIBERS
#include "auth.h"
#endif

#ifndef SR_FUZZ_RULES
#error "SR_FUZZ_RULES must name the default rules file"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static struct sr_policy *policy;
static struct sr_policy_reader reader;
static struct sr_reg_config cfg;
static int trace;
#ifdef SR_FUZZ_SUBSCRIBERS
static struct sr_auth *auth;

/* The secret and lifetime corpus/make-auth-seeds.py signs its nonces with. */
static void auth_init(void)
{
	struct sr_auth_config ac;
	char err[512];
	sr_auth_config_defaults(&ac);
	ac.enabled = true;
	ac.replay_entries = 64;
	snprintf(ac.subscribers, sizeof(ac.subscribers), "%s", SR_FUZZ_SUBSCRIBERS);
	snprintf(ac.nonce_secret, sizeof(ac.nonce_secret), "fuzz-nonce-secret");
	snprintf(ac.no_auth_domains, sizeof(ac.no_auth_domains), "trusted.example.net");
	auth = sr_auth_new(&ac, 1, err, sizeof(err));
	if (!auth) {
		fprintf(stderr, "auth: %s\n", err);
		abort();
	}
}
#endif

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	trace = getenv("SR_FUZZ_TRACE") != NULL;
	if (sr_test_eal_init() != 0)
		abort();
	char err[256];
	policy = sr_policy_create_file(1, "198.51.100.1", SR_FUZZ_RULES, err, sizeof(err));
	if (!policy) {
		fprintf(stderr, "policy: %s\n", err);
		abort();
	}
	reader = (struct sr_policy_reader){ policy, 0 };
	sr_reg_config_defaults(&cfg);
	sr_reg_config_add_domain(&cfg, "example.com");
	cfg.max_aors = 64;
	cfg.max_contacts = 4;
	cfg.max_contacts_mode = SR_MAXC_FORCE;
#ifdef SR_FUZZ_SUBSCRIBERS
	sr_reg_config_add_domain(&cfg, "trusted.example.net");
	auth_init();
#endif
	return 0;
}

static void one(struct sr_registrar *shard, const struct sr_reg_config *c, const char *msg, size_t len,
		uint64_t now_ms)
{
	static char resp[65536];
	static struct sr_arena prescan_arena;
	if (!prescan_arena.base && sr_arena_init(&prescan_arena, 64 * 1024) != 0)
		abort();
	struct sr_addr src = { .ip = 0x026433C6u, .port = 5060 };
	struct sr_reg_result res;
	struct sr_sip_scan scan;
	struct sr_reg_owner o;
	struct sr_reg_carry carry; /* datagrams of even length: the owner takes what the pre-scan read */
	bool carried = len % 2 == 0;
	int pre = sr_reg_prescan_carry(msg, len, c, &prescan_arena, &scan, &o, carried ? &carry : NULL);
	uint64_t hash = o.hash;
	sr_reg_process_carried(shard, msg, len, &scan, carried ? &carry : NULL, &src, now_ms, resp, sizeof(resp), &res);
	if (res.has_aor && (pre != 0 || hash != res.aor_hash)) {
		fprintf(stderr, "fuzz: the pre-scan's owner is not the parsed AoR's owner\n");
		abort();
	}
	if (trace)
		fprintf(stderr, "fuzz: status %d drop %d\n", res.len ? res.status : 0, (int)res.drop);
	if (res.len > sizeof(resp))
		abort();
	if (res.len && (res.len < 12 || memcmp(resp, "SIP/2.0 ", 8) != 0 || res.status < 100 ||
			res.status > 599))
		abort();
	if (!res.len && (res.drop == SR_DROP_NONE || res.drop >= SR_DROP_COUNT))
		abort();
	sr_reg_expire(shard, now_ms, 1024);
	/* whatever the input did, the location store's lists, counts, timers and ids still agree */
	const char *broken = sr_loc_check(sr_reg_location(shard));
	if (broken) {
		fprintf(stderr, "fuzz: location store invariant: %s\n", broken);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char sep[] = "\n@@@\n";
	const size_t sep_len = sizeof(sep) - 1;
	uint64_t now_ms = 1795262940000ull;
	const char *err = NULL;
	struct sr_reg_config c = cfg;
	c.fast_parse = (size & 1) == 0;
	struct sr_reg_params p = { .cfg = &c, .shard_id = 900, .now_ms = now_ms,
				     .policy = { sr_policy_hook_check, &reader } };
#ifdef SR_FUZZ_SUBSCRIBERS
	char aerr[256];
	struct sr_auth_worker *aw = sr_auth_worker_new(auth, 0, aerr, sizeof(aerr));
	if (!aw) {
		fprintf(stderr, "auth worker: %s\n", aerr);
		abort();
	}
	p.auth = sr_auth_worker_hooks(aw);
#endif
	struct sr_registrar *shard = sr_reg_create(&p, &err);
	if (!shard) {
		fprintf(stderr, "shard: %s\n", err);
		abort();
	}
	const char *q = (const char *)data, *end = q + size;
	for (int n = 0; n < 8 && q <= end; n++) {
		const char *cut = memmem(q, (size_t)(end - q), sep, sep_len);
		size_t len = cut ? (size_t)(cut - q) : (size_t)(end - q);
		now_ms += 1000;
		one(shard, &c, q, len, now_ms);
		if (!cut)
			break;
		q = cut + sep_len;
	}
	sr_reg_free(shard);
	sr_policy_quiescent(policy, 0);
#ifdef SR_FUZZ_SUBSCRIBERS
	sr_auth_worker_free(aw);
#endif
	return 0;
}
