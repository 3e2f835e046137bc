/*
 * ctl_midrec.h - the persisted form of one mid-registrar record (an upstream
 * registration, lib/midreg) around its opaque bytes, and its store key.
 *
 * lib/ctl does not read the record itself (sr_midreg_record_encode's bytes,
 * versioned by lib/midreg): it frames them with what persistence needs, the
 * AoR (the owner worker at restore, the key) and the contact id (the key),
 * so the control core and the store stay free of lib/midreg and its
 * dependencies. Entry, little-endian: u8 version (1), u8 zero, u16 AoR
 * length, u64 contact id, the AoR, then the record's bytes (none for a DEL).
 *
 * Records live in their own LMDB database ("midreg", ctl_store.h) keyed
 * like the bindings: 16 bytes, the AoR's sr_hash64 then the contact id,
 * both big-endian (an AoR plus a contact id can exceed LMDB's 511-byte
 * keys; the full AoR is in the value).
 *
 * In a batch (ctl_batch.h) a record travels as entry type SR_CTL_MID_PUT or
 * SR_CTL_MID_DEL, values outside enum sr_event_type: sr_ctl_batch_next
 * (the binding consumers: listener stream, Redis replication, resync)
 * never sees them; the store's commit reads every entry.
 */
#ifndef SR_CTL_MIDREC_H
#define SR_CTL_MIDREC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../sip/sip_str.h"

#define SR_CTL_MIDREC_VERSION 1
#define SR_CTL_MIDREC_HDR 12

/* Batch entry types of a record (ctl_batch.h); never an enum sr_event_type value. */
enum sr_ctl_mid_op {
	SR_CTL_MID_PUT = 0x40,
	SR_CTL_MID_DEL = 0x41,
};
static inline bool sr_ctl_mid_op_is(unsigned type)
{
	return type == SR_CTL_MID_PUT || type == SR_CTL_MID_DEL;
}

struct sr_ctl_midrec {
	struct sr_str aor;
	uint64_t ctid;
	const uint8_t *bytes; /* the record as lib/midreg encoded it; NULL, 0 in a DEL */
	size_t len;
};

/* Encoded size; 0 when the AoR is empty or longer than 65535 bytes. */
size_t sr_ctl_midrec_size(struct sr_str aor, size_t len);
/* Writes the entry into out[0..cap); returns its size, 0 if it does not fit. */
size_t sr_ctl_midrec_encode(const struct sr_ctl_midrec *r, uint8_t *out, size_t cap);
/* Parses an entry (r's pointers into in). Returns 0, or -1 with *err set (static text). */
int sr_ctl_midrec_decode(const uint8_t *in, size_t len, struct sr_ctl_midrec *r, const char **err);
/* (AoR hash, contact id), both big-endian. */
#define SR_CTL_MIDREC_KEY_LEN 16
void sr_ctl_midrec_key(struct sr_str aor, uint64_t ctid, uint8_t key[SR_CTL_MIDREC_KEY_LEN]);

#endif
