/*
 * stats_mid.c - the mid-registrar's figures, names as docs/MID_REGISTRAR.md
 * ("Wiring", item 10) lists them.
 *
 * Design decisions:
 * - Sums over workers of the copies worker_mid.c publishes every 100 ms
 *   (relaxed loads), computed per figure; absent when registrar.role is
 *   final, like the other optional families.
 * - The absorption ratio is computed from the summed counters (never an
 *   average of per-worker ratios, sr_midreg_absorption) and published as
 *   the 0..1 gauge sipreg_mid_absorption_ratio (sr_stats_ratio: a real
 *   sample). The earlier sipreg_mid_absorption_permille is gone: nothing
 *   read it (tests, scripts, bench), and two figures for one fact invite
 *   disagreement.
 */
#include "stats_mid.h"

#include <stddef.h>

#include "worker_mid.h"

#define C SR_STAT_COUNTER
#define G SR_STAT_GAUGE

/* The sum over workers of one 64-bit field of struct sr_mid_figures. */
static uint64_t msum(const struct sr_app *app, size_t off)
{
	uint64_t t = 0;
	for (unsigned i = 0; i < app->n_workers; i++) {
		const struct sr_mid_figures *f = sr_worker_mid_figures(app->w[i]);
		if (f)
			t += __atomic_load_n((const uint64_t *)((const char *)f + off), __ATOMIC_RELAXED);
	}
	return t;
}
/* The same for a 32-bit gauge. */
static uint64_t msum32(const struct sr_app *app, size_t off)
{
	uint64_t t = 0;
	for (unsigned i = 0; i < app->n_workers; i++) {
		const struct sr_mid_figures *f = sr_worker_mid_figures(app->w[i]);
		if (f)
			t += __atomic_load_n((const uint32_t *)((const char *)f + off), __ATOMIC_RELAXED);
	}
	return t;
}
#define MSUM(app, field) msum(app, offsetof(struct sr_mid_figures, field))
#define MSUM32(app, field) msum32(app, offsetof(struct sr_mid_figures, field))

static void labelled(struct sr_stats_sink *s, const char *name, enum sr_stat_kind kind, const char *help,
		     const char *label, const char *const *values, const uint64_t *v, unsigned n)
{
	struct sr_stat_family f = { .name = name, .kind = kind, .help = help, .label = label };
	s->family(s, &f);
	for (unsigned i = 0; i < n; i++)
		s->sample(s, values[i], v[i]);
	s->end(s);
}

void sr_mid_stats_walk(const struct sr_app *app, struct sr_stats_sink *s)
{
	if (app->cfg.role != SR_ROLE_MID)
		return;
	static const char *const verdicts[] = { "forwarded", "absorbed" };
	uint64_t fwd = MSUM(app, mid.forwarded), abs = MSUM(app, mid.absorbed);
	const uint64_t regs[] = { fwd, abs };
	labelled(s, "sipreg_mid_registers_total", C, "UA REGISTERs the mid-registrar forwarded upstream or absorbed.",
		 "verdict", verdicts, regs, 2);
	static const char *const kinds[] = { "timeout", "5xx" };
	uint64_t fail = MSUM(app, mid.upstream_failures), tmo = MSUM(app, mid.upstream_timeouts);
	const uint64_t fails[] = { tmo, fail - tmo };
	labelled(s, "sipreg_mid_upstream_failures_total", C, "Upstream REGISTERs that timed out or got a 5xx.", "kind",
		 kinds, fails, 2);
	static const struct {
		const char *name;
		const char *help;
		size_t off;
	} counters[] = {
#define M(name, help, field) { name, help, offsetof(struct sr_mid_figures, field) }
		M("sipreg_mid_received_total", "REGISTERs handed to the mid-registrar (retransmissions included).",
		  mid.received),
		M("sipreg_mid_retransmissions_total", "Copies of a forwarded REGISTER absorbed by its transaction.",
		  mid.retransmissions),
		M("sipreg_mid_deregisters_total", "De-REGISTERs of sipreg's own started upstream.", mid.deregisters),
		M("sipreg_mid_upstream_ok_total", "2xx answers of the main registrar.", mid.upstream_ok),
		M("sipreg_mid_upstream_rejected_total", "Other refusals of the main registrar (403, 423, 6xx, ...).",
		  mid.upstream_rejected),
		M("sipreg_mid_challenges_total", "401/407 of the main registrar passed to the UA.", mid.challenges),
		M("sipreg_mid_upstream_retries_total", "Upstream attempts after a failure.", mid.retries),
		M("sipreg_mid_stood_total", "Refreshes answered from the local binding after an upstream failure.",
		  mid.stood),
		M("sipreg_mid_dereg_refused_total", "De-REGISTERs the main registrar refused.", mid.dereg_refused),
		M("sipreg_mid_exhausted_total", "503: no record, context or transaction left.", mid.exhausted),
		M("sipreg_mid_store_refused_total", "Confirmed REGISTERs the location store refused.", mid.store_refused),
		M("sipreg_mid_lookups_total", "Requests from the main registrar's side mapped to bindings.", mid.lookups),
		M("sipreg_mid_lookups_unknown_total", "Requests from the main registrar's side for no live contact.",
		  mid.lookups_unknown),
		M("sipreg_mid_restored_total", "Upstream records taken back at start.", mid.restored),
		M("sipreg_mid_restore_bad_total", "Upstream records refused at start.", mid.restore_bad),
		M("sipreg_mid_sent_total", "Datagrams the mid-registrar sent.", sent),
		M("sipreg_mid_send_failed_total", "Sends dropped: no MAC known, no mbuf, or too large.", send_failed),
		M("sipreg_mid_events_lost_total", "Bindings that went while the event queue was full.", gone_lost),
		M("sipreg_mid_stray_responses_total", "REGISTER responses matching none of its transactions.", stray),
		M("sipreg_mid_records_handed_total", "Upstream records handed to persistence (PUT and DEL).",
		  records_handed),
#undef M
	};
	for (size_t k = 0; k < sizeof(counters) / sizeof(counters[0]); k++)
		sr_stats_one(s, counters[k].name, C, counters[k].help, msum(app, counters[k].off));
	sr_stats_one(s, "sipreg_mid_upstream_registrations", G, "Upstream registrations live now.",
		     MSUM32(app, mid.upstream_live));
	sr_stats_one(s, "sipreg_mid_records", G, "Upstream records in use now.", MSUM32(app, mid.records));
	sr_stats_one(s, "sipreg_mid_contexts", G, "REGISTERs upstream now.", MSUM32(app, mid.contexts));
	struct sr_midreg_stats sum = { .forwarded = fwd, .absorbed = abs };
	sr_stats_ratio(s, "sipreg_mid_absorption_ratio",
		       "Fraction (0 to 1) of the UA REGISTERs decided that did not reach the main registrar.",
		       sr_midreg_absorption(&sum));
}
