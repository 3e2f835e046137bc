/*
 * persist_mid.h - where a worker's mid-registrar records go (registrar.role
 * = mid): io.record of lib/midreg hands every PUT and DEL here, keyed by
 * the AoR and the contact id, with sr_midreg_record_encode's bytes.
 *
 * For now this only counts (persist_mid.c); the LMDB side (lib/ctl, written
 * in the same batch as the binding events) replaces the body at merge. The
 * bytes are valid during the call only.
 */
#ifndef SR_PERSIST_MID_H
#define SR_PERSIST_MID_H

#include <stddef.h>
#include <stdint.h>

#include "app.h"
#include "midreg.h"

void sr_persist_mid_record(struct sr_app *app, unsigned worker, enum sr_midreg_rec_op op, struct sr_str aor,
			   uint64_t ctid, const uint8_t *bytes, size_t len);

/* Records handed over so far by worker (PUT and DEL together). */
uint64_t sr_persist_mid_count(unsigned worker);

#endif
