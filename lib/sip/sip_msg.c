/*
 * sip_msg.c - the one walker over a SIP message (see sip_msg.h).
 *
 * Framing is decided here, once, for both paths and for the owner pre-scan:
 * leading CRLFs are skipped (RFC 3261 7.5), the start line is split, header
 * lines are found with their continuation lines (7.3.1 folding), a NUL is
 * accepted only as a quoted-pair inside a quoted string and a CR only as
 * part of a line end, the header name is matched against the short table of
 * headers the registrar reads (long and compact forms, case-insensitively);
 * every other header is skipped without a copy. Values go to sip_hdr.c:
 * the fast parsers, or libosip2's. The body length comes from
 * Content-Length.
 *
 * The fast path stops at the first thing it does not take (SR_SIP_SLOW)
 * and the message is walked again on the libosip2 path from the start:
 * that is rare, and restarting keeps the two paths independent. The
 * libosip2 path reports the first error, but walks on after a bad value so
 * a Via, Call-ID or CSeq further down still reaches the 400 (framing
 * errors stop at once); what it found stays filled.
 *
 * sr_sip_scan_owner() is the same walk stopped at the owner field; instead
 * of parsing the values it passes it records where they are
 * (struct sr_sip_scan), so the owner's fast walk resumes there without
 * finding those lines again.
 */
#include "sip_msg.h"

#include "sip_hdr.h"
#include "sip_line.h"

#include <stddef.h>
#include <string.h>

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

static int fail(struct sr_sip_error *err, int status, const char *reason)
{
	err->status = status;
	err->reason = reason;
	return SR_SIP_BAD;
}

/* ---- the start line ---- */

static int status_line(struct sr_sip_msg *m, struct sr_str line)
{
	/* "SIP/2.0 200 OK": we only need to know it is a response. */
	if (line.len < 12 || line.p[7] != ' ')
		return SR_SIP_DROP;
	int code = 0;
	for (int i = 8; i < 11; i++) {
		if (line.p[i] < '0' || line.p[i] > '9')
			return SR_SIP_DROP;
		code = code * 10 + (line.p[i] - '0');
	}
	m->is_request = false;
	m->status = code;
	return SR_SIP_OK;
}

static bool is_response(struct sr_str line)
{
	return line.len >= 8 && sr_sip_lower_eq(line.p, 8, "sip/2.0 ", 8);
}

/*
 * The request line's framing: method, Request-URI text, version. Returns
 * SR_SIP_DROP when it is not a SIP request line at all, SR_SIP_BAD for a
 * SIP request line we refuse, SR_SIP_OK.
 */
static int request_line(struct sr_str line, struct sr_str *method, struct sr_str *ruri, struct sr_sip_error *err)
{
	const char *p = line.p, *end = line.p + line.len;
	const char *text_end = end; /* without trailing white space (refused once it is known to be SIP) */
	while (text_end > p && is_wsp(text_end[-1]))
		text_end--;
	end = text_end;
	const char *sp1 = memchr(p, ' ', (size_t)(end - p));
	if (!sp1 || sp1 == p)
		return SR_SIP_DROP;
	if (sr_sip_span(p, (size_t)(sp1 - p), SR_CH_TOKEN) != (size_t)(sp1 - p))
		return SR_SIP_DROP;
	/* The version is the last word; the Request-URI is what lies between (no spaces allowed). */
	const char *last = memrchr(sp1, ' ', (size_t)(end - sp1)); /* sp1 itself at worst */
	const char *sp2 = last + 1;
	if (sp2 <= sp1 + 1)
		return SR_SIP_DROP;
	struct sr_str version = sr_str_make(sp2, (size_t)(end - sp2));
	if (version.len < 4 || !sr_sip_lower_eq(version.p, 4, "sip/", 4))
		return SR_SIP_DROP;
	*method = sr_str_make(p, (size_t)(sp1 - p));
	*ruri = sr_str_make(sp1 + 1, (size_t)(sp2 - 1 - (sp1 + 1)));
	if (!sr_sip_lower_eq(version.p, version.len, "sip/2.0", 7))
		return fail(err, 505, "SIP Version Not Supported");
	if (text_end != line.p + line.len)
		return fail(err, 400, "Malformed Request-Line (trailing white space)");
	return SR_SIP_OK;
}

