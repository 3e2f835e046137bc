/*
 * rf_msg.c - builds regflood's REGISTERs and reads the status, Call-ID and CSeq of
 * the responses (see rf_msg.h for why it is a scan and not a parser).
 *
 * Header names are matched case-insensitively at line starts, compact forms included
 * ("i:" for Call-ID); numbers must be plain decimal within range, anything else makes
 * the whole response unreadable (-1).
 */
#include "rf_msg.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

const char *sr_rf_op_name(enum sr_rf_op op)
{
	static const char *const names[SR_RF_OP_COUNT] = {"new", "refresh", "fetch", "dereg", "auth"};
	return (unsigned)op < SR_RF_OP_COUNT ? names[op] : "?";
}

size_t sr_rf_build(char *buf, size_t cap, const struct sr_rf_ident *id, const struct sr_rf_req *r)
{
	char contact[160];
	const char *authorization = "";
	switch (r->op) {
	case SR_RF_OP_AUTH: /* the same registration as NEW, now with credentials */
		if (!r->authorization)
			return 0;
		authorization = r->authorization;
		/* fall through */
	case SR_RF_OP_NEW:
	case SR_RF_OP_REFRESH:
		snprintf(contact, sizeof contact, "Contact: <sip:%s%07u@%s:%u>\r\nExpires: %u\r\n", id->user_prefix,
			 r->aor, id->local_ip, r->contact_port ? r->contact_port : id->local_port, id->expires);
		break;
	case SR_RF_OP_FETCH:
		contact[0] = '\0';
		break;
	case SR_RF_OP_DEREG:
		snprintf(contact, sizeof contact, "Contact: *\r\nExpires: 0\r\n");
		break;
	default:
		return 0;
	}
	int n = snprintf(buf, cap,
			 "REGISTER sip:%s SIP/2.0\r\n"
			 "Via: SIP/2.0/UDP %s:%u;branch=z9hG4bK-%u.%u.%u;rport\r\n"
			 "Max-Forwards: 70\r\n"
			 "From: <sip:%s%07u@%s>;tag=%u\r\n"
			 "To: <sip:%s%07u@%s>\r\n"
			 "Call-ID: %u.%u@regflood\r\n"
			 "CSeq: %u REGISTER\r\n"
			 "%s%s"
			 "User-Agent: regflood\r\n"
			 "Content-Length: 0\r\n\r\n",
			 id->domain, id->local_ip, id->local_port, r->aor, id->run, r->cseq, id->user_prefix, r->aor,
			 id->domain, id->run, id->user_prefix, r->aor, id->domain, r->aor, id->run, r->cseq, contact,
			 authorization);
	if (n < 0 || (size_t)n >= cap)
		return 0;
	return (size_t)n;
}

/* decimal number of at most 10 digits that fits in 32 bits; advances *p */
static int read_u32(const char **p, const char *end, uint32_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	int digits = 0;
	while (s < end && *s >= '0' && *s <= '9' && digits < 11) {
		v = v * 10 + (uint64_t)(*s - '0');
		s++;
		digits++;
	}
	if (digits == 0 || digits > 10 || v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	*p = s;
	return 0;
}

const char *sr_rf_header_value(const char *line, const char *end, const char *name, const char *compact)
{
	size_t ln = strlen(name), lc = strlen(compact);
	const char *v = NULL;
	if ((size_t)(end - line) > ln && strncasecmp(line, name, ln) == 0)
		v = line + ln;
	else if ((size_t)(end - line) > lc && strncasecmp(line, compact, lc) == 0)
		v = line + lc;
	if (!v)
		return NULL;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	if (v >= end || *v != ':')
		return NULL;
	v++;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	return v;
}

int sr_rf_parse(const char *buf, size_t len, struct sr_rf_resp *out)
{
	const char *end = buf + len;
	if (len < 12 || memcmp(buf, "SIP/2.0 ", 8) != 0)
		return -1;
	const char *p = buf + 8;
	uint32_t status;
	if (read_u32(&p, end, &status) || p - buf != 11 || status < 100 || status > 699)
		return -1;
	int have_callid = 0, have_cseq = 0;
	const char *line = memchr(p, '\n', (size_t)(end - p));
	while (line && ++line < end) {
		if (*line == '\r' || *line == '\n')
			break; /* end of headers */
		const char *v;
		if (!have_callid && (v = sr_rf_header_value(line, end, "Call-ID", "i"))) {
			if (read_u32(&v, end, &out->aor) || v >= end || *v++ != '.' || read_u32(&v, end, &out->run))
				return -1;
			if ((size_t)(end - v) < 9 || memcmp(v, "@regflood", 9) != 0)
				return -1;
			have_callid = 1;
		} else if (!have_cseq && (v = sr_rf_header_value(line, end, "CSeq", "CSeq"))) {
			if (read_u32(&v, end, &out->cseq))
				return -1;
			have_cseq = 1;
		}
		line = memchr(line, '\n', (size_t)(end - line));
	}
	if (!have_callid || !have_cseq)
		return -1;
	out->status = (int)status;
	out->challenge = false;
	return 0;
}
