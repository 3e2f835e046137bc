/*
 * ctl_holdq.c - a fixed ring buffer of (object, sequence) pairs (see
 * ctl_holdq.h).
 *
 * Design decisions:
 * - Tags are non-decreasing in push order (a worker's sequence only grows),
 *   so releasing from the head until the first uncommitted tag is both
 *   in-order and O(released).
 * - Memory comes from calloc at init on the set-up path; the worker only
 *   indexes it.
 */
#include "ctl_holdq.h"

#include <stdlib.h>
#include <string.h>

int sr_ctl_holdq_init(struct sr_ctl_holdq *q, uint32_t cap)
{
	memset(q, 0, sizeof(*q));
	if (cap == 0)
		return -1;
	q->e = calloc(cap, sizeof(*q->e));
	if (!q->e)
		return -1;
	q->cap = cap;
	return 0;
}

void sr_ctl_holdq_fini(struct sr_ctl_holdq *q)
{
	free(q->e);
	memset(q, 0, sizeof(*q));
}

bool sr_ctl_holdq_push(struct sr_ctl_holdq *q, void *obj, uint64_t seq)
{
	if (q->n == q->cap)
		return false;
	struct sr_ctl_held *h = &q->e[(q->head + q->n) % q->cap];
	h->obj = obj;
	h->seq = seq;
	q->n++;
	return true;
}

unsigned sr_ctl_holdq_release(struct sr_ctl_holdq *q, uint64_t committed, void **out, unsigned max)
{
	unsigned k = 0;
	while (k < max && q->n && q->e[q->head].seq <= committed) {
		out[k++] = q->e[q->head].obj;
		q->head = (q->head + 1) % q->cap;
		q->n--;
	}
	return k;
}
