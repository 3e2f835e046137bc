/*
 * location.h - the location store: one shard's bindings, and the only code
 * that creates, replaces, removes, expires, restores and queries them.
 *
 * A store belongs to one thread (the shard's worker). It owns the AoR table,
 * the slab the bindings live in, the timer wheel that expires them, the
 * counters (AoRs, bindings, bytes, expired) and the event callback: every
 * change it makes is announced exactly once, as added, refreshed, removed or
 * expired, with the complete binding. Nothing else links, unlinks, arms or
 * counts.
 *
 * Changes come as a change set for one AoR (struct sr_loc_txn): the caller
 * (the registrar) names what each binding becomes, sr_loc_prepare() makes
 * every allocation and every check that can fail, and then either
 * sr_loc_commit() applies it (it cannot fail) or sr_loc_abort() drops it,
 * leaving the store exactly as it was. Between the two, a cursor shows the
 * AoR as it will be after the commit, so the registrar can write its 200
 * first and refuse the REGISTER when the answer would not fit.
 *
 * Reading: an AoR's bindings are kept in q order (highest q first; a binding
 * without q counts as q=1.0, the HTTP qvalue default SIP borrows; equal q in
 * the order they were first added, which is id order), so a query (routing:
 * every INVITE) walks the list in place or fills a caller's array, with no
 * allocation and no sorting. Strings of a view point into the binding and
 * stay valid until the store changes.
 *
 * Matching (which stored binding a Contact names) is the store's too: the
 * registrar's precedence (RFC 5626 instance and reg-id, RFC 8599 push key,
 * RFC 3261 19.1.4 URI equality) with the URI compared by its identity hash
 * first, so adding a contact to a large AoR parses no stored URI. A
 * contact's own hash is computed only when it is needed (its bytes differ
 * from a stored URI's, or a new binding keeps it), from the parse the
 * caller already has: the common refresh, byte for byte the stored URI,
 * hashes nothing.
 */
#ifndef SR_LOCATION_H
#define SR_LOCATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../sip/sip_uri.h"

#include "aor_table.h"
#include "binding.h"

/*
 * Hard cap of bindings per AoR, far below the 16-bit counter's range. The
 * registrar's max_contacts may not exceed it; the store refuses a change or
 * a restore that would.
 */
#define SR_LOC_MAX_PER_AOR 1024
/* Changes one change set can hold (a REGISTER's contacts plus forced evictions). */
#define SR_LOC_TXN_MAX 128

enum sr_event_type {
	SR_EV_ADDED,     /* a new binding */
	SR_EV_REFRESHED, /* an existing binding re-registered (expiry, CSeq, ... updated) */
	SR_EV_REMOVED,   /* removed by the UA (expires 0 or '*') or administratively */
	SR_EV_EXPIRED,   /* its lifetime ran out */
};

/*
 * A complete binding as plain values: what a query returns, what an event
 * carries and what persistence encodes (lib/ctl/ctl_record.h).
 */
struct sr_loc_binding {
	struct sr_str aor;
	struct sr_str f[SR_BF_COUNT];
	struct sr_binding_state st;
};

struct sr_loc_event {
	enum sr_event_type type;
	const struct sr_loc_binding *b; /* valid during the callback only */
};

/* Must not call back into the store. */
typedef void sr_loc_event_fn(void *ctx, const struct sr_loc_event *ev);

/*
 * Room for the events of a change, claimed before the store changes. The
 * consumer of the events (persistence: event slots, a buffer for a large
 * record) may be unable to take them; a change it cannot take must not
 * happen, because an acknowledged change that is never stored comes back
 * wrong after a restart. claim is called by sr_loc_prepare after every
 * other check, and by sr_loc_remove before it removes anything, once per
 * event the change will announce, with the binding as the event will carry
 * it (an addition's id is not given yet); false refuses the whole change
 * (SR_LOC_BUSY, or sr_loc_remove returns -1) and the store stays as it
 * was. release gives back every claim not used: after a refusal, an abort,
 * and after a commit (which uses one claim per event, in order). Expiry
 * claims nothing: what it announces may be lost without harm (a restore
 * drops what expired). Both NULL: no claims.
 */
