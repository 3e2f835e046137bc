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
 *
 * The mid-registrar's readers (sip_midreg_read.c) run as reg_mid.c and
 * worker_mid.c run them: the header lines of the parsed header block, a
 * response's reason phrase, the raw user part of the Request-URI and of
 * every Contact URI, and path-received over every Path value
 * (sip_path_received.c). Each result must lie inside what it was read
 * from (a header line inside the block, its name a prefix of it without
 * the colon), and the readers also get the whole input as an unparsed
 * range, where they must simply stay inside it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sip_arena.h"
#include "sip_host.h"
#include "sip_midreg.h"
#include "sip_msg.h"
#include "sip_uri_addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned touch(struct sr_str s)
{
	unsigned h = 0;
	for (size_t i = 0; i < s.len; i++)
		h += (unsigned char)s.p[i];
	return h;
}

/* r must be a range of [lo, lo + n) (or empty). */
static unsigned inside(struct sr_str r, const char *lo, size_t n)
{
	if (r.len && (r.p < lo || r.p > lo + n || r.len > (size_t)(lo + n - r.p)))
		abort();
	return touch(r);
}

/* The mid-registrar's readers over the parse m of d[0..n). */
static unsigned mid_reads(const char *d, size_t n, const struct sr_sip_msg *m, struct sr_arena *arena)
{
	static struct sr_mid_line lines[96];
	unsigned k = 0, sink = 0;
	if (m->headers_at <= m->body_at && m->body_at <= n &&
	    sr_mid_header_lines(d, m->headers_at, m->body_at, lines, 96, &k)) {
		const char *block = d + m->headers_at;
		size_t len = m->body_at - m->headers_at;
		for (unsigned i = 0; i < k; i++) {
			sink += inside(lines[i].line, block, len);
			if (lines[i].name.p != lines[i].line.p || lines[i].name.len > lines[i].line.len ||
			    memchr(lines[i].name.p, ':', lines[i].name.len))
				abort(); /* a name is the start of its line, without the colon */
		}
	}
	if (!m->is_request && m->headers_at <= n)
		sink += inside(sr_mid_status_reason(d, m->headers_at), d, m->headers_at);
	sink += inside(sr_mid_uri_user_raw(m->ruri_raw), m->ruri_raw.p, m->ruri_raw.len);
	for (unsigned i = 0; i < m->n_contacts; i++)
		sink += inside(sr_mid_uri_user_raw(m->contacts[i].uri_text), m->contacts[i].uri_text.p,
			       m->contacts[i].uri_text.len);
	uint32_t ip;
	uint16_t port;
	for (unsigned i = 0; i < m->n_path; i++)
		if (sr_sip_path_received(m->path[i], arena, &ip, &port) && (ip == 0 || port == 0))
			abort(); /* an address found is a whole one */
	/* the whole input as an unparsed range: the readers stay inside it */
	if (sr_mid_header_lines(d, 0, n, lines, 96, &k))
		for (unsigned i = 0; i < k; i++)
			sink += inside(lines[i].line, d, n);
	sink += inside(sr_mid_status_reason(d, n), d, n);
	sink += inside(sr_mid_uri_user_raw(sr_str_make(d, n)), d, n);
	return sink;
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
		sink += mid_reads((const char *)data, size, &m, &arena);
	} else if (rc == SR_SIP_BAD && (err.status < 400 || err.status > 599 || !err.reason)) {
		abort(); /* a refusal must carry a usable status and reason */
	}
	(void)sink;
	sr_arena_reset(&arena);
	return 0;
}
