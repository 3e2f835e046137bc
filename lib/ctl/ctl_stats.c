/*
 * ctl_stats.c - the sink helpers and the Prometheus sink (see ctl_stats.h).
 * The telemetry sink lives with the telemetry command (app/sipreg/control.c)
 * because it needs DPDK's telemetry library; this file stays DPDK-free so
 * the unit tests run it directly.
 */
#include "ctl_stats.h"

#include <string.h>

void sr_stats_one(struct sr_stats_sink *s, const char *name, enum sr_stat_kind kind, const char *help, uint64_t v)
{
	struct sr_stat_family f = { .name = name, .kind = kind, .help = help };
	s->family(s, &f);
	s->sample(s, NULL, v);
	s->end(s);
}

int sr_stats_name_ok(const char *name, enum sr_stat_kind kind)
{
	static const char prefix[] = "sipreg_", total[] = "_total";
	size_t n = strlen(name);
	if (n <= sizeof(prefix) - 1 || strncmp(name, prefix, sizeof(prefix) - 1) != 0)
		return 0;
	for (const char *c = name; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_'))
			return 0;
	int ends_total = n > sizeof(total) - 1 && strcmp(name + n - (sizeof(total) - 1), total) == 0;
	return kind == SR_STAT_COUNTER ? ends_total : !ends_total;
}

static void prom_family(struct sr_stats_sink *base, const struct sr_stat_family *f)
{
	struct sr_stats_prom_sink *s = (struct sr_stats_prom_sink *)base;
	s->cur = *f;
	sr_prom_family(s->p, f->name, f->kind == SR_STAT_COUNTER ? "counter" : "gauge", f->help);
}

static void prom_sample(struct sr_stats_sink *base, const char *label_value, uint64_t v)
{
	struct sr_stats_prom_sink *s = (struct sr_stats_prom_sink *)base;
	sr_prom_sample(s->p, s->cur.name, label_value ? s->cur.label : NULL, label_value, v);
}

static void prom_end(struct sr_stats_sink *base)
{
	(void)base; /* Prometheus text needs no closing line */
}

void sr_stats_prom_sink_init(struct sr_stats_prom_sink *s, struct sr_prom *p)
{
	memset(s, 0, sizeof(*s));
	s->base = (struct sr_stats_sink){ .family = prom_family, .sample = prom_sample, .end = prom_end };
	s->p = p;
}
