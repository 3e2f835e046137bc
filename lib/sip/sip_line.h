/*
 * sip_line.h - finds the end of one line of a SIP message, and whether it
 * holds a byte the framing rules must look at (a NUL, or a CR that does
 * not end the line).
 *
 * Private to lib/sip. This is the walker's inner loop: every byte of every
 * header line passes through it once. With SSE2 (every x86_64 CPU) it
 * looks at 16 bytes per step for LF, CR and NUL together, so one pass gives
 * the line end and the rare-byte flag that otherwise took a memchr for the
 * line end, one for CR per line and one for NUL per message. Other CPUs
 * get the same results from a byte loop. Loads never pass 'end': the
 * message may end at the end of an mbuf.
 */
#ifndef SR_SIP_LINE_H
#define SR_SIP_LINE_H

#include <stdbool.h>
#include <stddef.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

struct sr_line {
	const char *end;  /* end of the line's text: its CR of CRLF, its LF, or 'end' when none */
	const char *next; /* first byte of the next line ('end' when there is no LF) */
	bool odd;         /* a NUL, or a CR that is not the CR of the line's CRLF */
	bool has_lf;
};

/* Judges one of LF, CR, NUL at q; returns true when it ends the line (l filled). */
static inline bool sr_line_stop(const char *q, const char *end, struct sr_line *l)
{
	if (*q == '\n') {
		l->end = q;
		l->next = q + 1;
		l->has_lf = true;
		return true;
	}
	if (*q == '\r' && q + 1 < end && q[1] == '\n') {
		l->end = q;
		l->next = q + 2;
		l->has_lf = true;
		return true;
	}
	l->odd = true; /* a NUL or a bare CR: the line goes on */
	return false;
}

static inline void sr_line_scan(const char *p, const char *end, struct sr_line *l)
{
	l->odd = false;
#if defined(__SSE2__)
	const __m128i lf = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r'), nul = _mm_setzero_si128();
	while (end - p >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
		__m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, lf), _mm_cmpeq_epi8(v, cr)),
					   _mm_cmpeq_epi8(v, nul));
		unsigned mask = (unsigned)_mm_movemask_epi8(hit);
		while (mask) {
			if (sr_line_stop(p + __builtin_ctz(mask), end, l))
				return;
			mask &= mask - 1;
		}
		p += 16;
	}
#endif
	for (; p < end; p++)
		if ((*p == '\n' || *p == '\r' || *p == '\0') && sr_line_stop(p, end, l))
			return;
	l->end = end;
	l->next = end;
	l->has_lf = false;
}

/*
 * Where a header name at p probably ends: the first ':', SP or HT among the
 * 16 bytes at p (16 when none), or 0 when fewer than 16 bytes are left (or
 * without SSE2). The walker looks the name up by it and checks the bytes
 * itself only when it is not a name it knows.
 */
static inline size_t sr_line_name_end(const char *p, const char *end)
{
#if defined(__SSE2__)
	if (end - p >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
		__m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(':')),
							_mm_cmpeq_epi8(v, _mm_set1_epi8(' '))),
					   _mm_cmpeq_epi8(v, _mm_set1_epi8('\t')));
		unsigned mask = (unsigned)_mm_movemask_epi8(hit);
		return mask ? (size_t)__builtin_ctz(mask) : 16;
	}
#endif
	(void)p, (void)end;
	return 0;
}

#endif