/* ---- header lines ---- */

/*
 * A NUL byte in a header line is only legal as a quoted-pair ("\\" %x00
 * inside a quoted string, RFC 3261 25.1; RFC 4475 intmeth has one).
 * Anywhere else it would be stored and echoed (a Contact URI, a display
 * name outside quotes), so the message is refused. Nor may a CR stand
 * anywhere but before the LF of a (folded) line: it would be echoed into the
 * response. Runs only for lines the scanner flagged. (The body may hold
 * anything: it is never parsed.)
 */
static bool odd_bytes_ok(const char *p, const char *end)
{
	bool quoted = false;
	for (const char *q = p; q < end; q++) {
		char c = *q;
		if (c == '\r' && (q + 1 >= end || q[1] != '\n'))
			return false;
		if (c == '\0')
			return false;
		if (!quoted) {
			quoted = c == '"';
		} else if (c == '\\' && q + 1 < end && q[1] != '\r' && q[1] != '\n') {
			q++; /* a quoted-pair: the next byte, a NUL included, is literal */
		} else if (c == '"') {
			quoted = false;
		}
	}
	return true;
}

/* One header line as the walker found it. */
struct hline {
	const char *start;  /* its first byte */
	const char *next;   /* the first byte after it and its continuation lines */
	enum sr_hdr_id id;
	struct sr_str value; /* after the colon to the end of the last continuation, untrimmed */
	bool folded, odd;
};

enum { LINE_END_OF_HEADERS = 0, LINE_HEADER = 1 };

/*
 * Reads the header line at p. Returns LINE_HEADER (h filled),
 * LINE_END_OF_HEADERS at the empty line (*body = the byte after it), or
 * SR_SIP_BAD for a framing error. Inlined into both walks (the owner's and
 * the pre-scan's): the call and its register saves cost about 14
 * instructions per line, 180 per REGISTER (callgrind, bench_core).
 */
static inline __attribute__((always_inline)) int next_line(const char *p, const char *end, struct hline *h,
							   const char **body, struct sr_sip_error *err)
{
	struct sr_line l;
	if (p >= end)
		return fail(err, 400, "Truncated message (no end of headers)");
	sr_line_scan(p, end, &l);
	if (l.end == p && l.has_lf) {
		*body = l.next;
		return LINE_END_OF_HEADERS;
	}
	if (!l.has_lf)
		return fail(err, 400, "Truncated message (no end of headers)");
	if (is_wsp(*p))
		return fail(err, 400, "Malformed header line (continuation without a header)");
	const char *le = l.end;
	h->odd = l.odd;
	h->folded = false;
	while (l.next < end && is_wsp(*l.next)) {
		h->folded = true;
		sr_line_scan(l.next, end, &l);
		le = l.end;
		h->odd |= l.odd;
	}
	h->start = p;
	h->next = l.next;
	if (h->odd && !odd_bytes_ok(p, le))
		return fail(err, 400, "NUL or bare CR byte in header");
	/*
	 * The name: token characters, white space, the colon. A name the
	 * registrar reads is recognised from its first 16 bytes at once (its
	 * bytes are then token characters by construction); any other name is
	 * checked byte by byte.
	 */
	struct sr_hdr_key key;
	size_t name_len = sr_line_name_end(p, end);
	h->id = SR_HDR_OTHER;
	if (name_len && name_len < 16 && name_len <= (size_t)(le - p)) {
		sr_hdr_key_wide(&key, p, name_len);
		h->id = sr_hdr_lookup_key(&key);
	}
	if (h->id == SR_HDR_OTHER)
		name_len = sr_sip_span(p, (size_t)(le - p), SR_CH_TOKEN);
	const char *q = p + name_len;
	while (q < le && is_wsp(*q))
		q++;
	if (q == le || (*q != ':' && !memchr(q, ':', (size_t)(le - q))))
		return fail(err, 400, "Malformed header line (no colon)");
	if (*q != ':')
		return fail(err, 400, "Malformed header name");
	if (name_len == 0)
		return fail(err, 400, "Malformed header line (empty name)");
	if (h->id == SR_HDR_OTHER) { /* a name not recognised above: the long ones, near the end */
		if (end - p >= 16)
			sr_hdr_key_wide(&key, p, name_len);
		else
			sr_hdr_key_narrow(&key, p, name_len);
		h->id = sr_hdr_lookup_key(&key);
		if (!sr_hdr_tail_is(h->id, p, name_len))
			h->id = SR_HDR_OTHER;
	}
	/* the value without the white space around it (the folded kind is unfolded later) */
	for (q++; q < le && is_wsp(*q); q++)
		;
	while (le > q && is_wsp(le[-1]))
		le--;
	h->value = sr_str_make(q, (size_t)(le - q));
	return LINE_HEADER;
}

