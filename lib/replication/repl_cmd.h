/*
 * repl_cmd.h - building Redis commands from changes without copying them
 * twice.
 *
 * A command's arguments are either appended to one growing byte buffer
 * and recorded as (offset, length), or referenced where they already are
 * (a record in the backlog: no copy). sr_repl_cmd_argv turns them into the
 * pointer arrays sr_repl_resp_format takes, once the buffer no longer
 * moves. The buffer and arrays are reused from command to command, so
 * steady state allocates nothing.
 *
 * sr_repl_resp_format is our own RESP encoder rather than hiredis's
 * redisFormatCommandArgv: hiredis 0.14 writes each argument's length
 * header with sprintf, which was 45 % of the writer's instructions per
 * change (callgrind, bench/replication); this writes the digits by hand.
 */
#ifndef SR_REPL_CMD_H
#define SR_REPL_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sr_repl_cmd {
	char *buf;
	size_t len, cap;
	size_t *off, *lens;
	const char **ext;   /* referenced arguments (NULL: at buf + off) */
	const char **argv;
	unsigned n, cap_n;
	bool failed; /* out of memory: do not send */
};

void sr_repl_cmd_init(struct sr_repl_cmd *c);
void sr_repl_cmd_fini(struct sr_repl_cmd *c);
void sr_repl_cmd_reset(struct sr_repl_cmd *c);

/* Appends an argument (copied). */
void sr_repl_cmd_arg(struct sr_repl_cmd *c, const void *p, size_t n);
void sr_repl_cmd_str(struct sr_repl_cmd *c, const char *s);
void sr_repl_cmd_u64(struct sr_repl_cmd *c, uint64_t v);
/* Appends an argument by reference: p must stay valid until the command is formatted. */
void sr_repl_cmd_ref(struct sr_repl_cmd *c, const void *p, size_t n);
/* Reserves an argument of n bytes and returns where to write it (NULL when out of memory). */
char *sr_repl_cmd_reserve(struct sr_repl_cmd *c, size_t n);

/* Fills c->argv and c->lens for the first c->n arguments; false when a step failed. */
bool sr_repl_cmd_argv(struct sr_repl_cmd *c);

/* The decimal digits of v (no NUL) into out; returns how many. */
size_t sr_repl_decimal(uint64_t v, char out[20]);

/*
 * A command in RESP ("*N\r\n" then "$LEN\r\nBYTES\r\n" per argument), the
 * bytes redisFormatCommandArgv would produce; lens NULL: the arguments are
 * C strings. Returns the length and a malloc'd buffer in *out (free()),
 * or -1 (no arguments, out of memory, over INT_MAX bytes).
 */
int sr_repl_resp_format(char **out, int argc, const char **argv, const size_t *lens);

/* The same in two steps, into a buffer of the caller's: the size (-1 as above), then the bytes. */
int64_t sr_repl_resp_size(int argc, const char **argv, const size_t *lens);
void sr_repl_resp_write(char *out, int argc, const char **argv, const size_t *lens);

#endif
