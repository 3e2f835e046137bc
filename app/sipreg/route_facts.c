/*
 * route_facts.c - one job: the message view's parse of a routed message
 * turned into lib/routing's facts (struct sr_route_req / sr_route_resp),
 * without reading the message again.
 *
 * Design decisions:
 * - Every fact is a range of the one parse (lib/sip's sr_sip_msg) or a
 *   short accessor of lib/sip over one of its ranges (sip_uri_addr.h):
 *   Route hop, Via sent-by and branch. Nothing here scans SIP text.
 * - Ranges the proxy keeps must lie inside the datagram (lib/routing copies
 *   the request and rebases them). A folded From, To, Call-ID, Via, Route
 *   or Max-Forwards is unfolded into the arena by the view, so such a
 *   request is refused here (the caller counts it as unroutable and the
 *   registrar answers it), as is one with more Route values than a
 *   forwarded request may carry.
 * - What the Request-URI names: our own address (any spelling of net.ip) or
 *   a served domain without user part is "self" (the registrar's: OPTIONS
 *   pings); a user at a served domain is looked up (a temporary GRUU under
 *   the AoR it carries, reg_tgruu.h); anything else is foreign and never
 *   relayed.
 * - The head of our own responses is the registrar's: the response
 *   writer's dialog headers (top Via with received/rport), so a 480 from
 *   the proxy reaches the same address as a 200 from the registrar.
 */
#include "route_facts.h"

#include <string.h>

#include "sip_aor.h"
#include "sip_response.h"
#include "sip_uri_addr.h"

static bool inside(struct sr_str whole, struct sr_str part)
{
	return part.len == 0 || (part.p >= whole.p && part.p + part.len <= whole.p + whole.len);
}

/* What the Request-URI names, and its canonical AoR in c->aor. */
static enum sr_route_ruri ruri_kind(const struct sr_route_facts *c, const struct sr_sip_msg *m,
				    struct sr_route_req *rq)
{
	const struct sr_reg_config *cfg = c->reg;
	struct sr_aor_options opt = { cfg->case_sensitive, cfg->realm_prefix };
	struct sr_str user, host;
	size_t len;
	if (sr_aor_canonicalize(&m->ruri, &opt, c->aor, c->aor_cap, &len, &user, &host) != SR_AOR_OK)
		return SR_RURI_FOREIGN;
	rq->aor = sr_str_make(c->aor, len);
	if (sr_sip_host_classify(host, c->self_ip) & SR_HOST_SELF)
		return SR_RURI_SELF; /* our address: OPTIONS pings and the like are the registrar's */
	if (!sr_reg_config_serves(cfg, host))
		return SR_RURI_FOREIGN;
	if (!user.len)
		return SR_RURI_SELF;
	struct sr_str tg; /* a temporary GRUU is looked up under the AoR it carries (the pre-scan's owner) */
	if (c->tgruu && sr_tgruu_in_uri(&m->ruri, &tg) && sr_tgruu_aor(c->tgruu, tg, c->aor, c->aor_cap, &len))
		rq->aor = sr_str_make(c->aor, len);
	return SR_RURI_SERVED;
}

/* The top Route (ours or not) and the Vias we wrote before (loops, spirals). */
static void route_and_vias(const struct sr_route_facts *c, const struct sr_sip_msg *m, struct sr_route_req *rq)
{
	struct sr_uri_parts up;
	if (m->n_route && sr_sip_uri_parts(m->route[0], c->arena, &up) == 0 && up.ipv4 == c->ip &&
	    (up.port ? up.port : 5060) == c->sip_port) {
		rq->top_route_self = true;
		rq->top_route_user = up.user;
	}
	struct sr_str self = c->self;
	for (unsigned i = 1; i < m->n_via && i < SR_SIP_MAX_VIA && rq->n_own_vias < SR_ROUTE_MAX_OWN_VIAS; i++)
		if (sr_str_caseeq(sr_sip_via_sent_by(m->via[i]), self))
			rq->own_via_branch[rq->n_own_vias++] = sr_sip_via_branch(m->via[i]);
}

