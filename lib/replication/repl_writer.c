/*
 * repl_writer.c - chunks, settlement, retries and resynchronisation (see
 * repl_writer.h for the behaviour).
 *
 * Design decisions:
 * - A ring of up to 64 chunks in flight. Chunks may complete out of order
 *   (different masters); settlement only advances over the completed
 *   prefix, so the settled callback is always in sequence order.
 * - After a failure nothing new is sent until every outstanding reply has
 *   come back (a reply, or NULL when the connection dropped or timed out:
 *   the connection layer guarantees one or the other). Only then is the
 *   backlog rewound. So no reply ever refers to a chunk that was reused,
 *   and the re-sent changes cannot overtake older ones still in flight.
 * - Native commands, no Redis function (layout 2; built in repl_keys.c): a chunk's operations
 *   are grouped by AoR key; an AoR's puts are one HSET, its removals one
 *   HDEL, and the key's expiry (PEXPIREAT) is written only when the TTL
 *   this writer knows it gave the key (repl_ttl.h) does not cover the new
 *   binding's hour bucket, which a refresh seldom needs. A key whose
 *   operations mix kinds (a removal and a put, a resync's clear and puts)
 *   gets them in MULTI/EXEC, so no reader sees half of that change set.
 *   Ordering between AoRs needs no atomicity; per AoR it is the pipeline's
 *   (an AoR key's commands all go down one connection: its cluster master's,
 *   or its lane's on one Redis; commands in order).
 * - An HSET that creates a key and its PEXPIREAT NX are not one atomic
 *   step (MULTI/EXEC around them cost Redis 30 % more per new AoR key,
 *   bench/RESULTS.md). A writer killed between the two leaves at most one
 *   key without TTL per connection (TCP delivers a prefix of what was
 *   written): readers still filter its envelopes by their expiry, and the
 *   next resynchronisation rewrites or deletes it.
 * - Changes whose expiry has already passed are written as deletions: an
 *   expired binding must not come back, and EXPIREAT with a past time
 *   would delete the whole AoR key.
 * - The AoR keys a resynchronisation wrote are remembered as 64-bit hashes
 *   (8 bytes per AoR) for the sweep: SipHash under a random per-writer
 *   key (aor_hash), so that UAs cannot craft collisions. A chance
 *   collision would spare one stale AoR key until its TTL ends: its
 *   records are expired-filtered by readers anyway.
 */
#include "repl_writer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/random.h>

#include "repl_backlog.h"
#include "repl_cmd.h"
#include "repl_slot.h"
#include "repl_ttl.h"
#include "siphash.h"

#include "repl_writer_int.h"

/* ---- small helpers ---------------------------------------------------- */

/*
 * The hash of AoR text (the TTL table's and the resync's 'seen' key):
 * SipHash under the writer's random key, since UAs choose their AoRs. An
 * unkeyed hash lets collisions be crafted, and an AoR made to collide
 * with a known key would get a bare HSET and a key without TTL. 0 marks
 * an empty slot in both tables.
 */
static uint64_t aor_hash(const struct sr_repl_writer *w, const char *p, size_t n)
{
	uint64_t h = sr_siphash(&w->hash_key, p, n);
	return h ? h : 1;
}

static bool seen_grow(struct seen *s)
{
	size_t cap = s->cap ? s->cap * 2 : 4096;
	uint64_t *t = calloc(cap, sizeof(*t));
	if (!t)
		return false;
	for (size_t i = 0; i < s->cap; i++) {
		if (!s->slot[i])
			continue;
		size_t j = s->slot[i] & (cap - 1);
		while (t[j])
			j = (j + 1) & (cap - 1);
		t[j] = s->slot[i];
	}
	free(s->slot);
	s->slot = t;
	s->cap = cap;
	return true;
}

static bool seen_add(struct seen *s, uint64_t h)
{
	if ((s->n + 1) * 2 > s->cap && !seen_grow(s))
		return false;
	size_t j = h & (s->cap - 1);
	while (s->slot[j] && s->slot[j] != h)
		j = (j + 1) & (s->cap - 1);
	if (!s->slot[j])
		s->n++;
	s->slot[j] = h;
	return true;
}

static bool seen_has(const struct seen *s, uint64_t h)
{
	if (!s->cap)
		return false;
	size_t j = h & (s->cap - 1);
	while (s->slot[j]) {
		if (s->slot[j] == h)
			return true;
		j = (j + 1) & (s->cap - 1);
	}
	return false;
}

static void seen_clear(struct seen *s)
{
	if (s->slot)
		memset(s->slot, 0, s->cap * sizeof(*s->slot));
	s->n = 0;
}

static void note_error(struct sr_repl_writer *w, const char *what, const char *why)
{
	snprintf(w->last_error, sizeof(w->last_error), "%s: %s", what, why);
}

