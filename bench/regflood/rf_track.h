/*
 * rf_track.h - one sender thread's books: which request is outstanding for each AoR,
 * the matching of responses to requests, timeouts, and the run's accounting.
 *
 * Design: a thread owns the AoRs aor = first + local * nthreads + thread, so no two
 * threads ever touch the same AoR (and its CSeq) and the books need no lock. Each AoR
 * has at most one request outstanding (a UA does not refresh while its REGISTER is
 * pending), so matching is an array index by the AoR from the Call-ID plus a CSeq
 * compare. Timeouts use a FIFO in send order: the timeout is the same for every
 * request, so the oldest entry is always at the head and expiry is O(1) per request;
 * entries whose request was answered meanwhile are skipped when they reach the head.
 * Everything here is pure (the clock is a parameter), so the unit tests drive it
 * without sockets.
 * The digest flow (workload auth, or --digest with any workload: expect_challenge set):
 * the flow's first REGISTER (NEW, REFRESH, ...) must be answered 401 with a usable challenge (the caller reads it, rf_auth.h, and says so in
 * sr_rf_resp.challenge); that frees the AoR for its second request (AUTH, sent at once
 * by the caller), and only the 200 to AUTH counts as ok: one flow, one ok. Any other
 * answer to either step, including a 200 to NEW (authentication off?), is a failure.
 */
#ifndef SR_RF_TRACK_H
#define SR_RF_TRACK_H

#include <stdbool.h>
#include <stdint.h>

#include "rf_hist.h"
#include "rf_msg.h"

struct sr_rf_stats {
	uint64_t sent;        /* requests handed to the kernel */
	uint64_t ok;          /* matched, expected status */
	uint64_t bad_status;  /* matched, another status (a failure) */
	uint64_t unexpected;  /* not ours, not outstanding, duplicate, or unreadable */
	uint64_t late;        /* the answer to a request already counted as timed out */
	uint64_t timeouts;    /* no answer within the timeout */
	uint64_t send_errors; /* the kernel refused the datagram */
	uint64_t challenged;    /* digest flow: 401s with a usable challenge to a first request */
	uint64_t bad_challenge; /* digest flow: 401s without one (a failure) */
	uint64_t sent_op[SR_RF_OP_COUNT];
	int last_bad_status; /* the status of the last bad answer, for the report */
	struct sr_rf_hist lat; /* ns from the flow's first send to its 200 (ok answers only) */
	struct sr_rf_hist lat_challenge; /* digest flow: ns from the first send to its 401 */
};

enum sr_rf_verdict {
	SR_RF_OK,
	SR_RF_BAD_STATUS,
	SR_RF_UNEXPECTED,
	SR_RF_LATE,
	SR_RF_CHALLENGED,    /* the flow's 401: the caller now sends SR_RF_OP_AUTH for the AoR */
	SR_RF_BAD_CHALLENGE, /* a 401 to the flow's first request without a usable challenge */
};

struct sr_rf_slot {
	uint64_t sent_ns;      /* of the request outstanding */
	uint64_t flow_ns;      /* of the flow's first request (= sent_ns but for AUTH) */
	uint32_t cseq;         /* of the last request sent for the AoR (0: none yet) */
	uint32_t timeout_cseq; /* CSeq of the last request that timed out */
	uint8_t pending;
	uint8_t op;
	uint8_t registered; /* the last answered request left a binding */
	uint8_t removed;    /* de-registered by this run */
};

struct sr_rf_fifo_ent {
	uint64_t sent_ns;
	uint32_t local;
	uint32_t cseq;
};

struct sr_rf_track {
	uint32_t thread, nthreads, first_aor, n_local, run;
	uint64_t timeout_ns;
	struct sr_rf_slot *slots;
	struct sr_rf_fifo_ent *fifo;
	uint32_t fifo_mask, fifo_head, fifo_tail;
	uint32_t outstanding;
	bool expect_challenge; /* digest flow: a 401 to a flow's first request is its challenge */
	struct sr_rf_stats st;
};

/* AoRs [first_aor, first_aor + n_aors) spread over nthreads; fifo_min is rounded up to a
 * power of two. 0, or -1 on bad arguments or no memory. */
int sr_rf_track_init(struct sr_rf_track *t, uint32_t thread, uint32_t nthreads, uint32_t first_aor, uint32_t n_aors,
		     uint32_t run, uint64_t timeout_ns, uint32_t fifo_min);
void sr_rf_track_free(struct sr_rf_track *t);

uint32_t sr_rf_track_aor(const struct sr_rf_track *t, uint32_t local);
/* the local index of an AoR, or -1 if this thread does not own it */
int64_t sr_rf_track_local(const struct sr_rf_track *t, uint32_t aor);

/* Marks a request for AoR `local` as sent now and fills *out. -1 if the AoR already has
 * one outstanding, -2 if the timeout FIFO is full (the caller sends later; an AUTH
 * cannot wait for its challenge to go stale, so it is counted as a send error). */
int sr_rf_track_send(struct sr_rf_track *t, uint32_t local, enum sr_rf_op op, uint64_t now, struct sr_rf_req *out);
/* the kernel did not take the request prepared by sr_rf_track_send */
void sr_rf_track_send_failed(struct sr_rf_track *t, uint32_t local);
/* a received datagram: parsed (r) or unreadable (r == NULL) */
enum sr_rf_verdict sr_rf_track_response(struct sr_rf_track *t, const struct sr_rf_resp *r, uint64_t now);
/* counts and clears the requests older than the timeout; returns how many */
uint32_t sr_rf_track_expire(struct sr_rf_track *t, uint64_t now);

void sr_rf_stats_merge(struct sr_rf_stats *dst, const struct sr_rf_stats *src);
uint64_t sr_rf_stats_failures(const struct sr_rf_stats *s);
/* requests that started something: all but the digest flow's second steps */
uint64_t sr_rf_stats_started(const struct sr_rf_stats *s);

#endif
