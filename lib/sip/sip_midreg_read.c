/*
 * sip_midreg_read.c - the two facts of a message the mid-registrar needs that
 * the message view does not keep: every header line with its name (the
 * forwarded REGISTER copies them, the UA's answer copies the main
 * registrar's), and a response's reason phrase (see sip_midreg.h).
 *
 * Design decisions:
 * - The view records where the header block starts and ends (headers_at,
 *   body_at), so this walks only that block, with the view's own line
 *   scanner (sip_line.h): a line starting with SP or HT continues the one
 *   before it (RFC 3261 7.3.1) and belongs to it, so a folded header is
 *   copied whole.
 * - A line without a ':' is not a header; the view already refused such a
 *   message, so meeting one here means the range is not a parsed header
 *   block: the walk stops and reports failure instead of guessing.
 */
#include "sip_midreg.h"

#include "sip_line.h"

static bool is_ws(char c)
{
	return c == ' ' || c == '\t';
}

bool sr_mid_header_lines(const char *msg, size_t headers_at, size_t body_at, struct sr_mid_line *out,
			 unsigned cap, unsigned *n)
{
	*n = 0;
	if (headers_at > body_at)
		return false;
	const char *p = msg + headers_at, *end = msg + body_at;
	while (p < end) {
		struct sr_line l;
		sr_line_scan(p, end, &l);
		if (l.end == p)
			break; /* the empty line that ends the headers */
		if (is_ws(*p)) {
			if (*n == 0)
				return false;
			struct sr_mid_line *prev = &out[*n - 1];
			prev->line.len = (size_t)(l.next - prev->line.p); /* a continuation: the line grows */
			p = l.next;
			continue;
		}
		const char *colon = p;
		while (colon < l.end && *colon != ':')
			colon++;
		if (colon == l.end || *n == cap)
			return false;
		const char *ne = colon;
		while (ne > p && is_ws(ne[-1]))
			ne--;
		out[(*n)++] = (struct sr_mid_line){ .line = sr_str_make(p, (size_t)(l.next - p)),
						    .name = sr_str_make(p, (size_t)(ne - p)) };
		p = l.next;
	}
	return true;
}

struct sr_str sr_mid_status_reason(const char *msg, size_t headers_at)
{
	/* "SIP/2.0 SP 3DIGIT SP reason CRLF": the reason is what follows the second space */
	const char *p = msg, *end = msg + headers_at;
	unsigned spaces = 0;
	while (p < end && spaces < 2)
		spaces += *p++ == ' ';
	const char *e = end;
	while (e > p && (e[-1] == '\r' || e[-1] == '\n'))
		e--;
	return spaces == 2 ? sr_str_make(p, (size_t)(e - p)) : SR_STR_NULL;
}

struct sr_str sr_mid_uri_user_raw(struct sr_str uri)
{
	/* the user part as written: between the scheme's ':' and the first '@' (a user never holds a raw '@') */
	if (uri.len == 0)
		return SR_STR_NULL; /* an absent URI (a response's Request-URI) may have no pointer at all (fuzz_sip_parse) */
	const char *p = uri.p, *end = uri.p + uri.len;
	while (p < end && *p != ':')
		p++;
	if (p == end)
		return SR_STR_NULL;
	const char *u = ++p;
	while (p < end && *p != '@' && *p != '>')
		p++;
	return p < end && *p == '@' ? sr_str_make(u, (size_t)(p - u)) : SR_STR_NULL;
}
