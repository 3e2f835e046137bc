/*
 * sip_path_received.c - the UA's address a load balancer wrote into the
 * first Path URI (see sip_uri_addr.h, sr_sip_path_received).
 *
 * Design decisions:
 * - The parameter is found by the byte scan sr_sip_uri_param_in already
 *   does for pn-purr; its value is a URI of its own ("sip:203.0.113.5:5060",
 *   the path modules of OpenSIPS and Kamailio write it %-escaped, some
 *   balancers quote it), so it is unescaped into a small buffer, cut at its
 *   own parameters and read by sr_sip_uri_parts, the parse every other hop
 *   goes through. A value without a scheme ("203.0.113.5:5060") is read as
 *   a sip URI.
 * - Only an IPv4 literal is an address: the data plane does no DNS.
 */
#include "sip_uri_addr.h"

#include <string.h>
#include <strings.h>

#include "sip_chars.h"

#define RECEIVED_MAX 128

bool sr_sip_path_received(struct sr_str path, struct sr_arena *arena, uint32_t *ip, uint16_t *port)
{
	struct sr_str first = sr_str_trim(path);
	if (first.len == 0)
		return false;
	if (first.p[0] != '<') { /* a bare URI: the first one ends at the list's comma */
		const char *comma = memchr(first.p, ',', first.len);
		if (comma)
			first.len = (size_t)(comma - first.p);
	}
	struct sr_str v;
	if (!sr_sip_uri_param_in(first, "received", &v))
		return false;
	if (v.len >= 2 && v.p[0] == '"' && v.p[v.len - 1] == '"')
		v = sr_str_make(v.p + 1, v.len - 2);
	char buf[RECEIVED_MAX];
	size_t n = 0;
	bool scheme = v.len > 4 && (strncasecmp(v.p, "sip:", 4) == 0 || strncasecmp(v.p, "sips:", 5) == 0);
	if (!scheme) {
		memcpy(buf, "sip:", 4);
		n = 4;
	}
	for (size_t i = 0; i < v.len;) {
		char ch = sr_sip_unescape_next(v.p, v.len, &i);
		if (ch == ';' || ch == '>' || ch == '?')
			break; /* the received URI's own parameters (transport=...) */
		if (n == sizeof(buf))
			return false;
		buf[n++] = ch;
	}
	struct sr_uri_parts parts;
	if (sr_sip_uri_parts(sr_str_make(buf, n), arena, &parts) != 0 || parts.ipv4 == 0 || parts.user.len)
		return false;
	*ip = parts.ipv4;
	*port = parts.port ? parts.port : 5060;
	return true;
}
