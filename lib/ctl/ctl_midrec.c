/*
 * ctl_midrec.c - see ctl_midrec.h.
 *
 * Decoding never trusts the bytes (they come back from disk): the version
 * is checked by name and the AoR's length against the buffer. The key's
 * AoR half is sr_hash64, the same hash that decides the owner worker and
 * keys the bindings.
 */
#include "ctl_midrec.h"

#include <string.h>

#include "aor_table.h"

size_t sr_ctl_midrec_size(struct sr_str aor, size_t len)
{
	if (aor.len == 0 || aor.len > 65535)
		return 0;
	return SR_CTL_MIDREC_HDR + aor.len + len;
}

size_t sr_ctl_midrec_encode(const struct sr_ctl_midrec *r, uint8_t *out, size_t cap)
{
	size_t n = sr_ctl_midrec_size(r->aor, r->len);
	if (n == 0 || n > cap)
		return 0;
	out[0] = SR_CTL_MIDREC_VERSION;
	out[1] = 0;
	out[2] = (uint8_t)r->aor.len;
	out[3] = (uint8_t)(r->aor.len >> 8);
	for (int i = 0; i < 8; i++)
		out[4 + i] = (uint8_t)(r->ctid >> (8 * i));
	memcpy(out + SR_CTL_MIDREC_HDR, r->aor.p, r->aor.len);
	if (r->len)
		memcpy(out + SR_CTL_MIDREC_HDR + r->aor.len, r->bytes, r->len);
	return n;
}

int sr_ctl_midrec_decode(const uint8_t *in, size_t len, struct sr_ctl_midrec *r, const char **err)
{
	if (len < SR_CTL_MIDREC_HDR) {
		*err = "mid-registrar record: truncated header";
		return -1;
	}
	if (in[0] != SR_CTL_MIDREC_VERSION) {
		*err = "mid-registrar record: unknown version";
		return -1;
	}
	size_t alen = (size_t)in[2] | (size_t)in[3] << 8;
	if (alen == 0 || SR_CTL_MIDREC_HDR + alen > len) {
		*err = "mid-registrar record: bad AoR length";
		return -1;
	}
	r->ctid = 0;
	for (int i = 0; i < 8; i++)
		r->ctid |= (uint64_t)in[4 + i] << (8 * i);
	r->aor = sr_str_make((const char *)in + SR_CTL_MIDREC_HDR, alen);
	r->len = len - SR_CTL_MIDREC_HDR - alen;
	r->bytes = r->len ? in + SR_CTL_MIDREC_HDR + alen : NULL;
	return 0;
}

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

void sr_ctl_midrec_key(struct sr_str aor, uint64_t ctid, uint8_t key[SR_CTL_MIDREC_KEY_LEN])
{
	put_be64(key, sr_hash64(aor.p, aor.len));
	put_be64(key + 8, ctid);
}
