/*
 * txn_internal.h - the transaction and shard structures, shared by the
 * files of lib/transaction only (the public interface is txn.h).
 *
 * A transaction is a fixed-size slot of the shard's pool. Its matching key
 * is kept inline (kind, method, branch, sent-by), so matching is one hash
 * and one memcmp; the bytes it must retransmit are in a pool buffer.
 */
#ifndef SR_TXN_INTERNAL_H
#define SR_TXN_INTERNAL_H

#include "txn.h"

#define SR_TXN_NONE UINT32_MAX
/* Longest key: kind byte, method, branch, sent-by and two separators. A longer key is refused (E_KEY). */
#define SR_TXN_KEY_MAX 192
/* The wheel counts uint32 milliseconds from a base; it is rebased before the count reaches this. */
#define SR_TXN_REBASE_AT (1u << 31)

enum txn_flags {
	TF_CLIENT = 1u << 0,
	TF_INVITE = 1u << 1,
	TF_CANCEL_PENDING = 1u << 2, /* CANCEL asked before any provisional response (9.1) */
	TF_CANCEL_SENT = 1u << 3,
	TF_TIMER_C_FIRED = 1u << 4,  /* Timer C fired once: the lifetime timer now guards the CANCEL */
	TF_SENT = 1u << 5,           /* a client transaction was sent (not just created) */
};

struct sr_txn {
	struct sr_tw_node retx;  /* A, E, G */
	struct sr_tw_node life;  /* B, C, D, F, H, I, J, K, L, M */
	uint32_t hnext;          /* next slot in the hash bucket, SR_TXN_NONE at the end */
	uint32_t idx;            /* own slot index */
	uint32_t retx_ms;        /* the next retransmission interval */
	uint32_t user_tag;
	uint8_t state;           /* enum sr_txn_state, 0 when the slot is free */
	uint8_t flags;
	uint16_t status;         /* last status sent (server) or received (client) */
	uint64_t hash;           /* of the key */
	void *user;
	struct sr_txn_dest peer;
	struct sr_buf msg;       /* client: the request, then the ACK; server: the last response */
	uint16_t key_len;
	uint8_t branch_off, branch_len; /* the branch inside key */
	char key[SR_TXN_KEY_MAX];
};

struct sr_txn_shard {
	struct sr_txn_config cfg;
	struct sr_txn_ops ops;
	void *ctx;
	struct sr_tw wheel;      /* ticks are milliseconds since base_ms */
	uint64_t base_ms;
	uint64_t counter;        /* branch counter */
	struct sr_txn *slots;
	uint32_t *free_stack;
	uint32_t free_top;
	uint32_t *buckets;       /* heads, SR_TXN_NONE when empty */
	uint32_t bucket_mask;
	struct sr_bufpool bufs;
	char *scratch;           /* SR_BUF_LARGE_SIZE bytes */
	struct sr_txn_stats stats;
};

/* txn_shard.c: pool, table, timers */
struct sr_txn *txn_alloc(struct sr_txn_shard *ts);
/* Unlinks, cancels timers, calls terminated and frees the slot. */
void txn_terminate(struct sr_txn_shard *ts, struct sr_txn *t);
/* Frees a slot without callbacks (never-sent client transactions). */
void txn_release(struct sr_txn_shard *ts, struct sr_txn *t);
void txn_table_insert(struct sr_txn_shard *ts, struct sr_txn *t);
struct sr_txn *txn_table_find(struct sr_txn_shard *ts, const char *key, size_t len, uint64_t hash);
uint64_t txn_key_hash(const struct sr_txn_shard *ts, const char *key, size_t len);
void txn_arm(struct sr_txn_shard *ts, struct sr_tw_node *n, uint64_t now_ms, uint32_t after_ms);
void txn_disarm(struct sr_txn_shard *ts, struct sr_tw_node *n);
/* Sends t's kept message to its peer (a retransmission when retx is true). */
void txn_send_kept(struct sr_txn_shard *ts, struct sr_txn *t, bool retx);

/* Key builder: kind ('S' or 'C') + method + ' ' + branch [+ ' ' + sent_by]. Returns the length, 0 if too long. */
size_t txn_key(char out[SR_TXN_KEY_MAX], char kind, struct sr_str method, struct sr_str branch,
	       struct sr_str sent_by, uint8_t *branch_off);

/* The timer callbacks of each side (txn_server.c, txn_client.c). */
void txn_server_timer(struct sr_txn_shard *ts, struct sr_txn *t, bool retx, uint64_t now_ms);
void txn_client_timer(struct sr_txn_shard *ts, struct sr_txn *t, bool retx, uint64_t now_ms);

static inline bool txn_reliable(const struct sr_txn *t)
{
	return t->peer.reliable;
}

static inline uint32_t txn_64t1(const struct sr_txn_shard *ts)
{
	return 64u * ts->cfg.t1_ms;
}

#endif
