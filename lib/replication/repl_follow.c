/*
 * repl_follow.c - stream reading, snapshots and continuity (see
 * repl_follow.h).
 *
 * Design decisions:
 * - A restart (new target, gap, newer epoch, failed request) waits until
 *   every outstanding request has been answered, as the writer does after
 *   a failure, so no late reply is mistaken for one of the new run.
 * - The snapshot scans every master in parallel, one SCAN page each,
 *   and fetches the page's keys with pipelined HGETALLs before asking for
 *   the next page: memory stays bounded by a page per master.
 * - Values that do not decode are counted and skipped, never handed on:
 *   Redis is shared with other tools, and a bad value must not stop the
 *   standby from following.
 */
#include "repl_follow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repl_slot.h"

#define XREAD_COUNT 256
#define SCAN_COUNT "500"
#define RETRY_MS 200
#define DRAIN_MIN_MS 500

enum fstate { F_IDLE, F_TAIL, F_SCAN, F_STREAM };

struct scan_master {
	struct sr_repl_follower *f;
	unsigned idx;
	char cursor[32];
	unsigned pending;
	bool done, started;
};

struct hget {
	struct scan_master *m;
	size_t key_len;
	char key[];
};

struct sr_repl_follower {
	struct sr_repl_client *cl;
	char prefix[SR_REPL_NAME_MAX + 1];
	const uint64_t *now;
	uint32_t block_ms;
	sr_repl_follow_fn *fn;
	void *ctx;

	bool have_target;
	char node[SR_REPL_NAME_MAX + 1];
	char stream_key[2 * SR_REPL_NAME_MAX + 32];
	int stream_slot;
	uint64_t epoch;

	enum fstate st;
	bool restart, busy;
	unsigned inflight;
	uint64_t retry_at;
	char last_id[48];
	uint64_t expected;
	struct scan_master scan[SR_REPL_MAX_NODES];
	unsigned scan_n;
	uint64_t scan_gen;
	bool draining, drained;
	uint64_t drain_deadline;

	struct sr_repl_follow_stats s;
};

static void emit(struct sr_repl_follower *f, enum sr_repl_follow_kind kind, const struct sr_repl_change *c,
		 uint64_t seq)
{
	struct sr_repl_follow_ev ev = { .kind = kind, .change = c, .epoch = f->epoch, .seq = seq };
	if (f->fn)
		f->fn(f->ctx, &ev);
}

static void restart_later(struct sr_repl_follower *f, bool after_pause)
{
	f->restart = true;
	f->busy = false;
	if (after_pause)
		f->retry_at = *f->now + RETRY_MS;
}

static bool send(struct sr_repl_follower *f, int slot, int master, int argc, const char **argv,
		 const size_t *lens, uint32_t extra_ms, sr_repl_client_fn *fn, void *priv)
{
	int rc = master >= 0 ? sr_repl_client_send_master(f->cl, (unsigned)master, argc, argv, lens, extra_ms, fn, priv)
			     : sr_repl_client_send(f->cl, slot, argc, argv, lens, extra_ms, fn, priv);
	if (rc != 0)
		return false;
	f->inflight++;
	return true;
}

/* Field value of a stream entry's [f1, v1, f2, v2, ...] array, or NULL. */
static const redisReply *field(const redisReply *kv, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i + 1 < kv->elements; i += 2) {
		const redisReply *k = kv->element[i];
		if (k->type == REDIS_REPLY_STRING && k->len == n && memcmp(k->str, name, n) == 0)
			return kv->element[i + 1]->type == REDIS_REPLY_STRING ? kv->element[i + 1] : NULL;
	}
	return NULL;
}

static bool field_u64(const redisReply *kv, const char *name, uint64_t *out)
{
	const redisReply *v = field(kv, name);
	if (!v || v->len == 0 || v->len > 20)
		return false;
	uint64_t x = 0;
	for (size_t i = 0; i < v->len; i++) {
		if (v->str[i] < '0' || v->str[i] > '9')
			return false;
		x = x * 10 + (uint64_t)(v->str[i] - '0');
	}
	*out = x;
	return true;
}

