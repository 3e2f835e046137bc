/*
 * repl_cmd.c - argument buffers for Redis commands (see repl_cmd.h).
 */
#include "repl_cmd.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

void sr_repl_cmd_init(struct sr_repl_cmd *c)
{
	memset(c, 0, sizeof(*c));
}

void sr_repl_cmd_fini(struct sr_repl_cmd *c)
{
	free(c->buf);
	free(c->off);
	free(c->lens);
	free(c->ext);
	free(c->argv);
	memset(c, 0, sizeof(*c));
}

void sr_repl_cmd_reset(struct sr_repl_cmd *c)
{
	c->len = 0;
	c->n = 0;
	c->failed = false;
}

static bool grow_args(struct sr_repl_cmd *c)
{
	if (c->n < c->cap_n)
		return true;
	unsigned cap = c->cap_n ? c->cap_n * 2 : 64;
	size_t *off = realloc(c->off, cap * sizeof(*off));
	if (off)
		c->off = off;
	size_t *lens = realloc(c->lens, cap * sizeof(*lens));
	if (lens)
		c->lens = lens;
	const char **ext = realloc(c->ext, cap * sizeof(*ext));
	if (ext)
		c->ext = ext;
	const char **argv = realloc(c->argv, cap * sizeof(*argv));
	if (argv)
		c->argv = argv;
	if (!off || !lens || !ext || !argv)
		return false;
	c->cap_n = cap;
	return true;
}

char *sr_repl_cmd_reserve(struct sr_repl_cmd *c, size_t n)
{
	if (c->failed || !grow_args(c)) {
		c->failed = true;
		return NULL;
	}
	if (c->cap - c->len < n) {
		size_t cap = c->cap ? c->cap : 4096;
		while (cap - c->len < n)
			cap *= 2;
		char *b = realloc(c->buf, cap);
		if (!b) {
			c->failed = true;
			return NULL;
		}
		c->buf = b;
		c->cap = cap;
	}
	c->off[c->n] = c->len;
	c->lens[c->n] = n;
	c->ext[c->n] = NULL;
	c->n++;
	char *p = c->buf + c->len;
	c->len += n;
	return p;
}

void sr_repl_cmd_arg(struct sr_repl_cmd *c, const void *p, size_t n)
{
	char *d = sr_repl_cmd_reserve(c, n);
	if (d && n)
		memcpy(d, p, n);
}

void sr_repl_cmd_str(struct sr_repl_cmd *c, const char *s)
{
	sr_repl_cmd_arg(c, s, strlen(s));
}

void sr_repl_cmd_u64(struct sr_repl_cmd *c, uint64_t v)
{
	char t[20];
	sr_repl_cmd_arg(c, t, sr_repl_decimal(v, t));
}

void sr_repl_cmd_ref(struct sr_repl_cmd *c, const void *p, size_t n)
{
	if (c->failed || !grow_args(c)) {
		c->failed = true;
		return;
	}
	c->off[c->n] = 0;
	c->lens[c->n] = n;
	c->ext[c->n] = n ? p : "";
	c->n++;
}

bool sr_repl_cmd_argv(struct sr_repl_cmd *c)
{
	if (c->failed)
		return false;
	for (unsigned i = 0; i < c->n; i++)
		c->argv[i] = c->ext[i] ? c->ext[i] : c->buf + c->off[i];
	return true;
}

/* How many decimal digits v has (sizing a command without writing it). */
static size_t digits10(uint64_t v)
{
	size_t n = 1;
	for (; v >= 10000; v /= 10000)
		n += 4;
	return n + (v >= 10) + (v >= 100) + (v >= 1000);
}

size_t sr_repl_decimal(uint64_t v, char out[20])
{
	size_t n = digits10(v);
	for (size_t i = n; i-- > 0; v /= 10) /* from the last digit: no reversal */
		out[i] = (char)('0' + v % 10);
	return n;
}

/* '*' or '$', the number, CRLF. */
static char *put_header(char *p, char kind, uint64_t v)
{
	*p++ = kind;
	p += sr_repl_decimal(v, p);
	*p++ = '\r';
	*p++ = '\n';
	return p;
}

int64_t sr_repl_resp_size(int argc, const char **argv, const size_t *lens)
{
	if (argc <= 0)
		return -1;
	uint64_t total = 3 + digits10((uint64_t)argc);
	for (int i = 0; i < argc; i++) {
		size_t n = lens ? lens[i] : strlen(argv[i]);
		total += 5 + digits10(n) + (uint64_t)n;
		if (total > INT_MAX)
			return -1;
	}
	return (int64_t)total;
}

void sr_repl_resp_write(char *out, int argc, const char **argv, const size_t *lens)
{
	char *p = put_header(out, '*', (uint64_t)argc);
	for (int i = 0; i < argc; i++) {
		size_t n = lens ? lens[i] : strlen(argv[i]);
		p = put_header(p, '$', n);
		if (n)
			memcpy(p, argv[i], n);
		p += n;
		*p++ = '\r';
		*p++ = '\n';
	}
}

int sr_repl_resp_format(char **out, int argc, const char **argv, const size_t *lens)
{
	int64_t total = sr_repl_resp_size(argc, argv, lens);
	if (total < 0)
		return -1;
	char *b = malloc((size_t)total);
	if (!b)
		return -1;
	sr_repl_resp_write(b, argc, argv, lens);
	*out = b;
	return (int)total;
}
