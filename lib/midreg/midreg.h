/*
 * midreg.h - sipreg as a mid-registrar in front of a main registrar (the
 * OpenSIPS mid_registrar modes: contact mirroring, contact throttling, AoR
 * throttling), sans-I/O, one shard per worker.
 *
 * Design decisions:
 * - The same shape as lib/routing: the worker hands parsed facts (struct
 *   sr_midreg_req for a UA's REGISTER, struct sr_midreg_resp for the main
 *   registrar's response) and gets actions back through struct sr_midreg_io:
 *   "send these bytes", "apply this REGISTER to the location store", "list
 *   the bindings of this AoR", "persist this record". Nothing here reads
 *   SIP text (lib/sip/sip_midreg.h writes and reads our own URIs) or touches
 *   the location store or a socket.
 * - The shard is the transaction user of its own transaction shard
 *   (lib/transaction): a forwarded REGISTER holds a server transaction
 *   towards the UA (retransmissions absorbed, the final answer re-sent) and
 *   a non-INVITE client transaction towards the main registrar (Timers E, F,
 *   K); de-REGISTERs are client transactions alone. The routing never sends
 *   a REGISTER, so a response whose CSeq method is REGISTER is ours: that is
 *   the worker's dispatch rule (sr_midreg_response), and the branch names the
 *   owning worker as for the routing.
 * - The upstream registration sipreg owns is a record: per contact (mirror,
 *   contact throttling) or per AoR (AoR throttling), holding the contact id,
 *   the local binding it stands for, the expiry the main registrar granted,
 *   our Call-ID (derived from the contact id) and CSeq, and the back-off
 *   state. Records come from a fixed pool (exhausted: 503 with Retry-After,
 *   counted) and are indexed by contact id and by (AoR, binding id) or AoR.
 *   Every change that matters after a restart is handed to io.record as a
 *   versioned byte record (sr_midreg_record_encode) for the persistence
 *   layer; sr_midreg_restore() takes them back.
 * - Decisions (sr_midreg_register): mirror forwards every REGISTER; contact
 *   throttling forwards a new contact, a removal, or a refresh whose upstream
 *   registration would not outlive the UA's next refresh (the local expiry
 *   plus refresh_margin); AoR throttling forwards the AoR's first contact,
 *   the removal of its last, or the refresh of the one upstream registration
 *   when it runs short. Everything else is absorbed: the registrar answers it
 *   from the local binding and nothing goes upstream. The UA's expiry is
 *   never granted beyond the upstream registration (mirror: exactly the main
 *   registrar's grant; throttling: the smaller of the local grant and it).
 * - Authentication: a forwarded REGISTER carries the UA's credentials as
 *   they are, and a 401/407 goes back to the UA with its challenge, so the
 *   UA's next REGISTER brings credentials for the main registrar. An
 *   absorbed refresh never goes upstream and needs none. Whether sipreg
 *   challenges locally first is the registrar's existing auth.enabled
 *   (docs/MID_REGISTRAR.md states the exact rule).
 * - Failures: a timeout (504 with Retry-After) or a 5xx from the main
 *   registrar reaches the UA, except for a pure refresh in a throttling mode:
 *   the local binding stands (the UA gets 200 from it) and the upstream
 *   refresh is retried with exponential back-off on the UA's later
 *   refreshes (they carry the UA's credentials, which sipreg cannot make).
 *   Nothing stays registered upstream that sipreg no longer holds: a record
 *   whose local binding is gone is de-registered (with timer-driven back-off
 *   until the main registrar confirms or the upstream lifetime is over).
 */
#ifndef SR_MIDREG_H
#define SR_MIDREG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sip_forward.h"
#include "sip_midreg.h"
#include "sip_str.h"
#include "txn.h"

#define SR_MIDREG_MAX_CONTACTS 16    /* Contacts of one REGISTER (the message view's limit) */
#define SR_MIDREG_MAX_UP_CONTACTS 32 /* Contacts of a main registrar's 2xx considered */

enum sr_midreg_mode {
	SR_MIDREG_MIRROR = 0,           /* every REGISTER forwarded, contacts rewritten */
	SR_MIDREG_CONTACT_THROTTLING,   /* per contact, upstream expiry raised to outgoing_expires */
	SR_MIDREG_AOR_THROTTLING,       /* one upstream contact per AoR */
};

/* ---------------------------------------------------------------- settings */

