/*
 * ctl_stats.c - the sink helpers, the Prometheus sink and the command sink
 * (see ctl_stats.h). The command sink writes into a command's answer
 * (ctl_out.h), which the telemetry and control socket front ends render, so
 * this file stays DPDK-free and the unit tests run it directly.
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

void sr_stats_ratio(struct sr_stats_sink *s, const char *name, const char *help, double v)
{
	if (!s->sample_real)
		return;
	struct sr_stat_family f = { .name = name, .kind = SR_STAT_GAUGE, .help = help };
	s->family(s, &f);
	s->sample_real(s, v);
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

static void prom_sample_real(struct sr_stats_sink *base, double v)
{
	struct sr_stats_prom_sink *s = (struct sr_stats_prom_sink *)base;
	sr_prom_sample_real(s->p, s->cur.name, v);
}

static void prom_end(struct sr_stats_sink *base)
{
	(void)base; /* Prometheus text needs no closing line */
}

void sr_stats_prom_sink_init(struct sr_stats_prom_sink *s, struct sr_prom *p)
{
	memset(s, 0, sizeof(*s));
	s->base = (struct sr_stats_sink){ .family = prom_family, .sample = prom_sample, .end = prom_end,
					  .sample_real = prom_sample_real };
	s->p = p;
}

static void out_family(struct sr_stats_sink *base, const struct sr_stat_family *f)
{
	struct sr_stats_out_sink *s = (struct sr_stats_out_sink *)base;
	s->name = f->name;
	s->labelled = f->label != NULL;
	if (s->labelled)
		sr_ctl_out_dict(s->out, f->name);
}

static void out_sample(struct sr_stats_sink *base, const char *label_value, uint64_t v)
{
	struct sr_stats_out_sink *s = (struct sr_stats_out_sink *)base;
	sr_ctl_out_u64(s->out, s->labelled ? label_value : s->name, v);
}

static void out_sample_real(struct sr_stats_sink *base, double v)
{
	struct sr_stats_out_sink *s = (struct sr_stats_out_sink *)base;
	sr_ctl_out_real(s->out, s->name, v);
}

static void out_end(struct sr_stats_sink *base)
{
	struct sr_stats_out_sink *s = (struct sr_stats_out_sink *)base;
	if (s->labelled)
		sr_ctl_out_end(s->out);
	s->labelled = false;
}

void sr_stats_out_sink_init(struct sr_stats_out_sink *s, struct sr_ctl_out *out)
{
	memset(s, 0, sizeof(*s));
	s->base = (struct sr_stats_sink){ .family = out_family, .sample = out_sample, .end = out_end,
					  .sample_real = out_sample_real };
	s->out = out;
}
