/*
 * loc_match.c - which stored binding a Contact names.
 *
 * In order of precedence (the contact's own key decides the rule):
 *  - RFC 5626 outbound: a contact with +sip.instance and reg-id names the
 *    binding with the same pair, whatever its URI (the UA's address changes
 *    with every NAT rebinding; its flow identity does not);
 *  - an instance without reg-id names the binding of that instance without
 *    reg-id (RFC 5626 section 6: the new contact replaces the old one);
 *  - RFC 8599 push: pn-provider, pn-prid and pn-param name the binding;
 *  - otherwise URIs are compared by RFC 3261 19.1.4.
 *
 * Every binding keeps the identity hash of its contact URI (binding.h). The
 * URI rule first compares bytes (the common refresh sends its URI exactly
 * as before: equal without hashing anything), then the two hashes, and
 * confirms equal hashes with the full comparison, which parses both URIs.
 * Both hashes are computed on first need only: the contact's from the
 * caller's parse when it has one, a stored binding's from its text, once in
 * its life, kept in the binding (a cache the store writes behind its const
 * readers; one thread owns the store). So the common REGISTER (one contact,
 * the same bytes as last time, or a new AoR) hashes nothing, and adding a
 * contact to an AoR of a thousand bindings parses no stored URI again
 * unless one of them really is its equal.
 */
#include "loc_internal.h"

#include <string.h>

#include "../sip/sip_uri_cmp.h"

uint32_t sr_loc_key_hash(struct sr_loc_key *k)
{
	if (!k->hashed) {
		k->uri_hash = sr_loc_uri_hash(k->parsed ? sr_uri_hash(k->parsed) : sr_uri_hash_str(k->uri.p, k->uri.len));
		k->hashed = true;
	}
	return k->uri_hash;
}

uint32_t sr_loc_binding_hash(const struct sr_binding *b)
{
	if (!b->uri_hash) {
		struct sr_str c = sr_binding_field(b, SR_BF_CONTACT);
		((struct sr_binding *)b)->uri_hash = sr_loc_uri_hash(sr_uri_hash_str(c.p, c.len));
	}
	return b->uri_hash;
}

void sr_loc_key_of_binding(struct sr_loc_key *k, const struct sr_binding *b)
{
	k->uri = sr_binding_field(b, SR_BF_CONTACT);
	k->parsed = NULL;
	k->uri_hash = sr_loc_binding_hash(b);
	k->hashed = true;
	k->instance = sr_binding_field(b, SR_BF_INSTANCE);
	k->pn_key = sr_binding_field(b, SR_BF_PN_KEY);
	k->reg_id = (b->flags & SR_BFLAG_OUTBOUND) ? b->reg_id : 0;
}

bool sr_loc_key_names(struct sr_loc_key *c, struct sr_loc_key *b)
{
	if (c->instance.len)
		return b->reg_id == c->reg_id && sr_str_eq(c->instance, b->instance);
	if (c->pn_key.len)
		return sr_str_eq(c->pn_key, b->pn_key);
	if (sr_str_eq(c->uri, b->uri))
		return true;
	if (sr_loc_key_hash(c) != sr_loc_key_hash(b))
		return false;
	return sr_uri_equal_str(c->uri.p, c->uri.len, b->uri.p, b->uri.len);
}

bool sr_loc_names(struct sr_loc_key *k, const struct sr_binding *b)
{
	if (k->instance.len || k->pn_key.len) {
		struct sr_loc_key bk = { .instance = sr_binding_field(b, SR_BF_INSTANCE),
					 .pn_key = sr_binding_field(b, SR_BF_PN_KEY),
					 .reg_id = (b->flags & SR_BFLAG_OUTBOUND) ? b->reg_id : 0 };
		return sr_loc_key_names(k, &bk); /* decided by instance or push key: no URI involved */
	}
	/* by URI: bytes first (hashing nothing), then the two hashes, then the full comparison */
	struct sr_str u = sr_binding_field(b, SR_BF_CONTACT);
	if (u.len == k->uri.len && memcmp(u.p, k->uri.p, u.len) == 0)
		return true;
	if (sr_loc_binding_hash(b) != sr_loc_key_hash(k))
		return false;
	return sr_uri_equal_str(k->uri.p, k->uri.len, u.p, u.len);
}

const struct sr_binding *sr_loc_match(const struct sr_aor *a, struct sr_loc_key *k)
{
	for (const struct sr_binding *b = sr_loc_first(a); b; b = b->next)
		if (sr_loc_names(k, b))
			return b;
	return NULL;
}
