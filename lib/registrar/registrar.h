/*
 * registrar.h - the sans-I/O registrar: one shard of the location service.
 *
 * sr_reg_process() takes the bytes of one SIP request, its transport source
 * and the current time, and produces the bytes of the response and the
 * binding events the change caused. It does no I/O, takes no lock and
 * allocates only from the shard's own slab, so the same code runs in a DPDK
 * worker, a unit test, a fuzzer and the in-process benchmark.
 *
 * A shard belongs to one thread. Time is wall-clock milliseconds since the
 * Unix epoch, supplied by the caller (binding expiry is kept in Unix
 * seconds so it survives a restart through persistence).
 *
 * The bindings themselves live in the shard's location store (lib/location,
 * sr_reg_location): the registrar decides what a REGISTER changes and
 * hands the store a change set; restore, administrative removal and
 * queries go to the store directly.
 */
#ifndef SR_REGISTRAR_H
#define SR_REGISTRAR_H

#include <stddef.h>
#include <stdint.h>

#include "../sip/sip_msg.h"
#include "../sip/sip_response.h"
#include "location.h"
#include "midreg.h"
#include "reg_config.h"

/* What an authenticated request carries into authorisation (filled by the auth hook). */
struct sr_auth_identity {
	struct sr_str user;
	struct sr_str realm;
};

/*
 * Steps 3 and 4 of RFC 3261 10.3. authenticate returns 0 to go on (identity
 * filled), or a status code (401, 403, ...) to answer with; it may write
 * extra header lines (e.g. WWW-Authenticate, each ending in CRLF) into
 * hdrs[0..cap) and set *hdr_len. authorize returns 0 when the identity may
 * change the AoR's bindings, else the status code (403).
 * NULL hooks allow everything.
 */
struct sr_auth_hooks {
	int (*authenticate)(void *ctx, const struct sr_sip_msg *m, uint64_t now_ms,
			    struct sr_auth_identity *id, char *hdrs, size_t cap, size_t *hdr_len);
	int (*authorize)(void *ctx, const struct sr_auth_identity *id, struct sr_str aor);
	void *ctx;
};

/*
 * Operator policy (lib/policy fills it): check runs once per REGISTER after
 * the Request-URI and Require checks and before authentication (a scanner is
 * dropped without a challenge). aor is the canonical AoR, empty when the To
 * URI has none (its error is answered after authentication as before).
 * It sets v->action; for SR_POL_REJECT also v->status and v->reason (static
 * or valid until sr_reg_process returns). NULL check allows everything.
 */
enum sr_pol_verdict_action { SR_POL_ALLOW, SR_POL_REJECT, SR_POL_DROP };
struct sr_pol_verdict {
	enum sr_pol_verdict_action action;
	int status;
	const char *reason;
};
struct sr_policy_hooks {
	void (*check)(void *ctx, const struct sr_sip_msg *m, struct sr_str aor, struct sr_pol_verdict *v);
	void *ctx;
};

/* Why a datagram got no response. */
enum sr_drop_reason {
	SR_DROP_NONE,
	SR_DROP_GARBAGE,     /* not a SIP message */
	SR_DROP_RESPONSE,    /* a SIP response: absorbed */
	SR_DROP_ACK,         /* ACK never gets a response */
	SR_DROP_NO_BUFFER,   /* the response did not fit the caller's buffer */
	SR_DROP_POLICY,      /* an operator policy rule said drop silently (scanners) */
	SR_DROP_NOT_OWNER,   /* the AoR belongs to another shard: hand the request to owner_key's owner */
	SR_DROP_COUNT
};

/*
 * What the data plane needs from a request, so that it never reads SIP text
 * itself: where the response goes and whether credentials came with it.
 */
