/*
 * policy_rules.h - the operator's rules file, parsed (no hyperscan here).
 *
 * One rule a line; '#' starts a comment line, blank lines are ignored:
 *
 *     FIELD ACTION [REASON WORDS...] /REGEX/FLAGS
 *     contact ACTION [REASON WORDS...] host:CLASS[,CLASS...]
 *
 *   FIELD   ua | contact | aor   (User-Agent value, each Contact URI, the canonical AoR)
 *   ACTION  drop        silent, counted drop (scanners: an answer only confirms we exist)
 *           400..599    reject with this status; REASON is its phrase ("Forbidden" if none);
 *                       6xx is refused at load (a registrar never sends it, RFC 3261 10.3)
 *           allow       (aor only makes sense, any field works) an allowlist: once a field
 *                       has allow rules, a value matching none of them is rejected 403
 *   REGEX   hyperscan (PCRE subset) syntax between the first '/' token and the last '/'
 *   FLAGS   i (caseless), s (dot matches all), m (multiline); none means exact case
 *   CLASS   loopback | unspecified | self: a Contact whose host (or maddr) is
 *           such an address in any spelling (lib/sip/sip_host.h decides on the
 *           parsed host, numerically); self = the registrar's own addresses,
 *           given by the caller. host: rules only refuse (no allow).
 *
 * Why host: and not a regex for hijack contacts: one address has dozens of
 * spellings (127.1, 2130706433, [::ffff:127.0.0.1], localhost., ...) and a
 * regex over the URI text sees none of them reliably. The former %SELF%
 * macro (the registrar's address pasted into a regex) had the same flaw and
 * is refused with a pointer to host:self.
 *
 *     aor mid FLAGS /REGEX/FLAGS
 *
 *   mid     not a verdict: the mid-registrar's settings of the AoRs it matches
 *           (docs/MID_REGISTRAR.md). FLAGS is one comma-separated token parsed by
 *           sr_midreg_settings_parse here, at load, so a bad flag is refused with its
 *           line; the aor field only. The first matching mid line in file order
 *           decides (policy_mid.c); mid lines never refuse or allow a REGISTER.
 *
 * Deny rules win over allow rules; among matching deny rules the first in
 * the file decides. The parser only checks the shape of a line; whether the
 * regex compiles is for hyperscan (policy.c), which reports by line as well.
 * Rules and their strings are owned by the set and freed with it.
 */
#ifndef SR_POLICY_RULES_H
#define SR_POLICY_RULES_H

#include <stddef.h>

#include "sip_host.h"

enum sr_pol_field { SR_PF_UA, SR_PF_CONTACT, SR_PF_AOR, SR_PF_COUNT };

enum sr_pol_action {
	SR_PA_DROP,   /* no response, counted */
	SR_PA_REJECT, /* status + reason */
	SR_PA_ALLOW,  /* allowlist entry for its field */
	SR_PA_MID,    /* the mid-registrar's settings for the AoRs it matches (no verdict) */
};

struct sr_midreg_settings;

struct sr_pol_rule {
	enum sr_pol_field field;
	enum sr_pol_action action;
	int status;          /* SR_PA_REJECT only */
	char *reason;        /* SR_PA_REJECT only, NUL-terminated */
	char *regex;         /* NUL-terminated, without delimiters; NULL for a host: rule */
	unsigned hs_flags;   /* HS_FLAG_* values */
	unsigned host_classes; /* SR_HOST_* bits of a host: rule, 0 for a regex rule */
	struct sr_midreg_settings *mid; /* SR_PA_MID only: the parsed FLAGS (malloc) */
	unsigned line;       /* 1-based line in the file, for errors and stats */
};

struct sr_pol_rules {
	struct sr_pol_rule *v;
	unsigned n, cap;
};

/*
 * Parses text[0..len) into *out (which must be zeroed). self: the registrar's
 * own addresses (NULL or empty: host:self is refused). On error returns -1
 * and writes "line N: what" into err[0..errcap); *out is then freed.
 */
int sr_pol_rules_parse(const char *text, size_t len, const struct sr_host_self *self,
		       struct sr_pol_rules *out, char *err, size_t errcap);
void sr_pol_rules_free(struct sr_pol_rules *r);

#endif
