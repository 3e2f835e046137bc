/*
 * route_targets.c - from the bindings of an AoR to the branches to try, and
 * which final response is best.
 *
 * Target set (RFC 3261 16.5, 16.6):
 * - GRUU (RFC 5627): a public GRUU keeps the bindings of its instance, a
 *   temporary one the bindings it was issued for: the request reaches
 *   exactly that instance, never a sibling device of the same AoR.
 * - Filters, as OpenSIPS's lookup flags: a binding whose registered Allow
 *   omits the method is skipped (extension methods are not filtered: an
 *   Allow bitmask cannot say), and the optional User-Agent predicate.
 *   When the Allow filter alone left nothing, the answer is 405 with the
 *   methods the bindings do accept (RFC 3261 21.4.6: the method is not
 *   allowed for the address in the Request-URI, and the 405 must list those
 *   that are), where OpenSIPS's lookup returns -2 and leaves the answer to
 *   the script; 480 would tell the caller to try the same request later,
 *   which cannot help while the registrations stand.
 * - Outbound (RFC 5626 5.3): bindings of one instance with reg-ids are flows
 *   to one device; only one is tried, the most recently refreshed; the
 *   others stay as alternates, tried in turn only after a 430 Flow Failed.
 * - Destination: the first Path hop when the binding has a Path (the edge
 *   proxy holds the flow), otherwise the address its REGISTER came from:
 *   when that differs from the Contact's host and port the UA is behind NAT
 *   and only that address reaches it, and when they are equal it is the
 *   same address. The Contact's own address is used only when the source is
 *   unknown. No DNS on the data plane: a hop that is a name and has no
 *   known source is skipped.
 * - Order: by q, highest first (a binding without q counts as default_q);
 *   equal q forms one group tried in parallel, groups are tried one after
 *   the other (serial forking); ties keep registration order.
 */
#include "route_internal.h"

#include <string.h>

/* The URN of an instance as stored ("<urn:uuid:...>" or bare) for comparison with a gr= value. */
static struct sr_str bare_urn(struct sr_str s)
{
	if (s.len >= 2 && s.p[0] == '<' && s.p[s.len - 1] == '>')
		return sr_str_make(s.p + 1, s.len - 2);
	return s;
}

static bool gruu_match(const struct sr_route_req *rq, const struct sr_route_binding *b)
{
	switch (rq->gruu) {
	case SR_GRUU_PUBLIC:
		return b->instance.len && sr_str_eq(bare_urn(b->instance), bare_urn(rq->gruu_id));
	case SR_GRUU_TEMP:
		return b->temp_gruu.len && sr_str_eq(b->temp_gruu, rq->gruu_id);
	default:
		return true;
	}
}

static bool destination(const struct sr_route_binding *b, struct sr_txn_dest *d)
{
	if (b->path.len)
		*d = b->path_hop.ip ? b->path_hop : b->source;
	else
		*d = b->source.ip ? b->source : b->contact_addr;
	return d->ip != 0 && d->port != 0;
}

/* The ;received= a 302 shows for b: its source when it registered from behind NAT. */
static struct sr_txn_dest received(const struct sr_route_binding *b)
{
	return b->nat ? b->source : (struct sr_txn_dest){ 0, 0, false };
}

struct cand {
	uint8_t b;        /* binding index */
	uint8_t next_alt; /* next flow of the same instance (candidate index), 0xff none */
	bool primary;
	uint16_t q;
	struct sr_txn_dest dest;
};

static bool same_instance_flow(const struct sr_route_binding *x, const struct sr_route_binding *y)
{
	return x->reg_id && y->reg_id && x->instance.len && sr_str_eq(x->instance, y->instance);
}

/* Appends candidate k to the flows of its instance; the newest flow becomes the primary. */
static void place_flow(struct cand *c, unsigned k, const struct sr_route_binding *b)
{
	for (unsigned i = 0; i < k; i++) {
		if (!c[i].primary || !same_instance_flow(&b[c[i].b], &b[c[k].b]))
			continue;
		unsigned newer = b[c[k].b].registered_at > b[c[i].b].registered_at ? k : i;
		unsigned older = newer == k ? i : k;
		c[older].primary = false;
		c[newer].primary = true;
		/* the chain: newer, then the older one, then the older one's alternates */
		if (newer == k)
			c[k].next_alt = (uint8_t)i;
		else {
			c[k].next_alt = c[i].next_alt;
			c[i].next_alt = (uint8_t)k;
		}
		return;
	}
}

/* A binding's registered Allow lets the method through (m: the request's method bit). */
static bool allows(const struct sr_route_binding *x, uint32_t m)
{
	return x->allow == 0 || (m & SR_M_OTHER) || (x->allow & m);
}

