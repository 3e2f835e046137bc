/*
 * ctl_verdict.c - see ctl_verdict.h.
 *
 * Design decisions:
 * - Ranges, not single numbers: a failed batch fails every event of a
 *   worker since the last decided one, which is one range however large the
 *   batch; single drops (an AoR being resynced) are the rare case.
 * - A cause per range, not a second queue: the worker asks one question per
 *   held response and learns both whether and why; ranges of different
 *   causes stay apart, the newer note winning where they overlap.
 * - Notes merge on the producer side before anything is published, so
 *   what the consumer sees is disjoint and in order, which lets it answer
 *   with one comparison per held response.
 * - Head and tail are free-running 64-bit indices (never wrap in practice);
 *   the slot is index % cap. Acquire/release on them order the range bytes.
 */
#include "ctl_verdict.h"

#include <stdlib.h>
#include <string.h>

int sr_ctl_verdict_init(struct sr_ctl_verdict *v, uint32_t cap)
{
	memset(v, 0, sizeof(*v));
	if (cap == 0 || !(v->q = calloc(cap, sizeof(*v->q))))
		return -1;
	v->cap = cap;
	return 0;
}

void sr_ctl_verdict_fini(struct sr_ctl_verdict *v)
{
	free(v->q);
	free(v->notes);
	memset(v, 0, sizeof(*v));
}

/* Room for 'more' notes beyond the current ones. Returns 0, -1 out of memory. */
static int reserve(struct sr_ctl_verdict *v, size_t more)
{
	if (v->n_notes + more <= v->cap_notes)
		return 0;
	size_t cap = v->cap_notes ? 2 * v->cap_notes : 64;
	struct sr_ctl_range *p = realloc(v->notes, cap * sizeof(*p));
	if (!p)
		return -1;
	v->notes = p;
	v->cap_notes = cap;
	return 0;
}

/* Appends r (room reserved) to the notes, merged with the last note when they touch and share a cause. */
static void append(struct sr_ctl_verdict *v, struct sr_ctl_range r)
{
	if (r.lo > r.hi)
		return;
	struct sr_ctl_range *last = v->n_notes ? &v->notes[v->n_notes - 1] : NULL;
	if (last && last->cause == r.cause && last->hi + 1 >= r.lo) {
		if (r.hi > last->hi)
			last->hi = r.hi;
		return;
	}
	v->notes[v->n_notes++] = r;
}

int sr_ctl_verdict_note_cause(struct sr_ctl_verdict *v, uint64_t lo, uint64_t hi, enum sr_ctl_fail cause)
{
	/*
	 * Take off every note the new range overlaps or touches (they are at the
	 * end: notes only grow upwards). Of those, only the lowest can reach
	 * below lo and only the highest above hi; what they keep outside lo..hi
	 * goes back around the new range (merged when the cause is the same).
	 */
	if (reserve(v, 3) != 0) /* before anything is taken off: a failure loses no earlier note */
		return -1;
	struct sr_ctl_range below = { 1, 0, 0 }, above = { 1, 0, 0 }; /* empty */
	bool first = true;
	while (v->n_notes && v->notes[v->n_notes - 1].hi + 1 >= lo) {
		struct sr_ctl_range n = v->notes[--v->n_notes];
		if (first && n.hi > hi)
			above = (struct sr_ctl_range){ n.lo > hi + 1 ? n.lo : hi + 1, n.hi, n.cause };
		first = false;
		if (n.lo < lo)
			below = (struct sr_ctl_range){ n.lo, n.hi < lo - 1 ? n.hi : lo - 1, n.cause };
	}
	append(v, below);
	append(v, (struct sr_ctl_range){ lo, hi, (uint8_t)cause });
	append(v, above);
	return 0;
}

int sr_ctl_verdict_note(struct sr_ctl_verdict *v, uint64_t lo, uint64_t hi)
{
	return sr_ctl_verdict_note_cause(v, lo, hi, SR_CTL_FAIL_STORE);
}

bool sr_ctl_verdict_flush(struct sr_ctl_verdict *v)
{
	uint64_t head = __atomic_load_n(&v->head, __ATOMIC_ACQUIRE);
	size_t k = 0;
	while (k < v->n_notes && v->tail - head < v->cap) {
		v->q[v->tail % v->cap] = v->notes[k++];
		__atomic_store_n(&v->tail, v->tail + 1, __ATOMIC_RELEASE);
	}
	if (k && k < v->n_notes)
		memmove(v->notes, v->notes + k, (v->n_notes - k) * sizeof(*v->notes));
	v->n_notes -= k;
	return v->n_notes == 0;
}

uint64_t sr_ctl_verdict_unpublished(const struct sr_ctl_verdict *v)
{
	return v->n_notes ? v->notes[0].lo : UINT64_MAX;
}

/* The first published range not yet forgotten, or NULL. */
static const struct sr_ctl_range *front(struct sr_ctl_verdict *v)
{
	if (v->head == __atomic_load_n(&v->tail, __ATOMIC_ACQUIRE))
		return NULL;
	return &v->q[v->head % v->cap];
}

void sr_ctl_verdict_skip(struct sr_ctl_verdict *v, uint64_t upto)
{
	const struct sr_ctl_range *r;
	while ((r = front(v)) && r->hi <= upto)
		__atomic_store_n(&v->head, v->head + 1, __ATOMIC_RELEASE);
}

enum sr_ctl_fail sr_ctl_verdict_cause(struct sr_ctl_verdict *v, uint64_t seq)
{
	if (seq)
		sr_ctl_verdict_skip(v, seq - 1);
	const struct sr_ctl_range *r = front(v);
	return r && r->lo <= seq && seq <= r->hi ? (enum sr_ctl_fail)r->cause : SR_CTL_KEPT;
}

bool sr_ctl_verdict_failed(struct sr_ctl_verdict *v, uint64_t seq)
{
	return sr_ctl_verdict_cause(v, seq) != SR_CTL_KEPT;
}
