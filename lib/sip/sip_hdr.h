/*
 * sip_hdr.h - the headers the registrar reads, and their value parsers.
 *
 * Private to lib/sip. sip_msg.c (the walker) finds header lines; this
 * module knows the names (long and compact forms) and turns values into
 * the fields of struct sr_sip_msg:
 *  - sip_hdr.c: the name table, list splitting, and the values whose
 *    grammar is ours on both paths (Call-ID, CSeq, Expires, option tags,
 *    Path, From, User-Agent, Authorization, Content-Length, Allow);
 *  - sip_hdr_osip.c: Request-URI, Via, To and Contact through libosip2
 *    (the parser of record);
 *  - sip_fast.c: the same four in one zero-copy pass for the common
 *    grammar, declining (SR_SIP_SLOW) anything else.
 */
#ifndef SR_SIP_HDR_H
#define SR_SIP_HDR_H

#include "sip_chars.h"
#include "sip_msg.h"

#include <string.h>

enum sr_hdr_id {
	SR_HDR_OTHER,
	SR_HDR_VIA,
	SR_HDR_FROM,
	SR_HDR_TO,
	SR_HDR_CALL_ID,
	SR_HDR_CSEQ,
	SR_HDR_CONTACT,
	SR_HDR_EXPIRES,
	SR_HDR_REQUIRE,
	SR_HDR_SUPPORTED,
	SR_HDR_PATH,
	SR_HDR_USER_AGENT,
	SR_HDR_AUTHORIZATION,
	SR_HDR_CONTENT_LENGTH,
	/* read for the proxy (lib/routing): */
	SR_HDR_ROUTE,
	SR_HDR_MAX_FORWARDS,
	SR_HDR_PROXY_REQUIRE,
	SR_HDR_WWW_AUTHENTICATE,
	SR_HDR_PROXY_AUTHENTICATE,
	SR_HDR_ALLOW, /* a REGISTER's, for the Allow filter of the proxy */
	SR_HDR_COUNT /* ids fit in SR_SIP_SCAN_ID_BITS bits (struct sr_sip_scan) */
};

/*
 * A header name as the walker reads it: its length and its first 16 bytes
 * case-folded (| 0x20, exact for token characters), 8 per word, first byte
 * lowest, zero past the name.
 */
struct sr_hdr_key {
	size_t len;
	uint64_t k0, k1;
};

/* The key of the token characters name[0..len), read from a buffer that has at least 16 bytes there. */
static inline void sr_hdr_key_wide(struct sr_hdr_key *k, const char *name, size_t len)
{
	const uint64_t fold = 0x2020202020202020ull;
	uint64_t w0, w1;
	memcpy(&w0, name, 8);
	memcpy(&w1, name + 8, 8);
	k->len = len;
	/* keep the name's bytes only (a little-endian load puts the first byte lowest) */
	k->k0 = len >= 8 ? (w0 | fold) : len ? (w0 | fold) & ((1ull << (8 * len)) - 1) : 0;
	k->k1 = len >= 16 ? (w1 | fold) : len > 8 ? (w1 | fold) & ((1ull << (8 * (len - 8))) - 1) : 0;
}

/* The same near the end of the buffer: byte by byte. */
static inline void sr_hdr_key_narrow(struct sr_hdr_key *k, const char *name, size_t len)
{
	k->len = len;
	k->k0 = k->k1 = 0;
	for (size_t i = 0; i < len && i < 16; i++) {
		uint64_t f = (uint64_t)(uint8_t)(name[i] | 0x20);
		if (i < 8)
			k->k0 |= f << (8 * i);
		else
			k->k1 |= f << (8 * (i - 8));
	}
}

/*
 * The id of a name from its key. The key holds 16 bytes: for a longer name
 * the id is only a candidate until sr_hdr_tail_is confirms the rest.
 */
enum sr_hdr_id sr_hdr_lookup_key(const struct sr_hdr_key *k);
/* Whether name[16..len) is the rest of id's name (case-insensitive); true for names of up to 16 bytes. */
bool sr_hdr_tail_is(enum sr_hdr_id id, const char *name, size_t len);
enum sr_hdr_id sr_hdr_lookup(struct sr_str name);

