/*
 * reg_prescan.c - the owner of a request, from the first steps of its parse.
 *
 * The data plane must know which shard owns a request before it hands the
 * packet over. This is not a second parser: sr_sip_scan_owner() is the
 * message walker itself, stopped at the owner field, reading that field
 * with the same value parsers the full parse uses; the AoR is then
 * canonicalised and hashed exactly as reg_save.c does (the routing reads
 * the Request-URI's AoR the same way, route_facts.c; a temporary GRUU
 * is owned by the AoR it carries, reg_tgruu.h). So the pre-scan
 * accepts what the parse accepts and finds the owner the parse finds; a
 * request the pre-scan cannot place fails the full parse too (answered
 * wherever it was received, changing nothing). What the walk recorded
 * travels in *scan for the owner to resume from.
 */
#include "registrar.h"

#include <string.h>

#include "../sip/sip_aor.h"
#include "../sip/sip_uri_cmp.h"
#include "reg_carry.h"
#include "reg_tgruu.h"

/* The AoR a temporary GRUU names (the keys are derived here: only requests for one pay). */
static bool prescan_tgruu(const struct sr_reg_config *cfg, struct sr_str user, char *aor, size_t cap, size_t *len)
{
	struct sr_tgruu_keys k;
	sr_tgruu_keys_from(cfg->secret, &k);
	return sr_tgruu_aor(&k, user, aor, cap, len);
}

int sr_reg_prescan(const char *req, size_t len, const struct sr_reg_config *cfg, struct sr_arena *arena,
		   struct sr_sip_scan *scan, struct sr_reg_owner *o)
{
	return sr_reg_prescan_carry(req, len, cfg, arena, scan, o, NULL);
}

int sr_reg_prescan_carry(const char *req, size_t len, const struct sr_reg_config *cfg, struct sr_arena *arena,
			 struct sr_sip_scan *scan, struct sr_reg_owner *o, struct sr_reg_carry *carry)
{
	struct sr_arena *prev = sr_arena_bind_osip(arena);
	struct sr_sip_owner owner;
	struct sr_reg_owner ignored;
	if (!o)
		o = &ignored;
	o->hash = 0;
	o->branch_len = 0;
	o->purr_len = 0;
	if (carry)
		carry->flags = 0;
	sr_sip_scan_owner_to(req, len, cfg->fast_parse ? SR_SIP_FAST : 0, arena, scan, &owner,
			     carry ? &carry->to : NULL);
	int rc = -1;
	char aor[SR_REG_MAX_AOR_LEN];
	size_t aor_len;
	struct sr_aor_options opt = { cfg->case_sensitive, cfg->realm_prefix };
	struct sr_str user = SR_STR_NULL, host = SR_STR_NULL, tgruu;
	if (owner.kind == SR_OWNER_AOR) {
		if (!(scan->flags & SR_SCAN_REGISTER) && sr_tgruu_in_uri(&owner.uri, &tgruu) &&
		    prescan_tgruu(cfg, tgruu, aor, sizeof(aor), &aor_len))
			o->hash = sr_hash64(aor, aor_len); /* a temporary GRUU: its AoR's owner */
		else if (sr_aor_canonicalize(&owner.uri, &opt, aor, sizeof(aor), &aor_len, &user, &host) == SR_AOR_OK) {
			o->hash = sr_hash64(aor, aor_len);
			if (carry && (scan->flags & SR_SCAN_REGISTER))
				sr_reg_carry_note(carry, req, sr_str_make(aor, aor_len), o->hash);
		}
		else if (!(scan->flags & SR_SCAN_REGISTER)) /* e.g. sip:example.com: the URI itself names the owner */
			o->hash = sr_uri_hash(&owner.uri);
		else
			goto out; /* a REGISTER whose To has no AoR: answered where received */
		scan->owner_key = (uint32_t)o->hash;
		scan->flags |= SR_SCAN_OWNER;
		/*
		 * RFC 8599 PURR: a mid-dialog request's Request-URI is the UA's
		 * contact. One naming a user of a domain we serve is looked up by
		 * its AoR instead, so it stays with that AoR's owner.
		 */
		struct sr_str purr;
		if (!(scan->flags & SR_SCAN_REGISTER) && !(user.len && sr_reg_config_serves(cfg, host)) &&
		    sr_sip_uri_param(&owner.uri, "pn-purr", &purr) &&
		    purr.len == sizeof(o->purr)) { /* any other length is not one of ours */
			memcpy(o->purr, purr.p, purr.len);
			o->purr_len = (uint8_t)purr.len;
		}
		rc = 0;
	} else if (owner.kind == SR_OWNER_BRANCH) {
		if (owner.branch.len && owner.branch.len <= sizeof(o->branch)) { /* a longer one is none of ours */
			memcpy(o->branch, owner.branch.p, owner.branch.len);
			o->branch_len = (uint8_t)owner.branch.len;
		}
		rc = 0;
	}
out:
	sr_arena_reset(arena);
	sr_arena_bind_osip(prev);
	return rc;
}
