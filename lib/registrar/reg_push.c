/*
 * reg_push.c - the RFC 8599 facts of one Contact of a REGISTER (see
 * reg_contact.h, sr_contact_push): its packed push parameters, its class
 * (plain, push contact, capability query, unsupported provider: 555) and
 * the key the location store matches push bindings on.
 *
 * Design decisions:
 * - The decisions are lib/push's (docs/PUSH.md); this file only hands them
 *   the URI parameters the message view already parsed (the one parse), so
 *   no SIP text is read twice. They come unescaped, as the view keeps them.
 * - push.enable off: the contact is plain, and push contacts keep being
 *   matched on the fixed pn-provider/pn-prid/pn-param triple as before
 *   push existed (a UA that sends them expects RFC 8599 matching even from
 *   a registrar that does not push); with push on, push.match_params
 *   decides (sr_push_key), and a missing match parameter means URI
 *   comparison, as the OpenSIPS manual says.
 */
#include "reg_contact.h"

#include <string.h>

#define MAX_URI_PARAMS 32 /* URI parameters looked at per contact (pn-* come first in practice) */

/* The fixed triple "provider\0prid\0param" (push.enable off). */
static struct sr_str triple_key(const struct sr_sip_uri *uri, struct sr_arena *arena)
{
	struct sr_str prov, prid, param = SR_STR_NULL;
	if (!sr_sip_uri_param(uri, "pn-provider", &prov) || !sr_sip_uri_param(uri, "pn-prid", &prid) ||
	    prov.len == 0 || prid.len == 0)
		return SR_STR_NULL;
	sr_sip_uri_param(uri, "pn-param", &param);
	size_t n = prov.len + 1 + prid.len + 1 + param.len;
	char *out = sr_arena_alloc(arena, n);
	if (!out)
		return SR_STR_NULL;
	memcpy(out, prov.p, prov.len);
	out[prov.len] = '\0';
	memcpy(out + prov.len + 1, prid.p, prid.len);
	out[prov.len + 1 + prid.len] = '\0';
	if (param.len)
		memcpy(out + prov.len + prid.len + 2, param.p, param.len);
	return sr_str_make(out, n);
}

/* The URI's parameters as lib/push takes them; returns how many (at most cap), *need the bytes to pack them. */
static unsigned uri_params(const struct sr_sip_uri *uri, struct sr_push_param *p, unsigned cap, size_t *need)
{
	unsigned n = 0;
	*need = 0;
	for (unsigned i = 0; i < uri->n_params && n < cap; i++) {
		p[n].name = uri->params[i].name;
		p[n].value = uri->params[i].value;
		*need += p[n].name.len + p[n].value.len + 2;
		n++;
	}
	return n;
}

enum sr_reg_err sr_contact_push(const struct sr_push_rules *r, const struct sr_sip_contact *ct,
				struct sr_arena *arena, struct sr_contact_info *out)
{
	if (!r || !r->enable) {
		out->pn_key = triple_key(&ct->uri, arena);
		return SR_E_OK;
	}
	struct sr_push_param p[MAX_URI_PARAMS];
	size_t need;
	unsigned n = uri_params(&ct->uri, p, MAX_URI_PARAMS, &need);
	char *packed = need ? sr_arena_alloc(arena, need) : NULL;
	long len = packed ? sr_push_pack(r, p, n, packed, need) : 0;
	if (len <= 0)
		return SR_E_OK; /* no push parameter (or no arena left: then an ordinary contact) */
	struct sr_str pk = sr_str_make(packed, (size_t)len);
	out->pn_class = sr_push_classify(r, pk);
	if (out->pn_class == SR_PUSH_UNSUPPORTED)
		return SR_E_PUSH_UNSUPPORTED;
	out->pn_params = pk; /* kept for the Feature-Caps of a query too; stored for push contacts only */
	out->pnsreg = sr_sip_contact_param(ct, "+sip.pnsreg", NULL);
	if (out->pn_class != SR_PUSH_CONTACT)
		return SR_E_OK;
	size_t kcap = (size_t)len + 2 * SR_PUSH_MAX_MATCH;
	char *key = sr_arena_alloc(arena, kcap);
	long kl = key ? sr_push_key(r, pk, key, kcap) : 0;
	if (kl > 0)
		out->pn_key = sr_str_make(key, (size_t)kl);
	return SR_E_OK;
}
