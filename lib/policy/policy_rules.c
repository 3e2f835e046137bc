/*
 * policy_rules.c - parser of the policy rules file (format in policy_rules.h).
 *
 * Runs on the control core at start and at reload only, so it may allocate
 * freely; it never touches hyperscan so the line grammar is testable alone.
 * Every refusal names the line, because an operator editing a file of a few
 * hundred rules needs to know where to look.
 */
#include "policy_rules.h"

#include "midreg.h"

#include <hs.h>

#include <ctype.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct line_cur {
	const char *p, *end;
};

static void skip_space(struct line_cur *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
		c->p++;
}

/* The next whitespace-delimited token; empty at end of line. */
static void next_token(struct line_cur *c, const char **tok, size_t *n)
{
	skip_space(c);
	*tok = c->p;
	while (c->p < c->end && *c->p != ' ' && *c->p != '\t')
		c->p++;
	*n = (size_t)(c->p - *tok);
}

static int fail(char *err, size_t cap, unsigned line, const char *fmt, ...)
{
	int k = snprintf(err, cap, "line %u: ", line);
	if (k >= 0 && (size_t)k < cap) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err + k, cap - (size_t)k, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static bool tok_is(const char *t, size_t n, const char *word)
{
	return strlen(word) == n && strncasecmp(t, word, n) == 0;
}

static int parse_field(const char *t, size_t n, enum sr_pol_field *f)
{
	static const char *const names[SR_PF_COUNT] = { "ua", "contact", "aor" };
	for (int i = 0; i < SR_PF_COUNT; i++)
		if (tok_is(t, n, names[i])) {
			*f = (enum sr_pol_field)i;
			return 0;
		}
	return -1;
}

static int parse_action(const char *t, size_t n, struct sr_pol_rule *r)
{
	if (tok_is(t, n, "drop")) {
		r->action = SR_PA_DROP;
		return 0;
	}
	if (tok_is(t, n, "allow")) {
		r->action = SR_PA_ALLOW;
		return 0;
	}
	if (tok_is(t, n, "mid")) {
		r->action = SR_PA_MID;
		return 0;
	}
	if (n == 3 && isdigit((unsigned char)t[0]) && isdigit((unsigned char)t[1]) &&
	    isdigit((unsigned char)t[2])) {
		r->status = (t[0] - '0') * 100 + (t[1] - '0') * 10 + (t[2] - '0');
		if (r->status >= 400 && r->status <= 599) {
			r->action = SR_PA_REJECT;
			return 0;
		}
		if (r->status >= 600 && r->status <= 699)
			return -2;
	}
	return -1;
}

static int parse_flags(const char *p, const char *end, unsigned *flags)
{
	*flags = 0;
	for (; p < end; p++) {
		switch (*p) {
		case 'i': *flags |= HS_FLAG_CASELESS; break;
		case 's': *flags |= HS_FLAG_DOTALL; break;
		case 'm': *flags |= HS_FLAG_MULTILINE; break;
		default: return -1;
		}
	}
	return 0;
}

static char *dup_range(const char *p, const char *end)
{
	size_t n = (size_t)(end - p);
	char *s = malloc(n + 1);
	if (s) {
		memcpy(s, p, n);
		s[n] = '\0';
	}
	return s;
}

#define HOST_PREFIX "host:"

static bool starts_host(const char *p, const char *end)
{
	size_t n = sizeof(HOST_PREFIX) - 1;
	return (size_t)(end - p) >= n && strncasecmp(p, HOST_PREFIX, n) == 0;
}

/* "loopback,unspecified,self" in [p, end) into SR_HOST_* bits. */
static int parse_host_classes(const char *p, const char *end, unsigned line, unsigned *classes,
			      char *err, size_t cap)
{
	static const struct {
		const char *name;
		unsigned bit;
	} names[] = { { "loopback", SR_HOST_LOOPBACK },
		      { "unspecified", SR_HOST_UNSPECIFIED },
		      { "self", SR_HOST_SELF } };
	*classes = 0;
	while (p < end) {
		const char *q = memchr(p, ',', (size_t)(end - p));
		const char *e = q ? q : end;
		unsigned bit = 0;
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (tok_is(p, (size_t)(e - p), names[i].name))
				bit = names[i].bit;
		if (!bit)
			return fail(err, cap, line, "unknown host class '%.*s' (loopback, unspecified, self)",
				    (int)(e - p), p);
		*classes |= bit;
		p = q ? q + 1 : end;
	}
	if (!*classes)
		return fail(err, cap, line, "host: names no class (loopback, unspecified, self)");
	return 0;
}

/* The part of a host: rule after the reason: [p, end) starts with "host:". */
static int parse_host_rule(const char *p, const char *end, const struct sr_host_self *self,
			   struct sr_pol_rule *r, char *err, size_t cap)
{
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	p += sizeof(HOST_PREFIX) - 1;
	if (memchr(p, ' ', (size_t)(end - p)) || memchr(p, '\t', (size_t)(end - p)))
		return fail(err, cap, r->line, "host: takes one comma-separated list, no blanks");
	if (r->field != SR_PF_CONTACT)
		return fail(err, cap, r->line, "host: goes with the contact field only");
	if (r->action == SR_PA_ALLOW)
		return fail(err, cap, r->line, "host: rules refuse; an allowlist takes a /regex/");
	if (parse_host_classes(p, end, r->line, &r->host_classes, err, cap))
		return -1;
	if ((r->host_classes & SR_HOST_SELF) && (!self || self->n == 0))
		return fail(err, cap, r->line, "host:self used but the registrar's own addresses are not set");
	return 0;
}

static int push_rule(struct sr_pol_rules *out, const struct sr_pol_rule *r)
{
	if (out->n == out->cap) {
		unsigned cap = out->cap ? out->cap * 2 : 32;
		struct sr_pol_rule *v = realloc(out->v, cap * sizeof(*v));
		if (!v)
			return -1;
		out->v = v;
		out->cap = cap;
	}
	out->v[out->n++] = *r;
	return 0;
}

#define SELF_MACRO "%SELF%"

/* The /REGEX/FLAGS part [p, end) (p at the opening '/'): *close at the closing '/', flags into r. */
static int parse_regex(const char *p, const char *end, unsigned line, struct sr_pol_rule *r,
		       const char **close, char *err, size_t cap)
{
	const char *q = end - 1;
	while (q > p && *q != '/')
		q--;
	if (q == p)
		return fail(err, cap, line, "regex not closed by '/'");
	const char *fl = q + 1, *fl_end = end;
	while (fl_end > fl && (fl_end[-1] == ' ' || fl_end[-1] == '\t'))
		fl_end--;
	if (parse_flags(fl, fl_end, &r->hs_flags))
		return fail(err, cap, line, "unknown regex flag in '%.*s' (i, s, m)", (int)(fl_end - fl), fl);
	if (q == p + 1)
		return fail(err, cap, line, "empty regex");
	/* A regex over the URI text cannot recognise an address in all its spellings. */
	for (const char *m = p; m + sizeof(SELF_MACRO) - 1 <= q; m++)
		if (strncmp(m, SELF_MACRO, sizeof(SELF_MACRO) - 1) == 0)
			return fail(err, cap, line, "%s is no longer expanded: refuse contacts at the "
				    "registrar's own addresses with 'contact 403 host:self' (every spelling)",
				    SELF_MACRO);
	*close = q;
	return 0;
}

/*
 * The FLAGS token of a mid line into r->mid. Parsed here, at load, so a
 * refused flag names its line and the worker's lookup only copies a struct.
 */
static int parse_mid_flags(struct line_cur *c, struct sr_pol_rule *r, char *err, size_t cap)
{
	const char *t;
	size_t n;
	if (r->field != SR_PF_AOR)
		return fail(err, cap, r->line, "a mid rule goes with the aor field only");
	next_token(c, &t, &n);
	if (n == 0 || t[0] == '/')
		return fail(err, cap, r->line, "a mid rule names its flags before the /regex/ "
			    "(e.g. outgoing-expires=7200,memory-only)");
	struct sr_midreg_settings s;
	char why[256];
	sr_midreg_settings_defaults(&s);
	if (sr_midreg_settings_parse(t, n, &s, why, sizeof(why)) != 0)
		return fail(err, cap, r->line, "mid flag %s", why);
	if (!(r->mid = malloc(sizeof(*r->mid))))
		return fail(err, cap, r->line, "out of memory");
	*r->mid = s;
	return 0;
}

/*
 * One non-comment line [p, end) into *r (strings allocated). A 6xx status is
 * refused here with its own message rather than as an unknown action: it
 * parses, but a registrar must never send it (the core's guard, reg_save.c,
 * would turn it into 403 at run time, hiding the operator's mistake).
 */
static int parse_line(const char *p, const char *end, unsigned line, const struct sr_host_self *self,
		      struct sr_pol_rule *r, char *err, size_t cap)
{
	struct line_cur c = { p, end };
	const char *t;
	size_t n;
	memset(r, 0, sizeof(*r));
	r->line = line;
	next_token(&c, &t, &n);
	if (parse_field(t, n, &r->field))
		return fail(err, cap, line, "unknown field '%.*s' (ua, contact or aor)", (int)n, t);
	next_token(&c, &t, &n);
	int rc = parse_action(t, n, r);
	if (rc == -2)
		return fail(err, cap, line, "status %d: a registrar never answers 6xx, which would end every "
			    "other attempt of the caller (RFC 3261 10.3); use a 4xx or 5xx", r->status);
	if (rc)
		return fail(err, cap, line, "unknown action '%.*s' (drop, allow, mid or a status 400-599)",
			    (int)n, t);
	if (r->action == SR_PA_MID && parse_mid_flags(&c, r, err, cap))
		return -1;
	/* Reason words up to the token that opens the regex or the host: list. */
	skip_space(&c);
	const char *reason = c.p, *reason_end = c.p;
	while (c.p < c.end && *c.p != '/' && !starts_host(c.p, c.end)) {
		next_token(&c, &t, &n);
		reason_end = c.p;
		skip_space(&c);
	}
	if (c.p == c.end)
		return fail(err, cap, line, "missing /regex/ (or host:CLASS for a contact)");
	const char *close = NULL;
	if (starts_host(c.p, c.end)) {
		if (parse_host_rule(c.p, c.end, self, r, err, cap))
			return -1;
	} else if (parse_regex(c.p, c.end, line, r, &close, err, cap)) {
		return -1;
	}
	if (r->action != SR_PA_REJECT && reason_end != reason)
		return fail(err, cap, line, "a reason phrase only goes with a status code");
	if (r->action == SR_PA_REJECT && reason_end == reason) {
		reason = "Forbidden";
		reason_end = reason + strlen(reason);
	}
	for (const char *q = reason; q < reason_end; q++)
		if ((unsigned char)*q < 0x20 || *q == 0x7f)
			return fail(err, cap, line, "control character in the reason phrase");
	r->regex = close ? dup_range(c.p + 1, close) : NULL;
	r->reason = r->action == SR_PA_REJECT ? dup_range(reason, reason_end) : NULL;
	if ((close && !r->regex) || (r->action == SR_PA_REJECT && !r->reason)) {
		free(r->regex);
		free(r->reason);
		return fail(err, cap, line, "out of memory");
	}
	return 0;
}

int sr_pol_rules_parse(const char *text, size_t len, const struct sr_host_self *self,
		       struct sr_pol_rules *out, char *err, size_t errcap)
{
	const char *p = text, *end = text + len;
	unsigned line = 0;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *le = eol ? eol : end;
		line++;
		const char *ce = le;
		if (ce > p && ce[-1] == '\r')
			ce--;
		const char *q = p;
		while (q < ce && (*q == ' ' || *q == '\t'))
			q++;
		for (const char *z = p; z < ce; z++)
			if (*z == '\0') {
				sr_pol_rules_free(out);
				return fail(err, errcap, line, "NUL byte");
			}
		if (q < ce && *q != '#') {
			struct sr_pol_rule r;
			if (parse_line(q, ce, line, self, &r, err, errcap)) {
				free(r.mid); /* parsed before a later part of its line failed */
				sr_pol_rules_free(out);
				return -1;
			}
			if (push_rule(out, &r)) {
				free(r.regex);
				free(r.reason);
				free(r.mid);
				sr_pol_rules_free(out);
				return fail(err, errcap, line, "out of memory");
			}
		}
		p = eol ? eol + 1 : end;
	}
	return 0;
}

void sr_pol_rules_free(struct sr_pol_rules *r)
{
	for (unsigned i = 0; i < r->n; i++) {
		free(r->v[i].regex);
		free(r->v[i].reason);
		free(r->v[i].mid);
	}
	free(r->v);
	r->v = NULL;
	r->n = r->cap = 0;
}
