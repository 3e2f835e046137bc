/*
 * auth_digest.c - digest hashes over OpenSSL EVP (see auth_digest.h).
 *
 * The EVP_MD objects are fetched explicitly (EVP_MD_fetch) once, because
 * the implicit fetch of EVP_md5()/EVP_sha256() repeats a provider lookup on
 * every EVP_DigestInit_ex. The context is reset by EVP_DigestInit_ex2 for
 * each hash and never freed until the worker stops.
 */
#include "auth_digest.h"

#include <openssl/evp.h>
#include <stdlib.h>

struct sr_digest {
	EVP_MD_CTX *ctx;
	EVP_MD *md[SR_DIGEST_N_ALGS];
};

static const char *const alg_names[SR_DIGEST_N_ALGS] = { "SHA-256", "MD5" };

size_t sr_digest_hex_len(enum sr_digest_alg alg)
{
	return alg == SR_DIGEST_MD5 ? 32 : 64;
}

const char *sr_digest_alg_name(enum sr_digest_alg alg)
{
	return alg_names[alg];
}

int sr_digest_alg_parse(struct sr_str name, enum sr_digest_alg *alg)
{
	for (int a = 0; a < SR_DIGEST_N_ALGS; a++) {
		if (sr_str_caseeq_cstr(name, alg_names[a])) {
			*alg = (enum sr_digest_alg)a;
			return 0;
		}
	}
	return -1;
}

struct sr_digest *sr_digest_new(void)
{
	struct sr_digest *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->ctx = EVP_MD_CTX_new();
	d->md[SR_DIGEST_SHA256] = EVP_MD_fetch(NULL, "SHA256", NULL);
	d->md[SR_DIGEST_MD5] = EVP_MD_fetch(NULL, "MD5", NULL);
	if (!d->ctx || !d->md[SR_DIGEST_SHA256] || !d->md[SR_DIGEST_MD5]) {
		sr_digest_free(d);
		return NULL;
	}
	return d;
}

void sr_digest_free(struct sr_digest *d)
{
	if (!d)
		return;
	EVP_MD_CTX_free(d->ctx);
	for (int a = 0; a < SR_DIGEST_N_ALGS; a++)
		EVP_MD_free(d->md[a]);
	free(d);
}

int sr_digest_hex(struct sr_digest *d, enum sr_digest_alg alg, const struct sr_str *parts, size_t n,
		  char *out)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	if (!EVP_DigestInit_ex2(d->ctx, d->md[alg], NULL))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (i && !EVP_DigestUpdate(d->ctx, ":", 1))
			return -1;
		if (parts[i].len && !EVP_DigestUpdate(d->ctx, parts[i].p, parts[i].len))
			return -1;
	}
	if (!EVP_DigestFinal_ex(d->ctx, md, &md_len) || md_len * 2 != sr_digest_hex_len(alg))
		return -1;
	for (unsigned i = 0; i < md_len; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[2 * md_len] = '\0';
	return 0;
}

int sr_digest_ha1(struct sr_digest *d, enum sr_digest_alg alg, struct sr_str user, struct sr_str realm,
		  struct sr_str password, char *out)
{
	const struct sr_str parts[] = { user, realm, password };
	return sr_digest_hex(d, alg, parts, 3, out);
}

int sr_digest_response(struct sr_digest *d, enum sr_digest_alg alg, const struct sr_digest_input *in,
		       char *out)
{
	char ha2[SR_DIGEST_HEX_MAX + 1];
	const struct sr_str a2[] = { in->method, in->uri };
	if (sr_digest_hex(d, alg, a2, 2, ha2) != 0)
		return -1;
	const struct sr_str parts[] = { in->ha1, in->nonce, in->nc, in->cnonce, in->qop,
					sr_str_make(ha2, sr_digest_hex_len(alg)) };
	return sr_digest_hex(d, alg, parts, 6, out);
}
