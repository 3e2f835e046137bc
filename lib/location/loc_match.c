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
 * Every binding keeps the identity hash of its contact URI (binding.h), so
 * the URI rule first compares two integers; equal hashes are confirmed by
 * byte equality (the common refresh) or, rarely, by the full comparison,
 * which parses both URIs. Adding a contact to an AoR of a thousand bindings
 * therefore parses no stored URI unless one of them really is its equal.
 */
#include "location.h"

#include "../sip/sip_uri_cmp.h"

void sr_loc_key_of_binding(struct sr_loc_key *k, const struct sr_binding *b)
{
	k->uri = sr_binding_field(b, SR_BF_CONTACT);
	k->uri_hash = b->uri_hash;
	k->instance = sr_binding_field(b, SR_BF_INSTANCE);
	k->pn_key = sr_binding_field(b, SR_BF_PN_KEY);
	k->reg_id = (b->flags & SR_BFLAG_OUTBOUND) ? b->reg_id : 0;
}

bool sr_loc_key_names(const struct sr_loc_key *c, const struct sr_loc_key *b)
{
	if (c->instance.len)
		return b->reg_id == c->reg_id && sr_str_eq(c->instance, b->instance);
	if (c->pn_key.len)
		return sr_str_eq(c->pn_key, b->pn_key);
	if (c->uri_hash != b->uri_hash)
		return false;
	if (sr_str_eq(c->uri, b->uri))
		return true;
	return sr_uri_equal_str(c->uri.p, c->uri.len, b->uri.p, b->uri.len);
}

const struct sr_binding *sr_loc_match(const struct sr_aor *a, const struct sr_loc_key *k)
{
	for (const struct sr_binding *b = sr_loc_first(a); b; b = b->next) {
		/* the cheap tests inline: most bindings differ in the first integer compared */
		if (!k->instance.len && !k->pn_key.len && b->uri_hash != k->uri_hash)
			continue;
		struct sr_loc_key bk;
		sr_loc_key_of_binding(&bk, b);
		if (sr_loc_key_names(k, &bk))
			return b;
	}
	return NULL;
}
