/*
 * midreg_harness.h - the world around a mid-registrar shard in the unit
 * tests: a fake host (a small location store and the registrar's part: it
 * applies absorbed REGISTERs itself, applies forwarded ones through
 * io.apply, and expires bindings with the location store's events), a fake
 * main registrar (RFC 3261 10.3 in miniature: bindings per AoR and contact
 * URI, CSeq order per binding, a granted expiry capped at max_expires, and
 * scripted behaviours: drop, 5xx, 401 without credentials, 403) and a fake
 * clock stepped by 100 ms.
 *
 * The main registrar answers only when the test pumps it (mh_pump, or
 * mh_run_to which pumps every step), never inside the shard's send: that is
 * what a network does. Requests it already answered (same branch) get the
 * same answer again, as its transaction layer would.
 */
#ifndef MIDREG_HARNESS_H
#define MIDREG_HARNESS_H

#include <stdbool.h>
#include <stdint.h>

#include "midreg.h"

#define MH_BINDINGS 512
#define MH_QUEUE 256
#define MH_MSG 4096
#define MH_UA_OUT 64

struct mh_binding {
	bool used;
	uint64_t id;
	char aor[128];
	char uri[160];
	uint32_t expires_at;   /* Unix seconds */
	uint32_t lease;        /* io.lease's word (not persisted: mh_restart clears it, as a store's restore does) */
	unsigned leases;       /* io.lease calls for it */
};

struct mh_up_binding {
	bool used;
	char aor[128];
	char uri[200];
	char call_id[64];
	uint32_t cseq;
	uint32_t expires_at;
};

enum mh_main_mode {
	MH_MAIN_OK,        /* answers as a registrar */
	MH_MAIN_DROP,      /* never answers (the client transaction times out) */
	MH_MAIN_LOSE,      /* processes every REGISTER, but its answers are lost */
	MH_MAIN_503,       /* 503 with Retry-After: 20 */
	MH_MAIN_AUTH,      /* 401 with a challenge unless the REGISTER carries Authorization */
	MH_MAIN_403,       /* 403 */
};

struct mh_main {
	enum mh_main_mode mode;
	uint32_t max_expires;               /* 0: grant what is asked */
	struct mh_up_binding b[MH_BINDINGS];
	unsigned received;                  /* REGISTERs processed (copies answered again not counted) */
	unsigned deregisters;               /* of which every contact had expires 0 */
	unsigned cseq_errors;               /* 500s for CSeq out of order */
	char last[MH_MSG];                  /* the last REGISTER received */
	/* queue of requests sent to it, and the answers given by branch */
	char queue[MH_QUEUE][MH_MSG];
	size_t queue_len[MH_QUEUE];
	unsigned q_head, q_tail;
	char answered_branch[MH_QUEUE][64];
	char answered[MH_QUEUE][MH_MSG];
	unsigned n_answered;
};

struct mh_ua {
	unsigned id;
	char aor[96];
	char uri[128];
	uint16_t port;
	uint32_t cseq;
	bool credentials;                   /* send an Authorization header */
	char last_msg[MH_MSG];              /* the last REGISTER built (for retransmissions) */
};

struct mh_ua_reply {
	uint16_t port;
	int status;
	char bytes[MH_MSG];
};

struct mh {
	struct sr_midreg_shard *m;
	uint64_t now_ms;
	struct mh_binding store[MH_BINDINGS];
	uint64_t next_id;
	struct mh_main main;
	struct mh_ua_reply ua_out[MH_UA_OUT];
	unsigned n_ua_out;                  /* total; ua_out[n % MH_UA_OUT] is the next slot */
	unsigned absorbed_local;            /* REGISTERs the fake registrar answered itself */
	int apply_rc;                       /* what io.apply returns (0: store) */
	unsigned apply_calls;
	unsigned rec_put, rec_del;
	/* the persisted records, by contact id (the last PUT), for restart tests */
	uint64_t rec_ctid[MH_BINDINGS];
	uint8_t rec_bytes[MH_BINDINGS][1200];
	size_t rec_len[MH_BINDINGS];
	struct sr_midreg_binding view[MH_BINDINGS]; /* io.bindings' answer */
	const struct sr_midreg_settings *settings;  /* passed with every REGISTER (NULL: defaults) */
	unsigned starts;                            /* shards started (each gets its own transaction secret) */
	/* decide first, as the registrar does with its absorbs hook: sr_midreg_absorbs on the decision's facts
	 * alone (everything else zero), then sr_midreg_register with every fact when not absorbed */
	bool decide_first;
	unsigned decided_first;                     /* REGISTERs absorbed that way */
	/* REGISTERs whose every contact's binding lease (io.lease) covered it: a registrar absorbs them unasked,
	 * and the harness checks that the decision absorbs each of them too */
	unsigned leased;
};

extern struct sr_txn_dest mh_main_addr;

/* Starts a shard in 'mode' at a fixed wall-clock time; cfg_hook may change the configuration first. */
void mh_init(struct mh *h, enum sr_midreg_mode mode, void (*cfg_hook)(struct sr_midreg_config *c));
void mh_free(struct mh *h);
/* A new shard over the same store, main registrar and persisted records (a restart); records are restored. */
void mh_restart(struct mh *h, void (*cfg_hook)(struct sr_midreg_config *c));

void mh_ua_init(struct mh_ua *u, unsigned id, const char *aor, const char *uri);
/* The UA sends a REGISTER (new CSeq and branch) with this expiry for its contact; the fake registrar answers absorbed ones. */
enum sr_midreg_verdict mh_register(struct mh *h, struct mh_ua *u, uint32_t expires);
/* Two devices a and b (ids 1 and 2) of aor register with this expiry, and the main registrar answers. */
void mh_two_devices(struct mh *h, struct mh_ua *a, struct mh_ua *b, const char *aor, const char *uri_a,
		    const char *uri_b, uint32_t expires);
/* The same REGISTER again (a retransmission). */
enum sr_midreg_verdict mh_retransmit(struct mh *h, struct mh_ua *u);
/* Several contacts at once, or Contact: * (uris NULL, n 0). */
enum sr_midreg_verdict mh_register_many(struct mh *h, struct mh_ua *u, const char *const *uris, unsigned n,
					uint32_t expires, bool star);

/* The main registrar answers everything queued (and what its answers cause). */
void mh_pump(struct mh *h);
/* Steps the clock by 100 ms up to t_ms: timers, the main registrar, binding expiry. */
void mh_run_to(struct mh *h, uint64_t t_ms);
/* Removes a local binding as an operator would, with the location store's event. */
void mh_admin_remove(struct mh *h, const char *aor, const char *uri);

/* The last answer sent to the UA (NULL when none since 'since', a count of n_ua_out). */
const struct mh_ua_reply *mh_ua_reply(const struct mh *h, const struct mh_ua *u, unsigned since);
const struct mh_binding *mh_local(const struct mh *h, const char *aor, const char *uri);
unsigned mh_local_count(const struct mh *h, const char *aor);
/* Live upstream bindings of aor at the main registrar (and the i-th, i < count). */
unsigned mh_main_count(const struct mh *h, const char *aor);
const struct mh_up_binding *mh_main_binding(const struct mh *h, const char *aor, unsigned i);
uint32_t mh_now_s(const struct mh *h);

#endif
