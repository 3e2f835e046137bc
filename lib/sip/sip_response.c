/*
 * sip_response.c - the SIP response writer.
 *
 * Design decisions:
 * - Every byte goes through put(), the one bounds check. On the first append
 *   that does not fit, the writer sets w->overflow and ignores everything
 *   after it; nothing is ever written at or past buf + cap. Callers check
 *   once, at sr_resp_finish(), instead of after every header.
 * - No malloc and no printf family: numbers go through a small unsigned
 *   formatter, IPv4 addresses through a dotted-quad formatter, the Date
 *   through day/month tables and civil-from-days arithmetic (no locale, no
 *   time zone database). The formatted Date is cached per thread, keyed by
 *   the second, because every response of a busy second carries the same one.
 * - The top Via is rewritten on its raw text (RFC 3261 18.2.1, RFC 3581):
 *   only the "rport" and "received" parameters are touched, everything else
 *   is copied byte for byte, so the client's transaction matching (which
 *   compares the Via it sent) keeps working. The parse already knows where
 *   those two parameters sit (struct sr_sip_via's offsets), so the writer
 *   copies around them without looking at the text again.
 */
#include "sip_response.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

/* ---- bounded appends ---- */

static void put(struct sr_resp *w, const char *p, size_t n)
{
	if (w->overflow || n == 0)
		return;
	if (n > w->cap - w->len) {
		w->overflow = true;
		return;
	}
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}

static void put_cstr(struct sr_resp *w, const char *s)
{
	put(w, s, strlen(s));
}

static void put_str(struct sr_resp *w, struct sr_str s)
{
	put(w, s.p, s.len);
}

#define PUT_LIT(w, lit) put((w), (lit), sizeof(lit) - 1)

/* Formats v in decimal into out (at least 20 bytes); returns the length. */
static size_t fmt_uint(char *out, uint64_t v)
{
	/* the digits counted by compares for the usual values (a port, a CSeq, an expiry), then written backwards */
	size_t n = v < 10 ? 1 : v < 100 ? 2 : v < 1000 ? 3 : v < 10000 ? 4 : v < 100000 ? 5 : 6;
	for (uint64_t t = v / 1000000; t; t /= 10)
		n++;
	for (size_t i = n; i > 0; v /= 10)
		out[--i] = (char)('0' + v % 10);
	return n;
}

/* One byte of a dotted quad in decimal; returns the length (1 to 3). */
static size_t fmt_octet(char *out, unsigned o)
{
	if (o >= 100) {
		out[0] = (char)('0' + o / 100);
		out[1] = (char)('0' + o / 10 % 10);
		out[2] = (char)('0' + o % 10);
		return 3;
	}
	if (o >= 10) {
		out[0] = (char)('0' + o / 10);
		out[1] = (char)('0' + o % 10);
		return 2;
	}
	out[0] = (char)('0' + o);
	return 1;
}

static void put_uint(struct sr_resp *w, uint64_t v)
{
	if (!w->overflow && w->cap - w->len >= 20) { /* room for any number: formatted in place, no copy */
		w->len += fmt_uint(w->buf + w->len, v);
		return;
	}
	char tmp[20];
	put(w, tmp, fmt_uint(tmp, v));
}

/* Formats an IPv4 address (network byte order) as a dotted quad; out needs 15 bytes. */
static size_t fmt_ipv4(char *out, uint32_t ip_be)
{
	uint32_t h = ntohl(ip_be);
	size_t n = 0;

	for (int shift = 24; shift >= 0; shift -= 8) {
		n += fmt_octet(out + n, (h >> shift) & 0xffu);
		if (shift)
			out[n++] = '.';
	}
	return n;
}

/* "Name: " */
static void put_name(struct sr_resp *w, const char *name)
{
	put_cstr(w, name);
	PUT_LIT(w, ": ");
}

/* ---- status line and simple headers ---- */

void sr_resp_begin(struct sr_resp *w, char *buf, size_t cap, int status, const char *reason)
{
	w->buf = buf;
	w->cap = buf ? cap : 0;
	w->len = 0;
	w->overflow = false;
	w->to_value_end = 0;
	PUT_LIT(w, "SIP/2.0 ");
	put_uint(w, status < 0 ? 0u : (uint64_t)status);
	PUT_LIT(w, " ");
	put_cstr(w, reason ? reason : sr_resp_reason(status));
	PUT_LIT(w, "\r\n");
}