/* How a rule chooses contact matching (OpenSIPS matching-mode). */
enum sr_midreg_matching {
	SR_MIDREG_MATCH_DEFAULT = 0,    /* the registrar's own rules */
	SR_MIDREG_MATCH_CONTACT,        /* 0: contact URI only */
	SR_MIDREG_MATCH_CONTACT_CALLID, /* 1: contact URI and Call-ID */
	SR_MIDREG_MATCH_PARAM,          /* only the value of one URI parameter (matching_param) */
};

#define SR_MIDREG_PARAM_MAX 32
#define SR_MIDREG_AOR_TEMPLATE_MAX 128

/*
 * The choices the OpenSIPS manual lets a script make per request
 * (mid_registrar_save flags and arguments), made here per domain or AoR
 * pattern by the operator's rules (docs/MID_REGISTRAR.md has the syntax
 * and the mapping). "Unset" values fall back to the configuration.
 */
struct sr_midreg_settings {
	uint32_t outgoing_expires;   /* 0: mid.outgoing_expires */
	int64_t max_contacts;        /* -1: registrar.max_contacts; 0: unlimited */
	int8_t force_registration;   /* -1: registrar.max_contacts_mode; 1: drop the oldest; 0: refuse */
	enum sr_midreg_matching matching;
	char matching_param[SR_MIDREG_PARAM_MAX];  /* SR_MIDREG_MATCH_PARAM: the URI parameter */
	bool path_received;          /* the first Path URI's received parameter is the binding's source */
	bool only_request_contacts;  /* the 2xx lists only this request's contacts */
	bool memory_only;            /* bindings of these AoRs are not persisted */
	char aor[SR_MIDREG_AOR_TEMPLATE_MAX]; /* custom AoR: "$user" and "$domain" replaced; empty: the To AoR */
};

/* Settings with every value unset. */
void sr_midreg_settings_defaults(struct sr_midreg_settings *s);
/*
 * Parses the comma-separated flags of one rule into s (which the caller set
 * to defaults): outgoing-expires=N, max-contacts=N, force-registration,
 * no-force-registration, matching-mode=0|1|<param>, path-received,
 * only-request-contacts, memory-only, aor=<template>. Returns 0, or -1 with
 * the reason in err (naming the flag).
 */
int sr_midreg_settings_parse(const char *text, size_t len, struct sr_midreg_settings *s, char *err, size_t errcap);
/*
 * Writes the custom AoR of template tmpl for a To URI's user and domain
 * ("$user" and "$domain" replaced; "$$" is a '$'). Returns the length, 0
 * when it does not fit or tmpl names another variable.
 */
size_t sr_midreg_custom_aor(const char *tmpl, struct sr_str user, struct sr_str domain, char *out, size_t cap);

/*
 * The operator's per-domain / per-AoR lookup (lib/policy's rules are its
 * natural home): the settings of the rule for canonical AoR aor, NULL when
 * no rule matches (every value the configuration's). The answer is the
 * rules' own copy: valid until the caller next reports quiescence (the
 * REGISTER being processed), never kept longer.
 *
 * *tag lets the caller skip the scan next time: it comes in as what an
 * earlier lookup of the same AoR left (0: none) and goes out naming this
 * answer (0: not to be kept). A tag that still names the current rules'
 * answer is answered without scanning; a reload makes every older tag stale
 * (the next lookup scans), so the rule applied always is the current one.
 */
typedef const struct sr_midreg_settings *sr_midreg_settings_fn(void *arg, struct sr_str aor, uint32_t *tag);

/* ---------------------------------------------------------------- configuration */

/* mid.contact_id_insertion: where the contact id goes in our contact URIs (manual 1.5.2). */
enum sr_midreg_ct_insertion {
	SR_MIDREG_CT_PARAM = 0,    /* ;<contact_id_param>=<id> appended (the default) */
	SR_MIDREG_CT_USERNAME,     /* the id is the URI's user part */
};

/*
 * The [mid] section as the configuration file holds it (strings in
 * buffers), with defaults and a check naming the key at fault. The main
 * registrar's address is resolved by the application (registrar_ip/port).
 */