/* Errors that go away by themselves: retry. Anything else is Redis refusing the data. */
static bool transient(const char *e)
{
	/*
	 * EXECABORT: a command of a transaction was refused when queued. A
	 * transient refusal (OOM, a MOVED during resharding) is retried; a
	 * permanent one was already counted by the queued command's own reply,
	 * and on_exec then does not count the abort. MOVED/ASK reach here only
	 * for a command queued inside MULTI (never redirected alone, see
	 * sr_repl_w_send()): the chunk is re-sent, MULTI included, to the new owner.
	 */
	static const char *const t[] = { "LOADING",   "BUSY",		       "TRYAGAIN", "CLUSTERDOWN",
					 "MASTERDOWN", "READONLY",	       "OOM",	   "NOREPLICAS",
					 "EXECABORT", "ERR Function not found", "NOSCRIPT", "MOVED", "ASK " };
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strncmp(e, t[i], strlen(t[i])) == 0)
			return true;
	return false;
}

uint32_t sr_repl_w_now_s(const struct sr_repl_writer *w)
{
	return (uint32_t)(*w->now / 1000);
}

/* ---- settlement ------------------------------------------------------- */

static void settle(struct sr_repl_writer *w, uint64_t upto, bool durable)
{
	if (upto <= w->settled)
		return;
	w->settled = upto;
	if (w->settled_fn)
		w->settled_fn(w->ctx, upto, durable);
}

static void try_settle_drop(struct sr_repl_writer *w)
{
	if (w->drop_valid && w->drop_first <= w->settled + 1) {
		w->drop_valid = false;
		settle(w, w->drop_last, false);
	}
}

/* Changes [a, b] will never be written: settle them (not durable) once everything before is settled. */
static void drop_range(struct sr_repl_writer *w, uint64_t a, uint64_t b)
{
	if (a > b)
		return;
	w->st.events_dropped += b - a + 1;
	if (w->drop_valid) {
		/* by construction the ranges are contiguous; a gap would only be reported conservatively */
		if (a < w->drop_first)
			w->drop_first = a;
		if (b > w->drop_last)
			w->drop_last = b;
	} else {
		w->drop_valid = true;
		w->drop_first = a;
		w->drop_last = b;
	}
	try_settle_drop(w);
}

static void drop_unsent(struct sr_repl_writer *w)
{
	uint64_t first = w->q.cur_seq;
	uint64_t n = sr_repl_backlog_drop_unsent(&w->q);
	if (n)
		drop_range(w, first, first + n - 1);
}

static void close_snapshot(struct sr_repl_writer *w)
{
	if (w->snap_open && w->snap.close)
		w->snap.close(w->snap.ctx);
	w->snap_open = false;
	w->carry_valid = false;
}

static void finish_resync(struct sr_repl_writer *w)
{
	close_snapshot(w);
	w->rs = RS_NONE;
	w->st.resyncs++;
	settle(w, w->resync_upto, true);
	sr_repl_backlog_ack(&w->q, w->resync_upto);
	sr_repl_backlog_rewind(&w->q);
	try_settle_drop(w);
}

static void settle_ready(struct sr_repl_writer *w)
{
	while (w->n && w->ring[w->head].done) {
		struct chunk *c = &w->ring[w->head];
		if (c->kind == CH_CHANGES) {
			uint64_t n = c->last - c->first + 1;
			if (c->rejected)
				w->st.events_rejected += n;
			else
				w->st.events_replicated += n, w->st.batches++;
			settle(w, c->last, !c->rejected);
			sr_repl_backlog_ack(&w->q, c->last);
		} else if (c->kind == CH_MARKER) {
			finish_resync(w);
		}
		w->head = (w->head + 1) % RING;
		w->n--;
		try_settle_drop(w);
	}
}

/* ---- replies ---------------------------------------------------------- */

static void send_stage2(struct chunk *c);

/*
 * Several connections (a cluster, or lanes): stream entries in chunk
 * order. A chunk whose keys are written gets its XADD only after every
 * earlier chunk got its own: the keys of chunks complete in any order
 * (different connections), the stream must not.
 */
static void send_ready_stage2(struct sr_repl_writer *w)
{
	for (unsigned i = 0; i < w->n && !w->failing; i++) {
		struct chunk *k = &w->ring[(w->head + i) % RING];
		if (k->kind != CH_CHANGES || k->stage2 || k->done)
			continue;
		if (!k->keys_done)
			break;
		send_stage2(k);
		if (k->pending == 0) { /* nothing could be sent */
			k->failed = true;
			w->failing = true;
		}
	}
}

static void chunk_complete(struct chunk *c)
{
	struct sr_repl_writer *w = c->w;
	if (c->failed) {
		w->failing = true;
		return;
	}
	if (c->kind == CH_CHANGES && !c->stage2 && !c->rejected && !sr_repl_client_one_pipe(w->cl)) {
		c->keys_done = true;
		send_ready_stage2(w);
		return;
	}
	if (c->rejected && c->kind != CH_CHANGES) {
		/* a resynchronisation step refused for good: start over later */
		w->failing = true;
		c->failed = true;
		return;
	}
	if (c->rejected && w->rs == RS_NONE)
		w->rs = RS_PENDING; /* rewrite whatever that chunk left half done */
	c->done = true;
	settle_ready(w);
}

