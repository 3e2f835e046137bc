/*
 * ctl_answer.h - the complete answer to "which bindings does this AoR have",
 * as the owner worker writes it for the control core.
 *
 * Every live binding of the AoR (q order, as the location store keeps them)
 * with every field, no truncation: each is a persistence record
 * (ctl_record.h) preceded by its length (u32, little-endian). The buffer is
 * the control core's; when the answer does not fit, the worker writes
 * nothing usable and reports the size it needs, and the control core asks
 * again with a buffer that large. So the worker never allocates, and the
 * control core's memory grows only for AoRs that need it.
 */
#ifndef SR_CTL_ANSWER_H
#define SR_CTL_ANSWER_H

#include <stddef.h>
#include <stdint.h>

#include "ctl_record.h"

/*
 * Encodes the live bindings of canonical AoR 'aor' (expiry after now_s)
 * into out[0..cap). Returns the bytes the whole answer needs (0: no
 * binding); when that is more than cap, out holds nothing usable. *n gets
 * the number of bindings either way.
 */
size_t sr_ctl_answer_encode(struct sr_loc *loc, struct sr_str aor, uint32_t now_s, uint8_t *out, size_t cap,
			    unsigned *n);

/*
 * Iterates an answer: *off starts at 0; returns 1 with *b filled (strings
 * point into buf), 0 at the end, -1 when the bytes are malformed (*err set).
 */
int sr_ctl_answer_next(const uint8_t *buf, size_t len, size_t *off, struct sr_loc_binding *b, const char **err);

#endif