struct sr_reg_result {
	int status;          /* status code sent, 0 when nothing is sent */
	size_t len;          /* response bytes written to the caller's buffer */
	enum sr_drop_reason drop;
	unsigned events;     /* binding events emitted */
	const char *reason;  /* reason phrase used (static) */
	/*
	 * With sr_reg_params.retraction: when the request changed bindings
	 * (events > 0), the response that retracts it (500, Retry-After: the
	 * change was not stored) follows the response in the caller's buffer,
	 * at resp + len, retraction_len bytes; 0 otherwise.
	 */
	size_t retraction_len;
	/*
	 * With sr_reg_params.retraction_replica as well: the retraction sent
	 * when the replica (not the node's store) refused the change (503,
	 * Retry-After), right behind the first, at resp + len + retraction_len.
	 */
	size_t retraction_replica_len;
	uint16_t reply_port; /* UDP port the response goes to (RFC 3261 18.2.2, RFC 3581 rport) */
	bool credentials;    /* the request carried an Authorization header */
	bool has_aor;        /* a REGISTER's canonical AoR was computed: aor_hash is its hash */
	bool mid_taken;      /* registrar.role = mid: the mid-registrar took it (forwarded, or a copy absorbed) */
	uint64_t aor_hash;   /* sr_hash64 of the canonical AoR (SR_DROP_NOT_OWNER: route by it) */
};

struct sr_reg_stats {
	uint64_t aors;
	uint64_t bindings;
	uint64_t binding_bytes;   /* slab memory reserved by the shard's location store */
	uint64_t requests;
	uint64_t responses_by_class[7]; /* index status/100 */
	uint64_t drops[SR_DROP_COUNT];
	uint64_t expired;
	uint64_t arena_overflows;
	uint64_t parsed_fast;     /* requests the fast path parsed */
	uint64_t parsed_slow;     /* requests that went down the libosip2 path */
	uint64_t parsed_resumed;  /* fast-path parses that resumed from the pre-scan's record */
};

struct sr_registrar;

/*
 * registrar.role = mid (reg_mid.c): take gets every REGISTER that names a
 * contact (or is Contact: *) once it passed the checks of a final registrar,
 * as the mid-registrar's facts (valid during the call; the hook may adjust
 * reply_to and settings). It returns true when the mid-registrar took it
 * (forwarded, or answered there: nothing is sent now, res->mid_taken), false
 * when the registrar is to answer it as a final registrar (absorbed).
 */
#define SR_REG_MID_MAX_LINES 96
struct sr_reg_mid_hooks {
	bool (*take)(void *ctx, struct sr_midreg_req *rq);
	void *ctx;
	/*
	 * The operator's rule (`aor mid` lines) for a REGISTER's canonical To
	 * AoR, NULL for none (an sr_midreg_settings_fn: in sipreg lib/policy's
	 * sr_policy_mid_settings; *tag in and out). Asked once per REGISTER, right after the AoR is
	 * known (reg_rule.c: a custom AoR decides the owner and what is
	 * matched), with the tag the AoR's record keeps from its last lookup, so
	 * a refresh is answered without a scan until the rules are reloaded;
	 * never on io.apply's second pass (which uses the copy kept with the
	 * request). take() gets the same settings in rq->settings. NULL: no rules.
	 * Called with settings_ctx, not ctx: the lookup itself (lib/policy's
	 * sr_policy_mid_settings over the worker's reader) is wired here, with
	 * no wrapper on every REGISTER's path.
	 */
	const struct sr_midreg_settings *(*settings)(void *ctx, struct sr_str aor, uint32_t *tag);
	void *settings_ctx;
	/*
	 * Optional, asked first: the decision alone, on a request holding only
	 * the facts sr_midreg_absorbs reads. True: absorbed, answered as a final
	 * registrar, and take is not called (nothing forwarding needs is
	 * gathered). False or NULL: every fact is gathered and take decides.
	 */
	bool (*absorbs)(void *ctx, const struct sr_midreg_req *rq);
	/*
	 * Optional, with lib/midreg's io.lease wired to this shard's store: a
	 * REGISTER every contact of which refreshes a binding whose lease
	 * covers its grant (sr_midreg_lease_covers) is absorbed without asking
	 * absorbs or take, answered as a final registrar, and counted here
	 * (sr_midreg_count_absorbed). NULL: every REGISTER is asked.
	 */
	void (*absorbed)(void *ctx);
};

