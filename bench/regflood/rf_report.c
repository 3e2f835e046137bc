/*
 * rf_report.c - the verdict and the output of a regflood run (see rf_report.h).
 *
 * Latencies are printed in microseconds with one decimal; the JSON keys are stable
 * (bench/compare.sh reads them): result, workload, sent, ok, failures, bad_status,
 * unexpected, late, timeouts, send_errors, warmup_failures, achieved_per_s,
 * offered_per_s, p50_us, p99_us, p999_us, max_us, generator_behind, gen_cpu_pct; and for
 * the digest flow (0 otherwise) challenged, bad_challenge, challenge_p50_us,
 * challenge_p99_us, with registers_per_s for every workload. Workload auth counts in
 * flows: offered_per_s and achieved_per_s are flows/s (a flow is two REGISTERs, so
 * registers_per_s is about twice achieved_per_s), ok counts flows that ended in 200, and
 * the p* latencies are of whole flows (first REGISTER sent to the final 200 received);
 * challenge_p*_us are of the first step alone (REGISTER sent to its 401).
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

double sr_rf_result_registers(const struct sr_rf_result *r)
{
	return r->period_s > 0 ? (double)(r->run.ok + r->run.challenged) / r->period_s : 0;
}

bool sr_rf_result_behind(const struct sr_rf_result *r)
{
	double s = r->send_s > 0 ? r->send_s : r->period_s;
	if (r->offered_rate <= 0 || s <= 0)
		return false;
	return (double)sr_rf_stats_started(&r->run) < 0.97 * r->offered_rate * s;
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
			 "\"generator_behind\":%s,\"window_stalls\":%llu,\"gen_cpu_pct\":%.0f,"
			 "\"registers_per_s\":%.0f,\"challenged\":%llu,\"bad_challenge\":%llu,"
			 "\"challenge_p50_us\":%.1f,\"challenge_p99_us\":%.1f}",
			 sr_rf_result_passed(r) ? "pass" : "fail", r->workload, r->threads, r->sockets, r->aors,
			 r->offered_rate, r->window, r->period_s, (unsigned long long)s->sent, (unsigned long long)s->ok,
			 (unsigned long long)sr_rf_stats_failures(s), (unsigned long long)s->bad_status,
			 s->last_bad_status ? s->last_bad_status : r->warm.last_bad_status,
			 (unsigned long long)s->unexpected, (unsigned long long)s->late,
			 (unsigned long long)s->timeouts, (unsigned long long)s->send_errors,
			 (unsigned long long)sr_rf_stats_failures(&r->warm), sr_rf_result_achieved(r),
			 us(sr_rf_hist_percentile(&s->lat, 0.5)), us(sr_rf_hist_percentile(&s->lat, 0.99)),
			 us(sr_rf_hist_percentile(&s->lat, 0.999)), us(s->lat.max),
			 sr_rf_result_behind(r) ? "true" : "false", (unsigned long long)r->window_stalls, r->gen_cpu_pct,
			 sr_rf_result_registers(r), (unsigned long long)s->challenged, (unsigned long long)s->bad_challenge,
			 us(sr_rf_hist_percentile(&s->lat_challenge, 0.5)),
			 us(sr_rf_hist_percentile(&s->lat_challenge, 0.99)));
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
	const char *behind = sr_rf_result_behind(r) ? " (the generator fell behind the offered rate)" : "";
	if (r->digest)
		fprintf(out, "  sent %llu REGISTERs in %.3f s: %llu flows started, %llu challenged (401), %llu ok (200);\n"
			"  achieved %.0f flows/s, %.0f REGISTER/s answered%s\n",
			(unsigned long long)s->sent, r->period_s, (unsigned long long)sr_rf_stats_started(s),
			(unsigned long long)s->challenged, (unsigned long long)s->ok, sr_rf_result_achieved(r),
			sr_rf_result_registers(r), behind);
	else
		fprintf(out, "  sent %llu in %.3f s, ok %llu, achieved %.0f/s%s\n", (unsigned long long)s->sent,
			r->period_s, (unsigned long long)s->ok, sr_rf_result_achieved(r), behind);
	fprintf(out, "  failures: %llu bad status (last %d), %llu unexpected, %llu late, %llu timeouts, %llu send errors",
		(unsigned long long)s->bad_status, s->last_bad_status, (unsigned long long)s->unexpected,
		(unsigned long long)s->late, (unsigned long long)s->timeouts, (unsigned long long)s->send_errors);
	if (r->digest)
		fprintf(out, ", %llu 401s without a usable challenge", (unsigned long long)s->bad_challenge);
	fprintf(out, "\n");
	if (r->digest)
		fprintf(out, "  challenge step (REGISTER to 401) latency us: p50 %.1f  p99 %.1f\n",
			us(sr_rf_hist_percentile(&s->lat_challenge, 0.5)),
			us(sr_rf_hist_percentile(&s->lat_challenge, 0.99)));
	fprintf(out, "  %slatency us: p50 %.1f  p99 %.1f  p99.9 %.1f  max %.1f; generator CPU %.0f%%\n",
		r->digest ? "whole flow (first REGISTER to 200) " : "",
		us(sr_rf_hist_percentile(&s->lat, 0.5)), us(sr_rf_hist_percentile(&s->lat, 0.99)),
		us(sr_rf_hist_percentile(&s->lat, 0.999)), us(s->lat.max), r->gen_cpu_pct);
	fprintf(out, "  result: %s\n", sr_rf_result_passed(r) ? "PASS" : "FAIL");
}
