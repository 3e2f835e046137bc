/*
 * ctl_table.h - sipreg's control commands in one table, and the request /
 * answer lines of its control socket.
 *
 * A command is a name ("/sipreg/stats"), a help text and a function that
 * writes its answer into a builder (ctl_out.h). The table carries the one
 * context every command of it receives, so no command needs a global to
 * find the application. Front ends only look commands up and render what
 * they wrote: the DPDK telemetry socket (app/sipreg/telemetry.c) and the
 * control socket (ctl_socket.h), whose protocol is here:
 *
 *   request:  one JSON object per line, '\n'-terminated:
 *             {"cmd": "/sipreg/aor", "params": "sip:alice@example.com"}
 *             "params" is optional; it is the same string a telemetry
 *             client writes after the comma ("/sipreg/aor,sip:...").
 *   answer:   one JSON object per line, in request order:
 *             {"/sipreg/aor": {...}}   the command's answer under its name,
 *             as DPDK telemetry shapes it, but with no size limit;
 *             {"/sipreg/aor": {"error": "why"}} when the command failed.
 *   "/":      {"/": {"<name>": "<help>", ...}} lists the commands.
 *   A line that is not such a request is answered {"error": "why"}.
 *
 * Commands run on whatever thread the front end serves a client on, several
 * at once: they must be thread-safe (the context's locks are the
 * context's business).
 */
#ifndef SR_CTL_TABLE_H
#define SR_CTL_TABLE_H

#include <stddef.h>

#include "ctl_out.h"

/* params: what follows the name ("" when nothing does); never NULL. */
typedef void sr_ctl_cmd_fn(void *ctx, const char *params, struct sr_ctl_out *out);

struct sr_ctl_cmd {
	const char *name; /* "/sipreg/..." */
	const char *help; /* one line: what it answers, and its parameters */
	sr_ctl_cmd_fn *fn;
};

struct sr_ctl_table {
	const struct sr_ctl_cmd *cmds;
	size_t n;
	void *ctx; /* given to every command */
};

/* The command called name, or NULL. */
const struct sr_ctl_cmd *sr_ctl_table_find(const struct sr_ctl_table *t, const char *name);

/*
 * Runs name with params (NULL: none) into out. An unknown name fails the
 * answer with a message that says how to list the commands; "/" answers the
 * list of names and help texts.
 */
void sr_ctl_table_run(const struct sr_ctl_table *t, const char *name, const char *params, struct sr_ctl_out *out);

/*
 * The control socket's protocol: the answer line (malloc'd, '\n'-terminated,
 * *len bytes) to one request line (without its '\n'). NULL only when out of
 * memory.
 */
char *sr_ctl_table_serve_line(const struct sr_ctl_table *t, const char *line, size_t len, size_t *out_len);

#endif
