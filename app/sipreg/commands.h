/*
 * commands.h - every control command of sipreg, in one table with one
 * context (lib/ctl/ctl_table.h). The front ends (telemetry.c, and the
 * control socket lib/ctl/ctl_socket.h, both set up by control.c) serve this
 * table; nothing else registers a command.
 *
 *   /sipreg/stats      the figure walk (stats.c): counters, gauges, families
 *   /sipreg/workers    per-worker figures (worker_figures.c)
 *   /sipreg/aor,URI    bindings of one AoR, asked of its owner worker
 *   /sipreg/rm,URI[,CONTACT]  administrative removal, then what is left
 *   /sipreg/auth       authentication counters and subscribers in force
 *   /sipreg/reload     everything reloadable (subscribers, nonce secret,
 *                      policy rules), one result for all parts
 *   /sipreg/dump[,CURSOR]  one page of the persisted bindings
 *   /sipreg/snapshot,DIR   consistent copy of the binding store
 *
 * The context holds the application and the two locks commands share:
 * one reload at a time (and the subscriber count is read under it: only a
 * reload frees a table), one AoR question in flight (its slot is written
 * by a worker).
 */
#ifndef SR_COMMANDS_H
#define SR_COMMANDS_H

#include "app.h"
#include "ctl_table.h"

struct sr_commands;

/*
 * Creates the context and the workers' query rings (app->w[i]->queries;
 * the workers must exist). NULL after a message on stderr.
 */
struct sr_commands *sr_commands_new(struct sr_app *app);
const struct sr_ctl_table *sr_commands_table(struct sr_commands *c);
/*
 * After the workers stopped: frees the query rings and the question slot;
 * commands still called answer "sipreg is stopping". The context itself
 * stays valid (a front end that cannot be stopped may still look it up).
 */
void sr_commands_stop(struct sr_commands *c);
/* Frees a stopped context that no front end references any more. */
void sr_commands_free(struct sr_commands *c);

#endif
