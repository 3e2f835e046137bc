/*
 * reg_mid.c - the registrar's side of registrar.role = mid: a REGISTER that
 * passed every check of a final registrar is offered to the mid-registrar
 * (lib/midreg) as its facts, and a REGISTER the main registrar accepted is
 * applied later with the expiries it allows (sr_reg_mid_apply).
 *
 * Design decisions:
 * - The offer is made from the plan (reg_save.c), after the limits, policy,
 *   local authentication and Path checks and before the change is made:
 *   every fact of struct sr_midreg_req is a range of the one parse, a
 *   decision of the plan (grant, the binding a contact names) or a line the
 *   registrar's own answers would carry (dialog head, To tag, Supported,
 *   Path echo), so lib/midreg and the data plane read no SIP text.
 * - The plan points into the parse arena, which is reset when the request
 *   is answered, and the main registrar answers much later. io.apply
 *   therefore runs the kept copy of the request through the same save path
 *   again (sr_reg_mid_apply), with the main registrar's expiries replacing
 *   the grants and without the checks that already passed (policy,
 *   authentication): one code path makes every binding change, all or
 *   nothing, and the 200 it writes goes to a scratch buffer (the UA's answer
 *   is the mid-registrar's). That is a second parse of the kept bytes, by
 *   lib/sip, once per upstream answer, never per absorbed refresh.
 * - host_state carries the request's source (IPv4 and port) to that second
 *   pass: a binding keeps where its REGISTER came from, not where the
 *   main registrar's answer did. It carries the request's mid rule too
 *   (reg_rule.c): the second pass applies the rule the offer was made
 *   under (custom AoR, matching, limits), never a new lookup.
 */
#include "reg_shard.h"

#include <stdlib.h>
#include <string.h>

#include "../sip/sip_aor.h"
#include "../sip/sip_uri_addr.h"

#define MID_HEAD_CAP 4096        /* the UA's Vias, From, To, Call-ID, CSeq as our answers copy them */
#define MID_OK_CAP 1024          /* Supported, Path echo */
#define MID_SCRATCH (64 * 1024)  /* the 200 a second pass writes and nobody sends */

struct mid_host_state {
	uint32_t ip;
	uint16_t port;
	bool has_rule;                  /* the REGISTER's mid rule (reg_rule.c), kept for the second pass */
	struct sr_midreg_settings rule;
};

struct sr_reg_mid {
	struct sr_midreg_req rq;
	struct sr_mid_line lines[SR_REG_MID_MAX_LINES];
	char head[MID_HEAD_CAP];
	char ok[MID_OK_CAP];
	char tag[17];
	struct mid_host_state hs;
	struct mid_host_state kept;          /* the second pass's: its source and rule */
	const struct sr_midreg_apply *apply; /* the second pass in progress */
	uint64_t ids_out[SR_MIDREG_MAX_CONTACTS]; /* what it left, per contact */
	char scratch[MID_SCRATCH];
};

int sr_reg_mid_init(struct sr_registrar *s)
{
	if (!s->mid_hooks.take)
		return 0;
	s->mid = calloc(1, sizeof(*s->mid));
	return s->mid ? 0 : -1;
}

void sr_reg_mid_fini(struct sr_registrar *s)
{
	free(s->mid);
	s->mid = NULL;
}

const struct sr_midreg_settings *sr_reg_mid_kept_rule(const struct sr_req_ctx *c)
{
	struct sr_reg_mid *md = c->s->mid;
	return sr_reg_mid_second_pass(c) && md->kept.has_rule ? &md->kept.rule : NULL;
}

/* The head of our answers to the UA: the registrar's dialog headers without a To tag (lib/midreg adds it). */
static bool mid_head(struct sr_req_ctx *c, struct sr_reg_mid *md)
{
	struct sr_resp rw;
	sr_resp_begin(&rw, md->head, sizeof(md->head), 100, "Trying");
	size_t status_len = rw.len;
	sr_resp_dialog_headers(&rw, c->m, c->src, SR_STR_NULL);
	if (rw.overflow)
		return false;
	md->rq.head.lines = sr_str_make(md->head + status_len, rw.len - status_len);
	md->rq.head.to_tag_at = c->m->to.tag.len ? 0 : rw.to_value_end - status_len;
	md->rq.to_tag = c->m->to.tag.len ? SR_STR_NULL : sr_reply_to_tag(c, md->tag);
	return true;
}

