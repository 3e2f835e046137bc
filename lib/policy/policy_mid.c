/*
 * policy_mid.c - the mid-registrar's per-domain / per-AoR settings from the
 * rules file's `aor mid FLAGS /REGEX/FLAGS` lines (docs/MID_REGISTRAR.md).
 *
 * Design decisions:
 * - The FLAGS were parsed when the file was loaded (policy_rules.c, through
 *   sr_midreg_settings_parse): a lookup scans the AoR once and copies the
 *   winning rule's struct, no parsing per REGISTER.
 * - The mid lines get their own hyperscan database (policy_internal.h says
 *   why), compiled like the verdict rules (block mode, one report per rule,
 *   pattern id = the rule's index). Hyperscan reports matches by end offset,
 *   not by id, so the scan keeps the lowest id it sees: the first matching
 *   line in file order wins whatever the regexes are.
 * - The lookup is a reader of the published database like sr_policy_check:
 *   same atomic load, the reader's own scratch, no lock; the caller reports
 *   quiescence as it already does for the verdict rules, so a reload never
 *   frees the settings a lookup copies from.
 */
#include "policy_internal.h"

#include "midreg.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int sr_policy_mid_build(struct sr_policy_mid *m, const struct sr_pol_rules *rules, unsigned readers, char *err,
			size_t errcap)
{
	unsigned k = 0;
	for (unsigned i = 0; i < rules->n; i++)
		k += rules->v[i].action == SR_PA_MID;
	if (k == 0)
		return 0;
	const char **exprs = calloc(k, sizeof(*exprs));
	unsigned *flags = calloc(k, sizeof(*flags)), *ids = calloc(k, sizeof(*ids));
	int rc = -1;
	if (!exprs || !flags || !ids) {
		snprintf(err, errcap, "out of memory");
		goto out;
	}
	k = 0;
	for (unsigned i = 0; i < rules->n; i++) {
		const struct sr_pol_rule *r = &rules->v[i];
		if (r->action != SR_PA_MID)
			continue;
		m->memory_only |= r->mid->memory_only;
		exprs[k] = r->regex;
		flags[k] = r->hs_flags | HS_FLAG_SINGLEMATCH | HS_FLAG_ALLOWEMPTY;
		ids[k++] = i;
	}
	rc = sr_policy_hs_compile(rules, exprs, flags, ids, k, &m->hs, err, errcap) ||
	     sr_policy_hs_scratch(m->hs, readers, &m->scratch, &m->n_scratch, err, errcap) ? -1 : 0;
out:
	free(exprs);
	free(flags);
	free(ids);
	return rc; /* on failure the db's free releases what was made */
}

void sr_policy_mid_free(struct sr_policy_mid *m)
{
	for (unsigned i = 0; i < m->n_scratch; i++)
		hs_free_scratch(m->scratch[i]);
	free(m->scratch);
	hs_free_database(m->hs);
	m->scratch = NULL;
	m->hs = NULL;
	m->n_scratch = 0;
}

static int on_mid_match(unsigned id, unsigned long long from, unsigned long long to, unsigned flags, void *ctx)
{
	(void)from, (void)to, (void)flags;
	unsigned *first = ctx;
	if (id < *first)
		*first = id;
	return 0;
}

bool sr_policy_mid_memory_only_any(void *arg)
{
	const struct sr_policy_reader *rd = arg;
	if (!rd || !rd->p)
		return false;
	return atomic_load_explicit(&rd->p->cur, memory_order_acquire)->mid.memory_only;
}

bool sr_policy_mid_settings(void *arg, struct sr_str aor, struct sr_midreg_settings *s)
{
	const struct sr_policy_reader *rd = arg;
	if (!rd || !rd->p || rd->id >= rd->p->max_readers)
		return false;
	const struct sr_policy_db *d = atomic_load_explicit(&rd->p->cur, memory_order_acquire);
	if (!d->mid.hs || aor.len > UINT32_MAX)
		return false;
	unsigned first = UINT32_MAX;
	hs_scan(d->mid.hs, aor.p ? aor.p : "", (unsigned)aor.len, 0, d->mid.scratch[rd->id], on_mid_match, &first);
	if (first == UINT32_MAX)
		return false;
	*s = *d->rules.v[first].mid;
	return true;
}
