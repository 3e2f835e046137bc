/*
 * reg_harness.h - what the registrar tests share: a shard with a recorded
 * event log, a REGISTER builder and readers for the response.
 *
 * Requests are real bytes (built here or given raw) that go through
 * sr_reg_process exactly as the data plane sends them.
 */
#ifndef SR_REG_HARNESS_H
#define SR_REG_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "registrar.h"

#define TH_MAX_EVENTS 256
#define TH_T0_MS 1795262940000ull /* 2026-11-21 12:09:00 UTC */

struct th_event {
	enum sr_event_type type;
	char aor[256];
	char contact[512];
	uint32_t expires;
	uint32_t cseq;
	uint64_t id;
};

struct th_env {
	struct sr_reg_config cfg;
	struct sr_registrar *shard;
	/* NULL: the shard owns every AoR; else asked for each REGISTER's AoR hash */
	bool (*owns)(struct th_env *e, uint64_t aor_hash);
	/* a mid rule's custom AoR (aor=) owns its REGISTERs: the parse's owner is not the pre-scan's, on purpose */
	bool owner_moves;
	/* NULL: no binding flags; else the registrar's binding_flags hook for each changing REGISTER's AoR */
	uint16_t (*binding_flags)(struct th_env *e, struct sr_str aor);
	struct sr_arena prescan_arena;
	struct sr_sip_scan scan; /* what the pre-scan of the last request found */
	uint64_t now_ms;
	struct sr_addr src;
	char resp[65536];
	size_t resp_cap;           /* room given to sr_reg_process; 0: all of resp (less its NUL) */
	struct sr_reg_result res;
	char retraction[2048];     /* the retraction that followed the response (NUL-terminated), if any */
	char retraction_replica[2048]; /* the replica's retraction behind it (th_env_durable_replica) */
	struct th_event events[TH_MAX_EVENTS];
	unsigned n_events;
	sr_loc_event_fn *on_event; /* optional: sees every event (complete) before it is recorded */
	void *on_event_ctx;
	/* room for events (th_env_durable): 'room' more claims are granted, then refused */
	unsigned room, claims, releases;
};

/* A REGISTER to build; NULL/0 fields take defaults (see reg_harness.c). */
struct th_req {
	const char *method;   /* "REGISTER" */
	const char *ruri;     /* "sip:example.com" */
	const char *to;       /* To URI, "sip:alice@example.com" */
	const char *call_id;  /* "call-1@client" */
	uint32_t cseq;        /* 1 */
	const char *branch;   /* "z9hG4bK-<cseq>-<call_id hash>" */
	const char *contact;  /* whole Contact header value(s) or NULL for no Contact header */
	const char *extra;    /* extra header lines, each ending in "\r\n" */
};

/* Creates an environment; cfg NULL = defaults serving example.com. hash NULL = default. */
struct th_env *th_env_new(const struct sr_reg_config *cfg, sr_aor_hash_fn *hash);
/* The same with an operator policy hook (copied; NULL = none). */
struct th_env *th_env_new_policy(const struct sr_reg_config *cfg, sr_aor_hash_fn *hash,
				 const struct sr_policy_hooks *policy);
/* The same with operator policy and authentication hooks (each copied; NULL = none). */
struct th_env *th_env_new_hooks(const struct sr_reg_config *cfg, sr_aor_hash_fn *hash,
				const struct sr_policy_hooks *policy, const struct sr_auth_hooks *auth);
void th_env_free(struct th_env *e);
/* The default environment with the mid-registrar's hook (registrar.role = mid, reg_mid.c). */
struct th_env *th_env_new_mid(const struct sr_reg_mid_hooks *mid);
/* The same with configuration cfg (NULL: the default). */
struct th_env *th_env_new_mid_cfg(const struct sr_reg_mid_hooks *mid, const struct sr_reg_config *cfg);
/*
 * An environment whose store claims room for every event (struct sr_loc_room:
 * e->room grants, counted in e->claims) and, with retraction, writes each
 * change's retraction (durability=sync).
 */
struct th_env *th_env_durable(unsigned room, bool retraction);
/* The same, writing also each change's replica retraction (replication.durability=sync). */
struct th_env *th_env_durable_replica(unsigned room);
/* An environment with the default configuration but max_contacts and its mode (fails the test if refused). */
struct th_env *th_env_contacts(uint32_t max_contacts, enum sr_max_contacts_mode mode);
/* The default configuration used by th_env_new(NULL, ...). */
void th_default_config(struct sr_reg_config *cfg);

/* cmocka set-up/tear-down with a default environment in *state. */
int th_setup(void **state);
int th_teardown(void **state);

/* Builds and processes a request; returns the status (0 when no response). */
int th_send(struct th_env *e, const struct th_req *r);
/* Shorthand: REGISTER from To user@example.com with one Contact header value and Call-ID/CSeq. */
int th_register(struct th_env *e, const char *user, const char *contact, const char *call_id,
		uint32_t cseq);
/* True when SR_TEST_PARSE=libosip2: every shard runs with registrar.fast_parse off. */
bool th_libosip2_only(void);
/* Pre-scans and processes raw bytes as the data plane does; returns the status (0 when no response). */
int th_raw(struct th_env *e, const char *bytes, size_t len);

/* The value of the idx-th header line called name in the last response (NULL if absent). */
const char *th_header(struct th_env *e, const char *name, unsigned idx);
unsigned th_header_count(struct th_env *e, const char *name);
/* The reason phrase of the last response. */
const char *th_reason(struct th_env *e);

/* The shard's location store, and the record of a canonical AoR (NULL when it has no binding). */
struct sr_loc *th_loc(struct th_env *e);
const struct sr_aor *th_aor(struct th_env *e, const char *aor);
/* Bindings of a canonical AoR ("sip:alice@example.com"), in the store's (q) order. */
unsigned th_binding_count(struct th_env *e, const char *aor);
const struct sr_binding *th_binding(struct th_env *e, const char *aor, unsigned idx);
/* A binding field as a NUL-terminated string (static buffer, overwritten by the next call). */
const char *th_field(const struct sr_binding *b, enum sr_bfield f);

/* Moves time forward and runs expiry. Returns the number expired. */
unsigned th_advance(struct th_env *e, uint32_t seconds);

#endif
