/*
 * rf_hist.h - latency histogram of regflood.
 *
 * Design: a log-linear histogram (the HdrHistogram idea, sized for nanoseconds): values
 * below 64 get a bucket each, above that every power of two is split into 32 buckets,
 * so any recorded value is reported within 1/32 (about 3 %) of itself. Fixed size
 * (no allocation), O(1) record, mergeable by adding counts, so each sender thread owns
 * one and the main thread sums them at the end. Percentiles report the upper bound of
 * the bucket holding the rank: a reported p99 is never below the true p99.
 */
#ifndef SR_RF_HIST_H
#define SR_RF_HIST_H

#include <stdint.h>

#define SR_RF_HIST_BUCKETS (60 * 32 + 64)

struct sr_rf_hist {
	uint64_t count;
	uint64_t max;
	uint64_t n[SR_RF_HIST_BUCKETS];
};

void sr_rf_hist_record(struct sr_rf_hist *h, uint64_t v);
void sr_rf_hist_merge(struct sr_rf_hist *dst, const struct sr_rf_hist *src);
/* p in [0, 1]; 0 when the histogram is empty */
uint64_t sr_rf_hist_percentile(const struct sr_rf_hist *h, double p);
/* bucket index of v and the largest value of a bucket (exposed for the tests) */
unsigned sr_rf_hist_bucket(uint64_t v);
uint64_t sr_rf_hist_bucket_high(unsigned idx);

#endif