/* One of the chunk's replies is in; the last one completes the chunk. */
void sr_repl_w_replied(struct chunk *c)
{
	c->w->inflight--;
	c->pending--;
	if (c->pending == 0)
		chunk_complete(c);
}

/* Accounts one reply; ok: the reply has the expected shape. */
void sr_repl_w_account(struct chunk *c, redisReply *r, bool ok, const char *what)
{
	struct sr_repl_writer *w = c->w;
	if (!r) {
		c->failed = true;
		note_error(w, what, "no answer (connection lost or timed out)");
	} else if (r->type == REDIS_REPLY_ERROR) {
		w->st.redis_errors++;
		note_error(w, what, r->str);
		if (transient(r->str))
			c->failed = true;
		else
			c->rejected = true;
	} else if (!ok) {
		c->rejected = true;
		note_error(w, what, "unexpected reply");
	}
	sr_repl_w_replied(c);
}

static void on_xadd(struct sr_repl_client *cl, redisReply *r, void *priv)
{
	(void)cl;
	sr_repl_w_account(priv, r, !r || r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS, "XADD");
}

static void on_wait(struct sr_repl_client *cl, redisReply *r, void *priv)
{
	(void)cl;
	struct chunk *c = priv;
	struct sr_repl_writer *w = c->w;
	if (r && r->type == REDIS_REPLY_INTEGER && r->integer < (long long)w->cfg.wait_replicas) {
		w->st.wait_shortfalls++;
		c->failed = true; /* written, but not on enough replicas yet: sent again after a pause */
		char why[96];
		snprintf(why, sizeof(why), "%lld of %u replicas acknowledged", r->integer, w->cfg.wait_replicas);
		note_error(w, "WAIT", why);
	}
	sr_repl_w_account(c, r, !r || r->type == REDIS_REPLY_INTEGER, "WAIT");
}

/* ---- sending ---------------------------------------------------------- */

bool sr_repl_w_send(struct sr_repl_writer *w, struct chunk *c, int slot, int master, sr_repl_client_fn *fn)
{
	if (!sr_repl_cmd_argv(&w->cmd))
		return false;
	/*
	 * A command queued inside MULTI must not be redirected: re-sent alone
	 * to the slot's new owner it would run outside its transaction (a
	 * removal without its put) while EXEC on the old node aborts.
	 */
	unsigned flags = w->in_multi ? SR_REPL_NO_REDIRECT : 0;
	int rc = master >= 0 ? sr_repl_client_send_master(w->cl, (unsigned)master, (int)w->cmd.n, w->cmd.argv,
							  w->cmd.lens, 0, fn, c)
			     : sr_repl_client_send_flags(w->cl, slot, (int)w->cmd.n, w->cmd.argv, w->cmd.lens,
							 fn == on_wait ? w->cfg.wait_timeout_ms : 0, flags, fn, c);
	if (rc != 0)
		return false;
	c->pending++;
	w->inflight++;
	return true;
}

static bool send_wait(struct sr_repl_writer *w, struct chunk *c, int slot, int master)
{
	struct sr_repl_cmd *k = &w->cmd;
	sr_repl_cmd_reset(k);
	sr_repl_cmd_str(k, "WAIT");
	sr_repl_cmd_u64(k, w->cfg.wait_replicas);
	sr_repl_cmd_u64(k, w->cfg.wait_timeout_ms);
	if (master >= 0) { /* WAIT must not be routed by slot: it is about one connection */
		if (!sr_repl_cmd_argv(k) ||
		    sr_repl_client_send_master(w->cl, (unsigned)master, (int)k->n, k->argv, k->lens,
					       w->cfg.wait_timeout_ms, on_wait, c) != 0)
			return false;
		c->pending++;
		w->inflight++;
		return true;
	}
	return sr_repl_w_send(w, c, slot, -1, on_wait);
}

/* XADD <stream> MAXLEN ~ <len> * v 1 ep <epoch> kind <kind> (the fields every entry has). */
static void xadd_head(struct sr_repl_writer *w, const char *kind)
{
	struct sr_repl_cmd *k = &w->cmd;
	sr_repl_cmd_reset(k);
	sr_repl_cmd_str(k, "XADD");
	sr_repl_cmd_str(k, w->stream_key);
	sr_repl_cmd_str(k, "MAXLEN");
	sr_repl_cmd_str(k, "~");
	sr_repl_cmd_u64(k, w->cfg.stream_len);
	sr_repl_cmd_str(k, "*");
	sr_repl_cmd_str(k, "v");
	sr_repl_cmd_u64(k, SR_REPL_LAYOUT_VERSION);
	sr_repl_cmd_str(k, "ep");
	sr_repl_cmd_u64(k, w->epoch);
	sr_repl_cmd_str(k, "kind");
	sr_repl_cmd_str(k, kind);
}