struct sr_midreg_options {
	unsigned mode;                    /* enum sr_midreg_mode */
	char registrar[256];              /* mid.registrar "HOST:PORT" */
	uint32_t registrar_ip;            /* resolved, network byte order */
	uint16_t registrar_port;
	unsigned contact_id_insertion;    /* enum sr_midreg_ct_insertion */
	char contact_id_param[SR_MIDREG_PARAM_MAX];
	char at_escape_str[16];
	uint32_t outgoing_expires;
	char received_param[SR_MIDREG_PARAM_MAX];
	char extra_contact_params[128];
	uint32_t records;                 /* upstream records per worker */
	uint32_t contexts;                /* REGISTERs in flight upstream per worker */
	uint32_t refresh_margin;          /* seconds */
	uint32_t backoff_min, backoff_max;/* seconds */
	uint32_t upstream_timeout;        /* seconds without a final answer upstream before the UA gets ours (Timer F) */
};
void sr_midreg_options_defaults(struct sr_midreg_options *o);
/* NULL when consistent, else a static "mid.<key>: ..." message. */
const char *sr_midreg_options_check(const struct sr_midreg_options *o);
/* Splits "HOST:PORT" (port 1..65535; HOST a name or an IPv4 literal); false when malformed. */
bool sr_midreg_hostport(const char *s, char *host, size_t host_cap, uint16_t *port);

struct sr_midreg_config {
	enum sr_midreg_mode mode;
	struct sr_mid_uri_form uri;       /* our contact URIs: self, ctid_param, extra params, at escape, insertion */
	struct sr_txn_dest registrar;     /* the main registrar */
	struct sr_str received_param;     /* empty: no received parameter in the 2xx */
	uint32_t outgoing_expires;
	uint32_t records;
	uint32_t contexts;
	uint32_t max_aor_len;             /* longest AoR a record holds (registrar.max_aor_len) */
	uint32_t refresh_margin_s;        /* 0: 32 (one non-INVITE transaction) */
	uint32_t backoff_min_s;           /* 0: 30 */
	uint32_t backoff_max_s;           /* 0: 1800 */
	uint32_t retry_after_s;           /* Retry-After of our 5xx; 0: 30 */
	struct sr_txn_config txn;         /* the transaction shard underneath (worker id, secret, pools) */
};
/* The runtime configuration of options (strings point into o, which must outlive it); txn and self are the caller's. */
void sr_midreg_config_from(const struct sr_midreg_options *o, struct sr_midreg_config *c);

/* ---------------------------------------------------------------- facts in */

/* One Contact of a UA's REGISTER, with what the registrar decided for it. */
struct sr_midreg_contact {
	struct sr_str user;       /* the Contact URI's user part (ct-param keeps it), empty when none */
	struct sr_str params;     /* contact-params as sent after the URI, e.g. ";q=0.5;expires=60"; empty when none */
	int64_t requested;        /* the expiry the UA asked for (parameter, else Expires), -1: none */
	uint32_t expires;         /* what the registrar grants locally (after its limits); 0: a removal */
	uint64_t binding_id;      /* the local binding it names (location store id); 0: a new contact */
};

/* A UA's REGISTER, after the registrar's checks (limits, policy, local auth, Path mode) passed. */
struct sr_midreg_req {
	struct sr_str aor;                 /* canonical AoR (or the custom one of the settings) */
	/*
	 * A 64-bit hash of aor, computed the same way for every request (the
	 * registrar's owner hash, sr_hash64); 0: none. A record whose AoR matched
	 * it once is found by it afterwards without reading the AoR's bytes.
	 */
	uint64_t aor_hash;
	uint16_t owner;                    /* low 16 bits of the data plane's owner hash of the AoR */
	struct sr_str ruri;                /* Request-URI (the forwarded REGISTER keeps it) */
	uint32_t max_forwards;             /* the UA's Max-Forwards, 70 when absent */
	bool star;                         /* Contact: * */
	unsigned n_contacts;
	struct sr_midreg_contact contacts[SR_MIDREG_MAX_CONTACTS];
	unsigned n_lines;
	const struct sr_mid_line *lines;   /* every header line, in order */
	struct sr_str body;
	struct sr_str msg;                 /* the whole request (kept while it is upstream, handed back to io.apply) */
	struct sr_txn_req txn;             /* transaction facts (method, top Via branch and sent-by, CSeq, ...) */
	struct sr_txn_dest reply_to;       /* where answers go (RFC 3261 18.2.2, RFC 3581) */
	struct sr_fwd_head head;           /* head of our answers: the UA's Vias with received/rport, From, To, Call-ID, CSeq */
	struct sr_str to_tag;              /* the registrar's To tag for this request */
	struct sr_str ok_lines;            /* lines the registrar puts in a 2xx (Path echo, Require, ...), with CRLFs */
	struct sr_str host_state;          /* opaque, handed back to io.apply (e.g. the registrar's plan as offsets into msg) */
	/* the operator's rule for aor, from the registrar's settings hook (sr_reg_mid_hooks.settings); NULL: defaults */
	const struct sr_midreg_settings *settings;
};

