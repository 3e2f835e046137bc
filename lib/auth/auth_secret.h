/*
 * auth_secret.h - the nonce secrets in force: the current one and, after a
 * rotation, the previous one.
 *
 * A struct sr_nonce_secrets is immutable once published: a rotation
 * builds a new one (previous = the old current) and swaps the pointer in
 * struct sr_auth with the RCU scheme of the credential table (auth_store.h).
 * Workers compare its generation with the one their HMAC contexts were
 * keyed for and re-key them on a change (no allocation), so no worker ever
 * holds the pointer past a quiescent state.
 *
 * The secret can come from a file (auth.nonce_secret_file) so that it can
 * be rotated without a restart: the file holds the secret on its first line;
 * trailing blanks and the line end are not part of it.
 */
#ifndef SR_AUTH_SECRET_H
#define SR_AUTH_SECRET_H

#include <stddef.h>
#include <stdint.h>

#define SR_NONCE_SECRET_MAX 255

struct sr_nonce_secrets {
	uint64_t gen; /* 1 for the first secret, +1 per rotation */
	uint64_t prev_until_ms; /* previous secret refused from then on; 0: one lifetime after a worker sees it */
	size_t cur_len, prev_len; /* prev_len 0: no previous secret */
	unsigned char cur[SR_NONCE_SECRET_MAX], prev[SR_NONCE_SECRET_MAX];
};

/*
 * Reads the secret from path into out (SR_NONCE_SECRET_MAX bytes). 0 with
 * *len set, or -1 with the reason in err (unreadable, empty, too long,
 * more than one line).
 */
int sr_nonce_secret_read(const char *path, unsigned char *out, size_t *len, char *err, size_t err_len);

/*
 * A new set whose current secret is secret and whose previous one is the
 * current secret of old (no previous when old is NULL). NULL when out of
 * memory or when len is 0 or over SR_NONCE_SECRET_MAX.
 */
struct sr_nonce_secrets *sr_nonce_secrets_new(const struct sr_nonce_secrets *old, const void *secret, size_t len);

#endif
