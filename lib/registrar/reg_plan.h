/*
 * reg_plan.h - the plan of one REGISTER: what each Contact will do.
 *
 * reg_save.c fills it and runs every check; sr_plan_prepare() turns it into
 * the location store's change set (lib/location) and has the store make
 * every allocation. The 200 is then written from the store's view of the
 * AoR as the change set will leave it, and only when it fits is the change
 * set committed (which cannot fail); otherwise it is aborted and the store
 * is as before. That split is what makes a REGISTER all-or-nothing.
 */
#ifndef SR_REG_PLAN_H
#define SR_REG_PLAN_H

#include "location.h"
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
	struct sr_loc_key key;            /* what the contact is recognised by */
	enum sr_plan_op op;
	uint32_t granted;                 /* seconds */
	const struct sr_binding *old;     /* the binding this contact names, if any */
	unsigned change;                  /* ADD, UPDATE: its change in the prepared change set (txn.c) */
};

#define SR_PLAN_MAX_EVICT 64
_Static_assert(SR_SIP_MAX_CONTACTS + SR_PLAN_MAX_EVICT <= SR_LOC_TXN_MAX,
	       "a plan's changes must fit one change set");

/* Longest User-Agent a binding keeps; longer ones are cut (reg_apply.c). */
#define SR_REG_STORED_UA_MAX 256

struct sr_plan {
	struct sr_str aor;          /* canonical AoR, in aor_buf */
	struct sr_str user;         /* its user part (empty when none) */
	struct sr_str domain;       /* its host part */
	uint32_t branch_hash;       /* top Via branch of this request (as binding.h keeps it), 0 when none */
	const struct sr_aor *aor_rec; /* the AoR's current record, NULL when it has no binding */
	bool retransmission;
	bool outbound_used;         /* a contact was matched by (instance, reg-id) */
	struct sr_str path;
	bool remove_all;            /* Contact: * */
	uint16_t flags;             /* binding flags from sr_reg_params.binding_flags (SR_BFLAG_MEMORY_ONLY) */
	/* registrar.role = mid: the AoR's rule (reg_rule.c), NULL: none (a final registrar, or no hook) */
	const struct sr_midreg_settings *rule;
	uint32_t rule_tag;          /* the rule's tag, to keep in the AoR's record (reg_rule.c); 0: none */
	uint32_t path_src_ip;       /* path-received: the first Path URI's received address (0: the packet's) */
	uint16_t path_src_port;
	const struct sr_binding *evict[SR_PLAN_MAX_EVICT]; /* removed by max_contacts force mode */
	unsigned n_evict;
	char aor_buf[SR_REG_MAX_AOR_LEN];
	/* everything above is cleared per request; entries are initialised as used */
	unsigned n;
	struct sr_plan_entry e[SR_SIP_MAX_CONTACTS];
	struct sr_loc_txn txn;      /* the store's change set (sr_loc_txn_begin resets it) */
};

struct sr_req_ctx;
/* reg_apply.c: the plan as the store's change set, prepared (SR_E_OK) or refused. */
enum sr_reg_err sr_plan_prepare(struct sr_req_ctx *c, struct sr_plan *p);

#endif
