/*
 * sip_digest.c - one Authorization value through libosip2 (see sip_digest.h).
 *
 * libosip2 keeps quoted values with their quotes; they are stripped here. The
 * value is copied NUL-terminated onto the stack for libosip2 (bounded: a
 * credential longer than that is not one we issued a nonce for).
 */
#include "sip_digest.h"

#include <osipparser2/headers/osip_authorization.h>
#include <string.h>
#include <strings.h>

#define MAX_AUTH_VALUE 2048

static struct sr_str unquote(const char *v)
{
	struct sr_str s = sr_str_cstr(v);
	if (s.len >= 2 && s.p[0] == '"' && s.p[s.len - 1] == '"')
		s = sr_str_make(s.p + 1, s.len - 2);
	return s;
}

int sr_sip_digest_parse(struct sr_str value, struct sr_sip_digest *out)
{
	char buf[MAX_AUTH_VALUE];
	osip_authorization_t *h = NULL;
	if (value.len >= sizeof(buf) || memchr(value.p, '\0', value.len))
		return -1;
	memcpy(buf, value.p, value.len);
	buf[value.len] = '\0';
	if (osip_authorization_init(&h) != 0)
		return -1;
	if (osip_authorization_parse(h, buf) != 0 || !h->auth_type || strcasecmp(h->auth_type, "Digest") != 0) {
		osip_authorization_free(h);
		return -1;
	}
	/* h and its strings live in the bound arena, reset after the answer: no free here. */
	*out = (struct sr_sip_digest){ unquote(h->username), unquote(h->realm),	 unquote(h->nonce),
				       unquote(h->uri),	     unquote(h->response), unquote(h->algorithm),
				       unquote(h->cnonce),   unquote(h->message_qop), unquote(h->nonce_count) };
	return 0;
}
