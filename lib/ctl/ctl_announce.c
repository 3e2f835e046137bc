/*
 * ctl_announce.c - the listener stream's announcement lines (see ctl_announce.h for the protocol):
 * JSON building with string escaping into bounded caller buffers, the event
 * to message mapping, and the per-AoR grouping of the initial state.
 */
#include "ctl_announce.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum sr_ctl_announce_kind sr_ctl_announce_kind_of(enum sr_event_type t)
{
	switch (t) {
	case SR_EV_ADDED:
		return SR_ANNOUNCE_ADDED;
	case SR_EV_REMOVED:
	case SR_EV_EXPIRED:
		return SR_ANNOUNCE_REMOVED;
	case SR_EV_REFRESHED:
		break;
	}
	return SR_ANNOUNCE_NONE;
}

static void put(struct sr_ctl_announce_msg *m, const char *p, size_t n)
{
	if (m->overflow || m->cap - m->len < n) {
		m->overflow = true;
		return;
	}
	memcpy(m->buf + m->len, p, n);
	m->len += n;
}

/* A JSON string: quotes, backslash and control bytes escaped; other bytes as they are. */
static void put_json_str(struct sr_ctl_announce_msg *m, struct sr_str s)
{
	put(m, "\"", 1);
	for (size_t i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.p[i];
		char esc[8];
		if (c == '"' || c == '\\') {
			esc[0] = '\\', esc[1] = (char)c;
			put(m, esc, 2);
		} else if (c < 0x20 || c == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			put(m, esc, 6);
		} else {
			put(m, (const char *)&s.p[i], 1);
		}
	}
	put(m, "\"", 1);
}

void sr_ctl_announce_begin(struct sr_ctl_announce_msg *m, char *buf, size_t cap, enum sr_ctl_announce_kind kind,
			 struct sr_str aor)
{
	*m = (struct sr_ctl_announce_msg){ .buf = buf, .cap = cap };
	static const char added[] = "{\"event\":\"contactsAdded\",\"aor\":";
	static const char removed[] = "{\"event\":\"contactsRemoved\",\"aor\":";
	if (kind == SR_ANNOUNCE_ADDED)
		put(m, added, sizeof(added) - 1);
	else
		put(m, removed, sizeof(removed) - 1);
	put_json_str(m, aor);
	put(m, ",\"contacts\":[", 13);
}

void sr_ctl_announce_add(struct sr_ctl_announce_msg *m, struct sr_str contact)
{
	if (m->contacts++)
		put(m, ",", 1);
	put_json_str(m, contact);
}

size_t sr_ctl_announce_end(struct sr_ctl_announce_msg *m)
{
	put(m, "]}\n", 3);
	return m->overflow ? 0 : m->len;
}

long sr_ctl_announce_event(enum sr_event_type t, struct sr_str aor, struct sr_str contact, char *buf, size_t cap)
{
	enum sr_ctl_announce_kind k = sr_ctl_announce_kind_of(t);
	if (k == SR_ANNOUNCE_NONE)
		return 0;
	struct sr_ctl_announce_msg m;
	sr_ctl_announce_begin(&m, buf, cap, k, aor);
	sr_ctl_announce_add(&m, contact);
	size_t n = sr_ctl_announce_end(&m);
	return n ? (long)n : -1;
}

bool sr_ctl_announce_live_wanted(const uint8_t *sent, const uint8_t key[SR_CTL_KEY_LEN])
{
	return sent && memcmp(key, sent, SR_CTL_KEY_LEN) <= 0;
}

size_t sr_ctl_announce_synced(char *buf, size_t cap)
{
	static const char s[] = "{\"event\":\"synced\"}\n";
	if (cap < sizeof(s) - 1)
		return 0;
	memcpy(buf, s, sizeof(s) - 1);
	return sizeof(s) - 1;
}

size_t sr_ctl_announce_cut(const char *reason, char *buf, size_t cap)
{
	struct sr_ctl_announce_msg m = { .buf = buf, .cap = cap };
	static const char s[] = "{\"event\":\"cut\",\"reason\":";
	put(&m, s, sizeof(s) - 1);
	put_json_str(&m, (struct sr_str){ reason, strlen(reason) });
	put(&m, "}\n", 2);
	return m.overflow ? 0 : m.len;
}

int sr_ctl_announce_group_init(struct sr_ctl_announce_group *g, size_t cap, sr_ctl_announce_emit_fn *emit, void *ctx)
{
	*g = (struct sr_ctl_announce_group){ .cap = cap, .emit = emit, .ctx = ctx };
	g->line = malloc(cap);
	g->aor = malloc(cap);
	if (!g->line || !g->aor) {
		sr_ctl_announce_group_fini(g);
		return -1;
	}
	return 0;
}

void sr_ctl_announce_group_fini(struct sr_ctl_announce_group *g)
{
	free(g->line);
	free(g->aor);
	g->line = g->aor = NULL;
}

int sr_ctl_announce_group_flush(struct sr_ctl_announce_group *g)
{
	if (!g->open)
		return 0;
	g->open = false;
	size_t n = sr_ctl_announce_end(&g->m);
	return n ? g->emit(g->ctx, g->line, n) : -1;
}

/* Starts a line for aor with one contact; -1 when that alone does not fit. */
static int group_start(struct sr_ctl_announce_group *g, struct sr_str aor, struct sr_str contact)
{
	if (aor.len > g->cap)
		return -1;
	memcpy(g->aor, aor.p, aor.len);
	g->aor_len = aor.len;
	sr_ctl_announce_begin(&g->m, g->line, g->cap, SR_ANNOUNCE_ADDED, aor);
	sr_ctl_announce_add(&g->m, contact);
	g->open = true;
	struct sr_ctl_announce_msg probe = g->m;
	put(&probe, "]}\n", 3);
	return probe.overflow ? -1 : 0;
}

int sr_ctl_announce_group_add(struct sr_ctl_announce_group *g, struct sr_str aor, struct sr_str contact)
{
	if (g->open && aor.len == g->aor_len && memcmp(aor.p, g->aor, aor.len) == 0) {
		struct sr_ctl_announce_msg before = g->m;
		sr_ctl_announce_add(&g->m, contact);
		struct sr_ctl_announce_msg probe = g->m;
		put(&probe, "]}\n", 3);
		if (!probe.overflow)
			return 0;
		g->m = before; /* line full: send it, go on in a new line for the same AoR */
	}
	int rc = sr_ctl_announce_group_flush(g);
	if (rc)
		return rc;
	if (group_start(g, aor, contact) != 0) {
		g->open = false;
		return -1;
	}
	return 0;
}
