/*
 * ctl_backlog.c - a listener subscriber's bounded backlog of lines with cut-off (see
 * ctl_backlog.h). The pending bytes are compacted to the front only when a line
 * would not fit behind them, so steady state moves no memory.
 */
#include "ctl_backlog.h"

#include <stdlib.h>
#include <string.h>

const char *sr_ctl_cut_reason_str(enum sr_ctl_cut_reason r)
{
	switch (r) {
	case SR_CUT_NONE:
		return "none";
	case SR_CUT_SLOW:
		return "slow";
	case SR_CUT_CLOSED:
		return "closed";
	case SR_CUT_ERROR:
		return "error";
	case SR_CUT_COUNT:
		break;
	}
	return "?";
}

int sr_ctl_backlog_init(struct sr_ctl_backlog *s, size_t cap)
{
	*s = (struct sr_ctl_backlog){ .cap = cap };
	if (cap == 0)
		return -1;
	s->buf = malloc(cap);
	return s->buf ? 0 : -1;
}

void sr_ctl_backlog_fini(struct sr_ctl_backlog *s)
{
	free(s->buf);
	s->buf = NULL;
	s->len = s->head = 0;
}

void sr_ctl_backlog_cut(struct sr_ctl_backlog *s, enum sr_ctl_cut_reason r, uint64_t cuts[SR_CUT_COUNT])
{
	if (s->cut != SR_CUT_NONE)
		return;
	s->cut = r;
	cuts[r]++;
	s->head = s->len = 0;
}

int sr_ctl_backlog_push(struct sr_ctl_backlog *s, const char *line, size_t len, uint64_t cuts[SR_CUT_COUNT])
{
	if (s->cut != SR_CUT_NONE)
		return -1;
	if (s->cap - s->len < len) {
		sr_ctl_backlog_cut(s, SR_CUT_SLOW, cuts);
		return -1;
	}
	if (s->cap - s->head - s->len < len) {
		memmove(s->buf, s->buf + s->head, s->len);
		s->head = 0;
	}
	memcpy(s->buf + s->head + s->len, line, len);
	s->len += len;
	return 0;
}

long sr_ctl_backlog_flush(struct sr_ctl_backlog *s, sr_ctl_backlog_write_fn *w, void *ctx, uint64_t cuts[SR_CUT_COUNT])
{
	if (s->cut != SR_CUT_NONE)
		return -1;
	while (s->len) {
		long n = w(ctx, s->buf + s->head, s->len);
		if (n < 0 || (size_t)n > s->len) {
			sr_ctl_backlog_cut(s, SR_CUT_CLOSED, cuts);
			return -1;
		}
		if (n == 0)
			break;
		s->head += (size_t)n;
		s->len -= (size_t)n;
	}
	if (s->len == 0)
		s->head = 0;
	return (long)s->len;
}
