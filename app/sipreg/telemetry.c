/*
 * telemetry.c - the command table on DPDK's telemetry socket (see
 * telemetry.h).
 *
 * Design decisions:
 * - Check, then build: the answer is walked once against every limit
 *   (DPDK's own add functions would copy a long string cut short, and its
 *   JSON writer silently leaves out whatever overflows the 16 KB buffer), and
 *   only an answer that fits is converted. So the rule "refused, never cut"
 *   does not depend on how a DPDK version reports overflows.
 * - The JSON size is measured on the answer's own compact rendering, which
 *   DPDK's writer matches byte for byte for these shapes (same separators,
 *   integers in decimal); a margin covers differences in string escaping.
 * - DPDK 22.11's telemetry callbacks get no context argument, so the table
 *   is the one file-static pointer here: set once before the first
 *   registration, never changed.
 * - A real (a 0..1 ratio gauge, sr_stats_ratio) becomes its "%.6g" text:
 *   DPDK 22.11's telemetry has no floating-point values.
 * - Shapes: dictionaries nest in dictionaries; arrays hold one scalar type
 *   (strings, or integers: unsigned 64-bit, or signed 32-bit when one is
 *   negative); DPDK renders no dictionary inside an array, so such an answer
 *   is refused too.
 */
#include "telemetry.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#define MARGIN 512 /* bytes kept free of the 16 KB: the command name, braces, escaping differences */
#define MAX_STR (RTE_TEL_MAX_STRING_LEN - 1)

static const struct sr_ctl_table *g_table;

/* why = "too big for DPDK telemetry (<what>): use sipregctl"; returns -1. */
static int refuse(char *why, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int refuse(char *why, size_t cap, const char *fmt, ...)
{
	char what[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(why, cap, "too big for DPDK telemetry (%s): use sipregctl", what);
	return -1;
}

static int fits(const json_t *v, const char *key, char *why, size_t cap);

static int fits_array(const json_t *a, const char *key, char *why, size_t cap)
{
	if (json_array_size(a) > RTE_TEL_MAX_ARRAY_ENTRIES)
		return refuse(why, cap, "%zu entries in \"%s\" > %d", json_array_size(a), key, RTE_TEL_MAX_ARRAY_ENTRIES);
	bool strings = false, ints = false, negative = false;
	size_t i;
	json_t *e;
	json_array_foreach(a, i, e) {
		if (json_is_string(e)) {
			strings = true;
			if (json_string_length(e) > MAX_STR)
				return refuse(why, cap, "a string of %zu bytes in \"%s\" > %d", json_string_length(e), key,
					      MAX_STR);
		} else if (json_is_integer(e)) {
			ints = true;
			negative |= json_integer_value(e) < 0;
		} else {
			return refuse(why, cap, "a dictionary or array inside array \"%s\"", key);
		}
	}
	if (strings && ints)
		return refuse(why, cap, "strings and numbers mixed in array \"%s\"", key);
	json_array_foreach(a, i, e) {
		json_int_t x = json_integer_value(e);
		if (negative && (x < INT32_MIN || x > INT32_MAX))
			return refuse(why, cap, "a number out of 32-bit range in array \"%s\"", key);
	}
	return 0;
}

static int fits_dict(const json_t *o, const char *key, char *why, size_t cap)
{
	if (json_object_size(o) > RTE_TEL_MAX_DICT_ENTRIES)
		return refuse(why, cap, "%zu entries in \"%s\" > %d", json_object_size(o), key, RTE_TEL_MAX_DICT_ENTRIES);
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)o, k, v) {
		if (strlen(k) > MAX_STR)
			return refuse(why, cap, "a name of %zu bytes in \"%s\" > %d", strlen(k), key, MAX_STR);
		if (fits(v, k, why, cap) != 0)
			return -1;
	}
	return 0;
}

static int fits(const json_t *v, const char *key, char *why, size_t cap)
{
	if (json_is_object(v))
		return fits_dict(v, key, why, cap);
	if (json_is_array(v))
		return fits_array(v, key, why, cap);
	if (json_is_string(v) && json_string_length(v) > MAX_STR)
		return refuse(why, cap, "a string of %zu bytes under \"%s\" > %d", json_string_length(v), key, MAX_STR);
	if (json_is_integer(v) && json_integer_value(v) < INT32_MIN)
		return refuse(why, cap, "a number out of 32-bit range under \"%s\"", key);
	if (!json_is_string(v) && !json_is_integer(v) && !json_is_real(v))
		return refuse(why, cap, "a value of a type telemetry lacks under \"%s\"", key);
	return 0;
}

static int build(const json_t *v, struct rte_tel_data *d);

