/*
 * ctl_stats.h - one walk over sipreg's figures, many renderings.
 *
 * sipreg exports the same figures twice: as the /sipreg/stats telemetry
 * dictionary and as Prometheus text on /metrics. Both are rendered from one
 * walk (app/sipreg/stats.c) through a sink, so the two can never disagree
 * on a name or a value. The naming rules are Prometheus': every name starts
 * with sipreg_, counters end in _total, gauges do not; a figure that exists
 * once per value of something (status class, drop reason, worker) is one
 * family with one label, and /sipreg/stats renders it as a nested
 * dictionary keyed by the label's value.
 *
 * A family is announced once, followed by its samples, and ended:
 *   sink->family(sink, &f); sink->sample(sink, "2xx", 5); ...; sink->end(sink);
 * An unlabelled family has exactly one sample with label_value NULL.
 */
#ifndef SR_CTL_STATS_H
#define SR_CTL_STATS_H

#include <stdbool.h>
#include <stdint.h>

#include "ctl_out.h"
#include "ctl_prom.h"

enum sr_stat_kind { SR_STAT_COUNTER, SR_STAT_GAUGE };

struct sr_stat_family {
	const char *name;
	enum sr_stat_kind kind;
	const char *help;
	const char *label; /* NULL: one unlabelled sample */
};

struct sr_stats_sink {
	void (*family)(struct sr_stats_sink *s, const struct sr_stat_family *f);
	void (*sample)(struct sr_stats_sink *s, const char *label_value, uint64_t v);
	void (*end)(struct sr_stats_sink *s);
	/* An unlabelled family's one real sample (sr_stats_ratio); NULL: the sink leaves ratios out. */
	void (*sample_real)(struct sr_stats_sink *s, double v);
};

/* An unlabelled family and its one sample. */
void sr_stats_one(struct sr_stats_sink *s, const char *name, enum sr_stat_kind kind, const char *help, uint64_t v);
/*
 * A ratio gauge (0 to 1, e.g. sipreg_mid_absorption_ratio): a real value,
 * never scaled into an integer, so the name says what the number is.
 */
void sr_stats_ratio(struct sr_stats_sink *s, const char *name, const char *help, double v);

/* Whether a family's name follows the rules above (tests and debug checks). */
int sr_stats_name_ok(const char *name, enum sr_stat_kind kind);

/* The Prometheus rendering: families and samples appended to p. */
struct sr_stats_prom_sink {
	struct sr_stats_sink base;
	struct sr_prom *p;
	struct sr_stat_family cur;
};
void sr_stats_prom_sink_init(struct sr_stats_prom_sink *s, struct sr_prom *p);

/*
 * The command rendering (/sipreg/stats): an unlabelled figure is a key of
 * the answer, a labelled family a nested dictionary keyed by the label's
 * value, e.g. "sipreg_responses_total": {"2xx": 10, ...}.
 */
struct sr_stats_out_sink {
	struct sr_stats_sink base;
	struct sr_ctl_out *out;
	const char *name;
	bool labelled;
};
void sr_stats_out_sink_init(struct sr_stats_out_sink *s, struct sr_ctl_out *out);

#endif
