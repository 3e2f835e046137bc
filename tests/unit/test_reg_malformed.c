/*
 * test_reg_malformed.c - bad input through sr_reg_process: clean errors, no harm.
 *
 * Missing and malformed headers get a 400 whose reason names the header;
 * oversize values, truncated bytes, random and mutated datagrams, long Via
 * and comma lists never crash (ASan/UBSan), every answer is a well-formed
 * response, and the bindings that existed before are untouched afterwards.
 */
#include "reg_harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALICE "sip:alice@example.com"

static const char GOOD[] = "REGISTER sip:example.com SIP/2.0\r\n"
			   "Via: SIP/2.0/UDP 198.51.100.2:5060;branch=z9hG4bK-good\r\n"
			   "Max-Forwards: 70\r\n"
			   "From: <sip:bob@example.com>;tag=f1\r\n"
			   "To: <sip:bob@example.com>\r\n"
			   "Call-ID: good-call@198.51.100.2\r\n"
			   "CSeq: 5 REGISTER\r\n"
			   "Contact: <sip:bob@198.51.100.2:5060>;expires=600\r\n"
			   "Content-Length: 0\r\n\r\n";

/* A response: status line, "Name: value" lines, Content-Length: 0 last, blank line, nothing else. */
static void check_well_formed(struct th_env *e, bool want_via)
{
	const char *r = e->resp;
	size_t len = e->res.len;
	char status[8];
	snprintf(status, sizeof(status), "%03d ", e->res.status);
	assert_true(len > 20);
	assert_memory_equal(r, "SIP/2.0 ", 8);
	assert_memory_equal(r + 8, status, 4);
	static const char tail[] = "\r\nContent-Length: 0\r\n\r\n";
	assert_true(len >= sizeof(tail) - 1);
	assert_memory_equal(r + len - (sizeof(tail) - 1), tail, sizeof(tail) - 1);
	const char *p = memmem(r, len, "\r\n", 2) + 2;
	while (p < r + len - 2) {
		const char *end = memmem(p, (size_t)(r + len - p), "\r\n", 2);
		assert_non_null(end);
		const char *colon = memchr(p, ':', (size_t)(end - p));
		if (!colon || colon == p || colon[1] != ' ')
			fail_msg("bad header line '%.*s'", (int)(end - p), p);
		for (const char *q = p; q < end; q++) /* a NUL only as an echoed quoted-pair */
			if (*q == '\r' || *q == '\n' || (*q == '\0' && (q == p || q[-1] != '\\')))
				fail_msg("control byte in a header line");
		p = end + 2;
	}
	if (want_via)
		assert_non_null(memmem(r, len, "\r\nVia: ", 7));
	assert_true(e->res.status >= 400 || e->res.status == 200);
	assert_true(e->res.status < 600); /* a registrar never sends 6xx */
}

static int raw(struct th_env *e, const char *s)
{
	return th_raw(e, s, strlen(s));
}

/* GOOD with the first occurrence of from replaced by to. */
static const char *edit(const char *from, const char *to)
{
	static char buf[70000];
	const char *at = strstr(GOOD, from);
	assert_non_null(at);
	snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(at - GOOD), GOOD, to, at + strlen(from));
	return buf;
}

struct snap {
	unsigned n;
	char contact[4][128];
	uint32_t cseq[4], expires[4];
};

static void snapshot(struct th_env *e, struct snap *s)
{
	memset(s, 0, sizeof(*s));
	s->n = th_binding_count(e, ALICE);
	for (unsigned i = 0; i < s->n && i < 4; i++) {
		const struct sr_binding *b = th_binding(e, ALICE, i);
		snprintf(s->contact[i], sizeof(s->contact[i]), "%s", th_field(b, SR_BF_CONTACT));
		s->cseq[i] = b->cseq;
		s->expires[i] = sr_binding_expires(b);
	}
}

/* Registers alice's two bindings the later checks compare against. */
static void seed(struct th_env *e, struct snap *before)
{
	assert_int_equal(th_register(e, "alice", "<sip:a1@198.51.100.2>, <sip:a2@198.51.100.3>", "seed", 1), 200);
	snapshot(e, before);
	assert_int_equal(before->n, 2);
	e->n_events = 0;
}