static bool send_xadd_changes(struct sr_repl_writer *w, struct chunk *c)
{
	struct sr_repl_cmd *k = &w->cmd;
	xadd_head(w, "changes");
	sr_repl_cmd_str(k, "first");
	sr_repl_cmd_u64(k, c->first - w->epoch_base);
	sr_repl_cmd_str(k, "last");
	sr_repl_cmd_u64(k, c->last - w->epoch_base);
	sr_repl_cmd_str(k, "c");
	sr_repl_cmd_ref(k, c->blob, c->blob_len);
	return sr_repl_w_send(w, c, w->stream_slot, -1, on_xadd);
}

/* Several connections: the keys are written; now the stream entry, then WAIT where the writes went. */
static void send_stage2(struct chunk *c)
{
	struct sr_repl_writer *w = c->w;
	c->stage2 = true;
	if (!send_xadd_changes(w, c)) {
		note_error(w, "XADD", "the stream's master is not reachable");
		return;
	}
	if (!w->cfg.wait_replicas)
		return;
	int sm = sr_repl_client_master_of(w->cl, w->stream_slot);
	if (!send_wait(w, c, w->stream_slot, -1))
		c->failed = true;
	for (unsigned i = 0; i < SR_REPL_MAX_NODES && i < 64; i++)
		if ((c->masters >> i & 1) && (int)i != sm && !send_wait(w, c, 0, (int)i))
			c->failed = true;
}

static bool prep_room(struct sr_repl_writer *w, size_t n)
{
	if (n <= w->prep_cap)
		return true;
	size_t cap = w->prep_cap ? w->prep_cap : 256;
	while (cap < n)
		cap *= 2;
	struct prep *p = realloc(w->prep, cap * sizeof(*p));
	if (!p)
		return false;
	w->prep = p;
	unsigned *o = realloc(w->order, cap * sizeof(*o));
	if (!o)
		return false;
	w->order = o;
	unsigned *l = realloc(w->link, cap * 2 * sizeof(*l)); /* link, then each head's tail */
	if (!l)
		return false;
	w->link = l;
	unsigned *g = calloc(cap * 2, sizeof(*g)); /* at most half full */
	if (!g)
		return false;
	free(w->group);
	w->group = g;
	w->prep_cap = cap;
	return true;
}

/* Prepares one operation on an AoR key; false when memory is short. */
static bool prep_op(struct sr_repl_writer *w, unsigned i, char code, const char *aor, size_t aor_len, uint64_t id,
		    uint32_t expires, const uint8_t *env, size_t env_len)
{
	size_t need = aor_len + 2 * SR_REPL_NAME_MAX + 32;
	if (w->keys_cap - w->keys_len < need) {
		size_t cap = w->keys_cap ? w->keys_cap : 65536;
		while (cap - w->keys_len < need)
			cap *= 2;
		char *k = realloc(w->keys, cap);
		if (!k)
			return false;
		w->keys = k;
		w->keys_cap = cap;
	}
	struct prep *p = &w->prep[i];
	size_t kl = sr_repl_key_aor(w->prefix, aor, aor_len, w->keys + w->keys_len, w->keys_cap - w->keys_len);
	if (kl == 0)
		return false;
	p->key_off = (uint32_t)w->keys_len;
	p->key_len = (uint32_t)kl;
	w->keys_len += kl;
	p->slot = sr_repl_client_one_pipe(w->cl) ? 0 : sr_repl_key_slot(w->keys + p->key_off, kl);
	p->key_hash = aor_hash(w, w->keys + p->key_off, kl);
	p->code = code;
	sr_repl_id_hex(id, p->id);
	p->expires = expires;
	p->env = env;
	p->env_len = env_len;
	return true;
}

static struct chunk *new_chunk(struct sr_repl_writer *w, enum chunk_kind kind)
{
	struct chunk *c = &w->ring[(w->head + w->n) % RING];
	uint8_t *blob = c->blob;
	size_t cap = c->blob_cap;
	memset(c, 0, sizeof(*c));
	c->blob = blob;
	c->blob_cap = cap;
	c->w = w;
	c->kind = kind;
	w->n++;
	return c;
}

static bool blob_room(struct chunk *c, size_t n)
{
	if (c->blob_cap - c->blob_len >= n)
		return true;
	size_t cap = c->blob_cap ? c->blob_cap : 65536;
	while (cap - c->blob_len < n)
		cap *= 2;
	uint8_t *b = realloc(c->blob, cap);
	if (!b)
		return false;
	c->blob = b;
	c->blob_cap = cap;
	return true;
}

/* Ends a chunk whose sending failed part way: what was sent is answered, then the writer recovers. */
static void abandon(struct sr_repl_writer *w, struct chunk *c)
{
	c->failed = true;
	w->failing = true;
	if (c->pending == 0)
		chunk_complete(c);
}

