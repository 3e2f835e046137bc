/*
 * ctl_announce.h - the listener stream's announcements: binding events turned
 * into newline-delimited JSON lines, as the Asterisk SCF RegistrarListener's
 * contactsAdded / contactsRemoved describe them.
 *
 * Protocol (one JSON object per line, UTF-8, '\n' terminated, server to
 * client only):
 *   {"event":"contactsAdded","aor":"<aor>","contacts":["<uri>",...]}
 *   {"event":"contactsRemoved","aor":"<aor>","contacts":["<uri>",...]}
 *   {"event":"synced"}     the current state has been sent; live changes follow
 *   {"event":"cut","reason":"<why>"}   last line before the server closes
 * Events map as: added -> contactsAdded; removed and expired ->
 * contactsRemoved; refreshed -> nothing (a refresh changes no contact set).
 *
 * The state a new subscriber receives first comes from the committed LMDB
 * store, not from the workers: the store is consistent between two commits
 * (the control core is its only writer), reading it costs the workers
 * nothing, and live events are announced after their commit, so the stream
 * never announces what a crash would lose. The state is read in pages in
 * key order, grouped per AoR by sr_ctl_announce_group (one AoR's bindings are
 * adjacent in key order; the group is flushed at every page end), and live
 * events during that phase are merged by sr_ctl_announce_live_wanted.
 *
 * Everything writes into caller buffers; nothing allocates except the
 * grouper's fixed buffers at init.
 */
#ifndef SR_CTL_ANNOUNCE_H
#define SR_CTL_ANNOUNCE_H

#include <stdbool.h>
#include <stddef.h>

#include "ctl_record.h"
#include "location.h"

enum sr_ctl_announce_kind {
	SR_ANNOUNCE_ADDED,
	SR_ANNOUNCE_REMOVED,
	SR_ANNOUNCE_NONE, /* not announced */
};

enum sr_ctl_announce_kind sr_ctl_announce_kind_of(enum sr_event_type t);

/* Builds one message line in buf[0..cap). */
struct sr_ctl_announce_msg {
	char *buf;
	size_t cap, len;
	unsigned contacts;
	bool overflow;
};

void sr_ctl_announce_begin(struct sr_ctl_announce_msg *m, char *buf, size_t cap, enum sr_ctl_announce_kind kind,
			 struct sr_str aor);
void sr_ctl_announce_add(struct sr_ctl_announce_msg *m, struct sr_str contact);
/* Closes the line; returns its length (with the '\n'), 0 when it did not fit. */
size_t sr_ctl_announce_end(struct sr_ctl_announce_msg *m);

/*
 * The line for one event: its length, 0 when the event is not announced
 * (refresh), -1 when buf is too small.
 */
long sr_ctl_announce_event(enum sr_event_type t, struct sr_str aor, struct sr_str contact, char *buf, size_t cap);

/* {"event":"synced"} and {"event":"cut","reason":...} lines; length, 0 when too small. */
size_t sr_ctl_announce_synced(char *buf, size_t cap);
size_t sr_ctl_announce_cut(const char *reason, char *buf, size_t cap);

/*
 * While a subscriber is still being sent the state, 'sent' is the key of
 * the last binding sent (NULL: none yet). A live event for key k is queued
 * only when k <= sent: a later key will be covered by a page that is read
 * after the event's commit and so already shows its result (a removal
 * simply never appears). Once the state is complete, every event is sent.
 */
bool sr_ctl_announce_live_wanted(const uint8_t *sent, const uint8_t key[SR_CTL_KEY_LEN]);

/* Groups bindings of the same AoR (adjacent in the input) into one contactsAdded line. */
typedef int sr_ctl_announce_emit_fn(void *ctx, const char *line, size_t len);

struct sr_ctl_announce_group {
	char *line, *aor;
	size_t cap, aor_len;
	struct sr_ctl_announce_msg m;
	bool open;
	sr_ctl_announce_emit_fn *emit;
	void *ctx;
};

/* cap bounds one line (an AoR with more contacts than fit is split over several lines). */
int sr_ctl_announce_group_init(struct sr_ctl_announce_group *g, size_t cap, sr_ctl_announce_emit_fn *emit, void *ctx);
void sr_ctl_announce_group_fini(struct sr_ctl_announce_group *g);
/* Returns 0, or the emit callback's non-zero result, or -1 when one contact alone does not fit in cap. */
int sr_ctl_announce_group_add(struct sr_ctl_announce_group *g, struct sr_str aor, struct sr_str contact);
/* Emits the pending line, if any. */
int sr_ctl_announce_group_flush(struct sr_ctl_announce_group *g);

#endif