static uint64_t id_ms(const char *id)
{
	return strtoull(id, NULL, 10);
}

/* ---- step 2: the snapshot ---------------------------------------------- */

static void scan_page(struct scan_master *m);

static void finish_master(struct scan_master *m)
{
	if (strcmp(m->cursor, "0") == 0)
		m->done = true;
	else
		scan_page(m);
}

static void on_hgetall(struct sr_repl_client *cl, redisReply *r, void *priv)
{
	(void)cl;
	struct hget *h = priv;
	struct scan_master *m = h->m;
	struct sr_repl_follower *f = m->f;
	f->inflight--;
	m->pending--;
	if (f->restart || f->st != F_SCAN) {
		free(h);
		return;
	}
	if (!r || r->type != REDIS_REPLY_ARRAY) {
		f->s.errors++;
		free(h);
		restart_later(f, true);
		return;
	}
	const char *aor;
	size_t aor_len;
	uint32_t now_s = (uint32_t)(*f->now / 1000);
	if (sr_repl_key_aor_parse(f->prefix, h->key, h->key_len, &aor, &aor_len)) {
		for (size_t i = 0; i + 1 < r->elements; i += 2) {
			const redisReply *k = r->element[i], *v = r->element[i + 1];
			struct sr_repl_change c = { .op = SR_REPL_ADDED, .aor = aor, .aor_len = aor_len };
			const char *why;
			if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING ||
			    !sr_repl_id_parse(k->str, k->len, &c.id) ||
			    sr_repl_envelope_decode((const uint8_t *)v->str, v->len, &c.expires, &c.rec, &c.rec_len,
						    &why) != 0 ||
			    c.rec_len == 0) {
				f->s.errors++;
				continue;
			}
			if (c.expires <= now_s) { /* expired data never comes back */
				f->s.expired_skipped++;
				continue;
			}
			f->s.bindings_read++;
			emit(f, SR_FOLLOW_BINDING, &c, 0);
		}
	}
	free(h);
	if (m->pending == 0)
		finish_master(m);
}

static void on_scan(struct sr_repl_client *cl, redisReply *r, void *priv)
{
	(void)cl;
	struct scan_master *m = priv;
	struct sr_repl_follower *f = m->f;
	f->inflight--;
	m->pending--;
	if (f->restart || f->st != F_SCAN)
		return;
	if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2 || r->element[0]->type != REDIS_REPLY_STRING ||
	    r->element[1]->type != REDIS_REPLY_ARRAY || r->element[0]->len >= sizeof(m->cursor)) {
		f->s.errors++;
		restart_later(f, true);
		return;
	}
	memcpy(m->cursor, r->element[0]->str, r->element[0]->len);
	m->cursor[r->element[0]->len] = '\0';
	const redisReply *keys = r->element[1];
	for (size_t i = 0; i < keys->elements; i++) {
		const redisReply *k = keys->element[i];
		if (k->type != REDIS_REPLY_STRING)
			continue;
		struct hget *h = malloc(sizeof(*h) + k->len);
		if (!h) {
			restart_later(f, true);
			return;
		}
		h->m = m;
		h->key_len = k->len;
		memcpy(h->key, k->str, k->len);
		const char *argv[] = { "HGETALL", h->key };
		size_t lens[] = { 7, h->key_len };
		if (!send(f, sr_repl_key_slot(h->key, h->key_len), -1, 2, argv, lens, 0, on_hgetall, h)) {
			free(h);
			restart_later(f, true);
			return;
		}
		m->pending++;
	}
	if (m->pending == 0)
		finish_master(m);
}

