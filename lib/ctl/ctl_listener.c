/*
 * ctl_listener.c - the listener stream server (see ctl_listener.h): socket handling
 * and the state/live merge; the line format is ctl_announce.c's, the
 * buffering ctl_backlog.c's.
 */
#include "ctl_listener.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl_announce.h"

#define STATE_PAGE 16        /* bindings per store read */
#define STATE_PAGES_PER_POLL 8
#define LINE_MAX_BYTES (16u << 10) /* a binding whose line is longer is not announced */

_Static_assert(SR_CTL_LISTENER_MIN_SUB_BYTES >= 2 * STATE_PAGE * LINE_MAX_BYTES, "a state page must fit twice");

struct subscriber {
	int fd;
	struct sr_ctl_backlog out;
	bool synced, any_sent;
	uint8_t sent[SR_CTL_KEY_LEN];
};

struct sr_ctl_listener {
	int fd;
	char path[108];
	struct sr_ctl_store *st;
	size_t sub_bytes;
	struct subscriber subs[SR_CTL_LISTENER_MAX_SUBS];
	unsigned n;
	struct sr_ctl_announce_group group;
	struct subscriber *cur; /* the subscriber the group emits to */
	char *line;
	struct sr_ctl_listener_counts c;
};

static int fail(char *err, size_t cap, const char *what, const char *path)
{
	snprintf(err, cap, "listener socket %s: %s: %s", path, what, strerror(errno));
	return -1;
}

static int emit_to_cur(void *ctx, const char *line, size_t len)
{
	struct sr_ctl_listener *s = ctx;
	return sr_ctl_backlog_push(&s->cur->out, line, len, s->c.cuts) == 0 ? 0 : 1;
}

int sr_ctl_listener_open(const char *path, struct sr_ctl_store *st, size_t sub_bytes, struct sr_ctl_listener **out,
		     char *err, size_t cap)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path) || sub_bytes < SR_CTL_LISTENER_MIN_SUB_BYTES) {
		snprintf(err, cap, "listener socket %s: path too long or buffer under %u bytes", path,
			 SR_CTL_LISTENER_MIN_SUB_BYTES);
		return -1;
	}
	struct sr_ctl_listener *s = calloc(1, sizeof(*s));
	if (!s || !(s->line = malloc(LINE_MAX_BYTES)) ||
	    sr_ctl_announce_group_init(&s->group, LINE_MAX_BYTES, emit_to_cur, s) != 0) {
		if (s)
			free(s->line);
		free(s);
		snprintf(err, cap, "listener socket %s: out of memory", path);
		return -1;
	}
	s->st = st;
	s->sub_bytes = sub_bytes;
	snprintf(s->path, sizeof(s->path), "%s", path);
	strcpy(sa.sun_path, path);
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		fail(err, cap, "socket", path);
	} else {
		unlink(path); /* a stale socket of an earlier run */
		if (bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
			fail(err, cap, "bind", path);
		else if (listen(s->fd, SR_CTL_LISTENER_MAX_SUBS) != 0)
			fail(err, cap, "listen", path);
		else {
			*out = s;
			return 0;
		}
		close(s->fd);
	}
	sr_ctl_announce_group_fini(&s->group);
	free(s->line);
	free(s);
	return -1;
}

