/*
 * reg_tgruu.c - temporary GRUUs that carry their AoR encrypted (see
 * reg_tgruu.h for the design). The cipher is OpenSSL's AES-128-CTR: a
 * context per call, because only REGISTERs with GRUU support and requests
 * for a temporary GRUU pay for it, and a shared context would tie the
 * registrar, the pre-scan and the routing to one thread's state.
 */
#include "reg_tgruu.h"

#include <string.h>

#include <openssl/evp.h>

#include "../sip/sip_str.h"

void sr_tgruu_keys_from(uint64_t secret, struct sr_tgruu_keys *k)
{
	const struct sr_siphash_key master = { secret, 0 };
	k->mac = sr_siphash_derive(&master, "sipreg temp-gruu");
	struct sr_siphash_key aes = sr_siphash_derive(&master, "sipreg temp-gruu aes");
	for (int i = 0; i < 8; i++) {
		k->aes[i] = (uint8_t)(aes.k0 >> (8 * i));
		k->aes[8 + i] = (uint8_t)(aes.k1 >> (8 * i));
	}
}

/* AES-128-CTR of n bytes (encryption and decryption are the same); the counter block is nonce, then zeros. */
static bool ctr(const struct sr_tgruu_keys *k, uint64_t nonce, const uint8_t *in, size_t n, uint8_t *out)
{
	uint8_t iv[16] = { 0 };
	for (int i = 0; i < 8; i++)
		iv[i] = (uint8_t)(nonce >> (56 - 8 * i));
	EVP_CIPHER_CTX *cx = EVP_CIPHER_CTX_new();
	int len = 0;
	bool ok = cx && EVP_EncryptInit_ex(cx, EVP_aes_128_ctr(), NULL, k->aes, iv) == 1 &&
		  EVP_EncryptUpdate(cx, out, &len, in, (int)n) == 1 && (size_t)len == n;
	EVP_CIPHER_CTX_free(cx);
	return ok;
}

static const char hexd[] = "0123456789abcdef";

size_t sr_tgruu_user(const struct sr_tgruu_keys *k, struct sr_str aor, struct sr_str instance,
		     struct sr_str call_id, char *out, size_t cap)
{
	const size_t pre = sizeof(SR_TGRUU_PREFIX) - 1;
	if (aor.len == 0 || aor.len > SR_TGRUU_MAX_AOR || cap < pre + 16 + 2 * aor.len)
		return 0;
	struct sr_siphash h;
	sr_siphash_init(&h, &k->mac);
	sr_siphash_field(&h, aor.p, aor.len);
	sr_siphash_field(&h, instance.p, instance.len);
	sr_siphash_field(&h, call_id.p, call_id.len);
	uint64_t nonce = sr_siphash_final(&h);
	uint8_t ct[SR_TGRUU_MAX_AOR];
	if (!ctr(k, nonce, (const uint8_t *)aor.p, aor.len, ct))
		return 0;
	char *o = out;
	memcpy(o, SR_TGRUU_PREFIX, pre);
	o += pre;
	for (int i = 0; i < 16; i++)
		*o++ = hexd[(nonce >> (60 - 4 * i)) & 15];
	for (size_t i = 0; i < aor.len; i++) {
		*o++ = hexd[ct[i] >> 4];
		*o++ = hexd[ct[i] & 15];
	}
	return (size_t)(o - out);
}

bool sr_tgruu_in_uri(const struct sr_sip_uri *u, struct sr_str *user)
{
	struct sr_str gr;
	const size_t pre = sizeof(SR_TGRUU_PREFIX) - 1;
	if (!sr_sip_uri_param(u, "gr", &gr) || gr.len || u->user.len <= pre ||
	    memcmp(u->user.p, SR_TGRUU_PREFIX, pre) != 0)
		return false;
	*user = u->user;
	return true;
}

bool sr_tgruu_aor(const struct sr_tgruu_keys *k, struct sr_str user, char *aor, size_t cap, size_t *len)
{
	const size_t pre = sizeof(SR_TGRUU_PREFIX) - 1;
	uint64_t nonce;
	if (user.len <= pre + 16 || memcmp(user.p, SR_TGRUU_PREFIX, pre) != 0 ||
	    !sr_str_hex_lower(sr_str_make(user.p + pre, 16), &nonce))
		return false;
	const char *x = user.p + pre + 16;
	size_t n = (user.len - pre - 16) / 2;
	if ((user.len - pre - 16) % 2 || n > SR_TGRUU_MAX_AOR || n > cap)
		return false;
	uint8_t ct[SR_TGRUU_MAX_AOR];
	for (size_t i = 0; i < n; i++) {
		uint64_t byte;
		if (!sr_str_hex_lower(sr_str_make(x + 2 * i, 2), &byte))
			return false;
		ct[i] = (uint8_t)byte;
	}
	if (!ctr(k, nonce, ct, n, (uint8_t *)aor))
		return false;
	/* what we encrypted was a canonical AoR: anything else is a forgery or another key's */
	bool sip = (n > 4 && memcmp(aor, "sip:", 4) == 0) || (n > 5 && memcmp(aor, "sips:", 5) == 0);
	if (!sip || memchr(aor, '\0', n))
		return false;
	*len = n;
	return true;
}
