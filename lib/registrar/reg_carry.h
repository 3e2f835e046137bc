/*
 * reg_carry.h - the pre-scan's AoR, carried to the owner (struct
 * sr_reg_carry in registrar.h; private to lib/registrar).
 */
#ifndef SR_REG_CARRY_H
#define SR_REG_CARRY_H

#include "registrar.h"

/*
 * The pre-scan's side: aor (canonical) and its sr_hash64 for the To that
 * carry->to describes; marks the AoR verbatim when it is the To URI's own
 * bytes in req.
 */
void sr_reg_carry_note(struct sr_reg_carry *carry, const char *req, struct sr_str aor, uint64_t hash);

/* Whether the owner may take carry's AoR hash: its To is the one the pre-scan read (m->to_carried). */
bool sr_reg_carry_has_aor(const struct sr_reg_carry *carry, const struct sr_sip_msg *m);

/*
 * The owner's side of sr_aor_canonicalize: when the carried AoR is
 * verbatim, copies it from req into out and sets *len, *user and *host as
 * sr_aor_canonicalize would (ranges in out). False when it cannot (then
 * canonicalise as usual).
 */
bool sr_reg_carry_aor(const struct sr_reg_carry *carry, const struct sr_sip_msg *m, const char *req, char *out,
		      size_t cap, size_t *len, struct sr_str *user, struct sr_str *host);

#endif