/* RFC 3261 token characters: alphanumerics and -.!%*_+`'~. */
static inline bool sr_sip_is_token_char(char c)
{
	return sr_sip_char_is(c, SR_CH_TOKEN);
}

/*
 * Parses one header value (trimmed, unfolded) into m: the fast parsers when
 * fast is set (SR_SIP_OK or SR_SIP_SLOW, never an error of their own), else
 * the libosip2 ones (SR_SIP_OK or SR_SIP_BAD with err set).
 */
int sr_hdr_parse(struct sr_sip_msg *m, enum sr_hdr_id id, struct sr_str value, bool fast,
		 struct sr_arena *arena, struct sr_sip_error *err);

/* The values with one grammar on both paths (every id but Via, To and Contact). */
int sr_hdr_common(struct sr_sip_msg *m, enum sr_hdr_id id, struct sr_str value, struct sr_arena *arena,
		  struct sr_sip_error *err);

/* The Request-URI: fast (OK or SLOW) or through libosip2 (OK or BAD, with the status to answer). */
int sr_hdr_ruri(struct sr_str text, bool fast, struct sr_arena *arena, struct sr_sip_uri *out,
		struct sr_sip_error *err);

/* A To value (also what the owner pre-scan reads): fast (OK or SLOW) or libosip2 (OK or BAD). */
int sr_hdr_to(struct sr_str value, bool fast, struct sr_arena *arena, struct sr_sip_addr *out,
	      struct sr_sip_error *err);

/* The per-path parsers of Via and Contact lists (sip_fast.c, sip_hdr_osip.c). */
int sr_fast_via(struct sr_sip_msg *m, struct sr_str value, struct sr_arena *arena);
int sr_fast_contact(struct sr_sip_msg *m, struct sr_str value, struct sr_arena *arena);
int sr_fast_to(struct sr_str value, struct sr_arena *arena, struct sr_sip_addr *out);
int sr_fast_from(struct sr_sip_msg *m, struct sr_str value);
/* The topmost Via value alone (one element of the list). */
int sr_fast_top_via(struct sr_sip_via *v, struct sr_str elem);
int sr_osip_top_via(struct sr_sip_via *v, struct sr_str elem, struct sr_arena *arena, struct sr_sip_error *err);
int sr_osip_via(struct sr_sip_msg *m, struct sr_str value, struct sr_arena *arena, struct sr_sip_error *err);
int sr_osip_contact(struct sr_sip_msg *m, struct sr_str value, struct sr_arena *arena, struct sr_sip_error *err);
int sr_osip_to(struct sr_str value, struct sr_arena *arena, struct sr_sip_addr *out, struct sr_sip_error *err);
int sr_osip_ruri(struct sr_str text, struct sr_arena *arena, struct sr_sip_uri *out, struct sr_sip_error *err);

/*
 * Splits a header value at top-level commas (not inside quoted strings or
 * <...>), calling fn for each trimmed element. Stops at the first non-zero
 * return of fn and returns it; returns -1 on an unterminated quote or
 * bracket.
 */
typedef int sr_hdr_elem_fn(struct sr_str elem, void *ctx);
int sr_hdr_split(struct sr_str value, sr_hdr_elem_fn *fn, void *ctx);

/* The value of the tag parameter among ";name=value" header parameters (empty when none). */
struct sr_str sr_hdr_tag_param(struct sr_str params);

/*
 * The rport and received parameters of a raw Via value: first occurrence
 * of each name (case-insensitive), as the response rewrites them.
 */
void sr_hdr_via_params(struct sr_sip_via *v);

/* Sets err to 400 with reason and returns SR_SIP_BAD. */
int sr_hdr_fail(struct sr_sip_error *err, const char *reason);

_Static_assert(SR_HDR_COUNT <= (1u << SR_SIP_SCAN_ID_BITS), "header ids must fit struct sr_sip_scan's line_ids");

#endif
