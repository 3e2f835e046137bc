/*
 * sip_str.h - a borrowed byte range and the few helpers every layer needs.
 *
 * The registrar never copies a header it only reads: the message view hands
 * out (pointer, length) pairs into the request buffer or the parse arena, and
 * they stay valid until the arena is reset after the message is answered.
 */
#ifndef SR_SIP_STR_H
#define SR_SIP_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

struct sr_str {
	const char *p;
	size_t len;
};

#define SR_STR_NULL ((struct sr_str){ NULL, 0 })
#define SR_STR_LIT(s) ((struct sr_str){ (s), sizeof(s) - 1 })

static inline struct sr_str sr_str_make(const char *p, size_t len)
{
	return (struct sr_str){ p, len };
}

static inline struct sr_str sr_str_cstr(const char *s)
{
	return (struct sr_str){ s, s ? strlen(s) : 0 };
}

static inline bool sr_str_empty(struct sr_str s)
{
	return s.len == 0;
}

static inline bool sr_str_eq(struct sr_str a, struct sr_str b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

static inline bool sr_str_caseeq(struct sr_str a, struct sr_str b)
{
	return a.len == b.len && (a.len == 0 || strncasecmp(a.p, b.p, a.len) == 0);
}

static inline bool sr_str_caseeq_cstr(struct sr_str a, const char *b)
{
	return sr_str_caseeq(a, sr_str_cstr(b));
}

/* SP, HT, CR or LF (one compare for the usual byte above SP). */
static inline bool sr_str_is_blank(char c)
{
	return (unsigned char)c <= ' ' && (c == ' ' || c == '\t' || c == '\r' || c == '\n');
}

/* Strips leading and trailing SP/HT/CR/LF. */
static inline struct sr_str sr_str_trim(struct sr_str s)
{
	while (s.len && sr_str_is_blank(s.p[0])) {
		s.p++;
		s.len--;
	}
	while (s.len && sr_str_is_blank(s.p[s.len - 1]))
		s.len--;
	return s;
}

/* Decimal digits only, no sign; values above max saturate at max. False if empty or not all digits. */
static inline bool sr_str_to_uint(struct sr_str s, uint64_t max, uint64_t *out)
{
	if (s.len == 0)
		return false;
	uint64_t v = 0;
	for (size_t i = 0; i < s.len; i++) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s.p[i] - '0');
		if (v > max)
			v = max;
	}
	*out = v;
	return true;
}

/*
 * Lower-case hex digits only (one spelling for the ids and MACs we write),
 * at most 16 of them. False if empty, too long or not all such digits.
 */
static inline bool sr_str_hex_lower(struct sr_str s, uint64_t *out)
{
	if (s.len == 0 || s.len > 16)
		return false;
	uint64_t v = 0;
	for (size_t i = 0; i < s.len; i++) {
		char c = s.p[i];
		unsigned d;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else
			return false;
		v = v << 4 | d;
	}
	*out = v;
	return true;
}

#endif
