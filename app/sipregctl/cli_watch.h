/*
 * cli_watch.h - `sipregctl watch`: follows sipreg's listener stream.
 *
 * The stream is a Unix stream socket next to the control socket
 * (/var/run/dpdk/<eal.file_prefix>/sipreg_listen.sock) carrying one JSON
 * object per line (protocol: lib/ctl/ctl_announce.h). --json prints the
 * lines as they come; the human form prints one line per message:
 *   added   <aor> <contact> [<contact> ...]
 *   removed <aor> <contact> [<contact> ...]
 *   -- synced: current state above, live changes below
 * A cut-off by sipreg (this client read too slowly) is an error naming the
 * reason. Output is flushed per line, so it can be piped and followed.
 */
#ifndef SR_CLI_WATCH_H
#define SR_CLI_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/*
 * Prints one stream line (without its '\n'). Returns 0, 1 when the line
 * says sipreg cut this subscriber off (err says why), -1 on a line that is
 * not a stream message (err says what is wrong).
 */
int sr_cli_watch_line(const char *line, bool json, FILE *out, char *err, size_t cap);

/* Connects and follows until sipreg closes the stream. Returns the exit status (0, or 1 with a message on stderr). */
int sr_cli_watch(const char *prefix, bool json);

#endif
