/*
 * policy_hook.c - the registrar's policy hook on top of sr_policy_check.
 *
 * The core hands over the parsed message and the canonical AoR; this file
 * picks out the fields the rules look at: the User-Agent value and, for each
 * Contact, its URI as sent without display name or header parameters (so a
 * rule about "@127." is not fooled by a display name, and a rule anchored
 * with ^ sees the scheme first). For host: rules it hands over each Contact
 * URI's host as the message view parsed it, and its maddr parameter when
 * present: a proxy sends to maddr instead of the host (RFC 3261 19.1.1), so
 * it is a destination too.
 */
#include "policy.h"

void sr_policy_hook_check(void *ctx, const struct sr_sip_msg *m, struct sr_str aor,
			  struct sr_pol_verdict *v)
{
	const struct sr_policy_reader *r = ctx;
	struct sr_str uris[SR_SIP_MAX_CONTACTS], hosts[2 * SR_SIP_MAX_CONTACTS];
	unsigned n = m->contact_star ? 0 : m->n_contacts, n_hosts = 0;
	if (n > SR_SIP_MAX_CONTACTS)
		n = SR_SIP_MAX_CONTACTS;
	for (unsigned i = 0; i < n; i++) {
		const struct sr_sip_uri *u = &m->contacts[i].uri;
		uris[i] = m->contacts[i].uri_text;
		if (u->host.len)
			hosts[n_hosts++] = u->host;
		if (sr_sip_uri_param(u, "maddr", &hosts[n_hosts]))
			n_hosts++;
	}
	struct sr_policy_input in = { m->user_agent.p, m->user_agent.len, n, uris, aor, n_hosts, hosts };
	sr_policy_check(r->p, r->id, &in, v);
}
