/*
 * auth_secret.c - reading and rotating the nonce secret (see auth_secret.h).
 *
 * The file is read whole with a bounded read: a secret longer than the
 * limit is refused rather than truncated, so two long secrets differing
 * only at the end never silently become the same key.
 */
#include "auth_secret.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sr_nonce_secret_read(const char *path, unsigned char *out, size_t *len, char *err, size_t err_len)
{
	FILE *in = fopen(path, "rb");
	if (!in) {
		snprintf(err, err_len, "%s: %s", path, strerror(errno));
		return -1;
	}
	char buf[SR_NONCE_SECRET_MAX + 2];
	size_t n = fread(buf, 1, sizeof(buf), in);
	int bad_read = ferror(in);
	fclose(in);
	if (bad_read) {
		snprintf(err, err_len, "%s: read error", path);
		return -1;
	}
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		n--;
	if (n > SR_NONCE_SECRET_MAX) {
		snprintf(err, err_len, "%s: secret longer than %d bytes", path, SR_NONCE_SECRET_MAX);
		return -1;
	}
	if (n == 0) {
		snprintf(err, err_len, "%s: empty secret", path);
		return -1;
	}
	if (memchr(buf, '\n', n)) {
		snprintf(err, err_len, "%s: the secret must be one line", path);
		return -1;
	}
	memcpy(out, buf, n);
	*len = n;
	return 0;
}

struct sr_nonce_secrets *sr_nonce_secrets_new(const struct sr_nonce_secrets *old, const void *secret, size_t len)
{
	if (len == 0 || len > SR_NONCE_SECRET_MAX)
		return NULL;
	struct sr_nonce_secrets *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	memcpy(s->cur, secret, len);
	s->cur_len = len;
	s->gen = 1;
	if (old) {
		memcpy(s->prev, old->cur, old->cur_len);
		s->prev_len = old->cur_len;
		s->gen = old->gen + 1;
	}
	return s;
}
