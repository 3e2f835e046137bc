/*
 * policy.h - operator policy: the rules file compiled into one hyperscan
 * database, checked once per REGISTER, reloadable without a pause.
 *
 * Design:
 * - All rules of all fields go into ONE block-mode database (hs_compile_multi,
 *   per-pattern flags, the pattern id is the rule's index). A request is
 *   checked by scanning each named field (User-Agent, each Contact URI, the
 *   AoR) with that database; the match callback keeps only rules of the field
 *   being scanned and records the first deny rule and which fields had an
 *   allow match. Patterns get HS_FLAG_SINGLEMATCH: one report per rule.
 *   Why not one scan over all fields joined: a user's regex (^, $, '.', a
 *   negated class) could then match across field boundaries, and per-field
 *   anchoring is what the rules mean. A field no rule names is not scanned
 *   (the shipped rules scan User-Agent, not Contacts or the AoR).
 *   The mid-registrar's `aor mid` lines are not verdicts and go into a
 *   second database of their own, scanned only by sr_policy_mid_settings
 *   (policy_internal.h, policy_mid.c).
 * - Contacts pointing back at the operator (loopback, unspecified, the
 *   registrar's own addresses) are refused by host: rules, decided on each
 *   contact's parsed host and maddr in C (sip_host.h), not by a regex: an
 *   address has too many spellings for one.
 * - Reload builds a complete new database (and one scratch space per reader,
 *   so a worker never has to grow a shared scratch) and publishes it with an
 *   atomic pointer store. Readers are protected by DPDK's QSBR RCU
 *   (rte_rcu_qsbr): each worker reports a quiescent state once per poll loop;
 *   the writer waits (bounded) for a grace period before freeing the old
 *   database. A reader never blocks or takes a lock.
 * - The rule strings (reason phrases) live in the database object, so a
 *   verdict's reason stays valid until the reader's next quiescent report.
 */
#ifndef SR_POLICY_H
#define SR_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "registrar.h"

struct sr_policy;

/* Per-rule hit counters are kept by the caller if it wants them; these are per policy object. */
struct sr_policy_info {
	unsigned rules;     /* in the current database */
	uint64_t generation;/* bumped by every successful load */
};

/*
 * Creates a policy for up to max_readers reader threads (ids 0..max_readers-1)
 * from rules text (may be empty: allow everything). self_addrs: the
 * registrar's own IP addresses, what host:self matches ("198.51.100.1",
 * several separated by commas or blanks; NULL or "" for none). Returns NULL
 * and writes the reason ("line N: ..." for a bad rule, with hyperscan's
 * message) into err.
 */
struct sr_policy *sr_policy_create(unsigned max_readers, const char *self_addrs, const char *text,
				   size_t len, char *err, size_t errcap);
/* Reads a rules file then sr_policy_create. */
struct sr_policy *sr_policy_create_file(unsigned max_readers, const char *self_addrs,
					const char *path, char *err, size_t errcap);
void sr_policy_free(struct sr_policy *p);

/*
 * Replaces the rules (from the control thread, never a reader). On a bad
 * rule returns -1 with err set and the old rules stay. On success the new
 * rules are live at once; the old database is freed after a grace period,
 * waited for at most timeout_ms (returns 1 if it timed out: the old one is
 * then freed by the next reload or sr_policy_free).
 */
int sr_policy_reload(struct sr_policy *p, const char *text, size_t len, unsigned timeout_ms,
		     char *err, size_t errcap);
int sr_policy_reload_file(struct sr_policy *p, const char *path, unsigned timeout_ms, char *err,
			  size_t errcap);

/* Reader thread life cycle (RCU): online before the first check, quiescent once per loop. */
void sr_policy_reader_online(struct sr_policy *p, unsigned reader);
void sr_policy_reader_offline(struct sr_policy *p, unsigned reader);
void sr_policy_quiescent(struct sr_policy *p, unsigned reader);

/*
 * Checks one request's fields; contacts are URIs (no display name), hosts
 * every host the contacts send to (each URI's host and maddr, as parsed).
 */
struct sr_policy_input {
	const char *ua;
	size_t ua_len;
	unsigned n_contacts;
	const struct sr_str *contacts;
	struct sr_str aor;
	unsigned n_hosts;
	const struct sr_str *hosts;
};
void sr_policy_check(struct sr_policy *p, unsigned reader, const struct sr_policy_input *in,
		     struct sr_pol_verdict *v);

void sr_policy_get_info(struct sr_policy *p, struct sr_policy_info *info);

/* The registrar hook: ctx is a struct sr_policy_reader (one per worker). */
struct sr_policy_reader {
	struct sr_policy *p;
	unsigned id;
};
void sr_policy_hook_check(void *ctx, const struct sr_sip_msg *m, struct sr_str aor,
			  struct sr_pol_verdict *v);

/*
 * The mid-registrar's settings lookup (an sr_midreg_settings_fn, midreg.h):
 * arg is a struct sr_policy_reader (the policy and the worker's reader id,
 * the same one its policy hook uses). When an `aor mid FLAGS /REGEX/` line
 * matches the canonical AoR, the first such line in file order answers
 * (its flags over the defaults, the published rules' own copy, valid until
 * the reader's next quiescent report); NULL when none does. *tag (in: the
 * AoR's tag from an earlier lookup, 0 for none; out: this answer's) names
 * the answer within one published set of rules, so a caller that keeps it
 * with the AoR is answered without a scan until the next reload. A reader
 * call like sr_policy_check: online reader, quiescent reports, no lock.
 */
struct sr_midreg_settings;
const struct sr_midreg_settings *sr_policy_mid_settings(void *arg, struct sr_str aor, uint32_t *tag);

#endif
