/*
 * repl_fifo.c - a growing ring of fixed-size records (see repl_fifo.h).
 */
#include "repl_fifo.h"

#include <stdlib.h>
#include <string.h>

#define FIRST_CAP 64

void sr_repl_fifo_init(struct sr_repl_fifo *f, size_t record_size)
{
	memset(f, 0, sizeof(*f));
	f->size = record_size;
}

void sr_repl_fifo_fini(struct sr_repl_fifo *f)
{
	free(f->ring);
	sr_repl_fifo_init(f, f->size);
}

static unsigned char *at(const struct sr_repl_fifo *f, size_t i)
{
	return f->ring + ((f->head + i) & (f->cap - 1)) * f->size;
}

/* Doubles the ring, the records unwrapped to its start. */
static int grow(struct sr_repl_fifo *f)
{
	size_t cap = f->cap ? f->cap * 2 : FIRST_CAP;
	unsigned char *r = malloc(cap * f->size);
	if (!r)
		return -1;
	size_t first = f->cap - f->head < f->n ? f->cap - f->head : f->n; /* records before the wrap */
	if (f->n) {
		memcpy(r, f->ring + f->head * f->size, first * f->size);
		memcpy(r + first * f->size, f->ring, (f->n - first) * f->size);
	}
	free(f->ring);
	f->ring = r;
	f->cap = cap;
	f->head = 0;
	return 0;
}

int sr_repl_fifo_push(struct sr_repl_fifo *f, const void *rec)
{
	if (f->n == f->cap && grow(f) != 0)
		return -1;
	memcpy(at(f, f->n), rec, f->size);
	f->n++;
	return 0;
}

void *sr_repl_fifo_front(const struct sr_repl_fifo *f)
{
	return f->n ? at(f, 0) : NULL;
}

void *sr_repl_fifo_back(const struct sr_repl_fifo *f)
{
	return f->n ? at(f, f->n - 1) : NULL;
}

int sr_repl_fifo_pop(struct sr_repl_fifo *f, void *out)
{
	if (!f->n)
		return -1;
	if (out)
		memcpy(out, at(f, 0), f->size);
	f->head = (f->head + 1) & (f->cap - 1);
	f->n--;
	return 0;
}

void sr_repl_fifo_unpush(struct sr_repl_fifo *f)
{
	if (f->n)
		f->n--;
}
