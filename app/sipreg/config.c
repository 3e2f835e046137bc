/*
 * config.c - the key table, the INI reader (inih) and the command line.
 *
 * Design: one table maps "section.key" to a typed field of struct
 * sr_app_config (offsetof), so the file, --set and --help share one list.
 * Defaults are the registrar core's (sr_reg_config_defaults) plus ours
 * below; then the file, then every --set in order; finally the whole
 * configuration is checked (the core's sr_reg_config_check and our cross-key
 * rules), so a refused start always names the key at fault.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <unistd.h>

#include <ini.h>

#include "auth_creds.h"
#include "auth_secret.h"
#include "net_ring.h"
#include "nat_ping.h"
#include "route_ua.h"
#include "routing.h"

#ifndef SR_VERSION
#define SR_VERSION "unknown"
#endif

enum key_type { K_U32, K_U64, K_INT, K_BOOL, K_STR, K_IPV4, K_DOMAINS, K_ENUM };

struct key {
	const char *section, *name;
	enum key_type type;
	size_t off;
	size_t size;               /* K_STR: buffer size */
	int64_t min, max;          /* numbers */
	const char *const *names;  /* K_ENUM: value names, index = enum value */
	const char *help;
};

#define F(field) offsetof(struct sr_app_config, field), sizeof(((struct sr_app_config *)0)->field)

static const char *const maxc_modes[] = { "reject", "force", NULL };
static const char *const path_modes[] = { "off", "lazy", "strict", NULL };
static const char *const durability_modes[] = { "async", "sync", NULL };
static const char *const flood_actions[] = { "drop", "503", NULL };
static const char *const udp_checksums[] = { "compute", "zero", NULL }; /* enum sr_net_udp_csum */
static const char *const roles[] = { "final", "mid", NULL };
/* Index = enum sr_midreg_mode and enum sr_midreg_ct_insertion. */
static const char *const mid_modes[] = { "mirror", "contact-throttling", "aor-throttling", NULL };
static const char *const ct_insertions[] = { "ct-param", "ct-username", NULL };
static const char *const repl_roles[] = { "active", "standby", NULL };
/* index = enum sr_route_mode (routing.h): off, redirect, proxy */
static const char *const routing_modes[] = { "off", "redirect", "proxy", NULL };

