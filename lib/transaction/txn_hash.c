/*
 * txn_hash.c - SipHash-2-4 (Aumasson and Bernstein), written from the
 * paper's description.
 *
 * Why a keyed hash: the matching table is indexed by branches that remote
 * parties choose, and branch MACs and loop hashes must not be forgeable, so
 * every hash in the transaction layer and the routing logic is keyed by the
 * shard's random secret. SipHash is short enough to keep here, fast on the
 * 40-100 byte keys we hash, and designed for exactly this use.
 */
#include "txn.h"

#include <string.h>

static inline uint64_t rotl(uint64_t x, unsigned b)
{
	return (x << b) | (x >> (64 - b));
}

static inline uint64_t load_le64(const unsigned char *p)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint64_t v;
	memcpy(&v, p, sizeof(v)); /* one unaligned load */
	return v;
#else
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
#endif
}

#define SIPROUND                                                                                   \
	do {                                                                                       \
		v0 += v1;                                                                          \
		v1 = rotl(v1, 13);                                                                 \
		v1 ^= v0;                                                                          \
		v0 = rotl(v0, 32);                                                                 \
		v2 += v3;                                                                          \
		v3 = rotl(v3, 16);                                                                 \
		v3 ^= v2;                                                                          \
		v0 += v3;                                                                          \
		v3 = rotl(v3, 21);                                                                 \
		v3 ^= v0;                                                                          \
		v2 += v1;                                                                          \
		v1 = rotl(v1, 17);                                                                 \
		v1 ^= v2;                                                                          \
		v2 = rotl(v2, 32);                                                                 \
	} while (0)

/* SipHash state over a stream of bytes: whole 8-byte words are compressed as they fill. */
struct sip_state {
	uint64_t v0, v1, v2, v3;
	uint64_t tail; /* pending bytes, little-endian */
	size_t len;    /* bytes so far */
};

static void sip_init(struct sip_state *s, const uint64_t key[2])
{
	s->v0 = key[0] ^ 0x736f6d6570736575ull;
	s->v1 = key[1] ^ 0x646f72616e646f6dull;
	s->v2 = key[0] ^ 0x6c7967656e657261ull;
	s->v3 = key[1] ^ 0x7465646279746573ull;
	s->tail = 0;
	s->len = 0;
}

static void sip_update(struct sip_state *s, const unsigned char *p, size_t n)
{
	uint64_t v0 = s->v0, v1 = s->v1, v2 = s->v2, v3 = s->v3, m;
	size_t fill = s->len & 7;
	s->len += n;
	/* Complete a partial word first, byte by byte. */
	while (fill && n) {
		s->tail |= (uint64_t)*p++ << (8 * fill);
		n--;
		if (++fill == 8) {
			m = s->tail;
			v3 ^= m;
			SIPROUND;
			SIPROUND;
			v0 ^= m;
			s->tail = 0;
			fill = 0;
		}
	}
	for (; n >= 8; p += 8, n -= 8) {
		m = load_le64(p);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (size_t i = 0; i < n; i++)
		s->tail |= (uint64_t)p[i] << (8 * i);
	s->v0 = v0, s->v1 = v1, s->v2 = v2, s->v3 = v3;
}

static uint64_t sip_final(struct sip_state *s)
{
	uint64_t v0 = s->v0, v1 = s->v1, v2 = s->v2, v3 = s->v3;
	uint64_t b = ((uint64_t)s->len << 56) | s->tail;
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

uint64_t sr_txn_hash(const uint64_t key[2], const void *data, size_t len)
{
	struct sip_state s;
	sip_init(&s, key);
	if (len)
		sip_update(&s, data, len);
	return sip_final(&s);
}

uint64_t sr_txn_hash_parts(const uint64_t key[2], const struct sr_str *parts, unsigned n)
{
	/* Short inputs (the usual: tags, a Call-ID, a URI) are laid out flat and hashed in one pass of whole words. */
	unsigned char flat[256];
	size_t len = 0;
	struct sip_state s;
	bool stream = false;
	for (unsigned i = 0; i < n && !stream; i++)
		stream = len + 4 + parts[i].len > sizeof(flat), len += 4 + parts[i].len;
	if (!stream)
		len = 0;
	else
		sip_init(&s, key);
	for (unsigned i = 0; i < n; i++) {
		/* Each part is preceded by its length, so ("ab", "c") and ("a", "bc") differ. */
		uint32_t l = (uint32_t)parts[i].len;
		unsigned char lb[4] = { (unsigned char)l, (unsigned char)(l >> 8), (unsigned char)(l >> 16),
					(unsigned char)(l >> 24) };
		if (stream) {
			sip_update(&s, lb, sizeof(lb));
			if (l)
				sip_update(&s, (const unsigned char *)parts[i].p, l);
			continue;
		}
		memcpy(flat + len, lb, sizeof(lb));
		if (l)
			memcpy(flat + len + 4, parts[i].p, l);
		len += 4 + l;
	}
	return stream ? sip_final(&s) : sr_txn_hash(key, flat, len);
}
