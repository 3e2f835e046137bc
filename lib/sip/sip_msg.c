/*
 * sip_msg.c - framing of a SIP message: start line, header lines, body length.
 *
 * We walk the message once: the start line, then each header line with its
 * continuation lines (RFC 3261 7.3.1 folding). A header name is matched
 * against the short table of headers the registrar reads (long and compact
 * forms, case-insensitively); every other header is skipped without a copy.
 * Values of interesting headers go to sip_hdr.c, which uses libosip2's own
 * per-header parsers. A folded value is unfolded into the arena first, so
 * the header parsers always see one line.
 *
 * Errors stop the walk with a reason meant for a 400 reason phrase; what was
 * found before the error (Via, From, To, Call-ID, CSeq) stays filled so the
 * 400 can still be a proper response.
 */
#include "sip_msg.h"

#include "sip_hdr.h"

#include <stdlib.h>
#include <stddef.h>
#include <string.h>

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* End of the line starting at p (the CR of CRLF or a lone LF), and the start of the next. */
static const char *line_end(const char *p, const char *end, const char **next)
{
	const char *lf = memchr(p, '\n', (size_t)(end - p));
	if (!lf) {
		*next = end;
		return end;
	}
	*next = lf + 1;
	return (lf > p && lf[-1] == '\r') ? lf - 1 : lf;
}

static int fail(struct sr_sip_error *err, int status, const char *reason)
{
	err->status = status;
	err->reason = reason;
	return SR_SIP_BAD;
}