/*
 * Replaces every line break followed by white space with one space, into the
 * arena (RFC 3261 7.3.1: folding is equivalent to a single SP).
 */
static struct sr_str unfold(struct sr_str v, struct sr_arena *arena)
{
	char *out = sr_arena_alloc(arena, v.len + 1);
	if (!out)
		return SR_STR_NULL;
	size_t n = 0;
	for (size_t i = 0; i < v.len; i++) {
		char c = v.p[i];
		if (c == '\r' || c == '\n') {
			while (i + 1 < v.len && (v.p[i + 1] == '\r' || v.p[i + 1] == '\n' || is_wsp(v.p[i + 1])))
				i++;
			if (n == 0 || out[n - 1] != ' ')
				out[n++] = ' ';
			continue;
		}
		out[n++] = c;
	}
	out[n] = '\0';
	return sr_str_trim(sr_str_make(out, n));
}

/* The unfolded value of an interesting line (trimmed already); p NULL when out of memory. */
static struct sr_str line_value(const struct hline *h, struct sr_arena *arena)
{
	return h->folded ? unfold(h->value, arena) : h->value;
}

/* ---- the whole walk ---- */

struct walk {
	struct sr_sip_msg *m;
	const char *buf, *end;
	struct sr_arena *arena;
	struct sr_sip_error *err;
	bool fast;
	const struct sr_sip_scan_to *to; /* the pre-scan's reading of the request line and To value; NULL: none */
};

static int check_mandatory(const struct sr_sip_msg *m, struct sr_sip_error *err)
{
	if (m->n_via == 0)
		return fail(err, 400, "Missing Via header");
	if (m->from_raw.len == 0)
		return fail(err, 400, "Missing From header");
	if (m->to.raw.len == 0)
		return fail(err, 400, "Missing To header");
	if (m->call_id.len == 0)
		return fail(err, 400, "Missing Call-ID header");
	if (m->cseq_method.len == 0)
		return fail(err, 400, "Missing CSeq header");
	if (!sr_str_eq(m->cseq_method, m->method))
		return fail(err, 400, "CSeq method does not match the request method");
	return SR_SIP_OK;
}

/*
 * Remembers the whole lines (start to the next line) a proxy rewrites or
 * gathers, and the top Via's: the forwarding writers (sip_forward.h) copy
 * or drop exactly these bytes.
 */
static void keep_line(struct sr_sip_msg *m, enum sr_hdr_id id, struct sr_str line)
{
	switch (id) {
	case SR_HDR_VIA:
		if (m->top_via_line.len == 0)
			m->top_via_line = line;
		break;
	case SR_HDR_MAX_FORWARDS:
		m->max_forwards_line = line;
		break;
	case SR_HDR_ROUTE:
		if (m->n_route_lines < SR_SIP_MAX_ROUTE)
			m->route_line[m->n_route_lines] = line;
		m->n_route_lines++;
		break;
	case SR_HDR_WWW_AUTHENTICATE:
	case SR_HDR_PROXY_AUTHENTICATE:
		if (m->n_challenge < SR_SIP_MAX_AUTH)
			m->challenge_line[m->n_challenge++] = line;
		break;
	default:
		break;
	}
}