static void scan_page(struct scan_master *m)
{
	struct sr_repl_follower *f = m->f;
	char pattern[SR_REPL_NAME_MAX + 32];
	size_t pl = sr_repl_aor_pattern(f->prefix, pattern, sizeof(pattern));
	const char *cur = m->started ? m->cursor : "0";
	const char *argv[] = { "SCAN", cur, "MATCH", pattern, "COUNT", SCAN_COUNT, "TYPE", "hash" };
	size_t lens[] = { 4, strlen(cur), 5, pl, 5, strlen(SCAN_COUNT), 4, 4 };
	m->started = true;
	if (!send(f, 0, (int)m->idx, 8, argv, lens, 0, on_scan, m)) {
		restart_later(f, true);
		return;
	}
	m->pending++;
}

static uint64_t map_gen(const struct sr_repl_follower *f)
{
	struct sr_repl_client_counts k;
	sr_repl_client_counts(f->cl, &k);
	return k.map_refreshes;
}

static void begin_scan(struct sr_repl_follower *f)
{
	f->st = F_SCAN;
	f->s.full_reads++;
	f->s.in_snapshot = true;
	emit(f, SR_FOLLOW_SNAPSHOT_BEGIN, NULL, 0);
	f->scan_gen = map_gen(f);
	f->scan_n = sr_repl_client_masters(f->cl);
	for (unsigned i = 0; i < f->scan_n; i++)
		f->scan[i] = (struct scan_master){ .f = f, .idx = i };
	for (unsigned i = 0; i < f->scan_n && !f->restart; i++)
		scan_page(&f->scan[i]);
}

/* ---- step 1: where the stream ends -------------------------------------- */

static void on_tail(struct sr_repl_client *cl, redisReply *r, void *priv)
{
	(void)cl;
	struct sr_repl_follower *f = priv;
	f->inflight--;
	f->busy = false;
	if (f->restart || f->st != F_TAIL)
		return;
	if (!r || r->type != REDIS_REPLY_ARRAY) {
		f->s.errors++;
		restart_later(f, true);
		return;
	}
	snprintf(f->last_id, sizeof(f->last_id), "0-0");
	f->expected = 1;
	if (r->elements == 1 && r->element[0]->type == REDIS_REPLY_ARRAY && r->element[0]->elements == 2 &&
	    r->element[0]->element[0]->type == REDIS_REPLY_STRING &&
	    r->element[0]->element[1]->type == REDIS_REPLY_ARRAY) {
		const redisReply *e = r->element[0];
		uint64_t ep, last;
		snprintf(f->last_id, sizeof(f->last_id), "%s", e->element[0]->str);
		if (field_u64(e->element[1], "ep", &ep) && field_u64(e->element[1], "last", &last) && ep >= f->epoch) {
			f->epoch = ep;
			f->expected = last + 1;
		}
	}
	begin_scan(f);
}

static void send_tail(struct sr_repl_follower *f)
{
	const char *argv[] = { "XREVRANGE", f->stream_key, "+", "-", "COUNT", "1" };
	size_t lens[] = { 9, strlen(f->stream_key), 1, 1, 5, 1 };
	if (send(f, f->stream_slot, -1, 6, argv, lens, 0, on_tail, f))
		f->busy = true;
}

/* ---- step 3: the stream ------------------------------------------------- */