struct sr_reg_params {
	const struct sr_reg_config *cfg; /* copied */
	unsigned shard_id;               /* makes rte_hash names unique */
	uint64_t now_ms;
	sr_loc_event_fn *on_event;       /* the location store's events; may be NULL */
	void *event_ctx;
	struct sr_loc_room room;         /* room for those events, claimed before a change (location.h) */
	/*
	 * Durability=sync: a REGISTER that changes bindings is answered with two
	 * responses, the 200 and its retraction (sr_reg_result.retraction_len),
	 * written from the one parse; the caller sends the 200 once the change is
	 * stored, the retraction if it cannot be. A change whose two responses do
	 * not both fit the buffer is not made (500, as for a 200 that does not fit).
	 */
	bool retraction;
	/*
	 * With retraction, replication.durability=sync: a third response, the
	 * retraction for a change the replica refused (503 with Retry-After:
	 * the node is fine, the shared store is away), so that each cause has
	 * its own status and each response still has one writer, this parse.
	 */
	bool retraction_replica;
	struct sr_auth_hooks auth;
	struct sr_policy_hooks policy;   /* zero: no policy */
	sr_aor_hash_fn *hash;            /* NULL: sr_hash64 (tests force collisions here) */
	size_t arena_size;               /* 0: a default that fits any UDP datagram */
	/*
	 * Whether this shard owns an AoR (by sr_hash64 of its canonical form);
	 * NULL: every AoR. A REGISTER for an AoR the shard does not own is not
	 * processed: SR_DROP_NOT_OWNER tells the data plane to hand it on.
	 */
	bool (*owns)(void *ctx, uint64_t aor_hash);
	void *owns_ctx;
	/*
	 * Flags the bindings of a REGISTER's AoR get (SR_BFLAG_MEMORY_ONLY, the
	 * only one taken: the mid-registrar's memory-only setting), asked once
	 * per REGISTER that changes bindings, after the checks; NULL: none. The
	 * worker answers from the settings it already looked up for the request.
	 */
	uint16_t (*binding_flags)(void *ctx, struct sr_str aor);
	void *binding_flags_ctx;
	struct sr_reg_mid_hooks mid;     /* zero: a final registrar */
};

/* Needs the DPDK EAL initialised. Returns NULL and sets *err to a static message on failure. */
struct sr_registrar *sr_reg_create(const struct sr_reg_params *p, const char **err);
void sr_reg_free(struct sr_registrar *s);

/*
 * Processes one request (any SIP message) and writes the response into
 * resp[0..cap). res->len == 0 means nothing is to be sent (res->drop says
 * why). Never fails otherwise: every error becomes a response.
 */
void sr_reg_process(struct sr_registrar *s, const char *req, size_t len, const struct sr_addr *src,
		    uint64_t now_ms, char *resp, size_t cap, struct sr_reg_result *res);
/* The same, resuming from what sr_reg_prescan found for these bytes (scan may be NULL). */
void sr_reg_process_scan(struct sr_registrar *s, const char *req, size_t len, const struct sr_sip_scan *scan,
			 const struct sr_addr *src, uint64_t now_ms, char *resp, size_t cap,
			 struct sr_reg_result *res);

/*
 * What the pre-scan read and computed of a REGISTER's AoR, for the owner to
 * take instead of doing it again (sr_reg_prescan_carry, then
 * sr_reg_process_carried; reg_carry.c): the To value as read, the AoR's
 * full hash, and whether the canonical AoR is the To URI's own bytes (from
 * its scheme to the end of its host; then it is copied, not rebuilt). The
 * pre-scan and the shard must run on the same configuration (sipreg's
 * workers do). 32 bytes: it travels in the mbuf's private area.
 */
enum sr_reg_carry_flags {
	SR_CARRY_AOR = 1u << 0,      /* aor_hash is sr_hash64 of the canonical AoR of to */
	SR_CARRY_VERBATIM = 1u << 1, /* that AoR is the To URI's text from its scheme to its host's end */
};
struct sr_reg_carry {
	uint64_t aor_hash;
	struct sr_sip_scan_to to; /* the To value and the request line as the pre-scan read them */
	uint8_t flags; /* SR_CARRY_* */
};
/* Its size: app/sipreg reserves it in every rx mbuf's private area, the benches keep one per request. */
#define SR_REG_CARRY_BYTES 32
_Static_assert(sizeof(struct sr_reg_carry) == SR_REG_CARRY_BYTES, "struct sr_reg_carry is SR_REG_CARRY_BYTES");

