/*
 * sip_uri_param.c - one URI parameter read from a URI's text (see
 * sip_uri_addr.h, sr_sip_uri_param_in).
 *
 * Why from text and not from libosip2's url_params: the caller has the
 * URI's bytes in the message view already (the Request-URI, a Route value)
 * and wants one parameter of it on a hot path (RFC 8599's pn-purr on every
 * mid-dialog request), so a scan of the bytes it has costs less than a URI
 * parse; and the value comes back as sent (still %-escaped), a range of
 * the caller's bytes.
 */
#include "sip_uri_addr.h"

#include <strings.h>

bool sr_sip_uri_param_in(struct sr_str uri, const char *name, struct sr_str *value)
{
	size_t nl = 0;
	while (name[nl])
		nl++;
	const char *p = uri.p, *end = uri.p + uri.len;
	if (uri.len && p[0] == '<') { /* a name-addr: the URI inside < > */
		p++;
		for (const char *q = p; q < end; q++)
			if (*q == '>') {
				end = q;
				break;
			}
	}
	for (const char *q = p; q < end; q++)
		if (*q == '?') { /* headers: not parameters */
			end = q;
			break;
		}
	while (p < end && *p != ';')
		p++;
	while (p < end) {
		const char *n = ++p; /* past ';' */
		while (p < end && *p != ';' && *p != '=')
			p++;
		size_t len = (size_t)(p - n);
		const char *v = p, *ve = p;
		if (p < end && *p == '=') {
			v = ++p;
			while (p < end && *p != ';')
				p++;
			ve = p;
		}
		if (len == nl && strncasecmp(n, name, nl) == 0) {
			*value = sr_str_make(v, (size_t)(ve - v));
			return true;
		}
	}
	return false;
}