/* One chunk of ordinary changes from the backlog's send cursor. */
static void send_changes(struct sr_repl_writer *w)
{
	struct sr_repl_backlog_item it;
	if (!sr_repl_backlog_peek(&w->q, &it))
		return;
	struct chunk *c = new_chunk(w, CH_CHANGES);
	c->first = it.seq;
	w->keys_len = 0;
	unsigned n = 0;
	uint32_t ts = sr_repl_w_now_s(w);
	bool ok = prep_room(w, w->cfg.batch_events);
	while (ok && n < w->cfg.batch_events && sr_repl_backlog_peek(&w->q, &it)) {
		const struct sr_repl_change *ch = &it.c;
		bool put = sr_repl_op_is_put(ch->op) && ch->expires > ts;
		size_t sz = sr_repl_change_size(ch);
		ok = sz && blob_room(c, sz) &&
		     prep_op(w, n, put ? 'p' : 'd', ch->aor, ch->aor_len, ch->id, ch->expires, put ? it.env : NULL,
			     put ? it.env_len : 0);
		if (!ok)
			break;
		c->blob_len += sr_repl_change_encode(ch, c->blob + c->blob_len, c->blob_cap - c->blob_len);
		c->last = it.seq;
		sr_repl_backlog_advance(&w->q);
		n++;
	}
	if (!ok || !sr_repl_keys_send(w, c, n)) {
		note_error(w, "replication", ok ? "a master is not reachable" : "out of memory");
		abandon(w, c);
		return;
	}
	if (!sr_repl_client_one_pipe(w->cl))
		return; /* stage 2 (stream entry, WAIT) once the keys are written (several connections) */
	c->stage2 = true;
	/* one connection: the pipeline keeps keys-then-stream order */
	if (!send_xadd_changes(w, c) || (w->cfg.wait_replicas && !send_wait(w, c, 0, -1)))
		abandon(w, c);
}

/* ---- resynchronisation ------------------------------------------------ */

static void start_resync(struct sr_repl_writer *w)
{
	if (!w->snap.open || w->snap.open(w->snap.ctx) != 0) {
		w->st.resync_failures++;
		note_error(w, "resync", "the node's own state cannot be read");
		w->retry_at = *w->now + RETRY_MS * 10;
		return;
	}
	w->snap_open = true;
	w->snap_done = false;
	w->carry_valid = false;
	w->last_aor_len = 0;
	w->resync_upto = sr_repl_backlog_last_seq(&w->q);
	seen_clear(&w->seen);
	sr_repl_ttl_clear(&w->ttl);
	w->rs = RS_WRITING;
}

static bool keep_carry(struct sr_repl_writer *w, const struct sr_repl_change *ch)
{
	size_t need = ch->aor_len + ch->rec_len;
	if (need > w->carry_cap) {
		uint8_t *b = realloc(w->carry, need);
		if (!b)
			return false;
		w->carry = b;
		w->carry_cap = need;
	}
	memcpy(w->carry, ch->aor, ch->aor_len);
	memcpy(w->carry + ch->aor_len, ch->rec, ch->rec_len);
	w->carry_c = *ch;
	w->carry_c.aor = (const char *)w->carry;
	w->carry_c.rec = w->carry + ch->aor_len;
	w->carry_valid = true;
	return true;
}

static bool remember_aor(struct sr_repl_writer *w, const struct sr_repl_change *ch)
{
	if (ch->aor_len > w->last_aor_cap) {
		char *b = realloc(w->last_aor, ch->aor_len);
		if (!b)
			return false;
		w->last_aor = b;
		w->last_aor_cap = ch->aor_len;
	}
	memcpy(w->last_aor, ch->aor, ch->aor_len);
	w->last_aor_len = ch->aor_len;
	return true;
}

/*
 * One chunk of the snapshot: each AoR's first binding is preceded by a
 * clear of its key; a chunk ends at an AoR boundary once it holds
 * batch_events operations. The records need envelopes (the snapshot
 * gives bare records), built in the chunk's buffer.
 */
