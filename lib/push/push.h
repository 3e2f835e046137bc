/*
 * push.h - RFC 8599 push notifications: every decision, sans-I/O, on a clock.
 *
 * A mobile UA that the OS suspends cannot answer SIP. It registers a "push
 * contact" (a Contact URI with pn-provider, pn-prid and maybe pn-param) and
 * sipreg asks a push gateway (any HTTP service; sipreg never talks to Apple
 * or Google) to wake it; the woken UA re-registers and can then be reached.
 * This module decides when to ask and what to do with requests meanwhile.
 * The design is in docs/PUSH.md; the decisions, in the order a binding lives:
 *
 * - REGISTER: sr_push_classify() tells a push contact from an ordinary one,
 *   a capability query, or a provider we do not serve (555 Push Notification
 *   Service Not Supported). The parameters a binding keeps travel "packed"
 *   (sr_push_pack); sr_push_key() is what the registrar matches push
 *   contacts on (push.match_params only; RFC 3261 URI comparison when one is
 *   missing, as the OpenSIPS manual says). sr_push_feature_caps() writes the
 *   value of the 200's Feature-Caps header (RFC 6809): +sip.pns, +sip.pnsreg
 *   with push.pnsreg_interval for a contact that carried +sip.pnsreg, and
 *   +sip.pnspurr with the binding's PURR when push.purr is on.
 * - Refresh pushes: sr_push_refresh_at() is when the store's timer of a push
 *   binding must fire (trigger_interval seconds before expiry); then
 *   sr_push_on_refresh_timer() emits the push and says when to fire next.
 * - Call pushes: sr_push_on_call() gets the bindings a request is routed to;
 *   push contacts that did not refresh within skip_interval are pushed and
 *   the request is held (bounded table; 503 past it) until they re-register
 *   (sr_push_on_register releases it with the new binding) or
 *   refresh_timeout passes (480 when nothing was woken).
 * - PURR: a mid-dialog request whose target carries our pn-purr is held
 *   until that binding re-registers (sr_push_on_purr), or sent anyway when
 *   refresh_timeout passes (the manual's pn_process_purr).
 * - Every push is one contactRefresh event, one JSON object
 *   (sr_push_event_json): the listener stream's line and the POST body of
 *   the push gateway client (lib/ctl/ctl_pushgw.h) at once.
 *
 * Clocks: binding times (refreshed, expires) are seconds of the location
 * store's clock; held requests run on the worker's millisecond clock. Calls
 * that need both take both.
 */
#ifndef SR_PUSH_H
#define SR_PUSH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sip_str.h"

#define SR_PUSH_MAX_PROVIDERS 8
#define SR_PUSH_MAX_MATCH 8
#define SR_PUSH_NAME_MAX 32     /* longest provider or match parameter name, with its NUL */
#define SR_PUSH_MAX_WAIT 16     /* contacts one held request waits for (the proxy's branches per request) */
#define SR_PUSH_PURR_LEN 32     /* characters of a PURR */
#define SR_PUSH_URL_MAX 512
#define SR_PUSH_EVENT_MAX 8192  /* largest contactRefresh event (a JSON object) */

#define SR_PUSH_STATUS_UNSUPPORTED 555
#define SR_PUSH_REASON_UNSUPPORTED "Push Notification Service Not Supported"

/* ---------------------------------------------------------------- configuration ([push] keys) */

/* The push gateway client's settings (lib/ctl/ctl_pushgw.h; control core only). */
struct sr_pushgw_config {
	char url[SR_PUSH_URL_MAX]; /* push.gateway_url: http(s)://... ; empty: events only, no POST */
	uint32_t queue;            /* push.gateway_queue: POSTs waiting, retrying or in flight at once */
	uint32_t parallel;         /* push.gateway_parallel: POSTs in flight at once */
	uint32_t timeout_ms;       /* push.gateway_timeout_ms: one attempt, connecting included */
	uint32_t retries;          /* push.gateway_retries: attempts after the first */
	uint32_t backoff_ms;       /* push.gateway_backoff_ms: wait before the first retry, doubled per retry */
	uint32_t body_max;         /* largest event accepted (bytes; SR_PUSH_EVENT_MAX unless a test says less) */
};

