/*
 * admission.h - operator policy (lib/policy) and flood protection
 * (lib/net/net_flood) wired into sipreg: set-up at start, the per-worker
 * parts, the worker loop's RCU duties and the rules reload that
 * /sipreg/reload runs (commands.c).
 *
 * Where the checks sit in the worker (worker.c):
 * - the token bucket of the source, in the worker that RECEIVES a SIP
 *   datagram, before the AoR pre-scan (a flood costs one table lookup);
 * - the authentication-failure block, in the worker that OWNS the AoR,
 *   before sr_reg_process; that worker also sees the answer and records
 *   failures (401/403 to a request that carried credentials) and successes;
 * - the policy rules, inside sr_reg_process through the shard's hook.
 * Refused datagrams are counted (flood_limited, flood_blocked) and either
 * dropped or answered 503 with Retry-After (flood.action).
 */
#ifndef SR_ADMISSION_H
#define SR_ADMISSION_H

#include "app.h"

/* For --check: compiles the rules file and sizes a flood table, then frees both (no EAL needed). */
int sr_admission_check(const struct sr_app_config *c);
/* Loads the rules file (before the workers are set up). 0, or -1 after a message on stderr. */
int sr_admission_init(struct sr_app *app);
/* Worker w's flood table and policy hook (zero hook without rules); -1 after a message. */
int sr_admission_worker(struct sr_app *app, struct sr_worker *w, struct sr_policy_hooks *hooks);
/*
 * Re-reads policy.rules (app->policy must exist; control side: the caller
 * serialises reloads). 0 with the rules now in force in info, or -1 with
 * the reason in err and the old rules kept.
 */
int sr_admission_reload(struct sr_app *app, struct sr_policy_info *info, char *err, size_t cap);
void sr_admission_fini(struct sr_app *app);

/* Worker loop RCU duties for the policy database. */
void sr_admission_online(struct sr_worker *w);
void sr_admission_quiescent(struct sr_worker *w);
void sr_admission_offline(struct sr_worker *w);

/*
 * After sr_reg_process on the owner: feeds the block list. credentials:
 * the request carried an Authorization header (the registrar's result says
 * so), status the answer (0: none).
 */
void sr_admission_after(struct sr_worker *w, uint32_t src_ip, bool credentials, int status, uint64_t now_ms);

#endif
