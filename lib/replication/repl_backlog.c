/*
 * repl_backlog.c - segmented FIFO of changes (see repl_backlog.h).
 *
 * Entry layout inside a segment (8-byte aligned): a header with the
 * sequence number, time, binding id, expiry, lengths and operation, then
 * the AoR and, for puts, the record already inside its envelope
 * (repl_layout.h), so the writer hands Redis the value without copying. A change larger than a segment gets a segment of
 * its own size. Segments are freed as soon as their last entry is
 * acknowledged or dropped.
 */
#include "repl_backlog.h"

#include <stdlib.h>
#include <string.h>

#define SEG_BYTES (256u << 10)

struct hdr {
	uint64_t seq, added_ms, id;
	uint32_t expires, rec_len;
	uint16_t aor_len;
	uint8_t op;
};

struct sr_repl_backlog_seg {
	struct sr_repl_backlog_seg *next;
	size_t cap, used;
	uint8_t data[];
};

static size_t env_len(size_t rec_len)
{
	return rec_len ? SR_REPL_ENVELOPE_HDR + rec_len : 0;
}

static size_t entry_size(size_t aor_len, size_t rec_len)
{
	return (sizeof(struct hdr) + aor_len + env_len(rec_len) + 7) & ~(size_t)7;
}

void sr_repl_backlog_init(struct sr_repl_backlog *q, uint64_t first_seq)
{
	memset(q, 0, sizeof(*q));
	q->next_seq = q->front_seq = q->cur_seq = first_seq ? first_seq : 1;
}

void sr_repl_backlog_fini(struct sr_repl_backlog *q)
{
	for (struct sr_repl_backlog_seg *s = q->head, *n; s; s = n) {
		n = s->next;
		free(s);
	}
	uint64_t next = q->next_seq;
	sr_repl_backlog_init(q, next);
}

uint64_t sr_repl_backlog_add(struct sr_repl_backlog *q, const struct sr_repl_change *c, uint64_t now_ms)
{
	if (c->aor_len > UINT16_MAX || c->rec_len > UINT32_MAX)
		return 0;
	size_t need = entry_size(c->aor_len, c->rec_len);
	struct sr_repl_backlog_seg *t = q->tail;
	if (!t || t->cap - t->used < need) {
		size_t cap = need > SEG_BYTES ? need : SEG_BYTES;
		struct sr_repl_backlog_seg *s = malloc(sizeof(*s) + cap);
		if (!s)
			return 0;
		s->next = NULL;
		s->cap = cap;
		s->used = 0;
		if (t)
			t->next = s; /* a cursor at t's end moves on to s by itself (settle_pos) */
		else
			q->head = q->cur = s, q->head_off = q->cur_off = 0;
		q->tail = t = s;
	}
	uint8_t *p = t->data + t->used;
	struct hdr h = { .seq = q->next_seq, .added_ms = now_ms, .id = c->id, .expires = c->expires,
			 .rec_len = (uint32_t)c->rec_len, .aor_len = (uint16_t)c->aor_len, .op = (uint8_t)c->op };
	memcpy(p, &h, sizeof(h));
	memcpy(p + sizeof(h), c->aor, c->aor_len);
	if (c->rec_len) /* the record inside its envelope, as the AoR hash stores it */
		sr_repl_envelope_encode(c->expires, c->rec, c->rec_len, p + sizeof(h) + c->aor_len,
					env_len(c->rec_len));
	t->used += need;
	q->count++;
	q->bytes += c->aor_len + c->rec_len;
	return q->next_seq++;
}

static void read_at(const struct sr_repl_backlog_seg *s, size_t off, struct sr_repl_backlog_item *out)
{
	struct hdr h;
	memcpy(&h, s->data + off, sizeof(h));
	out->seq = h.seq;
	out->added_ms = h.added_ms;
	out->c.op = (enum sr_repl_op)h.op;
	out->c.id = h.id;
	out->c.expires = h.expires;
	out->c.aor = (const char *)s->data + off + sizeof(h);
	out->c.aor_len = h.aor_len;
	out->env = h.rec_len ? s->data + off + sizeof(h) + h.aor_len : NULL;
	out->env_len = env_len(h.rec_len);
	out->c.rec = h.rec_len ? out->env + SR_REPL_ENVELOPE_HDR : NULL;
	out->c.rec_len = h.rec_len;
}

