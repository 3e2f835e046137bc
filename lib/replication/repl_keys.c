/*
 * repl_keys.c - a chunk's operations on AoR keys as native Redis commands
 * (layout 2, docs/REPLICATION.md): grouped by key, one HSET of an AoR's
 * puts, one HDEL of its removals, DEL for a resynchronisation's clear, the
 * key's expiry only when the TTL this writer knows it gave the key falls
 * short (repl_ttl.h), and MULTI/EXEC around a key whose operations mix
 * kinds; and the replies of those commands. The chunks, their settlement
 * and retries are repl_writer.c's.
 */
#include <string.h>

#include "repl_writer_int.h"

/* HSET, HDEL, DEL, PEXPIREAT answer integers; MULTI OK and each command inside it QUEUED. */
static void on_key(struct sr_repl_client *cl, redisReply *r, void *priv)
{
	(void)cl;
	sr_repl_w_account(priv, r, !r || r->type == REDIS_REPLY_INTEGER || r->type == REDIS_REPLY_STATUS, "key write");
}

/* EXEC: an array of the commands' replies; an error among them counts as the reply. */
static void on_exec(struct sr_repl_client *cl, redisReply *r, void *priv)
{
	(void)cl;
	struct chunk *c = priv;
	if (r && r->type == REDIS_REPLY_ERROR && c->rejected && strncmp(r->str, "EXECABORT", 9) == 0) {
		/*
		 * The abort repeats a queued command's refusal, already counted
		 * as permanent by its own reply: counted transient, it would
		 * make the writer retry the chunk forever instead of taking
		 * "rejected -> resync" (chunk_complete checks failed first).
		 */
		sr_repl_w_replied(c);
		return;
	}
	redisReply *first_error = NULL;
	for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements && !first_error; i++)
		if (r->element[i]->type == REDIS_REPLY_ERROR)
			first_error = r->element[i];
	sr_repl_w_account(c, first_error ? first_error : r, !r || r->type == REDIS_REPLY_ARRAY, "EXEC");
}

static bool same_key(const struct sr_repl_writer *w, const struct prep *x, const struct prep *y)
{
	return x->key_hash == y->key_hash && x->key_len == y->key_len &&
	       memcmp(w->keys + x->key_off, w->keys + y->key_off, x->key_len) == 0;
}

/*
 * Fills order[0, n) with the operations grouped by key: keys in the order
 * of their first operation, each key's operations in arrival order. A
 * hash table of group heads (linear probing on the key's hash), O(n):
 * a sort cost the writer 17 % of its instructions. Slots need no
 * grouping: every command goes to its own key's master.
 */
static void group_by_key(struct sr_repl_writer *w, unsigned n)
{
	size_t mask = w->prep_cap * 2 - 1;
	unsigned *next = w->link, *tail = w->link + w->prep_cap;
	for (unsigned i = 0; i < n; i++) {
		const struct prep *p = &w->prep[i];
		size_t h = p->key_hash & mask;
		while (w->group[h] && !same_key(w, &w->prep[w->group[h] - 1], p))
			h = (h + 1) & mask;
		next[i] = 0;
		if (!w->group[h]) {
			w->group[h] = i + 1;
			tail[i] = i;
		} else {
			unsigned head = w->group[h] - 1;
			next[tail[head]] = i + 1;
			tail[head] = i;
			tail[i] = UINT32_MAX; /* not a head */
		}
	}
	unsigned k = 0;
	for (unsigned i = 0; i < n; i++) {
		if (tail[i] == UINT32_MAX)
			continue;
		for (unsigned j = i + 1; j; j = next[j - 1])
			w->order[k++] = j - 1;
	}
	memset(w->group, 0, (mask + 1) * sizeof(*w->group));
}

/* Sends VERB [key]; on_reply is on_exec for EXEC (its reply settles the transaction), on_key otherwise. */
static bool send_key_cmd(struct sr_repl_writer *w, struct chunk *c, int slot, const char *verb, const struct prep *p,
			 sr_repl_client_fn *on_reply)
{
	struct sr_repl_cmd *k = &w->cmd;
	sr_repl_cmd_reset(k);
	sr_repl_cmd_str(k, verb);
	if (p)
		sr_repl_cmd_ref(k, w->keys + p->key_off, p->key_len);
	return sr_repl_w_send(w, c, slot, -1, on_reply);
}

