/*
 * midreg_internal.h - the mid-registrar shard, its records and contexts,
 * shared by the files of lib/midreg only (the public interface is midreg.h).
 *
 * Files: midreg_settings.c (settings, options, configuration),
 * midreg_record.c (the record pool, its two indexes, the persisted
 * encoding), midreg_decide.c (forward or absorb), midreg_upstream.c (the
 * requests to the main registrar and what their answers do),
 * midreg_shard.c (the entry points and the transaction user's callbacks).
 */
#ifndef SR_MIDREG_INTERNAL_H
#define SR_MIDREG_INTERNAL_H

#include "midreg.h"

#define MR_NIL UINT32_MAX
#define MR_SELF_MAX 64
#define MR_AOR_MAX 1024   /* longest AoR a record can hold (max_aor_len may not exceed it) */
#define MR_USER_MAX 64    /* longest UA user part kept in a ct-param contact URI (longer: the URI goes without) */
#define MR_REPLY_MAX 64   /* Contacts listed in an answer to the UA */
#define MR_URI_MAX 512    /* one upstream contact URI */
#define MR_CALL_ID_LEN 19 /* "mr-" + 16 hex */
#define MR_TAG_LEN 18     /* "mr" + 16 hex */
/* CSeq of our requests: at least the seconds since this epoch, so it grows across restarts (RFC 3261 8.1.1.5: < 2**31). */
#define MR_CSEQ_EPOCH 1700000000u

/* One upstream registration (struct sr_midreg_record plus the pool's links). */
struct mr_rec {
	struct sr_tw_node timer;  /* LIVE: lapse at up_expires_at; DEREG: next attempt */
	uint32_t next_ctid;       /* chain of the contact id index */
	uint32_t next_key;        /* chain of the (AoR, binding) / AoR index */
	uint64_t ctid;
	uint64_t binding_id;
	uint64_t key_hash;
	uint64_t aor_hash;        /* the request's aor_hash the AoR matched last (0: none yet): mr_rec_by_key_hashed */
	uint32_t up_expires_at, up_refreshed_at, cseq, retry_at;
	uint32_t pending_key;     /* mr_req_key of the last UA request forwarded with it (spots its copies) */
	uint8_t state;            /* enum sr_midreg_rec_state; 0: free */
	uint8_t mode;
	uint8_t attempts;
	uint8_t pending;          /* forwarded REGISTERs in flight that involve it */
	bool in_key;              /* linked in the key index */
	bool counted_live;        /* counted in stats.upstream_live */
	uint8_t user_len;
	uint16_t aor_len;
	char *text;               /* the AoR, then the UA user part (its slot in the text arena) */
};

static inline struct sr_str mr_rec_aor(const struct mr_rec *r)
{
	return sr_str_make(r->text, r->aor_len);
}

static inline struct sr_str mr_rec_user(const struct mr_rec *r)
{
	return sr_str_make(r->text + r->aor_len, r->user_len);
}

enum mr_ctx_kind {
	MR_CTX_FORWARD = 1, /* a UA's REGISTER forwarded: a server and a client transaction */
	MR_CTX_DEREG,       /* our own de-REGISTER of one record: a client transaction */
};

/* Flags of one entry of a forwarded REGISTER. */
enum {
	MR_E_NEW = 1u << 0,    /* its record was created for this request */
	MR_E_REMOVE = 1u << 1, /* expires 0 */
};

/* One entry of a forwarded REGISTER: a Contact of the request (or, for Contact: *, a record to remove). */
struct mr_entry {
	uint32_t rec;      /* its record; MR_NIL: none (AoR mode, or a removal with nothing upstream) */
	uint32_t grant;    /* local expiry the registrar would grant */
	uint32_t asked;    /* expiry asked upstream */
	uint8_t flags;
};

/* A request upstream in flight, and the UA's side of it. */
struct mr_ctx {
	uint32_t idx;
	uint8_t kind;
	uint8_t refs;          /* transactions whose user we are */
	bool answered;         /* the UA has its final answer */
	bool pure_refresh;     /* every contact refreshes a local binding that has an upstream record */
	bool star;
	bool only_request;
	bool aor_remove;       /* AoR mode: the AoR's last contact goes */
	struct sr_txn *server;
	uint32_t aor_rec;      /* AoR mode: the AoR's record; MR_DEREG: the record de-registered */
	unsigned n;
	struct mr_entry e[SR_MIDREG_MAX_CONTACTS];
	uint64_t ids[SR_MIDREG_MAX_CONTACTS];
	struct sr_txn_dest reply_to;
	struct sr_buf store;   /* AoR, request, head lines, 2xx lines, host state, To tag */
	struct sr_str aor, msg, ok_lines, host_state, to_tag;
	struct sr_fwd_head head;
};

struct sr_midreg_shard {
	struct sr_midreg_config cfg;
	char self[MR_SELF_MAX];
	char ctid_param[SR_MIDREG_PARAM_MAX], at_escape[16], extra[128], received_param[SR_MIDREG_PARAM_MAX];
	struct sr_midreg_io io;
	void *io_ctx;
	struct sr_txn_shard *txn;
	uint64_t now_ms;       /* of the call in progress: callbacks of the transaction layer carry no clock */
	uint64_t counter;      /* contact id generator */
	/* records */
	struct mr_rec *recs;
	uint32_t *rec_free;
	uint32_t rec_free_top;
	char *text;            /* records * text_slot bytes */
	uint32_t text_slot;
	uint32_t *by_ctid, *by_key;
	uint32_t buckets_mask;
	struct sr_tw wheel;    /* seconds */
	/* contexts */
	struct mr_ctx *ctxs;
	uint32_t *ctx_free;
	uint32_t ctx_free_top;
	/* the Contacts of an answer */
	struct sr_mid_reply_contact reply[MR_REPLY_MAX];
	char received[MR_REPLY_MAX][32];
	struct sr_midreg_stats stats;
};

