/*
 * ctl_listener.h - the listener stream server on the control core.
 *
 * A Unix stream socket (sipreg puts it next to the DPDK telemetry socket:
 * <runtime dir>/sipreg_listen.sock). Each subscriber that connects gets
 * the lines of ctl_announce.h: first the current state, paged out of the
 * committed store (one contactsAdded per AoR), then {"event":"synced"},
 * then every committed change in commit order (refreshes not announced).
 * The server never blocks: sockets are non-blocking, each subscriber has
 * a bounded buffer (ctl_backlog.h) and is cut off, counted by reason, when it
 * falls behind; the state is paged only while its buffer has room, a few
 * pages per poll, so a new subscriber of a large store delays no commit.
 * Subscribers send nothing; anything they send is ignored.
 */
#ifndef SR_CTL_LISTENER_H
#define SR_CTL_LISTENER_H

#include <stddef.h>
#include <stdint.h>

#include "ctl_batch.h"
#include "ctl_store.h"
#include "ctl_backlog.h"

#define SR_CTL_LISTENER_MAX_SUBS 16
#define SR_CTL_LISTENER_SUB_BYTES (1u << 20) /* default per-subscriber buffer */
#define SR_CTL_LISTENER_MIN_SUB_BYTES (512u << 10)

struct sr_ctl_listener;

struct sr_ctl_listener_counts {
	uint64_t accepted, refused; /* refused: more than SR_CTL_LISTENER_MAX_SUBS at once */
	uint64_t cuts[SR_CUT_COUNT];
	uint64_t subscribers;       /* connected now */
};

/*
 * Listens on 'path' (a stale socket file is replaced) and serves the state
 * of 'st'. sub_bytes: per-subscriber buffer (>= SR_CTL_LISTENER_MIN_SUB_BYTES). Returns 0, or -1
 * with a message in err.
 */
int sr_ctl_listener_open(const char *path, struct sr_ctl_store *st, size_t sub_bytes, struct sr_ctl_listener **out,
		     char *err, size_t cap);
/* Closes every subscriber and removes the socket file. */
void sr_ctl_listener_close(struct sr_ctl_listener *s);

/* Announces a batch that has just been committed. */
void sr_ctl_listener_publish(struct sr_ctl_listener *s, const struct sr_ctl_batch *b);

/*
 * One live event that is not a binding change (RFC 8599 contactRefresh,
 * docs/PUSH.md): json (one object, no newline) goes as a line to every
 * subscriber past its initial state; subscribers still paging it miss it.
 */
void sr_ctl_listener_line(struct sr_ctl_listener *s, const char *json, size_t len);

/* Accepts, pages state, writes out; never blocks. */
void sr_ctl_listener_poll(struct sr_ctl_listener *s);

void sr_ctl_listener_counts(const struct sr_ctl_listener *s, struct sr_ctl_listener_counts *c);

#endif
