/*
 * repl_model.h - a reference model of bindings for the replication tests
 * and benchmark, and a loop that drives sr_repl instances.
 *
 * The model holds up to M_AORS AoRs ("sip:user000042@example.com") with
 * up to M_IDS bindings each (ids 1..M_IDS). A record is deterministic
 * bytes naming AoR, id and version ("rec:42:3:17" padded to 120 bytes), so
 * anything that comes back from Redis or a follower can be compared with
 * the model without keeping copies. Random steps add, refresh and remove
 * bindings and return the change the control core would hand over.
 */
#ifndef SR_TEST_REPL_MODEL_H
#define SR_TEST_REPL_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include <hiredis/hiredis.h>

#include "repl.h"

#define M_AORS 20000
#define M_IDS 4
#define M_REC_LEN 120

struct mbind {
	bool present;
	uint32_t expires, ver, gen;
};

struct model {
	unsigned n_aors;
	uint32_t gen;          /* follower snapshots: bindings not seen in the current one are dropped */
	uint64_t events;       /* follower: changes applied */
	uint64_t snapshots_ended;
	struct mbind b[M_AORS][M_IDS];
	/* snapshot iteration (resynchronisation source) */
	unsigned it_aor, it_id;
	char it_aor_buf[64];
	uint8_t it_rec[M_REC_LEN];
};

struct model_change {
	struct sr_repl_change c;
	char aor[64];
	uint8_t rec[M_REC_LEN];
};

void model_init(struct model *m, unsigned n_aors);
size_t model_aor(unsigned i, char *out, size_t cap);
size_t model_rec(unsigned i, unsigned id, uint32_t ver, uint8_t *out);

/* A random change (xorshift state in *rng); lifetime: expires = now_s + ttl. */
void model_step(struct model *m, uint64_t *rng, uint32_t now_s, uint32_t ttl, struct model_change *out);
/* A specific change. */
void model_put(struct model *m, unsigned i, unsigned id, uint32_t expires, struct model_change *out);
void model_remove(struct model *m, unsigned i, unsigned id, struct model_change *out);

/* Follower side: applies what sr_repl hands to the follow callback (ctx is a struct model). */
void model_follow(void *ctx, const struct sr_repl_follow_ev *ev);

/* Same live (present, unexpired) bindings with the same versions; verbose: print the first difference. */
bool model_equal(const struct model *a, const struct model *b, uint32_t now_s, bool verbose);
/* Redis holds exactly the model's live bindings (and no other AoR key of 'prefix'). */
bool model_matches_redis(const struct model *m, redisContext **nodes, int n_nodes, const char *prefix,
			 uint32_t now_s, bool cluster);

/* The model as a snapshot source (open/next/close over its live bindings). */
struct sr_repl_snapshot_src model_snapshot(struct model *m);

/* Drives instances: pump_for and pump_until wait at most 1 ms per turn for Redis. */
struct pump {
	struct sr_repl *r[4];
	bool paused[4];
	int n;
};
void pump_step(struct pump *p, int timeout_ms); /* one turn, waiting at most timeout_ms for Redis */
void pump_for(struct pump *p, unsigned ms);
bool pump_until(struct pump *p, unsigned timeout_ms, bool (*cond)(void *), void *arg);

#endif
