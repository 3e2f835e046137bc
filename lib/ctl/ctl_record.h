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
 * The key is 16 bytes: the 64-bit AoR hash (big-endian, so one AoR's
 * bindings are adjacent and a worker's buckets are derivable from the key)
 * followed by a 64-bit hash of the binding's identity, computed with the
 * registrar's matching rule (instance + reg-id, else push key, else contact
 * URI). LMDB keys are limited to 511 bytes, which an AoR plus a contact can
 * exceed; the full strings live in the value.
 */
#ifndef SR_CTL_RECORD_H
#define SR_CTL_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "binding.h"
#include "reg_restore.h"

#define SR_CTL_RECORD_VERSION 1
#define SR_CTL_KEY_LEN 16

/* A binding as plain values; the strings point into whatever it came from. */
struct sr_ctl_binding {
	struct sr_str aor;
	struct sr_str f[SR_BF_COUNT];
	struct sr_binding_state st;
};

/* A view of a live binding (valid as long as the binding is). */
void sr_ctl_binding_of(const struct sr_binding *b, struct sr_ctl_binding *out);

/* Encoded size; 0 when a string is longer than 65535 bytes. */
size_t sr_ctl_record_size(const struct sr_ctl_binding *b);
/* Writes the record into out[0..cap); returns its size, 0 if it does not fit or is too long. */
size_t sr_ctl_record_encode(const struct sr_ctl_binding *b, uint8_t *out, size_t cap);
/* Parses a record; strings of *b point into 'in'. Returns 0, or -1 with *err set (static text). */
int sr_ctl_record_decode(const uint8_t *in, size_t len, struct sr_ctl_binding *b, const char **err);

void sr_ctl_record_key(const struct sr_ctl_binding *b, uint8_t key[SR_CTL_KEY_LEN]);

#endif
