/*
 * sip_chars.h - character classes of the SIP grammar (RFC 3261 25.1), as
 * one 256-entry table (private to lib/sip).
 *
 * The walker and the fast parsers ask "is this a token character", "may this
 * stand in a host name" for nearly every byte of a message; a table lookup
 * and a mask answer that in two instructions, without the comparison chains
 * or switches it took before. The table is a constant: no initialisation,
 * nothing to share between threads.
 */
#ifndef SR_SIP_CHARS_H
#define SR_SIP_CHARS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

enum {
	SR_CH_ALNUM = 1 << 0, /* letters and digits */
	SR_CH_MARK = 1 << 1,  /* - _ . ! ~ * ' ( ) */
	SR_CH_USER = 1 << 2,  /* & = + $ , / (user-unreserved without ; and ?) */
	SR_CH_PARAM = 1 << 3, /* / : & + $ (param-unreserved without [ and ]) */
	SR_CH_HOST = 1 << 4,  /* letters, digits, '-' and '.' */
	SR_CH_DIGIT = 1 << 5,
	SR_CH_TOKEN = 1 << 6, /* token: letters, digits and - . ! % * _ + ` ' ~ */
	SR_CH_LWS = 1 << 7,   /* SP and HT */
};

/* clang-format off */
#define SR_CH_L_ (SR_CH_ALNUM | SR_CH_HOST | SR_CH_TOKEN)               /* a letter */
#define SR_CH_D_ (SR_CH_ALNUM | SR_CH_HOST | SR_CH_TOKEN | SR_CH_DIGIT) /* a digit */
static const uint8_t sr_sip_chars[256] = {
	/* 0x00 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, SR_CH_LWS, 0, 0, 0, 0, 0, 0,
	/* 0x10 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	/* 0x20  SP ! " # $ % & ' */
	SR_CH_LWS, SR_CH_MARK | SR_CH_TOKEN, 0, 0, SR_CH_USER | SR_CH_PARAM, SR_CH_TOKEN,
	SR_CH_USER | SR_CH_PARAM, SR_CH_MARK | SR_CH_TOKEN,
	/* 0x28  ( ) * + , - . / */
	SR_CH_MARK, SR_CH_MARK, SR_CH_MARK | SR_CH_TOKEN, SR_CH_USER | SR_CH_PARAM | SR_CH_TOKEN, SR_CH_USER,
	SR_CH_MARK | SR_CH_HOST | SR_CH_TOKEN, SR_CH_MARK | SR_CH_HOST | SR_CH_TOKEN, SR_CH_USER | SR_CH_PARAM,
	/* 0x30  0-9 : ; < = > ? */
	SR_CH_D_, SR_CH_D_, SR_CH_D_, SR_CH_D_, SR_CH_D_, SR_CH_D_, SR_CH_D_, SR_CH_D_, SR_CH_D_, SR_CH_D_,
	SR_CH_PARAM, 0, 0, SR_CH_USER, 0, 0,
	/* 0x40  @ A-O */
	0, SR_CH_L_, SR_CH_L_, SR_CH_L_, SR_CH_L_, SR_CH_L_, SR_CH_L_, SR_CH_L_,
	SR_CH_L_, SR_CH_L_, SR_CH_L_, SR_CH_L_, SR_CH_L_, SR_CH_L_, SR_CH_L_, SR_CH_L_,
	/* 0x50  P-Z [ \ ] ^ _ */
	SR_CH_L_, SR_CH_L_, SR_CH_L_, SR_CH_L_, SR_CH_L_, SR_CH_L_, SR_CH_L_, SR_CH_L_,
	SR_CH_L_, SR_CH_L_, SR_CH_L_, 0, 0, 0, 0, SR_CH_MARK | SR_CH_TOKEN,
	/* 0x60  ` a-o */
	SR_CH_TOKEN, SR_CH_L_, SR_CH_L_, SR_CH_L_, SR_CH_L_, SR_CH_L_, SR_CH_L_, SR_CH_L_,
	SR_CH_L_, SR_CH_L_, SR_CH_L_, SR_CH_L_, SR_CH_L_, SR_CH_L_, SR_CH_L_, SR_CH_L_,
	/* 0x70  p-z { | } ~ DEL */
	SR_CH_L_, SR_CH_L_, SR_CH_L_, SR_CH_L_, SR_CH_L_, SR_CH_L_, SR_CH_L_, SR_CH_L_,
	SR_CH_L_, SR_CH_L_, SR_CH_L_, 0, 0, 0, SR_CH_MARK | SR_CH_TOKEN, 0,
	/* 0x80-0xff: nothing */
};
#undef SR_CH_L_
#undef SR_CH_D_
/* clang-format on */

static inline bool sr_sip_char_is(char c, uint8_t mask)
{
	return (sr_sip_chars[(uint8_t)c] & mask) != 0;
}