/* Whether keep_line would keep a line of this id now (so a replayed value's line is looked for only then). */
static bool wants_line(const struct sr_sip_msg *m, enum sr_hdr_id id)
{
	return (id == SR_HDR_VIA && m->top_via_line.len == 0) || id == SR_HDR_MAX_FORWARDS || id == SR_HDR_ROUTE ||
	       id == SR_HDR_WWW_AUTHENTICATE || id == SR_HDR_PROXY_AUTHENTICATE;
}

/*
 * The first To, when the pre-scan's record describes this very value: taken
 * as the pre-scan read it (fast path only; a second To is read, and refused).
 */
static bool carried_to(struct walk *w, enum sr_hdr_id id, struct sr_str value)
{
	if (id != SR_HDR_TO || !w->fast || !w->to || w->m->to.raw.len ||
	    !sr_sip_scan_to_take(w->to, w->buf, value, &w->m->to))
		return false;
	w->m->to_carried = true;
	return true;
}

/* The value of one interesting header line: parsed on the walk's path. */
static int header_value(struct walk *w, const struct hline *h, bool *bad)
{
	if (w->fast && (h->folded || h->odd))
		return SR_SIP_SLOW;
	struct sr_str value = line_value(h, w->arena);
	if (!value.p)
		return w->fast ? SR_SIP_SLOW : fail(w->err, 400, "Out of parse memory");
	if (carried_to(w, h->id, value))
		return SR_SIP_OK;
	struct sr_sip_error e2;
	int rc = sr_hdr_parse(w->m, h->id, value, w->fast, w->arena, *bad ? &e2 : w->err);
	if (rc == SR_SIP_BAD)
		*bad = true; /* the first error is the one reported; the walk goes on */
	return rc == SR_SIP_SLOW ? SR_SIP_SLOW : SR_SIP_OK;
}

/* Walks header lines from p to the end of the headers; *body is set there. */
static int headers(struct walk *w, const char *p, bool *bad, const char **body)
{
	for (;;) {
		struct hline h;
		int rc = next_line(p, w->end, &h, body, w->err);
		if (rc == LINE_END_OF_HEADERS)
			return SR_SIP_OK;
		if (rc != LINE_HEADER)
			return w->fast ? SR_SIP_SLOW : rc;
		if (h.id == SR_HDR_OTHER) {
			p = h.next;
			continue;
		}
		keep_line(w->m, h.id, sr_str_make(h.start, (size_t)(h.next - h.start)));
		if (header_value(w, &h, bad) == SR_SIP_SLOW)
			return SR_SIP_SLOW;
		p = h.next;
	}
}

/*
 * The whole line around a recorded value: recorded lines are never folded,
 * so it starts after the previous line break and ends after the next.
 */
static struct sr_str recorded_line(const struct walk *w, struct sr_str value)
{
	const char *next = value.p + value.len;
	const char *prev = memrchr(w->buf, '\n', (size_t)(value.p - w->buf)); /* the headers start after one */
	const char *start = prev ? prev + 1 : w->buf;
	if (w->end - next >= 2 && next[0] == '\r' && next[1] == '\n') {
		next += 2; /* the usual end: no white space after the value */
	} else {
		const char *lf = memchr(next, '\n', (size_t)(w->end - next));
		next = lf ? lf + 1 : w->end;
	}
	return sr_str_make(start, (size_t)(next - start));
}

/* The lines the pre-scan recorded: parsed without finding them again. Returns where the walk goes on. */
static const char *replay(struct walk *w, const struct sr_sip_scan *scan)
{
	for (unsigned i = 0; i < scan->n_lines; i++) {
		unsigned bits = scan->line_ids >> (SR_SIP_SCAN_ID_BITS * i);
		enum sr_hdr_id id = (enum sr_hdr_id)(bits & ((1u << SR_SIP_SCAN_ID_BITS) - 1));
		struct sr_str value = sr_str_trim(sr_str_make(w->buf + scan->line_off[i], scan->line_len[i]));
		if (wants_line(w->m, id)) /* a REGISTER's From, a second Via: no line to find */
			keep_line(w->m, id, recorded_line(w, value));
		if (carried_to(w, id, value))
			continue;
		if (sr_hdr_parse(w->m, id, value, true, w->arena, w->err) != SR_SIP_OK)
			return NULL;
	}
	return w->buf + scan->resume;
}