static void send_resync_chunk(struct sr_repl_writer *w)
{
	struct chunk *c = new_chunk(w, CH_RESYNC);
	w->keys_len = 0;
	unsigned n = 0;
	uint32_t ts = sr_repl_w_now_s(w);
	int rc = 1;
	bool ok = true;
	/* pass 1: envelopes into the blob (it may move while growing), offsets into prep */
	while (ok) {
		struct sr_repl_change ch;
		if (w->carry_valid) {
			ch = w->carry_c;
			w->carry_valid = false;
		} else {
			rc = w->snap.next(w->snap.ctx, &ch);
			if (rc <= 0)
				break;
		}
		bool new_aor = ch.aor_len != w->last_aor_len || memcmp(ch.aor, w->last_aor, ch.aor_len) != 0;
		if (new_aor && n >= w->cfg.batch_events) {
			ok = keep_carry(w, &ch);
			break;
		}
		if (!prep_room(w, n + 2)) {
			ok = false;
			break;
		}
		if (new_aor) {
			if (!remember_aor(w, &ch) || !seen_add(&w->seen, aor_hash(w, ch.aor, ch.aor_len)) ||
			    !prep_op(w, n++, 'c', ch.aor, ch.aor_len, 0, 0, NULL, 0)) {
				ok = false;
				break;
			}
		}
		if (ch.expires <= ts || !ch.rec_len)
			continue;
		size_t el = SR_REPL_ENVELOPE_HDR + ch.rec_len;
		if (!blob_room(c, el) || !prep_op(w, n, 'p', ch.aor, ch.aor_len, ch.id, ch.expires, NULL, el)) {
			ok = false;
			break;
		}
		sr_repl_envelope_encode(ch.expires, ch.rec, ch.rec_len, c->blob + c->blob_len, el);
		w->prep[n].env = (const uint8_t *)(uintptr_t)c->blob_len; /* an offset until the blob stops moving */
		c->blob_len += el;
		n++;
	}
	if (rc < 0 || !ok) {
		note_error(w, "resync", rc < 0 ? "reading the node's own state failed" : "out of memory");
		abandon(w, c);
		return;
	}
	if (rc == 0 && !w->carry_valid) {
		w->snap_done = true;
		close_snapshot(w);
	}
	for (unsigned i = 0; i < n; i++) /* pass 2: offsets become pointers */
		if (w->prep[i].code == 'p')
			w->prep[i].env = c->blob + (uintptr_t)w->prep[i].env;
	if (n == 0) { /* nothing left to write */
		c->done = true;
		settle_ready(w);
		return;
	}
	if (!sr_repl_keys_send(w, c, n))
		abandon(w, c);
}

static void sweep_next(struct sweep_master *m);

static void on_unlink(struct sr_repl_client *cl, redisReply *r, void *priv)
{
	(void)cl;
	struct sweep_master *m = priv;
	struct sr_repl_writer *w = m->w;
	w->inflight--;
	m->pending--;
	if (!r || r->type == REDIS_REPLY_ERROR) {
		note_error(w, "resync sweep UNLINK", r ? r->str : "no answer");
		w->failing = true;
	}
	if (m->pending == 0 && !w->failing)
		sweep_next(m);
}

static void on_scan(struct sr_repl_client *cl, redisReply *r, void *priv)
{
	(void)cl;
	struct sweep_master *m = priv;
	struct sr_repl_writer *w = m->w;
	w->inflight--;
	m->pending--;
	if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2 || r->element[0]->type != REDIS_REPLY_STRING ||
	    r->element[1]->type != REDIS_REPLY_ARRAY || r->element[0]->len >= sizeof(m->cursor)) {
		note_error(w, "resync sweep SCAN", r && r->type == REDIS_REPLY_ERROR ? r->str : "no answer");
		w->failing = true;
		return;
	}
	memcpy(m->cursor, r->element[0]->str, r->element[0]->len);
	m->cursor[r->element[0]->len] = '\0';
	const redisReply *keys = r->element[1];
	for (size_t i = 0; i < keys->elements && !w->failing; i++) {
		const redisReply *k = keys->element[i];
		const char *aor;
		size_t aor_len;
		if (k->type != REDIS_REPLY_STRING ||
		    !sr_repl_key_aor_parse(w->prefix, k->str, k->len, &aor, &aor_len) ||
		    seen_has(&w->seen, aor_hash(w, aor, aor_len)))
			continue;
		/* an AoR the node no longer has: delete it (one key per call: keys of any slot) */
		struct sr_repl_cmd *c = &w->cmd;
		sr_repl_cmd_reset(c);
		sr_repl_cmd_str(c, "UNLINK");
		sr_repl_cmd_ref(c, k->str, k->len);
		if (!sr_repl_cmd_argv(c) ||
		    sr_repl_client_send(w->cl, sr_repl_key_slot(k->str, k->len), (int)c->n, c->argv, c->lens, 0,
					on_unlink, m) != 0) {
			note_error(w, "resync sweep", "a master is not reachable");
			w->failing = true;
			break;
		}
		m->pending++;
		w->inflight++;
	}
	if (strcmp(m->cursor, "0") == 0 && m->pending == 0)
		m->done = true;
	else if (m->pending == 0 && !w->failing)
		sweep_next(m);
}

