/*
 * repl_fifo.h - a first-in first-out queue of fixed-size records in one
 * growing ring, for what a connection has sent and not yet had answered.
 *
 * Redis answers a connection's commands in the order they were sent, and
 * hiredis runs their callbacks in that order (with NULL, still in order,
 * when the connection fails), so a command's own record is always the
 * oldest one when its reply comes: a FIFO replaces one heap record per
 * command. The ring doubles when full and never shrinks, so in steady state
 * these records allocate nothing (hiredis still allocates its own callback
 * node per command). Records move when it grows: hold no pointer to one
 * across a push.
 */
#ifndef SR_REPL_FIFO_H
#define SR_REPL_FIFO_H

#include <stddef.h>

struct sr_repl_fifo {
	unsigned char *ring;
	size_t size;          /* bytes per record */
	size_t cap, head, n;  /* records: capacity (a power of two), oldest, how many */
};

void sr_repl_fifo_init(struct sr_repl_fifo *f, size_t record_size);
void sr_repl_fifo_fini(struct sr_repl_fifo *f);

/* Appends a record (copied); -1 when out of memory. */
int sr_repl_fifo_push(struct sr_repl_fifo *f, const void *rec);
/* The oldest record, or NULL when empty. */
void *sr_repl_fifo_front(const struct sr_repl_fifo *f);
/* The newest record, or NULL when empty. */
void *sr_repl_fifo_back(const struct sr_repl_fifo *f);
/* Removes the oldest record into out (when not NULL); -1 when empty. */
int sr_repl_fifo_pop(struct sr_repl_fifo *f, void *out);
/* Removes the newest record (a push whose send then failed). */
void sr_repl_fifo_unpush(struct sr_repl_fifo *f);

static inline size_t sr_repl_fifo_count(const struct sr_repl_fifo *f)
{
	return f->n;
}

#endif
