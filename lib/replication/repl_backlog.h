/*
 * repl_backlog.h - the changes handed to replication and not yet settled.
 *
 * A FIFO of copied changes, each with a sequence number (1, 2, ...: the
 * order the control core committed them) and the time it was added. It
 * has a send cursor: the writer takes changes from the cursor to form
 * commands, acknowledges them from the front when Redis confirms, and
 * rewinds the cursor to the front when something failed, so that every
 * unacknowledged change is sent again, in order. Changes live in 256 KiB
 * segments, so adding and acknowledging are constant-time and a backlog of
 * a million changes is a few hundred segments, not a million allocations.
 * Pure (no I/O), single-threaded.
 */
#ifndef SR_REPL_BACKLOG_H
#define SR_REPL_BACKLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "repl_layout.h"

struct sr_repl_backlog_seg;

struct sr_repl_backlog {
	struct sr_repl_backlog_seg *head, *tail;
	size_t head_off;                   /* first kept entry in head */
	struct sr_repl_backlog_seg *cur;   /* send cursor */
	size_t cur_off;
	uint64_t next_seq;                 /* the sequence number the next change gets */
	uint64_t front_seq;                /* the oldest kept change (next_seq when empty) */
	uint64_t cur_seq;                  /* the change at the send cursor */
	uint64_t count, bytes;
};

/* One kept change; the pointers are valid until it is acknowledged or dropped. */
struct sr_repl_backlog_item {
	uint64_t seq;
	uint64_t added_ms;
	struct sr_repl_change c;
	const uint8_t *env;   /* puts: the envelope (header + record), as stored in the AoR hash */
	size_t env_len;
};

void sr_repl_backlog_init(struct sr_repl_backlog *q, uint64_t first_seq);
void sr_repl_backlog_fini(struct sr_repl_backlog *q);

/* Copies c; returns its sequence number, or 0 when memory is short. */
uint64_t sr_repl_backlog_add(struct sr_repl_backlog *q, const struct sr_repl_change *c, uint64_t now_ms);

/* The change at the send cursor (false when every kept change was taken), and advancing past it. */
bool sr_repl_backlog_peek(const struct sr_repl_backlog *q, struct sr_repl_backlog_item *out);
void sr_repl_backlog_advance(struct sr_repl_backlog *q);

/* The oldest kept change (false when empty). */
bool sr_repl_backlog_front(const struct sr_repl_backlog *q, struct sr_repl_backlog_item *out);

/* Forgets the changes with seq <= upto (they are settled). The cursor never falls behind the front. */
void sr_repl_backlog_ack(struct sr_repl_backlog *q, uint64_t upto);

/* Sends everything again from the front. */
void sr_repl_backlog_rewind(struct sr_repl_backlog *q);

/*
 * Drops every change at or after the send cursor (the ones not sent);
 * returns how many. Sequence numbers are not reused.
 */
uint64_t sr_repl_backlog_drop_unsent(struct sr_repl_backlog *q);

/* Sequence numbers: the last one given out (0: none yet). */
static inline uint64_t sr_repl_backlog_last_seq(const struct sr_repl_backlog *q)
{
	return q->next_seq - 1;
}

#endif
