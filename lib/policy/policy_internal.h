/*
 * policy_internal.h - the inside of a policy, shared by policy.c (verdict
 * rules, publication, RCU) and policy_mid.c (the mid-registrar's settings
 * rules). Not for other files.
 *
 * A published database ("db") holds two hyperscan databases built from the
 * same parsed file: the verdict rules (drop, reject, allow) that
 * sr_policy_check scans for every REGISTER, and the mid rules, scanned only
 * by the mid-registrar's settings lookup. Kept apart so a file with mid
 * lines costs a final registrar nothing (its AoR is not scanned for them),
 * and a mid line can never become a verdict.
 */
#ifndef SR_POLICY_INTERNAL_H
#define SR_POLICY_INTERNAL_H

#include <hs.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "policy.h"
#include "policy_rules.h"

/* The mid rules of one db: pattern id = the rule's index in the file (first in file order = lowest). */
struct sr_policy_mid {
	hs_database_t *hs;        /* NULL when the file has no mid line */
	hs_scratch_t **scratch;   /* one per reader */
	unsigned n_scratch;
	uint16_t epoch;           /* low 16 bits of the generation it is published as: the tags' (policy_mid.c) */
};

struct sr_policy_db {
	struct sr_pol_rules rules;
	hs_database_t *hs;        /* NULL when there are no rules */
	hs_scratch_t **scratch;   /* one per reader */
	unsigned n_scratch;
	bool has_allow[SR_PF_COUNT];
	bool has_rules[SR_PF_COUNT]; /* regex rules: a field nobody wrote one for is not scanned */
	unsigned host_classes;       /* SR_HOST_* named by any host: rule (0: none) */
	struct sr_policy_mid mid;
};

struct sr_policy {
	_Atomic(struct sr_policy_db *) cur;
	struct sr_policy_db *retired;
	struct rte_rcu_qsbr *qsbr;
	unsigned max_readers;
	uint64_t generation;
	struct sr_host_self self; /* the registrar's own addresses, for host:self */
};

/* policy.c: one block-mode database of k patterns (ids: rule indexes); -1 with "line N: ..." in err. */
int sr_policy_hs_compile(const struct sr_pol_rules *rules, const char *const *exprs, const unsigned *flags,
			 const unsigned *ids, unsigned k, hs_database_t **db, char *err, size_t errcap);
/* policy.c: *scratch = one scratch per reader for hs (none when hs is NULL), *n counting those made. */
int sr_policy_hs_scratch(hs_database_t *hs, unsigned readers, hs_scratch_t ***scratch, unsigned *n, char *err,
			 size_t errcap);

/* policy_mid.c: compiles the mid rules of 'rules' (none: nothing) with one scratch per reader; -1 with err. */
int sr_policy_mid_build(struct sr_policy_mid *m, const struct sr_pol_rules *rules, unsigned readers, char *err,
			size_t errcap);
void sr_policy_mid_free(struct sr_policy_mid *m);

#endif