static void sweep_next(struct sweep_master *m)
{
	struct sr_repl_writer *w = m->w;
	if (strcmp(m->cursor, "0") == 0) {
		m->done = true;
		return;
	}
	char pattern[SR_REPL_NAME_MAX + 32];
	sr_repl_aor_pattern(w->prefix, pattern, sizeof(pattern));
	struct sr_repl_cmd *c = &w->cmd;
	sr_repl_cmd_reset(c);
	sr_repl_cmd_str(c, "SCAN");
	sr_repl_cmd_str(c, strcmp(m->cursor, "start") == 0 ? "0" : m->cursor);
	sr_repl_cmd_str(c, "MATCH");
	sr_repl_cmd_str(c, pattern);
	sr_repl_cmd_str(c, "COUNT");
	sr_repl_cmd_str(c, SWEEP_COUNT);
	if (!sr_repl_cmd_argv(c) ||
	    sr_repl_client_send_master(w->cl, m->idx, (int)c->n, c->argv, c->lens, 0, on_scan, m) != 0) {
		note_error(w, "resync sweep", "a master is not reachable");
		w->failing = true;
		return;
	}
	m->pending++;
	w->inflight++;
}

static uint64_t map_gen(const struct sr_repl_writer *w)
{
	struct sr_repl_client_counts k;
	sr_repl_client_counts(w->cl, &k);
	return k.map_refreshes;
}

static void start_sweep(struct sr_repl_writer *w)
{
	w->rs = RS_SWEEP;
	w->sweep_gen = map_gen(w);
	/* one Redis's lanes share one keyspace: one SCAN of it */
	w->sweep_n = sr_repl_client_is_cluster(w->cl) ? sr_repl_client_masters(w->cl) : 1;
	for (unsigned i = 0; i < w->sweep_n; i++) {
		w->sweep[i] = (struct sweep_master){ .w = w, .idx = i };
		snprintf(w->sweep[i].cursor, sizeof(w->sweep[i].cursor), "start");
	}
	for (unsigned i = 0; i < w->sweep_n && !w->failing; i++)
		sweep_next(&w->sweep[i]);
}

static void send_marker(struct sr_repl_writer *w)
{
	w->rs = RS_MARKER;
	struct chunk *c = new_chunk(w, CH_MARKER);
	struct sr_repl_cmd *k = &w->cmd;
	xadd_head(w, "resync");
	sr_repl_cmd_str(k, "last");
	sr_repl_cmd_u64(k, w->resync_upto - w->epoch_base);
	bool ok = sr_repl_w_send(w, c, w->stream_slot, -1, on_xadd);
	/* with WAIT, every master confirms the rewritten keys before they count as durable */
	for (unsigned i = 0; ok && w->cfg.wait_replicas && i < sr_repl_client_masters(w->cl); i++)
		ok = send_wait(w, c, 0, (int)i);
	if (!ok)
		abandon(w, c);
}

static void resync_step(struct sr_repl_writer *w)
{
	switch (w->rs) {
	case RS_PENDING:
		if (w->n == 0 && w->inflight == 0)
			start_resync(w);
		break;
	case RS_WRITING:
		while (!w->snap_done && w->n < RING && !w->failing && w->rs == RS_WRITING)
			send_resync_chunk(w);
		if (w->snap_done && w->n == 0 && !w->failing)
			start_sweep(w);
		break;
	case RS_SWEEP: {
		if (map_gen(w) != w->sweep_gen) { /* the cluster changed under the sweep: sweep again */
			if (w->inflight == 0)
				start_sweep(w);
			break;
		}
		bool done = true;
		for (unsigned i = 0; i < w->sweep_n; i++)
			done &= w->sweep[i].done;
		if (done && w->inflight == 0)
			send_marker(w);
		break;
	}
	case RS_NONE:
	case RS_MARKER:
		break;
	}
}

/* ---- recovery and the public calls ------------------------------------ */

static void recover(struct sr_repl_writer *w)
{
	w->failing = false;
	w->st.retries++;
	w->n = 0; /* every reply is in: no chunk is referenced any more */
	sr_repl_ttl_clear(&w->ttl); /* Redis may have lost keys (a restart): their TTLs are not known */
	if (w->rs != RS_NONE) {
		if (w->rs != RS_PENDING)
			w->st.resync_failures++;
		close_snapshot(w);
		w->rs = RS_PENDING;
	}
	sr_repl_backlog_rewind(&w->q);
	if (!w->active) {
		w->rs = RS_NONE;
		drop_unsent(w);
	}
	w->retry_at = *w->now + RETRY_MS;
}

struct sr_repl_writer *sr_repl_writer_new(const struct sr_repl_writer_cfg *cfg, struct sr_repl_client *cl,
					  const uint64_t *now_ms, sr_repl_settled_fn *settled, void *ctx,
					  const struct sr_repl_snapshot_src *snap)
{
	struct sr_repl_writer *w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->cfg = *cfg;
	snprintf(w->prefix, sizeof(w->prefix), "%s", cfg->prefix);
	snprintf(w->node, sizeof(w->node), "%s", cfg->node);
	w->cfg.prefix = w->prefix;
	w->cfg.node = w->node;
	if (w->cfg.batch_events == 0)
		w->cfg.batch_events = 1;
	size_t kl = sr_repl_key_stream(w->prefix, w->node, w->stream_key, sizeof(w->stream_key));
	w->stream_slot = sr_repl_key_slot(w->stream_key, kl);
	w->cl = cl;
	w->now = now_ms;
	w->settled_fn = settled;
	w->ctx = ctx;
	if (snap)
		w->snap = *snap;
	if (getrandom(&w->hash_key, sizeof(w->hash_key), 0) != (ssize_t)sizeof(w->hash_key)) {
		free(w); /* nothing else allocated yet */
		return NULL;
	}
	sr_repl_backlog_init(&w->q, 1);
	sr_repl_cmd_init(&w->cmd);
	if (sr_repl_ttl_init(&w->ttl, cfg->ttl_entries ? cfg->ttl_entries : SR_REPL_TTL_ENTRIES) != 0) {
		sr_repl_writer_free(w);
		return NULL;
	}
	return w;
}

