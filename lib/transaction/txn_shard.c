/*
 * txn_shard.c - the shard: pool of transactions, matching table, clock.
 *
 * Pool: an array of fixed slots and a stack of free indexes; allocation and
 * release are O(1) and never call malloc. The matching table is a
 * power-of-two array of bucket heads (twice the pool size, so chains stay
 * around one entry) with the chains threaded through the slots by index.
 * Keys are hashed with SipHash under the shard secret: remote parties pick
 * the branches, and must not be able to pile them into one bucket.
 *
 * Clock: the caller's clock is a uint64 of milliseconds; the wheel counts
 * uint32 ticks. Ticks are milliseconds since base_ms, and when they pass
 * 2^31 (about 24.8 days) the shard rebases: every armed timer is lifted off
 * the wheel, the wheel restarts at tick 0 and the timers go back with their
 * remaining time. That costs one walk of the wheel's lists every 24.8 days
 * and lets the wheel stay the project's, unchanged. (The walk uses the
 * wheel's public slot lists; a sr_tw_rebase() in the wheel's own file would
 * be the tidier home once the wheel has settled in lib/location.)
 *
 * Timer callbacks re-arm retransmissions relative to the time they are
 * handled, not the time they were due, so a late poll loop does not send a
 * burst of catch-up retransmissions.
 */
#include "txn_internal.h"

#include <stdlib.h>
#include <string.h>

#define TICK_CAP (3u << 30) /* a tick beyond this waits for a rebase first */

static void config_defaults(struct sr_txn_config *c)
{
	if (!c->t1_ms)
		c->t1_ms = 500;
	if (!c->t2_ms)
		c->t2_ms = 4000;
	if (!c->t4_ms)
		c->t4_ms = 5000;
	if (!c->timer_c_ms)
		c->timer_c_ms = 180000;
}

struct sr_txn_shard *sr_txn_shard_create(const struct sr_txn_config *cfg, const struct sr_txn_ops *ops,
					 void *ctx, uint64_t now_ms)
{
	if (!cfg || !ops || !ops->send || !ops->terminated || cfg->capacity == 0 ||
	    cfg->capacity >= SR_TXN_NONE / 4 || cfg->buf_small < 512)
		return NULL;
	struct sr_txn_shard *ts = calloc(1, sizeof(*ts));
	if (!ts)
		return NULL;
	ts->cfg = *cfg;
	config_defaults(&ts->cfg);
	if (ts->cfg.t2_ms < ts->cfg.t1_ms) {
		free(ts);
		return NULL;
	}
	ts->ops = *ops;
	ts->ctx = ctx;
	ts->base_ms = now_ms;
	sr_tw_init(&ts->wheel, 0);

	uint32_t n = cfg->capacity, nb = 1;
	while (nb < 2 * n)
		nb <<= 1;
	ts->slots = calloc(n, sizeof(*ts->slots));
	ts->free_stack = malloc(sizeof(uint32_t) * n);
	ts->buckets = malloc(sizeof(uint32_t) * nb);
	ts->scratch = malloc(SR_BUF_LARGE_SIZE);
	if (!ts->slots || !ts->free_stack || !ts->buckets || !ts->scratch ||
	    sr_bufpool_init(&ts->bufs, cfg->buf_small, n, cfg->buf_large) != 0) {
		sr_txn_shard_free(ts);
		return NULL;
	}
	ts->bucket_mask = nb - 1;
	for (uint32_t i = 0; i < nb; i++)
		ts->buckets[i] = SR_TXN_NONE;
	for (uint32_t i = 0; i < n; i++) {
		ts->slots[i].idx = i;
		ts->free_stack[i] = n - 1 - i;
	}
	ts->free_top = n;
	return ts;
}

void sr_txn_shard_free(struct sr_txn_shard *ts)
{
	if (!ts)
		return;
	sr_bufpool_free(&ts->bufs);
	free(ts->slots);
	free(ts->free_stack);
	free(ts->buckets);
	free(ts->scratch);
	free(ts);
}

const struct sr_txn_stats *sr_txn_stats(const struct sr_txn_shard *ts)
{
	return &ts->stats;
}

struct sr_bufpool *sr_txn_bufs(struct sr_txn_shard *ts)
{
	return &ts->bufs;
}

char *sr_txn_scratch(struct sr_txn_shard *ts)
{
	return ts->scratch;
}

