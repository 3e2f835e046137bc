/*
 * cli_reload.h - `sipregctl reload`: the answer of /sipreg/reload, which
 * reloads every reloadable part in sipreg (subscribers and nonce secret;
 * policy rules), turned into one report.
 *
 * Design decisions:
 * - sipreg decides and reports per part; this only prints. A part that is
 *   not configured (auth.enabled off, no policy.rules; its dictionary
 *   carries "configured": 0) is reported as such and is no error, unless
 *   nothing at all is configured.
 * - A refused part (bad subscriber line, bad rule, ...) makes the command
 *   fail with sipreg's reason for every refused part; the parts that were
 *   reloaded are still printed, so the operator sees exactly what changed.
 * - --json prints the answer as sipreg gave it, on one line:
 *   {"reload": "ok"|"refused"|"nothing", ["error": ...,] "subscribers": {...}, "policy": {...}}.
 */
#ifndef SR_CLI_RELOAD_H
#define SR_CLI_RELOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/*
 * reply is the answer line of /sipreg/reload (NULL when the call itself
 * failed). Returns 0, or -1 with the reasons in err.
 */
int sr_cli_format_reload(const char *reply, bool json, FILE *out, char *err, size_t cap);

#endif
