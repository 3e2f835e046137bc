/*
 * cli_reload.h - `sipregctl reload`: the answers of /sipreg/reload
 * (subscribers and nonce secret) and /sipreg/policy_reload (policy rules)
 * turned into one report.
 *
 * Design decisions:
 * - Both reloads are asked for, every time: one operator command makes the
 *   files on disk the ones in force. A part that is not configured
 *   (auth.enabled off, no policy.rules; the answer carries "configured": 0)
 *   is reported as such and is no error, unless neither part is configured.
 * - A refused part (bad subscriber line, bad rule, ...) makes the command
 *   fail with sipreg's reason for every refused part; the parts that were
 *   reloaded are still printed, so the operator sees exactly what changed.
 * - --json prints {"subscribers": <answer>, "policy": <answer>} on one line.
 */
#ifndef SR_CLI_RELOAD_H
#define SR_CLI_RELOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/*
 * auth_reply and policy_reply are the raw telemetry answers (NULL when the
 * call itself failed). Returns 0, or -1 with the reasons in err.
 */
int sr_cli_format_reload(const char *auth_reply, const char *policy_reply, bool json, FILE *out, char *err,
			 size_t cap);

#endif