struct sr_push_config {
	bool enable;               /* push.enable */
	char providers[256];       /* push.providers: "apns,fcm,webpush" (comma or blank separated) */
	char match_params[256];    /* push.match_params: "pn-provider,pn-prid,pn-param" */
	uint32_t pnsreg_interval;  /* push.pnsreg_interval: s before expiry a +sip.pnsreg UA refreshes by itself */
	uint32_t trigger_interval; /* push.trigger_interval: s before expiry a binding not refreshed gets a push */
	uint32_t skip_interval;    /* push.skip_interval: s after a refresh during which no push is sent */
	uint32_t refresh_timeout;  /* push.refresh_timeout: s a held request waits for re-registrations */
	bool purr;                 /* push.purr: RFC 8599 PURR (long-lived dialogs) */
	uint32_t held;             /* push.held: requests held at once, per worker */
	struct sr_pushgw_config gateway;
};

void sr_push_config_defaults(struct sr_push_config *c);
/* NULL, or err holding a message that names the key at fault. */
const char *sr_push_config_check(const struct sr_push_config *c, char *err, size_t err_len);

/* The configuration in the form the decisions use (parsed lists). Plain data: copy it freely. */
struct sr_push_rules {
	bool enable, purr;
	uint32_t pnsreg_interval, trigger_interval, skip_interval, refresh_timeout;
	unsigned n_providers, n_match;
	char provider[SR_PUSH_MAX_PROVIDERS][SR_PUSH_NAME_MAX];
	char match[SR_PUSH_MAX_MATCH][SR_PUSH_NAME_MAX]; /* lower case */
};

/* Parses c into r; NULL, or err naming the key at fault (what sr_push_config_check reports). */
const char *sr_push_rules_init(struct sr_push_rules *r, const struct sr_push_config *c, char *err, size_t err_len);

/* ---------------------------------------------------------------- a contact's push parameters */

/* One URI parameter of a Contact as sent: value still %-escaped, empty when it had none. */
struct sr_push_param {
	struct sr_str name, value;
};

/*
 * The parameters a push binding keeps, "packed": every pn-* parameter and
 * every push.match_params one, in the order sent, first occurrence of a name
 * only, each as  name '\0' value '\0'  with the name in lower case and the
 * value as sent (%-escaped; a URI parameter never holds a raw NUL). The
 * location store keeps this string with the binding; everything below reads
 * it. Returns its length (0: none of those parameters), -1 when cap is too
 * small (at most the sum of names and values plus 2 per parameter is needed).
 */
long sr_push_pack(const struct sr_push_rules *r, const struct sr_push_param *p, unsigned n, char *out, size_t cap);
/* Walks a packed string: false at its end (or at a malformed tail). Start with *pos = 0. */
bool sr_push_packed_next(struct sr_str packed, size_t *pos, struct sr_str *name, struct sr_str *value);
/* The value (as sent) of parameter name (lower case) in packed; false when absent. */
bool sr_push_packed_get(struct sr_str packed, const char *name, struct sr_str *value);

enum sr_push_class {
	SR_PUSH_PLAIN = 0,     /* no pn-provider (or push.enable off): an ordinary contact */
	SR_PUSH_CONTACT,       /* a push contact of a provider we serve, with its pn-prid */
	SR_PUSH_QUERY,         /* pn-provider without pn-prid: a capability query, or the UA ending push for
				  this binding (RFC 8599); an ordinary contact whose 200 names the providers */
	SR_PUSH_UNSUPPORTED,   /* pn-provider names a provider not in push.providers: answer 555 */
};
enum sr_push_class sr_push_classify(const struct sr_push_rules *r, struct sr_str packed);

/*
 * The key the registrar matches push contacts on (it replaces the fixed
 * provider/prid/param triple of SR_BF_PN_KEY): for each push.match_params
 * name in configured order, its %-decoded value as 2 bytes of length (big
 * endian) then the bytes. Two contacts of one AoR are the same binding when
 * their keys are equal, whatever the rest of their URIs. Returns the length;
 * 0 when push is off or a match parameter is missing (then the registrar
 * compares URIs as RFC 3261 19.1.4 says); -1 when cap is too small
 * (packed.len + 2 * SR_PUSH_MAX_MATCH always suffices).
 */
long sr_push_key(const struct sr_push_rules *r, struct sr_str packed, char *out, size_t cap);

