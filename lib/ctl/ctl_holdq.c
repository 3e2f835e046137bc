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

static bool push(struct sr_ctl_holdq *q, const struct sr_ctl_held *h)
{
	if (q->n == q->cap)
		return false;
	q->e[(q->head + q->n) % q->cap] = *h;
	q->n++;
	return true;
}

bool sr_ctl_holdq_push(struct sr_ctl_holdq *q, void *obj, uint64_t seq)
{
	return push(q, &(struct sr_ctl_held){ .obj = obj, .seq = seq });
}

bool sr_ctl_holdq_push_change(struct sr_ctl_holdq *q, void *obj, void *retraction, void *retraction_replica,
			      uint64_t seq)
{
	return push(q, &(struct sr_ctl_held){ .obj = obj, .retraction = retraction,
					      .retraction_replica = retraction_replica, .seq = seq, .change = true });
}

unsigned sr_ctl_holdq_take(struct sr_ctl_holdq *q, uint64_t decided, struct sr_ctl_held *out, unsigned max)
{
	unsigned k = 0;
	while (k < max && q->n && q->e[q->head].seq <= decided) {
		out[k++] = q->e[q->head];
		q->head = (q->head + 1) % q->cap;
		q->n--;
	}
	return k;
}

unsigned sr_ctl_holdq_release(struct sr_ctl_holdq *q, uint64_t committed, void **out, unsigned max)
{
	struct sr_ctl_held h[64];
	unsigned k = 0, n;
	while (k < max && (n = sr_ctl_holdq_take(q, committed, h, max - k < 64 ? max - k : 64)) > 0)
		for (unsigned i = 0; i < n; i++)
			out[k++] = h[i].obj;
	return k;
}