/*
 * Length of the prefix of s[0..n) whose bytes all have one of the classes in
 * mask. Four bytes per bounds check: the runs it measures (a host, a
 * branch, a tag) are mostly tens of bytes, and the check and its jump were
 * a third of the loop's instructions.
 */
static inline size_t sr_sip_span(const char *s, size_t n, uint8_t mask)
{
	const uint8_t *u = (const uint8_t *)s;
	size_t i = 0;
	for (; n - i >= 4; i += 4) {
		if (!(sr_sip_chars[u[i]] & mask))
			return i;
		if (!(sr_sip_chars[u[i + 1]] & mask))
			return i + 1;
		if (!(sr_sip_chars[u[i + 2]] & mask))
			return i + 2;
		if (!(sr_sip_chars[u[i + 3]] & mask))
			return i + 3;
	}
	while (i < n && (sr_sip_chars[u[i]] & mask))
		i++;
	return i;
}

/*
 * The bytes of word x in lo..hi (lo >= 1, hi <= 0x7f), as the high bit of
 * each such byte: every byte at once, by two additions on the bytes' low
 * seven bits that cannot carry out of a byte (one sets the high bit from lo
 * up, the other above hi), and no byte of 0x80 or more. With constant
 * bounds the compiler folds the constants. '>> 2' of the result is 0x20 in
 * each such byte: the case bit of a letter.
 */
static inline uint64_t sr_sip_word_bytes_in(uint64_t x, uint8_t lo, uint8_t hi)
{
	const uint64_t ones = 0x0101010101010101ull, high = 0x80 * ones;
	uint64_t y = x & (0x7f * ones);
	return (y + (uint64_t)(0x80 - lo) * ones) & ~(y + (uint64_t)(0x7f - hi) * ones) & ~x & high;
}

/*
 * Whether the k bytes at s, with 0x20 set where the literal's bytes are
 * letters, are the literal's k bytes at lower (k = 4 or 8). The letters'
 * mask is computed on the literal's word, which the compiler folds for a
 * constant literal; any other byte compares exactly.
 */
static inline bool sr_sip_lower_eq_word(const char *s, const char *lower, unsigned k)
{
	uint64_t x = 0, l = 0;
	memcpy(&x, s, k);
	memcpy(&l, lower, k);
	return (x | sr_sip_word_bytes_in(l, 'a', 'z') >> 2) == l;
}

/*
 * Case-insensitive compare of s with a lower-case literal of the same length
 * (no libc call): a word at a time, the last word overlapping the one before
 * it; names of under four bytes byte by byte.
 */
static inline bool sr_sip_lower_eq(const char *s, size_t n, const char *lower, size_t lower_len)
{
	if (n != lower_len)
		return false;
	if (n >= 8) {
		for (size_t i = 0; i + 8 <= n; i += 8)
			if (!sr_sip_lower_eq_word(s + i, lower + i, 8))
				return false;
		return n % 8 == 0 || sr_sip_lower_eq_word(s + n - 8, lower + n - 8, 8);
	}
	if (n >= 4)
		return sr_sip_lower_eq_word(s, lower, 4) && sr_sip_lower_eq_word(s + n - 4, lower + n - 4, 4);
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c | 0x20);
		if (c != lower[i])
			return false;
	}
	return true;
}

/* ASCII case-insensitive equality of two byte ranges (no locale, no libc call). */
static inline bool sr_sip_case_eq(const char *a, size_t an, const char *b, size_t bn)
{
	if (an != bn)
		return false;
	for (size_t i = 0; i < an; i++) {
		char x = a[i], y = b[i];
		if (x >= 'A' && x <= 'Z')
			x = (char)(x | 0x20);
		if (y >= 'A' && y <= 'Z')
			y = (char)(y | 0x20);
		if (x != y)
			return false;
	}
	return true;
}

/* The value of hex digit c (either case), -1 when c is none. */
static inline int sr_sip_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/*
 * One character of %-escaped text p[0..n) at *i (RFC 3261 25.1: escaped =
 * "%" HEXDIG HEXDIG): the byte an escape stands for, or the character as it
 * stands when it starts no complete escape; *i moves past what was read.
 * The one unescaper of lib/sip's hand-written readers (a Path URI's received
 * parameter, the AoR in a mid-registrar's AoR contact).
 */
static inline char sr_sip_unescape_next(const char *p, size_t n, size_t *i)
{
	size_t k = *i;
	int hi, lo;
	if (p[k] == '%' && k + 2 < n && (hi = sr_sip_hex_digit(p[k + 1])) >= 0 && (lo = sr_sip_hex_digit(p[k + 2])) >= 0) {
		*i = k + 3;
		return (char)(hi << 4 | lo);
	}
	*i = k + 1;
	return p[k];
}

#endif
