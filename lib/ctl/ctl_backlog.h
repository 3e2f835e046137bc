/*
 * ctl_backlog.h - one listener subscriber's backlog: the bounded buffer of
 * lines not yet written to it, on the control core.
 *
 * The control core queues whole lines (ctl_announce.h) and writes them out
 * with a non-blocking writer whenever the socket accepts bytes. The buffer
 * never grows past its capacity: a line that does not fit means the
 * subscriber is not keeping up, and it is cut off (reason "slow"), counted
 * per reason, instead of making the control core - and through the event
 * rings, the workers - wait for it. A writer error cuts with "closed".
 * Only whole lines are queued, so a cut subscriber has received a prefix
 * of the stream that ends at a line boundary.
 */
#ifndef SR_CTL_BACKLOG_H
#define SR_CTL_BACKLOG_H

#include <stddef.h>
#include <stdint.h>

enum sr_ctl_cut_reason {
	SR_CUT_NONE,
	SR_CUT_SLOW,   /* the buffer was full: the subscriber reads too slowly */
	SR_CUT_CLOSED, /* the peer hung up or the write failed */
	SR_CUT_ERROR,  /* the server could not produce its lines (store read failed) */
	SR_CUT_COUNT
};

const char *sr_ctl_cut_reason_str(enum sr_ctl_cut_reason r);

struct sr_ctl_backlog {
	uint8_t *buf;
	size_t cap, head, len; /* pending bytes are buf[head .. head+len) */
	enum sr_ctl_cut_reason cut;
};

/* cap >= 1. Returns 0, or -1 when out of memory or cap is 0. */
int sr_ctl_backlog_init(struct sr_ctl_backlog *s, size_t cap);
void sr_ctl_backlog_fini(struct sr_ctl_backlog *s);

/*
 * Queues one whole line. Returns 0, or -1 when the subscriber is (now)
 * cut; a new cut increments cuts[reason].
 */
int sr_ctl_backlog_push(struct sr_ctl_backlog *s, const char *line, size_t len, uint64_t cuts[SR_CUT_COUNT]);

/* Cuts the subscriber off (no-op when already cut); a new cut increments cuts[r]. */
void sr_ctl_backlog_cut(struct sr_ctl_backlog *s, enum sr_ctl_cut_reason r, uint64_t cuts[SR_CUT_COUNT]);

/* Non-blocking write: bytes taken (0: would block), or -1 on error / hang-up. */
typedef long sr_ctl_backlog_write_fn(void *ctx, const uint8_t *p, size_t n);

/*
 * Writes pending bytes until none are left or the writer takes no more.
 * Returns the bytes still pending, or -1 when the subscriber is cut.
 */
long sr_ctl_backlog_flush(struct sr_ctl_backlog *s, sr_ctl_backlog_write_fn *w, void *ctx, uint64_t cuts[SR_CUT_COUNT]);

#endif
