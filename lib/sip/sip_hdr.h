/*
 * sip_hdr.h - the headers the registrar reads, and their value parsers.
 *
 * Private to lib/sip. sip_msg.c (the walker) finds header lines; this
 * module knows the names (long and compact forms) and turns values into
 * the fields of struct sr_sip_msg:
 *  - sip_hdr.c: the name table, list splitting, and the values whose
 *    grammar is ours on both paths (Call-ID, CSeq, Expires, option tags,
 *    Path, From, User-Agent, Authorization, Content-Length);
 *  - sip_hdr_osip.c: Request-URI, Via, To and Contact through libosip2
 *    (the parser of record);
 *  - sip_fast.c: the same four in one zero-copy pass for the common
 *    grammar, declining (SR_SIP_SLOW) anything else.
 */
#ifndef SR_SIP_HDR_H
#define SR_SIP_HDR_H

#include "sip_msg.h"

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
	SR_HDR_COUNT /* ids fit in 4 bits (struct sr_sip_scan) */
};

enum sr_hdr_id sr_hdr_lookup(struct sr_str name);

/* RFC 3261 token characters: alphanumerics and -.!%*_+`'~ (no strchr: runs for every header name byte). */
static inline bool sr_sip_is_token_char(char c)
{
	char lower = (char)(c | 0x20);
	if ((lower >= 'a' && lower <= 'z') || (c >= '0' && c <= '9'))
		return true;
	switch (c) {
	case '-': case '.': case '!': case '%': case '*': case '_': case '+': case '`': case '\'': case '~':
		return true;
	default:
		return false;
	}
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

#endif
