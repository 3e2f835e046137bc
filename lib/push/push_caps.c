/*
 * push_caps.c - what the 200 to a REGISTER tells a push UA (Feature-Caps,
 * RFC 6809 and RFC 8599), and the PURR it may carry.
 *
 * Feature-Caps: one fc-value per push Contact of the REGISTER, each
 * starting with "*" as RFC 6809's grammar wants (fc-value = "*" *(SEMI
 * feature-cap)):
 *   *;+sip.pns="apns";+sip.pnsreg="130";+sip.pnspurr="<PURR>"
 * +sip.pns names the provider we will push through (a UA that does not see
 * it must not rely on pushes); +sip.pnsreg answers a Contact that carried
 * the +sip.pnsreg feature tag: the value is push.pnsreg_interval, the
 * seconds before expiry by which the UA sends its refresh on its own;
 * +sip.pnspurr carries the binding's PURR with push.purr on. A capability
 * query (pn-provider without pn-prid) gets +sip.pns listing the providers.
 *
 * PURR: RFC 8599 leaves its form to the proxy. Ours is fixed-length hex
 * (owner bucket, stable binding id, 48-bit MAC), like the transaction
 * layer's branches and the Record-Route token: parsing is a length check
 * and hex digits, the owner is found without a table, and a forged or
 * stale-secret PURR is refused by the MAC (the request is then simply
 * routed without a push, as the manual's pn_process_purr does for a
 * foreign PURR).
 */
#include "push_internal.h"

#include <stdio.h>
#include <string.h>

#include "txn.h"

#define MASK48 ((1ull << 48) - 1)
#define PURR_DOMAIN 0x5055525252454621ull /* "PURRREF!" */

static uint64_t purr_mac(const uint64_t secret[2], const char *fields)
{
	uint64_t key[2] = { secret[0] ^ PURR_DOMAIN, secret[1] };
	return sr_txn_hash(key, fields, 20) & MASK48;
}

void sr_push_purr_write(const uint64_t secret[2], uint16_t owner, uint64_t binding_id, char out[SR_PUSH_PURR_LEN])
{
	sr_txn_hex(out, owner, 4);
	sr_txn_hex(out + 4, binding_id, 16);
	sr_txn_hex(out + 20, purr_mac(secret, out), 12);
}

bool sr_push_purr_read(const uint64_t secret[2], struct sr_str purr, uint16_t *owner, uint64_t *binding_id)
{
	uint64_t o, id, mac;
	if (purr.len != SR_PUSH_PURR_LEN || !sr_txn_unhex(purr.p, 4, &o) || !sr_txn_unhex(purr.p + 4, 16, &id) ||
	    !sr_txn_unhex(purr.p + 20, 12, &mac))
		return false;
	if (mac != purr_mac(secret, purr.p))
		return false;
	*owner = (uint16_t)o;
	*binding_id = id;
	return true;
}

/* ;+sip.pns="a[,b...]" naming provider 'only' (index), or all of them when only < 0. */
static void put_pns(struct push_out *o, const struct sr_push_rules *r, int only)
{
	push_put_cstr(o, "*;+sip.pns=\"");
	for (unsigned i = 0, n = 0; i < r->n_providers; i++) {
		if (only >= 0 && (int)i != only)
			continue;
		if (n++)
			push_put_cstr(o, ",");
		push_put_cstr(o, r->provider[i]);
	}
	push_put_cstr(o, "\"");
}

bool sr_push_feature_caps(const struct sr_push_rules *r, enum sr_push_class cls, struct sr_str packed, bool pnsreg,
			  struct sr_str purr, char *out, size_t cap, size_t *len)
{
	if (!r->enable || (cls != SR_PUSH_CONTACT && cls != SR_PUSH_QUERY))
		return true;
	if (*len > cap)
		return false;
	struct push_out o = { out, cap, *len, false };
	struct sr_str prov = SR_STR_NULL;
	int idx = -1;
	char dec[SR_PUSH_NAME_MAX];
	if (sr_push_packed_get(packed, "pn-provider", &prov) && prov.len && prov.len < sizeof(dec))
		idx = push_provider_index(r, sr_str_make(dec, push_unescape(prov, dec)));
	if (cls == SR_PUSH_CONTACT && idx < 0)
		return true; /* not a contact sr_push_classify called a push contact: nothing to announce */
	if (o.len)
		push_put_cstr(&o, ",");
	put_pns(&o, r, idx);
	if (cls == SR_PUSH_CONTACT && pnsreg) {
		char num[16];
		int k = snprintf(num, sizeof(num), "%u", r->pnsreg_interval);
		push_put_cstr(&o, ";+sip.pnsreg=\"");
		push_put(&o, num, (size_t)k);
		push_put_cstr(&o, "\"");
	}
	if (cls == SR_PUSH_CONTACT && r->purr && purr.len) {
		push_put_cstr(&o, ";+sip.pnspurr=\"");
		push_put(&o, purr.p, purr.len);
		push_put_cstr(&o, "\"");
	}
	if (o.failed)
		return false;
	*len = o.len;
	return true;
}
