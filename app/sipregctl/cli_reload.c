/*
 * cli_reload.c - the report of `sipregctl reload` (see cli_reload.h).
 *
 * Each part is classified once (reloaded, not configured, refused) from
 * its dictionary, and sipreg's overall verdict ("reload") gives the exit
 * status, so the lines and the status can never disagree with sipreg.
 */
#include "cli_reload.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static json_int_t int_of(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

/* One line per part: "<name>  reloaded: ...", "not configured (why)" or "REFUSED: why". */
static void print_part(FILE *out, const char *name, const json_t *p)
{
	const char *why = json_string_value(json_object_get(p, "error"));
	fprintf(out, "%-12s ", name);
	if (!json_is_object(p)) {
		fprintf(out, "REFUSED: no answer for this part\n");
	} else if (why && json_is_integer(json_object_get(p, "configured")) && int_of(p, "configured") == 0) {
		fprintf(out, "not configured (%s)\n", why);
	} else if (why || !json_is_string(json_object_get(p, "reload"))) {
		fprintf(out, "REFUSED: %s\n", why ? why : "malformed answer (no \"reload\")");
	} else if (strcmp(name, "subscribers") == 0) {
		const char *secret = json_string_value(json_object_get(p, "nonce_secret"));
		fprintf(out, "reloaded: %" JSON_INTEGER_FORMAT " subscriber(s), nonce secret %s (generation %"
			JSON_INTEGER_FORMAT ")\n", int_of(p, "subscribers"), secret ? secret : "?",
			int_of(p, "secret_generation"));
	} else {
		fprintf(out, "reloaded: %" JSON_INTEGER_FORMAT " rule(s) (generation %" JSON_INTEGER_FORMAT ")\n",
			int_of(p, "rules"), int_of(p, "generation"));
	}
}

int sr_cli_format_reload(const char *reply, bool json, FILE *out, char *err, size_t cap)
{
	json_error_t je;
	json_t *root = reply ? json_loads(reply, 0, &je) : NULL;
	json_t *v = json_object_get(root, "/sipreg/reload");
	const char *verdict = json_string_value(json_object_get(v, "reload"));
	const char *why = json_string_value(json_object_get(v, "error"));
	int rc = -1;
	if (!reply)
		snprintf(err, cap, "reload: no answer");
	else if (!root)
		snprintf(err, cap, "reload: the answer is not JSON (%s)", je.text);
	else if (!json_is_object(v))
		snprintf(err, cap, "reload: sipreg refused the command");
	else if (!verdict) /* the command itself failed (sipreg is stopping, ...) */
		snprintf(err, cap, "reload: %s", why ? why : "malformed answer (no \"reload\")");
	else {
		if (json) {
			char *s = json_dumps(v, JSON_COMPACT);
			if (s)
				fprintf(out, "%s\n", s);
			free(s);
		} else {
			print_part(out, "subscribers", json_object_get(v, "subscribers"));
			print_part(out, "policy", json_object_get(v, "policy"));
		}
		if (strcmp(verdict, "ok") == 0)
			rc = 0;
		else if (strcmp(verdict, "refused") == 0)
			snprintf(err, cap, "reload refused: %s", why ? why : "(no reason given)");
		else
			snprintf(err, cap, "%s", why ? why : verdict);
	}
	json_decref(root);
	return rc;
}