static bool scan_fits(const struct sr_sip_scan *scan, size_t len)
{
	if (!scan || !(scan->flags & SR_SCAN_LINES) || scan->resume > len || scan->n_lines > SR_SIP_SCAN_LINES)
		return false;
	for (unsigned i = 0; i < scan->n_lines; i++)
		if ((size_t)scan->line_off[i] + scan->line_len[i] > scan->resume)
			return false;
	return true;
}

static const char *skip_crlf(const char *p, const char *end)
{
	while (p < end && (*p == '\r' || *p == '\n')) /* RFC 3261 7.5: leading CRLFs are ignored */
		p++;
	return p;
}

/*
 * The request line as the pre-scan split it (struct sr_sip_scan_to's
 * line_*): method and Request-URI text without looking for them again. The
 * record is taken only when its ranges fit these bytes where the pre-scan
 * found its separators (a SP after each, the line's LF before line_next);
 * the pre-scan checked the rest of the line (request_line) on them.
 */
static bool carried_line(struct walk *w, struct sr_line *l)
{
	const struct sr_sip_scan_to *t = w->to;
	if (!t || t->line_method_len == 0)
		return false;
	size_t len = (size_t)(w->end - w->buf), sp1 = (size_t)t->line_at + t->line_method_len,
	       sp2 = sp1 + 1 + t->line_ruri_len;
	if (t->line_next > len || sp2 + sizeof(" SIP/2.0\n") - 1 > t->line_next || w->buf[sp1] != ' ' ||
	    w->buf[sp2] != ' ' || w->buf[t->line_next - 1] != '\n')
		return false;
	w->m->method = sr_str_make(w->buf + t->line_at, t->line_method_len);
	w->m->ruri_raw = sr_str_make(w->buf + sp1 + 1, t->line_ruri_len);
	l->next = w->buf + t->line_next;
	l->odd = false;
	return true;
}

static int walk(struct walk *w, const struct sr_sip_scan *scan)
{
	struct sr_sip_msg *m = w->m;
	memset(m, 0, offsetof(struct sr_sip_msg, via)); /* the lists are guarded by their counts */
	m->expires = -1;
	m->content_length = -1;
	m->max_forwards = -1;
	m->fast = w->fast;
	w->err->status = 400;
	w->err->reason = NULL;

	struct sr_line l;
	int start_rc;
	if (w->fast && carried_line(w, &l)) {
		m->is_request = true;
		m->line_carried = true;
		start_rc = sr_hdr_ruri(m->ruri_raw, true, w->arena, &m->ruri, w->err);
	} else {
		const char *p = skip_crlf(w->buf, w->end);
		if (p == w->end)
			return w->fast ? SR_SIP_SLOW : SR_SIP_DROP;
		sr_line_scan(p, w->end, &l);
		struct sr_str start = sr_str_make(p, (size_t)(l.end - p));
		if (is_response(start)) {
			start_rc = status_line(m, start);
		} else {
			start_rc = request_line(start, &m->method, &m->ruri_raw, w->err);
			if (start_rc != SR_SIP_DROP)
				m->is_request = true;
			if (start_rc == SR_SIP_OK)
				start_rc = sr_hdr_ruri(m->ruri_raw, w->fast, w->arena, &m->ruri, w->err);
		}
	}
	if (start_rc == SR_SIP_DROP || (w->fast && (start_rc != SR_SIP_OK || l.odd)))
		return w->fast ? SR_SIP_SLOW : start_rc;
	struct sr_sip_error start_err = *w->err;

	bool bad = false;
	const char *body = w->end;
	const char *p = l.next;
	m->headers_at = (size_t)(p - w->buf);
	if (w->fast && scan_fits(scan, (size_t)(w->end - w->buf))) {
		if ((p = replay(w, scan)) == NULL)
			return SR_SIP_SLOW;
		m->resumed = true;
	}
	int rc = headers(w, p, &bad, &body);
	if (rc == SR_SIP_SLOW)
		return SR_SIP_SLOW;
	m->body_at = (size_t)(body - w->buf);
	if (rc == SR_SIP_OK && bad)
		rc = SR_SIP_BAD;
	/* A bad start line wins over later problems, but the headers are still gathered for the reply. */
	if (start_rc != SR_SIP_OK) {
		*w->err = start_err;
		return start_rc;
	}
	if (rc == SR_SIP_OK && m->is_request) {
		size_t body_len = (size_t)(w->end - body);
		if (m->content_length > (int64_t)body_len)
			rc = fail(w->err, 400, "Content-Length larger than the message");
		/* For UDP, bytes past Content-Length are discarded (RFC 3261 18.3). */
		m->msg_len = (size_t)(body - w->buf) + (m->content_length >= 0 ? (size_t)m->content_length : body_len);
		if (rc == SR_SIP_OK)
			rc = check_mandatory(m, w->err);
	}
	return w->fast && rc != SR_SIP_OK ? SR_SIP_SLOW : rc;
}