static bool is_alpha(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int parse_status_line(struct sr_sip_msg *m, struct sr_str line)
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

static int parse_request_line(struct sr_sip_msg *m, struct sr_str line, struct sr_arena *arena,
			      struct sr_sip_error *err)
{
	const char *p = line.p, *end = line.p + line.len;
	const char *text_end = end; /* without trailing white space (refused once it is known to be SIP) */
	while (text_end > p && is_wsp(text_end[-1]))
		text_end--;
	end = text_end;
	const char *sp1 = memchr(p, ' ', (size_t)(end - p));
	if (!sp1 || sp1 == p)
		return SR_SIP_DROP;
	for (const char *q = p; q < sp1; q++)
		if (!sr_sip_is_token_char(*q))
			return SR_SIP_DROP;
	/* The version is the last word; the Request-URI is what lies between (no spaces allowed). */
	const char *sp2 = end;
	while (sp2 > sp1 && sp2[-1] != ' ')
		sp2--;
	if (sp2 <= sp1 + 1)
		return SR_SIP_DROP;
	struct sr_str version = sr_str_make(sp2, (size_t)(end - sp2));
	if (version.len < 4 || strncasecmp(version.p, "SIP/", 4) != 0)
		return SR_SIP_DROP;
	m->is_request = true;
	m->method = sr_str_make(p, (size_t)(sp1 - p));
	m->ruri_raw = sr_str_make(sp1 + 1, (size_t)(sp2 - 1 - (sp1 + 1)));
	if (!sr_str_caseeq_cstr(version, "SIP/2.0"))
		return fail(err, 505, "SIP Version Not Supported");
	if (text_end != line.p + line.len)
		return fail(err, 400, "Malformed Request-Line (trailing white space)");
	struct sr_str u = m->ruri_raw;
	if (u.len == 0 || memchr(u.p, ' ', u.len) || memchr(u.p, '\t', u.len) || memchr(u.p, '\0', u.len))
		return fail(err, 400, "Malformed Request-URI");
	/* RFC 3986 scheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" (refuses "<sip:...>") */
	size_t sl = 0;
	while (sl < u.len && (is_alpha(u.p[sl]) || (sl && (strchr("+-.", u.p[sl]) || (u.p[sl] >= '0' && u.p[sl] <= '9')))))
		sl++;
	if (sl == 0 || sl == u.len || u.p[sl] != ':')
		return fail(err, 400, "Malformed Request-URI");
	if (sr_sip_has_esc_nul(u))
		return fail(err, 400, "Escaped NUL in Request-URI not supported");
	bool sip = (sl == 3 && strncasecmp(u.p, "sip", 3) == 0) || (sl == 4 && strncasecmp(u.p, "sips", 4) == 0);
	char *copy = sr_arena_strndup(arena, u.p, u.len);
	if (!copy || osip_uri_init(&m->ruri) != 0 || osip_uri_parse(m->ruri, copy) != 0) {
		m->ruri = NULL;
		/* A URI of a scheme we do not know is not malformed, just not ours (RFC 3261 8.2.2.1). */
		return sip ? fail(err, 400, "Malformed Request-URI")
			   : fail(err, 416, "Unsupported URI Scheme in Request-URI");
	}
	if (sip && !osip_list_eol(&m->ruri->url_headers, 0))
		return fail(err, 400, "Malformed Request-URI (headers are not allowed)");
	if (sip && m->ruri->host && strchr(m->ruri->host, ':') && !memchr(u.p, '[', u.len))
		return fail(err, 400, "Malformed Request-URI (IPv6 reference without brackets)");
	if (sip && m->ruri->port) {
		/* "sip:2001:db8::10" (RFC 5118 4.4) parses as host "2001" with port "db8::10". */
		size_t pl = strlen(m->ruri->port);
		if (pl == 0 || pl > 5 || strspn(m->ruri->port, "0123456789") != pl || atoi(m->ruri->port) > 65535)
			return fail(err, 400, "Malformed Request-URI (bad port)");
	}
	return SR_SIP_OK;
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

static int check_mandatory(const struct sr_sip_msg *m, struct sr_sip_error *err)
{
	if (m->n_via == 0)
		return fail(err, 400, "Missing Via header");
	if (m->from_raw.len == 0)
		return fail(err, 400, "Missing From header");
	if (!m->to_uri)
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
 * A NUL byte in a header line is only legal as a quoted-pair ("\\" %x00 inside
 * a quoted string, RFC 3261 25.1; RFC 4475 intmeth has one). Anywhere else
 * it would cut the C strings libosip2 parses, so the message is refused.
 * (The body may hold anything: it is never parsed.)
 */
static bool nul_ok(const char *p, const char *end, bool msg_has_nul)
{
	const char *z;
	for (const char *q = p; msg_has_nul && (z = memchr(q, '\0', (size_t)(end - q))) != NULL; q = z + 1)
		if (z == p || z[-1] != '\\')
			return false;
	/* Nor a CR that does not end a (folded) line: it would be echoed into the response. */
	for (const char *q = p; (z = memchr(q, '\r', (size_t)(end - q))) != NULL; q = z + 1)
		if (z + 1 >= end || z[1] != '\n')
			return false;
	return true;
}

/* Remembers the whole lines (p to the next line) a proxy rewrites or gathers, and the top Via's. */
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

/* Walks the header lines from p; returns the offset of the body through *body. */
static int parse_headers(struct sr_sip_msg *m, const char *p, const char *end,
			 struct sr_arena *arena, struct sr_sip_error *err, const char **body)
{
	bool bad = false; /* a header value was refused (err holds why) */
	bool has_nul = memchr(p, '\0', (size_t)(end - p)) != NULL; /* rare: look per line only then */
	while (p < end) {
		const char *next;
		const char *le = line_end(p, end, &next);
		if (le == p) { /* empty line: end of headers */
			*body = next;
			return bad ? SR_SIP_BAD : SR_SIP_OK;
		}
		if (next == end && le == end)
			return fail(err, 400, "Truncated message (no end of headers)");
		if (is_wsp(*p))
			return fail(err, 400, "Malformed header line (continuation without a header)");
		/* Gather continuation lines. */
		bool folded = false;
		while (next < end && is_wsp(*next)) {
			folded = true;
			le = line_end(next, end, &next);
		}
		if (!nul_ok(p, le, has_nul))
			return fail(err, 400, "NUL or bare CR byte in header");
		/* The name: token characters, optional white space, then the colon (one pass, no memchr). */
		const char *q = p;
		while (q < le && sr_sip_is_token_char(*q))
			q++;
		struct sr_str name = sr_str_make(p, (size_t)(q - p));
		while (q < le && is_wsp(*q))
			q++;
		if (q == le || (*q != ':' && !memchr(q, ':', (size_t)(le - q))))
			return fail(err, 400, "Malformed header line (no colon)");
		if (*q != ':')
			return fail(err, 400, "Malformed header name");
		if (name.len == 0)
			return fail(err, 400, "Malformed header line (empty name)");
		const char *colon = q;
		struct sr_str value = sr_str_make(colon + 1, (size_t)(le - colon - 1));
		enum sr_hdr_id id = sr_hdr_lookup(name);
		if (id != SR_HDR_OTHER) {
			keep_line(m, id, sr_str_make(p, (size_t)(next - p)));
			value = folded ? unfold(value, arena) : sr_str_trim(value);
			if (folded && !value.p)
				return fail(err, 400, "Out of parse memory");
			/*
			 * A bad value is reported, but the walk goes on so that a Via,
			 * Call-ID or CSeq further down still reaches the 400 (the first
			 * error is the one reported). Framing errors stop at once.
			 */
			struct sr_sip_error e2;
			if (sr_hdr_parse(m, id, value, arena, bad ? &e2 : err) != SR_SIP_OK)
				bad = true;
		}
		p = next;
	}
	return fail(err, 400, "Truncated message (no end of headers)");
}

int sr_sip_parse(struct sr_sip_msg *m, const char *buf, size_t len, struct sr_arena *arena,
		 struct sr_sip_error *err)
{
	memset(m, 0, offsetof(struct sr_sip_msg, via)); /* the lists are guarded by their counts */
	m->expires = -1;
	m->content_length = -1;
	m->max_forwards = -1;
	err->status = 400;
	err->reason = NULL;

	const char *p = buf, *end = buf + len;
	while (p < end && (*p == '\r' || *p == '\n')) /* RFC 3261 7.5: leading CRLFs are ignored */
		p++;
	if (p == end)
		return SR_SIP_DROP;

	const char *next;
	const char *le = line_end(p, end, &next);
	struct sr_str start = sr_str_make(p, (size_t)(le - p));
	int rc = (start.len >= 8 && strncasecmp(start.p, "SIP/2.0 ", 8) == 0)
			 ? parse_status_line(m, start)
			 : parse_request_line(m, start, arena, err);
	if (rc == SR_SIP_DROP)
		return rc;
	int start_rc = rc;
	struct sr_sip_error start_err = *err;

	const char *body = end;
	m->headers_at = (size_t)(next - buf);
	rc = parse_headers(m, next, end, arena, err, &body);
	m->body_at = (size_t)(body - buf);
	/* A bad start line wins over later problems, but the headers are still gathered for the reply. */
	if (start_rc != SR_SIP_OK) {
		*err = start_err;
		return start_rc;
	}
	if (rc != SR_SIP_OK)
		return rc;
	if (!m->is_request)
		return SR_SIP_OK;
	size_t body_len = (size_t)(end - body);
	if (m->content_length > (int64_t)body_len)
		return fail(err, 400, "Content-Length larger than the message");
	/* For UDP, bytes past Content-Length are discarded (RFC 3261 18.3). */
	m->msg_len = (size_t)(body - buf) + (m->content_length >= 0 ? (size_t)m->content_length : body_len);
	return check_mandatory(m, err);
}