bool sr_route_facts_request(const struct sr_route_facts *c, const struct sr_sip_msg *m, const char *sip,
			    const struct sr_net_pkt *p, struct sr_route_req *rq)
{
	struct sr_str whole = sr_str_make(sip, m->msg_len);
	if (m->n_route > SR_FWD_MAX_ROUTES || m->n_route_lines > SR_FWD_MAX_ROUTES || m->n_via == 0 ||
	    m->body_at > m->msg_len)
		return false;
	memset(rq, 0, sizeof(*rq));
	struct sr_fwd_req *f = &rq->fwd;
	f->msg = whole;
	f->method = m->method;
	f->ruri = m->ruri_raw;
	f->headers_at = m->headers_at;
	f->body_at = m->body_at;
	f->max_forwards_line = m->max_forwards_line;
	f->max_forwards = m->max_forwards >= 0 ? (uint32_t)m->max_forwards : 70;
	f->n_route_lines = m->n_route_lines;
	memcpy(f->route_lines, m->route_line, m->n_route_lines * sizeof(m->route_line[0]));
	f->n_routes = m->n_route;
	memcpy(f->routes, m->route, m->n_route * sizeof(m->route[0]));
	f->from = m->from_raw;
	f->to = m->to.raw;
	f->call_id = m->call_id;
	f->cseq = m->cseq;
	bool ok = inside(whole, f->from) && inside(whole, f->to) && inside(whole, f->call_id) &&
		  inside(whole, f->max_forwards_line) && inside(whole, m->via[0]);
	for (unsigned i = 0; i < f->n_routes; i++)
		ok = ok && inside(whole, f->routes[i]);
	for (unsigned i = 0; i < f->n_route_lines; i++)
		ok = ok && inside(whole, f->route_lines[i]);
	if (!ok)
		return false;

	rq->txn = (struct sr_txn_req){
		.method = m->method,
		.branch = m->top_via.branch,
		.sent_by = sr_sip_via_sent_by(m->via[0]),
		.cseq = m->cseq,
		.ruri = m->ruri_raw,
		.call_id = m->call_id,
		.from_tag = sr_sip_tag_in(f->from, m->from_tag), /* the view's tag is a copy in the arena */
		.top_via = m->via[0],
	};
	rq->source = (struct sr_txn_dest){ p->src_ip, p->src_port, false };
	uint16_t reply_port = c->symmetric ? p->src_port : sr_resp_reply_port(m, p->src_port);
	rq->reply_to = (struct sr_txn_dest){ p->src_ip, reply_port, false };
	/* The head of our own responses: what the registrar's responses copy, without the status line. */
	struct sr_resp rw;
	struct sr_addr src = { p->src_ip, p->src_port };
	sr_resp_begin(&rw, c->head, c->head_cap, 100, "Trying");
	size_t status_len = rw.len;
	sr_resp_dialog_headers(&rw, m, &src, SR_STR_NULL);
	if (rw.overflow)
		return false;
	rq->head.lines = sr_str_make(c->head + status_len, rw.len - status_len);
	rq->head.to_tag_at = m->to.tag.len ? 0 : rw.to_value_end - status_len;
	rq->to_tag = m->to.tag;
	rq->ruri = ruri_kind(c, m, rq);
	struct sr_str gr;
	if (rq->ruri == SR_RURI_SERVED && sr_sip_uri_param(&m->ruri, "gr", &gr)) {
		rq->gruu = gr.len ? SR_GRUU_PUBLIC : SR_GRUU_TEMP;
		rq->gruu_id = gr.len ? gr : m->ruri.user;
	}
	route_and_vias(c, m, rq);
	rq->proxy_require_unknown = m->proxy_require_unknown;
	if (!sr_sip_uri_param(&m->ruri, "pn-purr", &rq->purr)) /* RFC 8599: checked by the routing's io.purr */
		rq->purr = SR_STR_NULL;
	return true;
}

bool sr_route_facts_response(const struct sr_sip_msg *m, const char *sip, size_t len, struct sr_route_resp *rp)
{
	struct sr_str whole = sr_str_make(sip, len);
	if (m->n_via == 0 || !inside(whole, m->via[0]) || !inside(whole, m->top_via_line) || m->body_at < 2)
		return false;
	memset(rp, 0, sizeof(*rp));
	rp->txn.status = m->status;
	rp->txn.branch = m->top_via.branch;
	rp->txn.cseq_method = m->cseq_method;
	rp->txn.bytes = sip;
	rp->txn.len = len;
	rp->fwd.msg = whole;
	rp->fwd.top_via_line = m->top_via_line;
	rp->fwd.top_via = m->via[0];
	/* the empty line: body_at is just past it (CRLF, or a bare LF from a sloppy peer) */
	rp->fwd.headers_end = m->body_at - (sip[m->body_at - 2] == '\r' ? 2 : 1);
	rp->to = m->to.raw;
	rp->n_auth = m->n_challenge < SR_ROUTE_MAX_AUTH ? m->n_challenge : SR_ROUTE_MAX_AUTH;
	for (unsigned i = 0; i < rp->n_auth; i++)
		rp->auth[i] = m->challenge_line[i];
	return true;
}
