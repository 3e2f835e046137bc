/*
 * txn_branch.c - the Via branches sipreg writes, and reading them back.
 *
 * Layout (txn.h): "z9hG4bKsr" WW LLLLLLLL CCCCCCCCCCCC MMMMMMMMMMMM.
 * - The worker id sits at a fixed offset so the data plane's dispatch reads
 *   two hex digits and hands the response to that worker: no table.
 * - The counter makes every branch of a shard distinct for 2^48
 *   transactions; the worker id makes shards distinct from each other.
 * - The MAC (48 bits of SipHash over worker, loop hash and counter under the
 *   shard secret) makes the branch unguessable: an off-path attacker cannot
 *   name a live client transaction, so cannot inject a response into it.
 *   It also lets loop detection trust that a Via naming us was written by us.
 * - Fixed length and fixed alphabet: parsing is a length check and 34 hex
 *   digits, no scanning.
 */
#include "txn_internal.h"

#include <string.h>

#define PREFIX "z9hG4bKsr"
#define PREFIX_LEN 9
#define MASK48 ((1ull << 48) - 1)

void sr_txn_hex(char *out, uint64_t v, unsigned digits)
{
	static const char hexd[] = "0123456789abcdef";
	for (unsigned i = digits; i-- > 0; v >>= 4)
		out[i] = hexd[v & 15];
}

/* Value of a lower-case hex digit, 0xff for anything else. */
static const uint8_t unhex[256] = {
	['0'] = 0,  ['1'] = 1,  ['2'] = 2,  ['3'] = 3,  ['4'] = 4,  ['5'] = 5,  ['6'] = 6,  ['7'] = 7,
	['8'] = 8,  ['9'] = 9,  ['a'] = 10, ['b'] = 11, ['c'] = 12, ['d'] = 13, ['e'] = 14, ['f'] = 15,
};

bool sr_txn_unhex(const char *p, unsigned digits, uint64_t *v)
{
	uint64_t r = 0;
	for (unsigned i = 0; i < digits; i++) {
		unsigned char c = (unsigned char)p[i];
		uint8_t d = unhex[c];
		if (d == 0 && c != '0')
			return false; /* not a digit we write (we only write lower case) */
		r = (r << 4) | d;
	}
	*v = r;
	return true;
}

static uint64_t branch_mac(const uint64_t secret[2], uint8_t worker, uint32_t loop, uint64_t counter)
{
	uint64_t in[2] = { ((uint64_t)worker << 32) | loop, counter & MASK48 };
	return sr_txn_hash(secret, in, sizeof(in)) & MASK48;
}

void sr_txn_branch_write(const uint64_t secret[2], uint8_t worker, uint32_t loop_hash, uint64_t counter,
			 char out[SR_TXN_BRANCH_LEN])
{
	memcpy(out, PREFIX, PREFIX_LEN);
	sr_txn_hex(out + PREFIX_LEN, worker, 2);
	sr_txn_hex(out + PREFIX_LEN + 2, loop_hash, 8);
	sr_txn_hex(out + PREFIX_LEN + 10, counter & MASK48, 12);
	sr_txn_hex(out + PREFIX_LEN + 22, branch_mac(secret, worker, loop_hash, counter), 12);
}

bool sr_txn_branch_parse(struct sr_str b, struct sr_txn_branch_info *info)
{
	if (b.len != SR_TXN_BRANCH_LEN || memcmp(b.p, PREFIX, PREFIX_LEN) != 0)
		return false;
	uint64_t w, l, c, m;
	if (!sr_txn_unhex(b.p + PREFIX_LEN, 2, &w) || !sr_txn_unhex(b.p + PREFIX_LEN + 2, 8, &l) ||
	    !sr_txn_unhex(b.p + PREFIX_LEN + 10, 12, &c) || !sr_txn_unhex(b.p + PREFIX_LEN + 22, 12, &m))
		return false;
	if (info) {
		info->worker = (uint8_t)w;
		info->loop_hash = (uint32_t)l;
		info->counter = c;
		info->mac = m;
	}
	return true;
}

bool sr_txn_branch_authentic(const uint64_t secret[2], struct sr_str b)
{
	struct sr_txn_branch_info bi;
	return sr_txn_branch_parse(b, &bi) && bi.mac == branch_mac(secret, bi.worker, bi.loop_hash, bi.counter);
}

void sr_txn_branch_stateless(const struct sr_txn_shard *ts, uint32_t loop_hash, struct sr_str incoming,
			     char out[SR_TXN_BRANCH_LEN])
{
	/* The counter field carries a keyed hash of the incoming branch instead of a count. */
	uint64_t h = sr_txn_hash(ts->cfg.secret, incoming.p, incoming.len);
	sr_txn_branch_write(ts->cfg.secret, ts->cfg.worker, loop_hash, h, out);
}
