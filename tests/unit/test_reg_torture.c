/*
 * test_reg_torture.c - every RFC 4475 and RFC 5118 message through sr_reg_process.
 *
 * The files come bit-exact from $SR_TESTDATA (rfc4475/NAME.dat, rfc5118/NAME) and
 * all go through ONE shard, in sorted order, so state left behind by one
 * message is seen by the next (as in production). For each file the table
 * below names the expected outcome class; a file on disk that is missing
 * from the table (or the reverse) fails, so a new test message or a change
 * of behaviour shows up as a named failure. Every response must be a
 * complete, well-formed SIP response; nothing may crash or leak (ASan/LSan).
 *
 * Set SR_TORTURE_PRINT=1 to print what each file actually got.
 */
#include "reg_harness.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum outcome {
	OK_REGISTER,      /* 200 to a REGISTER that binds the listed contacts */
	OK_FETCH,         /* 200 to a REGISTER without Contact */
	OK_OPTIONS,       /* 200 to OPTIONS */
	OTHER_METHOD_405, /* a valid request we do not serve */
	ERROR_400,
	ERROR_404,
	ERROR_416,
	ERROR_420,
	ERROR_505,
	DROPPED,          /* not SIP at all: no response, SR_DROP_GARBAGE */
	ABSORBED,         /* a SIP response: no response, SR_DROP_RESPONSE */
};

static const char *const outcome_name[] = {
	"OK_REGISTER", "OK_FETCH", "OK_OPTIONS", "OTHER_METHOD_405", "ERROR_400",
	"ERROR_404",   "ERROR_416", "ERROR_420", "ERROR_505", "DROPPED",          "ABSORBED",
};

struct expect {
	const char *dir, *file;
	enum outcome outcome;
	bool invalid;          /* an invalid message (RFC 4475 3.1.2, RFC 5118 bad ones): never 200 */
	const char *aor;       /* OK_REGISTER / OK_FETCH: canonical AoR */
	const char *contacts[2]; /* OK_REGISTER: contact URIs that must be bound, as sent */
	const char *note;
};

