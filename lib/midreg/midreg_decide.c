/*
 * midreg_decide.c - forward or absorb (the manual's sections 1.2 and 1.6.1).
 *
 * A plain function of the request's facts and the records: it looks up,
 * never changes anything, so the rules below are all in one place.
 *
 * - Mirror: every REGISTER that names a contact goes upstream (a query,
 *   i.e. no Contact at all, is answered locally: the local bindings mirror
 *   the upstream ones).
 * - Contact throttling, per contact: a new contact (no local binding, or no
 *   record for it) goes upstream; so does the removal of a contact that has
 *   a record, and a refresh whose upstream registration would end before the
 *   UA's next refresh is due (its local grant, plus refresh_margin for the
 *   time a forwarded refresh may take). A refresh whose record is backing
 *   off after upstream failures is absorbed until the back-off is over: the
 *   local binding stands meanwhile. One contact that must go up takes the
 *   whole REGISTER up (all its contacts, each with its own contact id).
 * - AoR throttling: the AoR's first contact (no record), the removal that
 *   leaves the AoR without bindings, and a REGISTER whose longest local
 *   grant the AoR's upstream registration would not cover go upstream;
 *   more contacts, other removals and covered refreshes are absorbed.
 * - A copy of a REGISTER that is upstream right now takes the forward path
 *   too, where its server transaction absorbs it (mr_req_key spots it
 *   without a transaction lookup for every REGISTER). Another REGISTER
 *   meanwhile is judged on the record as it stands, with a refresh in flight
 *   counted as covering: it will extend the registration, or back off.
 *   A record still NEW (its first registration in flight) sends it up.
 */
#include "midreg_internal.h"

/* True when r's upstream registration outlives a UA refresh due in 'grant' seconds (plus the margin). */
static bool mr_covers(const struct sr_midreg_shard *m, const struct mr_rec *r, uint32_t grant)
{
	return r->state == SR_MIDREG_REC_LIVE &&
	       (uint64_t)r->up_expires_at >= (uint64_t)mr_now_s(m) + grant + m->cfg.refresh_margin_s;
}

static bool backing_off(const struct sr_midreg_shard *m, const struct mr_rec *r)
{
	return r->retry_at > mr_now_s(m);
}

uint32_t mr_req_key(const struct sr_midreg_shard *m, const struct sr_midreg_req *rq)
{
	uint32_t cseq = rq->txn.cseq;
	struct sr_str parts[3] = { rq->txn.branch, rq->txn.call_id, sr_str_make((const char *)&cseq, sizeof(cseq)) };
	return (uint32_t)sr_txn_hash_parts(m->cfg.txn.secret, parts, 3);
}

/* Forward or not, for a record that exists and is not being de-registered, and a REGISTER granted 'grant'. */
static bool must_forward(const struct sr_midreg_shard *m, const struct mr_rec *r, uint32_t grant, uint32_t key)
{
	if (m->cfg.mode == SR_MIDREG_MIRROR || r->state == SR_MIDREG_REC_NEW)
		return true;
	if (r->pending)
		return r->pending_key == key;
	return !mr_covers(m, r, grant) && !backing_off(m, r);
}

static uint32_t outgoing(const struct sr_midreg_shard *m, const struct sr_midreg_req *rq)
{
	if (rq->settings && rq->settings->outgoing_expires)
		return rq->settings->outgoing_expires;
	return m->cfg.outgoing_expires;
}

/* The expiry asked upstream for a contact granted 'grant' locally (0: a removal). */
static uint32_t asked(const struct sr_midreg_shard *m, const struct sr_midreg_req *rq, const struct sr_midreg_contact *c)
{
	if (c->expires == 0)
		return 0;
	if (m->cfg.mode == SR_MIDREG_MIRROR)
		return c->requested >= 0 ? (c->requested > UINT32_MAX ? UINT32_MAX : (uint32_t)c->requested) : c->expires;
	uint32_t o = outgoing(m, rq);
	return c->expires > o ? c->expires : o; /* outgoing_expires is a minimum (manual 1.5.5) */
}

/* Contact: * in a contact mode: every record of the AoR's bindings is removed upstream. */
static void decide_star(struct sr_midreg_shard *m, const struct sr_midreg_req *rq, struct mr_plan *p)
{
	const struct sr_midreg_binding *b = NULL;
	unsigned nb = m->io.bindings(m->io_ctx, rq->aor, &b);
	for (unsigned i = 0; i < nb && p->n < SR_MIDREG_MAX_CONTACTS; i++) {
		struct mr_rec *r = mr_rec_by_key(m, rq->aor, b[i].id);
		if (r)
			p->e[p->n++] = (struct mr_entry){ .rec = mr_rec_idx(m, r), .flags = MR_E_REMOVE };
	}
	/* Records beyond one REGISTER's worth go with their bindings (binding_gone de-registers them). */
	p->forward = p->n > 0;
}