static void unchanged(struct th_env *e, const struct snap *before)
{
	struct snap after;
	snapshot(e, &after);
	assert_memory_equal(&after, before, sizeof(after));
	/* and the shard answers normally */
	assert_int_equal(th_register(e, "alice", NULL, "probe", 1), 200);
	assert_int_equal(th_header_count(e, "Contact"), 2);
	assert_int_equal(raw(e, GOOD), 200);
	assert_int_equal(th_binding_count(e, "sip:bob@example.com"), 1);
}

static void missing_headers_name_it(void **state)
{
	struct th_env *e = *state;
	struct snap before;
	seed(e, &before);
	static const struct {
		const char *line, *reason;
	} cases[] = {
		{ "To: <sip:bob@example.com>\r\n", "Missing To header" },
		{ "From: <sip:bob@example.com>;tag=f1\r\n", "Missing From header" },
		{ "Call-ID: good-call@198.51.100.2\r\n", "Missing Call-ID header" },
		{ "CSeq: 5 REGISTER\r\n", "Missing CSeq header" },
		{ "Via: SIP/2.0/UDP 198.51.100.2:5060;branch=z9hG4bK-good\r\n", "Missing Via header" },
	};
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(raw(e, edit(cases[i].line, "")), 400);
		assert_string_equal(th_reason(e), cases[i].reason);
		check_well_formed(e, i != 4);
	}
	assert_int_equal(e->n_events, 0);
	unchanged(e, &before);
}

static void cseq_method_mismatch(void **state)
{
	struct th_env *e = *state;
	assert_int_equal(raw(e, edit("CSeq: 5 REGISTER", "CSeq: 5 INVITE")), 400);
	assert_string_equal(th_reason(e), "CSeq method does not match the request method");
	check_well_formed(e, true);
	assert_string_equal(th_header(e, "CSeq", 0), "5 INVITE"); /* echoed as sent */
	assert_int_equal(th_binding_count(e, "sip:bob@example.com"), 0);
}

static void bad_uris(void **state)
{
	struct th_env *e = *state;
	struct snap before;
	seed(e, &before);
	static const struct {
		const char *from, *to;
		int status;
	} cases[] = {
		{ "REGISTER sip:example.com", "REGISTER sip:", 400 },
		{ "REGISTER sip:example.com", "REGISTER <sip:example.com>", 400 },
		{ "REGISTER sip:example.com", "REGISTER sip:exa%mple.com?x=<y>", 400 },
		{ "REGISTER sip:example.com", "REGISTER sip:example.com:99999", 400 },
		{ "REGISTER sip:example.com", "REGISTER 12:34", 400 },
		{ "REGISTER sip:example.com", "REGISTER http://example.com/", 416 },
		{ "To: <sip:bob@example.com>", "To: <sip:>", 400 },
		{ "To: <sip:bob@example.com>", "To: <bob@example.com>", 400 },
		{ "To: <sip:bob@example.com>", "To: <sip:bob@example.com", 400 },
		{ "To: <sip:bob@example.com>", "To: \"unterminated <sip:bob@example.com>", 400 },
		{ "To: <sip:bob@example.com>", "To: <sip:bob%00x@example.com>", 400 },
		{ "Contact: <sip:bob@198.51.100.2:5060>", "Contact: <sip:>", 400 },
		{ "Contact: <sip:bob@198.51.100.2:5060>", "Contact: <no scheme at all>", 400 },
		{ "Contact: <sip:bob@198.51.100.2:5060>", "Contact: sip:bob@198.51.100.2?Route=x", 400 },
		{ "Contact: <sip:bob@198.51.100.2:5060>", "Contact: <sip:bob@198.51.100.2", 400 },
		{ "Contact: <sip:bob@198.51.100.2:5060>;expires=600", "Contact: <sip:bob@198.51.100.2>;expires=ten", 400 },
		{ "Contact: <sip:bob@198.51.100.2:5060>;expires=600", "Contact: <sip:bob@198.51.100.2>;q=2", 400 },
		{ "Contact: <sip:bob@198.51.100.2:5060>;expires=600", "Contact: <sip:bob@198.51.100.2>,", 400 },
		{ "Contact: <sip:bob@198.51.100.2:5060>;expires=600", "Contact: *, *", 400 },
		/* issue 15 item 10: escapes checked on the raw text, ports are numbers (RFC 3261 25.1) */
		{ "To: <sip:bob@example.com>", "To: <sip:bob%zz@example.com>", 400 },
		{ "To: <sip:bob@example.com>", "To: <sip:bob%0gx@example.com>", 400 },
		{ "Contact: <sip:bob@198.51.100.2:5060>", "Contact: <sip:u@127.0.0.1:50a60>", 400 },
		{ "Contact: <sip:bob@198.51.100.2:5060>", "Contact: <sip:u%zz@127.0.0.1>", 400 },
		{ "Via: SIP/2.0/UDP 198.51.100.2:5060;", "Via: SIP/2.0/UDP 198.51.100.2:50a60;", 400 },
	};
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int st = raw(e, edit(cases[i].from, cases[i].to));
		if (st != cases[i].status)
			fail_msg("case %u (%s): got %d '%s'", i, cases[i].to, st, th_reason(e));
		check_well_formed(e, strncmp(cases[i].to, "Via:", 4) != 0); /* a bad Via cannot be echoed */
	}
	assert_int_equal(e->n_events, 0);
	assert_int_equal(th_binding_count(e, "sip:bob@example.com"), 0);
	unchanged(e, &before);
}

