/*
 * rf_hist.c - log-linear latency histogram (see rf_hist.h for the layout).
 *
 * Index of v: shift = max(0, msb(v) - 5); index = shift * 32 + (v >> shift). For
 * v < 64 that is v itself; above, each octave [2^m, 2^(m+1)) maps onto 32 buckets.
 */
#include "rf_hist.h"

#include <math.h>

unsigned sr_rf_hist_bucket(uint64_t v)
{
	if (v < 64)
		return (unsigned)v;
	unsigned msb = 63u - (unsigned)__builtin_clzll(v);
	unsigned shift = msb - 5u;
	return shift * 32u + (unsigned)(v >> shift);
}

uint64_t sr_rf_hist_bucket_high(unsigned idx)
{
	if (idx < 64)
		return idx;
	unsigned shift = idx / 32u - 1u;
	uint64_t m = idx - shift * 32u;
	if (shift + 6u >= 64u) /* the top octave: its upper bound is UINT64_MAX */
		return m == 63 ? UINT64_MAX : ((m + 1) << shift) - 1;
	return ((m + 1) << shift) - 1;
}

void sr_rf_hist_record(struct sr_rf_hist *h, uint64_t v)
{
	h->n[sr_rf_hist_bucket(v)]++;
	h->count++;
	if (v > h->max)
		h->max = v;
}

void sr_rf_hist_merge(struct sr_rf_hist *dst, const struct sr_rf_hist *src)
{
	for (unsigned i = 0; i < SR_RF_HIST_BUCKETS; i++)
		dst->n[i] += src->n[i];
	dst->count += src->count;
	if (src->max > dst->max)
		dst->max = src->max;
}

uint64_t sr_rf_hist_percentile(const struct sr_rf_hist *h, double p)
{
	if (h->count == 0)
		return 0;
	if (p < 0)
		p = 0;
	if (p > 1)
		p = 1;
	uint64_t rank = (uint64_t)ceil(p * (double)h->count);
	if (rank == 0)
		rank = 1;
	uint64_t seen = 0;
	for (unsigned i = 0; i < SR_RF_HIST_BUCKETS; i++) {
		seen += h->n[i];
		if (seen >= rank) {
			uint64_t hi = sr_rf_hist_bucket_high(i);
			return hi < h->max ? hi : h->max;
		}
	}
	return h->max;
}