void sr_resp_header(struct sr_resp *w, const char *name, struct sr_str value)
{
	put_name(w, name);
	put_str(w, value);
	PUT_LIT(w, "\r\n");
}

void sr_resp_header_cstr(struct sr_resp *w, const char *name, const char *value)
{
	sr_resp_header(w, name, sr_str_cstr(value));
}

void sr_resp_header_uint(struct sr_resp *w, const char *name, uint64_t value)
{
	put_name(w, name);
	put_uint(w, value);
	PUT_LIT(w, "\r\n");
}

void sr_resp_raw(struct sr_resp *w, struct sr_str lines)
{
	put_str(w, lines);
}

size_t sr_resp_finish(struct sr_resp *w)
{
	PUT_LIT(w, "Content-Length: 0\r\n\r\n");
	return w->overflow ? 0 : w->len;
}

/* ---- Via ---- */

static void put_received(struct sr_resp *w, const char *ip, size_t ip_len)
{
	PUT_LIT(w, "received=");
	put(w, ip, ip_len);
}

static void put_rport(struct sr_resp *w, uint16_t port)
{
	PUT_LIT(w, "rport=");
	put_uint(w, port);
}

/*
 * Writes the top Via value with rport filled and received set as needed.
 * The replaced parameters are rewritten in place (rport and received may
 * come in either order); a missing received is appended at the end.
 */
static void put_top_via(struct sr_resp *w, const struct sr_sip_via *v, const struct sr_addr *src)
{
	if (!src || v->host.len == 0) {
		put_str(w, v->raw);
		return;
	}
	char ip[16];
	size_t ip_len = fmt_ipv4(ip, src->ip);
	bool rport_at = v->rport_end > v->rport_at, received_at = v->received_end > v->received_at;
	bool fill_rport = v->has_rport && v->rport_value.len == 0 && rport_at;
	bool host_differs = v->host.len != ip_len || memcmp(v->host.p, ip, ip_len) != 0;
	/* RFC 3581 section 4: received is required whenever rport is filled. */
	bool set_received = host_differs || fill_rport;

	if (!fill_rport && !set_received) {
		put_str(w, v->raw);
		return;
	}
	/* Up to two replacements, applied in text order. */
	struct edit {
		uint32_t at, end;
		bool rport;
	} edits[2];
	unsigned n_edits = 0;
	if (fill_rport)
		edits[n_edits++] = (struct edit){ v->rport_at, v->rport_end, true };
	if (set_received && received_at)
		edits[n_edits++] = (struct edit){ v->received_at, v->received_end, false };
	if (n_edits == 2 && edits[1].at < edits[0].at) {
		struct edit t = edits[0];
		edits[0] = edits[1];
		edits[1] = t;
	}
	size_t off = 0;
	for (unsigned i = 0; i < n_edits; i++) {
		put(w, v->raw.p + off, edits[i].at - off);
		if (edits[i].rport)
			put_rport(w, src->port);
		else
			put_received(w, ip, ip_len);
		off = edits[i].end;
	}
	put(w, v->raw.p + off, v->raw.len - off);
	if (set_received && !received_at) {
		PUT_LIT(w, ";");
		put_received(w, ip, ip_len);
	}
}

void sr_resp_dialog_headers(struct sr_resp *w, const struct sr_sip_msg *req,
			    const struct sr_addr *src, struct sr_str to_tag)
{
	for (unsigned i = 0; i < req->n_via && i < SR_SIP_MAX_VIA; i++) {
		PUT_LIT(w, "Via: ");
		if (i == 0)
			put_top_via(w, &req->top_via, src);
		else
			put_str(w, req->via[i]);
		PUT_LIT(w, "\r\n");
	}
	if (!sr_str_empty(req->from_raw)) {
		PUT_LIT(w, "From: ");
		put_str(w, req->from_raw);
		PUT_LIT(w, "\r\n");
	}
	if (!sr_str_empty(req->to.raw)) {
		PUT_LIT(w, "To: ");
		put_str(w, req->to.raw);
		w->to_value_end = w->len; /* a proxy keeps this head and adds its To tag here later */
		if (sr_str_empty(req->to.tag) && !sr_str_empty(to_tag)) {
			PUT_LIT(w, ";tag=");
			put_str(w, to_tag);
		}
		PUT_LIT(w, "\r\n");
	}
	if (!sr_str_empty(req->call_id)) {
		PUT_LIT(w, "Call-ID: ");
		put_str(w, req->call_id);
		PUT_LIT(w, "\r\n");
	}
	if (!sr_str_empty(req->cseq_method)) {
		PUT_LIT(w, "CSeq: ");
		put_uint(w, req->cseq);
		PUT_LIT(w, " ");
		put_str(w, req->cseq_method);
		PUT_LIT(w, "\r\n");
	}
}