/* clang-format off */
static const struct expect table[] = {
	/* RFC 4475 3.1.1: valid messages. */
	{ "rfc4475", "cparam01.dat", OK_REGISTER, false, "sip:watson@example.com",
	  { "sip:+19725552222@gw1.example.net" }, "unknownparam is a contact parameter" },
	{ "rfc4475", "cparam02.dat", OK_REGISTER, false, "sip:watson@example.com",
	  { "sip:+19725552222@gw1.example.net;unknownparam" }, "unknownparam is a URI parameter" },
	{ "rfc4475", "dblreq.dat", OK_REGISTER, false, "sip:j.user@example.com",
	  { "sip:j.user@host.example.com" }, "bytes past Content-Length ignored" },
	{ "rfc4475", "esc01.dat", OTHER_METHOD_405, false, NULL, { 0 }, "escaped URIs, INVITE" },
	{ "rfc4475", "esc02.dat", OTHER_METHOD_405, false, NULL, { 0 }, "RE%47IST%45R is not REGISTER" },
	/*
	 * Valid, but libosip2 unescapes %00 into C strings, which would cut the AoR to
	 * "sip:null-@example.com" (an AoR hijack); refused until URI fields carry lengths.
	 */
	{ "rfc4475", "escnull.dat", ERROR_400, false, NULL, { 0 }, "escaped NUL in URIs: refused" },
	{ "rfc4475", "intmeth.dat", OTHER_METHOD_405, false, NULL, { 0 }, "odd method, NUL in quoted string" },
	{ "rfc4475", "longreq.dat", OTHER_METHOD_405, false, NULL, { 0 }, "long values" },
	{ "rfc4475", "lwsdisp.dat", OK_OPTIONS, false, NULL, { 0 }, "no LWS before <" },
	{ "rfc4475", "mpart01.dat", OTHER_METHOD_405, false, NULL, { 0 }, "MESSAGE, binary body" },
	{ "rfc4475", "noreason.dat", ABSORBED, false, NULL, { 0 }, "response without reason" },
	{ "rfc4475", "semiuri.dat", OK_OPTIONS, false, NULL, { 0 }, "';' in the user part" },
	{ "rfc4475", "transports.dat", OK_OPTIONS, false, NULL, { 0 }, "five Vias, odd transports" },
	{ "rfc4475", "unreason.dat", ABSORBED, false, NULL, { 0 }, "UTF-8 reason phrase" },
	{ "rfc4475", "wsinv.dat", OTHER_METHOD_405, false, NULL, { 0 }, "white space everywhere" },
	/* RFC 4475 3.1.2: invalid messages. */
	{ "rfc4475", "badaspec.dat", ERROR_400, true, NULL, { 0 }, "spaces in addr-spec" },
	{ "rfc4475", "baddn.dat", ERROR_400, true, NULL, { 0 }, "unquoted display name with ','" },
	{ "rfc4475", "badinv01.dat", ERROR_400, true, NULL, { 0 }, "empty Via values" },
	{ "rfc4475", "badvers.dat", ERROR_505, true, NULL, { 0 }, "SIP/7.0" },
	{ "rfc4475", "bcast.dat", ABSORBED, false, NULL, { 0 }, "response with 255.255.255.255 Via" },
	{ "rfc4475", "bigcode.dat", ABSORBED, true, NULL, { 0 }, "status code too large" },
	{ "rfc4475", "clerr.dat", ERROR_400, true, NULL, { 0 }, "Content-Length beyond the datagram" },
	{ "rfc4475", "escruri.dat", ERROR_400, true, NULL, { 0 }, "headers in the Request-URI" },
	{ "rfc4475", "insuf.dat", ERROR_400, true, NULL, { 0 }, "missing From/To/Call-ID" },
	{ "rfc4475", "ltgtruri.dat", ERROR_400, true, NULL, { 0 }, "<> around the Request-URI" },
	{ "rfc4475", "lwsruri.dat", ERROR_400, true, NULL, { 0 }, "LWS in the Request-URI" },
	{ "rfc4475", "lwsstart.dat", ERROR_400, true, NULL, { 0 }, "several SP in the Request-Line" },
	{ "rfc4475", "mcl01.dat", ERROR_400, true, NULL, { 0 }, "two Content-Length" },
	{ "rfc4475", "mismatch01.dat", ERROR_400, true, NULL, { 0 }, "CSeq method mismatch" },
	{ "rfc4475", "mismatch02.dat", ERROR_400, true, NULL, { 0 }, "unknown method, CSeq mismatch" },
	{ "rfc4475", "multi01.dat", ERROR_400, true, NULL, { 0 }, "duplicated single headers" },
	{ "rfc4475", "ncl.dat", ERROR_400, true, NULL, { 0 }, "negative Content-Length" },
	{ "rfc4475", "quotbal.dat", ERROR_400, true, NULL, { 0 }, "unterminated quote in To" },
	{ "rfc4475", "regbadct.dat", ERROR_400, true, NULL, { 0 }, "'?' in an unbracketed Contact" },
	{ "rfc4475", "scalar02.dat", ERROR_400, true, NULL, { 0 }, "CSeq beyond 2**31" },
	{ "rfc4475", "scalarlg.dat", ABSORBED, true, NULL, { 0 }, "response with huge scalars" },
	{ "rfc4475", "test.dat", DROPPED, true, NULL, { 0 }, "no SIP version: not a SIP request" },
	{ "rfc4475", "trws.dat", ERROR_400, true, NULL, { 0 }, "trailing SP after the version" },
	{ "rfc4475", "zeromf.dat", OK_OPTIONS, false, NULL, { 0 }, "Max-Forwards: 0 to us" },
	/* RFC 4475 3.3 / 3.4: transaction and application layer. */
	{ "rfc4475", "badbranch.dat", OK_OPTIONS, false, NULL, { 0 }, "branch is only the cookie" },
	{ "rfc4475", "baddate.dat", OTHER_METHOD_405, false, NULL, { 0 }, "non-GMT Date (unused)" },
	{ "rfc4475", "bext01.dat", ERROR_420, false, NULL, { 0 }, "unknown Require tags, both listed" },
	{ "rfc4475", "inv2543.dat", OTHER_METHOD_405, false, NULL, { 0 }, "RFC 2543 style INVITE" },
	{ "rfc4475", "invut.dat", OTHER_METHOD_405, false, NULL, { 0 }, "unknown body type" },
	{ "rfc4475", "novelsc.dat", ERROR_416, false, NULL, { 0 }, "novel Request-URI scheme" },
	{ "rfc4475", "regaut01.dat", OK_FETCH, false, "sip:j.user@example.com", { 0 },
	  "unknown Authorization scheme, no auth hook" },
	{ "rfc4475", "regescrt.dat", OK_REGISTER, false, "sip:user@example.com",
	  { "sip:user@example.com?Route=%3Csip:sip.example.com%3E" }, "escaped header in Contact" },
	{ "rfc4475", "sdp01.dat", OTHER_METHOD_405, false, NULL, { 0 }, "unacceptable Accept" },
	{ "rfc4475", "unkscm.dat", ERROR_416, false, NULL, { 0 }, "unknown Request-URI scheme" },
	{ "rfc4475", "unksm2.dat", ERROR_416, false, NULL, { 0 }, "isbn: in To" },
	/* RFC 5118. */
	{ "rfc5118", "ipv4-mapped-ipv6", OTHER_METHOD_405, false, NULL, { 0 }, NULL },
	{ "rfc5118", "ipv6-bad", ERROR_400, true, NULL, { 0 }, "IPv6 R-URI without brackets" },
	/* These two files end without the blank line after the headers (LF-only, truncated). */
	{ "rfc5118", "ipv6-bug-abnf-3-colons", ERROR_400, false, NULL, { 0 }, "no end of headers" },
	{ "rfc5118", "ipv6-correct-abnf-2-colons", ERROR_400, false, NULL, { 0 }, "no end of headers" },
	{ "rfc5118", "ipv6-good", OK_REGISTER, false, "sip:user@example.com",
	  { "sip:caller@[2001:db8::1]" }, NULL },
	/* LF-only files: the body is shorter than the Content-Length (counted with CRLF). */
	{ "rfc5118", "ipv6-in-sdp", ERROR_400, false, NULL, { 0 }, "Content-Length beyond the datagram" },
	{ "rfc5118", "mult-ip-in-header", OTHER_METHOD_405, false, NULL, { 0 }, NULL },
	{ "rfc5118", "mult-ip-in-sdp", ERROR_400, false, NULL, { 0 }, "Content-Length beyond the datagram" },
	{ "rfc5118", "port-ambiguous", ERROR_404, false, NULL, { 0 }, "host [2001:db8::10:5070] not served" },
	{ "rfc5118", "port-unambiguous", OK_REGISTER, false, "sip:user@example.com",
	  { "sip:caller@[2001:db8::1]" }, "a retransmission of ipv6-good: answered from state" },
	{ "rfc5118", "via-received-param-no-delim", OK_OPTIONS, false, NULL, { 0 }, NULL },
	{ "rfc5118", "via-received-param-with-delim", OTHER_METHOD_405, false, NULL, { 0 }, NULL },
};
/* clang-format on */