static const struct key keys[] = {
	{ "eal", "args", K_STR, F(eal_args), 0, 0, NULL, "extra EAL arguments, blank-separated" },
	{ "eal", "lcores", K_STR, F(eal_lcores), 0, 0, NULL,
	  "EAL --lcores map (main lcore = control); empty: generated from workers.count" },
	{ "eal", "file_prefix", K_STR, F(eal_file_prefix), 0, 0, NULL, "EAL --file-prefix" },
	{ "eal", "prefault", K_BOOL, F(eal_prefault), 0, 0, NULL,
	  "touch all EAL memory at start under --no-huge (4 KiB pages), as hugepages are: no page faults later" },
	{ "port", "vdev", K_STR, F(port_vdev), 0, 0, NULL,
	  "virtual device, e.g. net_af_packet0,iface=sr-dut0 (qpairs added = workers); empty: NICs" },
	{ "port", "rx_desc", K_U32, F(rx_desc), 64, 16384, NULL, "RX descriptors per queue" },
	{ "port", "tx_desc", K_U32, F(tx_desc), 64, 16384, NULL, "TX descriptors per queue" },
	{ "port", "mbufs", K_U32, F(mbufs), 0, 1 << 24, NULL, "receive pool size; 0: computed" },
	{ "port", "rx_data_room", K_U32, F(rx_data_room), 1024, 60000, NULL,
	  "frame bytes per receive mbuf (af_packet: at least framesz)" },
	{ "net", "address", K_IPV4, F(ip), 0, 0, NULL, "IPv4 address the registrar answers on" },
	{ "net", "sip_port", K_U32, F(sip_port), 1, 65535, NULL, "UDP port of SIP" },
	{ "net", "symmetric_responses", K_BOOL, F(symmetric_responses), 0, 0, NULL,
	  "answer to the source port even without rport" },
	{ "net", "udp_checksum", K_ENUM, F(udp_checksum), 0, 0, udp_checksums,
	  "UDP checksum of what sipreg sends: compute or zero (RFC 768: none; saves a pass over each datagram)" },
	{ "net", "reasm_flows", K_U32, F(reasm_flows), 16, 65536, NULL,
	  "IPv4 datagrams in reassembly at once, per worker" },
	{ "net", "reasm_timeout_ms", K_U32, F(reasm_timeout_ms), 100, 60000, NULL,
	  "incomplete datagrams are dropped after this" },
	{ "net", "prefix_len", K_U32, F(prefix_len), 0, 32, NULL,
	  "our subnet's prefix length: its addresses are resolved by ARP, others go to net.gateway" },
	{ "net", "gateway", K_IPV4, F(gateway), 0, 0, NULL,
	  "next hop for addresses off our subnet, resolved by ARP; 0.0.0.0: none (back the way they came)" },
	{ "net", "neighbours", K_U32, F(neighbours), 4, 1 << 20, NULL, "neighbour table entries per worker" },
	{ "workers", "count", K_U32, F(workers), 0, SR_NET_MAX_WORKERS, NULL,
	  "worker lcores; 0: all lcores but the main one" },
	{ "workers", "burst", K_U32, F(burst), 1, 64, NULL, "packets per RX/TX burst" },
	{ "workers", "ring_size", K_U32, F(ring_size), 64, 65536, NULL, "entries of each worker-to-worker ring" },
	{ "workers", "expire_budget", K_U32, F(expire_budget), 1, 1000000, NULL,
	  "bindings expired per poll loop at most" },
	{ "workers", "idle_sleep_us", K_U32, F(idle_sleep_us), 0, 100000, NULL,
	  "sleep after an empty poll (0: busy poll)" },
	{ "control", "socket", K_STR, F(ctl_socket), 0, 0, NULL,
	  "control socket path (sipregctl --socket); empty: <EAL runtime dir>/sipreg_ctl.sock (sipregctl --prefix)" },
	{ "control", "data_dir", K_STR, F(data_dir), 0, 0, NULL, "persistence directory" },
	{ "control", "persistence", K_BOOL, F(persistence), 0, 0, NULL,
	  "keep bindings in data_dir (LMDB) and restore them at start" },
	{ "control", "durability", K_ENUM, F(durability), 0, 0, durability_modes,
	  "async: answer at once; sync: hold each 200 until its change is committed" },
	{ "control", "flush_ms", K_U32, F(flush_ms), 1, 10000, NULL, "binding events are committed after at most this" },
	{ "control", "batch_events", K_U32, F(batch_events), 1, 1000000, NULL, "or when this many are pending" },
	{ "control", "event_ring", K_U32, F(event_ring), 64, 1 << 20, NULL,
	  "event slots per worker (a change without one is answered 500)" },
	{ "control", "event_slot_bytes", K_U32, F(event_slot_bytes), 256, 65536, NULL,
	  "bytes of one event slot; a larger record takes a buffer of its own" },
	{ "control", "map_size", K_U64, F(map_size), 1 << 20, INT64_MAX, NULL, "LMDB map size in bytes" },
	{ "control", "metrics", K_STR, F(metrics), 0, 0, NULL,
	  "Prometheus /metrics HTTP address (IPv4:port); empty: off" },
	{ "control", "query_timeout_ms", K_U32, F(query_timeout_ms), 10, 10000, NULL,
	  "how long a telemetry query waits for a worker" },
	{ "registrar", "domains", K_DOMAINS, 0, 0, 0, 0, NULL, "served domains, comma-separated" },
	{ "registrar", "not_served_code", K_INT, F(reg.not_served_code), 400, 699, NULL,
	  "status for a domain we do not serve" },
	{ "registrar", "min_expires", K_U32, F(reg.min_expires), 0, UINT32_MAX, NULL, "423 below this" },
	{ "registrar", "max_expires", K_U32, F(reg.max_expires), 0, UINT32_MAX, NULL, "longer is clamped" },
	{ "registrar", "default_expires", K_U32, F(reg.default_expires), 0, UINT32_MAX, NULL,
	  "when the request says none" },
	{ "registrar", "expires_max_deviation", K_U32, F(reg.expires_max_deviation), 0, UINT32_MAX, NULL,
	  "randomise granted expiry by +- seconds" },
	{ "registrar", "default_q", K_INT, F(reg.default_q), -1, 1000, NULL,
	  "q in thousandths for contacts without q; -1: none" },
	{ "registrar", "max_contacts", K_U32, F(reg.max_contacts), 0, UINT32_MAX, NULL,
	  "bindings per AoR, 1..1024 (the hard cap)" },
	{ "registrar", "max_contacts_mode", K_ENUM, F(reg.max_contacts_mode), 0, 0, maxc_modes,
	  "reject (503) or force (drop the oldest)" },
	{ "registrar", "retry_after", K_U32, F(reg.retry_after), 0, UINT32_MAX, NULL,
	  "Retry-After of 503s and of the 500 for a change not stored" },
	{ "registrar", "max_username_len", K_U32, F(reg.max_username_len), 0, UINT32_MAX, NULL, "" },
	{ "registrar", "max_domain_len", K_U32, F(reg.max_domain_len), 0, UINT32_MAX, NULL, "" },
	{ "registrar", "max_aor_len", K_U32, F(reg.max_aor_len), 0, UINT32_MAX, NULL, "" },
	{ "registrar", "max_contact_len", K_U32, F(reg.max_contact_len), 0, UINT32_MAX, NULL, "" },
	{ "registrar", "max_path_len", K_U32, F(reg.max_path_len), 0, UINT32_MAX, NULL,
	  "bytes of Path a REGISTER may carry (stored per binding); longer: 400" },
	{ "registrar", "case_sensitive", K_BOOL, F(reg.case_sensitive), 0, 0, NULL,
	  "compare AoR user parts case-sensitively" },
	{ "registrar", "realm_prefix", K_STR, F(reg.realm_prefix), 0, 0, NULL, "stripped from domains" },
	{ "registrar", "path", K_ENUM, F(reg.path_mode), 0, 0, path_modes, "off, lazy or strict" },
	{ "registrar", "outbound", K_BOOL, F(reg.outbound), 0, 0, NULL, "RFC 5626" },
	{ "registrar", "gruu", K_BOOL, F(reg.gruu), 0, 0, NULL, "RFC 5627" },
	{ "registrar", "fast_parse", K_BOOL, F(reg.fast_parse), 0, 0, NULL,
	  "fast SIP parser in front of libosip2; false: libosip2 only" },
	{ "registrar", "max_aors", K_U32, F(reg.max_aors), 1, UINT32_MAX, NULL, "AoRs per worker shard" },
	{ "registrar", "memory_limit", K_U64, F(reg.memory_limit), 0, INT64_MAX, NULL,
	  "binding bytes per shard; 0: unlimited" },
	{ "registrar", "secret", K_U64, F(reg.secret), 0, INT64_MAX, NULL,
	  "keys To-tags and temporary GRUUs (the same on every node keeps them valid across restarts and failover); default: random at start" },
	{ "registrar", "role", K_ENUM, F(role), 0, 0, roles,
	  "final (the registrar) or mid (a mid-registrar in front of mid.registrar)" },
	{ "mid", "registrar", K_STR, F(mid.registrar), 0, 0, NULL,
	  "HOST:PORT of the main registrar (a name is resolved at start); needed for role mid" },
	{ "mid", "mode", K_ENUM, F(mid.mode), 0, 0, mid_modes, "mirror, contact-throttling or aor-throttling" },
	{ "mid", "contact_id_insertion", K_ENUM, F(mid.contact_id_insertion), 0, 0, ct_insertions,
	  "contact id in forwarded Contacts: ct-param (;ctid=ID) or ct-username (ID as user)" },
	{ "mid", "contact_id_param", K_STR, F(mid.contact_id_param), 0, 0, NULL, "URI parameter of the contact id" },
	{ "mid", "at_escape_str", K_STR, F(mid.at_escape_str), 0, 0, NULL,
	  "'@' of the AoR in aor-throttling's contact user part" },
	{ "mid", "outgoing_expires", K_U32, F(mid.outgoing_expires), 1, UINT32_MAX, NULL,
	  "least expiry asked upstream in the throttling modes (seconds)" },
	{ "mid", "received_param", K_STR, F(mid.received_param), 0, 0, NULL,
	  "Contact parameter with a NATed contact's source in 2xx answers; empty: none" },
	{ "mid", "extra_contact_params", K_STR, F(mid.extra_contact_params), 0, 0, NULL,
	  "URI parameters appended to every contact sipreg sends upstream, e.g. transport=udp (';' optional)" },
	{ "mid", "records", K_U32, F(mid.records), 1, 1 << 26, NULL, "upstream registrations tracked per worker" },
	{ "mid", "contexts", K_U32, F(mid.contexts), 1, 1 << 20, NULL, "REGISTERs upstream at once per worker; its transactions (3 x this) are held 32 s (Timer J) after each forwarded REGISTER, so a worker forwards at most about contexts / 12 per second" },
	{ "mid", "refresh_margin", K_U32, F(mid.refresh_margin), 0, 86400, NULL,
	  "a refresh goes upstream when the upstream lifetime left < UA expiry + this (seconds)" },
	{ "mid", "backoff_min", K_U32, F(mid.backoff_min), 1, 86400, NULL,
	  "first wait before retrying the main registrar after a failure (seconds, doubling)" },
	{ "mid", "backoff_max", K_U32, F(mid.backoff_max), 1, 86400, NULL, "longest such wait (seconds)" },
	{ "mid", "upstream_timeout", K_U32, F(mid.upstream_timeout), 1, 32, NULL,
	  "seconds without a final answer from the main registrar before the UA gets 504 (or 200 on a standing binding); below the UA's own 32 s" },
	{ "auth", "enabled", K_BOOL, F(auth.enabled), 0, 0, NULL, "digest authentication of REGISTER" },
	{ "auth", "realm", K_STR, F(auth.realm), 0, 0, NULL, "digest realm; empty: the To domain" },
	{ "auth", "subscribers", K_STR, F(auth.subscribers), 0, 0, NULL,
	  "subscriber file (user realm ha1-md5 ha1-sha256 [aors]); reload: /sipreg/reload" },
	{ "auth", "nonce_secret", K_STR, F(auth.nonce_secret), 0, 0, NULL, "HMAC key of nonces; default: random" },
	{ "auth", "nonce_secret_file", K_STR, F(auth.nonce_secret_file), 0, 0, NULL,
	  "file holding the HMAC key of nonces (instead of nonce_secret); rotated by /sipreg/reload" },
	{ "auth", "nonce_lifetime", K_U32, F(auth.nonce_lifetime_s), 0, 86400, NULL,
	  "seconds until a nonce is stale (0: never)" },
	{ "auth", "no_auth_domains", K_STR, F(auth.no_auth_domains), 0, 0, NULL,
	  "To domains served without authentication, comma-separated" },
	{ "auth", "replay_entries", K_U32, F(auth.replay_entries), 64, 1 << 24, NULL,
	  "nonce-count replay cache entries per worker" },
	{ "auth", "algorithms", K_STR, F(auth.algorithms), 0, 0, NULL,
	  "digest algorithms offered, in challenge order (SHA-256,MD5)" },
	{ "policy", "rules", K_STR, F(policy_rules), 0, 0, NULL,
	  "operator rules file (e.g. dpdk-config/policy-default.rules); empty: no policy" },
	{ "flood", "rate", K_U32, F(flood.rate), 0, 100000000, NULL,
	  "requests per second per source IP (per worker); 0: no rate limit" },
	{ "flood", "burst", K_U32, F(flood.burst), 0, 100000000, NULL, "token bucket depth; 0: same as rate" },
	{ "flood", "action", K_ENUM, F(flood_action), 0, 0, flood_actions,
	  "over the limit or blocked: drop (counted) or 503 with Retry-After" },
	{ "flood", "table_size", K_U32, F(flood.slots), 4, 1 << 24, NULL, "source addresses tracked per worker" },
	{ "flood", "auth_fail_limit", K_U32, F(flood.fail_limit), 0, 1000000, NULL,
	  "authentication failures that block a source; 0: never block" },
	{ "flood", "auth_fail_window", K_U32, F(flood.fail_window_s), 1, 86400, NULL,
	  "seconds within which those failures count" },
	{ "flood", "block_time", K_U32, F(flood.block_s), 1, 604800, NULL, "seconds a source stays blocked" },
	{ "push", "enable", K_BOOL, F(push.enable), 0, 0, NULL,
	  "RFC 8599 push notifications: wake sleeping mobile UAs through a push gateway" },
	{ "push", "providers", K_STR, F(push.providers), 0, 0, NULL,
	  "push services served, e.g. apns,fcm,webpush (a contact naming another: 555)" },
	{ "push", "match_params", K_STR, F(push.match_params), 0, 0, NULL,
	  "Contact URI parameters push bindings are matched on" },
	{ "push", "pnsreg_interval", K_U32, F(push.pnsreg_interval), 1, 86400, NULL,
	  "s before expiry a +sip.pnsreg UA refreshes by itself (Feature-Caps +sip.pnsreg)" },
	{ "push", "trigger_interval", K_U32, F(push.trigger_interval), 1, 86400, NULL,
	  "s before expiry a push binding not refreshed gets a refresh push" },
	{ "push", "skip_interval", K_U32, F(push.skip_interval), 0, 86400, NULL,
	  "s after a refresh during which a push contact counts as awake (no push)" },
	{ "push", "refresh_timeout", K_U32, F(push.refresh_timeout), 1, 300, NULL,
	  "s a held request waits for pushed devices to re-register (call: then 480)" },
	{ "push", "purr", K_BOOL, F(push.purr), 0, 0, NULL,
	  "PURR in the 200's Feature-Caps; mid-dialog requests naming it wait for a push (needs routing proxy with record_route)" },
	{ "push", "held", K_U32, F(push.held), 1, 1 << 20, NULL,
	  "requests held for pushes at once, per worker (past it: 503 with Retry-After)" },
	{ "push", "gateway_url", K_STR, F(push.gateway.url), 0, 0, NULL,
	  "push gateway (http/https): each event is POSTed as JSON; empty: listener stream only" },
	{ "push", "gateway_queue", K_U32, F(push.gateway.queue), 1, 1 << 20, NULL,
	  "events waiting for the gateway at most (full: dropped, counted)" },
	{ "push", "gateway_parallel", K_U32, F(push.gateway.parallel), 1, 256, NULL, "POSTs in flight at once" },
	{ "push", "gateway_timeout_ms", K_U32, F(push.gateway.timeout_ms), 10, 60000, NULL,
	  "one POST attempt at most, connecting included" },
	{ "push", "gateway_retries", K_U32, F(push.gateway.retries), 0, 10, NULL,
	  "attempts after the first (connect failure, timeout, 5xx, 408, 429)" },
	{ "push", "gateway_backoff_ms", K_U32, F(push.gateway.backoff_ms), 1, 60000, NULL,
	  "wait before the first retry, doubled per retry" },
	{ "replication", "redis", K_STR, F(repl.redis), 0, 0, NULL,
	  "Redis for replication: HOST:PORT, or HOST:PORT,HOST:PORT,... (Redis Cluster seeds); empty: off" },
	{ "replication", "role", K_ENUM, F(repl.role), 0, 0, repl_roles,
	  "active or standby at start (a replaced active comes back as standby)" },
	{ "replication", "durability", K_ENUM, F(repl.durability), 0, 0, durability_modes,
	  "async: answer at once; sync: hold each 200 until its change is in Redis (503 if it cannot be)" },
	{ "replication", "failover_ms", K_U32, F(repl.failover_ms), 100, 600000, NULL,
	  "a standby takes over when the active's heartbeat is this old" },
	{ "replication", "auto_failover", K_BOOL, F(repl.auto_failover), 0, 0, NULL,
	  "promote automatically (false: sipregctl promote only)" },
	{ "replication", "heartbeat_ms", K_U32, F(repl.heartbeat_ms), 0, 600000, NULL,
	  "heartbeat and standby check interval; 0: failover_ms / 5" },
	{ "replication", "wait_replicas", K_U32, F(repl.wait_replicas), 0, 64, NULL,
	  "a batch is durable once WAIT confirms this many Redis replicas; 0: no WAIT" },
	{ "replication", "wait_timeout_ms", K_U32, F(repl.wait_timeout_ms), 1, 60000, NULL, "WAIT's timeout" },
	{ "replication", "node_id", K_STR, F(repl.node_id), 0, 0, NULL,
	  "this node's name in Redis ([A-Za-z0-9_.-]); empty: <hostname>-<eal.file_prefix>" },
	{ "replication", "prefix", K_STR, F(repl.prefix), 0, 0, NULL, "key namespace in Redis" },
	{ "replication", "stream_len", K_U32, F(repl.stream_len), 16, 100000000, NULL,
	  "stream entries kept per node (MAXLEN ~); a standby further behind re-reads the keys" },
	{ "replication", "batch_events", K_U32, F(repl.batch_events), 1, 100000, NULL,
	  "changes per Redis command and stream entry" },
	{ "replication", "connections", K_U32, F(repl.connections), 1, SR_REPL_MAX_CONNECTIONS, NULL,
	  "one Redis: the writer's connections; an AoR's commands keep to one, the stream entry follows its keys" },
	{ "replication", "backlog_events", K_U32, F(repl.backlog_events), 1, 100000000, NULL,
	  "changes kept while Redis is away; beyond: dropped, then a full resynchronisation" },
	{ "replication", "timeout_ms", K_U32, F(repl.timeout_ms), 10, 600000, NULL,
	  "a Redis command unanswered this long drops its connection" },
	{ "replication", "reconnect_max_ms", K_U32, F(repl.reconnect_max_ms), 50, 600000, NULL,
	  "reconnection back-off ceiling (at most failover_ms / 4)" },
	{ "routing", "mode", K_ENUM, F(routing.mode), 0, 0, routing_modes,
	  "requests other than REGISTER: off (the registrar answers), redirect (302) or proxy (stateful)" },
	{ "routing", "record_route", K_BOOL, F(routing.record_route), 0, 0, NULL,
	  "proxy: add Record-Route to stay on the path of in-dialog requests" },
	{ "routing", "transactions", K_U32, F(routing.transactions), 16, 1 << 22, NULL,
	  "SIP transactions per worker at once (past it: 503 with Retry-After)" },
	{ "routing", "contexts", K_U32, F(routing.contexts), 4, 1 << 22, NULL,
	  "proxied requests in progress per worker at once (past it: 503 with Retry-After)" },
	{ "routing", "buffer_bytes", K_U32, F(routing.buffer_bytes), 512, 65535, NULL,
	  "bytes of each per-transaction buffer for retransmissions (larger messages: a large buffer)" },
	{ "routing", "large_buffers", K_U32, F(routing.large_buffers), 0, 65536, NULL,
	  "64 KiB buffers per worker for messages over routing.buffer_bytes" },
	{ "routing", "user_agent_filter", K_STR, F(routing.user_agent_filter), 0, 0, NULL,
	  "route only to bindings whose User-Agent matches this hyperscan pattern; empty: all" },
	{ "nat", "ping_interval", K_U32, F(nat.ping_interval), 0, 3600, NULL,
	  "seconds between keepalives (OPTIONS; double CRLF for outbound flows) to each contact behind NAT; 0: off" },
	{ "nat", "ping_timeout", K_U32, F(nat.ping_timeout), 0, 86400, NULL,
	  "a contact behind NAT that answers no ping for this long is removed; 0: never" },
};

