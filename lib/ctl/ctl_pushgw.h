/*
 * ctl_pushgw.h - the push gateway client: every contactRefresh event
 * (lib/push, sr_push_event_json) is POSTed as it is to push.gateway_url.
 *
 * sipreg never talks to Apple or Google itself: an HTTP service of the
 * operator's (the "push gateway") turns the event into the provider's call.
 * This client runs on the control core only and never blocks it:
 *
 * - libcurl's multi interface: sr_pushgw_poll() from the control loop does
 *   the transfers' next steps without waiting (curl_multi_perform) and
 *   collects finished ones; up to push.gateway_parallel POSTs run at once
 *   over reused connections.
 * - A bounded queue (push.gateway_queue events, bodies preallocated): an
 *   event that finds it full is dropped and counted, never waited for.
 * - One attempt lasts at most push.gateway_timeout_ms (connecting
 *   included). A failed attempt that may succeed later (could not
 *   connect, timed out, 5xx, 408, 429) is retried up to
 *   push.gateway_retries times after push.gateway_backoff_ms, doubled per
 *   retry; a 4xx is the gateway refusing this event and is not retried.
 * - Every outcome is counted: delivered, failed by cause, attempts failed
 *   by cause (a gateway that is down shows at once, before retries are
 *   spent), retries, dropped (queue full, too large).
 *
 * The body is sent with Content-Type: application/json, exactly as given.
 * Time: now_ms is the control loop's clock and drives the back-off; curl
 * measures the per-attempt timeout itself.
 */
#ifndef SR_CTL_PUSHGW_H
#define SR_CTL_PUSHGW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl_stats.h"
#include "push.h"

enum sr_pushgw_cause {
	SR_PUSHGW_F_CONNECT,  /* no connection, or it broke: the gateway is down or unreachable */
	SR_PUSHGW_F_TIMEOUT,  /* no complete answer within push.gateway_timeout_ms */
	SR_PUSHGW_F_HTTP_4XX, /* the gateway refused the event (408 and 429 are retried, the rest not) */
	SR_PUSHGW_F_HTTP_5XX, /* the gateway failed (retried) */
	SR_PUSHGW_F_OTHER,    /* anything else: TLS, a 3xx, a malformed answer (not retried) */
	SR_PUSHGW_F_COUNT
};
/* "connect", "timeout", "http_4xx", "http_5xx", "other" */
const char *sr_pushgw_cause_name(enum sr_pushgw_cause c);

struct sr_pushgw_stats {
	uint64_t submitted;                     /* events taken into the queue */
	uint64_t delivered;                     /* answered 2xx */
	uint64_t failed[SR_PUSHGW_F_COUNT];     /* given up, by the cause of the last attempt */
	uint64_t errors[SR_PUSHGW_F_COUNT];     /* failed attempts (retried or not), by cause */
	uint64_t retries;                       /* attempts after the first */
	uint64_t dropped_full;                  /* refused: the queue was full */
	uint64_t dropped_large;                 /* refused: larger than the body limit */
	uint32_t queued;                        /* waiting, waiting for a retry, or in flight */
	uint32_t in_flight;
};

struct sr_pushgw;

/* Allocates everything up front; NULL with err set on a bad configuration or no memory. */
struct sr_pushgw *sr_pushgw_create(const struct sr_pushgw_config *c, char *err, size_t err_len);
/* Abandons whatever is queued or in flight. */
void sr_pushgw_free(struct sr_pushgw *gw);

/* Queues one event (copied). False when it was dropped (queue full or too large; counted). */
bool sr_pushgw_submit(struct sr_pushgw *gw, const char *body, size_t len, uint64_t now_ms);

/* Starts what may start, advances the transfers, settles the finished ones. Never waits. */
void sr_pushgw_poll(struct sr_pushgw *gw, uint64_t now_ms);

const struct sr_pushgw_stats *sr_pushgw_stats(const struct sr_pushgw *gw);

/*
 * The push figures for /metrics and /sipreg/stats (one walk, ctl_stats.h):
 * 'push' is the sum of the workers' sr_push_stats, 'gw' the client's (NULL
 * when push.gateway_url is empty: its families are then left out).
 */
void sr_pushgw_stats_walk(struct sr_stats_sink *s, const struct sr_push_stats *push,
			  const struct sr_pushgw_stats *gw);

#endif