struct sr_loc_room {
	bool (*claim)(void *ctx, enum sr_event_type type, const struct sr_loc_binding *b);
	void (*release)(void *ctx);
	void *ctx;
};

struct sr_loc_params {
	const char *name;           /* unique per process (names the rte_hash) */
	uint32_t max_aors;          /* capacity of the AoR table */
	uint64_t memory_limit;      /* bytes of binding memory, 0 = unlimited */
	sr_aor_hash_fn *hash;       /* NULL: sr_hash64 (tests force collisions here) */
	uint32_t now_s;             /* the timer wheel starts at this second */
	sr_loc_event_fn *on_event;  /* may be NULL */
	void *event_ctx;
	struct sr_loc_room room;    /* zero: no claims */
	bool index_ids;             /* keep bindings findable by id alone (sr_loc_find_id; ~16 bytes each) */
};

struct sr_loc;

/* Needs the DPDK EAL (rte_hash). NULL with *err set (static text) on failure. */
struct sr_loc *sr_loc_create(const struct sr_loc_params *p, const char **err);
void sr_loc_free(struct sr_loc *loc);

struct sr_loc_stats {
	uint64_t aors;
	uint64_t bindings;
	uint64_t bytes;   /* slab memory reserved */
	uint64_t expired; /* bindings expired since creation */
};
void sr_loc_get_stats(const struct sr_loc *loc, struct sr_loc_stats *st);

/* --- reading --- */

/* The AoR record of a canonical AoR (exact bytes); NULL when it has no binding. */
const struct sr_aor *sr_loc_find(struct sr_loc *loc, struct sr_str aor);

/*
 * Before a burst of requests is processed: brings the table buckets, AoR
 * records and first bindings of the AoRs with these hashes (sr_hash64 of
 * the canonical AoR, the pre-scan's owner hash) towards the cache, all
 * misses at once (loc_prefetch.c). Changes nothing; any hash may be given
 * (one of no AoR costs its bucket). Returns how many AoRs were found.
 */
unsigned sr_loc_prefetch(struct sr_loc *loc, const uint64_t *hashes, unsigned n);

/*
 * A 32-bit value the store keeps with an AoR record for its user and never
 * reads: not a binding, not persisted, not an event, 0 for a new or
 * restored AoR, gone with the record. The registrar keeps there the tag of
 * the AoR's mid-registrar rule (reg_rule.c), where its refresh looks anyway.
 */
static inline uint32_t sr_loc_aor_tag(const struct sr_aor *a)
{
	return a->user_tag;
}
/* Sets a's tag: a record of this store, as a change set hands it to its user (struct sr_loc_txn's rec). */
static inline void sr_loc_aor_set_tag(struct sr_aor *a, uint32_t tag)
{
	a->user_tag = tag;
}

/*
 * The per-binding word the store keeps for its user (struct sr_binding's
 * lease; never read here, not persisted). set_lease finds the binding of
 * 'aor' with id 'id' and sets its word; false when there is none.
 */
static inline uint32_t sr_loc_lease(const struct sr_binding *b)
{
	return b->lease;
}
bool sr_loc_set_lease(struct sr_loc *loc, struct sr_str aor, uint64_t id, uint32_t lease);

/* First binding of an AoR (NULL-safe); the rest follow through b->next, in q order. */
static inline const struct sr_binding *sr_loc_first(const struct sr_aor *a)
{
	return a ? a->bindings : NULL;
}
/* The complete view of one binding. */
void sr_loc_view(const struct sr_binding *b, struct sr_loc_binding *out);
/*
 * The live bindings of an AoR (expiry after now_s) in q order: fills
 * out[0..min(cap, n)) and returns n, the number it has.
 */