#define N_TABLE (sizeof(table) / sizeof(table[0]))

static const struct expect *lookup(const char *dir, const char *file)
{
	for (size_t i = 0; i < N_TABLE; i++)
		if (strcmp(table[i].dir, dir) == 0 && strcmp(table[i].file, file) == 0)
			return &table[i];
	return NULL;
}

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = malloc(65536);
	size_t n = buf ? fread(buf, 1, 65536, f) : 0;
	fclose(f);
	*len = n;
	return buf;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted file names of a directory (without SHA256SUMS and dot files). */
static unsigned list_dir(const char *path, char **names, unsigned cap)
{
	DIR *d = opendir(path);
	if (!d)
		return 0;
	unsigned n = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL && n < cap) {
		if (de->d_name[0] == '.' || strcmp(de->d_name, "SHA256SUMS") == 0)
			continue;
		names[n++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_names);
	return n;
}

/* Does the request have a header line called name (or compact c)? */
static bool req_has_header(const char *req, size_t len, const char *name, char compact)
{
	size_t nl = strlen(name);
	for (const char *p = req; p < req + len;) {
		const char *lf = memchr(p, '\n', (size_t)(req + len - p));
		if (!lf)
			break;
		const char *line = lf + 1;
		size_t left = (size_t)(req + len - line);
		if (left == 0 || *line == '\r' || *line == '\n')
			break;
		if (left > nl && strncasecmp(line, name, nl) == 0 && (line[nl] == ':' || line[nl] == ' '))
			return true;
		if (left > 1 && compact && (line[0] | 0x20) == compact && (line[1] == ':' || line[1] == ' '))
			return true;
		p = line;
	}
	return false;
}