/* Normalises a (segment, offset) position that sits at a segment's end. */
static void settle_pos(struct sr_repl_backlog_seg **s, size_t *off)
{
	while (*s && *off == (*s)->used && (*s)->next) {
		*s = (*s)->next;
		*off = 0;
	}
}

bool sr_repl_backlog_peek(const struct sr_repl_backlog *q, struct sr_repl_backlog_item *out)
{
	struct sr_repl_backlog_seg *s = q->cur;
	size_t off = q->cur_off;
	settle_pos(&s, &off);
	if (!s || off == s->used)
		return false;
	read_at(s, off, out);
	return true;
}

void sr_repl_backlog_advance(struct sr_repl_backlog *q)
{
	settle_pos(&q->cur, &q->cur_off);
	if (!q->cur || q->cur_off == q->cur->used)
		return;
	struct hdr h;
	memcpy(&h, q->cur->data + q->cur_off, sizeof(h));
	q->cur_off += entry_size(h.aor_len, h.rec_len);
	q->cur_seq = h.seq + 1;
}

bool sr_repl_backlog_front(const struct sr_repl_backlog *q, struct sr_repl_backlog_item *out)
{
	struct sr_repl_backlog_seg *s = q->head;
	size_t off = q->head_off;
	settle_pos(&s, &off);
	if (!s || off == s->used)
		return false;
	read_at(s, off, out);
	return true;
}

/* Frees segments the front has consumed; the cursor moves with them. */
static void free_consumed(struct sr_repl_backlog *q)
{
	while (q->head && q->head_off == q->head->used && q->head->next) {
		struct sr_repl_backlog_seg *n = q->head->next;
		if (q->cur == q->head)
			q->cur = n, q->cur_off = 0;
		free(q->head);
		q->head = n;
		q->head_off = 0;
	}
}

void sr_repl_backlog_ack(struct sr_repl_backlog *q, uint64_t upto)
{
	while (q->count && q->front_seq <= upto) {
		free_consumed(q);
		struct hdr h;
		memcpy(&h, q->head->data + q->head_off, sizeof(h));
		q->head_off += entry_size(h.aor_len, h.rec_len);
		q->count--;
		q->bytes -= h.aor_len + h.rec_len;
		q->front_seq = h.seq + 1;
		if (q->cur_seq < q->front_seq) { /* the cursor never falls behind the front */
			q->cur = q->head;
			q->cur_off = q->head_off;
			q->cur_seq = q->front_seq;
		}
	}
	free_consumed(q);
	if (q->count == 0 && q->head) { /* empty: keep one segment for the next changes */
		for (struct sr_repl_backlog_seg *s = q->head->next, *n; s; s = n) {
			n = s->next;
			free(s);
		}
		q->head->next = NULL;
		q->head->used = 0;
		q->tail = q->cur = q->head;
		q->head_off = q->cur_off = 0;
		q->front_seq = q->cur_seq = q->next_seq;
	}
}

void sr_repl_backlog_rewind(struct sr_repl_backlog *q)
{
	q->cur = q->head;
	q->cur_off = q->head_off;
	q->cur_seq = q->front_seq;
}

uint64_t sr_repl_backlog_drop_unsent(struct sr_repl_backlog *q)
{
	settle_pos(&q->cur, &q->cur_off);
	if (!q->cur)
		return 0;
	uint64_t dropped = 0;
	/* the rest of the cursor's segment */
	for (size_t off = q->cur_off; off < q->cur->used;) {
		struct hdr h;
		memcpy(&h, q->cur->data + off, sizeof(h));
		off += entry_size(h.aor_len, h.rec_len);
		q->bytes -= h.aor_len + h.rec_len;
		dropped++;
	}
	q->cur->used = q->cur_off;
	for (struct sr_repl_backlog_seg *s = q->cur->next, *n; s; s = n) {
		n = s->next;
		for (size_t off = 0; off < s->used;) {
			struct hdr h;
			memcpy(&h, s->data + off, sizeof(h));
			off += entry_size(h.aor_len, h.rec_len);
			q->bytes -= h.aor_len + h.rec_len;
			dropped++;
		}
		free(s);
	}
	q->cur->next = NULL;
	q->tail = q->cur;
	q->count -= dropped;
	q->cur_seq = q->next_seq;
	if (q->count == 0)
		q->front_seq = q->next_seq;
	return dropped;
}
