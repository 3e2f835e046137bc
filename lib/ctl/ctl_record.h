/*
 * ctl_record.h - the persisted form of one binding (versioned bytes) and its
 * store key.
 *
 * A record is self-describing: version byte first, fixed little-endian
 * fields, then the lengths and the bytes of the AoR and of every binding
 * string. Decoding never trusts the bytes: every length is checked against
 * the buffer, and a record of another version is refused by name, so a
 * data directory written by a future format is never misread.
 *
 * The key is 16 bytes: the 64-bit AoR hash rotated right by
 * SR_CTL_SLOT_BITS (big-endian, so one AoR's bindings are adjacent and the
 * key starts with the hash's slot, its low bits: one slot's records are one
 * key range, see below) followed by the binding's id (big-endian), which
 * the location store gives
 * a binding when it is added and keeps across refreshes, object
 * replacement and restarts. So a refresh that changes the stored bytes
 * (";ob" added, the host's case changed: still the same binding by
 * RFC 3261 19.1.4) overwrites the same key, and a removal deletes it.
 * (Format 1 keyed by a hash of the contact's bytes and left such refreshes'
 * first key behind, to be restored after the binding was removed.) LMDB
 * keys are limited to 511 bytes, which an AoR plus a contact can exceed;
 * the full strings live in the value.
 *
 * The binding as plain values is the location store's complete binding
 * (struct sr_loc_binding, location.h): what an event carries is what is
 * encoded.
 */
#ifndef SR_CTL_RECORD_H
#define SR_CTL_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "location.h"

#define SR_CTL_RECORD_VERSION 4
#define SR_CTL_KEY_LEN 16

/*
 * Slots (store format 4): an AoR's slot is its sr_hash64 modulo
 * SR_CTL_SLOTS, the hash's low bits, which the key puts first. sipreg's
 * owner table maps the same low bits to a worker (SR_BUCKETS divides
 * SR_CTL_SLOTS), so every slot is one worker's and a restart's part reads
 * only its own slots' key ranges (ctl_load.c). Format 3 keys started with
 * the hash itself; a format 3 store is rewritten once at open
 * (ctl_migrate.c).
 */
#define SR_CTL_SLOT_BITS 10
#define SR_CTL_SLOTS (1u << SR_CTL_SLOT_BITS)

static inline unsigned sr_ctl_slot_of(uint64_t aor_hash64)
{
	return (unsigned)(aor_hash64 & (SR_CTL_SLOTS - 1));
}

/* Encoded size; 0 when a string is longer than 65535 bytes. */
size_t sr_ctl_record_size(const struct sr_loc_binding *b);
/* Writes the record into out[0..cap); returns its size, 0 if it does not fit or is too long. */
size_t sr_ctl_record_encode(const struct sr_loc_binding *b, uint8_t *out, size_t cap);
/* Parses a record; strings of *b point into 'in'. Returns 0, or -1 with *err set (static text). */
int sr_ctl_record_decode(const uint8_t *in, size_t len, struct sr_loc_binding *b, const char **err);

/*
 * The binding a removal or an expiry event carries: the key (AoR, id) that
 * deletes the record and the contact the listener stream announces, every
 * other field empty. So a removal's record is small whatever the binding
 * held (its Path, its push parameters).
 */
void sr_ctl_record_removal(const struct sr_loc_binding *b, struct sr_loc_binding *out);

/*
 * Whether a binding's events are persisted at all: not a memory-only one
 * (SR_BFLAG_MEMORY_ONLY, binding.h). Its events then take no room and no
 * slot, reach no batch, and so neither the store, the listener stream nor
 * Redis replication. Decided on the binding as the event carries it (a
 * removal: the binding as it was), the same for the room claim and the
 * event, so claims and events stay paired.
 */
static inline bool sr_ctl_record_kept(const struct sr_loc_binding *b)
{
	return !(b->st.flags & SR_BFLAG_MEMORY_ONLY);
}

/* (AoR hash rotated so that its slot comes first, binding id), both big-endian. */
void sr_ctl_record_key(const struct sr_loc_binding *b, uint8_t key[SR_CTL_KEY_LEN]);
/* How store format 3 keyed a binding: (sr_hash64 of the AoR, binding id), both big-endian (ctl_migrate.c). */
void sr_ctl_record_v3_key(const struct sr_loc_binding *b, uint8_t key[SR_CTL_KEY_LEN]);
/* The AoR's sr_hash64 a key starts with (what sr_ctl_record_key wrote, rotated back). */
uint64_t sr_ctl_record_key_aor_hash(const uint8_t key[SR_CTL_KEY_LEN]);
/* The first 8 bytes of every key of 'aor' (its bindings are adjacent in key order). */
void sr_ctl_record_aor_prefix(struct sr_str aor, uint8_t prefix[8]);
/* The same for a known sr_hash64 (8 bytes, the part of the key the AoR decides). */
void sr_ctl_record_hash_prefix(uint64_t aor_hash64, uint8_t prefix[8]);
/*
 * Where slot 'slot' starts in key order: the shortest byte string not
 * after any key of that slot and after every key of the slots before it
 * (the slot's first bytes, trailing zero bytes dropped). Slot 0 starts at
 * the empty string. Returns its length (0 to 2).
 */
size_t sr_ctl_slot_start(unsigned slot, uint8_t out[2]);

#endif