/* sr_reg_process_scan, taking what the pre-scan carried for these bytes (carry may be NULL). */
void sr_reg_process_carried(struct sr_registrar *s, const char *req, size_t len, const struct sr_sip_scan *scan,
			    const struct sr_reg_carry *carry, const struct sr_addr *src, uint64_t now_ms, char *resp,
			    size_t cap, struct sr_reg_result *res);

/*
 * Answers one request with status (and Retry-After when retry_after_s > 0)
 * without processing it: the data plane's refusal of a flooding source.
 * Uses only the shard's parse arena and configuration. Same result
 * conventions as sr_reg_process; not counted in the shard's stats.
 */
void sr_reg_refuse(struct sr_registrar *s, const char *req, size_t len, const struct sr_addr *src,
		   int status, uint32_t retry_after_s, char *resp, size_t cap, struct sr_reg_result *res);

/*
 * io.apply of the mid-registrar: the kept REGISTER a->msg (offered through
 * sr_reg_mid_hooks) applied with the expiries a->expires, all or nothing,
 * without its policy and authentication checks (they passed). Fills ids
 * with the binding each contact left (0: removed or not stored). Returns 0,
 * or the status the registrar would have answered (500, 503, ...).
 */
int sr_reg_mid_apply(struct sr_registrar *s, const struct sr_midreg_apply *a, uint64_t now_ms,
		     uint64_t ids[SR_MIDREG_MAX_CONTACTS]);

/*
 * The mid-registrar's io.bindings: the AoR's bindings now (at most cap, in
 * views, copied into out as lib/midreg reads them). Returns their count.
 */
unsigned sr_reg_mid_bindings(struct sr_registrar *s, struct sr_str aor, uint32_t now_s, struct sr_loc_binding *views,
			     struct sr_midreg_binding *out, unsigned cap);

/* Expires bindings due by now_ms, at most 'budget' of them; returns how many. */
unsigned sr_reg_expire(struct sr_registrar *s, uint64_t now_ms, unsigned budget);

void sr_reg_get_stats(const struct sr_registrar *s, struct sr_reg_stats *st);

/* The shard's location store: restore, administrative removal and queries. */
struct sr_loc *sr_reg_location(struct sr_registrar *s);

/* What the owner pre-scan found besides *scan (sr_reg_prescan). */
#define SR_REG_BRANCH_MAX 64
struct sr_reg_owner {
	/*
	 * SR_SCAN_OWNER set: the hash of the canonical AoR of a REGISTER's To, or
	 * of another request's Request-URI (so an INVITE, its CANCEL and its ACK
	 * meet where the AoR's bindings are); a Request-URI without an AoR (no
	 * user part) hashes by its identity hash (sr_uri_hash).
	 */
	uint64_t hash;
	/* a response: its top Via branch, copied (empty when longer than the buffer) */
	uint8_t branch_len;
	char branch[SR_REG_BRANCH_MAX];
	/*
	 * A request other than REGISTER: the pn-purr parameter of its
	 * Request-URI (RFC 8599), copied when it has the length of ours
	 * (SR_PUSH_PURR_LEN); empty otherwise. Dispatch checks it and sends the
	 * request to the worker owning the binding it names.
	 */
	uint8_t purr_len;
	char purr[SR_PUSH_PURR_LEN];
};

/*
 * The owner pre-scan: the first steps of the message walk, stopped at the
 * field that decides the owner (a REGISTER's To URI, another request's
 * Request-URI, a response's top Via branch). Fills *scan (scan->kind; the
 * owner resumes from it) and *o (may be NULL). Returns 0 when it found the
 * owner field: for a request, scan->owner_key is then the low 32 bits of
 * o->hash and SR_SCAN_OWNER is set; for a response, o->branch holds the
 * branch. Returns -1 when the walk fails before the owner is known: the
 * full parse then fails too, so whoever received the datagram may answer it.
 * The arena is reset before returning.
 */
int sr_reg_prescan(const char *req, size_t len, const struct sr_reg_config *cfg, struct sr_arena *arena,
		   struct sr_sip_scan *scan, struct sr_reg_owner *o);
/* The same, also filling *carry (may be NULL; struct sr_reg_carry) for the owner. */
int sr_reg_prescan_carry(const char *req, size_t len, const struct sr_reg_config *cfg, struct sr_arena *arena,
			 struct sr_sip_scan *scan, struct sr_reg_owner *o, struct sr_reg_carry *carry);

#endif