/* The lines our 2xx carries besides the contacts: as sr_reply_bindings writes them. */
static void mid_ok_lines(struct sr_req_ctx *c, const struct sr_plan *p, struct sr_reg_mid *md)
{
	struct sr_resp rw;
	sr_resp_begin(&rw, md->ok, sizeof(md->ok), 200, "OK");
	size_t status_len = rw.len;
	if (p->path.len && (c->s->cfg.path_mode == SR_PATH_STRICT || (c->m->supported & SR_OPT_PATH)))
		sr_resp_header(&rw, "Path", p->path);
	sr_resp_raw(&rw, sr_str_make(c->s->supported_line, c->s->supported_len));
	md->rq.ok_lines = rw.overflow ? SR_STR_NULL : sr_str_make(md->ok + status_len, rw.len - status_len);
}

/* What the decision reads of one contact (sr_midreg_absorbs): the registrar's plan for it. */
static void mid_contact_decision(const struct sr_req_ctx *c, const struct sr_plan_entry *pe,
				 struct sr_midreg_contact *mc)
{
	*mc = (struct sr_midreg_contact){
		.requested = pe->ci.expires >= 0 ? pe->ci.expires : c->m->expires,
		/* superseded in the request, or the removal of a contact we do not hold: nothing to do upstream */
		.expires = pe->op == SR_OP_NONE ? 0 : pe->granted,
		.binding_id = pe->op != SR_OP_NONE && pe->old ? pe->old->id : 0,
	};
}

/* What forwarding adds: the user part and the contact-params, as the UA wrote them. */
static void mid_contact_forward(const struct sr_plan_entry *pe, struct sr_midreg_contact *mc)
{
	struct sr_name_addr na;
	const struct sr_sip_contact *ct = pe->ci.ct;
	mc->user = sr_mid_uri_user_raw(ct->uri_text); /* written back into a URI: as the UA wrote it */
	mc->params = sr_sip_name_addr(ct->raw, &na) == 0 ? na.params : SR_STR_NULL;
}

/* The facts the decision reads (sr_midreg_absorbs); cheap: ranges of the parse and the plan. */
static void mid_decision_facts(const struct sr_req_ctx *c, const struct sr_plan *p, struct sr_midreg_req *rq)
{
	const struct sr_sip_msg *m = c->m;
	rq->aor = p->aor;
	rq->aor_hash = c->res->aor_hash; /* the owner hash of p->aor (reg_save.c): the record's AoR checked by it */
	rq->star = p->remove_all;
	rq->n_contacts = 0;
	for (unsigned i = 0; !p->remove_all && i < p->n && i < SR_MIDREG_MAX_CONTACTS; i++)
		mid_contact_decision(c, &p->e[i], &rq->contacts[rq->n_contacts++]);
	/* what tells copies of one request apart (mr_req_key); the rest of rq->txn only if it goes upstream */
	rq->txn.branch = m->top_via.branch;
	rq->txn.call_id = m->call_id;
	rq->txn.cseq = m->cseq;
	rq->settings = p->rule; /* looked up once, by reg_rule.c: lib/midreg reads the same rule */
}

/* Everything else, for a REGISTER that goes upstream; false when the lines do not fit (answered 500). */
static bool mid_forward_facts(struct sr_req_ctx *c, const struct sr_plan *p, struct sr_reg_mid *md)
{
	const struct sr_sip_msg *m = c->m;
	struct sr_midreg_req *rq = &md->rq;
	unsigned n_lines;
	if (m->body_at > m->msg_len ||
	    !sr_mid_header_lines(c->req, m->headers_at, m->body_at, md->lines, SR_REG_MID_MAX_LINES, &n_lines) ||
	    !mid_head(c, md)) {
		sr_reply_error(c, SR_E_RESPONSE_TOO_LARGE, NULL, SR_STR_NULL); /* 500 that says what went wrong */
		return false;
	}
	rq->owner = (uint16_t)c->res->aor_hash;
	rq->ruri = m->ruri_raw;
	rq->max_forwards = m->max_forwards >= 0 ? (uint32_t)m->max_forwards : 70;
	for (unsigned i = 0; i < rq->n_contacts; i++)
		mid_contact_forward(&p->e[i], &rq->contacts[i]);
	rq->n_lines = n_lines;
	rq->lines = md->lines;
	rq->body = sr_str_make(c->req + m->body_at, m->msg_len - m->body_at);
	rq->msg = sr_str_make(c->req, m->msg_len);
	rq->txn.method = m->method;
	rq->txn.sent_by = m->n_via ? sr_sip_via_sent_by(m->via[0]) : SR_STR_NULL;
	rq->txn.ruri = m->ruri_raw;
	rq->txn.from_tag = m->from_tag;
	rq->txn.top_via = m->n_via ? m->via[0] : SR_STR_NULL;
	rq->reply_to = (struct sr_txn_dest){ c->src ? c->src->ip : 0, c->res->reply_port, false };
	mid_ok_lines(c, p, md);
	md->hs = (struct mid_host_state){ c->src ? c->src->ip : 0, c->src ? c->src->port : 0, p->rule != NULL, { 0 } };
	if (p->rule)
		md->hs.rule = *p->rule;
	rq->host_state = sr_str_make((const char *)&md->hs, sizeof(md->hs));
	return true;
}