int sr_sip_parse_carried(struct sr_sip_msg *m, const char *buf, size_t len, const struct sr_sip_scan *scan,
			 const struct sr_sip_scan_to *to, unsigned flags, struct sr_arena *arena,
			 struct sr_sip_error *err)
{
	struct walk w = { m, buf, buf + len, arena, err, true, to };
	if (flags & SR_SIP_FAST) {
		int rc = walk(&w, scan);
		if (rc != SR_SIP_SLOW || (flags & SR_SIP_FAST_ONLY))
			return rc;
	}
	w.fast = false;
	w.to = NULL;
	return walk(&w, NULL);
}

int sr_sip_parse(struct sr_sip_msg *m, const char *buf, size_t len, const struct sr_sip_scan *scan,
		 unsigned flags, struct sr_arena *arena, struct sr_sip_error *err)
{
	return sr_sip_parse_carried(m, buf, len, scan, NULL, flags, arena, err);
}

/* ---- the first steps: up to the owner field ---- */

/*
 * Parses the owner field's value exactly as the walk would: fast, else
 * libosip2. What the fast path read is recorded for the owner (carry, may
 * be NULL).
 */
static int owner_to(const char *buf, struct sr_str value, unsigned flags, struct sr_arena *arena,
		    struct sr_sip_owner *o, struct sr_sip_scan_to *carry)
{
	struct sr_sip_addr to;
	struct sr_sip_error err;
	if ((flags & SR_SIP_FAST) && sr_hdr_to(value, true, arena, &to, &err) == SR_SIP_OK) {
		if (carry)
			sr_sip_scan_to_record(carry, buf, &to);
	} else if (sr_hdr_to(value, false, arena, &to, &err) != SR_SIP_OK) {
		return -1;
	}
	o->uri = to.uri;
	return 0;
}

static int owner_ruri(struct sr_str text, unsigned flags, struct sr_arena *arena, struct sr_sip_owner *o)
{
	struct sr_sip_error err;
	if (!((flags & SR_SIP_FAST) && sr_hdr_ruri(text, true, arena, &o->uri, &err) == SR_SIP_OK) &&
	    sr_hdr_ruri(text, false, arena, &o->uri, &err) != SR_SIP_OK)
		return -1;
	return 0;
}

static int first_elem(struct sr_str elem, void *ctx)
{
	*(struct sr_str *)ctx = elem;
	return 1;
}

/* The branch of a response's top Via, read exactly as the walk reads it. */
static int owner_branch(struct sr_str value, unsigned flags, struct sr_arena *arena, struct sr_sip_owner *o)
{
	struct sr_str top = SR_STR_NULL;
	struct sr_sip_via via;
	struct sr_sip_error err;
	if (sr_hdr_split(value, first_elem, &top) != 1 || top.len == 0)
		return -1;
	if (!((flags & SR_SIP_FAST) && !memchr(value.p, '"', value.len) && sr_fast_top_via(&via, top) == SR_SIP_OK) &&
	    sr_osip_top_via(&via, top, arena, &err) != SR_SIP_OK)
		return -1;
	o->branch = via.branch;
	return 0;
}

