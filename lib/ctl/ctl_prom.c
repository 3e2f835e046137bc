/*
 * ctl_prom.c - Prometheus text writer (see ctl_prom.h).
 *
 * Design decisions:
 * - vsnprintf into a doubling buffer: a scrape is a few kilobytes, built
 *   on the HTTP thread, so simplicity beats a streaming writer.
 * - Values are unsigned 64-bit integers: every figure sipreg exports is a
 *   count, a size or milliseconds.
 */
#include "ctl_prom.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sr_prom_init(struct sr_prom *p)
{
	memset(p, 0, sizeof(*p));
}

void sr_prom_fini(struct sr_prom *p)
{
	free(p->buf);
	memset(p, 0, sizeof(*p));
}

static void append(struct sr_prom *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void append(struct sr_prom *p, const char *fmt, ...)
{
	for (int tries = 0; tries < 2 && !p->failed; tries++) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(p->buf ? p->buf + p->len : NULL, p->cap - p->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			p->failed = 1;
			return;
		}
		if ((size_t)n < p->cap - p->len) {
			p->len += (size_t)n;
			return;
		}
		size_t cap = p->cap ? p->cap : 4096;
		while (cap - p->len <= (size_t)n)
			cap *= 2;
		char *b = realloc(p->buf, cap);
		if (!b) {
			p->failed = 1;
			return;
		}
		p->buf = b;
		p->cap = cap;
	}
}

void sr_prom_family(struct sr_prom *p, const char *name, const char *type, const char *help)
{
	append(p, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void sr_prom_sample(struct sr_prom *p, const char *name, const char *label, const char *value, uint64_t v)
{
	if (!label) {
		append(p, "%s %" PRIu64 "\n", name, v);
		return;
	}
	char esc[256];
	size_t o = 0;
	for (const char *c = value ? value : ""; *c && o + 3 < sizeof(esc); c++) {
		if (*c == '\\' || *c == '"')
			esc[o++] = '\\';
		if (*c == '\n') {
			esc[o++] = '\\';
			esc[o++] = 'n';
			continue;
		}
		esc[o++] = *c;
	}
	esc[o] = '\0';
	append(p, "%s{%s=\"%s\"} %" PRIu64 "\n", name, label, esc, v);
}

void sr_prom_sample_real(struct sr_prom *p, const char *name, double v)
{
	append(p, "%s %.6g\n", name, v);
}

void sr_prom_one(struct sr_prom *p, const char *name, const char *type, const char *help, uint64_t v)
{
	sr_prom_family(p, name, type, help);
	sr_prom_sample(p, name, NULL, NULL, v);
}