bool sr_reg_mid_offer(struct sr_req_ctx *c, struct sr_plan *p)
{
	struct sr_registrar *s = c->s;
	struct sr_reg_mid *md = s->mid;
	if (!md || !s->mid_hooks.take)
		return false;
	struct sr_midreg_req *rq = &md->rq;
	mid_decision_facts(c, p, rq);
	/* decide first: an absorbed refresh gathers nothing more (bench/midreg's worker bench) */
	if (s->mid_hooks.absorbs && s->mid_hooks.absorbs(s->mid_hooks.ctx, rq))
		return false; /* absorbed: answered as a final registrar */
	if (!mid_forward_facts(c, p, md))
		return true; /* answered 500 */
	if (!s->mid_hooks.take(s->mid_hooks.ctx, rq))
		return false; /* absorbed: answered as a final registrar */
	c->res->mid_taken = true;
	return true;
}

void sr_reg_mid_grants(const struct sr_req_ctx *c, struct sr_plan *p)
{
	const struct sr_midreg_apply *a = c->s->mid->apply;
	for (unsigned i = 0; i < p->n; i++) {
		struct sr_plan_entry *pe = &p->e[i];
		if (pe->op == SR_OP_NONE)
			continue; /* superseded in the request, or the removal of a contact we do not hold */
		pe->granted = i < a->n ? a->expires[i] : 0;
		pe->op = pe->granted == 0 ? (pe->old ? SR_OP_REMOVE : SR_OP_NONE) : (pe->old ? SR_OP_UPDATE : SR_OP_ADD);
	}
}

void sr_reg_mid_applied(struct sr_req_ctx *c, const struct sr_plan *p)
{
	struct sr_registrar *s = c->s;
	uint64_t *ids = s->mid->ids_out;
	const struct sr_aor *rec = sr_loc_find(s->loc, p->aor);
	for (unsigned i = 0; i < SR_MIDREG_MAX_CONTACTS; i++)
		ids[i] = 0;
	for (unsigned i = 0; i < p->n && i < SR_MIDREG_MAX_CONTACTS; i++) {
		const struct sr_plan_entry *pe = &p->e[i];
		if (pe->op == SR_OP_REMOVE)
			continue; /* NONE too is looked up: a binding a newer REGISTER set stands, with its id */
		struct sr_plan_entry e = *pe; /* matched under the request's rule, as the plan did */
		const struct sr_binding *b = rec ? sr_reg_rule_match(c, p, rec, &e) : NULL;
		ids[i] = b ? b->id : 0;
	}
}

int sr_reg_mid_apply(struct sr_registrar *s, const struct sr_midreg_apply *a, uint64_t now_ms,
		     uint64_t ids[SR_MIDREG_MAX_CONTACTS])
{
	struct sr_reg_mid *md = s->mid;
	if (!md || a->host_state.len != sizeof(md->kept))
		return 500;
	memcpy(&md->kept, a->host_state.p, sizeof(md->kept));
	struct sr_addr src = { .ip = md->kept.ip, .port = md->kept.port };
	struct sr_reg_result res;
	md->apply = a;
	s->mid_applying = md->scratch; /* what sr_reg_mid_second_pass recognises the second pass by */
	memset(md->ids_out, 0, sizeof(md->ids_out));
	sr_reg_process_scan(s, a->msg.p, a->msg.len, NULL, &src, now_ms, md->scratch, sizeof(md->scratch), &res);
	s->mid_applying = NULL;
	md->apply = NULL;
	if (res.status >= 200 && res.status < 300) {
		memcpy(ids, md->ids_out, sizeof(md->ids_out));
		return 0;
	}
	return res.status >= 500 ? res.status : 500;
}
