/*
 * reg_plan.h - the plan of one REGISTER: what each Contact will do.
 *
 * reg_save.c fills it and runs every check; sr_plan_prepare() makes the
 * allocations (the AoR record, new binding objects) and undoes them if one
 * fails; sr_plan_apply() then cannot fail. That split is what makes a
 * REGISTER all-or-nothing.
 */
#ifndef SR_REG_PLAN_H
#define SR_REG_PLAN_H

#include "reg_contact.h"
#include "registrar.h"

enum sr_plan_op {
	SR_OP_NONE,    /* expires 0 for a contact we do not have, or superseded in the same request */
	SR_OP_ADD,
	SR_OP_UPDATE,
	SR_OP_REMOVE,
};

struct sr_plan_entry {
	struct sr_contact_info ci;
	enum sr_plan_op op;
	uint32_t granted;           /* seconds */
	struct sr_binding *old;     /* the binding this contact names, if any */
	struct sr_binding *fresh;   /* new object (ADD, or UPDATE whose strings changed) */
};

#define SR_PLAN_MAX_EVICT 64

struct sr_plan {
	struct sr_str aor;          /* canonical AoR, in aor_buf */
	struct sr_str domain;       /* its host part */
	uint64_t hash;
	uint64_t branch_hash;       /* top Via branch of this request, 0 when none */
	struct sr_aor *aor_rec;     /* existing record, or the one prepare created */
	bool aor_created;
	bool retransmission;
	bool outbound_used;         /* a contact was matched by (instance, reg-id) */
	struct sr_str path;
	bool remove_all;            /* Contact: * */
	struct sr_binding *evict[SR_PLAN_MAX_EVICT]; /* removed by max_contacts force mode */
	unsigned n_evict;
	char aor_buf[SR_REG_MAX_AOR_LEN];
	/* everything above is cleared per request; entries are initialised as used */
	unsigned n;
	struct sr_plan_entry e[SR_SIP_MAX_CONTACTS];
};

/* reg_match.c: which binding a contact names. */
struct sr_match_key {
	struct sr_str uri;
	struct sr_str instance;
	struct sr_str pn_key;
	uint32_t reg_id;            /* 0: none */
};
void sr_match_key_of_contact(struct sr_match_key *k, const struct sr_contact_info *ci);
void sr_match_key_of_binding(struct sr_match_key *k, const struct sr_binding *b);
bool sr_match_keys_equal(const struct sr_match_key *a, const struct sr_match_key *b);
struct sr_binding *sr_match_find(struct sr_aor *aor, const struct sr_match_key *k);

struct sr_req_ctx;
/* reg_apply.c */
enum sr_reg_err sr_plan_prepare(struct sr_req_ctx *c, struct sr_plan *p);
void sr_plan_apply(struct sr_req_ctx *c, struct sr_plan *p);

#endif
