/*
 * policy_mid.c - the mid-registrar's per-domain / per-AoR settings from the
 * rules file's `aor mid FLAGS /REGEX/FLAGS` lines (docs/MID_REGISTRAR.md).
 *
 * Design decisions:
 * - The FLAGS were parsed when the file was loaded (policy_rules.c, through
 *   sr_midreg_settings_parse): a lookup scans the AoR once and answers with the
 *   winning rule's struct, no parsing per REGISTER.
 * - The mid lines get their own hyperscan database (policy_internal.h says
 *   why), compiled like the verdict rules (block mode, one report per rule,
 *   pattern id = the rule's index). Hyperscan reports matches by end offset,
 *   not by id, so the scan keeps the lowest id it sees: the first matching
 *   line in file order wins whatever the regexes are.
 * - The answer is the db's own parsed struct (no copy), and a tag names it
 *   so that a caller keeping the tag with the AoR (the registrar, in the
 *   location store's AoR record) is answered without a scan until the next
 *   reload: an absorbed refresh then costs no hyperscan scan (bench/midreg).
 * - The lookup is a reader of the published database like sr_policy_check:
 *   same atomic load, the reader's own scratch, no lock; the caller reports
 *   quiescence as it already does for the verdict rules, so a reload never
 *   frees the settings a lookup answered with.
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

/*
 * Tags (sr_policy_mid_settings): the db's epoch (the low 16 bits of its
 * generation) over the answer, the matching line's rule index + 1 or
 * TAG_NO_RULE. A reload publishes a db with another epoch, so every tag a
 * caller kept goes stale and the next lookup scans. An epoch comes round
 * again after 65,536 reloads: a tag is kept with an AoR that has bindings
 * and renewed by its next REGISTER after a reload, so only an AoR that got
 * no REGISTER through all of them (longer than any binding lives at any
 * sane reload rate) could see its old answer again. A tag naming no mid
 * line of the current db is never trusted.
 */
#define TAG_NO_RULE 0xffffu

static int on_mid_match(unsigned id, unsigned long long from, unsigned long long to, unsigned flags, void *ctx)
{
	(void)from, (void)to, (void)flags;
	unsigned *first = ctx;
	if (id < *first)
		*first = id;
	return 0;
}

/* The tag of db d's answer 'slot' (a rule index + 1, or TAG_NO_RULE). */
static uint32_t tag_of(const struct sr_policy_db *d, uint32_t slot)
{
	return (uint32_t)d->mid.epoch << 16 | slot;
}

/* The answer a tag of d names: the rule's settings, NULL for none; *known false when it names no answer of d. */
static const struct sr_midreg_settings *tagged(const struct sr_policy_db *d, uint32_t tag, bool *known)
{
	uint32_t slot = tag & 0xffffu;
	*known = false;
	if (tag == 0 || tag >> 16 != d->mid.epoch)
		return NULL;
	if (slot == TAG_NO_RULE) {
		*known = true;
		return NULL;
	}
	if (slot - 1 >= d->rules.n || d->rules.v[slot - 1].action != SR_PA_MID)
		return NULL; /* not a tag this db made: scan */
	*known = true;
	return d->rules.v[slot - 1].mid;
}

const struct sr_midreg_settings *sr_policy_mid_settings(void *arg, struct sr_str aor, uint32_t *tag)
{
	const struct sr_policy_reader *rd = arg;
	uint32_t in = *tag;
	*tag = 0;
	if (!rd || !rd->p || rd->id >= rd->p->max_readers)
		return NULL;
	const struct sr_policy_db *d = atomic_load_explicit(&rd->p->cur, memory_order_acquire);
	bool known;
	const struct sr_midreg_settings *s = tagged(d, in, &known);
	if (known) {
		*tag = in; /* this db's answer for the AoR already: no scan */
		return s;
	}
	if (!d->mid.hs || aor.len > UINT32_MAX) {
		*tag = tag_of(d, TAG_NO_RULE);
		return NULL;
	}
	unsigned first = UINT32_MAX;
	hs_scan(d->mid.hs, aor.p ? aor.p : "", (unsigned)aor.len, 0, d->mid.scratch[rd->id], on_mid_match, &first);
	if (first == UINT32_MAX) {
		*tag = tag_of(d, TAG_NO_RULE);
		return NULL;
	}
	if (first + 1 < TAG_NO_RULE)
		*tag = tag_of(d, first + 1); /* a line beyond the tag's range is scanned for every time */
	return d->rules.v[first].mid;
}