/*
 * What a held request waits for: a keyed hash of the AoR and the contact's
 * decoded pn-provider and pn-prid (the device), so any re-registration of
 * that device wakes it, whatever else changed. 0 when packed has no
 * provider or prid.
 */
uint64_t sr_push_wake_key(const uint64_t secret[2], struct sr_str aor, struct sr_str packed);

/* ---------------------------------------------------------------- PURR and Feature-Caps */

/*
 * A PURR (RFC 8599 "proxy unique registration reference") names one
 * binding: 4 hex digits of 'owner' (the AoR's bucket: dispatch sends the
 * mid-dialog request to the worker owning it without any table), 16 of the
 * location store's stable binding id, 12 of a MAC under the secret, so a PURR
 * we did not issue cannot make us push anyone. Lower-case hex: a valid SIP
 * URI parameter value as it is.
 */
void sr_push_purr_write(const uint64_t secret[2], uint16_t owner, uint64_t binding_id,
			char out[SR_PUSH_PURR_LEN]);
/* True when purr is one of ours under secret (then *owner and *binding_id are set). */
bool sr_push_purr_read(const uint64_t secret[2], struct sr_str purr, uint16_t *owner, uint64_t *binding_id);

/*
 * Appends to out[0..cap) (holding *len bytes) the Feature-Caps value (RFC
 * 6809 fc-value) for one Contact of a REGISTER answered 200; the header
 * line is the response writer's ("Feature-Caps: " + value). Several contacts
 * give comma-separated fc-values.
 *   SR_PUSH_CONTACT: *;+sip.pns="<provider>"[;+sip.pnsreg="<pnsreg_interval>"][;+sip.pnspurr="<purr>"]
 *     +sip.pnsreg when the Contact carried the +sip.pnsreg feature tag (RFC
 *     8599: the UA must then send its refresh at least that many seconds
 *     before expiry on its own); +sip.pnspurr when push.purr is on and purr
 *     is given.
 *   SR_PUSH_QUERY: *;+sip.pns="<provider>" for the provider asked about,
 *     or every provider we serve, comma-separated, when none was named.
 *   anything else: nothing.
 * Returns false (out unchanged past *len) when it does not fit.
 */
bool sr_push_feature_caps(const struct sr_push_rules *r, enum sr_push_class cls, struct sr_str packed, bool pnsreg,
			  struct sr_str purr, char *out, size_t cap, size_t *len);

/* ---------------------------------------------------------------- the contactRefresh event */

enum sr_push_reason {
	SR_PUSH_R_CALL,    /* a request is held for this contact */
	SR_PUSH_R_REFRESH, /* the binding is about to expire without a refresh */
	SR_PUSH_R_PURR,    /* a mid-dialog request names this binding's PURR */
	SR_PUSH_R_COUNT
};
const char *sr_push_reason_name(enum sr_push_reason r); /* "call", "refresh", "purr" */

/*
 * One event as one JSON object (no newline; the listener stream adds it):
 *   {"event":"contactRefresh","aor":"...","contact":"...","reason":"call",
 *    "pn-provider":"apns","pn-prid":"...","pn-param":"...", ...}
 * with every pn-* parameter of the binding under its own (lower-case) name
 * and its %-decoded value ("" for a parameter without value). Returns the
 * length, 0 when it does not fit in cap or a field is not valid UTF-8 once
 * decoded (the caller counts it as lost).
 */
size_t sr_push_event_json(char *out, size_t cap, struct sr_str aor, struct sr_str contact, enum sr_push_reason reason,
			  struct sr_str packed);

/* ---------------------------------------------------------------- bindings and timers */

/* What the decisions need of one binding (the location store's facts). */
struct sr_push_binding {
	struct sr_str contact;  /* contact URI as registered */
	struct sr_str params;   /* packed parameters of a push contact (SR_PUSH_CONTACT); empty for any other */
	uint32_t refreshed_s;   /* last REGISTER that created or refreshed it (store seconds) */
	uint32_t expires_s;     /* absolute expiry (store seconds) */
	bool pnsreg;            /* its Contact carried +sip.pnsreg */
};

