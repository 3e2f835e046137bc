/*
 * route_token.c - the user part of our Record-Route URI, and our To tags.
 *
 * Token: "sr" + up ip (8 hex) + up port (4) + down ip (8) + down port (4) +
 * hash of the caller's From tag (8) + MAC (12), 46 characters of
 * [0-9a-f] after "sr", valid in a SIP user part without escaping. "up" is
 * where the dialog-creating request came from, "down" where this branch
 * sent it. The MAC (48 bits of SipHash under the shard secret, domain-
 * separated from branch MACs) makes a token we did not write worthless: an
 * in-dialog request is forwarded only along a dialog we record-routed, which
 * is what keeps the proxy from being an open relay for mid-dialog requests.
 *
 * The hops are addresses, not URIs: a dialog's Route set is fixed at its
 * start, and the addresses are what NAT traversal needs (a Contact behind
 * NAT names a private address; the flow is the address we actually talked
 * to). Every worker of a node shares the secret, so the token is good on
 * whichever worker owns the in-dialog request.
 *
 * To tags of our own responses are a keyed hash of Call-ID, From tag and
 * CSeq number, like the registrar's: a retransmitted request, and the
 * CANCEL of an INVITE, get the same tag without any state.
 */
#include "route_internal.h"

#include <string.h>

#define MASK48 ((1ull << 48) - 1)
#define TOKEN_DOMAIN 0x52524f5554454bull /* "RROUTEK" */

static uint64_t token_mac(const struct sr_route_shard *rs, const char *fields)
{
	uint64_t key[2] = { rs->cfg.txn.secret[0] ^ TOKEN_DOMAIN, rs->cfg.txn.secret[1] };
	return sr_txn_hash(key, fields, 32) & MASK48;
}

size_t route_token_write(const struct sr_route_shard *rs, const struct sr_txn_dest *up,
			 const struct sr_txn_dest *down, uint32_t ftag_hash, char out[ROUTE_TOKEN_LEN])
{
	out[0] = 's';
	out[1] = 'r';
	sr_txn_hex(out + 2, up->ip, 8);
	sr_txn_hex(out + 10, up->port, 4);
	sr_txn_hex(out + 14, down->ip, 8);
	sr_txn_hex(out + 22, down->port, 4);
	sr_txn_hex(out + 26, ftag_hash, 8);
	sr_txn_hex(out + 34, token_mac(rs, out + 2), 12);
	return ROUTE_TOKEN_LEN;
}

bool route_token_read(const struct sr_route_shard *rs, struct sr_str token, struct sr_txn_dest *up,
		      struct sr_txn_dest *down, uint32_t *ftag_hash)
{
	uint64_t v[6];
	if (token.len != ROUTE_TOKEN_LEN || token.p[0] != 's' || token.p[1] != 'r')
		return false;
	static const unsigned at[6] = { 2, 10, 14, 22, 26, 34 }, digits[6] = { 8, 4, 8, 4, 8, 12 };
	for (unsigned i = 0; i < 6; i++)
		if (!sr_txn_unhex(token.p + at[i], digits[i], &v[i]))
			return false;
	if (v[5] != token_mac(rs, token.p + 2))
		return false;
	*up = (struct sr_txn_dest){ (uint32_t)v[0], (uint16_t)v[1], false };
	*down = (struct sr_txn_dest){ (uint32_t)v[2], (uint16_t)v[3], false };
	*ftag_hash = (uint32_t)v[4];
	return true;
}

uint32_t route_tag_hash(const struct sr_route_shard *rs, struct sr_str tag)
{
	return (uint32_t)sr_txn_hash(rs->cfg.txn.secret, tag.p, tag.len);
}

void route_to_tag(const struct sr_route_shard *rs, struct sr_str call_id, struct sr_str from_tag, uint32_t cseq,
		  char out[ROUTE_TAG_LEN])
{
	const struct sr_str parts[] = { call_id, from_tag, sr_str_make((const char *)&cseq, sizeof(cseq)) };
	uint64_t k[2] = { rs->cfg.txn.secret[0] ^ 0x5354414eull /* "STAN" */, rs->cfg.txn.secret[1] };
	sr_txn_hex(out, sr_txn_hash_parts(k, parts, 3), ROUTE_TAG_LEN);
}
