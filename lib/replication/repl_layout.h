/*
 * repl_layout.h - the Redis layout of sipreg's replication, version 2
 * (docs/REPLICATION.md is the reference other tools read).
 *
 * Keys (P = replication.prefix, made of [A-Za-z0-9_.-]):
 *   P:2:aor:{AOR}           hash: binding id (16 hex digits) -> envelope;
 *                           its TTL is garbage collection only (sr_repl_key_ttl_s)
 *   P:2:stream:{NODE}       stream: the committed changes of node NODE, in order
 *   P:2:ctl:{P}:epoch       integer: the fencing epoch
 *   P:2:ctl:{P}:heartbeat   string "NODE EPOCH UNIX_MS", expires failover_ms after the last beat
 * Values:
 *   envelope  u8 version (2), u32 expires (Unix seconds), the record bytes
 *   change    u8 op, u64 binding id, u32 expires, u16 aor length, u32 record
 *             length, the AoR, the record (all little-endian)
 * A stream entry carries a run of consecutive changes of one epoch:
 *   v 2  ep E  kind changes  first F  last L  c <L-F+1 changes back to back>
 * or a resynchronisation marker (the keys were rewritten wholesale; a
 * follower re-reads them):
 *   v 2  ep E  kind resync  last U
 *
 * The record bytes are opaque here (sipreg stores its versioned binding
 * record, lib/ctl/ctl_record.h); the expiry is outside them so that the
 * replication module and other tools filter expired data without decoding
 * the record. Pure functions, no I/O.
 */
#ifndef SR_REPL_LAYOUT_H
#define SR_REPL_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SR_REPL_LAYOUT_VERSION 2
#define SR_REPL_ENVELOPE_HDR 5
/* An AoR key's TTL is a whole multiple of this (layout 2: one hour). */
#define SR_REPL_TTL_BUCKET_S 3600u
#define SR_REPL_CHANGE_HDR 19
#define SR_REPL_ID_HEX 16
#define SR_REPL_NAME_MAX 64     /* node ids and the prefix */
#define SR_REPL_FUNCTION_LIBRARY "sipreg_2"

/* What happened to a binding (the location store's events). */
enum sr_repl_op {
	SR_REPL_ADDED,
	SR_REPL_REFRESHED,
	SR_REPL_REMOVED,
	SR_REPL_EXPIRED,
	SR_REPL_OP_COUNT
};

/* One binding change as the control core hands it over; pointers are borrowed. */
struct sr_repl_change {
	enum sr_repl_op op;
	uint64_t id;          /* the binding's stable id */
	uint32_t expires;     /* Unix seconds; for removals the last known expiry (informational) */
	const char *aor;
	size_t aor_len;
	const uint8_t *rec;   /* the binding record; NULL/0 for removals */
	size_t rec_len;
};

static inline bool sr_repl_op_is_put(enum sr_repl_op op)
{
	return op == SR_REPL_ADDED || op == SR_REPL_REFRESHED;
}

const char *sr_repl_op_name(enum sr_repl_op op);

/* A prefix or node id: 1..64 characters of [A-Za-z0-9_.-]. */
bool sr_repl_name_ok(const char *s);

/*
 * Key builders: write a NUL-terminated key into out[cap] and return its
 * length, or 0 when it does not fit.
 */
size_t sr_repl_key_aor(const char *prefix, const char *aor, size_t aor_len, char *out, size_t cap);
size_t sr_repl_key_stream(const char *prefix, const char *node, char *out, size_t cap);
size_t sr_repl_key_epoch(const char *prefix, char *out, size_t cap);
size_t sr_repl_key_heartbeat(const char *prefix, char *out, size_t cap);
/* The SCAN pattern that matches every AoR key (and nothing else of ours). */
size_t sr_repl_aor_pattern(const char *prefix, char *out, size_t cap);
/* The AoR inside an AoR key; false when the key is not one of ours. */
bool sr_repl_key_aor_parse(const char *prefix, const char *key, size_t len, const char **aor, size_t *aor_len);

/*
 * The Unix second an AoR key holding a binding that expires at 'expires'
 * must live to: the end of the next whole hour after the expiry's hour
 * ((expires / 3600 + 2) * 3600). Coarse on purpose: a refresh whose
 * expiry stays in the hour needs no expiry write, and the key outlives its
 * last binding by one to two hours (readers filter each envelope by its
 * own expiry, so that time only costs memory).
 */
static inline uint64_t sr_repl_key_ttl_s(uint32_t expires)
{
	return ((uint64_t)expires / SR_REPL_TTL_BUCKET_S + 2) * SR_REPL_TTL_BUCKET_S;
}

/* Binding id <-> 16 lowercase hex digits (no NUL). */
void sr_repl_id_hex(uint64_t id, char out[SR_REPL_ID_HEX]);
bool sr_repl_id_parse(const char *s, size_t len, uint64_t *id);

/* Envelope: writes SR_REPL_ENVELOPE_HDR + rec_len bytes; returns the size, 0 if cap is short. */
size_t sr_repl_envelope_encode(uint32_t expires, const uint8_t *rec, size_t rec_len, uint8_t *out, size_t cap);
/* Returns 0 and points *rec into 'in', or -1 with *err (static text). */
int sr_repl_envelope_decode(const uint8_t *in, size_t len, uint32_t *expires, const uint8_t **rec,
			    size_t *rec_len, const char **err);

/* Change records (stream entries). */
size_t sr_repl_change_size(const struct sr_repl_change *c);
size_t sr_repl_change_encode(const struct sr_repl_change *c, uint8_t *out, size_t cap);
/*
 * Decodes the change at in[*off]; advances *off. Returns 1 with *c filled
 * (pointers into 'in'), 0 at the end of the buffer, -1 with *err when the
 * bytes are malformed.
 */
int sr_repl_change_next(const uint8_t *in, size_t len, size_t *off, struct sr_repl_change *c, const char **err);

/* The Redis function library (FUNCTION LOAD REPLACE): sr2_beat, sr2_promote. */
extern const char sr_repl_functions[];

#endif
