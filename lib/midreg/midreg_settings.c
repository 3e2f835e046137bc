/*
 * midreg_settings.c - the [mid] options (defaults, the check that names the
 * key at fault, the runtime configuration) and the per-domain / per-AoR
 * settings of the operator's rules (their flag parser and the custom AoR
 * template).
 *
 * Design decisions:
 * - The flags of a rule use the OpenSIPS manual's own flag names
 *   (mid_registrar_save's "max-contacts=[int]", "force-registration",
 *   "matching-mode=[val]", "path-received", "only-request-contacts",
 *   "memory-only") plus its two arguments as flags ("outgoing-expires=N",
 *   "aor=<template>"), so an operator moving a script over maps word for
 *   word (docs/MID_REGISTRAR.md has the table).
 * - Parsing runs on the control core when rules are loaded, never per
 *   request: the worker gets a filled struct from the lookup.
 * - Strings that end up inside SIP (the contact id parameter, the escape
 *   string, the extra URI parameters) are checked here against the grammar
 *   of where they go, so a bad setting is refused at start with the key's
 *   name instead of producing URIs the main registrar rejects.
 */
#include "midreg.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void sr_midreg_settings_defaults(struct sr_midreg_settings *s)
{
	memset(s, 0, sizeof(*s));
	s->max_contacts = -1;
	s->force_registration = -1;
	s->matching = SR_MIDREG_MATCH_DEFAULT;
}

static int fail(char *err, size_t cap, const char *fmt, struct sr_str what)
{
	snprintf(err, cap, fmt, (int)what.len, what.p);
	return -1;
}

static bool parse_num(struct sr_str v, uint64_t max, uint64_t *out)
{
	return sr_str_to_uint(v, max, out) && *out < max;
}

/* RFC 3261 token characters (a URI parameter name). */
static bool token(struct sr_str s)
{
	if (s.len == 0)
		return false;
	for (size_t i = 0; i < s.len; i++)
		if (!isalnum((unsigned char)s.p[i]) && !strchr("-.!%*_+`'~", s.p[i]))
			return false;
	return true;
}

static int one_flag(struct sr_str name, struct sr_str val, bool has_val, struct sr_midreg_settings *s, char *err,
		    size_t cap)
{
	uint64_t n;
	if (sr_str_caseeq_cstr(name, "outgoing-expires")) {
		if (!has_val || !parse_num(val, UINT32_MAX, &n) || n == 0)
			return fail(err, cap, "outgoing-expires: '%.*s' is not a number of seconds (1 or more)", val);
		s->outgoing_expires = (uint32_t)n;
	} else if (sr_str_caseeq_cstr(name, "max-contacts")) {
		if (!has_val || !parse_num(val, INT32_MAX, &n))
			return fail(err, cap, "max-contacts: '%.*s' is not a number (0: unlimited)", val);
		s->max_contacts = (int64_t)n;
	} else if (sr_str_caseeq_cstr(name, "force-registration") && !has_val) {
		s->force_registration = 1;
	} else if (sr_str_caseeq_cstr(name, "no-force-registration") && !has_val) {
		s->force_registration = 0;
	} else if (sr_str_caseeq_cstr(name, "matching-mode") && has_val) {
		if (sr_str_eq(val, SR_STR_LIT("0"))) {
			s->matching = SR_MIDREG_MATCH_CONTACT;
		} else if (sr_str_eq(val, SR_STR_LIT("1"))) {
			s->matching = SR_MIDREG_MATCH_CONTACT_CALLID;
		} else if (token(val) && val.len < sizeof(s->matching_param)) {
			s->matching = SR_MIDREG_MATCH_PARAM;
			memcpy(s->matching_param, val.p, val.len);
			s->matching_param[val.len] = '\0';
		} else {
			return fail(err, cap, "matching-mode: '%.*s' is not 0, 1 or a URI parameter name", val);
		}
	} else if (sr_str_caseeq_cstr(name, "path-received") && !has_val) {
		s->path_received = true;
	} else if (sr_str_caseeq_cstr(name, "only-request-contacts") && !has_val) {
		s->only_request_contacts = true;
	} else if (sr_str_caseeq_cstr(name, "memory-only") && !has_val) {
		s->memory_only = true;
	} else if (sr_str_caseeq_cstr(name, "aor") && has_val) {
		char probe[SR_MIDREG_AOR_TEMPLATE_MAX + 8];
		if (val.len >= sizeof(s->aor))
			return fail(err, cap, "aor: template '%.*s' is too long", val);
		memcpy(s->aor, val.p, val.len);
		s->aor[val.len] = '\0';
		if (strncasecmp(s->aor, "sip:", 4) != 0 && strncasecmp(s->aor, "sips:", 5) != 0)
			return fail(err, cap, "aor: template '%.*s' must start with sip: or sips:", val);
		if (sr_midreg_custom_aor(s->aor, SR_STR_LIT("u"), SR_STR_LIT("d"), probe, sizeof(probe)) == 0)
			return fail(err, cap, "aor: template '%.*s' names a variable other than $user and $domain", val);
	} else {
		return fail(err, cap, "'%.*s' is not a mid-registrar flag (outgoing-expires=, max-contacts=, "
			    "force-registration, matching-mode=, path-received, only-request-contacts, memory-only, aor=)",
			    name);
	}
	return 0;
}

