/*
 * sip_uri_cmp.h - SIP/SIPS URI equality by RFC 3261 section 19.1.4.
 *
 * Used to decide whether a Contact in a REGISTER names an existing binding.
 * Rules: sip and sips never equal; userinfo (user and password) compared
 * case-sensitively after unescaping; host case-insensitively; an omitted
 * port differs from an explicit one; the user, ttl, method, maddr and
 * transport parameters must be equal when either URI has them; any other
 * parameter present in both must be equal (case-insensitively), and is
 * ignored if present in only one; header components must all be present in
 * both and equal. Escaped characters equal their unescaped form throughout.
 * Other schemes are compared byte for byte after the scheme (case-insensitive).
 *
 * sr_uri_hash() is the identity hash that goes with this equality: equal URIs
 * always hash equal, so a store can keep one hash per binding and compare
 * hashes first, confirming with sr_uri_equal only when they match.
 */
#ifndef SR_SIP_URI_CMP_H
#define SR_SIP_URI_CMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sip_uri.h"

bool sr_uri_equal(const struct sr_sip_uri *a, const struct sr_sip_uri *b);

/*
 * Parses both strings (sr_sip_uri_parse: the fast parser, else libosip2, into
 * a stack arena) and compares; false if either fails to parse. Byte-identical
 * non-empty strings are equal without parsing.
 */
bool sr_uri_equal_str(const char *a, size_t alen, const char *b, size_t blen);

/*
 * 64-bit hash of the fields that sr_uri_equal requires to be equal: scheme,
 * user, password, host (case-folded), port, the user/ttl/method/maddr/
 * transport parameters and the header multiset. Parameters that are ignored
 * when present in only one URI are left out, so unequal URIs may share a
 * hash (the caller confirms) but equal ones never differ.
 */
uint64_t sr_uri_hash(const struct sr_sip_uri *u);
/*
 * The same for a URI given as text (parsed once, like sr_uri_equal_str); a
 * string that does not parse hashes its bytes, matching the byte-identical
 * rule of sr_uri_equal_str.
 */
uint64_t sr_uri_hash_str(const char *s, size_t len);

#endif