/* One Contact of the main registrar's response. */
struct sr_midreg_up_contact {
	struct sr_str value;      /* the whole value as sent (written back as is when it is not ours) */
	struct sr_str user;       /* the URI's user part */
	struct sr_str ctid;       /* the value of the URI parameter mid.contact_id_param, empty when absent */
	int64_t expires;          /* its expires parameter, -1: none */
};

/* A response of the main registrar (CSeq method REGISTER). */
struct sr_midreg_resp {
	struct sr_txn_resp txn;            /* status, top Via branch, CSeq method, bytes */
	struct sr_str reason;              /* reason phrase */
	struct sr_str to_tag;
	int64_t expires;                   /* Expires header, -1: none */
	unsigned n_lines;
	const struct sr_mid_line *lines;   /* every header line, in order */
	unsigned n_contacts;
	struct sr_midreg_up_contact contacts[SR_MIDREG_MAX_UP_CONTACTS];
};

/* ---------------------------------------------------------------- actions out */

/* A binding as the location store holds it. */
struct sr_midreg_binding {
	uint64_t id;
	struct sr_str uri;        /* the UA's contact URI */
	struct sr_str params;     /* stored contact-params (no expires, no q) */
	uint32_t expires_in;      /* seconds left */
	int q;                    /* thousandths, negative: none */
	struct sr_txn_dest source;/* where its REGISTER came from */
	bool nat;                 /* source differs from the Contact's host:port */
};

/* What io.apply is to do: the REGISTER, with the expiries the main registrar's answer allows. */
struct sr_midreg_apply {
	struct sr_str aor;
	struct sr_str msg;                 /* the kept copy of the request */
	struct sr_str host_state;          /* as the request gave it */
	bool star;
	unsigned n;                        /* the request's contacts, in order */
	uint32_t expires[SR_MIDREG_MAX_CONTACTS]; /* local expiry; 0: remove it / do not store it */
};

enum sr_midreg_rec_op { SR_MIDREG_REC_PUT, SR_MIDREG_REC_DEL };

struct sr_midreg_io {
	/* Send bytes to 'to' now (copy them). */
	void (*send)(void *ctx, const struct sr_txn_dest *to, const char *bytes, size_t len);
	/*
	 * Apply a REGISTER the main registrar accepted to the location store (all
	 * or nothing). Fill ids[i] with the binding of contact i (0: removed or
	 * not stored). Return 0, or a status (500, 503) when the store refused it.
	 */
	int (*apply)(void *ctx, const struct sr_midreg_apply *a, uint64_t ids[SR_MIDREG_MAX_CONTACTS]);
	/* The AoR's bindings now (valid until the next call); returns their count. */
	unsigned (*bindings)(void *ctx, struct sr_str aor, const struct sr_midreg_binding **out);
	/* Persist (PUT) or forget (DEL) the record of contact id ctid of aor; bytes are sr_midreg_record_encode's. May be NULL. */
	void (*record)(void *ctx, enum sr_midreg_rec_op op, struct sr_str aor, uint64_t ctid, const uint8_t *bytes,
		       size_t len);
	/*
	 * Keep 'lease' with binding binding_id of aor (the location store's
	 * per-binding word, sr_loc_set_lease), replacing what it held. May be
	 * NULL. Contact throttling publishes there, for the binding each record
	 * stands for, the last second a refresh may end in and still be absorbed
	 * (sr_midreg_lease_covers); 0 whenever it must be asked: the record not
	 * LIVE, a REGISTER of it in flight, the record gone. The registrar
	 * reads it from the binding its refresh matched and answers a covered
	 * refresh without asking (counted through sr_midreg_count_absorbed).
	 * Not persisted: sr_midreg_restore_done publishes every LIVE record's.
	 */
	void (*lease)(void *ctx, struct sr_str aor, uint64_t binding_id, uint32_t lease);
};

/*
 * The lease rule (struct sr_midreg_io.lease): a refresh granted 'grant'
 * seconds at now_s is absorbed without asking when it ends within the
 * lease, i.e. the upstream registration outlives it by refresh_margin
 * (the decision's own "covered" test, midreg_decide.c). 0 never covers.
 */