/*
 * When the store's timer of binding b must fire for a refresh push:
 * trigger_interval seconds before expiry, but never before half its
 * lifetime (a short registration is not pushed at once). 0: no refresh push
 * (not a push contact, push off, or a lifetime under 2 s). A +sip.pnsreg
 * contact gets the same point: it is trusted to refresh pnsreg_interval
 * (> trigger_interval) before expiry by itself, so the push only fires when
 * it failed to. The store arms the binding's one timer at this second when
 * non-zero and earlier than the expiry, and re-arms it at each refresh.
 */
uint32_t sr_push_refresh_at(const struct sr_push_rules *r, const struct sr_push_binding *b);

/* ---------------------------------------------------------------- the per-worker push shard */

/* What a held request is. */
enum sr_push_hold {
	SR_PUSH_HOLD_CALL, /* an initial request: woken contacts get a branch; none by the deadline: 480 */
	SR_PUSH_HOLD_PURR, /* a mid-dialog request: sent as planned on the wake-up or at the deadline */
};

struct sr_push_io {
	/* A push: json (sr_push_event_json) goes to the control core (copy it). False: it could not be queued. */
	bool (*emit)(void *ctx, const char *json, size_t len);
	/*
	 * A device that held request 'req' waited for re-registered; 'binding'
	 * is what the caller of sr_push_on_register passed (the new binding).
	 * CALL: fork a branch to it. PURR: send the request as planned. 'last':
	 * the request waits for nothing more (its hold is gone).
	 */
	void (*release)(void *ctx, void *req, enum sr_push_hold kind, void *binding, bool last);
	/*
	 * refresh_timeout passed for 'req' (its hold is gone). CALL: when woken
	 * is 0 and no branch of its own is pending, answer 480; PURR: send it.
	 */
	void (*expired)(void *ctx, void *req, enum sr_push_hold kind, unsigned woken);
};

struct sr_push_stats {
	uint64_t triggered[SR_PUSH_R_COUNT]; /* pushes emitted, by reason */
	uint64_t skipped;      /* pushes not sent: the contact refreshed within skip_interval */
	uint64_t coalesced;    /* pushes not sent: another held request already waits for that device */
	uint64_t lost;         /* pushes that could not be encoded or handed to the control core */
	uint64_t held;         /* requests held */
	uint64_t held_full;    /* requests not held: the table was full (a call: 503; PURR: sent at once) */
	uint64_t released;     /* re-registrations delivered to held requests */
	uint64_t timed_out;    /* held requests whose refresh_timeout passed */
	uint64_t cancelled;    /* holds ended by their request (CANCEL, transaction gone) */
	uint32_t holding;      /* requests held now */
};

struct sr_push_shard;

/*
 * One per worker. held: requests held at once (push.held); secret: shared
 * by every worker (PURRs are checked by whichever worker owns the binding),
 * e.g. the transaction layer's. NULL on a bad argument or no memory.
 */
struct sr_push_shard *sr_push_shard_create(const struct sr_push_rules *r, const uint64_t secret[2], uint32_t held,
					   const struct sr_push_io *io, void *ctx);
void sr_push_shard_free(struct sr_push_shard *ps);
const struct sr_push_stats *sr_push_stats(const struct sr_push_shard *ps);
const struct sr_push_rules *sr_push_shard_rules(const struct sr_push_shard *ps);

/*
 * The binding's timer fired at sr_push_refresh_at(): emits the refresh push
 * (unless it refreshed within skip_interval) and returns the second to
 * re-arm the timer at (its expiry).
 */
uint32_t sr_push_on_refresh_timer(struct sr_push_shard *ps, struct sr_str aor, const struct sr_push_binding *b,
				  uint32_t now_s);

/* What sr_push_on_call() decided. */
enum sr_push_call {
	SR_PUSH_CALL_FORK,      /* no push needed: route as usual to every target */
	SR_PUSH_CALL_HOLD,      /* every target was pushed: hold the request, no branch yet */
	SR_PUSH_CALL_FORK_WAIT, /* fork to the targets in fork_mask now; the pushed ones join as they wake */
	SR_PUSH_CALL_BUSY,      /* every target needs a push and the table is full: 503 with Retry-After */
};

struct sr_push_plan {
	enum sr_push_call verdict;
	uint32_t fork_mask;  /* bit i: target i gets a branch now */
	uint32_t push_mask;  /* bit i: target i is pushed (and awaited); one push per device */
	uint32_t skip_mask;  /* bit i: target i is a push contact forked without a push (fresh: skip_interval) */
	uint64_t handle;     /* HOLD / FORK_WAIT: the hold, for sr_push_cancel */
};