int sr_midreg_settings_parse(const char *text, size_t len, struct sr_midreg_settings *s, char *err, size_t errcap)
{
	size_t i = 0;
	while (i < len) {
		size_t start = i;
		while (i < len && text[i] != ',')
			i++;
		struct sr_str flag = sr_str_trim(sr_str_make(text + start, i - start));
		i++; /* the comma */
		if (flag.len == 0)
			continue;
		const char *eq = memchr(flag.p, '=', flag.len);
		struct sr_str name = sr_str_trim(sr_str_make(flag.p, eq ? (size_t)(eq - flag.p) : flag.len));
		struct sr_str val = eq ? sr_str_trim(sr_str_make(eq + 1, flag.len - (size_t)(eq + 1 - flag.p))) : SR_STR_NULL;
		if (one_flag(name, val, eq != NULL, s, err, errcap) != 0)
			return -1;
	}
	return 0;
}

size_t sr_midreg_custom_aor(const char *tmpl, struct sr_str user, struct sr_str domain, char *out, size_t cap)
{
	size_t n = 0;
	for (const char *p = tmpl; *p; p++) {
		struct sr_str piece = sr_str_make(p, 1);
		if (*p == '$') {
			if (strncmp(p, "$user", 5) == 0) {
				piece = user;
				p += 4;
			} else if (strncmp(p, "$domain", 7) == 0) {
				piece = domain;
				p += 6;
			} else if (p[1] == '$') {
				p++;
			} else {
				return 0;
			}
		}
		if (piece.len > cap || n > cap - piece.len)
			return 0;
		memcpy(out + n, piece.p, piece.len);
		n += piece.len;
	}
	return n;
}

/* ---------------------------------------------------------------- options */

void sr_midreg_options_defaults(struct sr_midreg_options *o)
{
	memset(o, 0, sizeof(*o));
	o->mode = SR_MIDREG_MIRROR; /* the manual's default */
	snprintf(o->contact_id_param, sizeof(o->contact_id_param), "ctid");
	snprintf(o->at_escape_str, sizeof(o->at_escape_str), "%%40");
	o->outgoing_expires = 3600;
	o->records = 65536;
	o->contexts = 4096;
	o->refresh_margin = 32;
	o->backoff_min = 30;
	o->backoff_max = 1800;
	/* half the UA's own Timer F (32 s): our 504, or our 200 on the local binding, reaches a UA still listening */
	o->upstream_timeout = 16;
}