uint16_t sr_resp_reply_port(const struct sr_sip_msg *m, uint16_t src_port)
{
	if (m->n_via == 0 || m->top_via.host.len == 0 || m->top_via.has_rport)
		return src_port;
	uint64_t port = 5060;
	if (m->top_via.port.len)
		sr_str_to_uint(m->top_via.port, 65535, &port); /* the parse checked it is a port */
	return (uint16_t)port;
}

/* ---- Contact ---- */

/*
 * RFC 3261 qvalue from thousandths: "1", "0", or "0." and up to three digits
 * with trailing zeros trimmed (500 -> "0.5", 10 -> "0.01").
 */
static size_t fmt_qvalue(char *out, int q)
{
	if (q >= 1000) {
		out[0] = '1';
		return 1;
	}
	out[0] = '0';
	if (q <= 0)
		return 1;
	char d[3] = { (char)('0' + q / 100), (char)('0' + q / 10 % 10), (char)('0' + q % 10) };
	size_t nd = 3;
	while (d[nd - 1] == '0')
		nd--;
	out[1] = '.';
	memcpy(out + 2, d, nd);
	return 2 + nd;
}

static void put_quoted_param(struct sr_resp *w, const char *name_eq, struct sr_str value)
{
	if (sr_str_empty(value))
		return;
	put_cstr(w, name_eq);
	PUT_LIT(w, "\"");
	put_str(w, value);
	PUT_LIT(w, "\"");
}

void sr_resp_contact(struct sr_resp *w, const struct sr_resp_contact *c)
{
	PUT_LIT(w, "Contact: <");
	put_str(w, c->uri);
	PUT_LIT(w, ">");
	put_str(w, c->params);
	PUT_LIT(w, ";expires=");
	put_uint(w, c->expires);
	if (c->q >= 0) {
		char q[5];
		PUT_LIT(w, ";q=");
		put(w, q, fmt_qvalue(q, c->q));
	}
	put_quoted_param(w, ";pub-gruu=", c->pub_gruu);
	put_quoted_param(w, ";temp-gruu=", c->temp_gruu);
	if (c->received_ip) {
		char r[SR_RECEIVED_LEN];
		put_quoted_param(w, ";received=", sr_str_make(r, sr_resp_received_uri(r, c->received_ip, c->received_port)));
	}
	PUT_LIT(w, "\r\n");
}

size_t sr_resp_received_uri(char out[SR_RECEIVED_LEN], uint32_t ip, uint16_t port)
{
	const uint8_t *b = (const uint8_t *)&ip; /* network order: the first octet first */
	int n = snprintf(out, SR_RECEIVED_LEN, "sip:%u.%u.%u.%u:%u", b[0], b[1], b[2], b[3], port);
	return n > 0 ? (size_t)n : 0;
}

/* ---- Date ---- */

#define DATE_LEN 29 /* "Thu, 01 Jan 1970 00:00:00 GMT" */
#define DATE_MIN_S (-62167219200LL) /* 0000-01-01T00:00:00Z */
#define DATE_MAX_S 253402300799LL   /* 9999-12-31T23:59:59Z, the last four-digit year */