#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

static void defaults(struct sr_app_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->eal_file_prefix, sizeof(c->eal_file_prefix), "sipreg");
	c->rx_desc = 1024;
	c->tx_desc = 1024;
	c->rx_data_room = 2048;
	inet_pton(AF_INET, "198.51.100.1", &c->ip);
	c->sip_port = 5060;
	c->reasm_flows = 1024;
	c->reasm_timeout_ms = 2000;
	c->prefix_len = 24;
	c->neighbours = 4096;
	c->burst = 32;
	c->ring_size = 4096;
	c->expire_budget = 64;
	c->query_timeout_ms = 500;
	c->ctl_socket[0] = '\0'; /* next to DPDK's telemetry socket, where sipregctl --prefix looks */
	snprintf(c->data_dir, sizeof(c->data_dir), "/var/lib/sipreg");
	c->flush_ms = 5;
	c->batch_events = 10000;
	c->event_ring = 8192;
	c->event_slot_bytes = 2048;
	c->map_size = 4ull << 30;
	c->eal_prefault = true;
	snprintf(c->metrics, sizeof(c->metrics), "127.0.0.1:9464");
	sr_reg_config_defaults(&c->reg);
	sr_midreg_options_defaults(&c->mid);
	sr_auth_config_defaults(&c->auth);
	c->flood.slots = 65536;
	c->flood.fail_window_s = 60;
	c->flood.block_s = 300;
	sr_push_config_defaults(&c->push);
	sr_repl_config_defaults(&c->repl);
	c->routing.transactions = 16384;
	c->routing.contexts = 4096;
	c->routing.buffer_bytes = 2048;
	c->routing.large_buffers = 16;
}

