/*
 * repl_config.h - the replication settings ([replication] keys of sipreg's
 * configuration) and the parser of replication.redis.
 *
 * Kept apart from the client so that app/sipreg/config.c validates the
 * keys without opening anything. replication.redis is "HOST:PORT" (one
 * Redis, with or without replicas) or "HOST:PORT,HOST:PORT,..." (the seed
 * nodes of a Redis Cluster; list at least two). HOST is an IPv4 address
 * or a name; names are resolved when connecting, which blocks the caller
 * for the resolver's time, so carrier deployments give addresses.
 */
#ifndef SR_REPL_CONFIG_H
#define SR_REPL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "repl_layout.h"

#define SR_REPL_MAX_SEEDS 16
#define SR_REPL_HOST_MAX 256
#define SR_REPL_MAX_CONNECTIONS 16

enum sr_repl_role_cfg { SR_REPL_ROLE_ACTIVE, SR_REPL_ROLE_STANDBY };
enum sr_repl_durability { SR_REPL_ASYNC, SR_REPL_SYNC };

struct sr_repl_endpoint {
	char host[SR_REPL_HOST_MAX];
	uint16_t port;
};

struct sr_repl_config {
	char redis[1024];          /* replication.redis; empty: replication off */
	unsigned role;             /* enum sr_repl_role_cfg */
	unsigned durability;       /* enum sr_repl_durability */
	uint32_t failover_ms;      /* heartbeat lifetime: a standby promotes when it lapses */
	bool auto_failover;        /* false: promotion by command only */
	uint32_t heartbeat_ms;     /* beat / check interval; 0: failover_ms / 5 */
	uint32_t wait_replicas;    /* WAIT this many replicas before a batch is durable; 0: no WAIT */
	uint32_t wait_timeout_ms;  /* WAIT's timeout */
	char node_id[SR_REPL_NAME_MAX + 1]; /* this node's name in Redis; empty: filled by the app */
	char prefix[SR_REPL_NAME_MAX + 1];  /* key namespace */
	uint32_t stream_len;       /* stream entries kept per node (MAXLEN ~) */
	uint32_t batch_events;     /* changes per pipelined command (and per stream entry) */
	uint32_t connections;      /* one Redis: the writer's connections (lanes, repl_client.h) */
	uint32_t backlog_events;   /* changes kept while Redis is slow or away; more: full resync */
	uint32_t timeout_ms;       /* a Redis command unanswered this long drops the connection */
	uint32_t reconnect_max_ms; /* back-off ceiling between connection attempts (at most failover_ms / 4) */
};

void sr_repl_config_defaults(struct sr_repl_config *c);

/*
 * Splits a replication.redis value into endpoints. Returns the count (1:
 * one Redis; 2 or more: cluster seeds), or -1 with a message in err.
 */
int sr_repl_parse_redis(const char *v, struct sr_repl_endpoint *out, int max, char *err, size_t err_len);

/* Cross-key checks of an enabled configuration; NULL or a message (in err) naming the key. */
const char *sr_repl_config_check(const struct sr_repl_config *c, char *err, size_t err_len);

/* The effective beat/check interval. */
uint32_t sr_repl_heartbeat_ms(const struct sr_repl_config *c);

static inline bool sr_repl_enabled(const struct sr_repl_config *c)
{
	return c->redis[0] != '\0';
}

#endif