static inline uint32_t mr_now_s(const struct sr_midreg_shard *m)
{
	return (uint32_t)(m->now_ms / 1000);
}

static inline bool mr_contact_mode(const struct sr_midreg_shard *m)
{
	return m->cfg.mode != SR_MIDREG_AOR_THROTTLING;
}

/* midreg_record.c: the pool and its indexes */
int mr_records_init(struct sr_midreg_shard *m);
void mr_records_fini(struct sr_midreg_shard *m);
/* A new record of aor (state NEW) with a fresh contact id; NULL when the pool is empty or the AoR too long. */
struct mr_rec *mr_rec_new(struct sr_midreg_shard *m, struct sr_str aor, uint16_t owner, struct sr_str user);
void mr_rec_free(struct sr_midreg_shard *m, struct mr_rec *r);
uint32_t mr_rec_idx(const struct sr_midreg_shard *m, const struct mr_rec *r);
struct mr_rec *mr_rec_at(struct sr_midreg_shard *m, uint32_t idx);
struct mr_rec *mr_rec_by_ctid(struct sr_midreg_shard *m, uint64_t ctid);
/* Contact modes: the record of (aor, binding_id); AoR mode: the record of aor (binding_id ignored). */
struct mr_rec *mr_rec_by_key(struct sr_midreg_shard *m, struct sr_str aor, uint64_t binding_id);
/* The same, with the request's aor_hash (struct sr_midreg_req; 0: none), so a known AoR's bytes stay unread. */
struct mr_rec *mr_rec_by_key_hashed(struct sr_midreg_shard *m, struct sr_str aor, uint64_t aor_hash,
				    uint64_t binding_id);
/* Links r under (its AoR, binding_id) (contact modes) or its AoR; unlinks it first if linked. */
void mr_rec_link(struct sr_midreg_shard *m, struct mr_rec *r, uint64_t binding_id);
void mr_rec_unlink(struct sr_midreg_shard *m, struct mr_rec *r);
/* Sets the state and keeps stats.upstream_live and the lapse timer right. */
void mr_rec_set_live(struct sr_midreg_shard *m, struct mr_rec *r, uint32_t up_expires_at);
void mr_rec_set_lapsed(struct sr_midreg_shard *m, struct mr_rec *r);
/* Publishes r's lease on its binding (io.lease; midreg_record.c says when). */
void mr_rec_lease(struct sr_midreg_shard *m, const struct mr_rec *r);
void mr_rec_arm(struct sr_midreg_shard *m, struct mr_rec *r, uint32_t at);
/* A persisted record back in the pool and its indexes; NULL when refused (duplicate id, too long, pool empty). */
struct mr_rec *mr_rec_restore(struct sr_midreg_shard *m, const struct sr_midreg_record *in);
/* Hands the record to io.record (PUT). */
void mr_rec_persist(struct sr_midreg_shard *m, const struct mr_rec *r);
/* Our Call-ID for the records of aor and the From tag of our own requests. */
void mr_call_id(struct sr_str aor, char out[MR_CALL_ID_LEN]);
void mr_from_tag(uint64_t ctid, char out[MR_TAG_LEN]);
/* Seconds to wait after the n-th consecutive failure (n >= 1): doubling from backoff_min, capped, with jitter. */
uint32_t mr_backoff(const struct sr_midreg_shard *m, const struct mr_rec *r, unsigned n);

/* midreg_decide.c */
struct mr_plan {
	bool forward;
	bool pure_refresh;
	bool aor_remove;       /* AoR mode: the last contact goes */
	unsigned n;
	struct mr_entry e[SR_MIDREG_MAX_CONTACTS];
	struct mr_rec *aor_rec;/* AoR mode: the AoR's record, NULL when none */
	uint32_t aor_grant;    /* AoR mode: the longest local grant of the request */
};
void mr_decide(struct sr_midreg_shard *m, const struct sr_midreg_req *rq, struct mr_plan *p);
/* A request's identity as its copies share it: top Via branch, Call-ID and CSeq (RFC 3261 17.2.3, and 2543). */
uint32_t mr_req_key(const struct sr_midreg_shard *m, const struct sr_midreg_req *rq);

/* midreg_upstream.c */
enum sr_midreg_verdict mr_forward(struct sr_midreg_shard *m, const struct sr_midreg_req *rq, struct mr_plan *p);
void mr_on_final(struct sr_midreg_shard *m, struct mr_ctx *c, const struct sr_midreg_resp *rp);
void mr_on_timeout(struct sr_midreg_shard *m, struct mr_ctx *c);
void mr_ctx_unref(struct sr_midreg_shard *m, struct mr_ctx *c);
/* De-registers r upstream when its registration may still stand there, else frees it. */
void mr_settle(struct sr_midreg_shard *m, struct mr_rec *r);
void mr_dereg(struct sr_midreg_shard *m, struct mr_rec *r);

#endif
