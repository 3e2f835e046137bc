/*
 * auth_nonce.c - stateless nonces (see auth_nonce.h).
 *
 * The MAC is truncated to 128 bits: forging one needs 2^128 work, and the
 * nonce stays short enough for every SIP phone. The comparison is
 * constant-time (CRYPTO_memcmp) so the MAC cannot be guessed byte by byte.
 */
#include "auth_nonce.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#define PAYLOAD 16
#define MAC_LEN 16
#define FUTURE_SLACK_MS 5000

struct sr_nonce {
	EVP_MAC *mac;
	EVP_MAC_CTX *ctx;
	uint64_t salt;
};

struct sr_nonce *sr_nonce_new(const void *secret, size_t secret_len, uint16_t shard_id)
{
	if (!secret || secret_len == 0)
		return NULL;
	struct sr_nonce *n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->salt = (uint64_t)shard_id << 48;
	n->mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	n->ctx = n->mac ? EVP_MAC_CTX_new(n->mac) : NULL;
	OSSL_PARAM params[] = { OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
				OSSL_PARAM_construct_end() };
	if (!n->ctx || !EVP_MAC_init(n->ctx, secret, secret_len, params)) {
		sr_nonce_free(n);
		return NULL;
	}
	return n;
}

void sr_nonce_free(struct sr_nonce *n)
{
	if (!n)
		return;
	EVP_MAC_CTX_free(n->ctx);
	EVP_MAC_free(n->mac);
	free(n);
}

int sr_nonce_rekey(struct sr_nonce *n, const void *secret, size_t secret_len)
{
	if (!secret || secret_len == 0)
		return -1;
	return EVP_MAC_init(n->ctx, secret, secret_len, NULL) ? 0 : -1;
}

static int compute_mac(struct sr_nonce *n, const unsigned char *payload, unsigned char *mac)
{
	unsigned char full[EVP_MAX_MD_SIZE];
	size_t len = 0;
	/* A NULL key re-initialises with the key set in sr_nonce_new. */
	if (!EVP_MAC_init(n->ctx, NULL, 0, NULL) || !EVP_MAC_update(n->ctx, payload, PAYLOAD) ||
	    !EVP_MAC_final(n->ctx, full, &len, sizeof(full)) || len < MAC_LEN)
		return -1;
	memcpy(mac, full, MAC_LEN);
	return 0;
}

static void put_be64(unsigned char *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)v;
}

static uint64_t get_be64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void to_hex(const unsigned char *in, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 15];
	}
}

static int hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int from_hex(const char *in, size_t n, unsigned char *out)
{
	for (size_t i = 0; i < n; i++) {
		int hi = hex_val(in[2 * i]), lo = hex_val(in[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

int sr_nonce_make(struct sr_nonce *n, uint64_t now_ms, char *out)
{
	unsigned char raw[PAYLOAD + MAC_LEN];
	put_be64(raw, now_ms);
	n->salt = (n->salt & ~((1ull << 48) - 1)) | ((n->salt + 1) & ((1ull << 48) - 1));
	put_be64(raw + 8, n->salt);
	if (compute_mac(n, raw, raw + PAYLOAD) != 0)
		return -1;
	to_hex(raw, sizeof(raw), out);
	out[SR_NONCE_LEN] = '\0';
	return 0;
}

enum sr_nonce_rc sr_nonce_check(struct sr_nonce *n, struct sr_str nonce, uint64_t now_ms,
				uint64_t lifetime_ms, struct sr_nonce_info *info)
{
	unsigned char raw[PAYLOAD + MAC_LEN], mac[MAC_LEN];
	if (nonce.len != SR_NONCE_LEN || from_hex(nonce.p, sizeof(raw), raw) != 0)
		return SR_NONCE_BAD;
	if (compute_mac(n, raw, mac) != 0 || CRYPTO_memcmp(mac, raw + PAYLOAD, MAC_LEN) != 0)
		return SR_NONCE_BAD;
	uint64_t t = get_be64(raw);
	if (t > now_ms + FUTURE_SLACK_MS)
		return SR_NONCE_BAD;
	info->issued_ms = t;
	info->salt = get_be64(raw + 8);
	if (now_ms >= sr_nonce_stale_at(info, lifetime_ms))
		return SR_NONCE_STALE;
	return SR_NONCE_OK;
}
