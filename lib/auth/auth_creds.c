/*
 * auth_creds.c - subscriber file parsing and lookup (see auth_creds.h).
 *
 * The file is read into one buffer and tokenised in place; subscribers and
 * AoR lists point into it, so a table is three allocations whatever its
 * size and is freed at once. Lookup is a binary search over the
 * subscribers sorted by (realm, user): O(log n) without hashing, and the
 * sort also finds duplicate entries. Loading runs on the control core,
 * never on a worker, so its allocations do not matter to the hot path.
 */
#include "auth_creds.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FILE (256u << 20) /* refuse anything larger than 256 MiB */

struct sr_creds {
	char *buf;
	struct sr_subscriber *subs;
	size_t n;
	struct sr_str *aors;
};

static void fail(char *err, size_t err_len, const char *name, unsigned line, const char *fmt, ...)
{
	int n = line ? snprintf(err, err_len, "%s:%u: ", name, line) : snprintf(err, err_len, "%s: ", name);
	if (n < 0 || (size_t)n >= err_len)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err + n, err_len - (size_t)n, fmt, ap);
	va_end(ap);
}

static bool is_hex_lower(struct sr_str s)
{
	for (size_t i = 0; i < s.len; i++)
		if (!isxdigit((unsigned char)s.p[i]))
			return false;
	return true;
}

static void lower(char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (char)tolower((unsigned char)p[i]);
}

static int cmp_key(struct sr_str user_a, struct sr_str realm_a, struct sr_str user_b, struct sr_str realm_b)
{
	size_t n = realm_a.len < realm_b.len ? realm_a.len : realm_b.len;
	int c = strncasecmp(realm_a.p, realm_b.p, n);
	if (c || realm_a.len != realm_b.len)
		return c ? c : (realm_a.len < realm_b.len ? -1 : 1);
	n = user_a.len < user_b.len ? user_a.len : user_b.len;
	c = memcmp(user_a.p, user_b.p, n);
	if (c || user_a.len != user_b.len)
		return c ? c : (user_a.len < user_b.len ? -1 : 1);
	return 0;
}

static int cmp_sub(const void *a, const void *b)
{
	const struct sr_subscriber *x = a, *y = b;
	return cmp_key(x->user, x->realm, y->user, y->realm);
}

/* Splits the blank-separated fields of line[0..len) in place; returns how many (up to max + 1). */
static size_t split_fields(char *line, size_t len, struct sr_str *f, size_t max)
{
	size_t n = 0, i = 0;
	while (i < len) {
		while (i < len && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (i == len)
			break;
		size_t start = i;
		while (i < len && line[i] != ' ' && line[i] != '\t')
			i++;
		if (n == max)
			return max + 1;
		f[n++] = sr_str_make(line + start, i - start);
	}
	return n;
}

/* Validates one AoR of a list and lower-cases its host part. */
static const char *check_aor(char *p, size_t len)
{
	size_t scheme = len >= 4 && strncasecmp(p, "sip:", 4) == 0	  ? 4
			: len >= 5 && strncasecmp(p, "sips:", 5) == 0 ? 5
								      : 0;
	if (!scheme)
		return "AoR '%.*s' is not a sip: or sips: URI";
	char *at = memchr(p + scheme, '@', len - scheme);
	if (!at || at == p + scheme || at + 1 == p + len)
		return "AoR '%.*s' needs user@host";
	lower(p, scheme);
	lower(at + 1, (size_t)(p + len - at - 1));
	return NULL;
}

static const char *parse_ha1(struct sr_str f, enum sr_digest_alg alg, struct sr_str *out)
{
	if (f.len == 1 && f.p[0] == '-') {
		*out = SR_STR_NULL;
		return NULL;
	}
	if (f.len != sr_digest_hex_len(alg) || !is_hex_lower(f))
		return alg == SR_DIGEST_MD5 ? "ha1-md5 must be 32 hex digits or '-'"
					    : "ha1-sha256 must be 64 hex digits or '-'";
	lower((char *)f.p, f.len);
	*out = f;
	return NULL;
}

struct parse_state {
	struct sr_creds *c;
	size_t cap_subs, n_aors, cap_aors;
};

static int push_aor(struct parse_state *ps, struct sr_str a)
{
	if (ps->n_aors == ps->cap_aors) {
		size_t cap = ps->cap_aors ? ps->cap_aors * 2 : 64;
		struct sr_str *x = realloc(ps->c->aors, cap * sizeof(*x));
		if (!x)
			return -1;
		ps->c->aors = x;
		ps->cap_aors = cap;
	}
	ps->c->aors[ps->n_aors++] = a;
	return 0;
}

/* Parses one non-comment line into a new subscriber; returns NULL or a printf format taking the field. */
static const char *parse_line(struct parse_state *ps, char *line, size_t len, unsigned lineno,
			      struct sr_str *bad)
{
	struct sr_str f[5];
	size_t n = split_fields(line, len, f, 5);
	if (n < 4 || n > 5)
		return "expected 'user realm ha1-md5 ha1-sha256 [aor,...]'%.*s";
	struct sr_creds *c = ps->c;
	if (c->n == ps->cap_subs) {
		size_t cap = ps->cap_subs ? ps->cap_subs * 2 : 64;
		struct sr_subscriber *x = realloc(c->subs, cap * sizeof(*x));
		if (!x)
			return "out of memory%.*s";
		c->subs = x;
		ps->cap_subs = cap;
	}
	struct sr_subscriber *s = &c->subs[c->n];
	memset(s, 0, sizeof(*s));
	s->user = f[0];
	s->realm = f[1];
	s->line = lineno;
	lower((char *)f[1].p, f[1].len);
	const char *e = parse_ha1(f[2], SR_DIGEST_MD5, &s->ha1[SR_DIGEST_MD5]);
	if (!e)
		e = parse_ha1(f[3], SR_DIGEST_SHA256, &s->ha1[SR_DIGEST_SHA256]);
	if (e)
		return e;
	if (!s->ha1[SR_DIGEST_MD5].len && !s->ha1[SR_DIGEST_SHA256].len)
		return "no HA1 at all: give ha1-md5, ha1-sha256 or both%.*s";
	/* The AoR list: stored as an index range into c->aors, made pointers after the last line. */
	s->aors = (const struct sr_str *)(uintptr_t)ps->n_aors;
	if (n == 5) {
		char *p = (char *)f[4].p, *end = p + f[4].len;
		while (p <= end) {
			char *comma = memchr(p, ',', (size_t)(end - p));
			char *stop = comma ? comma : end;
			*bad = sr_str_make(p, (size_t)(stop - p));
			if (stop == p)
				return "empty AoR in the list%.*s";
			if ((e = check_aor(p, (size_t)(stop - p))) != NULL)
				return e;
			if (push_aor(ps, *bad) != 0)
				return "out of memory%.*s";
			s->n_aors++;
			p = stop + 1;
		}
	}
	c->n++;
	return NULL;
}

struct sr_creds *sr_creds_parse(const char *name, const char *text, size_t len, char *err, size_t err_len)
{
	struct sr_creds *c = calloc(1, sizeof(*c));
	if (!c || !(c->buf = malloc(len + 1))) {
		free(c);
		fail(err, err_len, name, 0, "out of memory");
		return NULL;
	}
	memcpy(c->buf, text, len);
	c->buf[len] = '\0';
	struct parse_state ps = { c, 0, 0, 0 };
	unsigned lineno = 0;
	for (char *p = c->buf, *end = c->buf + len; p < end;) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *stop = nl ? nl : end;
		lineno++;
		size_t n = (size_t)(stop - p);
		if (n && p[n - 1] == '\r')
			n--;
		if (memchr(p, '\0', n)) {
			fail(err, err_len, name, lineno, "NUL byte in the line");
			goto bad;
		}
		struct sr_str t = sr_str_trim(sr_str_make(p, n));
		if (t.len && t.p[0] != '#') {
			struct sr_str bad = SR_STR_NULL;
			const char *e = parse_line(&ps, p, n, lineno, &bad);
			if (e) {
				fail(err, err_len, name, lineno, e, (int)bad.len, bad.p ? bad.p : "");
				goto bad;
			}
		}
		p = stop + 1;
	}
	for (size_t i = 0; i < c->n; i++)
		c->subs[i].aors = c->aors + (uintptr_t)c->subs[i].aors;
	if (c->n)
		qsort(c->subs, c->n, sizeof(*c->subs), cmp_sub);
	for (size_t i = 1; i < c->n; i++) {
		if (cmp_sub(&c->subs[i - 1], &c->subs[i]) == 0) {
			const struct sr_subscriber *a = &c->subs[i - 1], *b = &c->subs[i];
			fail(err, err_len, name, a->line > b->line ? a->line : b->line,
			     "user '%.*s' of realm '%.*s' already defined on line %u", (int)a->user.len, a->user.p,
			     (int)a->realm.len, a->realm.p, a->line < b->line ? a->line : b->line);
			goto bad;
		}
	}
	return c;
bad:
	sr_creds_free(c);
	return NULL;
}

