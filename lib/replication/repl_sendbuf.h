/*
 * repl_sendbuf.h - the bytes of a connection's unanswered commands, kept
 * in one reused buffer so that a MOVED/ASK redirection can send exactly
 * the same bytes again.
 *
 * Each command's bytes are appended at the end and named by an absolute
 * offset (it never changes, the buffer may move or be compacted). The
 * connection answers in order, so what is no longer needed is always a
 * prefix: sr_repl_sendbuf_release(upto) drops it. The space is reused:
 * when nothing is left the buffer starts over, and when the end is reached
 * the live bytes move to the front (the buffer doubles instead when that
 * would leave less than half of it free, so moving stays amortised O(1)
 * per byte). In steady state these bytes allocate nothing, against two
 * allocations per command (a record and a copy) before (bench/RESULTS.md);
 * hiredis still allocates its own callback node per command.
 */
#ifndef SR_REPL_SENDBUF_H
#define SR_REPL_SENDBUF_H

#include <stddef.h>
#include <stdint.h>

struct sr_repl_sendbuf {
	char *buf;
	size_t len, cap;   /* buf holds the bytes at offsets [base, base + len) */
	uint64_t base;
	uint64_t released; /* bytes before this offset are no longer needed */
};

void sr_repl_sendbuf_init(struct sr_repl_sendbuf *b);
void sr_repl_sendbuf_fini(struct sr_repl_sendbuf *b);

/*
 * Room for n more bytes at the end: returns where to write them and their
 * offset in *off, or NULL when out of memory. Pointers from earlier calls
 * (and from sr_repl_sendbuf_at) are invalid after it; offsets stay valid.
 */
char *sr_repl_sendbuf_reserve(struct sr_repl_sendbuf *b, size_t n, uint64_t *off);
/* Gives back the last 'n' bytes reserved (nothing was sent after all). */
void sr_repl_sendbuf_unreserve(struct sr_repl_sendbuf *b, size_t n);
/* The bytes at offset 'off' (not yet released). */
const char *sr_repl_sendbuf_at(const struct sr_repl_sendbuf *b, uint64_t off);
/* Every byte before offset 'upto' is no longer needed. */
void sr_repl_sendbuf_release(struct sr_repl_sendbuf *b, uint64_t upto);

#endif
