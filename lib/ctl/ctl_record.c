/*
 * ctl_record.c - encoding and decoding of persisted bindings.
 *
 * Design decisions:
 * - Explicit little-endian byte writes rather than a memcpy of a struct:
 *   the format must not change with the compiler's padding or the CPU, and
 *   a data directory may be copied to another machine (snapshots).
 * - Layout of version 4 (63 bytes then strings):
 *     u8 version, u64 id, u32 expires, u32 registered_at, u32 cseq,
 *     u32 src_ip (as stored: network order bytes), u32 reg_id,
 *     u64 branch_hash, u16 src_port, u16 q, u16 flags, u16 aor_len,
 *     u16 len[8], u16 allow, aor bytes, then the 8 strings in enum
 *     sr_bfield order.
 *   Version 2 added the binding id (the key's second half), version 3 the
 *   push parameters (SR_BF_PN_PARAMS, RFC 8599), version 4 the registered
 *   Allow (lib/sip's method bits). A version 3 record is read as one
 *   without Allow ("no Allow registered": every method reaches it), which
 *   is what the registrar knew when it wrote it; it differs only by the
 *   missing u16. Older ones are refused as a whole by the store's format
 *   marker (ctl_store.h).
 * - The key's AoR half is sr_hash64 (one hash function in the project),
 *   the same that decides the owner worker, rotated so that its low bits
 *   (the slot, which decides the owner) lead: a worker's records are whole
 *   key ranges. A rotation rather than a slot prefix: the key keeps its 16
 *   bytes and every bit of the hash.
 */
#include "ctl_record.h"

#include <string.h>

#define HDR_LEN_V3 (1 + 8 + 5 * 4 + 8 + 4 * 2 + 2 * SR_BF_COUNT)
#define HDR_LEN (HDR_LEN_V3 + 2) /* version 4: + u16 allow */

static uint8_t *put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	return p + 2;
}

static uint8_t *put32(uint8_t *p, uint32_t v)
{
	p = put16(p, (uint16_t)v);
	return put16(p, (uint16_t)(v >> 16));
}

static uint8_t *put64(uint8_t *p, uint64_t v)
{
	p = put32(p, (uint32_t)v);
	return put32(p, (uint32_t)(v >> 32));
}

static uint16_t get16(const uint8_t **p)
{
	uint16_t v = (uint16_t)((*p)[0] | (*p)[1] << 8);
	*p += 2;
	return v;
}

static uint32_t get32(const uint8_t **p)
{
	uint32_t lo = get16(p);
	return lo | (uint32_t)get16(p) << 16;
}

static uint64_t get64(const uint8_t **p)
{
	uint64_t lo = get32(p);
	return lo | (uint64_t)get32(p) << 32;
}

size_t sr_ctl_record_size(const struct sr_loc_binding *b)
{
	if (b->aor.len > UINT16_MAX)
		return 0;
	size_t n = HDR_LEN + b->aor.len;
	for (int i = 0; i < SR_BF_COUNT; i++) {
		if (b->f[i].len > UINT16_MAX)
			return 0;
		n += b->f[i].len;
	}
	return n;
}

size_t sr_ctl_record_encode(const struct sr_loc_binding *b, uint8_t *out, size_t cap)
{
	size_t n = sr_ctl_record_size(b);
	if (n == 0 || n > cap)
		return 0;
	const struct sr_binding_state *st = &b->st;
	uint8_t *p = out;
	*p++ = SR_CTL_RECORD_VERSION;
	p = put64(p, st->id);
	p = put32(p, st->expires);
	p = put32(p, st->registered_at);
	p = put32(p, st->cseq);
	p = put32(p, st->src_ip);
	p = put32(p, st->reg_id);
	p = put64(p, st->branch_hash);
	p = put16(p, st->src_port);
	p = put16(p, st->q);
	p = put16(p, st->flags);
	p = put16(p, (uint16_t)b->aor.len);
	for (int i = 0; i < SR_BF_COUNT; i++)
		p = put16(p, (uint16_t)b->f[i].len);
	p = put16(p, st->allow);
	if (b->aor.len)
		memcpy(p, b->aor.p, b->aor.len);
	p += b->aor.len;
	for (int i = 0; i < SR_BF_COUNT; i++) {
		if (b->f[i].len)
			memcpy(p, b->f[i].p, b->f[i].len);
		p += b->f[i].len;
	}
	return n;
}