/*
 * A complete SIP response: status line "SIP/2.0 NNN reason" matching
 * res.status, header lines "Name: value" ending in CRLF, Content-Length: 0
 * as the last header, then the blank line and nothing after it.
 */
static void check_well_formed(struct th_env *e, const char *what)
{
	const char *r = e->resp;
	size_t len = e->res.len;
	char status[8];
	snprintf(status, sizeof(status), "%03d ", e->res.status);
	if (len < 20 || strncmp(r, "SIP/2.0 ", 8) != 0 || strncmp(r + 8, status, 4) != 0)
		fail_msg("%s: bad status line in '%.60s'", what, r);
	const char *tail = "\r\nContent-Length: 0\r\n\r\n";
	if (len < strlen(tail) || strcmp(r + len - strlen(tail), tail) != 0)
		fail_msg("%s: response does not end with Content-Length: 0 and CRLF CRLF", what);
	/* a NUL may only be echoed as a quoted-pair (RFC 4475 intmeth has one in To) */
	for (const char *z = r; (z = memchr(z, '\0', (size_t)(r + len - z))) != NULL; z++)
		if (z == r || z[-1] != '\\')
			fail_msg("%s: bare NUL byte inside the response", what);
	const char *p = strstr(r, "\r\n") + 2;
	while (p < r + len - 2) {
		const char *end = memmem(p, (size_t)(r + len - p), "\r\n", 2);
		assert_non_null(end);
		const char *colon = memchr(p, ':', (size_t)(end - p));
		if (!colon || colon == p || colon[1] != ' ')
			fail_msg("%s: bad header line '%.*s'", what, (int)(end - p), p);
		for (const char *q = p; q < end; q++)
			if (*q == '\r' || *q == '\n')
				fail_msg("%s: bare CR/LF in a header line", what);
		p = end + 2;
	}
}

struct counts {
	unsigned files, registers_ok;
};

