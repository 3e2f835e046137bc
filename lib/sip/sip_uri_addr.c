/*
 * sip_uri_addr.c - URI hops and Via values for the proxy (see sip_uri_addr.h).
 */
#include "sip_uri_addr.h"

#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

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
	struct sr_sip_uri u;
	if (sr_sip_name_addr(sr_str_trim(v), &na) != 0 || sr_sip_uri_parse(na.uri, arena, &u) != SR_URI_OK ||
	    u.scheme == SR_URI_OTHER || u.host.len == 0)
		return -1;
	out->user = u.user;
	out->host = u.host;
	uint64_t port;
	if (u.port.len) {
		if (!sr_str_to_uint(u.port, 65535, &port) || port == 0)
			return -1;
		out->port = (uint16_t)port;
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

/*
 * A decimal number of at most max_digits digits up to stop or the end of the
 * range; where it ended, NULL if none. Inlined into its five calls per
 * REGISTER (sr_sip_uri_is_source).
 */
static inline __attribute__((always_inline)) const char *decimal(const char *s, const char *end, char stop,
								   unsigned max_digits, unsigned *v)
{
	unsigned x = 0, n = 0;
	for (; s < end && *s >= '0' && *s <= '9'; s++, n++)
		x = x * 10 + (unsigned)(*s - '0');
	if (n == 0 || n > max_digits || (s < end && *s != stop))
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
bool sr_sip_uri_is_source(const struct sr_sip_uri *u, uint32_t ip, uint16_t port)
{
	if (u == NULL || u->host.len == 0 || ip == 0)
		return false;
	const char *s = u->host.p, *end = u->host.p + u->host.len;
	const uint8_t *want = (const uint8_t *)&ip; /* network order: the first octet first */
	for (int i = 0; i < 4; i++) {
		unsigned octet;
		s = decimal(s, end, i < 3 ? '.' : '\0', 3, &octet);
		if (s == NULL || octet != want[i] || (i < 3 && (s == end || *s++ != '.')))
			return false;
	}
	if (s != end)
		return false;
	unsigned p;
	if (u->port.len)
		return decimal(u->port.p, u->port.p + u->port.len, '\0', 5, &p) == u->port.p + u->port.len && p == port;
	return port == (u->scheme == SR_URI_SIPS ? 5061 : 5060);
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