bool sr_midreg_hostport(const char *s, char *host, size_t host_cap, uint16_t *port)
{
	const char *colon = strrchr(s, ':');
	if (!colon || colon == s || (size_t)(colon - s) >= host_cap || strchr(s, ' '))
		return false;
	char *end;
	long p = strtol(colon + 1, &end, 10);
	if (*end || end == colon + 1 || p < 1 || p > 65535)
		return false;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	if (strchr(host, ':'))
		return false; /* IPv6 is not spoken on the data plane */
	*port = (uint16_t)p;
	return true;
}

/* A character a URI user part may hold as it is (RFC 3261 25.1 unreserved, user-unreserved) or '%'. */
static bool user_chars(const char *s)
{
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("-_.!~*'()&=+$,;?/%", *s))
			return false;
	return true;
}

/* "[;]name[=value];..." with URI parameter characters only (the shard adds a missing leading ';'). */
static bool uri_params(const char *s)
{
	if (*s == '=' || (*s == ';' && (s[1] == '\0' || s[1] == ';' || s[1] == '=')))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("-_.!~*'()[]/:&+$;=%", *s))
			return false;
	return true;
}

const char *sr_midreg_options_check(const struct sr_midreg_options *o)
{
	if (o->mode > SR_MIDREG_AOR_THROTTLING)
		return "mid.mode: not mirror, contact-throttling or aor-throttling";
	if (o->contact_id_insertion > SR_MIDREG_CT_USERNAME)
		return "mid.contact_id_insertion: not ct-param or ct-username";
	if (o->registrar[0]) {
		char host[256];
		uint16_t port;
		if (!sr_midreg_hostport(o->registrar, host, sizeof(host), &port))
			return "mid.registrar: expected HOST:PORT (an IPv4 address or a name, port 1-65535)";
	}
	if (!token(sr_str_cstr(o->contact_id_param)))
		return "mid.contact_id_param: must be a non-empty token (a URI parameter name)";
	if (!o->at_escape_str[0] || !user_chars(o->at_escape_str))
		return "mid.at_escape_str: must be non-empty and hold only characters a URI user part may hold";
	if (o->outgoing_expires == 0)
		return "mid.outgoing_expires: must be at least 1";
	if (o->received_param[0] && !token(sr_str_cstr(o->received_param)))
		return "mid.received_param: must be empty or a token (a Contact parameter name)";
	if (!uri_params(o->extra_contact_params))
		return "mid.extra_contact_params: must be empty or 'name[=value][;name[=value]...]' URI parameters";
	if (o->refresh_margin >= o->outgoing_expires)
		return "mid.refresh_margin: must be shorter than mid.outgoing_expires";
	if (o->backoff_min == 0 || o->backoff_max < o->backoff_min)
		return "mid.backoff_min / mid.backoff_max: need 1 <= backoff_min <= backoff_max";
	if (o->upstream_timeout == 0 || o->upstream_timeout > 32)
		return "mid.upstream_timeout: must be 1..32 seconds (a UA gives up after 32 s, RFC 3261 Timer F)";
	if (o->records == 0 || o->contexts == 0)
		return "mid.records / mid.contexts: must be at least 1";
	return NULL;
}

void sr_midreg_config_from(const struct sr_midreg_options *o, struct sr_midreg_config *c)
{
	*c = (struct sr_midreg_config){
		.mode = (enum sr_midreg_mode)o->mode,
		.uri = {
			.ctid_param = sr_str_cstr(o->contact_id_param),
			.extra_params = sr_str_cstr(o->extra_contact_params),
			.at_escape = sr_str_cstr(o->at_escape_str),
			.ct_username = o->contact_id_insertion == SR_MIDREG_CT_USERNAME,
		},
		.registrar = { .ip = o->registrar_ip, .port = o->registrar_port },
		.received_param = sr_str_cstr(o->received_param),
		.outgoing_expires = o->outgoing_expires,
		.records = o->records,
		.contexts = o->contexts,
		.max_aor_len = 256,
		.refresh_margin_s = o->refresh_margin,
		.backoff_min_s = o->backoff_min,
		.backoff_max_s = o->backoff_max,
		.txn = { .timer_f_ms = o->upstream_timeout * 1000 },
	};
}