static void decide_contacts(struct sr_midreg_shard *m, const struct sr_midreg_req *rq, struct mr_plan *p)
{
	bool any_new = false, any_remove = false, need = false;
	uint32_t key = 0;
	for (unsigned i = 0; i < rq->n_contacts && i < SR_MIDREG_MAX_CONTACTS; i++) {
		const struct sr_midreg_contact *c = &rq->contacts[i];
		struct mr_rec *r = c->binding_id ? mr_rec_by_key_hashed(m, rq->aor, rq->aor_hash, c->binding_id) : NULL;
		struct mr_entry *e = &p->e[p->n++];
		*e = (struct mr_entry){ .rec = r ? mr_rec_idx(m, r) : MR_NIL, .grant = c->expires, .asked = asked(m, rq, c) };
		if (c->expires == 0) {
			e->flags = MR_E_REMOVE;
			any_remove = true;
			need |= r != NULL; /* nothing upstream stands for a contact without a record */
		} else if (!r) {
			any_new = true;
			need = true;
		} else {
			if (r->pending && !key)
				key = mr_req_key(m, rq) | 1; /* computed only when something is in flight */
			need |= must_forward(m, r, c->expires, key);
		}
	}
	p->forward = need;
	p->pure_refresh = p->n > 0 && !any_new && !any_remove;
}

static void decide_aor(struct sr_midreg_shard *m, const struct sr_midreg_req *rq, struct mr_plan *p)
{
	struct mr_rec *ar = mr_rec_by_key(m, rq->aor, 0);
	unsigned adds = 0, removes = 0;
	uint32_t grant = 0;
	p->aor_rec = ar;
	for (unsigned i = 0; i < rq->n_contacts && i < SR_MIDREG_MAX_CONTACTS; i++) {
		const struct sr_midreg_contact *c = &rq->contacts[i];
		p->e[p->n++] = (struct mr_entry){ .rec = MR_NIL, .grant = c->expires,
						  .flags = c->expires ? 0 : MR_E_REMOVE };
		if (c->expires == 0)
			removes += c->binding_id != 0; /* a removal of a contact we do not hold changes nothing */
		else if (c->binding_id == 0)
			adds++;
		if (c->expires > grant)
			grant = c->expires;
	}
	if (rq->n_contacts == 0 && !rq->star)
		return; /* a query: answered from the local bindings */
	bool live_up = ar && (ar->state == SR_MIDREG_REC_LIVE || ar->state == SR_MIDREG_REC_NEW);
	if (rq->star || removes) {
		const struct sr_midreg_binding *b = NULL;
		unsigned nb = m->io.bindings(m->io_ctx, rq->aor, &b);
		unsigned gone = rq->star ? nb : (removes < nb ? removes : nb);
		if (nb - gone + adds == 0) {
			p->forward = p->aor_remove = live_up; /* the last contact goes: so does the AoR upstream */
			return;
		}
	}
	p->aor_grant = grant;
	uint32_t o = outgoing(m, rq);
	for (unsigned i = 0; i < p->n; i++)
		p->e[i].asked = grant > o ? grant : o;
	if (!ar || ar->state == SR_MIDREG_REC_DEREG)
		p->forward = true;
	else
		p->forward = must_forward(m, ar, grant, ar->pending ? mr_req_key(m, rq) | 1 : 0);
	p->pure_refresh = adds == 0 && removes == 0 && !rq->star && ar && ar->state != SR_MIDREG_REC_DEREG;
}

/*
 * The common case, checked first by mr_decide: in contact
 * throttling, every contact refreshes a binding whose record is LIVE, has
 * nothing in flight and covers the contact's grant. For such a request
 * decide_contacts finds nothing new, nothing removed and must_forward false
 * for every contact, so this is its answer without filling a plan (the
 * per-contact entries, the expiry to ask upstream); anything else, backing
 * off included, is left to mr_decide.
 */
static bool mr_covered_refresh(struct sr_midreg_shard *m, const struct sr_midreg_req *rq)
{
	if (m->cfg.mode != SR_MIDREG_CONTACT_THROTTLING || rq->star || rq->n_contacts == 0)
		return false;
	for (unsigned i = 0; i < rq->n_contacts && i < SR_MIDREG_MAX_CONTACTS; i++) {
		const struct sr_midreg_contact *c = &rq->contacts[i];
		const struct mr_rec *r =
			c->expires && c->binding_id ? mr_rec_by_key_hashed(m, rq->aor, rq->aor_hash, c->binding_id) : NULL;
		if (!r || r->pending || !mr_covers(m, r, c->expires))
			return false;
	}
	return true;
}

void mr_decide(struct sr_midreg_shard *m, const struct sr_midreg_req *rq, struct mr_plan *p)
{
	p->forward = p->pure_refresh = p->aor_remove = false;
	p->n = 0;
	p->aor_rec = NULL;
	p->aor_grant = 0;
	if (mr_covered_refresh(m, rq)) {
		p->pure_refresh = true; /* absorbed: nothing else of the plan is read */
		return;
	}
	if (!mr_contact_mode(m))
		decide_aor(m, rq, p);
	else if (rq->star)
		decide_star(m, rq, p);
	else
		decide_contacts(m, rq, p);
}
