/*
 * reg_restore.h - putting bindings into a shard without a REGISTER, and
 * taking them out administratively.
 *
 * Restore is what a restart does with the bindings persistence kept: each
 * binding comes back with every stored field and the remaining lifetime of
 * its absolute expiry; one that expired while we were down is dropped and
 * not announced (its removal is already final). Restoring announces
 * nothing either: the store already holds what it would say.
 *
 * Administrative removal (sipregctl rm) emits SR_EV_REMOVED for every
 * binding it takes, exactly like a REGISTER with Expires: 0, so the store
 * and listeners follow it.
 */
#ifndef SR_REG_RESTORE_H
#define SR_REG_RESTORE_H

#include <stdbool.h>
#include <stdint.h>

#include "registrar.h"

/* The non-string part of a binding, as persisted (see binding.h for meanings). */
struct sr_binding_state {
	uint32_t expires;        /* absolute Unix second */
	uint32_t registered_at;
	uint64_t branch_hash;
	uint32_t cseq;
	uint32_t src_ip;         /* network byte order */
	uint16_t src_port;
	uint16_t q;              /* SR_Q_NONE when none */
	uint32_t reg_id;
	uint16_t flags;          /* enum sr_binding_flags */
};

enum sr_restore_rc {
	SR_RESTORE_OK,
	SR_RESTORE_EXPIRED,   /* expiry not after now: dropped */
	SR_RESTORE_REPLACED,  /* a binding with the same identity was there: replaced */
	SR_RESTORE_FULL,      /* the shard's AoR table is full (max_aors) */
	SR_RESTORE_NO_MEMORY, /* the slab refused (memory_limit) */
	SR_RESTORE_INVALID,   /* empty AoR or contact, a field over 65535 bytes */
};

/* The state of an existing binding (for persistence). */
void sr_binding_get_state(const struct sr_binding *b, struct sr_binding_state *st);
/* Member-wise equality (the struct has padding, so memcmp would not do). */
bool sr_binding_state_equal(const struct sr_binding_state *a, const struct sr_binding_state *b);

/*
 * Inserts one binding of canonical AoR 'aor' with the given strings and
 * state, its timer armed for st->expires. A binding of the AoR with the same
 * identity (the registrar's own matching: instance and reg-id, push key or
 * contact URI) is replaced. Emits no event.
 */
enum sr_restore_rc sr_shard_restore_binding(struct sr_shard *s, struct sr_str aor,
					    const struct sr_str fields[SR_BF_COUNT],
					    const struct sr_binding_state *st, uint64_t now_ms);

/*
 * Removes the bindings of 'aor' whose contact URI equals 'contact' by
 * RFC 3261 19.1.4 comparison (all of them when contact is empty), emitting
 * SR_EV_REMOVED for each. Returns how many were removed.
 */
unsigned sr_shard_remove(struct sr_shard *s, struct sr_str aor, struct sr_str contact);

/* Human text of a restore result. */
const char *sr_restore_rc_str(enum sr_restore_rc rc);

#endif