/* One entry; false when following must start over (already arranged). */
static bool apply_entry(struct sr_repl_follower *f, const redisReply *e)
{
	if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 || e->element[0]->type != REDIS_REPLY_STRING ||
	    e->element[1]->type != REDIS_REPLY_ARRAY) {
		f->s.errors++;
		return true;
	}
	const char *id = e->element[0]->str;
	const redisReply *kv = e->element[1];
	f->s.entries++;
	uint64_t v, ep, first = 0, last;
	const redisReply *kind = field(kv, "kind");
	if (!field_u64(kv, "v", &v) || v != SR_REPL_LAYOUT_VERSION || !field_u64(kv, "ep", &ep) || !kind ||
	    !field_u64(kv, "last", &last)) {
		f->s.errors++;
		snprintf(f->last_id, sizeof(f->last_id), "%s", id);
		return true;
	}
	uint64_t ms = id_ms(id);
	f->s.lag_ms = *f->now > ms ? *f->now - ms : 0;
	if (ep < f->epoch) { /* history from before the node's current epoch */
		snprintf(f->last_id, sizeof(f->last_id), "%s", id);
		return true;
	}
	if (ep > f->epoch) { /* promoted again: start over */
		f->epoch = ep;
		f->s.gaps++;
		restart_later(f, false);
		return false;
	}
	if (kind->len == 6 && memcmp(kind->str, "resync", 6) == 0) {
		f->s.resync_markers++;
		snprintf(f->last_id, sizeof(f->last_id), "%s", id);
		f->expected = last + 1;
		begin_scan(f);
		return false;
	}
	const redisReply *blob = field(kv, "c");
	if (!field_u64(kv, "first", &first) || !blob || first == 0 || last < first) {
		f->s.errors++;
		snprintf(f->last_id, sizeof(f->last_id), "%s", id);
		return true;
	}
	if (first > f->expected) { /* trimmed past us, or dropped by the writer */
		f->s.gaps++;
		restart_later(f, false);
		return false;
	}
	size_t off = 0;
	struct sr_repl_change c;
	const char *why;
	uint64_t seq = first;
	int rc;
	while ((rc = sr_repl_change_next((const uint8_t *)blob->str, blob->len, &off, &c, &why)) == 1) {
		if (seq < f->expected) {
			f->s.duplicates++;
		} else {
			f->s.changes++;
			f->expected = seq + 1;
			f->s.last_seq = seq;
			emit(f, SR_FOLLOW_CHANGE, &c, seq);
		}
		seq++;
	}
	if (rc < 0 || seq != last + 1)
		f->s.errors++;
	if (f->expected <= last) /* a malformed entry must not look like a gap to the next one */
		f->expected = last + 1;
	snprintf(f->last_id, sizeof(f->last_id), "%s", id);
	return true;
}

static void on_xread(struct sr_repl_client *cl, redisReply *r, void *priv)
{
	(void)cl;
	struct sr_repl_follower *f = priv;
	f->inflight--;
	f->busy = false;
	if (f->restart || f->st != F_STREAM)
		return;
	if (!r || r->type == REDIS_REPLY_ERROR) {
		f->s.errors++;
		f->retry_at = *f->now + RETRY_MS; /* same position, after a pause */
		return;
	}
	size_t n = 0;
	if (r->type == REDIS_REPLY_ARRAY && r->elements == 1 && r->element[0]->type == REDIS_REPLY_ARRAY &&
	    r->element[0]->elements == 2 && r->element[0]->element[1]->type == REDIS_REPLY_ARRAY) {
		const redisReply *entries = r->element[0]->element[1];
		n = entries->elements;
		for (size_t i = 0; i < entries->elements; i++)
			if (!apply_entry(f, entries->element[i]))
				return;
	}
	if (n == 0) /* an idle stream: nothing is late */
		f->s.lag_ms = 0;
	if (f->draining && n < XREAD_COUNT) {
		f->drained = true;
		f->st = F_IDLE;
	}
}

static void send_xread(struct sr_repl_follower *f)
{
	char block[16];
	snprintf(block, sizeof(block), "%u", f->block_ms);
	const char *argv[] = { "XREAD", "COUNT", "256", "BLOCK", block, "STREAMS", f->stream_key, f->last_id };
	size_t lens[] = { 5, 5, 3, 5, strlen(block), 7, strlen(f->stream_key), strlen(f->last_id) };
	const char *nb[] = { "XREAD", "COUNT", "256", "STREAMS", f->stream_key, f->last_id };
	size_t nbl[] = { 5, 5, 3, 7, strlen(f->stream_key), strlen(f->last_id) };
	bool ok = f->draining ? send(f, f->stream_slot, -1, 6, nb, nbl, 0, on_xread, f)
			      : send(f, f->stream_slot, -1, 8, argv, lens, f->block_ms, on_xread, f);
	if (ok)
		f->busy = true;
}

