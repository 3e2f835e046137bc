/*
 * ctl_out.h - the answer of a control command, built once and rendered by
 * every front end (the DPDK telemetry socket, sipreg's own control socket).
 *
 * A command writes its answer into this builder without knowing who asked:
 * a dictionary (the answer is always one) holding numbers, strings, nested
 * dictionaries and arrays. The control socket renders it as one JSON line
 * of any size; the telemetry front end converts it to DPDK's rte_tel_data,
 * which has hard limits, and refuses (never cuts) an answer over them.
 *
 * Design decisions:
 * - jansson's tree is the store: it keeps keys in insertion order, renders
 *   and escapes JSON, and sipregctl already parses with it. The builder adds
 *   only the open/close discipline of a writer (a stack of open containers)
 *   and the rules below, so commands read top to bottom.
 * - Strings are bytes from the wire (contacts, User-Agents): bytes that are
 *   not UTF-8 become U+FFFD instead of making the whole answer unrenderable.
 * - A failing command calls sr_ctl_out_fail: whatever it wrote is dropped and
 *   the answer is {"error": "<reason>"}, the shape every front end and
 *   sipregctl understands. Running out of memory while building is such a
 *   failure ("out of memory"), so a front end never sends half an answer.
 * - Nothing here is shared between threads: one builder per request.
 */
#ifndef SR_CTL_OUT_H
#define SR_CTL_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define SR_CTL_OUT_MAX_DEPTH 8 /* open containers, the answer's own dictionary included */

struct sr_ctl_out;

/* A new, empty answer (an open dictionary). NULL when out of memory. */
struct sr_ctl_out *sr_ctl_out_new(void);
void sr_ctl_out_free(struct sr_ctl_out *o);

/*
 * Values go into the innermost open container: under key in a dictionary,
 * appended in an array (key is ignored there; pass NULL). Writes after a
 * failure are dropped; a value without a key in a dictionary is a failure
 * ("internal error"), so a command's slip is reported, not hidden.
 */
void sr_ctl_out_u64(struct sr_ctl_out *o, const char *key, uint64_t v);
void sr_ctl_out_int(struct sr_ctl_out *o, const char *key, int64_t v);
void sr_ctl_out_real(struct sr_ctl_out *o, const char *key, double v);
void sr_ctl_out_str(struct sr_ctl_out *o, const char *key, const char *s);
void sr_ctl_out_strn(struct sr_ctl_out *o, const char *key, const char *s, size_t n);
void sr_ctl_out_strf(struct sr_ctl_out *o, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Opens a nested dictionary / array; sr_ctl_out_end closes the innermost one. */
void sr_ctl_out_dict(struct sr_ctl_out *o, const char *key);
void sr_ctl_out_array(struct sr_ctl_out *o, const char *key);
void sr_ctl_out_end(struct sr_ctl_out *o);

/* The command failed: the answer becomes {"error": reason}; later writes are ignored. */
void sr_ctl_out_fail(struct sr_ctl_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The reason given to sr_ctl_out_fail (or "out of memory"); NULL when the command did not fail. */
const char *sr_ctl_out_failed(const struct sr_ctl_out *o);

/* The answer, a JSON object owned by o (for front ends that walk it). */
const json_t *sr_ctl_out_answer(const struct sr_ctl_out *o);
/*
 * The answer's compact JSON text (malloc'd, NUL-terminated; *len without
 * the NUL), NULL when out of memory.
 */
char *sr_ctl_out_text(const struct sr_ctl_out *o, size_t *len);

#endif
