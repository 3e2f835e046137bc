/*
 * ctl_batch.c - see ctl_batch.h.
 *
 * Design decisions:
 * - Records are encoded on append, not at commit: the binding the event
 *   points at is only valid during the event, and encoding once lets the
 *   commit loop be a plain walk over bytes.
 * - The buffer doubles when full and is never shrunk: its size follows the
 *   largest batch seen, which max_events bounds.
 */
#include "ctl_batch.h"

#include <stdlib.h>
#include <string.h>

#define ENTRY_HDR (1 + sizeof(uint32_t))

int sr_ctl_batch_init(struct sr_ctl_batch *b, unsigned max_events, uint32_t interval_ms)
{
	memset(b, 0, sizeof(*b));
	if (max_events == 0)
		return -1;
	b->max_events = max_events;
	b->interval_ms = interval_ms;
	return 0;
}

void sr_ctl_batch_fini(struct sr_ctl_batch *b)
{
	free(b->buf);
	memset(b, 0, sizeof(*b));
}

static int reserve(struct sr_ctl_batch *b, size_t need)
{
	if (b->cap - b->len >= need)
		return 0;
	size_t cap = b->cap ? b->cap : 64 * 1024;
	while (cap - b->len < need)
		cap *= 2;
	uint8_t *p = realloc(b->buf, cap);
	if (!p)
		return -1;
	b->buf = p;
	b->cap = cap;
	return 0;
}

/* Room for an entry of n bytes: its header written, the bytes' place returned (NULL: out of memory). */
static uint8_t *append(struct sr_ctl_batch *b, unsigned type, size_t n, uint64_t seq, uint64_t now_ms)
{
	if (n > UINT32_MAX || reserve(b, ENTRY_HDR + n) != 0)
		return NULL;
	uint8_t *p = b->buf + b->len;
	uint32_t n32 = (uint32_t)n;
	p[0] = (uint8_t)type;
	memcpy(p + 1, &n32, sizeof(n32));
	b->len += ENTRY_HDR + n;
	if (b->n++ == 0)
		b->first_ms = now_ms;
	b->last_seq = seq;
	return p + ENTRY_HDR;
}

int sr_ctl_batch_add(struct sr_ctl_batch *b, enum sr_event_type type, const struct sr_loc_binding *bd,
		     uint64_t seq, uint64_t now_ms)
{
	size_t n = sr_ctl_record_size(bd);
	uint8_t *p = n ? append(b, type, n, seq, now_ms) : NULL;
	if (!p)
		return -1;
	sr_ctl_record_encode(bd, p, n);
	return 0;
}

int sr_ctl_batch_add_mid(struct sr_ctl_batch *b, enum sr_ctl_mid_op op, const uint8_t *entry, size_t len,
			 uint64_t seq, uint64_t now_ms)
{
	if (!sr_ctl_mid_op_is(op))
		return -1;
	uint8_t *p = append(b, op, len, seq, now_ms);
	if (!p)
		return -1;
	memcpy(p, entry, len);
	return 0;
}

bool sr_ctl_batch_due(const struct sr_ctl_batch *b, uint64_t now_ms)
{
	if (b->n == 0)
		return false;
	return b->n >= b->max_events || now_ms >= b->first_ms + b->interval_ms;
}

void sr_ctl_batch_clear(struct sr_ctl_batch *b)
{
	b->len = 0;
	b->n = 0;
}

int sr_ctl_batch_next_entry(const struct sr_ctl_batch *b, size_t *off, unsigned *type, const uint8_t **rec,
			    size_t *rec_len)
{
	if (*off + ENTRY_HDR > b->len)
		return 0;
	const uint8_t *p = b->buf + *off;
	uint32_t n32;
	memcpy(&n32, p + 1, sizeof(n32));
	*type = p[0];
	*rec = p + ENTRY_HDR;
	*rec_len = n32;
	*off += ENTRY_HDR + n32;
	return 1;
}

int sr_ctl_batch_next(const struct sr_ctl_batch *b, size_t *off, enum sr_event_type *type,
		      const uint8_t **rec, size_t *rec_len)
{
	unsigned t;
	while (sr_ctl_batch_next_entry(b, off, &t, rec, rec_len))
		if (!sr_ctl_mid_op_is(t)) {
			*type = (enum sr_event_type)t;
			return 1;
		}
	return 0;
}