/* ---- driving ------------------------------------------------------------ */

void sr_repl_follow_step(struct sr_repl_follower *f)
{
	if (f->draining && !f->drained && f->st == F_STREAM && !f->drain_deadline) {
		uint32_t wait = 2 * f->block_ms > DRAIN_MIN_MS ? 2 * f->block_ms : DRAIN_MIN_MS;
		f->drain_deadline = *f->now + wait;
	}
	if (f->draining && !f->drained && f->drain_deadline && *f->now >= f->drain_deadline) {
		f->drained = true; /* give up waiting: what was read is what the node has */
		f->st = F_IDLE;
	}
	if (f->st == F_IDLE || !f->have_target)
		return;
	if (f->restart) {
		if (f->inflight)
			return;
		f->restart = false;
		f->st = F_TAIL;
		f->s.in_snapshot = false;
	}
	if (*f->now < f->retry_at)
		return;
	switch (f->st) {
	case F_TAIL:
		if (!f->busy)
			send_tail(f);
		break;
	case F_SCAN: {
		if (map_gen(f) != f->scan_gen) { /* the cluster changed: read again */
			restart_later(f, false);
			break;
		}
		bool done = true;
		for (unsigned i = 0; i < f->scan_n; i++)
			done &= f->scan[i].done;
		if (done && f->inflight == 0) {
			f->s.in_snapshot = false;
			emit(f, SR_FOLLOW_SNAPSHOT_END, NULL, 0);
			f->st = F_STREAM;
		}
		break;
	}
	case F_STREAM:
		if (!f->busy)
			send_xread(f);
		break;
	case F_IDLE:
		break;
	}
}

struct sr_repl_follower *sr_repl_follow_new(struct sr_repl_client *cl, const char *prefix, const uint64_t *now_ms,
					    uint32_t block_ms, sr_repl_follow_fn *fn, void *ctx)
{
	struct sr_repl_follower *f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->cl = cl;
	snprintf(f->prefix, sizeof(f->prefix), "%s", prefix);
	f->now = now_ms;
	f->block_ms = block_ms ? block_ms : 1;
	f->fn = fn;
	f->ctx = ctx;
	return f;
}

void sr_repl_follow_free(struct sr_repl_follower *f)
{
	free(f);
}

void sr_repl_follow_target(struct sr_repl_follower *f, const char *node, uint64_t epoch)
{
	if (f->have_target && f->st != F_IDLE && strcmp(f->node, node) == 0 && f->epoch == epoch)
		return;
	f->have_target = true;
	snprintf(f->node, sizeof(f->node), "%s", node);
	size_t kl = sr_repl_key_stream(f->prefix, node, f->stream_key, sizeof(f->stream_key));
	f->stream_slot = sr_repl_key_slot(f->stream_key, kl);
	f->epoch = epoch;
	f->draining = f->drained = false;
	f->drain_deadline = 0;
	f->st = F_TAIL;
	restart_later(f, false);
}

void sr_repl_follow_stop(struct sr_repl_follower *f)
{
	f->have_target = false;
	f->st = F_IDLE;
	f->s.in_snapshot = false;
}

void sr_repl_follow_drain(struct sr_repl_follower *f)
{
	if (f->draining)
		return;
	f->draining = true;
	f->drain_deadline = 0; /* set when the stream is reached: a snapshot under way is finished first */
	f->drained = !f->have_target || f->st == F_IDLE;
	if (f->drained)
		f->st = F_IDLE;
}

bool sr_repl_follow_drained(const struct sr_repl_follower *f)
{
	return f->drained;
}

void sr_repl_follow_stats(const struct sr_repl_follower *f, struct sr_repl_follow_stats *out)
{
	*out = f->s;
	out->last_epoch = f->epoch;
	out->following = f->have_target && f->st != F_IDLE;
	out->streaming = out->following && f->st == F_STREAM && !f->restart;
}