struct sr_creds *sr_creds_load(const char *path, char *err, size_t err_len)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fail(err, err_len, path, 0, "%s", strerror(errno));
		return NULL;
	}
	char *text = NULL;
	long size = -1;
	if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && (size_t)size <= MAX_FILE &&
	    fseek(f, 0, SEEK_SET) == 0 && (text = malloc((size_t)size + 1)) != NULL &&
	    fread(text, 1, (size_t)size, f) == (size_t)size) {
		fclose(f);
		struct sr_creds *c = sr_creds_parse(path, text, (size_t)size, err, err_len);
		free(text);
		return c;
	}
	fail(err, err_len, path, 0, size > (long)MAX_FILE ? "larger than 256 MiB" : "cannot read: %s",
	     strerror(errno));
	free(text);
	fclose(f);
	return NULL;
}

void sr_creds_free(struct sr_creds *c)
{
	if (!c)
		return;
	free(c->buf);
	free(c->subs);
	free(c->aors);
	free(c);
}

size_t sr_creds_count(const struct sr_creds *c)
{
	return c->n;
}

const struct sr_subscriber *sr_creds_find(const struct sr_creds *c, struct sr_str user, struct sr_str realm)
{
	size_t lo = 0, hi = c->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = cmp_key(user, realm, c->subs[mid].user, c->subs[mid].realm);
		if (r == 0)
			return &c->subs[mid];
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

bool sr_creds_may_register(const struct sr_subscriber *sub, struct sr_str aor)
{
	if (sub->n_aors == 0) {
		/* sip:user@<any host>: the host is the To domain the request was authenticated for */
		size_t n = 4 + sub->user.len + 1;
		return aor.len > n && strncasecmp(aor.p, "sip:", 4) == 0 &&
		       memcmp(aor.p + 4, sub->user.p, sub->user.len) == 0 && aor.p[4 + sub->user.len] == '@';
	}
	for (size_t i = 0; i < sub->n_aors; i++) {
		struct sr_str a = sub->aors[i];
		const char *at = memchr(a.p, '@', a.len);
		size_t user_end = (size_t)(at - a.p);
		if (aor.len == a.len && memcmp(aor.p, a.p, user_end) == 0 &&
		    strncasecmp(aor.p + user_end, a.p + user_end, a.len - user_end) == 0)
			return true;
	}
	return false;
}
