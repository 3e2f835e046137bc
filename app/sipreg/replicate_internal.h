/*
 * replicate_internal.h - the inside of replication's wiring, shared by
 * replicate.c (control core: open, drive, feed, snapshot, commands),
 * replicate_apply.c (standby: changes to the owner workers),
 * replicate_role.c (workers: serving or not, the gratuitous ARP) and
 * replicate_stats.c (figures). Not for other files.
 */
#ifndef SR_REPLICATE_INTERNAL_H
#define SR_REPLICATE_INTERNAL_H

#include <pthread.h>

#include <rte_ring.h>

#include "repl.h"
#include "replicate.h"

/* One change for a standby's shard, control core -> owner worker (malloc'd by control, freed by the worker). */
enum apply_kind { APPLY_PUT, APPLY_REMOVE, APPLY_MARK, APPLY_SWEEP };
struct apply_msg {
	struct apply_msg *next;  /* control core: waiting for room in the ring */
	uint8_t kind;            /* enum apply_kind */
	uint8_t why;             /* REMOVE: SR_EV_REMOVED or SR_EV_EXPIRED */
	uint64_t id;
	uint32_t expires;
	uint32_t aor_len, rec_len;
	uint8_t data[];          /* the AoR, then (PUT) the binding record */
};

/* Per worker: its apply ring and what the worker counts (written by that worker only). */
struct replicate_worker {
	struct rte_ring *ring;             /* control -> worker: struct apply_msg * */
	uint64_t applied, apply_failed, swept;
	uint64_t standby_drops;            /* frames dropped while not serving */
	uint64_t garps_sent;
	int served;                        /* the serving state this worker last acted on */
	uint64_t garp_again_ms;            /* worker 0: when to repeat the announcement (0: none) */
	/* control core only */
	struct apply_msg *pending, **pending_tail;
	uint64_t pending_n;
} __rte_cache_aligned;

#define FAILED_RANGES 64 /* settled-not-durable ranges kept until persistence has read them */
struct settled_range {
	uint64_t from, to;
};

struct sr_replicate {
	struct sr_app *app;
	struct sr_repl *r;
	/* what the writer has settled (control core; sync durability reads it through sr_replicate_settled) */
	uint64_t settled_upto;
	struct settled_range failed[FAILED_RANGES];
	unsigned failed_head, n_failed;
	/* LMDB read for a resynchronisation (control core): one page at a time */
	struct {
		uint8_t *buf;              /* u32 length + record, back to back */
		size_t len, cap, off;
		uint8_t after[16];         /* the last key read */
		bool started, end;
	} snap;
	int promote_req;                   /* command thread -> control core */
	/* control core counters (relaxed loads elsewhere) */
	uint64_t fed, fed_refused, undecodable, apply_queued, apply_oom;
	/* published for command and HTTP threads every PUBLISH_MS */
	pthread_mutex_t lock;
	struct sr_repl_stats pub;
	char last_error[256];
	uint64_t next_publish_ms;
	struct replicate_worker w[SR_NET_MAX_WORKERS];
};

/* replicate_apply.c */
int replicate_apply_init(struct sr_replicate *x);
void replicate_apply_fini(struct sr_replicate *x);
/* The follow callback (control core). */
void replicate_apply_follow(void *ctx, const struct sr_repl_follow_ev *ev);
/* Control core: moves waiting messages into their rings; returns how many. */
unsigned replicate_apply_flush(struct sr_replicate *x);
/* Worker: applies what its ring holds (bounded); returns how many. */
unsigned replicate_apply_worker(struct sr_replicate *x, struct sr_worker *w, uint64_t now_ms);

#endif
