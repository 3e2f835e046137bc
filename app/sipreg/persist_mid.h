/*
 * persist_mid.h - the mid-registrar's records (lib/midreg's upstream
 * registrations) in the node's LMDB store, beside the bindings.
 *
 * Worker side: the shard's io.record callback calls sr_persist_mid_record,
 * which frames the record (lib/ctl/ctl_midrec.h) into an event slot of the
 * worker's ring, the same ring and sequence numbers as its binding events:
 * the control core puts both in one batch, so a record and the binding
 * change it goes with commit in one LMDB transaction and sync durability's
 * group commit covers both (a 200 held behind the binding's event is only
 * sent once the records written before it are durable too). A record is
 * not a binding change: it claims no room in advance (lib/midreg hands it
 * over after its decision, outside any location store change) and one
 * that finds no slot is lost and counted (the next change of the record
 * writes it whole again; a restart misses at most that change, which
 * sr_midreg_restore_done treats as stale: de-registered, never left up).
 *
 * Records are not binding events: they never reach the listener stream
 * (`sipregctl watch` announces contacts) nor Redis replication (its
 * changes are bindings keyed by binding id; a standby has no upstream
 * registrations of its own to follow). lib/ctl's batch keeps them from
 * both (sr_ctl_batch_next skips them), so neither needs to know of them.
 *
 * memory-only (a rule's flag, kept on the bindings as SR_BFLAG_MEMORY_ONLY):
 * the records of an AoR whose bindings are memory-only are not written;
 * their PUT becomes a DEL, so a record written before its AoR's binding
 * existed (a new contact forwarded upstream) does not stay behind.
 *
 * Restore: sr_persist_mid_restore hands every stored record to the worker
 * owning its AoR (the data plane's owner table), after sr_persist_init
 * restored the bindings and before the workers run; the caller passes
 * each to sr_midreg_restore and then calls sr_midreg_restore_done per
 * worker.
 */
#ifndef SR_PERSIST_MID_H
#define SR_PERSIST_MID_H

#include <stddef.h>
#include <stdint.h>

#include "app.h"
#include "midreg.h"

/* Worker side (the shard's io.record): persists (PUT) or forgets (DEL) one record. Never blocks; no-op without persistence. */
void sr_persist_mid_record(struct sr_app *app, unsigned worker, enum sr_midreg_rec_op op, struct sr_str aor,
			   uint64_t ctid, const uint8_t *bytes, size_t len);

/* One stored record for the shard of 'worker'; bytes are sr_midreg_record_encode's, valid during the call. */
typedef void sr_persist_mid_restore_fn(void *ctx, unsigned worker, const uint8_t *bytes, size_t len);
/*
 * At start, after sr_persist_init and before the workers run: calls fn for
 * every stored record. Returns how many, 0 without persistence, or -1
 * after printing why to stderr (the store could not be read, or holds an
 * entry that does not decode: refuse to start, as for a bad binding).
 */
int sr_persist_mid_restore(struct sr_app *app, sr_persist_mid_restore_fn *fn, void *ctx);

/* Figures: records lost for want of a slot or memory (worker-written counters, summed). */
uint64_t sr_persist_mid_lost(const struct sr_app *app);

#endif