static const char wday_names[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
static const char month_names[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/* Floor division: the Date may be asked for times before 1970. */
static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/*
 * Proleptic Gregorian date of a day count since 1970-01-01. Works on years
 * that start on March 1st, so the leap day is the last day of its year and
 * month lengths follow a fixed 5-month pattern (153 days per 5 months).
 */
static void civil_from_days(int64_t days, int64_t *year, unsigned *month, unsigned *mday)
{
	const int64_t era_days = 146097; /* days in 400 Gregorian years */
	days += 719468;                  /* shift epoch to 0000-03-01 */
	int64_t era = floor_div(days, era_days);
	unsigned doe = (unsigned)(days - era * era_days);                          /* [0, 146096] */
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;      /* [0, 399] */
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                    /* [0, 365] */
	unsigned mp = (5 * doy + 2) / 153;                                         /* [0, 11], 0 = March */
	*mday = doy - (153 * mp + 2) / 5 + 1;
	*month = mp < 10 ? mp + 3 : mp - 9;
	*year = (int64_t)yoe + era * 400 + (*month <= 2);
}

static void put2(char *out, unsigned v)
{
	out[0] = (char)('0' + v / 10 % 10);
	out[1] = (char)('0' + v % 10);
}

static void fmt_date(char out[DATE_LEN], int64_t t)
{
	if (t < DATE_MIN_S)
		t = DATE_MIN_S;
	if (t > DATE_MAX_S)
		t = DATE_MAX_S;
	int64_t days = floor_div(t, 86400);
	unsigned sod = (unsigned)(t - days * 86400);
	int64_t year;
	unsigned month, mday;

	civil_from_days(days, &year, &month, &mday);
	unsigned wday = (unsigned)((days % 7 + 7 + 4) % 7); /* 1970-01-01 was a Thursday */
	unsigned y = (unsigned)year;

	memcpy(out, wday_names[wday], 3);
	memcpy(out + 3, ", ", 2);
	put2(out + 5, mday);
	out[7] = ' ';
	memcpy(out + 8, month_names[month - 1], 3);
	out[11] = ' ';
	put2(out + 12, y / 100);
	put2(out + 14, y % 100);
	out[16] = ' ';
	put2(out + 17, sod / 3600);
	out[19] = ':';
	put2(out + 20, sod / 60 % 60);
	out[22] = ':';
	put2(out + 23, sod % 60);
	memcpy(out + 25, " GMT", 4);
}

void sr_resp_date(struct sr_resp *w, int64_t unix_s)
{
	static _Thread_local struct {
		bool valid;
		int64_t second;
		char text[DATE_LEN];
	} cache;

	if (!cache.valid || cache.second != unix_s) {
		fmt_date(cache.text, unix_s);
		cache.second = unix_s;
		cache.valid = true;
	}
	PUT_LIT(w, "Date: ");
	put(w, cache.text, DATE_LEN);
	PUT_LIT(w, "\r\n");
}

/* ---- reason phrases ---- */

const char *sr_resp_reason(int status)
{
	switch (status) {
	case 100: return "Trying";
	case 180: return "Ringing";
	case 181: return "Call Is Being Forwarded";
	case 182: return "Queued";
	case 183: return "Session Progress";
	case 200: return "OK";
	case 202: return "Accepted";
	case 300: return "Multiple Choices";
	case 301: return "Moved Permanently";
	case 302: return "Moved Temporarily";
	case 305: return "Use Proxy";
	case 380: return "Alternative Service";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 402: return "Payment Required";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 406: return "Not Acceptable";
	case 407: return "Proxy Authentication Required";
	case 408: return "Request Timeout";
	case 410: return "Gone";
	case 413: return "Request Entity Too Large";
	case 414: return "Request-URI Too Long";
	case 415: return "Unsupported Media Type";
	case 416: return "Unsupported URI Scheme";
	case 420: return "Bad Extension";
	case 421: return "Extension Required";
	case 423: return "Interval Too Brief";
	case 430: return "Flow Failed";                     /* RFC 5626 */
	case 439: return "First Hop Lacks Outbound Support"; /* RFC 5626 */
	case 480: return "Temporarily Unavailable";
	case 481: return "Call/Transaction Does Not Exist";
	case 482: return "Loop Detected";
	case 483: return "Too Many Hops";
	case 484: return "Address Incomplete";
	case 485: return "Ambiguous";
	case 486: return "Busy Here";
	case 487: return "Request Terminated";
	case 488: return "Not Acceptable Here";
	case 491: return "Request Pending";
	case 493: return "Undecipherable";
	case 500: return "Server Internal Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Server Time-out";
	case 505: return "Version Not Supported";
	case 513: return "Message Too Large";
	case 600: return "Busy Everywhere";
	case 603: return "Decline";
	case 604: return "Does Not Exist Anywhere";
	case 606: return "Not Acceptable";
	default: return "Unknown";
	}
}