static void drop(struct sr_ctl_listener *s, unsigned i)
{
	struct subscriber *u = &s->subs[i];
	if (u->out.cut != SR_CUT_NONE && u->out.cut != SR_CUT_CLOSED) {
		/* best effort: say why, then close (the buffer was discarded at the cut) */
		size_t n = sr_ctl_announce_cut(sr_ctl_cut_reason_str(u->out.cut), s->line, LINE_MAX_BYTES);
		if (send(u->fd, s->line, n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
			errno = 0;
	}
	close(u->fd);
	sr_ctl_backlog_fini(&u->out);
	s->subs[i] = s->subs[--s->n];
}

void sr_ctl_listener_close(struct sr_ctl_listener *s)
{
	if (!s)
		return;
	while (s->n)
		drop(s, s->n - 1);
	close(s->fd);
	unlink(s->path);
	sr_ctl_announce_group_fini(&s->group);
	free(s->line);
	free(s);
}

void sr_ctl_listener_publish(struct sr_ctl_listener *s, const struct sr_ctl_batch *b)
{
	size_t off = 0;
	enum sr_event_type type;
	const uint8_t *rec;
	size_t rec_len;
	if (s->n == 0)
		return; /* nobody listens: no decoding, no formatting */
	while (sr_ctl_batch_next(b, &off, &type, &rec, &rec_len)) {
		struct sr_loc_binding bd;
		const char *why;
		if (sr_ctl_announce_kind_of(type) == SR_ANNOUNCE_NONE || sr_ctl_record_decode(rec, rec_len, &bd, &why) != 0)
			continue;
		long n = sr_ctl_announce_event(type, bd.aor, bd.f[SR_BF_CONTACT], s->line, LINE_MAX_BYTES);
		if (n <= 0)
			continue; /* longer than a line: not announced */
		uint8_t key[SR_CTL_KEY_LEN];
		sr_ctl_record_key(&bd, key);
		for (unsigned i = 0; i < s->n; i++) {
			struct subscriber *u = &s->subs[i];
			if (u->synced || sr_ctl_announce_live_wanted(u->any_sent ? u->sent : NULL, key))
				sr_ctl_backlog_push(&u->out, s->line, (size_t)n, s->c.cuts);
		}
	}
}

void sr_ctl_listener_line(struct sr_ctl_listener *s, const char *json, size_t len)
{
	if (s->n == 0 || len + 1 > LINE_MAX_BYTES)
		return;
	memcpy(s->line, json, len);
	s->line[len] = '\n';
	for (unsigned i = 0; i < s->n; i++)
		if (s->subs[i].synced) /* live only: never part of the initial state */
			sr_ctl_backlog_push(&s->subs[i].out, s->line, len + 1, s->c.cuts);
}

struct page_ctx {
	struct sr_ctl_listener *s;
	int rc;
};

static void page_one(void *ctx, const struct sr_loc_binding *b)
{
	struct page_ctx *pc = ctx;
	if (pc->rc == 0 && sr_ctl_announce_group_add(&pc->s->group, b->aor, b->f[SR_BF_CONTACT]) > 0)
		pc->rc = 1; /* the subscriber was cut */
}

/* Sends up to a few pages of state while the subscriber's buffer has room. */
static void pump_state(struct sr_ctl_listener *s, struct subscriber *u)
{
	char err[256];
	s->cur = u;
	for (int p = 0; p < STATE_PAGES_PER_POLL && !u->synced && u->out.cut == SR_CUT_NONE; p++) {
		if (u->out.cap - u->out.len < (size_t)STATE_PAGE * LINE_MAX_BYTES) /* a page's worst case */
			break; /* wait for the subscriber to read */
		struct page_ctx pc = { s, 0 };
		uint8_t next[SR_CTL_KEY_LEN];
		int n = sr_ctl_store_page(s->st, u->any_sent ? u->sent : NULL, STATE_PAGE, page_one, &pc, next, err,
					  sizeof(err));
		if (n < 0) {
			sr_ctl_backlog_cut(&u->out, SR_CUT_ERROR, s->c.cuts);
			break;
		}
		sr_ctl_announce_group_flush(&s->group); /* a page ends every line: the merge rule needs it */
		if (n == 0) {
			size_t k = sr_ctl_announce_synced(s->line, LINE_MAX_BYTES);
			sr_ctl_backlog_push(&u->out, s->line, k, s->c.cuts);
			u->synced = true;
			break;
		}
		memcpy(u->sent, next, SR_CTL_KEY_LEN);
		u->any_sent = true;
	}
}

static long sock_write(void *ctx, const uint8_t *p, size_t n)
{
	ssize_t k = send(*(int *)ctx, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (k >= 0)
		return (long)k;
	return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
}

/* True when the peer has hung up (reads and discards what it sent). */
static bool hung_up(int fd)
{
	char junk[256];
	for (int i = 0; i < 16; i++) {
		ssize_t k = recv(fd, junk, sizeof(junk), MSG_DONTWAIT);
		if (k == 0)
			return true;
		if (k < 0)
			return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
	}
	return false;
}

void sr_ctl_listener_poll(struct sr_ctl_listener *s)
{
	for (int i = 0; i < SR_CTL_LISTENER_MAX_SUBS; i++) {
		int fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			break;
		struct subscriber *u = &s->subs[s->n];
		if (s->n == SR_CTL_LISTENER_MAX_SUBS || sr_ctl_backlog_init(&u->out, s->sub_bytes) != 0) {
			size_t n = sr_ctl_announce_cut("too many subscribers", s->line, LINE_MAX_BYTES);
			if (send(fd, s->line, n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
				errno = 0;
			close(fd);
			s->c.refused++;
			continue;
		}
		u->fd = fd;
		u->synced = u->any_sent = false;
		s->n++;
		s->c.accepted++;
	}
	for (unsigned i = 0; i < s->n;) {
		struct subscriber *u = &s->subs[i];
		if (!u->synced)
			pump_state(s, u);
		if (u->out.cut == SR_CUT_NONE && hung_up(u->fd))
			sr_ctl_backlog_cut(&u->out, SR_CUT_CLOSED, s->c.cuts);
		if (sr_ctl_backlog_flush(&u->out, sock_write, &u->fd, s->c.cuts) < 0)
			drop(s, i); /* the last one moved to i */
		else
			i++;
	}
}

void sr_ctl_listener_counts(const struct sr_ctl_listener *s, struct sr_ctl_listener_counts *c)
{
	*c = s->c;
	c->subscribers = s->n;
}
