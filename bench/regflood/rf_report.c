/*
 * rf_report.c - the verdict and the output of a regflood run (see rf_report.h).
 *
 * Latencies are printed in microseconds with one decimal; the JSON keys are stable
 * (bench/compare.sh reads them): result, workload, sent, ok, failures, bad_status,
 * unexpected, late, timeouts, send_errors, warmup_failures, achieved_per_s,
 * offered_per_s, p50_us, p99_us, p999_us, max_us, generator_behind, gen_cpu_pct.
 */
#include "rf_report.h"

#include <stdio.h>

bool sr_rf_result_passed(const struct sr_rf_result *r)
{
	return sr_rf_stats_failures(&r->warm) == 0 && sr_rf_stats_failures(&r->run) == 0 && r->run.ok > 0;
}

double sr_rf_result_achieved(const struct sr_rf_result *r)
{
	return r->period_s > 0 ? (double)r->run.ok / r->period_s : 0;
}

bool sr_rf_result_behind(const struct sr_rf_result *r)
{
	double s = r->send_s > 0 ? r->send_s : r->period_s;
	if (r->offered_rate <= 0 || s <= 0)
		return false;
	return (double)r->run.sent < 0.97 * r->offered_rate * s;
}

static double us(uint64_t ns)
{
	return (double)ns / 1000.0;
}

size_t sr_rf_result_json(const struct sr_rf_result *r, char *buf, size_t cap)
{
	const struct sr_rf_stats *s = &r->run;
	int n = snprintf(buf, cap,
			 "{\"result\":\"%s\",\"workload\":\"%s\",\"threads\":%u,\"sockets\":%u,\"aors\":%u,"
			 "\"offered_per_s\":%.0f,\"window\":%u,\"period_s\":%.3f,\"sent\":%llu,\"ok\":%llu,"
			 "\"failures\":%llu,\"bad_status\":%llu,\"last_bad_status\":%d,\"unexpected\":%llu,"
			 "\"late\":%llu,\"timeouts\":%llu,\"send_errors\":%llu,\"warmup_failures\":%llu,"
			 "\"achieved_per_s\":%.0f,\"p50_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f,\"max_us\":%.1f,"
			 "\"generator_behind\":%s,\"window_stalls\":%llu,\"gen_cpu_pct\":%.0f}",
			 sr_rf_result_passed(r) ? "pass" : "fail", r->workload, r->threads, r->sockets, r->aors,
			 r->offered_rate, r->window, r->period_s, (unsigned long long)s->sent, (unsigned long long)s->ok,
			 (unsigned long long)sr_rf_stats_failures(s), (unsigned long long)s->bad_status,
			 s->last_bad_status ? s->last_bad_status : r->warm.last_bad_status,
			 (unsigned long long)s->unexpected, (unsigned long long)s->late,
			 (unsigned long long)s->timeouts, (unsigned long long)s->send_errors,
			 (unsigned long long)sr_rf_stats_failures(&r->warm), sr_rf_result_achieved(r),
			 us(sr_rf_hist_percentile(&s->lat, 0.5)), us(sr_rf_hist_percentile(&s->lat, 0.99)),
			 us(sr_rf_hist_percentile(&s->lat, 0.999)), us(s->lat.max),
			 sr_rf_result_behind(r) ? "true" : "false", (unsigned long long)r->window_stalls, r->gen_cpu_pct);
	if (n < 0 || (size_t)n >= cap)
		return 0;
	return (size_t)n;
}

void sr_rf_result_print(const struct sr_rf_result *r, FILE *out)
{
	const struct sr_rf_stats *s = &r->run;
	fprintf(out, "regflood: workload %s, %u thread(s) x %u socket(s), %u AoRs, ", r->workload, r->threads,
		r->sockets, r->aors);
	if (r->offered_rate > 0)
		fprintf(out, "open loop at %.0f/s (window %u per thread)\n", r->offered_rate, r->window);
	else
		fprintf(out, "closed loop, window %u per thread\n", r->window);
	if (r->warm.sent)
		fprintf(out, "  warm-up: %llu registered, %llu failed (%llu bad status, last %d; %llu unexpected; %llu timeouts)\n",
			(unsigned long long)r->warm.ok, (unsigned long long)sr_rf_stats_failures(&r->warm),
			(unsigned long long)r->warm.bad_status, r->warm.last_bad_status,
			(unsigned long long)r->warm.unexpected, (unsigned long long)r->warm.timeouts);
	fprintf(out, "  sent %llu in %.3f s, ok %llu, achieved %.0f/s%s\n", (unsigned long long)s->sent, r->period_s,
		(unsigned long long)s->ok, sr_rf_result_achieved(r),
		sr_rf_result_behind(r) ? " (the generator fell behind the offered rate)" : "");
	fprintf(out, "  failures: %llu bad status (last %d), %llu unexpected, %llu late, %llu timeouts, %llu send errors\n",
		(unsigned long long)s->bad_status, s->last_bad_status, (unsigned long long)s->unexpected,
		(unsigned long long)s->late, (unsigned long long)s->timeouts, (unsigned long long)s->send_errors);
	fprintf(out, "  latency us: p50 %.1f  p99 %.1f  p99.9 %.1f  max %.1f; generator CPU %.0f%%\n",
		us(sr_rf_hist_percentile(&s->lat, 0.5)), us(sr_rf_hist_percentile(&s->lat, 0.99)),
		us(sr_rf_hist_percentile(&s->lat, 0.999)), us(s->lat.max), r->gen_cpu_pct);
	fprintf(out, "  result: %s\n", sr_rf_result_passed(r) ? "PASS" : "FAIL");
}