static void run_file(struct th_env *e, const char *dir, const char *name, struct counts *cnt,
		     bool print)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s/%s", getenv("SR_TESTDATA"), dir, name);
	size_t len = 0;
	char *req = read_all(path, &len);
	assert_non_null(req);
	cnt->files++;
	const struct expect *x = lookup(dir, name);
	e->n_events = 0;
	int st = th_raw(e, req, len);
	if (print)
		printf("%-8s %-30s status=%d drop=%d reason='%s' events=%u\n", dir, name, st, e->res.drop,
		       e->res.reason ? e->res.reason : "", e->n_events);
	if (print) {
		free(req);
		return;
	}
	char what[512];
	snprintf(what, sizeof(what), "%s/%s (expected %s)", dir, name,
		 x ? outcome_name[x->outcome] : "?");
	if (!x)
		fail_msg("%s/%s is not in the expectation table", dir, name);

	if (st)
		check_well_formed(e, what);
	/* Via echoed when the request has one (a 400 for a malformed Via cannot echo it) */
	if (st && req_has_header(req, len, "Via", 'v') && !th_header(e, "Via", 0) &&
	    !strstr(th_reason(e), "Via"))
		fail_msg("%s: the request's Via is not echoed", what);
	if (x->invalid && st >= 200 && st < 300)
		fail_msg("%s: an invalid message got %d", what, st);
	if (x->invalid && e->n_events)
		fail_msg("%s: an invalid message changed bindings", what);

	int want = 0;
	switch (x->outcome) {
	case OK_REGISTER:
	case OK_FETCH:
	case OK_OPTIONS: want = 200; break;
	case OTHER_METHOD_405: want = 405; break;
	case ERROR_400: want = 400; break;
	case ERROR_404: want = 404; break;
	case ERROR_416: want = 416; break;
	case ERROR_420: want = 420; break;
	case ERROR_505: want = 505; break;
	case DROPPED:
	case ABSORBED: want = 0; break;
	}
	if (st != want)
		fail_msg("%s: got status %d ('%s', drop %d)", what, st, th_reason(e), e->res.drop);
	if (x->outcome == DROPPED && e->res.drop != SR_DROP_GARBAGE)
		fail_msg("%s: dropped for reason %d", what, e->res.drop);
	if (x->outcome == ABSORBED && e->res.drop != SR_DROP_RESPONSE)
		fail_msg("%s: dropped for reason %d", what, e->res.drop);
	if (x->outcome == ERROR_420)
		assert_string_equal(th_header(e, "Unsupported", 0),
				    "nothingSupportsThis, nothingSupportsThisEither");
	if (x->outcome == OTHER_METHOD_405) /* memmem: the response may hold an echoed quoted-pair NUL */
		assert_non_null(memmem(e->resp, e->res.len, "\r\nAllow: REGISTER, OPTIONS\r\n",
				       sizeof("\r\nAllow: REGISTER, OPTIONS\r\n") - 1));
	if (x->outcome == OK_REGISTER) {
		cnt->registers_ok++;
		unsigned want_n = 0;
		for (unsigned i = 0; i < 2 && x->contacts[i]; i++) {
			want_n++;
			/* bound in the table and listed in the 200 */
			bool bound = false;
			for (unsigned j = 0; j < th_binding_count(e, x->aor); j++)
				bound |= strcmp(th_field(th_binding(e, x->aor, j), SR_BF_CONTACT),
						x->contacts[i]) == 0;
			if (!bound)
				fail_msg("%s: %s not bound to %s", what, x->contacts[i], x->aor);
			bool listed = false;
			char want_hdr[512];
			snprintf(want_hdr, sizeof(want_hdr), "<%s>", x->contacts[i]);
			for (unsigned j = 0; j < th_header_count(e, "Contact"); j++)
				listed |= strncmp(th_header(e, "Contact", j), want_hdr, strlen(want_hdr)) == 0;
			if (!listed)
				fail_msg("%s: %s not listed in the 200", what, x->contacts[i]);
		}
		assert_true(th_header_count(e, "Contact") >= want_n);
	}
	if (x->outcome == OK_FETCH) {
		assert_int_equal(e->n_events, 0);
		assert_int_equal(th_header_count(e, "Contact"), th_binding_count(e, x->aor));
	}
	if (x->outcome != OK_REGISTER)
		assert_int_equal(e->n_events, 0);
	free(req);
}

static void config(struct sr_reg_config *cfg)
{
	th_default_config(cfg);
	/* the IPv6 REGISTERs of RFC 5118 are sent to the registrar's address literal */
	assert_int_equal(sr_reg_config_add_domain(cfg, "[2001:db8::10]"), 0);
}

