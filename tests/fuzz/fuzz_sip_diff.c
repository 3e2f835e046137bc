/*
 * fuzz_sip_diff.c - differential libFuzzer target: the fast path against
 * libosip2, the parser of record.
 *
 * Each input is one datagram, parsed twice: by the fast path alone
 * (SR_SIP_FAST_ONLY, which declines rather than falls back) and by the
 * libosip2 path alone. Whenever the fast path accepts a message, the
 * libosip2 path must accept it too and fill the very same view
 * (sr_sip_msg_diff names the first field that differs); anything else
 * aborts with the field's name. Two more checks ride along:
 *  - the owner pre-scan (sr_sip_scan_owner) is the walk's first steps: for
 *    every REGISTER the full parse accepts, it finds the same To URI; for
 *    another request, the same Request-URI;
 *  - a fast walk resumed from the pre-scan's record, taking the To value
 *    it read (struct sr_sip_scan_to), equals a fresh one.
 * Seeds: tests/fuzz/corpus (every shape the fast path takes: see
 * reg-fast-*.sip) and the RFC 4475/5118 messages.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "sip_arena.h"
#include "sip_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what, const char *field)
{
	fprintf(stderr, "fuzz_sip_diff: %s%s%s\n", what, field ? ": " : "", field ? field : "");
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sr_arena fast_arena, slow_arena, scan_arena;
	static struct sr_sip_msg fast, slow, resumed;
	static int ready;
	if (!ready) {
		if (sr_arena_init(&fast_arena, 64 * 1024) != 0 || sr_arena_init(&slow_arena, 64 * 1024) != 0 ||
		    sr_arena_init(&scan_arena, 64 * 1024) != 0)
			abort();
		ready = 1;
	}
	const char *buf = (const char *)data;
	struct sr_sip_error err;

	sr_arena_bind_osip(&fast_arena);
	int rc_fast = sr_sip_parse(&fast, buf, size, NULL, SR_SIP_FAST | SR_SIP_FAST_ONLY, &fast_arena, &err);
	if (rc_fast != SR_SIP_OK && rc_fast != SR_SIP_SLOW)
		fail("the fast path returned an error of its own", NULL);
	sr_arena_bind_osip(&slow_arena);
	int rc_slow = sr_sip_parse(&slow, buf, size, NULL, 0, &slow_arena, &err);
	if (rc_fast == SR_SIP_OK) {
		if (rc_slow != SR_SIP_OK)
			fail("the fast path accepted what libosip2 refuses", err.reason);
		if (!fast.fast || slow.fast)
			fail("a view says the wrong path", NULL);
		const char *field = sr_sip_msg_diff(&fast, &slow);
		if (field)
			fail("the fast path and libosip2 disagree", field);
	}

	/* the pre-scan, and the owner's walk resumed from it */
	sr_arena_bind_osip(&scan_arena);
	struct sr_sip_scan scan;
	struct sr_sip_scan_to to;
	struct sr_sip_owner owner;
	sr_sip_scan_owner_to(buf, size, SR_SIP_FAST, &scan_arena, &scan, &owner, &to);
	if (rc_slow == SR_SIP_OK && slow.is_request) {
		bool reg = sr_str_eq(slow.method, SR_STR_LIT("REGISTER"));
		if (owner.kind != SR_OWNER_AOR)
			fail("the pre-scan found no owner in a message the parse accepts", NULL);
		const char *field = sr_sip_uri_diff(&owner.uri, reg ? &slow.to.uri : &slow.ruri);
		if (field)
			fail("the pre-scan's owner URI is not the parse's", field);
	}
	if (rc_fast == SR_SIP_OK) {
		int rc = sr_sip_parse_carried(&resumed, buf, size, &scan, &to, SR_SIP_FAST | SR_SIP_FAST_ONLY, &scan_arena,
					      &err);
		if (rc != SR_SIP_OK)
			fail("the resumed fast walk declined what a fresh one accepted", NULL);
		const char *field = sr_sip_msg_diff(&fast, &resumed);
		if (field)
			fail("the resumed walk and a fresh one disagree", field);
	}
	sr_arena_bind_osip(NULL);
	sr_arena_reset(&fast_arena);
	sr_arena_reset(&slow_arena);
	sr_arena_reset(&scan_arena);
	return 0;
}
