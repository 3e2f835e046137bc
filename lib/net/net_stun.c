/*
 * net_stun.c - STUN Binding responses (see net_stun.h).
 *
 * Only what a keepalive needs: the request's attributes are not
 * interpreted (RFC 5626 clients send none, or SOFTWARE/FINGERPRINT); a
 * request we cannot answer in kind is simply not answered, and the client
 * treats that as a failed keepalive. FINGERPRINT is mirrored: a client that
 * multiplexes STUN with SIP and asks for it gets it (CRC-32 of ISO 3309,
 * bitwise: 36 bytes per response do not need a table).
 */
#include "net_stun.h"

#include <string.h>

#define STUN_COOKIE 0x2112A442u
#define STUN_BINDING_REQUEST 0x0001
#define STUN_BINDING_SUCCESS 0x0101
#define ATTR_XOR_MAPPED_ADDRESS 0x0020
#define ATTR_FINGERPRINT 0x8028
#define FINGERPRINT_XOR 0x5354554Eu

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint32_t crc32(const uint8_t *p, size_t n)
{
	uint32_t c = 0xFFFFFFFFu;
	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1)));
	}
	return ~c;
}

bool sr_net_is_stun(const uint8_t *payload, size_t len)
{
	return len >= SR_STUN_HEADER_LEN && (payload[0] & 0xC0) == 0 && get32(payload + 4) == STUN_COOKIE &&
	       (size_t)get16(payload + 2) + SR_STUN_HEADER_LEN == len && (get16(payload + 2) & 3) == 0;
}

/* Whether the request's attributes end with FINGERPRINT (RFC 5389 15.5: it must be the last one). */
static bool has_fingerprint(const uint8_t *req, size_t len)
{
	size_t at = SR_STUN_HEADER_LEN;
	while (at + 4 <= len) {
		uint16_t type = get16(req + at), alen = get16(req + at + 2);
		size_t next = at + 4 + ((alen + 3u) & ~3u);
		if (next > len)
			return false;
		if (type == ATTR_FINGERPRINT)
			return next == len;
		at = next;
	}
	return false;
}

size_t sr_net_stun_binding_response(const uint8_t *req, size_t len, uint32_t src_ip, uint16_t src_port,
				    uint8_t out[SR_STUN_RESPONSE_MAX])
{
	if (!sr_net_is_stun(req, len) || get16(req) != STUN_BINDING_REQUEST)
		return 0;
	bool fp = has_fingerprint(req, len);
	size_t n = SR_STUN_HEADER_LEN;
	put16(out, STUN_BINDING_SUCCESS);
	memcpy(out + 4, req + 4, 16); /* magic cookie and transaction id */
	/* XOR-MAPPED-ADDRESS: family IPv4, port and address XORed with the cookie (RFC 5389 15.2) */
	put16(out + n, ATTR_XOR_MAPPED_ADDRESS);
	put16(out + n + 2, 8);
	out[n + 4] = 0;
	out[n + 5] = 0x01;
	put16(out + n + 6, (uint16_t)(src_port ^ (STUN_COOKIE >> 16)));
	uint8_t ip[4];
	memcpy(ip, &src_ip, 4); /* network order: ip[0] is the first octet */
	put32(out + n + 8, get32(ip) ^ STUN_COOKIE);
	n += 12;
	if (fp) {
		/* the length field must already count the FINGERPRINT when the CRC is computed (15.5) */
		put16(out + 2, (uint16_t)(n + 8 - SR_STUN_HEADER_LEN));
		put16(out + n, ATTR_FINGERPRINT);
		put16(out + n + 2, 4);
		put32(out + n + 4, crc32(out, n) ^ FINGERPRINT_XOR);
		return n + 8;
	}
	put16(out + 2, (uint16_t)(n - SR_STUN_HEADER_LEN));
	return n;
}
