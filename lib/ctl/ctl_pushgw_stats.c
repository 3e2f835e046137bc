/*
 * ctl_pushgw_stats.c - the push figures in sipreg's one figure walk
 * (ctl_stats.h): what the workers decided (lib/push) and what the gateway
 * client made of it, under names that follow the walk's rules.
 */
#include "ctl_pushgw.h"

static void family(struct sr_stats_sink *s, const char *name, enum sr_stat_kind kind, const char *help,
		   const char *label)
{
	struct sr_stat_family f = { name, kind, help, label };
	s->family(s, &f);
}

static void push_figures(struct sr_stats_sink *s, const struct sr_push_stats *p)
{
	family(s, "sipreg_push_triggered_total", SR_STAT_COUNTER, "Pushes triggered, by reason.", "reason");
	for (unsigned r = 0; r < SR_PUSH_R_COUNT; r++)
		s->sample(s, sr_push_reason_name((enum sr_push_reason)r), p->triggered[r]);
	s->end(s);
	sr_stats_one(s, "sipreg_push_skipped_total", SR_STAT_COUNTER,
		     "Pushes not sent: the contact refreshed within push.skip_interval.", p->skipped);
	sr_stats_one(s, "sipreg_push_coalesced_total", SR_STAT_COUNTER,
		     "Pushes not sent: a held request already waited for that device.", p->coalesced);
	sr_stats_one(s, "sipreg_push_lost_total", SR_STAT_COUNTER,
		     "Pushes that could not be encoded or handed to the control core.", p->lost);
	sr_stats_one(s, "sipreg_push_held_total", SR_STAT_COUNTER, "Requests held for a push.", p->held);
	sr_stats_one(s, "sipreg_push_held_full_total", SR_STAT_COUNTER,
		     "Requests not held: push.held was reached (503, or sent at once).", p->held_full);
	sr_stats_one(s, "sipreg_push_released_total", SR_STAT_COUNTER,
		     "Re-registrations delivered to held requests.", p->released);
	sr_stats_one(s, "sipreg_push_timed_out_total", SR_STAT_COUNTER,
		     "Held requests whose push.refresh_timeout passed.", p->timed_out);
	sr_stats_one(s, "sipreg_push_cancelled_total", SR_STAT_COUNTER,
		     "Held requests that ended before (CANCEL, transaction gone).", p->cancelled);
	sr_stats_one(s, "sipreg_push_holding", SR_STAT_GAUGE, "Requests held now.", p->holding);
}

static void by_cause(struct sr_stats_sink *s, const char *name, const char *help,
		     const uint64_t v[SR_PUSHGW_F_COUNT])
{
	family(s, name, SR_STAT_COUNTER, help, "cause");
	for (unsigned c = 0; c < SR_PUSHGW_F_COUNT; c++)
		s->sample(s, sr_pushgw_cause_name((enum sr_pushgw_cause)c), v[c]);
	s->end(s);
}

static void gateway_figures(struct sr_stats_sink *s, const struct sr_pushgw_stats *g)
{
	sr_stats_one(s, "sipreg_push_gateway_submitted_total", SR_STAT_COUNTER,
		     "Events queued for the push gateway.", g->submitted);
	sr_stats_one(s, "sipreg_push_delivered_total", SR_STAT_COUNTER, "Events the push gateway answered 2xx.",
		     g->delivered);
	by_cause(s, "sipreg_push_failed_total", "Events given up, by the last attempt's cause.", g->failed);
	by_cause(s, "sipreg_push_gateway_errors_total", "Failed POST attempts, by cause.", g->errors);
	sr_stats_one(s, "sipreg_push_gateway_retries_total", SR_STAT_COUNTER, "POST attempts after the first.",
		     g->retries);
	family(s, "sipreg_push_dropped_total", SR_STAT_COUNTER, "Events dropped before any attempt, by reason.",
	       "reason");
	s->sample(s, "queue_full", g->dropped_full);
	s->sample(s, "too_large", g->dropped_large);
	s->end(s);
	sr_stats_one(s, "sipreg_push_gateway_queued", SR_STAT_GAUGE, "Events waiting, retrying or in flight.",
		     g->queued);
	sr_stats_one(s, "sipreg_push_gateway_in_flight", SR_STAT_GAUGE, "POSTs in flight.", g->in_flight);
}

void sr_pushgw_stats_walk(struct sr_stats_sink *s, const struct sr_push_stats *push,
			  const struct sr_pushgw_stats *gw)
{
	if (push)
		push_figures(s, push);
	if (gw)
		gateway_figures(s, gw);
}
