/*
 * sip_method.c - method names as bits, and method lists (Allow, the
 * Contact's methods feature tag) as masks.
 *
 * Design decisions:
 * - One table of method names for the whole project: lib/routing's method
 *   checks and the Allow filter use these bits (routing.h aliases them).
 * - Unknown methods in a list add nothing and are not an error: an Allow
 *   header only feeds a filter that never applies to an extension method
 *   (a bitmask cannot name them), and refusing a REGISTER or dropping a
 *   proxied response over an odd Allow would hurt more than it protects.
 *   Elements that are not tokens are ignored the same way.
 * - Methods are case-sensitive (RFC 3261 7.1): "invite" is an extension
 *   method. RFC 3840's methods values are written in upper case in practice
 *   and are read with the same rule.
 */
#include "sip_hdr.h"

#include <string.h>

/* The names by length: the text of a mask (sr_sip_method_text). */
static const struct {
	const char *name;
	uint32_t bit;
} by_len[10][4] = {
	[3] = { { "ACK", SR_SIP_M_ACK }, { "BYE", SR_SIP_M_BYE } },
	[4] = { { "INFO", SR_SIP_M_INFO } },
	[5] = { { "PRACK", SR_SIP_M_PRACK }, { "REFER", SR_SIP_M_REFER } },
	[6] = { { "INVITE", SR_SIP_M_INVITE }, { "CANCEL", SR_SIP_M_CANCEL }, { "NOTIFY", SR_SIP_M_NOTIFY },
		{ "UPDATE", SR_SIP_M_UPDATE } },
	[7] = { { "OPTIONS", SR_SIP_M_OPTIONS }, { "PUBLISH", SR_SIP_M_PUBLISH }, { "MESSAGE", SR_SIP_M_MESSAGE } },
	[8] = { { "REGISTER", SR_SIP_M_REGISTER } },
	[9] = { { "SUBSCRIBE", SR_SIP_M_SUBSCRIBE } },
};

/* Up to eight name bytes as one little-endian word (first byte lowest), as the scan below builds it. */
#define MW(a, b, c, d, e, f, g, h)                                                                      \
	((uint64_t)(uint8_t)(a) | (uint64_t)(uint8_t)(b) << 8 | (uint64_t)(uint8_t)(c) << 16 |           \
	 (uint64_t)(uint8_t)(d) << 24 | (uint64_t)(uint8_t)(e) << 32 | (uint64_t)(uint8_t)(f) << 40 |    \
	 (uint64_t)(uint8_t)(g) << 48 | (uint64_t)(uint8_t)(h) << 56)

/*
 * The bit of a name from its length, its last eight bytes as a word (the
 * whole name up to eight) and its first byte: a switch and one or two
 * compares, no call (an Allow lists about ten methods per REGISTER). by_len
 * above holds the same names for the text; test_sip_msg checks they agree.
 */
static uint32_t word_bit(size_t len, uint64_t w, char first)
{
	switch (len) {
	case 3:
		return w == MW('A', 'C', 'K', 0, 0, 0, 0, 0) ? SR_SIP_M_ACK
		       : w == MW('B', 'Y', 'E', 0, 0, 0, 0, 0) ? SR_SIP_M_BYE : SR_SIP_M_OTHER;
	case 4:
		return w == MW('I', 'N', 'F', 'O', 0, 0, 0, 0) ? SR_SIP_M_INFO : SR_SIP_M_OTHER;
	case 5:
		return w == MW('P', 'R', 'A', 'C', 'K', 0, 0, 0) ? SR_SIP_M_PRACK
		       : w == MW('R', 'E', 'F', 'E', 'R', 0, 0, 0) ? SR_SIP_M_REFER : SR_SIP_M_OTHER;
	case 6:
		return w == MW('I', 'N', 'V', 'I', 'T', 'E', 0, 0) ? SR_SIP_M_INVITE
		       : w == MW('C', 'A', 'N', 'C', 'E', 'L', 0, 0) ? SR_SIP_M_CANCEL
		       : w == MW('N', 'O', 'T', 'I', 'F', 'Y', 0, 0) ? SR_SIP_M_NOTIFY
		       : w == MW('U', 'P', 'D', 'A', 'T', 'E', 0, 0) ? SR_SIP_M_UPDATE : SR_SIP_M_OTHER;
	case 7:
		return w == MW('O', 'P', 'T', 'I', 'O', 'N', 'S', 0) ? SR_SIP_M_OPTIONS
		       : w == MW('P', 'U', 'B', 'L', 'I', 'S', 'H', 0) ? SR_SIP_M_PUBLISH
		       : w == MW('M', 'E', 'S', 'S', 'A', 'G', 'E', 0) ? SR_SIP_M_MESSAGE : SR_SIP_M_OTHER;
	case 8:
		return w == MW('R', 'E', 'G', 'I', 'S', 'T', 'E', 'R') ? SR_SIP_M_REGISTER : SR_SIP_M_OTHER;
	case 9:
		return w == MW('U', 'B', 'S', 'C', 'R', 'I', 'B', 'E') && first == 'S' ? SR_SIP_M_SUBSCRIBE
										     : SR_SIP_M_OTHER;
	default:
		return SR_SIP_M_OTHER;
	}
}