unsigned sr_loc_lookup(struct sr_loc *loc, struct sr_str aor, uint32_t now_s, struct sr_loc_binding *out,
		       unsigned cap);

/*
 * The bindings whose id is 'id' (a store created with index_ids; none
 * without): fills out[0..min(cap, n)) and returns n. Normally one: an id is
 * unique among the store's own additions, but restored bindings keep the
 * ids another store gave them, so the caller checks the AoR (an RFC 8599
 * PURR names the AoR's bucket too). Valid until the store changes.
 */
unsigned sr_loc_find_id(struct sr_loc *loc, uint64_t id, const struct sr_binding **out, unsigned cap);
/* Bindings the id index left out because it could not grow (not findable by id). */
uint64_t sr_loc_index_missed(const struct sr_loc *loc);

/* --- matching --- */

/* What a Contact (or a stored binding) is recognised by. */
struct sr_loc_key {
	struct sr_str uri;
	const struct sr_sip_uri *parsed; /* uri as the caller parsed it; NULL: parsed here when its hash is needed */
	uint32_t uri_hash;        /* sr_loc_uri_hash of uri, once 'hashed' */
	bool hashed;
	struct sr_str instance;   /* +sip.instance, empty when none */
	struct sr_str pn_key;     /* RFC 8599 push key, empty when none */
	uint32_t reg_id;          /* 0: none */
};
/* The 32 bits of sr_uri_hash a binding keeps (never 0: a binding's 0 means "not computed yet"). */
static inline uint32_t sr_loc_uri_hash(uint64_t uri_hash)
{
	uint32_t h = (uint32_t)(uri_hash ^ (uri_hash >> 32));
	return h ? h : 1;
}
/* The key's URI hash, computed on first use. */
uint32_t sr_loc_key_hash(struct sr_loc_key *k);
void sr_loc_key_of_binding(struct sr_loc_key *k, const struct sr_binding *b);
/*
 * Whether contact key 'c' names what key 'b' describes: the same instance
 * and reg-id when c has an instance, else the same push key when c has one,
 * else equal URIs (bytes, then hash, then RFC 3261 19.1.4).
 */
bool sr_loc_key_names(struct sr_loc_key *c, struct sr_loc_key *b);
/* Whether contact key k names stored binding b (sr_loc_key_names' rule, b's URI hashed only when needed). */
bool sr_loc_names(struct sr_loc_key *k, const struct sr_binding *b);
/* The first binding of a (in q order) that contact key k names, or NULL. */
const struct sr_binding *sr_loc_match(const struct sr_aor *a, struct sr_loc_key *k);

/* --- changes --- */

enum sr_loc_op {
	SR_LOC_ADD,     /* a new binding: f, uri_hash, st (registered_at included) */
	SR_LOC_UPDATE,  /* old becomes f, uri_hash, st (its id is kept; registered_at is the update's) */
	SR_LOC_REMOVE,  /* old goes */
};

struct sr_loc_change {
	enum sr_loc_op op;
	const struct sr_binding *old;   /* UPDATE, REMOVE: a binding of the change set's AoR */
	struct sr_str f[SR_BF_COUNT];   /* ADD, UPDATE: the strings to store (each at most 65535 bytes) */
	struct sr_loc_key *key;         /* ADD, UPDATE: the contact's key (its URI is f[SR_BF_CONTACT]) or NULL */
	struct sr_binding_state st;     /* ADD, UPDATE: expires, cseq, source, q, ...; the id is the store's */
	/* the store's */
	uint32_t uri_hash;              /* the identity hash the binding will keep (0: computed when needed) */
	struct sr_binding *fresh;       /* the object prepare allocated, NULL when in place */
};

/* One entry of the AoR as it will be (the store's). */
struct sr_loc_slot {
	const struct sr_binding *b;     /* an untouched binding, or NULL for change 'change' */
	uint64_t id;
	uint16_t q;                     /* ordering q (SR_Q_NONE counted as 1000) */
	int16_t change;
};

