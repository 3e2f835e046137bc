/*
 * sip_hdr_osip.c - the libosip2 path: Request-URI, Via, To and Contact
 * through libosip2's own parsers, the parser of record (see sip_hdr.h).
 *
 * libosip2 parses into the arena bound for it; its strings are copied into
 * the view as ranges (no second copy). Checks libosip2 does not make are
 * made here on the raw text: %-escapes (sr_sip_escapes_ok), ports of
 * digits, RFC 3261 20's rule that an unbracketed Contact URI holds no '?'.
 * A NUL is let through by the walker only as a quoted-pair inside a quoted
 * string; it becomes a space in the copy libosip2 parses, so libosip2 sees
 * the whole value (only a display name can change, never a URI).
 */
#include "sip_hdr.h"
#include "sip_osip.h"

#include <osipparser2/osip_message.h>
#include <string.h>

/* NUL-terminated copy for libosip2, NUL bytes (quoted-pairs) as spaces. */
static char *dup0(struct sr_arena *arena, struct sr_str s)
{
	char *c = sr_arena_strndup(arena, s.p, s.len);
	for (char *z = c; z && (z = memchr(z, '\0', (size_t)(c + s.len - z))) != NULL;)
		*z = ' ';
	return c;
}

/* Maps a sr_hdr_split result to a parse result. */
static int split_result(int rc, struct sr_sip_error *err, const char *bad_quoting)
{
	if (rc == 0)
		return SR_SIP_OK;
	if (rc == -1)
		return sr_hdr_fail(err, bad_quoting);
	return SR_SIP_BAD;
}

/* The reason for a URI sr_sip_uri_osip refused, from a table per header. */
struct uri_reasons {
	const char *bad_uri, *bad_escape, *bad_port;
};

static const char *uri_reason(const struct uri_reasons *r, const char *why)
{
	if (strcmp(why, "bad %-escape") == 0)
		return r->bad_escape;
	if (strcmp(why, "bad port") == 0)
		return r->bad_port;
	return r->bad_uri;
}

/* ---- Request-URI ---- */