static inline bool sr_midreg_lease_covers(uint32_t lease, uint32_t now_s, uint32_t grant)
{
	return (uint64_t)now_s + grant <= lease;
}

/* ---------------------------------------------------------------- records */

enum sr_midreg_rec_state {
	SR_MIDREG_REC_NEW = 1, /* forwarded, not yet confirmed by the main registrar */
	SR_MIDREG_REC_LIVE,    /* registered upstream until up_expires_at */
	SR_MIDREG_REC_LAPSED,  /* not registered upstream (expired, or not confirmed); the local binding stands */
	SR_MIDREG_REC_DEREG,   /* its local binding is gone: being de-registered upstream */
};

/* One upstream registration, as persisted. */
struct sr_midreg_record {
	uint64_t ctid;            /* contact id (also names our Call-ID) */
	uint64_t binding_id;      /* the local binding (contact modes); 0: none yet / AoR record */
	uint32_t up_expires_at;   /* Unix second the upstream registration ends (NEW: at most then) */
	uint32_t up_refreshed_at; /* Unix second of the last 2xx */
	uint32_t cseq;            /* last CSeq we sent upstream */
	uint32_t retry_at;        /* back-off: no upstream attempt before this second; 0: none */
	uint8_t mode;             /* enum sr_midreg_mode that made it */
	uint8_t state;            /* enum sr_midreg_rec_state */
	uint8_t attempts;         /* consecutive upstream failures */
	struct sr_str aor;
	struct sr_str user;       /* the UA user part in our ct-param contact URI (at most 64 bytes), empty when none */
};

#define SR_MIDREG_RECORD_VERSION 1
/*
 * Encoding (all integers little-endian): version u8, mode u8, state u8,
 * attempts u8, ctid u64, binding_id u64, up_expires_at u32,
 * up_refreshed_at u32, cseq u32, retry_at u32, AoR length u16, user length
 * u8, zero u8, then the AoR and the user bytes. A reader refuses another
 * version: a new layout gets a new version number and its own reader.
 */
#define SR_MIDREG_RECORD_FIXED 40
/* Writes r into out; returns the length, 0 when it does not fit (or the AoR is longer than 65535). */
size_t sr_midreg_record_encode(const struct sr_midreg_record *r, uint8_t *out, size_t cap);
/* Reads a record (r->aor and r->user point into in); returns 0, or -1 for another version or a malformed record. */
int sr_midreg_record_decode(const uint8_t *in, size_t len, struct sr_midreg_record *r);

/* ---------------------------------------------------------------- the shard */

struct sr_midreg_stats {
	uint64_t received;          /* REGISTERs handed to the mid-registrar (retransmissions included) */
	uint64_t forwarded;         /* UA REGISTERs forwarded upstream */
	uint64_t absorbed;          /* UA REGISTERs answered locally */
	uint64_t retransmissions;   /* copies of a forwarded REGISTER absorbed by its server transaction */
	uint64_t deregisters;       /* our own de-REGISTERs started */
	uint64_t upstream_ok;       /* 2xx from the main registrar */
	uint64_t upstream_failures; /* timeouts and 5xx */
	uint64_t upstream_timeouts; /* of which timeouts */
	uint64_t upstream_rejected; /* other final responses but 401/407 (403, 423, 6xx, ...) */
	uint64_t challenges;        /* 401/407 passed to the UA */
	uint64_t retries;           /* upstream attempts after a failure (forwarded refreshes and de-REGISTERs) */
	uint64_t stood;             /* refreshes answered from the local binding after an upstream failure */
	uint64_t dereg_refused;     /* de-REGISTERs the main registrar refused (not retried) */
	uint64_t exhausted;         /* 503: no record, context or transaction */
	uint64_t store_refused;     /* io.apply refused a confirmed REGISTER (its new contacts de-registered) */
	uint64_t lookups, lookups_unknown; /* requests from the main registrar's side mapped / not ours */
	uint64_t restored, restore_bad;    /* records taken back at start / refused */
	uint32_t upstream_live;     /* upstream registrations live now */
	uint32_t records;           /* records in use */
	uint32_t contexts;          /* upstream requests in flight */
};
/* Fraction of the UA's REGISTERs that did not reach the main registrar: absorbed / (absorbed + forwarded); 0 when none. */
double sr_midreg_absorption(const struct sr_midreg_stats *s);