/*
 * Issue 15 items 9 and 10, with the reasons: a NUL outside a quoted string
 * never reaches a binding or a response; a malformed escape is not truncated
 * into another AoR (alice%zz was bound as alice).
 */
static void nul_and_escape_refusals(void **state)
{
	struct th_env *e = *state;
	struct snap before;
	seed(e, &before);
	char buf[1024];
	snprintf(buf, sizeof(buf), "%s", edit("<sip:bob@198.51.100.2:5060>", "<sip:h@10.0.0.1\\#;evil=1>"));
	size_t n = strlen(buf);
	*strchr(buf, '#') = '\0';
	assert_int_equal(th_raw(e, buf, n), 400);
	assert_string_equal(th_reason(e), "NUL or bare CR byte in header");
	check_well_formed(e, true);
	assert_int_equal(raw(e, edit("To: <sip:bob@example.com>", "To: <sip:alice%zz@example.com>")), 400);
	assert_string_equal(th_reason(e), "Malformed To header (bad %-escape)");
	assert_int_equal(raw(e, edit("<sip:bob@198.51.100.2:5060>", "<sip:u@127.0.0.1:50a60>")), 400);
	assert_string_equal(th_reason(e), "Malformed Contact header (bad port)");
	assert_int_equal(e->n_events, 0);
	unchanged(e, &before);
}

