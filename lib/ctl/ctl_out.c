/*
 * ctl_out.c - a command's answer over a jansson tree (see ctl_out.h).
 *
 * The stack holds borrowed pointers to the open containers (the tree owns
 * them). A failure (sr_ctl_out_fail, an allocation that failed, a
 * dictionary value without a key) replaces the whole tree by
 * {"error": reason} at once, so no later write can reach a half-built
 * answer: every writer checks 'failed' first.
 */
#include "ctl_out.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sr_ctl_out {
	json_t *root;
	json_t *stack[SR_CTL_OUT_MAX_DEPTH];
	unsigned depth;       /* open containers; stack[depth - 1] is the innermost */
	bool failed;
	char *reason;         /* why it failed; NULL: out of memory */
};

struct sr_ctl_out *sr_ctl_out_new(void)
{
	struct sr_ctl_out *o = calloc(1, sizeof(*o));
	if (!o)
		return NULL;
	o->root = json_object();
	if (!o->root) {
		free(o);
		return NULL;
	}
	o->stack[0] = o->root;
	o->depth = 1;
	return o;
}

void sr_ctl_out_free(struct sr_ctl_out *o)
{
	if (!o)
		return;
	json_decref(o->root);
	free(o->reason);
	free(o);
}

static void fail_with(struct sr_ctl_out *o, const char *reason)
{
	if (o->failed)
		return;
	o->failed = true;
	o->depth = 0;
	json_decref(o->root);
	o->root = json_object();
	o->reason = strdup(reason);
	json_t *r = o->reason ? json_string(o->reason) : NULL;
	if (!o->root || !r || json_object_set_new(o->root, "error", r) != 0) {
		/* out of memory even for the error: an empty answer, which front ends report as such */
		json_decref(o->root);
		o->root = NULL;
	}
}

/* Adds v (a new reference, may be NULL after a failed allocation) to the innermost container. */
static bool put(struct sr_ctl_out *o, const char *key, json_t *v)
{
	if (o->failed) {
		json_decref(v);
		return false;
	}
	if (!v) {
		fail_with(o, "out of memory");
		return false;
	}
	json_t *c = o->stack[o->depth - 1];
	int rc;
	if (json_is_array(c))
		rc = json_array_append_new(c, v);
	else if (key)
		rc = json_object_set_new(c, key, v);
	else {
		json_decref(v); /* a dictionary value needs a key: a bug in the command, said so, not a crash */
		fail_with(o, "internal error: a value without a key");
		return false;
	}
	if (rc != 0)
		fail_with(o, "out of memory");
	return rc == 0;
}

void sr_ctl_out_u64(struct sr_ctl_out *o, const char *key, uint64_t v)
{
	/* jansson's integers are signed 64-bit: a counter never gets near 2**63 */
	put(o, key, json_integer(v > (uint64_t)INT64_MAX ? INT64_MAX : (json_int_t)v));
}

void sr_ctl_out_int(struct sr_ctl_out *o, const char *key, int64_t v)
{
	put(o, key, json_integer((json_int_t)v));
}

void sr_ctl_out_real(struct sr_ctl_out *o, const char *key, double v)
{
	put(o, key, json_real(v));
}

/* Length of the well-formed UTF-8 sequence at p (RFC 3629), 0 if there is none. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	if (c < 0x80)
		return 1;
	size_t len = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
	if (len == 0 || len > n)
		return 0;
	/* the second byte's range excludes overlong forms, surrogates and code points over U+10FFFF */
	unsigned char lo = c == 0xE0 ? 0xA0 : c == 0xF0 ? 0x90 : 0x80;
	unsigned char hi = c == 0xED ? 0x9F : c == 0xF4 ? 0x8F : 0xBF;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xBF)
			return 0;
	return len;
}

void sr_ctl_out_strn(struct sr_ctl_out *o, const char *key, const char *s, size_t n)
{
	if (o->failed)
		return;
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;
	while (i < n && (k = utf8_len(p + i, n - i)) > 0)
		i += k;
	if (i == n) { /* the common case: already UTF-8 */
		put(o, key, json_stringn_nocheck(s, n));
		return;
	}
	/* each byte that starts no well-formed sequence becomes U+FFFD (3 bytes) */
	char *clean = malloc(3 * n);
	size_t m = 0;
	if (!clean) {
		fail_with(o, "out of memory");
		return;
	}
	for (i = 0; i < n;) {
		k = utf8_len(p + i, n - i);
		if (k == 0) {
			memcpy(clean + m, "\xEF\xBF\xBD", 3);
			m += 3;
			i++;
		} else {
			memcpy(clean + m, s + i, k);
			m += k;
			i += k;
		}
	}
	put(o, key, json_stringn_nocheck(clean, m));
	free(clean);
}

void sr_ctl_out_str(struct sr_ctl_out *o, const char *key, const char *s)
{
	sr_ctl_out_strn(o, key, s, strlen(s));
}

void sr_ctl_out_strf(struct sr_ctl_out *o, const char *key, const char *fmt, ...)
{
	char small[256], *s = small;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		fail_with(o, "bad format");
		return;
	}
	if ((size_t)n >= sizeof(small)) {
		if (!(s = malloc((size_t)n + 1))) {
			fail_with(o, "out of memory");
			return;
		}
		va_start(ap, fmt);
		vsnprintf(s, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	sr_ctl_out_strn(o, key, s, (size_t)n);
	if (s != small)
		free(s);
}

static void open_container(struct sr_ctl_out *o, const char *key, json_t *c)
{
	if (!o->failed && o->depth == SR_CTL_OUT_MAX_DEPTH) {
		json_decref(c);
		fail_with(o, "answer nested too deeply");
		return;
	}
	if (put(o, key, json_incref(c))) /* the stack borrows; the tree owns */
		o->stack[o->depth++] = c;
	json_decref(c);
}

void sr_ctl_out_dict(struct sr_ctl_out *o, const char *key)
{
	open_container(o, key, json_object());
}

void sr_ctl_out_array(struct sr_ctl_out *o, const char *key)
{
	open_container(o, key, json_array());
}

void sr_ctl_out_end(struct sr_ctl_out *o)
{
	if (!o->failed && o->depth > 1) /* the answer's own dictionary stays open */
		o->depth--;
}

void sr_ctl_out_fail(struct sr_ctl_out *o, const char *fmt, ...)
{
	char reason[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	fail_with(o, reason);
}

const char *sr_ctl_out_failed(const struct sr_ctl_out *o)
{
	if (!o->failed)
		return NULL;
	return o->reason ? o->reason : "out of memory";
}

const json_t *sr_ctl_out_answer(const struct sr_ctl_out *o)
{
	return o->root;
}

char *sr_ctl_out_text(const struct sr_ctl_out *o, size_t *len)
{
	char *s = o->root ? json_dumps(o->root, JSON_COMPACT) : NULL;
	if (s && len)
		*len = strlen(s);
	return s;
}
