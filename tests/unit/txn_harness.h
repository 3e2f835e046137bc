/*
 * txn_harness.h - a fake transaction user and a fake clock for the
 * transaction layer's tests.
 *
 * Every action the layer takes is recorded with the clock's time: sends
 * (copied bytes and destination), responses passed up, timeouts, builds and
 * terminations. h_run_to() steps the clock one millisecond at a time, so a
 * timer must fire at exactly its millisecond to be seen there. Optional
 * hooks let a test act from inside a callback (re-entrant calls).
 */
#ifndef TXN_HARNESS_H
#define TXN_HARNESS_H

#include "txn.h"

#define H_MAX_EVENTS 256
#define H_MSG_MAX 600

struct h_send {
	uint64_t at;
	struct sr_txn_dest to;
	size_t len;
	char bytes[H_MSG_MAX + 1]; /* NUL-terminated copy (truncated past H_MSG_MAX) */
};

struct h_event {
	uint64_t at;
	struct sr_txn *t;
	int status;  /* response: the status */
	char which;  /* timeout: 'B', 'C', 'F', 'H'; build: 'A' (ACK) or 'X' (CANCEL) */
};

struct harness {
	struct sr_txn_shard *ts;
	uint64_t now;
	struct h_send sends[H_MAX_EVENTS];
	unsigned n_sends;
	struct h_event responses[H_MAX_EVENTS], timeouts[H_MAX_EVENTS], builds[H_MAX_EVENTS];
	unsigned n_responses, n_timeouts, n_builds;
	struct sr_txn *terminated[H_MAX_EVENTS];
	unsigned n_terminated;
	/* hooks, called after the event is recorded */
	void (*on_response)(struct harness *h, struct sr_txn *t, const struct sr_txn_resp *r);
	void (*on_timeout)(struct harness *h, struct sr_txn *t, enum sr_txn_timeout which);
	void *user;
};

/* A shard of 'capacity' transactions, 1024-byte small buffers, 2 large ones, default timers, worker 7. */
void h_init(struct harness *h, uint32_t capacity, uint64_t start_ms);
void h_init_cfg(struct harness *h, const struct sr_txn_config *cfg, uint64_t start_ms);
void h_free(struct harness *h);
/* Steps the clock to t one millisecond at a time, running timers at each step. */
void h_run_to(struct harness *h, uint64_t t);
/* Times (ms since 'since') of the sends whose bytes start with prefix, from send index 'from'. */
unsigned h_send_times(const struct harness *h, unsigned from, const char *prefix, uint64_t since,
		      uint64_t *out, unsigned cap);

/* Request and response facts for tests. */
struct sr_txn_req h_req(const char *method, const char *branch, const char *sent_by);
struct sr_txn_resp h_resp(int status, struct sr_str branch, const char *cseq_method);
extern const struct sr_txn_dest h_caller, h_callee;

#endif