static int parse_int(const char *v, int64_t min, int64_t max, int64_t *out)
{
	char *end;
	errno = 0;
	long long x = strtoll(v, &end, 0);
	if (errno || end == v || *end != '\0' || x < min || x > max)
		return -1;
	*out = x;
	return 0;
}

static int parse_u64(const char *v, uint64_t *out)
{
	char *end;
	errno = 0;
	if (*v == '-')
		return -1;
	unsigned long long x = strtoull(v, &end, 0);
	if (errno || end == v || *end != '\0')
		return -1;
	*out = x;
	return 0;
}

static int parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = { "1", "true", "yes", "on" }, *const no[] = { "0", "false", "no", "off" };
	for (int i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0)
			return *out = true, 0;
		if (strcasecmp(v, no[i]) == 0)
			return *out = false, 0;
	}
	return -1;
}

static const char *set_domains(struct sr_app_config *c, const char *v, char *err, size_t err_len)
{
	char buf[4096];
	if (strlen(v) >= sizeof(buf))
		return snprintf(err, err_len, "registrar.domains: list too long"), err;
	snprintf(buf, sizeof(buf), "%s", v);
	c->reg.n_domains = 0;
	for (char *save, *tok = strtok_r(buf, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
		if (sr_reg_config_add_domain(&c->reg, tok) != 0)
			return snprintf(err, err_len,
					"registrar.domains: '%s' is too long or there are more than %d domains",
					tok, SR_REG_MAX_DOMAINS),
			       err;
	}
	return NULL;
}

const char *sr_app_config_set(struct sr_app_config *c, const char *section, const char *name,
			      const char *v, char *err, size_t err_len)
{
	const struct key *k = NULL;
	for (size_t i = 0; i < N_KEYS; i++) {
		if (strcmp(keys[i].section, section) == 0 && strcmp(keys[i].name, name) == 0) {
			k = &keys[i];
			break;
		}
	}
	if (k == NULL) {
		snprintf(err, err_len, "%s.%s: unknown key (sipreg --help lists them)", section, name);
		return err;
	}
	void *field = (char *)c + k->off;
	int64_t i64;
	uint64_t u64;
	bool b;

	switch (k->type) {
	case K_U32:
		if (parse_int(v, k->min, k->max, &i64) != 0)
			goto range;
		*(uint32_t *)field = (uint32_t)i64;
		return NULL;
	case K_INT:
		if (parse_int(v, k->min, k->max, &i64) != 0)
			goto range;
		*(int *)field = (int)i64;
		return NULL;
	case K_U64:
		if (parse_u64(v, &u64) != 0) {
			snprintf(err, err_len, "%s.%s: '%s' is not a non-negative number", section, name, v);
			return err;
		}
		*(uint64_t *)field = u64;
		if (field == &c->reg.secret)
			c->secret_set = true;
		return NULL;
	case K_BOOL:
		if (parse_bool(v, &b) != 0) {
			snprintf(err, err_len, "%s.%s: '%s' is not a boolean (true/false)", section, name, v);
			return err;
		}
		*(bool *)field = b;
		return NULL;
	case K_STR:
		if (strlen(v) >= k->size) {
			snprintf(err, err_len, "%s.%s: longer than %zu characters", section, name, k->size - 1);
			return err;
		}
		memcpy(field, v, strlen(v) + 1);
		return NULL;
	case K_IPV4:
		if (inet_pton(AF_INET, v, field) != 1) {
			snprintf(err, err_len, "%s.%s: '%s' is not an IPv4 address", section, name, v);
			return err;
		}
		return NULL;
	case K_DOMAINS:
		return set_domains(c, v, err, err_len);
	case K_ENUM:
		for (unsigned i = 0; k->names[i]; i++) {
			if (strcasecmp(v, k->names[i]) == 0) {
				*(unsigned *)field = i;
				return NULL;
			}
		}
		{
			size_t n = (size_t)snprintf(err, err_len, "%s.%s: '%s' is not one of:", section, name, v);
			for (unsigned i = 0; k->names[i] && n < err_len; i++)
				n += (size_t)snprintf(err + n, err_len - n, "%s %s", i ? "," : "", k->names[i]);
		}
		return err;
	}
range:
	snprintf(err, err_len, "%s.%s: '%s' is not a number in [%" PRId64 ", %" PRId64 "]", section, name, v,
		 k->min, k->max);
	return err;
}

struct ini_ctx {
	struct sr_app_config *c;
	const char *file;
	char err[512];
	bool failed;
};

static int on_ini_key(void *user, const char *section, const char *name, const char *value)
{
	struct ini_ctx *x = user;
	char msg[400];
	if (x->failed)
		return 0;
	if (sr_app_config_set(x->c, section, name, value, msg, sizeof(msg)) != NULL) {
		snprintf(x->err, sizeof(x->err), "%s: %s", x->file, msg);
		x->failed = true;
		return 0;
	}
	return 1;
}

uint32_t sr_app_config_netmask(const struct sr_app_config *c)
{
	return c->prefix_len ? htonl(~0u << (32 - c->prefix_len)) : 0;
}

static bool on_link(const struct sr_app_config *c, uint32_t ip)
{
	return ((ip ^ c->ip) & sr_app_config_netmask(c)) == 0;
}

/* Cross-key rules and the core's own check. */
static const char *check(const struct sr_app_config *c, char *err, size_t err_len)
{
	const char *m = sr_reg_config_check(&c->reg);
	if (m)
		return snprintf(err, err_len, "%s", m), err;
	if (c->gateway && !on_link(c, c->gateway))
		return snprintf(err, err_len, "net.gateway: not on net.address/net.prefix_len"), err;
	if (c->burst > c->rx_desc)
		return snprintf(err, err_len, "workers.burst: larger than port.rx_desc"), err;
	if ((m = sr_midreg_options_check(&c->mid)) != NULL)
		return snprintf(err, err_len, "%s", m), err;
	if (c->role == SR_ROLE_MID && c->mid.registrar[0] == '\0')
		return snprintf(err, err_len, "mid.registrar: needed when registrar.role is mid"), err;
	/* New contacts of a registered AoR never reach the main registrar in AoR throttling: only sipreg can check them. */
	if (c->role == SR_ROLE_MID && c->mid.mode == SR_MIDREG_AOR_THROTTLING && !c->auth.enabled)
		return snprintf(err, err_len, "mid.mode: aor-throttling absorbs an AoR's new contacts, so it needs "
			       "auth.enabled (docs/MID_REGISTRAR.md)"), err;
	/* a change claims an event slot per binding it touches before it is made (persist.c): the largest
	 * REGISTER (its contacts and evictions, or Contact: * on a full AoR) must be able to get them */
	if (c->persistence && c->event_ring < c->reg.max_contacts + SR_LOC_TXN_MAX)
		return snprintf(err, err_len, "control.event_ring: %u slots cannot hold the events of one REGISTER "
				"(registrar.max_contacts + %u); raise it", c->event_ring, SR_LOC_TXN_MAX), err;
	if (c->eal_file_prefix[0] == '\0')
		return snprintf(err, err_len, "eal.file_prefix: must not be empty"), err;
	if (c->auth.enabled && c->auth.subscribers[0] == '\0')
		return snprintf(err, err_len, "auth.subscribers: needed when auth.enabled is true"), err;
	if (c->auth.enabled) { /* --check finds a broken subscriber file too */
		char why[400];
		struct sr_creds *creds = sr_creds_load(c->auth.subscribers, why, sizeof(why));
		if (!creds)
			return snprintf(err, err_len, "auth.subscribers: %s", why), err;
		sr_creds_free(creds);
	}
	if ((m = sr_push_config_check(&c->push, err, err_len)) != NULL)
		return m;
	/* a PURR only comes back on mid-dialog requests that pass through us (the manual refuses the same) */
	if (c->push.purr && (c->routing.mode != SR_ROUTE_PROXY || !c->routing.record_route))
		return snprintf(err, err_len, "push.purr: needs routing.mode=proxy and routing.record_route=true"), err;
	if (c->nat.ping_interval && c->nat.ping_timeout > (uint64_t)c->nat.ping_interval * SR_NAT_MAX_MISSED)
		return snprintf(err, err_len, "nat.ping_timeout: more than %u times nat.ping_interval",
				SR_NAT_MAX_MISSED), err;
	if (c->routing.contexts > c->routing.transactions)
		return snprintf(err, err_len, "routing.contexts: more than routing.transactions"), err;
	if (c->routing.user_agent_filter[0]) { /* --check finds a pattern hyperscan refuses */
		char why[256];
		struct sr_route_ua *u = sr_route_ua_create(c->routing.user_agent_filter, why, sizeof(why));
		if (u == NULL)
			return snprintf(err, err_len, "routing.user_agent_filter: %s", why), err;
		sr_route_ua_free(u);
	}
	if (c->auth.nonce_secret[0] && c->auth.nonce_secret_file[0])
		return snprintf(err, err_len, "auth.nonce_secret and auth.nonce_secret_file: set one, not both"), err;
	if (c->auth.enabled && c->auth.nonce_secret_file[0]) {
		char why[400];
		unsigned char secret[SR_NONCE_SECRET_MAX];
		size_t len;
		if (sr_nonce_secret_read(c->auth.nonce_secret_file, secret, &len, why, sizeof(why)) != 0)
			return snprintf(err, err_len, "auth.nonce_secret_file: %s", why), err;
	}
	return sr_repl_config_check(&c->repl, err, err_len);
}

/*
 * replication.node_id defaults to <hostname>-<eal.file_prefix>: unique per
 * instance on one machine (each needs its own file prefix), readable in
 * Redis. Characters Redis keys of ours do not allow become '-'.
 */
static void default_node_id(struct sr_app_config *c)
{
	if (!sr_repl_enabled(&c->repl) || c->repl.node_id[0])
		return;
	char host[256] = "";
	if (gethostname(host, sizeof(host) - 1) != 0 || !host[0])
		snprintf(host, sizeof(host), "sipreg");
	char full[sizeof(host) + sizeof(c->eal_file_prefix) + 1];
	snprintf(full, sizeof(full), "%s-%s", host, c->eal_file_prefix);
	char *id = c->repl.node_id;
	size_t n = strlen(full), cap = sizeof(c->repl.node_id) - 1;
	size_t cut = n > cap ? n - cap : 0; /* too long: keep the end, which holds the file prefix */
	memcpy(id, full + cut, n - cut + 1);
	for (char *p = id; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' ||
		      *p == '.' || *p == '-'))
			*p = '-';
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: sipreg [--config FILE] [--set section.key=value]... [--check] [--help] [--version]\n"
		"\n"
		"A SIP registrar on DPDK. The main lcore is the control core, every other lcore a\n"
		"worker with its own RX/TX queue and binding shard. --check validates the\n"
		"configuration and prints the EAL arguments without starting anything.\n"
		"Keys (file: [section] key = value):\n\n");
	for (size_t i = 0; i < N_KEYS; i++) {
		char full[64];
		snprintf(full, sizeof(full), "%s.%s", keys[i].section, keys[i].name);
		fprintf(f, "  %-34s %s\n", full, keys[i].help);
	}
}

