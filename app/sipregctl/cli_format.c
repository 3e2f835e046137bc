/*
 * cli_format.c - human and JSON output of command answers (see cli_format.h).
 *
 * Design decisions:
 * - jansson parses the answer; the control socket's JSON is regular (one
 *   object keyed by the command, as DPDK telemetry shapes it), so each
 *   layout is a short walk.
 * - /sipreg/aor answers parallel arrays (contact[i], expires[i], ...); the
 *   human layout transposes them into one block per binding.
 * - Unknown commands fall back to "key value" lines, so a new control
 *   command is usable before it gets its own layout. /sipreg/stats uses
 *   that layout too: its labelled families print as label=value pairs.
 */
#include "cli_format.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static void print_scalar(FILE *out, json_t *v)
{
	if (json_is_string(v))
		fputs(json_string_value(v), out);
	else if (json_is_integer(v))
		fprintf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else {
		char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		fputs(s ? s : "?", out);
		free(s);
	}
}

/* "key value" lines; a nested object (a labelled family of /sipreg/stats) on one line as label=value pairs. */
static void print_pairs(FILE *out, json_t *obj)
{
	const char *k, *lk;
	json_t *v, *lv;
	json_object_foreach(obj, k, v) {
		fprintf(out, "%-38s", k);
		if (!json_is_object(v)) {
			fputc(' ', out);
			print_scalar(out, v);
		}
		json_object_foreach(v, lk, lv) {
			fprintf(out, " %s=", lk);
			print_scalar(out, lv);
		}
		fputc('\n', out);
	}
}

static const char *const aor_fields[][2] = {
	{ "contact", "contact" }, { "expires", "expires in (s)" }, { "q", "q (1/1000)" },
	{ "call_id", "Call-ID" }, { "cseq", "CSeq" }, { "source", "received from" },
	{ "user_agent", "User-Agent" }, { "params", "parameters" }, { "path", "Path" },
	{ "instance", "+sip.instance" }, { "reg_id", "reg-id" }, { "gruu", "GRUU (1: yes)" },
	{ "push", "push (RFC 8599)" }, { "id", "binding id" }, { "destination", "routed to" },
	{ "received", "received (behind NAT)" },
};

static void print_aor(FILE *out, json_t *v)
{
	json_t *n = json_object_get(v, "bindings");
	fprintf(out, "%s: %" JSON_INTEGER_FORMAT " binding(s), worker %" JSON_INTEGER_FORMAT "\n",
		json_string_value(json_object_get(v, "aor")) ? json_string_value(json_object_get(v, "aor")) : "?",
		json_integer_value(n), json_integer_value(json_object_get(v, "worker")));
	size_t shown = json_array_size(json_object_get(v, "contact"));
	for (size_t i = 0; i < shown; i++) {
		fprintf(out, "  [%zu]\n", i + 1);
		for (size_t f = 0; f < sizeof(aor_fields) / sizeof(aor_fields[0]); f++) {
			json_t *e = json_array_get(json_object_get(v, aor_fields[f][0]), i);
			if (!e)
				continue;
			fprintf(out, "    %-15s ", aor_fields[f][1]);
			print_scalar(out, e);
			fputc('\n', out);
		}
	}
	if ((json_int_t)shown < json_integer_value(n))
		fprintf(out, "  (%" JSON_INTEGER_FORMAT " more not shown)\n", json_integer_value(n) - (json_int_t)shown);
}

int sr_cli_format(const char *cmd, const char *reply, bool json, FILE *out, char *err, size_t cap)
{
	json_error_t je;
	json_t *root = json_loads(reply, 0, &je);
	if (!root) {
		snprintf(err, cap, "%s: the answer is not JSON (%s)", cmd, je.text);
		return -1;
	}
	int rc = -1;
	json_t *v = json_object_get(root, cmd);
	json_t *e = json_is_object(v) ? json_object_get(v, "error") : NULL;
	if (!v || json_is_null(v)) {
		snprintf(err, cap, "%s: sipreg refused the command (unknown AoR syntax, bad parameter, "
			 "a worker did not answer in time, or sipreg is stopping)", cmd);
	} else if (e) {
		snprintf(err, cap, "%s: %s", cmd, json_is_string(e) ? json_string_value(e) : "error");
	} else if (json) {
		char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		if (s)
			fprintf(out, "%s\n", s);
		free(s);
		rc = 0;
	} else {
		if (strcmp(cmd, "/sipreg/rm") == 0)
			fprintf(out, "removed %" JSON_INTEGER_FORMAT " binding(s); left:\n",
				json_integer_value(json_object_get(v, "removed")));
		if (strcmp(cmd, "/sipreg/aor") == 0 || strcmp(cmd, "/sipreg/rm") == 0 || strcmp(cmd, "/sipreg/lookup") == 0)
			print_aor(out, v);
		else if (strcmp(cmd, "/sipreg/snapshot") == 0)
			fprintf(out, "snapshot written to %s\n", json_string_value(json_object_get(v, "snapshot")));
		else if (json_is_object(v))
			print_pairs(out, v);
		else {
			print_scalar(out, v);
			fputc('\n', out);
		}
		rc = 0;
	}
	json_decref(root);
	return rc;
}

int sr_cli_format_dump_page(const char *reply, bool json, FILE *out, char *next, size_t next_cap, char *err,
			    size_t cap)
{
	json_error_t je;
	json_t *root = json_loads(reply, 0, &je);
	if (!root) {
		snprintf(err, cap, "/sipreg/dump: the answer is not JSON (%s)", je.text);
		return -1;
	}
	int n = -1;
	json_t *v = json_object_get(root, "/sipreg/dump");
	json_t *e = json_object_get(v, "error");
	json_t *nx = json_object_get(v, "next");
	json_t *aor = json_object_get(v, "aor"), *contact = json_object_get(v, "contact");
	json_t *expires = json_object_get(v, "expires");
	if (!json_is_object(v))
		snprintf(err, cap, "/sipreg/dump: sipreg refused the command");
	else if (e)
		snprintf(err, cap, "/sipreg/dump: %s", json_is_string(e) ? json_string_value(e) : "error");
	else if (!json_is_string(nx) || !json_is_array(aor) || json_array_size(aor) != json_array_size(contact) ||
		 json_array_size(aor) != json_array_size(expires))
		snprintf(err, cap, "/sipreg/dump: malformed page");
	else {
		snprintf(next, next_cap, "%s", json_string_value(nx));
		n = (int)json_array_size(aor);
		for (int i = 0; i < n; i++) {
			const char *a = json_string_value(json_array_get(aor, (size_t)i));
			const char *c = json_string_value(json_array_get(contact, (size_t)i));
			json_int_t x = json_integer_value(json_array_get(expires, (size_t)i));
			if (json) {
				json_t *o = json_pack("{s:s?, s:s?, s:I}", "aor", a, "contact", c, "expires", x);
				char *line = o ? json_dumps(o, JSON_COMPACT) : NULL;
				if (line)
					fprintf(out, "%s\n", line);
				free(line);
				json_decref(o);
			} else {
				fprintf(out, "%s %s %" JSON_INTEGER_FORMAT "\n", a ? a : "?", c ? c : "?", x);
			}
		}
	}
	json_decref(root);
	return n;
}
