/*
 * repl_sendbuf.c - one reused buffer for a connection's unanswered
 * commands (see repl_sendbuf.h).
 */
#include "repl_sendbuf.h"

#include <stdlib.h>
#include <string.h>

#define FIRST_CAP 65536

void sr_repl_sendbuf_init(struct sr_repl_sendbuf *b)
{
	memset(b, 0, sizeof(*b));
}

void sr_repl_sendbuf_fini(struct sr_repl_sendbuf *b)
{
	free(b->buf);
	sr_repl_sendbuf_init(b);
}

/* Drops the released prefix: the live bytes move to the front. */
static void compact(struct sr_repl_sendbuf *b)
{
	size_t dead = (size_t)(b->released - b->base);
	if (!dead)
		return;
	memmove(b->buf, b->buf + dead, b->len - dead);
	b->len -= dead;
	b->base = b->released;
}

char *sr_repl_sendbuf_reserve(struct sr_repl_sendbuf *b, size_t n, uint64_t *off)
{
	if (b->cap - b->len < n) {
		compact(b);
		/* still short, or less than half free after moving: double rather than move again soon */
		if (b->cap - b->len < n || b->cap - b->len < b->cap / 2) {
			size_t cap = b->cap ? b->cap * 2 : FIRST_CAP;
			while (cap - b->len < n)
				cap *= 2;
			char *p = realloc(b->buf, cap);
			if (!p)
				return NULL;
			b->buf = p;
			b->cap = cap;
		}
	}
	*off = b->base + b->len;
	char *p = b->buf + b->len;
	b->len += n;
	return p;
}

void sr_repl_sendbuf_unreserve(struct sr_repl_sendbuf *b, size_t n)
{
	b->len -= n; /* the caller's last reservation: nothing was released after it */
}

const char *sr_repl_sendbuf_at(const struct sr_repl_sendbuf *b, uint64_t off)
{
	return b->buf + (size_t)(off - b->base);
}

void sr_repl_sendbuf_release(struct sr_repl_sendbuf *b, uint64_t upto)
{
	if (upto <= b->released)
		return;
	b->released = upto;
	if (b->released == b->base + b->len) { /* nothing live: start over at the front */
		b->base = b->released;
		b->len = 0;
	}
}
