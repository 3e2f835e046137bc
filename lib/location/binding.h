/*
 * binding.h - one contact binding of an address-of-record, and the AoR record.
 *
 * Memory per binding is a design goal (target < 300 bytes for a
 * single-contact AoR at 1M AoRs), so a binding is one slab object: a fixed
 * header followed by its strings stored back to back (contact URI, the
 * contact parameters we echo, Call-ID, Path, user agent, +sip.instance and
 * the push-notification key and parameters). The top Via branch of the last update is kept
 * only as a 64-bit hash: it is used solely to recognise a retransmission.
 *
 * Two members belong to the location store (location.h): the binding's id,
 * given once when it is added and kept across refreshes, object replacement
 * and restarts (the persistent key is (AoR, id)), and the identity hash of
 * its contact URI (sr_uri_hash, RFC 3261 19.1.4), so matching compares
 * hashes before it compares URIs; it is computed the first time a contact
 * with other bytes is compared with the binding (loc_match.c), so the
 * common case of one binding per AoR never pays for it. It is kept in
 * 32 bits: a match is
 * always confirmed by the full comparison, so its width only decides how
 * rarely a needless comparison happens, and the 4 bytes it saves keep a
 * single-contact AoR at its memory target (see bench/RESULTS.md).
 *
 * Readers outside lib/location get const pointers only.
 */
#ifndef SR_BINDING_H
#define SR_BINDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../sip/sip_str.h"
#include "slab.h"
#include "timer_wheel.h"

enum sr_bfield {
	SR_BF_CONTACT,   /* contact URI as sent (without < >) */
	SR_BF_PARAMS,    /* contact-params to echo, each ";name[=value]", expires and q excluded */
	SR_BF_CALL_ID,
	SR_BF_PATH,      /* Path header values joined with ", " (empty when none) */
	SR_BF_USER_AGENT,
	SR_BF_INSTANCE,  /* +sip.instance value without quotes (empty when none) */
	SR_BF_PN_KEY,    /* RFC 8599 match key (lib/push sr_push_key over push.match_params; empty when none) */
	SR_BF_PN_PARAMS, /* a push contact's packed pn-* parameters (lib/push sr_push_pack; empty when none) */
	SR_BF_COUNT
};

enum sr_binding_flags {
	SR_BFLAG_OUTBOUND = 1u << 0, /* matched by (instance, reg-id), RFC 5626 */
	SR_BFLAG_GRUU = 1u << 1,     /* UA supports gruu and gave an instance */
	/*
	 * The REGISTER came from another address than the Contact's host:port
	 * (a name, a private address, another port): the UA is behind NAT and
	 * only its source reaches it (';received=', keepalives, routing).
	 */
	SR_BFLAG_NAT = 1u << 2,
	SR_BFLAG_PNSREG = 1u << 3,   /* RFC 8599: its Contact carried +sip.pnsreg (refreshes on its own) */
	/*
	 * Bit 5: kept in memory only (the mid-registrar's memory-only setting,
	 * OpenSIPS mid_registrar_save's flag): persistence writes neither the
	 * binding nor its AoR's upstream records to LMDB, so neither the
	 * listener stream nor Redis replication sees it (app/sipreg/persist.c,
	 * persist_mid.c). Set by the registrar from its binding_flags hook.
	 */
	SR_BFLAG_MEMORY_ONLY = 1u << 5,
};
/*
 * Bits 8-13 of flags: pings the NAT keepalive sent without an answer since
 * the last sign of life (lib/location/loc_keepalive.h). The store's own,
 * never persisted: sr_binding_get_state leaves them out and set_state (a
 * REGISTER, a restore) clears them. Kept in spare flag bits so keepalives
 * cost no byte per binding.
 */
#define SR_BFLAG_MISSED_SHIFT 8
#define SR_BFLAG_MISSED_MAX 63u
#define SR_BFLAG_MISSED_MASK (SR_BFLAG_MISSED_MAX << SR_BFLAG_MISSED_SHIFT)
/*
 * Bit 4: a standby's mark-and-sweep, put since sr_loc_mark (loc_apply.c).
 * The store's own and never persisted either: a spare bit instead of a byte,
 * which pushed a single-contact AoR over its 300-byte target.
 */
#define SR_BFLAG_SEEN (1u << 4)
/* The bits above, which sr_binding_get_state leaves out. */
#define SR_BFLAG_STORE_ONLY (SR_BFLAG_MISSED_MASK | SR_BFLAG_SEEN)

struct sr_aor;