/* Adds a nested container under k; it is freed with d by DPDK once written out. */
static int add_container(struct rte_tel_data *d, const char *k, const json_t *v)
{
	struct rte_tel_data *c = rte_tel_data_alloc();
	if (!c)
		return -1;
	/* on failure c is freed here; containers already inside it are lost (out of memory only) */
	if (build(v, c) != 0 || rte_tel_data_add_dict_container(d, k, c, 0) != 0) {
		rte_tel_data_free(c);
		return -1;
	}
	return 0;
}

/* A real (a ratio gauge) as its decimal text: DPDK 22.11's telemetry has no floating-point values. */
static int add_real(struct rte_tel_data *d, const char *k, double v)
{
	char s[32];
	snprintf(s, sizeof(s), "%.6g", v);
	return rte_tel_data_add_dict_string(d, k, s);
}

static int build(const json_t *v, struct rte_tel_data *d)
{
	size_t i;
	json_t *e;
	if (json_is_array(v)) {
		bool ints = json_array_size(v) > 0 && json_is_integer(json_array_get(v, 0)), negative = false;
		json_array_foreach(v, i, e)
			negative |= json_integer_value(e) < 0;
		rte_tel_data_start_array(d, !ints ? RTE_TEL_STRING_VAL : negative ? RTE_TEL_INT_VAL : RTE_TEL_U64_VAL);
		json_array_foreach(v, i, e) {
			int rc = !ints ? rte_tel_data_add_array_string(d, json_string_value(e)) :
				 negative ? rte_tel_data_add_array_int(d, (int)json_integer_value(e)) :
					    rte_tel_data_add_array_u64(d, (uint64_t)json_integer_value(e));
			if (rc != 0)
				return -1;
		}
		return 0;
	}
	rte_tel_data_start_dict(d);
	const char *k;
	json_object_foreach((json_t *)v, k, e) {
		int rc;
		if (json_is_string(e))
			rc = rte_tel_data_add_dict_string(d, k, json_string_value(e));
		else if (json_is_integer(e))
			rc = json_integer_value(e) < 0 ? rte_tel_data_add_dict_int(d, k, (int)json_integer_value(e)) :
							 rte_tel_data_add_dict_u64(d, k, (uint64_t)json_integer_value(e));
		else if (json_is_real(e))
			rc = add_real(d, k, json_real_value(e));
		else
			rc = add_container(d, k, e);
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* {"error": reason}, the reason shortened (at a character boundary) with a note when it is too long. */
static void render_error(const char *reason, struct rte_tel_data *d)
{
	static const char note[] = "... (cut: sipregctl shows it whole)";
	char s[RTE_TEL_MAX_STRING_LEN];
	size_t n = strlen(reason);
	if (n > MAX_STR) {
		n = MAX_STR - (sizeof(note) - 1);
		while (n > 0 && ((unsigned char)reason[n] & 0xC0) == 0x80)
			n--; /* not inside a UTF-8 sequence */
	}
	snprintf(s, sizeof(s), "%.*s%s", (int)n, reason, n < strlen(reason) ? note : "");
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "error", s);
}

int sr_telemetry_render(const char *cmd, const struct sr_ctl_out *out, struct rte_tel_data *d, char *why,
			size_t cap)
{
	const char *failed = sr_ctl_out_failed(out);
	if (failed) {
		render_error(failed, d);
		return 0;
	}
	const json_t *a = sr_ctl_out_answer(out);
	if (fits(a, cmd, why, cap) != 0)
		return -1;
	size_t len = 0;
	char *text = sr_ctl_out_text(out, &len);
	free(text);
	if (!text) {
		snprintf(why, cap, "out of memory");
		return -1;
	}
	if (len + strlen(cmd) + MARGIN > SR_TEL_MAX_OUTPUT)
		return refuse(why, cap, "%zu bytes of JSON > %d", len + strlen(cmd) + 5, SR_TEL_MAX_OUTPUT - MARGIN);
	if (build(a, d) != 0) {
		snprintf(why, cap, "out of memory");
		return -1;
	}
	return 0;
}

static int serve(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct sr_ctl_out *out = sr_ctl_out_new();
	if (!out)
		return -1; /* telemetry answers null */
	char why[512];
	sr_ctl_table_run(g_table, cmd, params, out);
	if (sr_telemetry_render(cmd, out, d, why, sizeof(why)) != 0)
		render_error(why, d);
	sr_ctl_out_free(out);
	return 0;
}

int sr_telemetry_serve(const struct sr_ctl_table *t)
{
	g_table = t;
	for (size_t i = 0; i < t->n; i++) {
		int rc = rte_telemetry_register_cmd(t->cmds[i].name, serve, t->cmds[i].help);
		if (rc != 0) {
			fprintf(stderr, "sipreg: telemetry refused command %s (%s; help at most %d bytes)\n",
				t->cmds[i].name, strerror(-rc), RTE_TEL_MAX_STRING_LEN - 1);
			return -1;
		}
	}
	return 0;
}