static void every_message(void **state)
{
	(void)state;
	const char *td = getenv("SR_TESTDATA");
	assert_non_null(td);
	bool print = getenv("SR_TORTURE_PRINT") != NULL;
	struct sr_reg_config cfg;
	config(&cfg);
	struct th_env *e = th_env_new(&cfg, NULL);
	assert_non_null(e);
	static const char *const dirs[] = { "rfc4475", "rfc5118" };
	struct counts cnt = { 0, 0 };
	unsigned per_dir[2] = { 0, 0 };
	for (unsigned d = 0; d < 2; d++) {
		char path[1024], *names[256];
		snprintf(path, sizeof(path), "%s/%s", td, dirs[d]);
		unsigned n = list_dir(path, names, 256);
		per_dir[d] = n;
		for (unsigned i = 0; i < n; i++) {
			run_file(e, dirs[d], names[i], &cnt, print);
			free(names[i]);
		}
	}
	/* README: 50 RFC 4475 messages, 12 RFC 5118 ones. */
	assert_int_equal(per_dir[0], 50);
	assert_int_equal(per_dir[1], 12);
	assert_int_equal(cnt.registers_ok, 6);

	/* Every table row names a file that exists. */
	for (size_t i = 0; i < N_TABLE; i++) {
		char path[1024];
		snprintf(path, sizeof(path), "%s/%s/%s", td, table[i].dir, table[i].file);
		FILE *f = fopen(path, "rb");
		if (!f)
			fail_msg("table row %s/%s: no such file", table[i].dir, table[i].file);
		fclose(f);
	}

	/* The shard still works: register, fetch, remove. */
	e->n_events = 0;
	assert_int_equal(th_register(e, "after", "<sip:after@198.51.100.2>", "after-1", 1), 200);
	assert_int_equal(th_binding_count(e, "sip:after@example.com"), 1);
	assert_int_equal(th_register(e, "after", NULL, "after-1", 2), 200);
	assert_string_equal(th_header(e, "Contact", 0), "<sip:after@198.51.100.2>;expires=3600");
	assert_int_equal(th_register(e, "after", "<sip:after@198.51.100.2>;expires=0", "after-1", 3), 200);
	assert_int_equal(th_binding_count(e, "sip:after@example.com"), 0);
	struct sr_reg_stats st;
	sr_reg_get_stats(e->shard, &st);
	assert_int_equal(st.requests, cnt.files + 3);
	th_env_free(e);
}

/* Each message alone in a fresh shard gets the same class (no dependence on order, except the retransmission). */
static void each_message_alone(void **state)
{
	(void)state;
	const char *td = getenv("SR_TESTDATA");
	assert_non_null(td);
	static const char *const dirs[] = { "rfc4475", "rfc5118" };
	struct sr_reg_config cfg;
	config(&cfg);
	struct counts cnt = { 0, 0 };
	for (unsigned d = 0; d < 2; d++) {
		char path[1024], *names[256];
		snprintf(path, sizeof(path), "%s/%s", td, dirs[d]);
		unsigned n = list_dir(path, names, 256);
		for (unsigned i = 0; i < n; i++) {
			struct th_env *e = th_env_new(&cfg, NULL);
			assert_non_null(e);
			run_file(e, dirs[d], names[i], &cnt, false);
			/* and a second time: a retransmission gets the same status */
			int first = e->res.status;
			size_t first_len = e->res.len;
			snprintf(path, sizeof(path), "%s/%s/%s", td, dirs[d], names[i]);
			size_t len;
			char *req = read_all(path, &len);
			assert_int_equal(th_raw(e, req, len), first_len ? first : 0);
			free(req);
			th_env_free(e);
			free(names[i]);
		}
	}
	assert_int_equal(cnt.registers_ok, 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_message),
		cmocka_unit_test(each_message_alone),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
