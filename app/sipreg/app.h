/*
 * app.h - the state sipreg's lcores share, set up once by main.c.
 *
 * Everything here is written before the workers are launched and only read
 * afterwards, except each worker's own block (struct sr_worker), which only
 * that worker writes (its counters are read by the control side, see
 * net_stats.h), and the stop flag.
 */
#ifndef SR_APP_H
#define SR_APP_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>

#include "config.h"
#include "net_clock.h"
#include "net_frag.h"
#include "net_pkt.h"
#include "net_ring.h"
#include "net_stats.h"
#include "policy.h"
#include "registrar.h"
#include "sip_arena.h"

#define SR_MAX_PORTS 8
#define SR_BUCKETS 1024      /* AoR hash -> bucket -> owner worker; fixed at start */
#define SR_MAX_BURST 64
#define SR_TX_BUF 128        /* responses queued per port before a forced flush */
#define SR_SCRATCH (64 * 1024) /* a whole reassembled datagram */
#define SR_STATUS_CODES 600    /* SIP status codes 100-699 */

struct sr_aor_query;
struct sr_auth;
struct sr_auth_worker;
struct sr_persist;
struct sr_replicate;
struct sr_flood;
struct sr_worker_route;
struct sr_worker_mid;
struct sr_worker_nat;
struct sr_worker_push;
struct sr_worker_neigh;
struct sr_pushgw;

/* Counters of one worker: the packet layer's plus the SIP layer's. */
struct sr_worker_stats {
	struct sr_net_stats net;
	uint64_t sip_requests;            /* datagrams given to sr_reg_process */
	uint64_t responses[7];            /* by status class */
	uint64_t sip_drops[SR_DROP_COUNT];/* no response: garbage, responses, ACKs, ... */
	uint64_t prescan_failed;          /* owner field not read by the pre-scan: answered where received */
	uint64_t owner_rerouted;          /* the full parse found another owner: handed on */
	uint64_t flood_limited;           /* over the source's rate (flood.rate) */
	uint64_t flood_blocked;           /* from a source blocked after auth failures */
	uint64_t stun_replies;            /* STUN Binding requests answered (worker_stun.c) */
	uint64_t stun_ignored;            /* other STUN messages on the SIP port, dropped */
	/* NAT keepalives (worker_nat.c), published every 100 ms */
	uint64_t nat_pings_sent, nat_pings_answered, nat_pings_failed, nat_pings_stray, nat_pings_unsent;
	/* the neighbour table (worker_neigh.c), published every 100 ms */
	uint64_t arp_requests, arp_resolved, arp_failed, neigh_dropped, neigh_entries;
	uint64_t arp_shared;              /* ARP news another worker passed on, learned here */
	uint64_t events[4];               /* binding events by enum sr_event_type */
	uint64_t queries;
	uint64_t busy_cycles;             /* TSC cycles of loop iterations that did work (CPU per request) */
	/* shard figures, published by the worker every 100 ms */
	uint64_t aors, bindings, binding_bytes, expired, arena_overflows, parsed_fast, parsed_slow, parsed_resumed;
	/* last: by status code 100-699 (index code - 100); one line touched per response */
	uint64_t responses_by_code[SR_STATUS_CODES];
} __rte_cache_aligned;

/* Counts a response sent with this status in the worker's class and code counters. */
static inline void sr_worker_count_response(struct sr_worker_stats *st, unsigned status)
{
	SR_STAT_INC(st->responses[status / 100 % 7]);
	if (status >= 100 && status < 100 + SR_STATUS_CODES)
		SR_STAT_INC(st->responses_by_code[status - 100]);
}

struct sr_tx_buf {
	uint16_t n;
	struct rte_mbuf *pkts[SR_TX_BUF];
};

/*
 * SIP datagrams of one rx burst this worker owns, processed after the burst
 * is pre-scanned so their AoRs are prefetched together (worker.c).
 */
struct sr_local_buf {
	uint16_t n;
	struct rte_mbuf *pkts[SR_MAX_BURST];
	struct sr_net_pkt p[SR_MAX_BURST];
	uint64_t hash[SR_MAX_BURST]; /* the pre-scan's owner hash of the requests that have one */
	uint16_t n_hash;
};