uint32_t sr_sip_method_bit(struct sr_str m)
{
	if (m.len < 3 || m.len > 9)
		return SR_SIP_M_OTHER;
	uint64_t w = 0;
	for (size_t i = m.len; i-- > 0 && m.len - i <= 8;)
		w = w << 8 | (uint8_t)m.p[i];
	return word_bit(m.len, w, m.p[0]);
}

static bool is_lws(char c)
{
	return c == ' ' || c == '\t';
}

/* The eight bytes at p (fewer before end: zeros past it) as a little-endian word. */
static inline uint64_t load8(const char *p, const char *end)
{
	uint64_t v = 0;
	if (end - p >= 8) {
		memcpy(&v, p, 8); /* one load */
	} else {
		for (unsigned i = 0; p + i < end; i++)
			v |= (uint64_t)(uint8_t)p[i] << (8 * i);
		return v; /* built little-endian already */
	}
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

/*
 * How many of the bytes of word x (first byte lowest) are upper-case
 * letters before the first that is not, 8 when all are: every byte at once
 * (two additions that cannot carry, on the bytes' low seven bits). This is
 * sip_chars.h's sr_sip_word_bytes_in(x, 'A', 'Z') written out: through the
 * helper gcc 12 made sr_sip_method_list's loop 32 instructions per REGISTER
 * dearer (callgrind, bench/core), so this one stays spelled out.
 */
static inline size_t upper_run(uint64_t x)
{
	const uint64_t low7 = 0x7f7f7f7f7f7f7f7full, high = 0x8080808080808080ull;
	uint64_t y = x & low7;
	uint64_t ge_a = y + 0x3f3f3f3f3f3f3f3full;  /* high bit: the byte is 'A' or above */
	uint64_t gt_z = y + 0x2525252525252525ull;  /* high bit: the byte is above 'Z' */
	uint64_t upper = ge_a & ~gt_z & ~x & high; /* and not a byte of 0x80 or more */
	uint64_t other = ~upper & high;
	return other ? (size_t)__builtin_ctzll(other) / 8 : 8;
}

uint32_t sr_sip_method_list(struct sr_str list)
{
	/*
	 * Every known name is upper-case letters: an element's word is gathered
	 * while the letters last, and it counts only when LWS, a comma or the end
	 * follows. Anything else (an extension name with a digit or '-', a
	 * lower-case name, two words) skips to the next comma and adds nothing.
	 * A name of up to seven letters (all but REGISTER and SUBSCRIBE) is read
	 * as one word; longer ones byte by byte.
	 */
	uint32_t mask = SR_SIP_ALLOW_PRESENT;
	const char *p = list.p, *end = list.p + list.len;
	while (p < end) {
		while (p < end && (is_lws(*p) || *p == ','))
			p++;
		if (p == end)
			break;
		const char *name = p;
		uint64_t w = load8(p, end); /* the letters as one word: the first byte lowest */
		size_t len = upper_run(w);
		if (len < 8) {
			w &= (1ull << (8 * len)) - 1;
			p += len;
		} else {
			w = 0; /* the last eight letters, shifted in from the top: the first byte ends lowest */
			for (; p < end && (unsigned)(*p - 'A') < 26u; p++)
				w = w >> 8 | (uint64_t)(uint8_t)*p << 56;
			len = (size_t)(p - name);
		}
		while (p < end && is_lws(*p))
			p++;
		if (p < end && *p != ',') { /* not a lone upper-case name */
			const char *comma = memchr(p, ',', (size_t)(end - p));
			p = comma ? comma : end;
			continue;
		}
		uint32_t bit = len ? word_bit(len, w, name[0]) : SR_SIP_M_OTHER;
		mask |= bit == SR_SIP_M_OTHER ? 0 : bit;
	}
	return mask;
}

/* The name of one known method bit (its length in *len); NULL for none. */
static const char *method_name(uint32_t bit, size_t *len)
{
	for (size_t l = 0; l < 10; l++)
		for (unsigned i = 0; i < 4 && by_len[l][i].name; i++)
			if (by_len[l][i].bit == bit) {
				*len = l;
				return by_len[l][i].name;
			}
	return NULL;
}

size_t sr_sip_method_text(uint32_t mask, char *out, size_t cap)
{
	size_t n = 0, len;
	for (uint32_t bit = 1; bit < SR_SIP_ALLOW_PRESENT; bit <<= 1) {
		const char *name = (mask & bit) ? method_name(bit, &len) : NULL;
		if (!name)
			continue;
		if (n + (n ? 2 : 0) + len > cap)
			break;
		if (n) {
			memcpy(out + n, ", ", 2);
			n += 2;
		}
		memcpy(out + n, name, len);
		n += len;
	}
	return n;
}

uint32_t sr_sip_contact_allow(const struct sr_sip_msg *m, const struct sr_sip_contact *c)
{
	struct sr_str v;
	if (!sr_sip_contact_param(c, "methods", &v))
		return m->allow;
	/* methods="INVITE,BYE" (a quoted string); a bare token is taken as a list of one */
	if (v.len >= 2 && v.p[0] == '"' && v.p[v.len - 1] == '"')
		v = sr_str_make(v.p + 1, v.len - 2);
	uint32_t methods = sr_sip_method_list(v);
	/* both say what the UA accepts for this contact: a method must be in both */
	return m->allow ? (m->allow & methods) : methods;
}
