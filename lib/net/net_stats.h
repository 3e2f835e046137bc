/*
 * net_stats.h - per-worker packet counters.
 *
 * Each worker owns one cache-line aligned block and is its only writer; the
 * control core reads all blocks when asked. Writes are relaxed atomic
 * stores of "value + n" (a plain store on x86-64, no locked instruction)
 * and reads relaxed atomic loads, so a reader sees each counter whole and
 * the hot path pays nothing for it.
 */
#ifndef SR_NET_STATS_H
#define SR_NET_STATS_H

#include <stdint.h>

#include <rte_common.h>

#include "net_pkt.h"

#define SR_STAT_ADD(c, n) __atomic_store_n(&(c), (c) + (n), __ATOMIC_RELAXED)
#define SR_STAT_INC(c) SR_STAT_ADD(c, 1)
#define SR_STAT_SET(c, v) __atomic_store_n(&(c), (v), __ATOMIC_RELAXED)
#define SR_STAT_GET(c) __atomic_load_n(&(c), __ATOMIC_RELAXED)

struct sr_net_stats {
	uint64_t rx_pkts;
	uint64_t rx_bytes;
	uint64_t tx_pkts;
	uint64_t tx_bytes;
	uint64_t arp_replies;
	uint64_t icmp_replies;
	uint64_t frags_in;      /* IPv4 fragments received */
	uint64_t reassembled;   /* datagrams completed by reassembly */
	uint64_t tx_fragmented; /* responses sent as IPv4 fragments */
	uint64_t ring_out;      /* SIP datagrams handed to another worker */
	uint64_t ring_in;       /* SIP datagrams received from another worker */
	uint64_t drops[SR_ND_COUNT];
} __rte_cache_aligned;

#endif