/* SIP datagrams of one rx burst owned by another worker, enqueued on its ring in one go. */
struct sr_handoff_buf {
	uint16_t n;
	struct rte_mbuf *pkts[SR_MAX_BURST];
};

struct sr_app;

/* The busy-ratio window (worker_figures.c): written by the control core only, read with relaxed loads. */
struct sr_busy_window {
	uint64_t start_tsc;                        /* 0: no window opened yet */
	uint64_t start_busy[SR_NET_MAX_WORKERS];
	uint64_t permille[SR_NET_MAX_WORKERS];     /* published: last closed window */
};

struct sr_worker {
	struct sr_worker_stats stats;     /* first: its own cache lines */
	struct sr_app *app;
	unsigned id;
	unsigned lcore;
	struct sr_registrar *shard;
	struct sr_auth_worker *auth;       /* NULL when auth.enabled is false */
	struct sr_flood *flood;           /* this worker's source table (admission.c) */
	struct sr_worker_route *route;    /* routing.mode redirect/proxy (worker_route.c); NULL when off */
	struct sr_worker_mid *mid;        /* registrar.role = mid (worker_mid.c); NULL when final */
	struct sr_worker_nat *nat;        /* nat.ping_interval > 0 (worker_nat.c); NULL when off */
	struct sr_worker_push *push;      /* push.enable (worker_push.c); NULL when off */
	struct sr_worker_neigh *neigh;    /* IPv4 -> MAC and ARP (worker_neigh.c) */
	struct sr_policy_reader policy_reader; /* ctx of the shard's policy hook */
	struct sr_arena arena;            /* for the pre-scan */
	struct sr_net_reasm reasm;
	struct rte_ring *queries;         /* control -> this worker */
	struct rte_mempool *tx_pool;      /* responses (large buffers) */
	struct rte_mempool *indirect_pool;/* fragments of large responses */
	uint16_t ip_id;
	uint64_t next_expire_ms;
	uint64_t next_publish_tsc;
	struct sr_tx_buf tx[SR_MAX_PORTS];
	struct sr_handoff_buf handoff[SR_NET_MAX_WORKERS];
	struct sr_local_buf local;
	uint8_t scratch[SR_SCRATCH];
} __rte_cache_aligned;

struct sr_app {
	struct sr_app_config cfg;
	unsigned n_workers;
	uint16_t n_ports;
	struct sr_net_local local[SR_MAX_PORTS]; /* per port id: our MAC, IP and SIP port */
	uint16_t mtu[SR_MAX_PORTS];
	bool tx_linear[SR_MAX_PORTS];            /* per port id: fragments copied into one segment (net_frag.h) */
	struct sr_net_mesh mesh;
	uint8_t owner[SR_BUCKETS];
	int meta_off;                            /* the mbuf dynamic field of struct sr_pkt_meta */
	struct sr_worker *w[SR_NET_MAX_WORKERS];
	struct sr_clock clock;
	int stop;                                /* set by the signal handler */
	struct sr_auth *auth;                    /* NULL when auth.enabled is false (app_auth.c) */
	struct sr_persist *persist;              /* NULL when persistence is off (persist.c) */
	struct sr_replicate *repl;               /* NULL when replication is off (replicate.c) */
	int standby;                             /* 1: a replication standby, not serving (replicate.h) */
	struct sr_policy *policy;                /* NULL without policy.rules (admission.c) */
	struct sr_busy_window busy;              /* per-worker busy ratio (worker_figures.c) */
	struct sr_pushgw *pushgw;                /* push.gateway_url's client, control core only (control.c); NULL: none */
};

/*
 * The bucket -> owner worker table, dealt round-robin at start: an AoR's
 * owner is owner[sr_hash64 % SR_BUCKETS] for REGISTERs (sr_worker_owns)
 * and for a restart's restore alike (persist_restore.c).
 */
static inline void sr_app_deal_buckets(struct sr_app *a)
{
	for (unsigned b = 0; b < SR_BUCKETS; b++)
		a->owner[b] = (uint8_t)(b % a->n_workers);
}

static inline bool sr_app_stopping(const struct sr_app *a)
{
	return __atomic_load_n(&a->stop, __ATOMIC_RELAXED) != 0;
}

#endif
