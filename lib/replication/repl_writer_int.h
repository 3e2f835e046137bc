/*
 * repl_writer_int.h - the writer's state, shared by its two files and no
 * one else: repl_writer.c (chunks, settlement, retries,
 * resynchronisation) and repl_keys.c (a chunk's operations as commands on
 * the AoR keys). Not part of the library's interface (repl_writer.h).
 */
#ifndef SR_REPL_WRITER_INT_H
#define SR_REPL_WRITER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "repl_backlog.h"
#include "repl_cmd.h"
#include "repl_ttl.h"
#include "repl_writer.h"
#include "siphash.h"

#define RING 64
#define RETRY_MS 100
#define SWEEP_COUNT "1000"

enum chunk_kind { CH_CHANGES, CH_RESYNC, CH_MARKER };

struct chunk {
	struct sr_repl_writer *w;
	enum chunk_kind kind;
	uint64_t first, last;    /* CH_CHANGES: sequence numbers */
	unsigned pending;        /* replies outstanding */
	bool failed, rejected, keys_done, stage2, done;
	uint64_t masters;        /* bit i: master i received key writes (cluster WAIT) */
	uint8_t *blob;           /* CH_CHANGES: the stream entry's changes */
	size_t blob_len, blob_cap;
};

enum rs_state { RS_NONE, RS_PENDING, RS_WRITING, RS_SWEEP, RS_MARKER };

struct sweep_master {
	struct sr_repl_writer *w;
	unsigned idx;
	char cursor[32];
	unsigned pending;
	bool done;
};

/* One operation on an AoR key: p put, d delete a field, c clear the key (resync). */
struct prep {
	uint32_t key_off, key_len;
	int slot;
	uint64_t key_hash;   /* groups an AoR's operations; the TTL knowledge's key */
	char code;
	char id[SR_REPL_ID_HEX];
	uint32_t expires;
	const uint8_t *env;
	size_t env_len;
};

struct seen {
	uint64_t *slot;
	size_t cap, n;
};

struct sr_repl_writer {
	struct sr_repl_writer_cfg cfg;
	char prefix[SR_REPL_NAME_MAX + 1], node[SR_REPL_NAME_MAX + 1];
	char stream_key[2 * SR_REPL_NAME_MAX + 32];
	int stream_slot;
	struct sr_repl_client *cl;
	const uint64_t *now;
	sr_repl_settled_fn *settled_fn;
	void *ctx;
	struct sr_repl_snapshot_src snap;

	struct sr_repl_backlog q;
	bool active;
	uint64_t epoch, epoch_base;
	uint64_t settled;
	bool drop_valid;
	uint64_t drop_first, drop_last;

	struct chunk ring[RING];
	unsigned head, n;
	unsigned inflight;       /* commands outstanding (chunks and sweep) */
	bool failing;
	uint64_t retry_at;

	enum rs_state rs;
	bool snap_open, snap_done;
	uint64_t resync_upto;
	struct seen seen;
	struct sr_repl_ttl ttl;  /* the TTLs this writer gave AoR keys (repl_ttl.h) */
	uint8_t *carry;          /* resync: the first binding of the next chunk */
	size_t carry_cap;
	bool carry_valid;
	struct sr_repl_change carry_c;
	char *last_aor;          /* resync: the AoR being written */
	size_t last_aor_len, last_aor_cap;
	struct sweep_master sweep[SR_REPL_MAX_NODES];
	unsigned sweep_n;
	uint64_t sweep_gen;

	/* command building */
	struct sr_repl_cmd cmd;
	char *keys;
	size_t keys_len, keys_cap;
	struct prep *prep;
	unsigned *order;         /* prep indexes grouped by key (group_by_key) */
	unsigned *link, *group;  /* group_by_key: next of the same key; hash table of group heads */
	size_t prep_cap;
	bool in_multi;           /* send_keys: between MULTI and EXEC (send() then asks for no redirection) */

	struct sr_repl_writer_stats st;
	char last_error[200];
	struct sr_siphash_key hash_key; /* aor_hash: random per writer (getrandom) */
};

/* repl_writer.c: sends the command in w->cmd for chunk c (to slot's master, or to master i when master >= 0). */
bool sr_repl_w_send(struct sr_repl_writer *w, struct chunk *c, int slot, int master, sr_repl_client_fn *fn);
/* repl_writer.c: accounts one reply of chunk c; ok: the reply has the expected shape. */
void sr_repl_w_account(struct chunk *c, redisReply *r, bool ok, const char *what);
/* repl_writer.c: one of the chunk's replies is in (the last one completes the chunk). */
void sr_repl_w_replied(struct chunk *c);
/* repl_writer.c: the writer's clock in Unix seconds. */
uint32_t sr_repl_w_now_s(const struct sr_repl_writer *w);

/* repl_keys.c: sends the prepared operations w->prep[0, n) of chunk c, grouped by key; false: not all sent. */
bool sr_repl_keys_send(struct sr_repl_writer *w, struct chunk *c, unsigned n);

#endif
