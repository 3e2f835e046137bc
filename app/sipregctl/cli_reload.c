/*
 * cli_reload.c - the report of `sipregctl reload` (see cli_reload.h).
 *
 * Each answer is classified once (reloaded, not configured, refused) and
 * the classification drives both the human lines and the exit status, so
 * the two can never disagree.
 */
#include "cli_reload.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

enum part_state { PART_OK, PART_UNCONFIGURED, PART_REFUSED };

struct part {
	const char *cmd;  /* the telemetry command */
	const char *name; /* the key in --json and the label in the human output */
	json_t *root;     /* the parsed answer, owned */
	json_t *value;    /* the command's value inside root */
	enum part_state state;
	char why[512];    /* for PART_REFUSED and PART_UNCONFIGURED */
};

static void classify(struct part *p, const char *reply)
{
	json_error_t je;
	p->root = reply ? json_loads(reply, 0, &je) : NULL;
	p->value = p->root ? json_object_get(p->root, p->cmd) : NULL;
	p->state = PART_REFUSED;
	if (!reply) {
		snprintf(p->why, sizeof(p->why), "no answer");
		return;
	}
	if (!p->root) {
		snprintf(p->why, sizeof(p->why), "the answer is not JSON (%s)", je.text);
		return;
	}
	if (!json_is_object(p->value)) {
		snprintf(p->why, sizeof(p->why), "sipreg refused the command (an older sipreg without it?)");
		return;
	}
	json_t *e = json_object_get(p->value, "error");
	json_t *configured = json_object_get(p->value, "configured");
	if (e) {
		snprintf(p->why, sizeof(p->why), "%s", json_is_string(e) ? json_string_value(e) : "error");
		if (json_is_integer(configured) && json_integer_value(configured) == 0)
			p->state = PART_UNCONFIGURED;
		return;
	}
	if (!json_is_string(json_object_get(p->value, "reload"))) {
		snprintf(p->why, sizeof(p->why), "malformed answer (no \"reload\")");
		return;
	}
	p->state = PART_OK;
}

static json_int_t int_of(const struct part *p, const char *key)
{
	return json_integer_value(json_object_get(p->value, key));
}

static void print_human(FILE *out, const struct part *auth, const struct part *policy)
{
	const struct part *parts[] = { auth, policy };
	for (size_t i = 0; i < 2; i++) {
		const struct part *p = parts[i];
		fprintf(out, "%-12s ", p->name);
		if (p->state == PART_UNCONFIGURED) {
			fprintf(out, "not configured (%s)\n", p->why);
		} else if (p->state == PART_REFUSED) {
			fprintf(out, "REFUSED: %s\n", p->why);
		} else if (p == auth) {
			const char *secret = json_string_value(json_object_get(p->value, "nonce_secret"));
			fprintf(out, "reloaded: %" JSON_INTEGER_FORMAT " subscriber(s), nonce secret %s (generation %"
				JSON_INTEGER_FORMAT ")\n", int_of(p, "subscribers"), secret ? secret : "?",
				int_of(p, "secret_generation"));
		} else {
			fprintf(out, "reloaded: %" JSON_INTEGER_FORMAT " rule(s) (generation %" JSON_INTEGER_FORMAT
				")\n", int_of(p, "rules"), int_of(p, "generation"));
		}
	}
}

static void print_json(FILE *out, const struct part *auth, const struct part *policy)
{
	json_t *o = json_object();
	const struct part *parts[] = { auth, policy };
	for (size_t i = 0; o && i < 2; i++) {
		const struct part *p = parts[i];
		json_t *v = p->state == PART_REFUSED && !json_is_object(p->value) ? json_pack("{s:s}", "error", p->why)
										 : json_incref(p->value);
		json_object_set_new(o, p->name, v ? v : json_null());
	}
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	if (s)
		fprintf(out, "%s\n", s);
	free(s);
	json_decref(o);
}

int sr_cli_format_reload(const char *auth_reply, const char *policy_reply, bool json, FILE *out, char *err,
			 size_t cap)
{
	struct part auth = { .cmd = "/sipreg/reload", .name = "subscribers" };
	struct part policy = { .cmd = "/sipreg/policy_reload", .name = "policy" };
	classify(&auth, auth_reply);
	classify(&policy, policy_reply);
	if (json)
		print_json(out, &auth, &policy);
	else
		print_human(out, &auth, &policy);
	int rc = 0;
	if (auth.state == PART_REFUSED || policy.state == PART_REFUSED) {
		const struct part *first = auth.state == PART_REFUSED ? &auth : &policy;
		const struct part *second = first == &auth && policy.state == PART_REFUSED ? &policy : NULL;
		snprintf(err, cap, "reload refused: %s: %s%s%s%s%s", first->cmd, first->why, second ? "; " : "",
			 second ? second->cmd : "", second ? ": " : "", second ? second->why : "");
		rc = -1;
	} else if (auth.state == PART_UNCONFIGURED && policy.state == PART_UNCONFIGURED) {
		snprintf(err, cap, "nothing to reload: neither auth.enabled nor policy.rules is configured");
		rc = -1;
	}
	json_decref(auth.root);
	json_decref(policy.root);
	return rc;
}