uint32_t sr_route_allow_refusal(const struct sr_route_req *rq, const struct sr_route_binding *b, unsigned n)
{
	uint32_t m = sr_route_method_bit(rq->fwd.method), accepted = 0;
	unsigned refused = 0;
	for (unsigned i = 0; i < n; i++) {
		if (!gruu_match(rq, &b[i]))
			continue;
		if (allows(&b[i], m))
			return 0; /* another reason (User-Agent, destination) left it out */
		accepted |= b[i].allow & ~SR_SIP_ALLOW_PRESENT;
		refused++;
	}
	return refused ? (accepted | SR_SIP_ALLOW_PRESENT) : 0;
}

unsigned sr_route_targets(const struct sr_route_shard *rs, const struct sr_route_req *rq,
			  const struct sr_route_binding *b, unsigned n, struct sr_route_target *out, unsigned cap,
			  unsigned *filtered)
{
	struct cand c[SR_ROUTE_MAX_TARGETS];
	unsigned nc = 0, skipped = 0;
	uint32_t m = sr_route_method_bit(rq->fwd.method);

	for (unsigned i = 0; i < n && nc < SR_ROUTE_MAX_TARGETS; i++) {
		const struct sr_route_binding *x = &b[i];
		if (!gruu_match(rq, x))
			continue;
		if (!allows(x, m) || (rs->cfg.ua_filter && !rs->cfg.ua_filter(rs->cfg.ua_filter_arg, x->user_agent))) {
			skipped++;
			continue;
		}
		struct cand *k = &c[nc];
		if (!destination(x, &k->dest)) {
			skipped++;
			continue;
		}
		k->b = (uint8_t)i;
		k->next_alt = 0xff;
		k->primary = true;
		k->q = x->q == SR_ROUTE_Q_NONE ? rs->cfg.default_q : (x->q > 1000 ? 1000 : x->q);
		place_flow(c, nc, b);
		nc++;
	}
	if (filtered)
		*filtered = skipped;

	/* Primaries by q, highest first; insertion sort keeps registration order within a q. */
	uint8_t order[SR_ROUTE_MAX_TARGETS], slot[SR_ROUTE_MAX_TARGETS];
	unsigned np = 0;
	for (unsigned i = 0; i < nc; i++) {
		if (!c[i].primary)
			continue;
		unsigned j = np++;
		for (; j > 0 && c[order[j - 1]].q < c[i].q; j--)
			order[j] = order[j - 1];
		order[j] = (uint8_t)i;
	}
	unsigned no = 0;
	uint16_t group = 0;
	for (unsigned j = 0; j < np && no < cap; j++) {
		if (j > 0 && c[order[j]].q != c[order[j - 1]].q)
			group++;
		slot[order[j]] = (uint8_t)no;
		const struct sr_route_binding *x = &b[c[order[j]].b];
		out[no++] = (struct sr_route_target){ x->contact, x->path, c[order[j]].dest, c[order[j]].q,
						      group, SR_ROUTE_NO_ALT, x->expires_in, received(x), c[order[j]].b };
	}
	/* Then the alternate flows, chained from their primary. */
	unsigned placed = no;
	for (unsigned j = 0; j < np && j < placed; j++) {
		unsigned prev = slot[order[j]];
		for (unsigned a = c[order[j]].next_alt; a != 0xff && no < cap; a = c[a].next_alt) {
			const struct sr_route_binding *x = &b[c[a].b];
			out[no] = (struct sr_route_target){ x->contact, x->path, c[a].dest, c[a].q,
							    SR_ROUTE_ALTERNATE, SR_ROUTE_NO_ALT, x->expires_in, received(x), c[a].b };
			out[prev].alt = (uint8_t)no;
			prev = no++;
		}
	}
	return no;
}

/* 16.7 step 6 as a rank, lower is better: 6xx, then the lowest class; in 4xx the codes that let the caller retry
 * (401, 407, 415, 420, 484) first and our own timeout (408) last; a 503 below the other 5xx. */
static int rank(int s)
{
	if (s >= 600)
		return 0;
	if (s < 400)
		return 10;
	if (s < 500) {
		if (s == 401 || s == 407 || s == 415 || s == 420 || s == 484)
			return 20;
		return s == 408 ? 22 : 21;
	}
	return s == 503 ? 31 : 30;
}

bool sr_route_better(int cand, int best)
{
	return best == 0 || rank(cand) < rank(best);
}

bool route_target_one(const struct sr_route_shard *rs, const struct sr_route_binding *b, struct sr_route_target *out)
{
	struct sr_txn_dest d;
	if (!destination(b, &d))
		return false;
	uint16_t q = b->q == SR_ROUTE_Q_NONE ? rs->cfg.default_q : (b->q > 1000 ? 1000 : b->q);
	*out = (struct sr_route_target){ b->contact, b->path, d, q, 0, SR_ROUTE_NO_ALT, b->expires_in, received(b), 0 };
	return true;
}
