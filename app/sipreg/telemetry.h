/*
 * telemetry.h - the command table (commands.h) served on DPDK's telemetry
 * socket: dpdk-telemetry.py -f <eal.file_prefix>, then /sipreg/stats etc.
 *
 * DPDK's telemetry has hard limits: a string (value or key) of at most
 * RTE_TEL_MAX_STRING_LEN - 1 bytes, RTE_TEL_MAX_DICT_ENTRIES entries in a
 * dictionary, RTE_TEL_MAX_ARRAY_ENTRIES in an array, arrays of one scalar
 * type, and 16 KB of JSON per answer. An answer that does not fit is
 * refused with {"error": "... use sipregctl ..."}, never cut: sipreg's own
 * control socket (lib/ctl/ctl_socket.h) carries the same answer whole.
 */
#ifndef SR_TELEMETRY_H
#define SR_TELEMETRY_H

#include <stddef.h>

#include <rte_telemetry.h>

#include "ctl_out.h"
#include "ctl_table.h"

/* JSON bytes of one telemetry answer (DPDK's output buffer, MAX_OUTPUT_LEN in its telemetry.c). */
#define SR_TEL_MAX_OUTPUT 16384

/*
 * Registers every command of t (which must live as long as the process:
 * DPDK's telemetry threads cannot be stopped). Returns 0, or -1 after a
 * message naming the command DPDK refused.
 */
int sr_telemetry_serve(const struct sr_ctl_table *t);

/*
 * The answer 'out' of command cmd as telemetry data in d. Returns 0, or -1
 * with why it does not fit in why (d is then untouched); a failed command's
 * {"error": reason} always fits, its reason shortened with a note when it
 * is too long.
 */
int sr_telemetry_render(const char *cmd, const struct sr_ctl_out *out, struct rte_tel_data *d, char *why,
			size_t cap);

#endif
