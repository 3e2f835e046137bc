/*
 * reg_config.c - defaults and consistency rules of the [registrar] settings.
 *
 * Design decisions:
 * - The defaults are what an RFC 3261 registrar does unconfigured: 3600 s
 *   granted and maximum, 60 s minimum (423 below), case-sensitive user parts,
 *   lazy Path, outbound and GRUU on, 16 contacts per AoR. Only the served
 *   domains have no default: a registrar that accepts any domain is an open
 *   relay for bindings, so sr_reg_config_check() insists on at least one.
 * - sr_reg_config_check() returns the first problem found as a static string
 *   "registrar.<key>: <what is wrong>", so the application can print it as is.
 * - Served domains are stored in the form the AoR canonicaliser produces
 *   (lower case, realm_prefix stripped), so the per-request domain check is a
 *   plain byte comparison. Set realm_prefix before adding domains.
 * - expires_max_deviation rule: the granted expiry is randomised within
 *   +- deviation, and the smallest expiry we ever grant is min_expires. To
 *   keep every granted expiry at 1 s or more, a non-zero deviation must be
 *   smaller than min_expires (so with min_expires 0 no deviation is allowed).
 *   Clamping the upper side to max_expires is the registrar's job.
 * - max_aor_len must hold the longest AoR the user and domain limits admit
 *   ("sips:" user "@" domain); otherwise those limits could never be reached
 *   and an operator raising them would see requests refused for another key.
 *   It may not exceed SR_REG_MAX_AOR_LEN, the AoR buffer of the core: a
 *   larger setting would promise AoRs that the core refuses.
 * - max_contacts is bounded by the location store's hard per-AoR cap
 *   (SR_LOC_MAX_PER_AOR, 1024): an AoR's count is 16 bits and one REGISTER
 *   walks all its bindings, so "unlimited" is no longer on offer (0 is
 *   refused rather than silently meaning 1024). The default, 16, is what
 *   one REGISTER may carry and keeps a typical 200 well inside a datagram;
 *   a 200 that still does not fit is refused as a whole (reg_save.c).
 * - max_path_len bounds the Path a binding copies: Path is routing data and
 *   is stored whole, once per contact, so it needs a limit of its own.
 */
#include "reg_config.h"

#include "location.h"

_Static_assert(SR_LOC_MAX_PER_AOR == 1024, "the max_contacts message names the cap");

#include <ctype.h>
#include <string.h>
#include <strings.h>

#define AOR_OVERHEAD (sizeof("sips:@") - 1)

void sr_reg_config_defaults(struct sr_reg_config *c)
{
	memset(c, 0, sizeof(*c));
	c->not_served_code = 404;
	c->min_expires = 60;
	c->max_expires = 3600;
	c->default_expires = 3600;
	c->expires_max_deviation = 0;
	c->default_q = -1;
	c->max_contacts = 16;
	c->max_contacts_mode = SR_MAXC_REJECT;
	c->retry_after = 30;
	c->max_username_len = 64;
	c->max_domain_len = 128;
	c->max_aor_len = 256;
	c->max_contact_len = 512;
	c->max_path_len = 1024;
	c->case_sensitive = true;
	c->realm_prefix[0] = '\0';
	c->path_mode = SR_PATH_LAZY;
	c->outbound = true;
	c->gruu = true;
	c->fast_parse = true;
	c->max_aors = 1u << 20;
	c->memory_limit = 0;
	c->secret = 0;
	c->n_domains = 0;
}

/* Strips realm_prefix (case-insensitively) when something is left after it. */
static const char *strip_realm_prefix(const struct sr_reg_config *c, const char *domain)
{
	size_t plen = strlen(c->realm_prefix);

	if (plen && strlen(domain) > plen && strncasecmp(domain, c->realm_prefix, plen) == 0)
		return domain + plen;
	return domain;
}

int sr_reg_config_add_domain(struct sr_reg_config *c, const char *domain)
{
	if (!domain)
		return -1;
	domain = strip_realm_prefix(c, domain);
	size_t len = strlen(domain);
	char lower[sizeof(c->domains[0])];

	if (len == 0 || len >= sizeof(lower))
		return -1;
	for (size_t i = 0; i <= len; i++)
		lower[i] = (char)tolower((unsigned char)domain[i]);
	/* Adding a domain twice is harmless: keep one copy and report success. */
	for (unsigned i = 0; i < c->n_domains; i++)
		if (strcmp(c->domains[i], lower) == 0)
			return 0;
	if (c->n_domains >= SR_REG_MAX_DOMAINS)
		return -1;
	c->domain_len[c->n_domains] = (uint8_t)len; /* < 256: the check above */
	memcpy(c->domains[c->n_domains++], lower, len + 1);
	return 0;
}