void sr_repl_writer_free(struct sr_repl_writer *w)
{
	if (!w)
		return;
	close_snapshot(w);
	sr_repl_backlog_fini(&w->q);
	sr_repl_cmd_fini(&w->cmd);
	sr_repl_ttl_fini(&w->ttl);
	for (unsigned i = 0; i < RING; i++)
		free(w->ring[i].blob);
	free(w->keys);
	free(w->prep);
	free(w->order);
	free(w->link);
	free(w->group);
	free(w->carry);
	free(w->last_aor);
	free(w->seen.slot);
	free(w);
}

void sr_repl_writer_activate(struct sr_repl_writer *w, uint64_t epoch, bool resync)
{
	w->active = true;
	w->epoch = epoch;
	sr_repl_ttl_clear(&w->ttl); /* another node may have written the keys since */
	w->epoch_base = sr_repl_backlog_last_seq(&w->q); /* the epoch's first change is number 1 on the stream */
	if (resync)
		w->rs = RS_PENDING;
}

void sr_repl_writer_deactivate(struct sr_repl_writer *w)
{
	if (!w->active)
		return;
	w->active = false;
	if (w->rs != RS_NONE) {
		close_snapshot(w);
		w->rs = RS_NONE;
	}
	drop_unsent(w); /* what is in flight settles by its replies */
}

void sr_repl_writer_request_resync(struct sr_repl_writer *w)
{
	if (w->active && w->rs == RS_NONE)
		w->rs = RS_PENDING;
}

uint64_t sr_repl_writer_add(struct sr_repl_writer *w, const struct sr_repl_change *c)
{
	if (!w->active)
		return 0;
	if (sr_repl_change_size(c) == 0 || c->aor_len == 0 || sr_repl_op_is_put(c->op) != (c->rec_len > 0)) {
		w->st.events_invalid++; /* cannot be encoded: refused here rather than blocking the pipeline */
		return 0;
	}
	if (w->q.count >= w->cfg.backlog_events) {
		/* overflow: what is not yet sent is dropped; a full resynchronisation will cover it */
		drop_unsent(w);
		if (w->rs == RS_WRITING || w->rs == RS_SWEEP || w->rs == RS_MARKER) {
			w->failing = true; /* abandons the running one once its replies are in */
		} else {
			w->rs = RS_PENDING;
		}
		note_error(w, "replication", "backlog full (replication.backlog_events): full resynchronisation");
	}
	return sr_repl_backlog_add(&w->q, c, *w->now);
}

void sr_repl_writer_step(struct sr_repl_writer *w)
{
	if (w->failing) {
		if (w->inflight)
			return;
		recover(w);
	}
	if (*w->now < w->retry_at || !w->active || !sr_repl_client_ready(w->cl))
		return;
	if (w->rs != RS_NONE) {
		resync_step(w);
		return;
	}
	while (w->n < RING && !w->failing && sr_repl_backlog_peek(&w->q, &(struct sr_repl_backlog_item){ 0 }))
		send_changes(w);
}

bool sr_repl_writer_available(const struct sr_repl_writer *w)
{
	return w->active && w->rs == RS_NONE && !w->failing && !w->drop_valid && sr_repl_client_ready(w->cl) &&
	       w->q.count < w->cfg.backlog_events;
}

bool sr_repl_writer_idle(const struct sr_repl_writer *w)
{
	return w->q.count == 0 && w->n == 0 && w->inflight == 0 && w->rs == RS_NONE;
}

void sr_repl_writer_stats(const struct sr_repl_writer *w, struct sr_repl_writer_stats *out)
{
	*out = w->st;
	out->backlog_events = w->q.count;
	out->backlog_bytes = w->q.bytes;
	struct sr_repl_backlog_item it;
	out->lag_ms = sr_repl_backlog_front(&w->q, &it) && *w->now > it.added_ms ? *w->now - it.added_ms : 0;
	out->last_seq = sr_repl_backlog_last_seq(&w->q);
	out->settled_seq = w->settled;
	out->resync_pending = w->rs != RS_NONE;
}

const char *sr_repl_writer_last_error(const struct sr_repl_writer *w)
{
	return w->last_error;
}
