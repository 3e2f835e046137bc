/*
 * persist_internal.h - the inside of persistence, shared by persist.c (rings,
 * room, held responses, batches and commits) and persist_resync.c (the
 * resync of an AoR after a failed sync commit). Not for other files.
 */
#ifndef SR_PERSIST_INTERNAL_H
#define SR_PERSIST_INTERNAL_H

#include <rte_mempool.h>
#include <rte_ring.h>

#include "ctl_aorset.h"
#include "ctl_batch.h"
#include "ctl_holdq.h"
#include "ctl_listener.h"
#include "ctl_store.h"
#include "ctl_verdict.h"
#include "persist.h"

#define SLOT_HDR offsetof(struct slot, rec)
#define SLOT_RESYNCED 0xff        /* the marker a worker sends after a resync (not an event type) */
#define MAX_CLAIMS (SR_LOC_TXN_MAX + SR_LOC_MAX_PER_AOR) /* events of one change, at most */

struct slot {
	uint64_t seq;
	uint8_t *ext;  /* the record when it does not fit rec[] (malloc), else NULL */
	void *req;     /* SLOT_RESYNCED: the request it completes */
	uint32_t len;
	uint8_t type;
	uint8_t rec[];
};

/* A slot (and, for a large record, its buffer) taken for an event the store will announce. */
struct claim {
	struct slot *s;
	uint8_t *ext;
	size_t ext_cap;
};

/* One AoR's committed records, from the control core to the owner worker (sync durability). */
struct resync_req {
	struct resync_req *next; /* control core: waiting to be read and handed over */
	bool read;               /* recs holds the committed records */
	uint8_t *recs;           /* u32 length (native order) + record, n times */
	size_t len;
	unsigned n;
	size_t aor_len;
	char aor[];
};

enum lost_reason { LOST_NO_SLOT, LOST_OVERSIZE, LOST_COUNT };
enum refused_reason { REFUSED_NO_SLOT, REFUSED_NO_MEMORY, REFUSED_COUNT };

struct persist_worker {
	/* written by the worker */
	uint64_t seq;
	uint64_t lost[LOST_COUNT];
	uint64_t refused[REFUSED_COUNT]; /* room claims refused: changes answered 500 */
	uint64_t retracted;              /* held responses answered with their retraction */
	uint64_t retracted_replica;      /* of them, with the replica's (503: Redis refused) */
	uint64_t resynced, resync_incomplete;
	uint64_t mid_lost;               /* mid-registrar records without a slot or memory (persist_mid.c) */
	struct claim *claims;            /* claimed, not yet used: [claim_head, claim_head + n_claims) */
	unsigned claim_head, n_claims;
	struct resync_req *resync_wait;  /* taken from the resync ring, waiting for a marker slot */
	struct sr_ctl_holdq held;        /* worker only (durability=sync) */
	uint64_t hold_full;              /* responses that could not be held (worker-written) */
	/* written by the control core */
	uint64_t committed_seq;          /* newest decided and told (published, release) */
	uint64_t decided_seq;            /* newest decided (failures among them may still be untold) */
	uint64_t last_seq;               /* newest drained */
	struct rte_ring *ring;
	struct rte_ring *resync;         /* control -> worker: struct resync_req * */
	struct rte_mempool *pool;
	struct sr_ctl_verdict verdict;   /* sync: failed events, control -> worker */
} __rte_cache_aligned;

/*
 * replication.durability=sync (persist_repl.c): a committed batch whose
 * changes wait for Redis before their held responses may go. The batches
 * wait in commit order; each remembers, per worker, the newest event
 * drained with it, which becomes that worker's decided watermark once the
 * batch is settled.
 */
struct repl_wait {
	struct repl_wait *next;
	uint64_t first, last;                 /* replication sequence numbers; 0, 0: nothing to wait for */
	bool failed;                          /* a change was refused (not active, Redis unavailable) */
	uint64_t last_seq[SR_NET_MAX_WORKERS];
};

struct sr_persist {
	struct sr_app *app;
	struct sr_ctl_store *store;
	struct sr_ctl_listener *listener;  /* listener stream; NULL when its socket could not be opened */
	struct sr_ctl_batch batch;
	struct sr_ctl_aorset resyncing;    /* sync: AoRs whose events are dropped until their marker */
	struct resync_req *pending, **pending_tail; /* sync: requests not yet handed to their worker */
	struct persist_worker w[SR_NET_MAX_WORKERS];
	uint32_t slot_bytes;
	bool sync;
	bool repl_sync;                    /* replication.durability=sync: held 200s also wait for Redis */
	struct repl_wait *repl_head, **repl_tail;
	bool started; /* sr_persist_init completed: rings, slots and store all exist */
	/* failing commits */
	bool failing;
	uint64_t retry_ms, retry_at_ms, failures_unlogged, last_log_ms;
	/* control core figures (read by telemetry threads with relaxed loads) */
	uint64_t events_committed, batches, commit_errors, commit_lag_ms;
	uint64_t events_failed, events_dropped_resync, resync_requests, backlog_events;
	uint64_t restored, restore_dropped, restore_us;
	uint64_t store_bindings, store_bytes;
	char last_error[512];
};

/* persist_repl.c */
/* Control, sync: after a batch's commit (or failure): hands it to replication and queues it to wait. */
void persist_repl_batch(struct sr_persist *p, unsigned n_workers, bool committed);
/* Control, sync: moves each worker's decided_seq past the batches Redis has settled (failures noted). */
void persist_repl_decide(struct sr_persist *p, unsigned n_workers);
void persist_repl_fini(struct sr_persist *p);
/* The newest event of worker i already resolved or queued to wait (a failed commit notes only later ones). */
uint64_t persist_repl_queued_seq(const struct sr_persist *p, unsigned i);

/* persist_mid.c */
/* Control: a drained mid-registrar record slot (type SR_CTL_MID_PUT/_DEL) into the batch. */
void persist_mid_take(struct sr_persist *p, struct slot *s, uint64_t now_ms);

/* persist_restore.c */
/* Start: the store's bindings into the workers' shards, one part per worker in parallel (lcores idle). */
int persist_restore(struct sr_app *app, struct sr_persist *p, uint32_t now_s, struct sr_ctl_load_stats *ls,
		    char *err, size_t cap);
/* The part (worker) that restores a store slot: app->owner's for the slot's bucket (ctx: the sr_app). */
unsigned persist_owner_part(void *ctx, unsigned slot);

/* persist_resync.c */
void persist_resync_free(struct resync_req *r);
/* Worker: applies the resync requests waiting in its ring (each with its marker event). */
void persist_resync_poll(struct sr_app *app, unsigned worker, uint64_t now_ms);
/* Control: starts the resync of aor (once until its marker). */
void persist_resync_request(struct sr_persist *p, struct sr_str aor);
/* Control: reads and hands over the requests not yet handed over. */
void persist_resync_flush(struct sr_persist *p);

#endif
