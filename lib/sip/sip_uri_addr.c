/*
 * sip_uri_addr.c - URI hops and Via values for the proxy (see sip_uri_addr.h).
 */
#include "sip_uri_addr.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <osipparser2/osip_uri.h>

#include "sip_host.h"
#include "sip_msg.h"

/* The host as an IPv4 address (network order) when it is a dotted-quad literal; 0 otherwise. */
static uint32_t host_ipv4(struct sr_str host)
{
	struct sr_ip ip;
	uint32_t v4 = 0;
	static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	if (sr_sip_host_ip(host, &ip) == 0 && memcmp(ip.b, v4mapped, 12) == 0)
		memcpy(&v4, ip.b + 12, 4);
	return v4;
}

int sr_sip_uri_parts(struct sr_str v, struct sr_arena *arena, struct sr_uri_parts *out)
{
	memset(out, 0, sizeof(*out));
	struct sr_name_addr na;
	if (sr_sip_name_addr(sr_str_trim(v), &na) != 0)
		return -1;
	char *copy = sr_arena_strndup(arena, na.uri.p, na.uri.len);
	osip_uri_t *u = NULL;
	if (!copy || osip_uri_init(&u) != 0 || osip_uri_parse(u, copy) != 0 || !u->scheme || !u->host ||
	    (strcasecmp(u->scheme, "sip") != 0 && strcasecmp(u->scheme, "sips") != 0))
		return -1;
	out->user = sr_str_cstr(u->username);
	out->host = sr_str_cstr(u->host);
	if (u->port) {
		char *end;
		long p = strtol(u->port, &end, 10);
		if (*end != '\0' || p <= 0 || p > 65535)
			return -1;
		out->port = (uint16_t)p;
	}
	out->ipv4 = host_ipv4(out->host);
	return 0;
}

struct sr_str sr_sip_via_sent_by(struct sr_str via)
{
	/* "SIP/2.0/UDP host:port;params": the protocol, white space, then sent-by up to ';', ',' or white space */
	const char *p = via.p, *end = via.p + via.len;
	while (p < end && *p != ' ' && *p != '\t')
		p++;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	const char *s = p;
	while (p < end && *p != ';' && *p != ',' && *p != ' ' && *p != '\t')
		p++;
	return sr_str_make(s, (size_t)(p - s));
}

struct sr_str sr_sip_via_branch(struct sr_str via)
{
	for (const char *p = via.p, *end = via.p + via.len; (p = memchr(p, ';', (size_t)(end - p))) != NULL;) {
		p++;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if ((size_t)(end - p) > 7 && strncasecmp(p, "branch", 6) == 0) {
			const char *q = p + 6;
			while (q < end && (*q == ' ' || *q == '\t'))
				q++;
			if (q < end && *q == '=') {
				q++;
				while (q < end && (*q == ' ' || *q == '\t'))
					q++;
				const char *s = q;
				while (q < end && *q != ';' && *q != ',' && *q != ' ' && *q != '\t')
					q++;
				return sr_str_make(s, (size_t)(q - s));
			}
		}
	}
	return SR_STR_NULL;
}

/* A decimal number of at most max_digits digits up to NUL or stop; the position after it, NULL if none. */
static const char *decimal(const char *s, char stop, unsigned max_digits, unsigned *v)
{
	unsigned x = 0, n = 0;
	for (; *s >= '0' && *s <= '9'; s++, n++)
		x = x * 10 + (unsigned)(*s - '0');
	if (n == 0 || n > max_digits || (*s != stop && *s != '\0'))
		return NULL;
	*v = x;
	return s;
}

/*
 * Every REGISTER pays for this, so it reads the plain dotted quad and the
 * port digits itself (inet_pton and strtol cost several times more): an
 * exotic spelling of the source address (octal, hex, IPv4-mapped IPv6)
 * merely gets a ;received= it did not need.
 */
bool sr_sip_uri_is_source(const struct osip_uri *u, uint32_t ip, uint16_t port)
{
	if (u == NULL || u->host == NULL || ip == 0)
		return false;
	const char *s = u->host;
	const uint8_t *want = (const uint8_t *)&ip; /* network order: the first octet first */
	for (int i = 0; i < 4; i++) {
		unsigned octet;
		s = decimal(s, i < 3 ? '.' : '\0', 3, &octet);
		if (s == NULL || octet != want[i] || (i < 3 && *s++ != '.'))
			return false;
	}
	if (*s != '\0')
		return false;
	unsigned p;
	if (u->port)
		return decimal(u->port, '\0', 5, &p) != NULL && p == port;
	return port == (u->scheme && strcasecmp(u->scheme, "sips") == 0 ? 5061 : 5060);
}

int sr_sip_first_hop(struct sr_str list, struct sr_arena *arena, struct sr_uri_parts *out)
{
	const char *gt = memchr(list.p, '>', list.len);
	if (gt == NULL)
		return -1;
	return sr_sip_uri_parts(sr_str_make(list.p, (size_t)(gt + 1 - list.p)), arena, out);
}

struct sr_str sr_sip_tag_in(struct sr_str value, struct sr_str tag)
{
	if (tag.len == 0 || tag.len > value.len)
		return SR_STR_NULL;
	for (const char *p = value.p; p + tag.len <= value.p + value.len; p++)
		if (memcmp(p, tag.p, tag.len) == 0 && p > value.p && p[-1] == '=')
			return sr_str_make(p, tag.len);
	return SR_STR_NULL;
}