int sr_app_config_load(struct sr_app_config *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "set", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "check", no_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	const char *file = NULL;
	char err[512];
	int o;

	defaults(c);
	/* first pass: find --config, --help, --version; --set is applied after the file */
	optind = 0; /* 0: glibc re-initialises getopt fully (the function may run twice) */
	while ((o = getopt_long(argc, argv, "c:s:hVk", opts, NULL)) != -1) {
		switch (o) {
		case 'c':
			file = optarg;
			break;
		case 's':
			break;
		case 'k':
			c->check_only = true;
			break;
		case 'h':
			usage(stdout);
			return 1;
		case 'V':
			printf("sipreg %s\n", SR_VERSION);
			return 1;
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "sipreg: unexpected argument '%s' (EAL arguments go in eal.args)\n", argv[optind]);
		return -1;
	}
	if (file) {
		struct ini_ctx x = { .c = c, .file = file };
		int rc = ini_parse(file, on_ini_key, &x);
		if (x.failed) {
			fprintf(stderr, "sipreg: config %s\n", x.err);
			return -1;
		}
		if (rc < 0) {
			fprintf(stderr, "sipreg: config %s: cannot read the file\n", file);
			return -1;
		}
		if (rc > 0) {
			fprintf(stderr, "sipreg: config %s: syntax error on line %d\n", file, rc);
			return -1;
		}
	}
	optind = 0;
	while ((o = getopt_long(argc, argv, "c:s:hVk", opts, NULL)) != -1) {
		if (o != 's')
			continue;
		char kv[1200], *eq, *dot;
		snprintf(kv, sizeof(kv), "%s", optarg);
		eq = strchr(kv, '=');
		dot = strchr(kv, '.');
		if (eq == NULL || dot == NULL || dot > eq) {
			fprintf(stderr, "sipreg: --set %s: expected section.key=value\n", optarg);
			return -1;
		}
		*eq = '\0';
		*dot = '\0';
		if (sr_app_config_set(c, kv, dot + 1, eq + 1, err, sizeof(err)) != NULL) {
			fprintf(stderr, "sipreg: --set: %s\n", err);
			return -1;
		}
	}
	if (!c->secret_set && getrandom(&c->reg.secret, sizeof(c->reg.secret), 0) != sizeof(c->reg.secret)) {
		fprintf(stderr, "sipreg: registrar.secret: no random source, set it explicitly\n");
		return -1;
	}
	default_node_id(c);
	if (getrandom(c->routing.secret, sizeof(c->routing.secret), 0) != sizeof(c->routing.secret)) {
		fprintf(stderr, "sipreg: routing: no random source for the branch secret\n");
		return -1;
	}
	if (check(c, err, sizeof(err)) != NULL) {
		fprintf(stderr, "sipreg: config: %s\n", err);
		return -1;
	}
	sr_push_rules_init(&c->reg.push, &c->push, err, sizeof(err)); /* checked above: cannot fail */
	/* the PURRs the 200 hands out are checked by whichever worker gets the request: one shared key */
	c->reg.purr_secret[0] = c->routing.secret[0];
	c->reg.purr_secret[1] = c->routing.secret[1];
	return 0;
}
