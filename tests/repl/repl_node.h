/*
 * repl_node.h - one sr_repl instance with recording callbacks, for the
 * tests against real Redis: what was settled (and whether durable), role
 * changes with their reasons, and a follower model checked for order.
 */
#ifndef SR_TEST_REPL_NODE_H
#define SR_TEST_REPL_NODE_H

#include "repl_model.h"

struct node {
	char name[16];
	struct sr_repl *r;
	struct model *own;          /* the node's own state (resynchronisation source) */
	struct model *seen;         /* what the follower applied */
	uint64_t settled, durable_upto, not_durable;
	bool active;
	int role_calls;
	char why[256];
	uint64_t last_change_seq, last_change_epoch, order_errors;
	bool after_snapshot;
};

struct node_opts {
	const char *redis, *node_id, *prefix;
	bool active;
	uint32_t failover_ms, heartbeat_ms, batch_events, backlog_events, stream_len, wait_replicas;
	uint32_t connections; /* replication.connections; 0: the library's default */
};

void node_defaults(struct node_opts *o, const char *redis, const char *node_id, bool active);
/* Opens the instance; own and seen must outlive it. Exits the test on failure. */
void node_open(struct node *n, const struct node_opts *o, struct model *own, struct model *seen);
void node_close(struct node *n);

/* Hands a change to the node; returns its sequence number. */
uint64_t node_add(struct node *n, const struct model_change *mc);

/* Adds count random changes (lifetime 3600 s) to n's own model and n, driving p every 'every'
 * changes (0: never); returns the last sequence number. */
uint64_t add_random(struct pump *p, struct node *n, uint64_t *rng, int count, int every);

/* The models a test needs: the active's own state and what two followers applied. */
struct models {
	struct model *own, *seen, *seen2;
};
int models_alloc(struct models *m);
void models_reset(struct models *m, unsigned n_aors);
void models_free(struct models *m);

/* Waiting while driving: each returns whether the condition was reached within ms. */
bool wait_active(struct pump *p, struct node *n, unsigned ms);     /* active and available */
bool wait_following(struct pump *p, struct node *n, unsigned ms);  /* snapshot read, on the stream */
bool wait_settled(struct pump *p, struct node *n, uint64_t upto, unsigned ms);
bool wait_equal(struct pump *p, const struct model *a, const struct model *b, unsigned ms);
bool wait_role(struct pump *p, struct node *n, bool active, unsigned ms); /* told so by the role callback */

/* An active node a and a standby b on the same Redis, both ready. */
struct duo {
	struct node a, b;
	struct pump p;
};
/* tune (may be NULL) adjusts each node's options. Returns false when they did not get ready. */
bool duo_open(struct duo *d, const char *redis, void (*tune)(struct node_opts *o, bool active), struct model *own,
	      struct model *seen_a, struct model *seen_b);
void duo_close(struct duo *d);

/* The node's figures on stderr (when a wait fails). */
void node_print(const char *name, struct node *n);

#endif
