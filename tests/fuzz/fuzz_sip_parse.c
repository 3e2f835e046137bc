/*
 * fuzz_sip_parse.c - libFuzzer target for the SIP message view (sr_sip_parse,
 * fast path in front of libosip2, as the registrar runs it).
 *
 * Each input is one datagram. The arena is the data plane's: bound to
 * libosip2 once, reset after every message, so leaks and overruns in the
 * parser or in the arena show up under ASan exactly as in a worker. After a
 * successful parse every string view is read end to end, so a view pointing
 * outside the input or the arena is caught here rather than in the registrar.
 * The whole input also goes through the URI host classifier (sip_host.h),
 * which must read nothing past the bytes it is given.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "sip_arena.h"
#include "sip_host.h"
#include "sip_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned touch(struct sr_str s)
{
	unsigned h = 0;
	for (size_t i = 0; i < s.len; i++)
		h += (unsigned char)s.p[i];
	return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sr_arena arena;
	static int ready;
	if (!ready) {
		if (sr_arena_init(&arena, 64 * 1024) != 0)
			abort();
		sr_arena_bind_osip(&arena);
		ready = 1;
	}
	static struct sr_sip_msg m;
	struct sr_sip_error err;
	int rc = sr_sip_parse(&m, (const char *)data, size, NULL, SR_SIP_FAST, &arena, &err);
	volatile unsigned sink = 0;
	static struct sr_host_self self;
	if (!self.n) {
		struct sr_str bad;
		if (sr_sip_host_self_parse(&self, "198.51.100.1 2001:db8::1", &bad) != 0)
			abort();
	}
	sink += sr_sip_host_classify(sr_str_make((const char *)data, size), &self);
	if (rc == SR_SIP_OK) {
		sink += touch(m.method) + touch(m.ruri_raw) + touch(m.from_raw) + touch(m.to.raw);
		sink += touch(m.call_id) + touch(m.user_agent) + touch(m.top_via.branch) + touch(m.to.uri.user);
		sink += touch(m.top_via.host) + touch(m.top_via.port) + touch(m.ruri.host);
		for (unsigned i = 0; i < m.n_contacts; i++) {
			const struct sr_sip_contact *c = &m.contacts[i];
			sink += touch(c->raw) + touch(c->uri_text) + touch(c->uri.user) + touch(c->uri.host);
			for (unsigned k = 0; k < c->n_params; k++)
				sink += touch(c->params[k].name) + touch(c->params[k].value);
			for (unsigned k = 0; k < c->uri.n_params; k++)
				sink += touch(c->uri.params[k].name) + touch(c->uri.params[k].value);
		}
		for (unsigned i = 0; i < m.n_via; i++)
			sink += touch(m.via[i]);
		for (unsigned i = 0; i < m.n_path; i++)
			sink += touch(m.path[i]);
	} else if (rc == SR_SIP_BAD && (err.status < 400 || err.status > 599 || !err.reason)) {
		abort(); /* a refusal must carry a usable status and reason */
	}
	(void)sink;
	sr_arena_reset(&arena);
	return 0;
}
