/*
 * ctl_batch.h - binding events collected for one LMDB write transaction.
 *
 * The control core appends each event it drains from the workers' rings;
 * the batch is due when it holds max_events events or its oldest event is
 * interval_ms old, whichever comes first. That bounds both the size of a
 * transaction and what async durability can lose (one interval).
 *
 * Events are kept as encoded records (ctl_record.h) in one growing buffer,
 * reused across batches, so steady state allocates nothing. Entry layout:
 * u8 event type, u32 record length (native order: never leaves memory),
 * record bytes.
 *
 * The mid-registrar's records (ctl_midrec.h) travel in the same batch, so a
 * record and the binding change it goes with commit in one LMDB
 * transaction and sync durability's group commit covers both. They are
 * entries of type SR_CTL_MID_PUT / SR_CTL_MID_DEL, which only
 * sr_ctl_batch_next_entry returns: sr_ctl_batch_next gives binding events
 * alone, so the binding consumers (listener stream, Redis replication, the
 * resync of a failed sync batch) skip records without knowing of them. n
 * counts every entry (the batch's size bound).
 */
#ifndef SR_CTL_BATCH_H
#define SR_CTL_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl_midrec.h"
#include "ctl_record.h"
#include "location.h"

struct sr_ctl_batch {
	uint8_t *buf;
	size_t len, cap;
	unsigned n;
	uint64_t first_ms;    /* when the oldest event was added */
	unsigned max_events;
	uint32_t interval_ms;
	uint64_t last_seq;    /* sequence number of the newest event (for group commit) */
};

/* max_events >= 1. Returns 0, or -1 when the arguments are invalid. */
int sr_ctl_batch_init(struct sr_ctl_batch *b, unsigned max_events, uint32_t interval_ms);
void sr_ctl_batch_fini(struct sr_ctl_batch *b);

/* Appends an event with sequence number seq. Returns 0, -1 when out of memory or the binding is too long. */
int sr_ctl_batch_add(struct sr_ctl_batch *b, enum sr_event_type type, const struct sr_loc_binding *bd,
		     uint64_t seq, uint64_t now_ms);

/*
 * Appends a mid-registrar record entry (type SR_CTL_MID_PUT or _DEL; entry
 * as sr_ctl_midrec_encode wrote it, copied). Returns 0, -1 when out of
 * memory or the type is not a record's.
 */
int sr_ctl_batch_add_mid(struct sr_ctl_batch *b, enum sr_ctl_mid_op op, const uint8_t *entry, size_t len,
			 uint64_t seq, uint64_t now_ms);

/* True when the batch should be committed now. */
bool sr_ctl_batch_due(const struct sr_ctl_batch *b, uint64_t now_ms);

/* Empties the batch (keeps its memory). */
void sr_ctl_batch_clear(struct sr_ctl_batch *b);

/*
 * Iterates: *off starts at 0; returns 1 and fills *type and *rec (pointing
 * into the batch) while events remain, 0 at the end.
 */
int sr_ctl_batch_next(const struct sr_ctl_batch *b, size_t *off, enum sr_event_type *type,
		      const uint8_t **rec, size_t *rec_len);
/* The same over every entry, records included: *type is an enum sr_event_type or an enum sr_ctl_mid_op. */
int sr_ctl_batch_next_entry(const struct sr_ctl_batch *b, size_t *off, unsigned *type, const uint8_t **rec,
			    size_t *rec_len);

#endif
