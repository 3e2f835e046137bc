/*
 * ctl_table.c - command lookup, dispatch and the control socket's lines
 * (see ctl_table.h).
 *
 * The table is small (a dozen commands) and fixed at start: a linear scan
 * by name costs nothing next to what any command does.
 */
#include "ctl_table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct sr_ctl_cmd *sr_ctl_table_find(const struct sr_ctl_table *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->cmds[i].name, name) == 0)
			return &t->cmds[i];
	return NULL;
}

void sr_ctl_table_run(const struct sr_ctl_table *t, const char *name, const char *params, struct sr_ctl_out *out)
{
	if (strcmp(name, "/") == 0) {
		for (size_t i = 0; i < t->n; i++)
			sr_ctl_out_str(out, t->cmds[i].name, t->cmds[i].help);
		return;
	}
	const struct sr_ctl_cmd *c = sr_ctl_table_find(t, name);
	if (!c) {
		sr_ctl_out_fail(out, "unknown command %s (\"/\" lists the commands)", name);
		return;
	}
	c->fn(t->ctx, params ? params : "", out);
}

/* {"<key>": value}\n, or {"error": why}\n when key is NULL (a request that could not be read). */
static char *line_of(const char *key, json_t *value, size_t *len)
{
	json_t *o = json_object();
	char *s = NULL;
	if (o && json_object_set(o, key ? key : "error", value) == 0)
		s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!s)
		return NULL;
	size_t n = strlen(s);
	char *line = realloc(s, n + 2);
	if (!line) {
		free(s);
		return NULL;
	}
	line[n] = '\n';
	line[n + 1] = '\0';
	*len = n + 1;
	return line;
}

static char *refuse(const char *why, size_t *len)
{
	json_t *v = json_string(why);
	char *line = v ? line_of(NULL, v, len) : NULL;
	json_decref(v);
	return line;
}

char *sr_ctl_table_serve_line(const struct sr_ctl_table *t, const char *line, size_t len, size_t *out_len)
{
	json_error_t je;
	json_t *req = json_loadb(line, len, 0, &je);
	if (!json_is_object(req)) {
		char why[300];
		snprintf(why, sizeof(why), "not a request: %s (expected {\"cmd\": \"/sipreg/...\", \"params\": \"...\"})",
			 req ? "not a JSON object" : je.text);
		json_decref(req);
		return refuse(why, out_len);
	}
	json_t *cmd = json_object_get(req, "cmd"), *params = json_object_get(req, "params");
	char *answer = NULL;
	if (!json_is_string(cmd))
		answer = refuse("not a request: \"cmd\" must be a command name string", out_len);
	else if (params && !json_is_null(params) && !json_is_string(params))
		answer = refuse("not a request: \"params\" must be a string", out_len);
	else {
		struct sr_ctl_out *out = sr_ctl_out_new();
		if (out) {
			const char *p = json_is_string(params) ? json_string_value(params) : NULL;
			sr_ctl_table_run(t, json_string_value(cmd), p, out);
			/* sr_ctl_out_answer is NULL only when even the error did not fit in memory */
			const json_t *a = sr_ctl_out_answer(out);
			answer = a ? line_of(json_string_value(cmd), (json_t *)a, out_len) : NULL;
			sr_ctl_out_free(out);
		}
	}
	json_decref(req);
	return answer;
}
