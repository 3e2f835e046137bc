/*
 * txn_buf.c - the message buffer pool (see txn.h, struct sr_bufpool).
 *
 * Two sizes, because message sizes are bimodal: almost every SIP message
 * over UDP fits in one MTU (RFC 3261 18.1.1 asks larger requests to use a
 * congestion-controlled transport), but a fragmented INVITE with a big SDP
 * can reach 64 KiB. One small buffer per transaction covers the common case
 * at a predictable cost; a few large ones cover the rest. Free buffers are
 * kept on index stacks (LIFO, so recently used, cache-warm memory is reused
 * first). A buffer's class is known from its address.
 */
#include "txn.h"

#include <stdlib.h>
#include <string.h>

int sr_bufpool_init(struct sr_bufpool *bp, uint32_t small_size, uint32_t n_small, uint32_t n_large)
{
	memset(bp, 0, sizeof(*bp));
	if (small_size == 0 || small_size > SR_BUF_LARGE_SIZE)
		return -1;
	bp->small_size = small_size;
	bp->n_small = n_small;
	bp->n_large = n_large;
	bp->small_mem = malloc((size_t)small_size * (n_small ? n_small : 1));
	bp->large_mem = malloc((size_t)SR_BUF_LARGE_SIZE * (n_large ? n_large : 1));
	bp->small_free = malloc(sizeof(uint32_t) * (n_small ? n_small : 1));
	bp->large_free = malloc(sizeof(uint32_t) * (n_large ? n_large : 1));
	if (!bp->small_mem || !bp->large_mem || !bp->small_free || !bp->large_free) {
		sr_bufpool_free(bp);
		return -1;
	}
	/* Stack tops hand out index 0 first. */
	for (uint32_t i = 0; i < n_small; i++)
		bp->small_free[i] = n_small - 1 - i;
	for (uint32_t i = 0; i < n_large; i++)
		bp->large_free[i] = n_large - 1 - i;
	bp->small_top = n_small;
	bp->large_top = n_large;
	return 0;
}

void sr_bufpool_free(struct sr_bufpool *bp)
{
	free(bp->small_mem);
	free(bp->large_mem);
	free(bp->small_free);
	free(bp->large_free);
	memset(bp, 0, sizeof(*bp));
}

static bool is_small(const struct sr_bufpool *bp, const char *p)
{
	return p >= bp->small_mem && p < bp->small_mem + (size_t)bp->small_size * bp->n_small;
}

void sr_buf_release(struct sr_bufpool *bp, struct sr_buf *b)
{
	if (!b->p)
		return;
	if (is_small(bp, b->p))
		bp->small_free[bp->small_top++] = (uint32_t)((size_t)(b->p - bp->small_mem) / bp->small_size);
	else
		bp->large_free[bp->large_top++] = (uint32_t)((size_t)(b->p - bp->large_mem) / SR_BUF_LARGE_SIZE);
	b->p = NULL;
	b->len = b->cap = 0;
}

/* Takes a free buffer able to hold len bytes into nb; false when none. */
static bool take(struct sr_bufpool *bp, size_t len, struct sr_buf *nb)
{
	if (len <= bp->small_size && bp->small_top) {
		nb->p = bp->small_mem + (size_t)bp->small_free[--bp->small_top] * bp->small_size;
		nb->cap = bp->small_size;
	} else if (len <= SR_BUF_LARGE_SIZE && bp->large_top) {
		nb->p = bp->large_mem + (size_t)bp->large_free[--bp->large_top] * SR_BUF_LARGE_SIZE;
		nb->cap = SR_BUF_LARGE_SIZE;
	} else {
		return false;
	}
	nb->len = 0;
	return true;
}

char *sr_buf_reserve(struct sr_bufpool *bp, struct sr_buf *b, size_t len)
{
	if (!b->p || b->cap < len) {
		struct sr_buf nb;
		sr_buf_release(bp, b);
		if (!take(bp, len, &nb))
			return NULL;
		*b = nb;
	}
	b->len = (uint32_t)len;
	return b->p;
}

int sr_buf_set(struct sr_bufpool *bp, struct sr_buf *b, const char *bytes, size_t len)
{
	if (!b->p || b->cap < len) {
		/* Take the new buffer before giving the old one back: bytes may live in the old one. */
		struct sr_buf nb;
		if (!take(bp, len, &nb)) {
			sr_buf_release(bp, b);
			return -1;
		}
		if (len)
			memcpy(nb.p, bytes, len);
		sr_buf_release(bp, b);
		*b = nb;
	} else if (len) {
		memmove(b->p, bytes, len);
	}
	b->len = (uint32_t)len;
	return 0;
}
