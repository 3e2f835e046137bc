/*
 * reg_config.h - everything an operator can set on the registrar core.
 *
 * Names follow the configuration file keys of section [registrar]
 * (registrar.min_expires, ...). sr_reg_config_defaults() gives the values an
 * operator expects without configuring anything; sr_reg_config_check()
 * refuses inconsistent settings with a message that names the key.
 */
#ifndef SR_REG_CONFIG_H
#define SR_REG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../sip/sip_str.h"
#include "push.h"

#define SR_REG_MAX_DOMAINS 64
/* Longest canonical AoR the core can hold; registrar.max_aor_len may not exceed it. */
#define SR_REG_MAX_AOR_LEN 1024

enum sr_path_mode {
	SR_PATH_OFF,    /* Path is ignored: not stored, not echoed */
	SR_PATH_LAZY,   /* stored; echoed in the 200 only when the UA said Supported: path */
	SR_PATH_STRICT, /* 420 when Path is present but the UA did not say Supported: path */
};

enum sr_max_contacts_mode {
	SR_MAXC_REJECT, /* 503 with Retry-After when a REGISTER would exceed max_contacts */
	SR_MAXC_FORCE,  /* "force-registration": drop the bindings expiring soonest to make room */
};

struct sr_reg_config {
	/* served domains (lower case, realm_prefix already stripped); only sr_reg_config_add_domain writes them */
	char domains[SR_REG_MAX_DOMAINS][256];
	uint8_t domain_len[SR_REG_MAX_DOMAINS]; /* strlen of each, kept by add_domain for sr_reg_config_serves */
	unsigned n_domains;
	int not_served_code;          /* answer when the Request-URI/AoR domain is not ours (404) */

	uint32_t min_expires;         /* 423 below this (0 = no minimum) */
	uint32_t max_expires;         /* longer requests are clamped (0 = no maximum) */
	uint32_t default_expires;     /* when neither the contact nor the Expires header says */
	uint32_t expires_max_deviation; /* granted expiry randomised by +- this many seconds */
	int default_q;                /* thousandths used when a contact has no q; -1: keep none */

	uint32_t max_contacts;        /* per AoR, 1..SR_LOC_MAX_PER_AOR (the location store's hard cap) */
	enum sr_max_contacts_mode max_contacts_mode;
	uint32_t retry_after;         /* seconds in Retry-After of 503 responses (0 = header omitted) */

	uint32_t max_username_len;
	uint32_t max_domain_len;
	uint32_t max_aor_len;
	uint32_t max_contact_len;
	uint32_t max_path_len;        /* Path values of one REGISTER, ", "-joined: longer is 400 */

	bool case_sensitive;          /* compare AoR user parts case-sensitively (RFC 3261) */
	char realm_prefix[64];        /* stripped from domains, e.g. "sip." (OpenSIPS semantics) */

	enum sr_path_mode path_mode;
	bool outbound;                /* RFC 5626 instance/reg-id matching */
	bool gruu;                    /* RFC 5627 GRUUs in 200 responses */

	bool fast_parse;              /* the fast path in front of libosip2 (false: libosip2 only) */

	uint32_t max_aors;            /* capacity of one shard's table */
	uint64_t memory_limit;        /* bytes of binding memory per shard, 0 = unlimited */
	uint64_t secret;              /* keys To-tags and temporary GRUUs; set from a random source */

	/* RFC 8599 ([push] keys, sr_push_rules_init): 555, match keys, Feature-Caps. Zero: push off. */
	struct sr_push_rules push;
	/*
	 * With push.purr: the key of the PURRs the 200 hands out (+sip.pnspurr),
	 * the one every worker's push shard checks them with (routing.secret).
	 */
	uint64_t purr_secret[2];
};

void sr_reg_config_defaults(struct sr_reg_config *c);
/* Adds one served domain; returns -1 if the list is full or the name too long. */
int sr_reg_config_add_domain(struct sr_reg_config *c, const char *domain);
/*
 * Whether a canonical host (sr_aor_domain: lower case, prefix stripped) is
 * one of the served domains. Compared byte for byte, not case-blind: every
 * caller passes sr_aor_domain's or sr_aor_canonicalize's host (reg_save.c,
 * reg_prescan.c, app/sipreg/route_facts.c), twice per REGISTER.
 */
bool sr_reg_config_serves(const struct sr_reg_config *c, struct sr_str host);
/* Returns NULL when consistent, else a static message naming the offending key. */
const char *sr_reg_config_check(const struct sr_reg_config *c);

#endif
