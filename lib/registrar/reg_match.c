/*
 * reg_match.c - which existing binding a Contact of a REGISTER names.
 *
 * In order of precedence:
 *  - RFC 5626 outbound: a contact with +sip.instance and reg-id names the
 *    binding with the same pair, whatever its URI (the UA's address changes
 *    with every NAT rebinding; its flow identity does not);
 *  - an instance without reg-id names the binding of that instance without
 *    reg-id (RFC 5626 section 6: the new contact replaces the old one);
 *  - RFC 8599 push: pn-provider, pn-prid and pn-param name the binding;
 *  - otherwise URIs are compared by RFC 3261 19.1.4. Byte-identical URIs,
 *    the common refresh, are equal without parsing.
 */
#include "reg_plan.h"

#include "../sip/sip_uri_cmp.h"

void sr_match_key_of_contact(struct sr_match_key *k, const struct sr_contact_info *ci)
{
	k->uri = ci->uri;
	k->instance = ci->instance;
	k->pn_key = ci->pn_key;
	k->reg_id = ci->has_reg_id ? ci->reg_id : 0;
}

void sr_match_key_of_binding(struct sr_match_key *k, const struct sr_binding *b)
{
	k->uri = sr_binding_field(b, SR_BF_CONTACT);
	k->instance = sr_binding_field(b, SR_BF_INSTANCE);
	k->pn_key = sr_binding_field(b, SR_BF_PN_KEY);
	k->reg_id = (b->flags & SR_BFLAG_OUTBOUND) ? b->reg_id : 0;
}

bool sr_match_keys_equal(const struct sr_match_key *a, const struct sr_match_key *b)
{
	if (a->instance.len)
		return b->reg_id == a->reg_id && sr_str_eq(a->instance, b->instance);
	if (a->pn_key.len)
		return sr_str_eq(a->pn_key, b->pn_key);
	if (sr_str_eq(a->uri, b->uri))
		return true;
	return sr_uri_equal_str(a->uri.p, a->uri.len, b->uri.p, b->uri.len);
}

struct sr_binding *sr_match_find(struct sr_aor *aor, const struct sr_match_key *k)
{
	for (struct sr_binding *b = aor->bindings; b; b = b->next) {
		struct sr_match_key bk;
		sr_match_key_of_binding(&bk, b);
		if (sr_match_keys_equal(k, &bk))
			return b;
	}
	return NULL;
}