/* Records a line the owner's fast walk can take as it is; false when the record is full. */
static bool record(struct sr_sip_scan *scan, const char *buf, const struct hline *h)
{
	if (scan->n_lines == SR_SIP_SCAN_LINES || h->folded || h->odd || h->value.len > SR_SIP_SCAN_VALUE_MAX)
		return false;
	unsigned i = scan->n_lines++;
	scan->line_ids |= (uint32_t)h->id << (SR_SIP_SCAN_ID_BITS * i);
	scan->line_off[i] = (uint16_t)(h->value.p - buf);
	scan->line_len[i] = (uint8_t)h->value.len;
	return true;
}

/*
 * Records the request line the pre-scan split (as the fast walk would take
 * it: no NUL or bare CR in it) for the owner (struct sr_sip_scan_to).
 */
static void record_line(struct sr_sip_scan_to *t, const char *buf, struct sr_str start, struct sr_str method,
			struct sr_str ruri, const char *next)
{
	if (method.len == 0 || method.len > UINT8_MAX)
		return;
	t->line_at = (uint16_t)(start.p - buf);
	t->line_method_len = (uint8_t)method.len;
	t->line_ruri_len = (uint16_t)ruri.len;
	t->line_next = (uint16_t)(next - buf);
}

void sr_sip_scan_owner(const char *buf, size_t len, unsigned flags, struct sr_arena *arena,
		       struct sr_sip_scan *scan, struct sr_sip_owner *owner)
{
	sr_sip_scan_owner_to(buf, len, flags, arena, scan, owner, NULL);
}

void sr_sip_scan_owner_to(const char *buf, size_t len, unsigned flags, struct sr_arena *arena,
			  struct sr_sip_scan *scan, struct sr_sip_owner *owner, struct sr_sip_scan_to *carry)
{
	const char *end = buf + len;
	memset(scan, 0, sizeof(*scan));
	memset(owner, 0, sizeof(*owner));
	if (carry)
		memset(carry, 0, sizeof(*carry));
	if (len > UINT16_MAX)
		return; /* offsets are 16 bits: a UDP datagram always fits */
	const char *p = skip_crlf(buf, end);
	if (p == end)
		return;
	struct sr_line l;
	sr_line_scan(p, end, &l);
	struct sr_str start = sr_str_make(p, (size_t)(l.end - p)), method, ruri;
	struct sr_sip_error err;
	bool response = is_response(start);
	if (!response && request_line(start, &method, &ruri, &err) != SR_SIP_OK)
		return;
	bool reg = !response && sr_str_eq(method, SR_STR_LIT("REGISTER"));
	scan->flags = response ? SR_SCAN_RESPONSE : reg ? SR_SCAN_REQUEST | SR_SCAN_REGISTER : SR_SCAN_REQUEST;
	if (!response && !reg) {
		/* The Request-URI decides: the walk stops after the start line. */
		if (owner_ruri(ruri, flags, arena, owner) == 0)
			owner->kind = SR_OWNER_AOR;
		scan->resume = (uint16_t)(l.next - buf);
		scan->flags |= SR_SCAN_LINES;
		return;
	}
	bool recording = true;
	scan->resume = (uint16_t)(l.next - buf);
	for (p = l.next;;) {
		struct hline h;
		const char *body;
		if (next_line(p, end, &h, &body, &err) != LINE_HEADER)
			return; /* the end of the headers without the field, or a framing error */
		if (h.id != SR_HDR_OTHER && recording)
			recording = record(scan, buf, &h);
		if (recording)
			scan->resume = (uint16_t)(h.next - buf);
		if (response && h.id == SR_HDR_VIA) {
			struct sr_str value = line_value(&h, arena);
			if (value.p && owner_branch(value, flags, arena, owner) == 0)
				owner->kind = SR_OWNER_BRANCH;
			break;
		}
		if (!response && h.id == SR_HDR_TO) {
			struct sr_str value = line_value(&h, arena);
			if (value.p && owner_to(buf, value, flags, arena, owner, h.folded ? NULL : carry) == 0)
				owner->kind = SR_OWNER_AOR;
			if (carry && (flags & SR_SIP_FAST) && !l.odd)
				record_line(carry, buf, start, method, ruri, l.next);
			break;
		}
		p = h.next;
	}
	scan->flags |= SR_SCAN_LINES;
}
