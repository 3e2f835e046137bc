/*
 * siphash.c - SipHash-2-4 (see siphash.h), from the paper's description:
 * four 64-bit state words initialised from the key and four constants,
 * two SipRounds per 8-byte little-endian message word, a last word holding
 * the remaining bytes and the length modulo 256 in its top byte, then 0xff
 * into v2 and four SipRounds.
 */
#include "siphash.h"

#include <string.h>

static inline uint64_t rotl(uint64_t x, unsigned b)
{
	return (x << b) | (x >> (64 - b));
}

static inline void sipround(struct sr_siphash *h)
{
	h->v0 += h->v1;
	h->v1 = rotl(h->v1, 13) ^ h->v0;
	h->v0 = rotl(h->v0, 32);
	h->v2 += h->v3;
	h->v3 = rotl(h->v3, 16) ^ h->v2;
	h->v0 += h->v3;
	h->v3 = rotl(h->v3, 21) ^ h->v0;
	h->v2 += h->v1;
	h->v1 = rotl(h->v1, 17) ^ h->v2;
	h->v2 = rotl(h->v2, 32);
}

static inline void compress(struct sr_siphash *h, uint64_t m)
{
	h->v3 ^= m;
	sipround(h);
	sipround(h);
	h->v0 ^= m;
}

void sr_siphash_init(struct sr_siphash *h, const struct sr_siphash_key *k)
{
	h->v0 = k->k0 ^ 0x736f6d6570736575ull; /* "somepseudorandomlygeneratedbytes" */
	h->v1 = k->k1 ^ 0x646f72616e646f6dull;
	h->v2 = k->k0 ^ 0x6c7967656e657261ull;
	h->v3 = k->k1 ^ 0x7465646279746573ull;
	h->tail = 0;
	h->len = 0;
}

void sr_siphash_update(struct sr_siphash *h, const void *p, size_t n)
{
	const uint8_t *b = p;
	/* complete a pending word byte by byte, then whole words, then keep the rest */
	while (n && (h->len & 7)) {
		h->tail |= (uint64_t)*b++ << (8 * (h->len & 7));
		n--;
		if ((++h->len & 7) == 0) {
			compress(h, h->tail);
			h->tail = 0;
		}
	}
	for (; n >= 8; b += 8, n -= 8, h->len += 8) {
		uint64_t m = 0;
		for (int i = 7; i >= 0; i--)
			m = m << 8 | b[i];
		compress(h, m);
	}
	for (size_t i = 0; i < n; i++)
		h->tail |= (uint64_t)b[i] << (8 * i);
	h->len += n;
}

uint64_t sr_siphash_final(const struct sr_siphash *st)
{
	struct sr_siphash h = *st;
	compress(&h, h.tail | (h.len & 0xff) << 56);
	h.v2 ^= 0xff;
	for (int i = 0; i < 4; i++)
		sipround(&h);
	return h.v0 ^ h.v1 ^ h.v2 ^ h.v3;
}

void sr_siphash_field(struct sr_siphash *h, const void *p, size_t n)
{
	uint8_t len[8];
	uint64_t v = n;
	for (int i = 0; i < 8; i++, v >>= 8)
		len[i] = (uint8_t)v;
	sr_siphash_update(h, len, sizeof(len));
	sr_siphash_update(h, p, n);
}

uint64_t sr_siphash(const struct sr_siphash_key *k, const void *p, size_t n)
{
	struct sr_siphash h;
	sr_siphash_init(&h, k);
	sr_siphash_update(&h, p, n);
	return sr_siphash_final(&h);
}

struct sr_siphash_key sr_siphash_derive(const struct sr_siphash_key *master, const char *label)
{
	struct sr_siphash_key out;
	uint64_t *word[2] = { &out.k0, &out.k1 };
	for (uint8_t i = 0; i < 2; i++) {
		struct sr_siphash h;
		sr_siphash_init(&h, master);
		sr_siphash_field(&h, label, strlen(label));
		sr_siphash_update(&h, &i, 1);
		*word[i] = sr_siphash_final(&h);
	}
	return out;
}