static const char *check_domains(const struct sr_reg_config *c)
{
	if (c->n_domains == 0)
		return "registrar.domains: at least one served domain is required";
	if (c->n_domains > SR_REG_MAX_DOMAINS)
		return "registrar.domains: too many served domains";
	for (unsigned i = 0; i < c->n_domains; i++)
		if (strnlen(c->domains[i], sizeof(c->domains[i])) > c->max_domain_len)
			return "registrar.domains: a served domain is longer than registrar.max_domain_len";
	if (c->not_served_code < 400 || c->not_served_code > 499)
		return "registrar.not_served_code: must be a 4xx code";
	return NULL;
}

static const char *check_expires(const struct sr_reg_config *c)
{
	bool has_max = c->max_expires != 0;

	if (has_max && c->min_expires > c->max_expires)
		return "registrar.min_expires: must not exceed registrar.max_expires";
	if (c->default_expires == 0)
		return "registrar.default_expires: must be at least 1";
	if (c->default_expires < c->min_expires || (has_max && c->default_expires > c->max_expires))
		return "registrar.default_expires: must lie between min_expires and max_expires";
	if (c->expires_max_deviation != 0 && c->expires_max_deviation >= c->min_expires)
		return "registrar.expires_max_deviation: must be smaller than registrar.min_expires";
	return NULL;
}

static const char *check_limits(const struct sr_reg_config *c)
{
	if (c->default_q != -1 && (c->default_q < 0 || c->default_q > 1000))
		return "registrar.default_q: must be -1 or 0..1000";
	if (c->max_contacts_mode != SR_MAXC_REJECT && c->max_contacts_mode != SR_MAXC_FORCE)
		return "registrar.max_contacts_mode: must be reject or force";
	if (c->max_username_len == 0)
		return "registrar.max_username_len: must be at least 1";
	if (c->max_domain_len == 0)
		return "registrar.max_domain_len: must be at least 1";
	if (c->max_contact_len == 0)
		return "registrar.max_contact_len: must be at least 1";
	if (c->max_contacts == 0 || c->max_contacts > SR_LOC_MAX_PER_AOR)
		return "registrar.max_contacts: must be 1..1024 (the hard per-AoR binding cap)";
	if (c->max_path_len == 0 || c->max_path_len > UINT16_MAX)
		return "registrar.max_path_len: must be 1..65535";
	if ((uint64_t)c->max_aor_len < (uint64_t)c->max_username_len + c->max_domain_len + AOR_OVERHEAD)
		return "registrar.max_aor_len: must hold \"sips:\" max_username_len \"@\" max_domain_len";
	if (c->max_aor_len > SR_REG_MAX_AOR_LEN)
		return "registrar.max_aor_len: must not exceed 1024";
	if (c->max_aors == 0)
		return "registrar.max_aors: must be at least 1";
	return NULL;
}

static const char *check_options(const struct sr_reg_config *c)
{
	if (c->path_mode != SR_PATH_OFF && c->path_mode != SR_PATH_LAZY && c->path_mode != SR_PATH_STRICT)
		return "registrar.path_mode: must be off, lazy or strict";
	if (strnlen(c->realm_prefix, sizeof(c->realm_prefix)) == sizeof(c->realm_prefix))
		return "registrar.realm_prefix: too long";
	return NULL;
}

const char *sr_reg_config_check(const struct sr_reg_config *c)
{
	const char *(*const checks[])(const struct sr_reg_config *) = {
		check_domains, check_expires, check_limits, check_options,
	};

	for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		const char *msg = checks[i](c);
		if (msg)
			return msg;
	}
	return NULL;
}

bool sr_reg_config_serves(const struct sr_reg_config *c, struct sr_str host)
{
	/* host is lower case like the domains: a length check and memcmp, no strlen nor strncasecmp per domain */
	for (unsigned i = 0; i < c->n_domains; i++)
		if (host.len == c->domain_len[i] && memcmp(host.p, c->domains[i], host.len) == 0)
			return true;
	return false;
}
