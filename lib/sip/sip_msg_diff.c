/*
 * sip_msg_diff.c - field-by-field comparison of two message views.
 *
 * The oracle of the differential fuzz target (tests/fuzz/fuzz_sip_diff.c):
 * the fast path and the libosip2 path must fill the same view for every
 * message the fast path accepts. Ranges are compared by content (the two
 * paths point at different memory: the message or the arena), except the
 * Via parameter offsets, which are numbers. Also used by the unit tests
 * (a resumed walk equals a fresh one).
 */
#include "sip_msg.h"

struct diff {
	const char *what; /* the first field found different */
};

static bool str_same(struct diff *d, const char *what, struct sr_str a, struct sr_str b)
{
	if (sr_str_eq(a, b))
		return true;
	d->what = what;
	return false;
}

static bool num_same(struct diff *d, const char *what, int64_t a, int64_t b)
{
	if (a == b)
		return true;
	d->what = what;
	return false;
}

static bool params_same(struct diff *d, const char *what, const struct sr_sip_param *a, unsigned na,
			const struct sr_sip_param *b, unsigned nb)
{
	if (!num_same(d, what, na, nb))
		return false;
	for (unsigned i = 0; i < na; i++) {
		/* a valueless parameter and one with an empty value are different things */
		if (!str_same(d, what, a[i].name, b[i].name) || !str_same(d, what, a[i].value, b[i].value) ||
		    !num_same(d, what, a[i].value.p != NULL, b[i].value.p != NULL))
			return false;
	}
	return true;
}

static bool uri_same(struct diff *d, const char *w, const struct sr_sip_uri *a, const struct sr_sip_uri *b)
{
	return num_same(d, w, a->scheme, b->scheme) && str_same(d, w, a->scheme_text, b->scheme_text) &&
	       str_same(d, w, a->user, b->user) && str_same(d, w, a->password, b->password) &&
	       str_same(d, w, a->host, b->host) && str_same(d, w, a->port, b->port) &&
	       str_same(d, w, a->opaque, b->opaque) &&
	       params_same(d, w, a->params, a->n_params, b->params, b->n_params) &&
	       params_same(d, w, a->headers, a->n_headers, b->headers, b->n_headers);
}

static bool via_same(struct diff *d, const struct sr_sip_via *a, const struct sr_sip_via *b)
{
	return str_same(d, "top Via", a->raw, b->raw) && str_same(d, "Via transport", a->transport, b->transport) &&
	       str_same(d, "Via host", a->host, b->host) && str_same(d, "Via port", a->port, b->port) &&
	       str_same(d, "Via branch", a->branch, b->branch) &&
	       str_same(d, "Via received", a->received, b->received) &&
	       str_same(d, "Via rport", a->rport_value, b->rport_value) &&
	       num_same(d, "Via rport", a->has_rport, b->has_rport) &&
	       num_same(d, "Via received", a->has_received, b->has_received) &&
	       num_same(d, "Via rport offsets", a->rport_at, b->rport_at) &&
	       num_same(d, "Via rport offsets", a->rport_end, b->rport_end) &&
	       num_same(d, "Via received offsets", a->received_at, b->received_at) &&
	       num_same(d, "Via received offsets", a->received_end, b->received_end);
}

static bool lists_same(struct diff *d, const char *what, const struct sr_str *a, const struct sr_str *b, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (!str_same(d, what, a[i], b[i]))
			return false;
	return true;
}

static bool contacts_same(struct diff *d, const struct sr_sip_msg *a, const struct sr_sip_msg *b)
{
	if (!num_same(d, "Contact count", a->n_contacts, b->n_contacts) ||
	    !num_same(d, "Contact *", a->contact_star, b->contact_star))
		return false;
	for (unsigned i = 0; i < a->n_contacts; i++) {
		const struct sr_sip_contact *x = &a->contacts[i], *y = &b->contacts[i];
		if (!str_same(d, "Contact value", x->raw, y->raw) || !str_same(d, "Contact URI text", x->uri_text, y->uri_text) ||
		    !uri_same(d, "Contact URI", &x->uri, &y->uri) ||
		    !params_same(d, "Contact parameters", x->params, x->n_params, y->params, y->n_params))
			return false;
	}
	return true;
}