static void oversize_values(void **state)
{
	struct th_env *e = *state;
	struct snap before;
	seed(e, &before);
	static char big[8192], msg[70000];
	/* a 5000-byte Contact URI: refused by max_contact_len, naming it */
	memset(big, 'x', 5000);
	big[5000] = '\0';
	snprintf(msg, sizeof(msg), "Contact: <sip:%s@198.51.100.2>;expires=600", big);
	assert_int_equal(raw(e, edit("Contact: <sip:bob@198.51.100.2:5060>;expires=600", msg)), 400);
	assert_string_equal(th_reason(e), "Contact Too Long (max_contact_len)");
	check_well_formed(e, true);
	/* a 5000-byte user in To */
	snprintf(msg, sizeof(msg), "To: <sip:%s@example.com>", big);
	assert_int_equal(raw(e, edit("To: <sip:bob@example.com>", msg)), 400);
	check_well_formed(e, true);
	/* a 5000-byte Call-ID is fine (echoed) */
	snprintf(msg, sizeof(msg), "Call-ID: %s", big);
	assert_int_equal(raw(e, edit("Call-ID: good-call@198.51.100.2", msg)), 200);
	check_well_formed(e, true);
	/* a 60 KB datagram (one big unknown header) is processed normally */
	char pad[61440];
	memset(pad, 'p', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	snprintf(msg, sizeof(msg), "X-Pad: %s\r\nContent-Length: 0", pad);
	const char *m = edit("Content-Length: 0", msg);
	assert_true(strlen(m) > 60000);
	assert_int_equal(raw(e, m), 200);
	check_well_formed(e, true);
	/* a 60 KB Via value is parsed and echoed; same Call-ID and CSeq as above: ordering error */
	size_t n = 0;
	n += (size_t)snprintf(msg + n, sizeof(msg) - n, "Via: SIP/2.0/UDP 198.51.100.2;branch=z9hG4bK-");
	memset(msg + n, 'v', 60000);
	n += 60000;
	msg[n] = '\0';
	int st = raw(e, edit("Via: SIP/2.0/UDP 198.51.100.2:5060;branch=z9hG4bK-good", msg));
	assert_int_equal(st, 500);
	assert_string_equal(th_reason(e), "Out of Order CSeq for This Call-ID");
	check_well_formed(e, true);
	assert_true(e->res.len > 60000);
	unchanged(e, &before);
}

static void every_prefix(void **state)
{
	struct th_env *e = *state;
	struct snap before;
	seed(e, &before);
	size_t len = strlen(GOOD);
	unsigned drops = 0, errors = 0;
	for (size_t n = 0; n < len; n++) {
		char *copy = malloc(n ? n : 1); /* exactly n bytes for ASan */
		memcpy(copy, GOOD, n);
		int st = th_raw(e, copy, n);
		free(copy);
		if (st == 0) {
			assert_int_equal(e->res.drop, SR_DROP_GARBAGE);
			drops++;
		} else {
			/* "SIP/2" (a cut version) is an unsupported version */
			if (st != 400 && st != 505)
				fail_msg("prefix %zu: %d", n, st);
			check_well_formed(e, false);
			errors++;
		}
	}
	assert_true(drops > 0 && errors > 0);
	assert_int_equal(th_binding_count(e, "sip:bob@example.com"), 0);
	assert_int_equal(e->n_events, 0);
	unchanged(e, &before);
}

static void random_datagrams(void **state)
{
	struct th_env *e = *state;
	struct snap before;
	seed(e, &before);
	struct sr_reg_stats st0, st1;
	sr_reg_get_stats(e->shard, &st0);
	srand(4475);
	static unsigned char buf[1500];
	unsigned silent = 0;
	for (int i = 0; i < 10000; i++) {
		size_t n = 1 + (size_t)rand() % sizeof(buf);
		for (size_t k = 0; k < n; k++)
			buf[k] = (unsigned char)rand();
		if (th_raw(e, (const char *)buf, n) == 0)
			silent++;
		else
			check_well_formed(e, false);
	}
	sr_reg_get_stats(e->shard, &st1);
	assert_int_equal(silent, 10000); /* random bytes never look like SIP */
	assert_int_equal(st1.drops[SR_DROP_GARBAGE] - st0.drops[SR_DROP_GARBAGE], 10000);
	assert_int_equal(st1.requests - st0.requests, 10000);
	unchanged(e, &before);
}

/* Bit flips, byte insertions and deletions in a valid REGISTER. */
static void mutated_registers(void **state)
{
	struct th_env *e = *state;
	struct snap before;
	seed(e, &before);
	srand(3261);
	size_t len = strlen(GOOD);
	static char buf[1024];
	unsigned answered = 0;
	for (int i = 0; i < 10000; i++) {
		memcpy(buf, GOOD, len);
		size_t n = len;
		int edits = 1 + rand() % 4;
		for (int k = 0; k < edits; k++) {
			size_t at = (size_t)rand() % n;
			switch (rand() % 3) {
			case 0: buf[at] = (char)rand(); break;
			case 1: memmove(buf + at, buf + at + 1, n - at - 1); n--; break;
			default:
				if (n + 1 < sizeof(buf)) {
					memmove(buf + at + 1, buf + at, n - at);
					buf[at] = "\r\n,;<>\":% \0"[rand() % 11];
					n++;
				}
			}
		}
		int st = th_raw(e, buf, n);
		if (st) {
			answered++;
			check_well_formed(e, false);
		}
	}
	assert_true(answered > 1000);
	/* alice's bindings are not named by any of them (they all talk about bob) */
	struct snap after;
	snapshot(e, &after);
	assert_memory_equal(&after, &before, sizeof(after));
}

static void hundred_vias(void **state)
{
	struct th_env *e = *state;
	static char msg[20000], vias[16000];
	size_t n = 0;
	for (int i = 0; i < 100; i++)
		n += (size_t)snprintf(vias + n, sizeof(vias) - n, "Via: SIP/2.0/UDP p%d.example.com;branch=z9hG4bK-%d\r\n", i, i);
	snprintf(msg, sizeof(msg), "%s", edit("Via: SIP/2.0/UDP 198.51.100.2:5060;branch=z9hG4bK-good\r\n", vias));
	assert_int_equal(raw(e, msg), 400);
	assert_string_equal(th_reason(e), "Too many Via headers");
	check_well_formed(e, true);
	assert_int_equal(th_header_count(e, "Via"), SR_SIP_MAX_VIA);
	assert_non_null(strstr(th_header(e, "Via", 0), "p0.example.com"));
	/* up to the limit they are all echoed in order, in a 200 */
	n = 0;
	for (int i = 0; i < SR_SIP_MAX_VIA; i++)
		n += (size_t)snprintf(vias + n, sizeof(vias) - n, "v: SIP/2.0/UDP p%d.example.com;branch=z9hG4bK-%d\r\n", i, i);
	snprintf(msg, sizeof(msg), "%s", edit("Via: SIP/2.0/UDP 198.51.100.2:5060;branch=z9hG4bK-good\r\n", vias));
	assert_int_equal(raw(e, msg), 200);
	check_well_formed(e, true);
	assert_int_equal(th_header_count(e, "Via"), SR_SIP_MAX_VIA);
	assert_non_null(strstr(th_header(e, "Via", SR_SIP_MAX_VIA - 1), "p69.example.com"));
}

static void deep_comma_lists(void **state)
{
	struct th_env *e = *state;
	struct snap before;
	seed(e, &before);
	static char list[80000], hdr[81000];
	size_t n = 0;
	/* 2000 contacts in one header */
	for (int i = 0; i < 2000; i++)
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s<sip:c%d@198.51.100.2>", i ? "," : "", i);
	snprintf(hdr, sizeof(hdr), "Contact: %s", list);
	assert_int_equal(raw(e, edit("Contact: <sip:bob@198.51.100.2:5060>;expires=600", hdr)), 400);
	assert_string_equal(th_reason(e), "Too many Contact values");
	check_well_formed(e, true);
	/* 10000 empty elements */
	memset(list, ',', 10000);
	list[10000] = '\0';
	snprintf(hdr, sizeof(hdr), "Contact: %s", list);
	assert_int_equal(raw(e, edit("Contact: <sip:bob@198.51.100.2:5060>;expires=600", hdr)), 400);
	check_well_formed(e, true);
	/* 10000 one-letter unknown Require tags: 420, Unsupported bounded */
	n = 0;
	for (int i = 0; i < 10000; i++)
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%sz", i ? "," : "");
	snprintf(hdr, sizeof(hdr), "Require: %s\r\nContent-Length: 0", list);
	assert_int_equal(raw(e, edit("Content-Length: 0", hdr)), 420);
	check_well_formed(e, true);
	assert_true(strlen(th_header(e, "Unsupported", 0)) <= 256);
	assert_string_equal(th_header(e, "Unsupported", 0) + strlen(th_header(e, "Unsupported", 0)) - 4, "z, z");
	/* 5000 Via values in one header */
	n = 0;
	for (int i = 0; i < 4000; i++)
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%sSIP/2.0/UDP h", i ? "," : "");
	snprintf(hdr, sizeof(hdr), "Via: %s", list);
	assert_int_equal(raw(e, edit("Via: SIP/2.0/UDP 198.51.100.2:5060;branch=z9hG4bK-good", hdr)), 400);
	check_well_formed(e, true);
	/* nested brackets and quotes that never close */
	memset(list, '<', 20000);
	list[20000] = '\0';
	snprintf(hdr, sizeof(hdr), "Contact: %s", list);
	assert_int_equal(raw(e, edit("Contact: <sip:bob@198.51.100.2:5060>;expires=600", hdr)), 400);
	memset(list, '"', 20001);
	list[20001] = '\0';
	snprintf(hdr, sizeof(hdr), "Contact: %s", list);
	assert_int_equal(raw(e, edit("Contact: <sip:bob@198.51.100.2:5060>;expires=600", hdr)), 400);
	assert_int_equal(e->n_events, 0);
	unchanged(e, &before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, th_setup, th_teardown)
		T(missing_headers_name_it),
		T(cseq_method_mismatch),
		T(bad_uris),
		T(nul_and_escape_refusals),
		T(oversize_values),
		T(every_prefix),
		T(random_datagrams),
		T(mutated_registers),
		T(hundred_vias),
		T(deep_comma_lists),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