static bool send_expiry(struct sr_repl_writer *w, struct chunk *c, const struct prep *p, uint64_t ttl_s,
			const char *flag)
{
	struct sr_repl_cmd *k = &w->cmd;
	sr_repl_cmd_reset(k);
	sr_repl_cmd_str(k, "PEXPIREAT");
	sr_repl_cmd_ref(k, w->keys + p->key_off, p->key_len);
	sr_repl_cmd_u64(k, ttl_s * 1000);
	sr_repl_cmd_str(k, flag);
	return sr_repl_w_send(w, c, p->slot, -1, on_key);
}

/*
 * The operations run[0..n) of one key (indexes into prep), same code:
 * one HSET of every field (a later put of the same id overrides), one
 * HDEL, or one DEL; then the key's expiry when a put needs it
 * (repl_ttl.h).
 */
static bool send_ops(struct sr_repl_writer *w, struct chunk *c, const unsigned *run, unsigned n)
{
	const struct prep *p = &w->prep[run[0]];
	if (p->code == 'c') {
		sr_repl_ttl_forget(&w->ttl, p->key_hash);
		return send_key_cmd(w, c, p->slot, "DEL", p, on_key);
	}
	struct sr_repl_cmd *k = &w->cmd;
	sr_repl_cmd_reset(k);
	sr_repl_cmd_str(k, p->code == 'p' ? "HSET" : "HDEL");
	sr_repl_cmd_ref(k, w->keys + p->key_off, p->key_len);
	uint32_t latest = 0;
	for (unsigned i = 0; i < n; i++) {
		const struct prep *q = &w->prep[run[i]];
		sr_repl_cmd_ref(k, q->id, SR_REPL_ID_HEX);
		if (q->code == 'p')
			sr_repl_cmd_ref(k, q->env, q->env_len);
		if (q->expires > latest)
			latest = q->expires;
	}
	if (!sr_repl_w_send(w, c, p->slot, -1, on_key))
		return false;
	if (p->code == 'd') {
		sr_repl_ttl_forget(&w->ttl, p->key_hash); /* the last field gone deletes the key */
		return true;
	}
	uint64_t ttl = sr_repl_key_ttl_s(latest);
	switch (sr_repl_ttl_put(&w->ttl, p->key_hash, ttl, sr_repl_w_now_s(w))) {
	case SR_TTL_NONE:
		return true;
	case SR_TTL_NEW: /* the HSET may have created the key: no TTL yet, which GT would not replace */
		if (!send_expiry(w, c, p, ttl, "NX"))
			return false;
		/* fall through */
	case SR_TTL_GT:
		return send_expiry(w, c, p, ttl, "GT");
	}
	return false;
}

/*
 * Sends the prepared operations [0, n) as native commands, grouped by
 * key. A key whose operations mix kinds (a removal and a put,
 * a resync's clear and puts) gets them inside MULTI/EXEC, so no reader
 * sees a half-applied change set; a key with one kind needs no
 * transaction (one command, or a command and its expiry).
 */
bool sr_repl_keys_send(struct sr_repl_writer *w, struct chunk *c, unsigned n)
{
	group_by_key(w, n);
	for (unsigned a = 0; a < n;) {
		const struct prep *p = &w->prep[w->order[a]];
		unsigned b = a + 1;
		bool mixed = false;
		for (; b < n && same_key(w, p, &w->prep[w->order[b]]); b++)
			mixed |= w->prep[w->order[b]].code != p->code;
		if (mixed && !send_key_cmd(w, c, p->slot, "MULTI", NULL, on_key))
			return false;
		w->in_multi = mixed;
		for (unsigned r = a; r < b;) { /* runs of one kind */
			unsigned s = r + 1;
			char code = w->prep[w->order[r]].code;
			while (s < b && w->prep[w->order[s]].code == code)
				s++;
			if (!send_ops(w, c, &w->order[r], s - r)) {
				w->in_multi = false;
				return false;
			}
			r = s;
		}
		w->in_multi = false;
		if (mixed && !send_key_cmd(w, c, p->slot, "EXEC", NULL, on_exec))
			return false;
		int m = sr_repl_client_master_of(w->cl, p->slot); /* a master, or one Redis's lane */
		if (m >= 0 && m < 64)
			c->masters |= 1ull << m;
		a = b;
	}
	return true;
}
