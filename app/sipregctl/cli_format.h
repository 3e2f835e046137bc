/*
 * cli_format.h - turning a command's answer line ({"/sipreg/...": {...}})
 * into sipregctl's output.
 *
 * Plain C over strings and a FILE*, so the formatting is unit-tested
 * without a running sipreg. --json prints the command's value as one line
 * of compact JSON (for scripts); otherwise each command has a human layout.
 * A null answer or an {"error": ...} value is an error with a message that
 * names the command and the reason.
 */
#ifndef SR_CLI_FORMAT_H
#define SR_CLI_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* cmd is the command without parameters ("/sipreg/aor"). Returns 0, or -1 with err set. */
int sr_cli_format(const char *cmd, const char *reply, bool json, FILE *out, char *err, size_t cap);

/*
 * One /sipreg/dump page: prints each binding (human: "AOR CONTACT EXPIRES_IN",
 * JSON: one object per line) and copies the resume cursor into next
 * (empty at the end). Returns the bindings printed, or -1 with err set.
 */
int sr_cli_format_dump_page(const char *reply, bool json, FILE *out, char *next, size_t next_cap, char *err,
			    size_t cap);

#endif