/*
 * Pure: which of the n targets (n <= SR_PUSH_MAX_WAIT) fork now and which
 * need a push (a push contact not refreshed within skip_interval; one push
 * per device). No hold, no event, no counting; sr_push_on_call does those.
 */
void sr_push_plan_call(const struct sr_push_rules *r, const uint64_t secret[2], struct sr_str aor,
		       const struct sr_push_binding *b, unsigned n, uint32_t now_s, struct sr_push_plan *plan);

/*
 * A new request 'req' (the proxy context) for aor is about to fork to the
 * n bindings b (targets in the routing's order): plans, holds the request
 * when a push is needed, emits the pushes (reason call) and fills plan.
 * When the table is full: BUSY if nothing else could be forked, else FORK
 * to every target (the pushed ones at their last address), counted.
 */
enum sr_push_call sr_push_on_call(struct sr_push_shard *ps, void *req, struct sr_str aor,
				  const struct sr_push_binding *b, unsigned n, uint32_t now_s, uint64_t now_ms,
				  struct sr_push_plan *plan);

/* What sr_push_on_purr() decided. */
enum sr_push_purr {
	SR_PUSH_PURR_SEND, /* send the request now (no PURR feature, no such binding, fresh, or table full) */
	SR_PUSH_PURR_HOLD, /* pushed: *handle holds it until the binding re-registers or the deadline */
};

/*
 * A mid-dialog request 'req' whose target carried one of our PURRs
 * (sr_push_purr_read), naming binding b of aor (NULL: the store has no
 * such binding any more).
 */
enum sr_push_purr sr_push_on_purr(struct sr_push_shard *ps, void *req, struct sr_str aor,
				  const struct sr_push_binding *b, uint32_t now_s, uint64_t now_ms, uint64_t *handle);

/*
 * The registrar created or refreshed push binding b of aor: every request
 * held for that device is released (io.release with 'binding'). Returns how
 * many were told.
 */
unsigned sr_push_on_register(struct sr_push_shard *ps, struct sr_str aor, const struct sr_push_binding *b,
			     void *binding);

/* The held request ended on its own (CANCEL, its transaction gone): forget it. False when already gone. */
bool sr_push_cancel(struct sr_push_shard *ps, uint64_t handle);

/* Expires holds whose refresh_timeout passed (at most budget; io.expired each). Returns how many. */
unsigned sr_push_advance(struct sr_push_shard *ps, uint64_t now_ms, unsigned budget);

/* ---------------------------------------------------------------- refresh timers (push_timers.c) */

#define SR_PUSH_TIMER_AOR_MAX 256 /* longest AoR a refresh timer keeps (longer: untimed, counted) */

/*
 * The store's seconds at which push bindings want their refresh push
 * (sr_push_refresh_at), kept beside the location store: a bounded pool of
 * timers on a one-second wheel, each naming its binding by AoR and the
 * store's stable id with the refresh and expiry it was armed for. The
 * worker arms one at every addition or refresh of a push binding; when it
 * fires, the worker looks the binding up and, when its expiry is still the
 * one armed for (no refresh since), calls sr_push_on_refresh_timer.
 */
struct sr_push_timers;
typedef void sr_push_timer_fn(void *ctx, struct sr_str aor, uint64_t id, uint32_t refreshed_s, uint32_t expires_s);
struct sr_push_timers *sr_push_timers_create(uint32_t capacity, uint32_t now_s);
void sr_push_timers_free(struct sr_push_timers *t);
/* False (counted untimed) when the pool is full or the AoR longer than SR_PUSH_TIMER_AOR_MAX. */
bool sr_push_timers_arm(struct sr_push_timers *t, struct sr_str aor, uint64_t id, uint32_t at, uint32_t refreshed_s,
			uint32_t expires_s);
/* Fires the timers due at now_s (at most budget): fn for each, its node already free. Returns how many. */
unsigned sr_push_timers_advance(struct sr_push_timers *t, uint32_t now_s, unsigned budget, sr_push_timer_fn *fn,
				void *ctx);
uint32_t sr_push_timers_armed(const struct sr_push_timers *t);
uint64_t sr_push_timers_untimed(const struct sr_push_timers *t);

#endif