struct sr_midreg_shard;

/* Allocates a shard (everything up front) at now_ms (wall clock, ms since the epoch); NULL on a bad config. */
struct sr_midreg_shard *sr_midreg_shard_create(const struct sr_midreg_config *cfg, const struct sr_midreg_io *io,
					       void *ctx, uint64_t now_ms);
void sr_midreg_shard_free(struct sr_midreg_shard *m);
const struct sr_midreg_stats *sr_midreg_stats(const struct sr_midreg_shard *m);
struct sr_txn_shard *sr_midreg_txn(struct sr_midreg_shard *m);
const struct sr_midreg_config *sr_midreg_cfg(const struct sr_midreg_shard *m);

enum sr_midreg_verdict {
	SR_MIDREG_ABSORB = 1, /* the registrar answers it from the local binding, as a final registrar; nothing goes upstream */
	SR_MIDREG_FORWARDED,  /* sent to the main registrar; the UA's answer follows (io.apply, io.send) */
	SR_MIDREG_HANDLED,    /* a retransmission absorbed, or answered here (503 pools, 483, 500) */
};
/* Decides on a UA's REGISTER and forwards it when it must go upstream. */
enum sr_midreg_verdict sr_midreg_register(struct sr_midreg_shard *m, const struct sr_midreg_req *rq, uint64_t now_ms);
/*
 * The decision alone, for a caller that gathers what forwarding needs only
 * when forwarding: reads aor, star, n_contacts, contacts[].requested,
 * .expires and .binding_id, and txn.branch, .call_id and .cseq (nothing
 * else need be filled). True: absorbed (counted as sr_midreg_register
 * counts it; the registrar answers it as a final registrar). False:
 * nothing is counted or changed; call sr_midreg_register with every fact.
 */
bool sr_midreg_absorbs(struct sr_midreg_shard *m, const struct sr_midreg_req *rq, uint64_t now_ms);
/* A refresh the registrar absorbed on its binding's lease (io.lease): counted as sr_midreg_absorbs counts one. */
void sr_midreg_count_absorbed(struct sr_midreg_shard *m);

/* A response with CSeq method REGISTER. Returns 1 when it matched one of our transactions, 0 when stray. */
int sr_midreg_response(struct sr_midreg_shard *m, const struct sr_midreg_resp *rp, uint64_t now_ms);

/* Runs due timers (transactions, record lapses, de-REGISTER retries), at most budget; returns how many ran. */
unsigned sr_midreg_advance(struct sr_midreg_shard *m, uint64_t now_ms, unsigned budget);

/*
 * A local binding went (expired, removed by the UA's absorbed REGISTER, or
 * administratively): the location store's event, after the store changed.
 * Whatever upstream still stands for it is de-registered.
 */
void sr_midreg_binding_gone(struct sr_midreg_shard *m, struct sr_str aor, uint64_t binding_id, uint64_t now_ms);

/* A request from the main registrar's side, resolved to local bindings (mid_registrar_lookup). */
struct sr_midreg_target {
	struct sr_str aor;        /* in the caller's buffer */
	uint64_t binding_id;      /* that one binding; 0: every binding of the AoR (fork) */
};
/*
 * ruri_user: the Request-URI's user part; ctid: the value of its
 * contact_id_param URI parameter (empty when absent). Returns true and
 * fills t when the URI is one of our live upstream contacts (aor_buf holds
 * the AoR), false otherwise (not ours, or no longer registered: 404).
 */
bool sr_midreg_lookup(struct sr_midreg_shard *m, struct sr_str ruri_user, struct sr_str ctid, char *aor_buf,
		      size_t aor_cap, struct sr_midreg_target *t);
/* The owner bits a contact id carries (the low 16 bits of the AoR's owner hash): the data plane's dispatch. */
static inline uint16_t sr_midreg_ctid_owner(uint64_t ctid)
{
	return (uint16_t)(ctid >> 48);
}

/* At start, before any REGISTER: takes back one persisted record. Returns 0, or -1 (counted) when refused. */
int sr_midreg_restore(struct sr_midreg_shard *m, const uint8_t *bytes, size_t len, uint64_t now_ms);
/* After the location store and every record are restored: de-registers what no local binding stands for. */
void sr_midreg_restore_done(struct sr_midreg_shard *m, uint64_t now_ms);

#endif
