/*
 * policy_rules.c - parser of the policy rules file (format in policy_rules.h).
 *
 * Runs on the control core at start and at reload only, so it may allocate
 * freely; it never touches hyperscan so the line grammar is testable alone.
 * Every refusal names the line, because an operator editing a file of a few
 * hundred rules needs to know where to look.
 */
#include "policy_rules.h"

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

#define SELF_MACRO "%SELF%"

/* Replaces each %SELF% in r->regex by self_addr with its dots escaped; frees r's strings on error. */
static int expand_self(struct sr_pol_rule *r, const char *self_addr, char *err, size_t cap)
{
	const size_t mlen = strlen(SELF_MACRO);
	unsigned uses = 0;
	for (const char *q = r->regex; (q = strstr(q, SELF_MACRO)) != NULL; q += mlen)
		uses++;
	if (!uses)
		return 0;
	if (!self_addr || !*self_addr) {
		free(r->regex);
		free(r->reason);
		return fail(err, cap, r->line, "%s used but the registrar address is not set", SELF_MACRO);
	}
	size_t esc = 0;
	for (const char *a = self_addr; *a; a++)
		esc += *a == '.' ? 2 : 1;
	char *out = malloc(strlen(r->regex) + uses * esc + 1), *w = out;
	if (!out) {
		free(r->regex);
		free(r->reason);
		return fail(err, cap, r->line, "out of memory");
	}
	for (const char *q = r->regex; *q;) {
		if (strncmp(q, SELF_MACRO, mlen) == 0) {
			for (const char *a = self_addr; *a; a++) {
				if (*a == '.')
					*w++ = '\\';
				*w++ = *a;
			}
			q += mlen;
		} else {
			*w++ = *q++;
		}
	}
	*w = '\0';
	free(r->regex);
	r->regex = out;
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

/*
 * One non-comment line [p, end) into *r (strings allocated). A 6xx status is
 * refused here with its own message rather than as an unknown action: it
 * parses, but a registrar must never send it (the core's guard, reg_save.c,
 * would turn it into 403 at run time, hiding the operator's mistake).
 */
static int parse_line(const char *p, const char *end, unsigned line, struct sr_pol_rule *r,
		      char *err, size_t cap)
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
		return fail(err, cap, line, "unknown action '%.*s' (drop, allow or a status 400-599)",
			    (int)n, t);
	/* Reason words up to the token that opens the regex. */
	skip_space(&c);
	const char *reason = c.p, *reason_end = c.p;
	while (c.p < c.end && *c.p != '/') {
		next_token(&c, &t, &n);
		reason_end = c.p;
		skip_space(&c);
	}
	if (c.p == c.end)
		return fail(err, cap, line, "missing /regex/");
	const char *close = end - 1;
	while (close > c.p && *close != '/')
		close--;
	if (close == c.p)
		return fail(err, cap, line, "regex not closed by '/'");
	const char *fl = close + 1, *fl_end = end;
	while (fl_end > fl && (fl_end[-1] == ' ' || fl_end[-1] == '\t'))
		fl_end--;
	if (parse_flags(fl, fl_end, &r->hs_flags))
		return fail(err, cap, line, "unknown regex flag in '%.*s' (i, s, m)", (int)(fl_end - fl), fl);
	if (close == c.p + 1)
		return fail(err, cap, line, "empty regex");
	if (r->action != SR_PA_REJECT && reason_end != reason)
		return fail(err, cap, line, "a reason phrase only goes with a status code");
	if (r->action == SR_PA_REJECT && reason_end == reason) {
		reason = "Forbidden";
		reason_end = reason + strlen(reason);
	}
	for (const char *q = reason; q < reason_end; q++)
		if ((unsigned char)*q < 0x20 || *q == 0x7f)
			return fail(err, cap, line, "control character in the reason phrase");
	r->regex = dup_range(c.p + 1, close);
	r->reason = r->action == SR_PA_REJECT ? dup_range(reason, reason_end) : NULL;
	if (!r->regex || (r->action == SR_PA_REJECT && !r->reason)) {
		free(r->regex);
		free(r->reason);
		return fail(err, cap, line, "out of memory");
	}
	return 0;
}

int sr_pol_rules_parse(const char *text, size_t len, const char *self_addr,
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
			if (parse_line(q, ce, line, &r, err, errcap) ||
			    expand_self(&r, self_addr, err, errcap)) {
				sr_pol_rules_free(out);
				return -1;
			}
			if (push_rule(out, &r)) {
				free(r.regex);
				free(r.reason);
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
	}
	free(r->v);
	r->v = NULL;
	r->n = r->cap = 0;
}
