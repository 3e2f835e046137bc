/*
 * siphash.h - SipHash-2-4, the project's one keyed hash (a pseudorandom
 * function): behind every value the registrar derives from
 * registrar.secret (To-tags, temporary GRUUs, the expiry jitter) and every
 * branch, matching hash, loop hash and Record-Route token of the
 * transaction and routing layers (lib/transaction/txn_hash.c).
 *
 * Why SipHash and not the multiply-xor mixing used before: those steps were
 * invertible, so one temporary GRUU (whose inputs, AoR, instance and
 * Call-ID, the client knows) gave the secret back. SipHash is a PRF under a
 * 128-bit key (Aumasson and Bernstein, "SipHash: a fast short-input PRF",
 * 2012): outputs reveal nothing of the key. Why not HMAC-SHA256 from
 * OpenSSL: To-tags are computed for every response on the worker's hot path,
 * where OpenSSL's MAC contexts allocate per call; SipHash on a ~60-byte
 * input is a few dozen ns with no allocation and no library. Written from
 * the paper; the unit test checks the paper's test vector and agreement
 * with OpenSSL's SipHash on random keys and inputs.
 *
 * Inputs of several fields are hashed each field preceded by its length
 * (sr_siphash_field, sr_siphash_fields), so that no two different field
 * lists hash the same bytes.
 */
#ifndef SR_SIPHASH_H
#define SR_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

struct sr_siphash_key {
	uint64_t k0, k1; /* the 16 key bytes as two little-endian words */
};

struct sr_siphash {
	uint64_t v0, v1, v2, v3;
	uint64_t len;   /* bytes added so far */
	uint8_t buf[8]; /* the len % 8 bytes not yet compressed */
};

void sr_siphash_init(struct sr_siphash *h, const struct sr_siphash_key *k);
void sr_siphash_update(struct sr_siphash *h, const void *p, size_t n);
uint64_t sr_siphash_final(const struct sr_siphash *h);

/* n as the 4 little-endian bytes that go in front of a field (and the CSeq number of a To-tag). */
static inline void sr_siphash_le32(uint8_t out[4], uint32_t n)
{
	out[0] = (uint8_t)n;
	out[1] = (uint8_t)(n >> 8);
	out[2] = (uint8_t)(n >> 16);
	out[3] = (uint8_t)(n >> 24);
}

/* Adds n (below 2**32: a field of a SIP message) as 4 little-endian bytes, then the n bytes of p. */
void sr_siphash_field(struct sr_siphash *h, const void *p, size_t n);

/* One field of sr_siphash_fields: n bytes at p. */
struct sr_siphash_span {
	const void *p;
	size_t n;
};
/*
 * The SipHash of sr_siphash_field of each of the n_fields fields in turn,
 * then the tail bytes as they are (sr_siphash_update), for fields of any
 * length. (The To-tag of every response: Call-ID, From tag, CSeq number.)
 */
uint64_t sr_siphash_fields(const struct sr_siphash_key *k, const struct sr_siphash_span *fields, size_t n_fields,
			   const void *tail, size_t tail_len);

/* One-shot SipHash-2-4 of p[0..n). */
uint64_t sr_siphash(const struct sr_siphash_key *k, const void *p, size_t n);

/* A key for one use ("to-tag", ...): SipHash of the label under the master key, twice. */
struct sr_siphash_key sr_siphash_derive(const struct sr_siphash_key *master, const char *label);

#endif
