/*
 * reg_carry.c - the AoR a REGISTER's pre-scan computed, taken by the owner
 * instead of computed again (registrar.h, struct sr_reg_carry).
 *
 * Design decisions:
 * - The owner takes the carried AoR only for the To its walk took from the
 *   same record (m->to_carried): then both read the same bytes the same
 *   way, and the pre-scan canonicalised them with the same configuration,
 *   so the AoR and its hash are the ones the owner would compute. A To the
 *   owner read itself (the record did not fit, the fast path declined) is
 *   canonicalised and hashed as before.
 * - The canonical AoR is not copied into the record (up to 256 bytes): in
 *   the common case it is the To URI as written ("sip:alice@example.com":
 *   lower-case scheme and host, no escapes, no realm prefix), which the
 *   pre-scan checks byte for byte; the owner then copies those bytes.
 */
#include "reg_carry.h"

#include <string.h>

/* The To URI's bytes from its scheme to the end of its host, in req. */
static struct sr_str scheme_to_host(const struct sr_sip_scan_to *t, const char *req)
{
	if (t->host_at + t->host_len < t->uri_at)
		return SR_STR_NULL;
	return sr_str_make(req + t->at + t->uri_at, (size_t)(t->host_at + t->host_len - t->uri_at));
}

void sr_reg_carry_note(struct sr_reg_carry *carry, const char *req, struct sr_str aor, uint64_t hash)
{
	carry->flags = 0;
	if (!carry->to.valid)
		return;
	carry->aor_hash = hash;
	carry->flags = SR_CARRY_AOR;
	struct sr_str written = scheme_to_host(&carry->to, req);
	if (written.len && sr_str_eq(written, aor))
		carry->flags |= SR_CARRY_VERBATIM;
}

bool sr_reg_carry_has_aor(const struct sr_reg_carry *carry, const struct sr_sip_msg *m)
{
	return carry && m->to_carried && (carry->flags & SR_CARRY_AOR);
}

bool sr_reg_carry_aor(const struct sr_reg_carry *carry, const struct sr_sip_msg *m, const char *req, char *out,
		      size_t cap, size_t *len, struct sr_str *user, struct sr_str *host)
{
	if (!sr_reg_carry_has_aor(carry, m) || !(carry->flags & SR_CARRY_VERBATIM))
		return false;
	const struct sr_sip_scan_to *t = &carry->to;
	struct sr_str written = scheme_to_host(t, req);
	if (written.len == 0 || written.len > cap)
		return false;
	memcpy(out, written.p, written.len);
	*len = written.len;
	*user = sr_str_make(out + (t->user_len ? t->user_at - t->uri_at : 0), t->user_len);
	*host = sr_str_make(out + (t->host_at - t->uri_at), t->host_len);
	return true;
}