/* The ranges a proxy rewrites (filled by the walker and the common parsers on both paths, resumed or not). */
static bool proxy_same(struct diff *d, const struct sr_sip_msg *a, const struct sr_sip_msg *b)
{
	unsigned routes = a->n_route < SR_SIP_MAX_ROUTE ? a->n_route : SR_SIP_MAX_ROUTE;
	unsigned lines = a->n_route_lines < SR_SIP_MAX_ROUTE ? a->n_route_lines : SR_SIP_MAX_ROUTE;
	return num_same(d, "header offset", (int64_t)a->headers_at, (int64_t)b->headers_at) &&
	       num_same(d, "body offset", (int64_t)a->body_at, (int64_t)b->body_at) &&
	       str_same(d, "top Via line", a->top_via_line, b->top_via_line) &&
	       num_same(d, "Max-Forwards", a->max_forwards, b->max_forwards) &&
	       str_same(d, "Max-Forwards line", a->max_forwards_line, b->max_forwards_line) &&
	       num_same(d, "Route count", a->n_route, b->n_route) && lists_same(d, "Route", a->route, b->route, routes) &&
	       num_same(d, "Route lines", a->n_route_lines, b->n_route_lines) &&
	       lists_same(d, "Route lines", a->route_line, b->route_line, lines) &&
	       str_same(d, "Proxy-Require unknown", a->proxy_require_unknown, b->proxy_require_unknown) &&
	       num_same(d, "challenge count", a->n_challenge, b->n_challenge) &&
	       lists_same(d, "challenges", a->challenge_line, b->challenge_line, a->n_challenge);
}

const char *sr_sip_msg_diff(const struct sr_sip_msg *a, const struct sr_sip_msg *b)
{
	static _Thread_local struct diff d;
	d.what = NULL;
	bool same = num_same(&d, "request or response", a->is_request, b->is_request) &&
		    str_same(&d, "method", a->method, b->method) && str_same(&d, "Request-URI", a->ruri_raw, b->ruri_raw) &&
		    (!a->is_request || uri_same(&d, "Request-URI parts", &a->ruri, &b->ruri)) &&
		    num_same(&d, "status", a->status, b->status) && num_same(&d, "Via count", a->n_via, b->n_via) &&
		    lists_same(&d, "Via values", a->via, b->via, a->n_via) &&
		    (a->n_via == 0 || via_same(&d, &a->top_via, &b->top_via)) &&
		    str_same(&d, "From", a->from_raw, b->from_raw) && str_same(&d, "From tag", a->from_tag, b->from_tag) &&
		    str_same(&d, "To", a->to.raw, b->to.raw) && str_same(&d, "To URI text", a->to.uri_text, b->to.uri_text) &&
		    str_same(&d, "To tag", a->to.tag, b->to.tag) &&
		    (a->to.raw.len == 0 || uri_same(&d, "To URI", &a->to.uri, &b->to.uri)) &&
		    str_same(&d, "Call-ID", a->call_id, b->call_id) && num_same(&d, "CSeq", a->cseq, b->cseq) &&
		    str_same(&d, "CSeq method", a->cseq_method, b->cseq_method) && contacts_same(&d, a, b) &&
		    num_same(&d, "Expires", a->expires, b->expires) && num_same(&d, "Require", a->require, b->require) &&
		    str_same(&d, "Require unknown", a->require_unknown, b->require_unknown) &&
		    num_same(&d, "Supported", a->supported, b->supported) && num_same(&d, "Path count", a->n_path, b->n_path) &&
		    lists_same(&d, "Path", a->path, b->path, a->n_path) &&
		    str_same(&d, "User-Agent", a->user_agent, b->user_agent) && num_same(&d, "Allow", a->allow, b->allow) &&
		    num_same(&d, "Authorization count", a->n_authorization, b->n_authorization) &&
		    lists_same(&d, "Authorization", a->authorization, b->authorization, a->n_authorization) &&
		    num_same(&d, "Content-Length", a->content_length, b->content_length) &&
		    num_same(&d, "message length", (int64_t)a->msg_len, (int64_t)b->msg_len) && proxy_same(&d, a, b);
	return same ? NULL : d.what;
}

const char *sr_sip_uri_diff(const struct sr_sip_uri *a, const struct sr_sip_uri *b)
{
	static _Thread_local struct diff d;
	d.what = NULL;
	return uri_same(&d, "URI", a, b) ? NULL : d.what;
}