int sr_ctl_record_decode(const uint8_t *in, size_t len, struct sr_loc_binding *b, const char **err)
{
	if (len < 1) {
		*err = "empty record";
		return -1;
	}
	if (in[0] != SR_CTL_RECORD_VERSION && in[0] != 3) {
		*err = "record of an unknown format version (written by another sipreg version)";
		return -1;
	}
	size_t hdr_len = in[0] == 3 ? HDR_LEN_V3 : HDR_LEN;
	if (len < hdr_len) {
		*err = "record shorter than its header";
		return -1;
	}
	const uint8_t *p = in + 1;
	struct sr_binding_state *st = &b->st;
	st->id = get64(&p);
	st->expires = get32(&p);
	st->registered_at = get32(&p);
	st->cseq = get32(&p);
	st->src_ip = get32(&p);
	st->reg_id = get32(&p);
	st->branch_hash = (uint32_t)get64(&p); /* 32 bits kept (binding.h); older records had 64 */
	st->src_port = get16(&p);
	st->q = get16(&p);
	st->flags = get16(&p);
	size_t lens[1 + SR_BF_COUNT];
	size_t total = hdr_len;
	for (int i = 0; i < 1 + SR_BF_COUNT; i++) {
		lens[i] = get16(&p);
		total += lens[i];
	}
	st->allow = in[0] == 3 ? 0 : get16(&p);
	if (total != len) {
		*err = "record length does not match the lengths it declares";
		return -1;
	}
	b->aor = sr_str_make((const char *)p, lens[0]);
	p += lens[0];
	for (int i = 0; i < SR_BF_COUNT; i++) {
		b->f[i] = sr_str_make((const char *)p, lens[1 + i]);
		p += lens[1 + i];
	}
	if (b->aor.len == 0 || b->f[SR_BF_CONTACT].len == 0 || st->id == 0) {
		*err = "record without an AoR, a contact or an id";
		return -1;
	}
	return 0;
}

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

void sr_ctl_record_key(const struct sr_loc_binding *b, uint8_t key[SR_CTL_KEY_LEN])
{
	sr_ctl_record_aor_prefix(b->aor, key);
	put_be64(key + 8, b->st.id);
}

void sr_ctl_record_v3_key(const struct sr_loc_binding *b, uint8_t key[SR_CTL_KEY_LEN])
{
	put_be64(key, sr_hash64(b->aor.p, b->aor.len));
	put_be64(key + 8, b->st.id);
}

/* The slot's bits to the top of the key (rotations, so the whole hash stays in the key). */
static uint64_t slot_first(uint64_t h)
{
	return h >> SR_CTL_SLOT_BITS | h << (64 - SR_CTL_SLOT_BITS);
}

uint64_t sr_ctl_record_key_aor_hash(const uint8_t key[SR_CTL_KEY_LEN])
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | key[i];
	return v << SR_CTL_SLOT_BITS | v >> (64 - SR_CTL_SLOT_BITS);
}

void sr_ctl_record_hash_prefix(uint64_t aor_hash64, uint8_t prefix[8])
{
	put_be64(prefix, slot_first(aor_hash64));
}

void sr_ctl_record_aor_prefix(struct sr_str aor, uint8_t prefix[8])
{
	sr_ctl_record_hash_prefix(sr_hash64(aor.p, aor.len), prefix);
}

size_t sr_ctl_slot_start(unsigned slot, uint8_t out[2])
{
	_Static_assert(SR_CTL_SLOT_BITS > 8 && SR_CTL_SLOT_BITS <= 16, "a slot spans the key's first two bytes");
	uint16_t top = (uint16_t)(slot << (16 - SR_CTL_SLOT_BITS));
	out[0] = (uint8_t)(top >> 8);
	out[1] = (uint8_t)top;
	return out[1] ? 2 : out[0] ? 1 : 0;
}

void sr_ctl_record_removal(const struct sr_loc_binding *b, struct sr_loc_binding *out)
{
	memset(out, 0, sizeof(*out));
	out->aor = b->aor;
	out->f[SR_BF_CONTACT] = b->f[SR_BF_CONTACT];
	out->st.id = b->st.id;
	out->st.expires = b->st.expires;
}