uint32_t sr_txn_t1(const struct sr_txn_shard *ts)
{
	return ts->cfg.t1_ms;
}

/* ---- pool ---- */

struct sr_txn *txn_alloc(struct sr_txn_shard *ts)
{
	if (ts->free_top == 0) {
		ts->stats.pool_exhausted++;
		return NULL;
	}
	struct sr_txn *t = &ts->slots[ts->free_stack[--ts->free_top]];
	uint32_t idx = t->idx;
	memset(t, 0, sizeof(*t));
	t->idx = idx;
	t->hnext = SR_TXN_NONE;
	sr_tw_node_init(&t->retx);
	sr_tw_node_init(&t->life);
	ts->stats.live++;
	return t;
}

static void table_remove(struct sr_txn_shard *ts, struct sr_txn *t)
{
	uint32_t *link = &ts->buckets[t->hash & ts->bucket_mask];
	while (*link != SR_TXN_NONE) {
		if (*link == t->idx) {
			*link = t->hnext;
			t->hnext = SR_TXN_NONE;
			return;
		}
		link = &ts->slots[*link].hnext;
	}
}

void txn_release(struct sr_txn_shard *ts, struct sr_txn *t)
{
	table_remove(ts, t);
	txn_disarm(ts, &t->retx);
	txn_disarm(ts, &t->life);
	sr_buf_release(&ts->bufs, &t->msg);
	t->state = 0;
	ts->free_stack[ts->free_top++] = t->idx;
	ts->stats.live--;
}

void txn_terminate(struct sr_txn_shard *ts, struct sr_txn *t)
{
	/* Out of the table and off the wheel first: the callback may create transactions. */
	table_remove(ts, t);
	txn_disarm(ts, &t->retx);
	txn_disarm(ts, &t->life);
	t->state = SR_TXN_TERMINATED;
	ts->ops.terminated(ts->ctx, t);
	txn_release(ts, t);
}

/* ---- matching table ---- */

uint64_t txn_key_hash(const struct sr_txn_shard *ts, const char *key, size_t len)
{
	return sr_txn_hash(ts->cfg.secret, key, len);
}

size_t txn_key(char out[SR_TXN_KEY_MAX], char kind, struct sr_str method, struct sr_str branch,
	       struct sr_str sent_by, uint8_t *branch_off)
{
	size_t need = 1 + method.len + 1 + branch.len + (sent_by.len ? 1 + sent_by.len : 0);
	if (need > SR_TXN_KEY_MAX || branch.len > UINT8_MAX)
		return 0;
	size_t n = 0;
	out[n++] = kind;
	memcpy(out + n, method.p, method.len);
	n += method.len;
	out[n++] = ' ';
	*branch_off = (uint8_t)n;
	if (branch.len)
		memcpy(out + n, branch.p, branch.len);
	n += branch.len;
	if (sent_by.len) {
		out[n++] = ' ';
		memcpy(out + n, sent_by.p, sent_by.len);
		n += sent_by.len;
	}
	return n;
}

void txn_table_insert(struct sr_txn_shard *ts, struct sr_txn *t)
{
	uint32_t *head = &ts->buckets[t->hash & ts->bucket_mask];
	t->hnext = *head;
	*head = t->idx;
}

struct sr_txn *txn_table_find(struct sr_txn_shard *ts, const char *key, size_t len, uint64_t hash)
{
	for (uint32_t i = ts->buckets[hash & ts->bucket_mask]; i != SR_TXN_NONE; i = ts->slots[i].hnext) {
		struct sr_txn *t = &ts->slots[i];
		if (t->hash == hash && t->key_len == len && memcmp(t->key, key, len) == 0)
			return t;
	}
	return NULL;
}

/* ---- clock and timers ---- */

static uint32_t tick_of(const struct sr_txn_shard *ts, uint64_t now_ms)
{
	uint64_t rel = now_ms > ts->base_ms ? now_ms - ts->base_ms : 0;
	return rel > TICK_CAP ? TICK_CAP : (uint32_t)rel;
}

void txn_arm(struct sr_txn_shard *ts, struct sr_tw_node *n, uint64_t now_ms, uint32_t after_ms)
{
	sr_tw_arm(&ts->wheel, n, tick_of(ts, now_ms) + after_ms);
}

void txn_disarm(struct sr_txn_shard *ts, struct sr_tw_node *n)
{
	sr_tw_cancel(&ts->wheel, n);
}