static bool is_alpha(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

int sr_osip_ruri(struct sr_str u, struct sr_arena *arena, struct sr_sip_uri *out, struct sr_sip_error *err)
{
	static const struct uri_reasons r = { "Malformed Request-URI", "Malformed Request-URI (bad %-escape)",
					      "Malformed Request-URI (bad port)" };
	if (u.len == 0 || memchr(u.p, ' ', u.len) || memchr(u.p, '\t', u.len) || memchr(u.p, '\0', u.len))
		return sr_hdr_fail(err, r.bad_uri);
	/* RFC 3986 scheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" (refuses "<sip:...>") */
	size_t sl = 0;
	while (sl < u.len && (is_alpha(u.p[sl]) || (sl && (strchr("+-.", u.p[sl]) || (u.p[sl] >= '0' && u.p[sl] <= '9')))))
		sl++;
	if (sl == 0 || sl == u.len || u.p[sl] != ':')
		return sr_hdr_fail(err, r.bad_uri);
	bool sip = (sl == 3 && strncasecmp(u.p, "sip", 3) == 0) || (sl == 4 && strncasecmp(u.p, "sips", 4) == 0);
	const char *why;
	if (sr_sip_uri_osip(u, arena, out, &why) != SR_URI_OK) {
		if (sip || strcmp(why, "bad URI") != 0)
			return sr_hdr_fail(err, uri_reason(&r, why));
		/* A URI of a scheme we do not know is not malformed, just not ours (RFC 3261 8.2.2.1). */
		err->status = 416;
		err->reason = "Unsupported URI Scheme in Request-URI";
		return SR_SIP_BAD;
	}
	if (sip && out->n_headers)
		return sr_hdr_fail(err, "Malformed Request-URI (headers are not allowed)");
	if (sip && memchr(out->host.p, ':', out->host.len) && !memchr(u.p, '[', u.len))
		return sr_hdr_fail(err, "Malformed Request-URI (IPv6 reference without brackets)");
	return SR_SIP_OK;
}

/* ---- To ---- */

int sr_osip_to(struct sr_str value, struct sr_arena *arena, struct sr_sip_addr *out, struct sr_sip_error *err)
{
	static const struct uri_reasons r = { "Malformed To header (bad URI)", "Malformed To header (bad %-escape)",
					      "Malformed To header (bad port)" };
	struct sr_name_addr na;
	if (sr_sip_name_addr(value, &na) != 0)
		return sr_hdr_fail(err, "Malformed To header");
	const char *why;
	if (sr_sip_uri_osip(na.uri, arena, &out->uri, &why) != SR_URI_OK)
		return sr_hdr_fail(err, uri_reason(&r, why));
	out->raw = value;
	out->uri_text = na.uri;
	out->tag = sr_hdr_tag_param(na.params);
	return SR_SIP_OK;
}

/* ---- Via ---- */

struct list_ctx {
	struct sr_sip_msg *m;
	struct sr_arena *arena;
	struct sr_sip_error *err;
};

/* List element callbacks return 1 once err is set. */
static int elem_fail(struct sr_sip_error *err, const char *reason)
{
	sr_hdr_fail(err, reason);
	return 1;
}

static struct sr_str via_param(osip_via_t *via, const char *name, bool *present)
{
	osip_generic_param_t *p = NULL;
	*present = osip_via_param_get_byname(via, (char *)name, &p) == 0 && p;
	return *present && p->gvalue ? sr_str_cstr(p->gvalue) : SR_STR_NULL;
}

int sr_osip_top_via(struct sr_sip_via *v, struct sr_str elem, struct sr_arena *arena, struct sr_sip_error *err)
{
	char *copy = dup0(arena, elem);
	osip_via_t *via = NULL;
	if (!copy || osip_via_init(&via) != 0 || osip_via_parse(via, copy) != 0 || !via->host)
		return sr_hdr_fail(err, "Malformed Via header");
	memset(v, 0, sizeof(*v));
	v->raw = elem;
	v->transport = sr_str_cstr(via->protocol);
	v->host = sr_str_cstr(via->host);
	v->port = sr_str_cstr(via->port);
	/* libosip2 keeps any text as the port; the reply port must be a number (RFC 3261 25.1). */
	if (via->port && !sr_sip_port_ok(v->port))
		return sr_hdr_fail(err, "Malformed Via header (bad port)");
	bool present;
	v->branch = via_param(via, "branch", &present);
	v->received = via_param(via, "received", &v->has_received);
	v->rport_value = via_param(via, "rport", &v->has_rport);
	sr_hdr_via_params(v);
	return SR_SIP_OK;
}

static int via_elem(struct sr_str elem, void *vctx)
{
	struct list_ctx *c = vctx;
	struct sr_sip_msg *m = c->m;
	if (elem.len == 0)
		return elem_fail(c->err, "Malformed Via header (empty value)");
	if (m->n_via == SR_SIP_MAX_VIA)
		return elem_fail(c->err, "Too many Via headers");
	if (m->n_via == 0 && sr_osip_top_via(&m->top_via, elem, c->arena, c->err) != SR_SIP_OK)
		return 1;
	m->via[m->n_via++] = elem;
	return 0;
}

int sr_osip_via(struct sr_sip_msg *m, struct sr_str value, struct sr_arena *arena, struct sr_sip_error *err)
{
	struct list_ctx lc = { m, arena, err };
	return split_result(sr_hdr_split(value, via_elem, &lc), err, "Malformed Via header");
}

/* ---- Contact ---- */

/* One Contact value through osip_contact_parse; returns 0 or err's reason. */
static const char *parse_contact(struct sr_sip_contact *ct, struct sr_str value, struct sr_arena *arena)
{
	static const struct uri_reasons r = { "Malformed Contact header", "Malformed Contact header (bad %-escape)",
					      "Malformed Contact header (bad port)" };
	struct sr_name_addr na;
	if (sr_sip_name_addr(value, &na) != 0)
		return r.bad_uri;
	/*
	 * RFC 3261 20: a URI holding ',', '?' or ';' must be enclosed in <>; in
	 * the bare addr-spec form everything after ';' is a header parameter, and
	 * a '?' (URI headers) is malformed (RFC 4475 regbadct).
	 */
	if (!memchr(value.p, '<', value.len) && memchr(na.uri.p, '?', na.uri.len))
		return r.bad_uri;
	if (!sr_sip_escapes_ok(na.uri))
		return r.bad_escape;
	char *copy = dup0(arena, value);
	osip_contact_t *c = NULL;
	if (!copy || osip_contact_init(&c) != 0 || osip_contact_parse(c, copy) != 0 || !c->url)
		return r.bad_uri;
	const char *why;
	if (sr_sip_uri_from_osip(c->url, arena, &ct->uri, &why) != SR_URI_OK)
		return uri_reason(&r, why);
	int n = sr_sip_params_from_osip(&c->gen_params, arena, &ct->params);
	if (n < 0)
		return r.bad_uri;
	ct->n_params = (unsigned)n;
	ct->raw = value;
	ct->uri_text = na.uri;
	return NULL;
}

static int contact_elem(struct sr_str elem, void *vctx)
{
	struct list_ctx *c = vctx;
	struct sr_sip_msg *m = c->m;
	if (elem.len == 1 && elem.p[0] == '*') {
		if (m->contact_star)
			return elem_fail(c->err, "Contact '*' given twice");
		m->contact_star = true;
		return 0;
	}
	if (elem.len == 0)
		return elem_fail(c->err, "Malformed Contact header (empty value)");
	if (m->n_contacts == SR_SIP_MAX_CONTACTS)
		return elem_fail(c->err, "Too many Contact values");
	const char *why = parse_contact(&m->contacts[m->n_contacts], elem, c->arena);
	if (why)
		return elem_fail(c->err, why);
	m->n_contacts++;
	return 0;
}

int sr_osip_contact(struct sr_sip_msg *m, struct sr_str value, struct sr_arena *arena, struct sr_sip_error *err)
{
	struct list_ctx lc = { m, arena, err };
	return split_result(sr_hdr_split(value, contact_elem, &lc), err, "Malformed Contact header");
}