/*
 * A change set for one AoR. sr_loc_txn_begin() fills aor and rec (the
 * current record, NULL when the AoR has no binding; use it for matching);
 * the caller then adds changes (at most one per stored binding), or sets
 * remove_all to remove every binding no change names. Large: keep it off
 * the stack (the registrar keeps one per shard).
 */
struct sr_loc_txn {
	struct sr_str aor;
	struct sr_aor *rec; /* the store's; its user writes only its tag (sr_loc_aor_set_tag) */
	bool remove_all;
	unsigned n;
	struct sr_loc_change c[SR_LOC_TXN_MAX];
	/* the store's, from here on */
	uint64_t hash;
	bool created;                   /* prepare created rec */
	bool prepared;
	unsigned adds, n_final, n_gone;
	struct sr_loc_slot final[SR_LOC_MAX_PER_AOR];        /* the AoR after commit, in order */
	const struct sr_binding *gone[SR_LOC_MAX_PER_AOR];   /* removed by commit, in event order */
};

enum sr_loc_rc {
	SR_LOC_OK,
	SR_LOC_FULL,        /* a new AoR and the table is at max_aors */
	SR_LOC_NO_MEMORY,   /* the slab refused (memory_limit) */
	SR_LOC_TOO_MANY,    /* more than SR_LOC_MAX_PER_AOR bindings would result */
	SR_LOC_INVALID,     /* a string over 65535 bytes, an empty contact, or a change of another AoR */
	SR_LOC_BUSY,        /* the events' consumer has no room for them now (struct sr_loc_room) */
};

void sr_loc_txn_begin(struct sr_loc *loc, struct sr_loc_txn *t, struct sr_str aor);
/* The same when the caller has sr_hash64 of the AoR already (the registrar's owner hash): not hashed again. */
void sr_loc_txn_begin_hashed(struct sr_loc *loc, struct sr_loc_txn *t, struct sr_str aor, uint64_t h64);
/*
 * Adds one change and returns it with op, old and a NULL key; an ADD or
 * UPDATE needs f and st filled (and key, when the caller has one). NULL when
 * SR_LOC_TXN_MAX are there.
 */
struct sr_loc_change *sr_loc_txn_add(struct sr_loc_txn *t, enum sr_loc_op op, const struct sr_binding *old);
/* Every allocation and check; on failure nothing is left allocated and the store is unchanged. */
enum sr_loc_rc sr_loc_prepare(struct sr_loc *loc, struct sr_loc_txn *t);
/* Undoes a prepared change set. */
void sr_loc_abort(struct sr_loc *loc, struct sr_loc_txn *t);
/*
 * Applies a prepared change set: events for additions and refreshes in
 * change order, then removals (REMOVE changes in order, then remove_all in
 * list order). Returns the number of events.
 */
unsigned sr_loc_commit(struct sr_loc *loc, struct sr_loc_txn *t);

/*
 * Walks an AoR as it is (sr_loc_cursor_aor) or as a prepared change set
 * will leave it (sr_loc_cursor_txn), in q order, one complete view at a time.
 */
struct sr_loc_cursor {
	const struct sr_loc_txn *t;
	const struct sr_binding *b;
	unsigned i;
};
void sr_loc_cursor_aor(struct sr_loc_cursor *c, const struct sr_aor *a);
void sr_loc_cursor_txn(struct sr_loc_cursor *c, const struct sr_loc_txn *t);
bool sr_loc_cursor_next(struct sr_loc_cursor *c, struct sr_loc_binding *out);

/* --- expiry, restore, administrative removal --- */

/* Expires bindings due at now_s, at most 'budget' of them (SR_EV_EXPIRED each); returns how many. */
unsigned sr_loc_expire(struct sr_loc *loc, uint32_t now_s, unsigned budget);

