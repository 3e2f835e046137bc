/*
 * repl_config.c - defaults, the endpoint list parser and the checks.
 *
 * Defaults: failover after 2 s without a heartbeat (a beat every 400 ms),
 * 256 changes per command (large enough that Redis spends its time on
 * the data, small enough that one command blocks Redis for well under a
 * millisecond), one million changes of backlog (about three minutes at
 * 5,000 REGISTERs a second) and 100,000 stream entries per node.
 */
#include "repl_config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sr_repl_config_defaults(struct sr_repl_config *c)
{
	memset(c, 0, sizeof(*c));
	c->role = SR_REPL_ROLE_ACTIVE;
	c->durability = SR_REPL_ASYNC;
	c->failover_ms = 2000;
	c->auto_failover = true;
	c->wait_timeout_ms = 100;
	snprintf(c->prefix, sizeof(c->prefix), "sipreg");
	c->stream_len = 100000;
	c->batch_events = 256;
	c->connections = 4; /* with appendfsync always, each adds 16 KB per fsync (repl_client.h) */
	c->backlog_events = 1000000;
	c->timeout_ms = 1000;
	c->reconnect_max_ms = 2000;
}

static int parse_one(const char *s, size_t n, struct sr_repl_endpoint *e, char *err, size_t err_len)
{
	const char *colon = NULL;
	for (size_t i = 0; i < n; i++)
		if (s[i] == ':')
			colon = s + i;
	if (!colon || colon == s || (size_t)(colon - s) >= sizeof(e->host)) {
		snprintf(err, err_len, "replication.redis: '%.*s' is not HOST:PORT", (int)n, s);
		return -1;
	}
	char port[8];
	size_t pl = n - (size_t)(colon - s) - 1;
	if (pl == 0 || pl >= sizeof(port)) {
		snprintf(err, err_len, "replication.redis: '%.*s' has no valid port", (int)n, s);
		return -1;
	}
	memcpy(port, colon + 1, pl);
	port[pl] = '\0';
	char *end;
	errno = 0;
	long p = strtol(port, &end, 10);
	if (errno || *end || p < 1 || p > 65535) {
		snprintf(err, err_len, "replication.redis: '%.*s' has no valid port", (int)n, s);
		return -1;
	}
	memcpy(e->host, s, (size_t)(colon - s));
	e->host[colon - s] = '\0';
	e->port = (uint16_t)p;
	return 0;
}

int sr_repl_parse_redis(const char *v, struct sr_repl_endpoint *out, int max, char *err, size_t err_len)
{
	int n = 0;
	const char *p = v;
	while (*p) {
		while (*p == ' ' || *p == ',')
			p++;
		if (!*p)
			break;
		size_t len = strcspn(p, ", ");
		if (n == max) {
			snprintf(err, err_len, "replication.redis: more than %d nodes", max);
			return -1;
		}
		if (parse_one(p, len, &out[n], err, err_len) != 0)
			return -1;
		n++;
		p += len;
	}
	if (n == 0) {
		snprintf(err, err_len, "replication.redis: no HOST:PORT given");
		return -1;
	}
	return n;
}

uint32_t sr_repl_heartbeat_ms(const struct sr_repl_config *c)
{
	if (c->heartbeat_ms)
		return c->heartbeat_ms;
	uint32_t h = c->failover_ms / 5;
	return h ? h : 1;
}

const char *sr_repl_config_check(const struct sr_repl_config *c, char *err, size_t err_len)
{
	if (!sr_repl_enabled(c)) {
		if (c->durability == SR_REPL_SYNC)
			return snprintf(err, err_len, "replication.durability=sync needs replication.redis"), err;
		return NULL;
	}
	struct sr_repl_endpoint eps[SR_REPL_MAX_SEEDS];
	if (sr_repl_parse_redis(c->redis, eps, SR_REPL_MAX_SEEDS, err, err_len) < 0)
		return err;
	if (!sr_repl_name_ok(c->prefix))
		return snprintf(err, err_len, "replication.prefix: 1 to %d characters of A-Z a-z 0-9 _ . -",
				SR_REPL_NAME_MAX), err;
	if (!sr_repl_name_ok(c->node_id))
		return snprintf(err, err_len, "replication.node_id: 1 to %d characters of A-Z a-z 0-9 _ . -",
				SR_REPL_NAME_MAX), err;
	if (sr_repl_heartbeat_ms(c) >= c->failover_ms)
		return snprintf(err, err_len, "replication.heartbeat_ms: must be shorter than replication.failover_ms"),
		       err;
	if (c->backlog_events < c->batch_events)
		return snprintf(err, err_len, "replication.backlog_events: must hold at least one batch "
			       "(replication.batch_events)"), err;
	if (c->connections < 1 || c->connections > SR_REPL_MAX_CONNECTIONS)
		return snprintf(err, err_len, "replication.connections: 1 to %d", SR_REPL_MAX_CONNECTIONS), err;
	return NULL;
}
