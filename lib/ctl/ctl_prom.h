/*
 * ctl_prom.h - Prometheus text exposition (format 0.0.4) into a buffer.
 *
 * A metric family is opened once with its HELP and TYPE lines, then one
 * sample per label value. Names and label values come from our own code,
 * but label values are escaped anyway (backslash, quote, newline) as the
 * format requires. The buffer grows as needed; it is built per scrape on
 * the control side, never on a worker.
 */
#ifndef SR_CTL_PROM_H
#define SR_CTL_PROM_H

#include <stddef.h>
#include <stdint.h>

struct sr_prom {
	char *buf;
	size_t len, cap;
	int failed; /* out of memory: the text is incomplete */
};

void sr_prom_init(struct sr_prom *p);
void sr_prom_fini(struct sr_prom *p);

/* type: "counter" or "gauge". */
void sr_prom_family(struct sr_prom *p, const char *name, const char *type, const char *help);
/* One sample; label may be NULL (no labels), else label="value". */
void sr_prom_sample(struct sr_prom *p, const char *name, const char *label, const char *value, uint64_t v);
/* One unlabelled sample of a real value (a 0..1 ratio gauge), "%.6g". */
void sr_prom_sample_real(struct sr_prom *p, const char *name, double v);
/* Family and its single unlabelled sample in one call. */
void sr_prom_one(struct sr_prom *p, const char *name, const char *type, const char *help, uint64_t v);

#endif
