/*
 * auth_creds.h - the credential store: subscribers loaded from a file.
 *
 * File format (UTF-8 text, one subscriber per line, fields separated by
 * blanks; '#' starts a comment line; empty lines are ignored):
 *
 *     user  realm  ha1-md5  ha1-sha256  [aor,aor,...]
 *
 *   user        the digest username
 *   realm       the digest realm the HA1 values were computed with: the
 *               served domain (or [auth] realm when one is configured)
 *   ha1-md5     32 hex digits, MD5(user:realm:password), or '-' for none
 *   ha1-sha256  64 hex digits, SHA-256(user:realm:password), or '-'
 *   aors        optional, comma-separated canonical AoRs the user may
 *               register ("sip:alice@example.com"). Absent: only the AoR
 *               sip:user@<domain of the request's To> (with the default
 *               realm, the To domain, that is sip:user@realm; with one
 *               [auth] realm for several domains, the user's name in each).
 *               Present: exactly these, so listing another user's AoR is
 *               what allows third-party registration.
 *
 * Plain passwords never appear. A line that breaks a rule refuses the whole
 * file with "path:line: reason", so a bad reload leaves the old table in
 * force. The table is immutable once built: readers need no lock, and a
 * reload builds a new one (auth_store.h swaps them).
 */
#ifndef SR_AUTH_CREDS_H
#define SR_AUTH_CREDS_H

#include <stdbool.h>
#include <stddef.h>

#include "auth_digest.h"
#include "sip_str.h"

struct sr_subscriber {
	struct sr_str user, realm;
	struct sr_str ha1[SR_DIGEST_N_ALGS]; /* lower-case hex; empty when the file has '-' */
	const struct sr_str *aors;           /* n_aors of them; n_aors 0: sip:user@realm only */
	size_t n_aors;
	unsigned line;
};

struct sr_creds;

/* Loads a subscriber file. NULL on error, with "path:line: reason" (or "path: reason") in err. */
struct sr_creds *sr_creds_load(const char *path, char *err, size_t err_len);
/* The same from a buffer (name is used in messages). */
struct sr_creds *sr_creds_parse(const char *name, const char *text, size_t len, char *err, size_t err_len);
void sr_creds_free(struct sr_creds *c);

size_t sr_creds_count(const struct sr_creds *c);
/* The subscriber (user, realm): user exact, realm case-insensitive. NULL if unknown. */
const struct sr_subscriber *sr_creds_find(const struct sr_creds *c, struct sr_str user, struct sr_str realm);
/* Whether sub may register the canonical AoR aor (taken from the request's To, domain already served). */
bool sr_creds_may_register(const struct sr_subscriber *sub, struct sr_str aor);

#endif