enum sr_restore_rc {
	SR_RESTORE_OK,
	SR_RESTORE_EXPIRED,   /* expiry not after now: dropped */
	SR_RESTORE_REPLACED,  /* the AoR had a binding with this id: replaced */
	SR_RESTORE_FULL,      /* the AoR table is full (max_aors) */
	SR_RESTORE_NO_MEMORY, /* the slab refused (memory_limit) */
	SR_RESTORE_INVALID,   /* empty AoR or contact, id 0, a field over 65535 bytes */
	SR_RESTORE_TOO_MANY,  /* the AoR already has SR_LOC_MAX_PER_AOR bindings */
};

/*
 * Puts back one binding exactly as it was (strings, state, id), its timer
 * armed for st.expires; a binding of the AoR with the same id is replaced.
 * Announces nothing: what restores it already knows it. The store's next
 * id moves past every restored one.
 */
enum sr_restore_rc sr_loc_restore(struct sr_loc *loc, const struct sr_loc_binding *b, uint32_t now_s);
/*
 * sr_loc_restore given sr_hash64(b->aor), which a restart computes anyway
 * (it is the stored key's first half and chooses the shard): the store
 * hashes the AoR no second time, unless its table uses another hash
 * function (sr_loc_params.hash), which it then computes itself.
 */
enum sr_restore_rc sr_loc_restore_hashed(struct sr_loc *loc, const struct sr_loc_binding *b, uint64_t aor_hash64,
					 uint32_t now_s);
const char *sr_restore_rc_str(enum sr_restore_rc rc);

/*
 * Removes the bindings of 'aor' whose contact URI equals 'contact' by
 * RFC 3261 19.1.4 (all of them when contact is empty), SR_EV_REMOVED each.
 * Returns how many, or -1 (nothing removed) when the room for their events
 * was refused.
 */
int sr_loc_remove(struct sr_loc *loc, struct sr_str aor, struct sr_str contact);

/*
 * Drops every binding of 'aor' announcing nothing, so that the AoR can be
 * put back (sr_loc_restore) as a committed store holds it: the repair of a
 * change that could not be stored (persistence's resync). Returns how many.
 */
unsigned sr_loc_forget(struct sr_loc *loc, struct sr_str aor);

/* --- a standby's copy of another node's bindings (replication, loc_apply.c) --- */

/*
 * Puts one binding by (AoR, id) from another node's record: as
 * sr_loc_restore (strings, state and id kept; a binding of the AoR with the
 * same id is replaced), but it announces the result, SR_EV_ADDED or
 * SR_EV_REFRESHED, so the node's own persistence stores it, and it marks
 * the binding seen for sr_loc_sweep. A record already expired removes the
 * binding with that id (SR_EV_EXPIRED) and returns SR_RESTORE_EXPIRED.
 * Claims no room (like expiry: the copy is rebuilt from Redis after a loss).
 */
enum sr_restore_rc sr_loc_put(struct sr_loc *loc, const struct sr_loc_binding *b, uint32_t now_s);
/* Removes the binding (aor, id), announcing 'why' (REMOVED or EXPIRED). 1 when removed, 0 when absent. */
int sr_loc_remove_id(struct sr_loc *loc, struct sr_str aor, uint64_t id, enum sr_event_type why);
/* Starts a mark-and-sweep: every binding now present counts as not seen until sr_loc_put puts it again. */
void sr_loc_mark(struct sr_loc *loc);
/* Removes every binding not put since sr_loc_mark (SR_EV_REMOVED each); returns how many. */
unsigned sr_loc_sweep(struct sr_loc *loc);

/*
 * Checks the store's invariants (every AoR's list in q order with its count,
 * the totals, one armed timer per binding at its expiry, ids unique per
 * AoR, identity hashes current). NULL when they hold, else what is wrong.
 * O(bindings): for tests.
 */
const char *sr_loc_check(struct sr_loc *loc);

#endif
