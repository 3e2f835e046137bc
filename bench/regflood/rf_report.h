/*
 * rf_report.h - regflood's verdict and its two renderings: a human summary and one
 * JSON line (the last line of the output, for scripts).
 *
 * Design: the verdict is computed here from the merged books only, as a pure function,
 * so "any failure fails the run" is one tested rule rather than scattered checks:
 * a run passes when nothing failed in the warm-up or the measured phase and at least
 * one request was answered.
 */
#ifndef SR_RF_REPORT_H
#define SR_RF_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "rf_track.h"

struct sr_rf_result {
	const char *workload;
	bool digest; /* the workload's flows are digest flows (sr_rf_workload_digest) */
	uint32_t threads, sockets, aors;
	double offered_rate; /* requests/s asked for; 0: closed loop */
	uint32_t window;
	double period_s;     /* measured phase (rates are per this) */
	double send_s;       /* of it, the time spent sending (behind or not is judged on this) */
	double gen_cpu_pct;  /* generator process CPU over the whole run, % of one CPU */
	uint64_t window_stalls;
	struct sr_rf_stats warm;
	struct sr_rf_stats run;
};

bool sr_rf_result_passed(const struct sr_rf_result *r);
/* ok answers per second: requests answered 200, or for auth whole flows (401 then 200) */
double sr_rf_result_achieved(const struct sr_rf_result *r);
/* REGISTER transactions answered as expected per second (auth: the 401s and the 200s) */
double sr_rf_result_registers(const struct sr_rf_result *r);
/* open loop and fewer than 97 % of the requests (auth: flows) due while sending were started */
bool sr_rf_result_behind(const struct sr_rf_result *r);
/* writes the JSON object (no newline); returns the length, 0 if cap is too small */
size_t sr_rf_result_json(const struct sr_rf_result *r, char *buf, size_t cap);
void sr_rf_result_print(const struct sr_rf_result *r, FILE *out);

#endif