struct sr_binding {
	struct sr_tw_node timer;   /* expiry; timer.expires is the absolute expiry second */
	struct sr_binding *next;   /* next binding of the same AoR, in q order (location.h) */
	struct sr_aor *aor;
	uint64_t id;               /* the store's id: unique in the shard, never 0, kept for life */
	/*
	 * Hash of the top Via branch of the last update, 32 bits: it only tells a
	 * retransmission (same Call-ID and CSeq) from a new request, and the 4
	 * bytes keep a single-contact AoR under 300 bytes.
	 */
	uint32_t branch_hash;
	uint32_t cseq;
	uint32_t src_ip;           /* network byte order: the 'received' address */
	uint32_t reg_id;           /* RFC 5626 reg-id, 0 when none */
	uint32_t registered_at;    /* second of the last REGISTER that added or refreshed it */
	uint32_t uri_hash;         /* identity hash of the contact URI (sr_loc_uri_hash); 0 until first needed */
	uint16_t src_port;
	uint16_t q;                /* thousandths; SR_Q_NONE when the contact had no q */
	uint16_t flags;
	uint16_t len[SR_BF_COUNT];
	/*
	 * The REGISTER's Allow narrowed by the Contact's methods tag, as lib/sip's
	 * method bits (SR_SIP_ALLOW_MASK; 0: none registered). 16 bits where they
	 * add the least: the strings start 2 bytes later (then offsetof data 98 -> 100);
	 * flags has only a few spare bits left.
	 */
	uint16_t allow;
	/*
	 * The store user's word for this binding, never read by the store (the
	 * mid-registrar's upstream lease: lib/midreg writes it through
	 * sr_loc_set_lease, the registrar reads it from the binding its refresh
	 * matched). 0 for a new, restored or replicated binding; kept across
	 * refreshes and object replacement; not persisted, not an event (its
	 * writer republishes it after a restore). 4 bytes: the strings start at
	 * offset 100 instead of 96.
	 */
	uint32_t lease;
	char data[];
};

#define SR_Q_NONE 0xffffu

/*
 * The AoR record. Its 64-bit hash is not kept: the table recomputes it on
 * the rare erase (8 bytes per AoR matter at a million AoRs).
 */
struct sr_aor {
	struct sr_aor *next_same_hash; /* other AoRs whose 64-bit hash collides with this one */
	struct sr_binding *bindings;   /* singly linked, in q order (location.h) */
	uint16_t n_bindings;           /* at most SR_LOC_MAX_PER_AOR (location.h) */
	uint16_t len;
	uint32_t user_tag;             /* the store's user's, never read here (sr_loc_aor_set_tag); 0 when new */
	char name[];                   /* canonical AoR, not NUL-terminated */
};
/* The tag sits in what was padding: an AoR record is no larger for it. */
_Static_assert(sizeof(struct sr_aor) == 24, "struct sr_aor grew");

static inline struct sr_str sr_aor_name(const struct sr_aor *a)
{
	return sr_str_make(a->name, a->len);
}

static inline uint32_t sr_binding_expires(const struct sr_binding *b)
{
	return b->timer.expires;
}

/* The non-string part of a binding, as persisted and restored. */
struct sr_binding_state {
	uint64_t id;             /* the store's id (0 in a change: the store gives it) */
	uint32_t expires;        /* absolute Unix second */
	uint32_t registered_at;
	uint32_t branch_hash;    /* the record keeps 64 bits: the upper half is 0 */
	uint32_t cseq;
	uint32_t src_ip;         /* network byte order */
	uint16_t src_port;
	uint16_t q;              /* SR_Q_NONE when none */
	uint32_t reg_id;
	uint16_t flags;          /* enum sr_binding_flags */
	uint16_t allow;          /* lib/sip's allow mask (SR_SIP_ALLOW_MASK bits); 0: no Allow registered */
};

void sr_binding_get_state(const struct sr_binding *b, struct sr_binding_state *st);
/* Sets everything but the id and the expiry (the store arms the timer). */
void sr_binding_set_state(struct sr_binding *b, const struct sr_binding_state *st);
/* Member-wise equality (the struct has padding, so memcmp would not do). */
bool sr_binding_state_equal(const struct sr_binding_state *a, const struct sr_binding_state *b);

/* Field f of b (a range inside b->data). */
struct sr_str sr_binding_field(const struct sr_binding *b, enum sr_bfield f);

/* Bytes a binding with these fields occupies (header + strings); 0 if a field is too long. */
size_t sr_binding_size_for(const struct sr_str fields[SR_BF_COUNT]);
static inline size_t sr_binding_size(const struct sr_binding *b)
{
	size_t n = offsetof(struct sr_binding, data); /* sizeof would count the tail padding */
	for (int i = 0; i < SR_BF_COUNT; i++)
		n += b->len[i];
	return n;
}

/*
 * Allocates a binding from the slab holding copies of 'fields' (each at most
 * 65535 bytes); every other member is zeroed and the timer disarmed.
 * Returns NULL when out of memory.
 */
struct sr_binding *sr_binding_new(struct sr_slab *slab, const struct sr_str fields[SR_BF_COUNT]);
/* The caller must have cancelled b's timer (asserted in debug builds). */
void sr_binding_delete(struct sr_slab *slab, struct sr_binding *b);

#endif