void txn_send_kept(struct sr_txn_shard *ts, struct sr_txn *t, bool retx)
{
	if (!t->msg.p || !t->msg.len)
		return;
	if (retx)
		ts->stats.retransmissions++;
	ts->ops.send(ts->ctx, &t->peer, t->msg.p, t->msg.len);
}

struct expire_ctx {
	struct sr_txn_shard *ts;
	uint64_t now_ms;
};

static void on_expire(struct sr_tw_node *n, void *arg)
{
	struct expire_ctx *ec = arg;
	/* Every node lives in a slot of the pool: the slot is found from the address, then which node it is. */
	size_t idx = (size_t)((char *)n - (char *)ec->ts->slots) / sizeof(struct sr_txn);
	struct sr_txn *t = &ec->ts->slots[idx];
	bool retx = n == &t->retx;
	if (t->flags & TF_CLIENT)
		txn_client_timer(ec->ts, t, retx, ec->now_ms);
	else
		txn_server_timer(ec->ts, t, retx, ec->now_ms);
}

/* Lifts every armed timer off the wheel and puts it back relative to a new base (see the opening comment). */
static void rebase(struct sr_txn_shard *ts)
{
	struct sr_tw *tw = &ts->wheel;
	uint32_t shift = tw->now;
	struct sr_tw_node *lifted = NULL; /* chained through prev while off the wheel */
	struct sr_tw_slot *lists[SR_TW_L0_SLOTS + (SR_TW_LEVELS - 1) * SR_TW_LN_SLOTS + 1];
	unsigned nl = 0;

	for (unsigned i = 0; i < SR_TW_L0_SLOTS; i++)
		lists[nl++] = &tw->l0[i];
	for (unsigned k = 0; k < SR_TW_LEVELS - 1; k++)
		for (unsigned i = 0; i < SR_TW_LN_SLOTS; i++)
			lists[nl++] = &tw->ln[k][i];
	lists[nl++] = &tw->due;
	for (unsigned i = 0; i < nl; i++) {
		struct sr_tw_node *head = &lists[i]->head;
		for (struct sr_tw_node *x = head->next, *next; x != head; x = next) {
			next = x->next;
			x->next = NULL;
			x->prev = lifted;
			lifted = x;
		}
	}
	sr_tw_init(tw, 0);
	ts->base_ms += shift;
	while (lifted) {
		struct sr_tw_node *x = lifted;
		lifted = x->prev;
		x->prev = NULL;
		sr_tw_arm(tw, x, x->expires > shift ? x->expires - shift : 0);
	}
}

unsigned sr_txn_advance(struct sr_txn_shard *ts, uint64_t now_ms, unsigned budget)
{
	struct expire_ctx ec = { ts, now_ms };
	unsigned done = 0;
	for (;;) {
		done += sr_tw_advance(&ts->wheel, tick_of(ts, now_ms), budget - done, on_expire, &ec);
		if (done >= budget || ts->wheel.now < SR_TXN_REBASE_AT)
			return done;
		rebase(ts);
	}
}

/* ---- inspection ---- */

enum sr_txn_state sr_txn_state(const struct sr_txn *t)
{
	return (enum sr_txn_state)t->state;
}

bool sr_txn_is_client(const struct sr_txn *t)
{
	return t->flags & TF_CLIENT;
}

bool sr_txn_is_invite(const struct sr_txn *t)
{
	return t->flags & TF_INVITE;
}

struct sr_str sr_txn_branch(const struct sr_txn *t)
{
	return sr_str_make(t->key + t->branch_off, t->branch_len);
}

const struct sr_txn_dest *sr_txn_peer(const struct sr_txn *t)
{
	return &t->peer;
}

int sr_txn_status(const struct sr_txn *t)
{
	return t->status;
}

struct sr_str sr_txn_request(const struct sr_txn *t)
{
	if (!(t->flags & TF_CLIENT) || !t->msg.p)
		return SR_STR_NULL;
	return sr_str_make(t->msg.p, t->msg.len);
}

void sr_txn_set_user(struct sr_txn *t, void *user, uint32_t tag)
{
	t->user = user;
	t->user_tag = tag;
}

void *sr_txn_user(const struct sr_txn *t)
{
	return t->user;
}

uint32_t sr_txn_user_tag(const struct sr_txn *t)
{
	return t->user_tag;
}
