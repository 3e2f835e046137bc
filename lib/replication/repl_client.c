/*
 * repl_client.c - slot routing, the cluster map and redirections (see
 * repl_client.h).
 *
 * Design decisions:
 * - hiredis 0.14 has no cluster support and Debian has no hiredis-cluster,
 *   so the little a writer needs is here: CRC16 slots (repl_slot.c), one
 *   CLUSTER SLOTS map, MOVED/ASK. Replicas are never used: the writer and
 *   the follower only talk to masters.
 * - Each command keeps its formatted bytes until it is answered, so that a
 *   redirection re-sends exactly what was sent. They are formatted straight
 *   into one reused buffer per node (repl_sendbuf.h) and the command's
 *   record waits in a FIFO per node (repl_fifo.h): a connection answers in
 *   order, so the oldest record is the one answered. Before, each command
 *   cost a calloc and a malloc'd copy (bench/RESULTS.md, issue 16).
 * - Nodes are allocated one by one and never move (hiredis holds a pointer
 *   to each connection); a node that stops being a master keeps its
 *   connection (it may be a seed), it just receives nothing.
 */
#include "repl_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repl_cmd.h"
#include "repl_fifo.h"
#include "repl_sendbuf.h"

#define MAX_HOPS 5
#define REFRESH_RETRY_MS 200
#define REFRESH_WHILE_DOWN_MS 500

struct node {
	struct sr_repl_conn conn;
	bool master;
	struct sr_repl_fifo cmds;     /* struct cmd: sent on conn, not yet answered, oldest first */
	struct sr_repl_sendbuf bytes; /* their formatted bytes, by offset */
};

struct sr_repl_client {
	bool cluster, functions;
	const uint64_t *now;
	uint32_t timeout_ms, backoff_max_ms;
	struct node *nodes[SR_REPL_MAX_NODES];
	unsigned n_nodes;
	unsigned masters[SR_REPL_MAX_NODES]; /* node indexes, in map order (one Redis: its lanes) */
	unsigned n_masters;
	int16_t slot_node[SR_REPL_SLOTS];
	bool map_ok;
	bool refresh_due, refresh_in_flight;
	uint64_t refresh_at;
	bool paused;
	unsigned inflight; /* user commands not yet handed back */
	unsigned fd_node[SR_REPL_MAX_NODES];
	uint64_t moved, ask, map_refreshes, errors;
};

/* A user command sent on a node's connection (its bytes: node->bytes at off). */
struct cmd {
	uint64_t off;
	size_t len;
	uint32_t extra_ms;
	unsigned hops;
	bool no_redirect; /* SR_REPL_NO_REDIRECT */
	sr_repl_client_fn *fn;
	void *priv;
};

static void on_conn_state(void *owner, struct sr_repl_conn *c, bool up);

static int find_node(const struct sr_repl_client *cl, const char *host, uint16_t port)
{
	for (unsigned i = 0; i < cl->n_nodes; i++)
		if (cl->nodes[i]->conn.port == port && strcmp(cl->nodes[i]->conn.host, host) == 0)
			return (int)i;
	return -1;
}

/* A new node (connection) to host:port, even when one exists (lanes); its index or -1. */
static int new_node(struct sr_repl_client *cl, const char *host, uint16_t port, bool functions)
{
	if (cl->n_nodes == SR_REPL_MAX_NODES)
		return -1;
	struct node *n = calloc(1, sizeof(*n));
	if (!n)
		return -1;
	sr_repl_conn_init(&n->conn, host, port, functions, cl->now, cl->timeout_ms, cl->backoff_max_ms);
	n->conn.on_state = on_conn_state;
	n->conn.owner = cl;
	sr_repl_fifo_init(&n->cmds, sizeof(struct cmd));
	sr_repl_sendbuf_init(&n->bytes);
	cl->nodes[cl->n_nodes] = n;
	return (int)cl->n_nodes++;
}

static int add_node(struct sr_repl_client *cl, const char *host, uint16_t port, bool functions)
{
	int i = find_node(cl, host, port);
	return i >= 0 ? i : new_node(cl, host, port, functions);
}

struct sr_repl_client *sr_repl_client_new(const char *redis, bool functions, const uint64_t *now,
					  uint32_t timeout_ms, uint32_t backoff_max_ms, char *err, size_t err_len)
{
	struct sr_repl_endpoint eps[SR_REPL_MAX_SEEDS];
	int n = sr_repl_parse_redis(redis, eps, SR_REPL_MAX_SEEDS, err, err_len);
	if (n < 0)
		return NULL;
	struct sr_repl_client *cl = calloc(1, sizeof(*cl));
	if (!cl) {
		snprintf(err, err_len, "replication: out of memory");
		return NULL;
	}
	cl->cluster = n > 1;
	cl->functions = functions;
	cl->now = now;
	cl->timeout_ms = timeout_ms;
	cl->backoff_max_ms = backoff_max_ms;
	for (int i = 0; i < SR_REPL_SLOTS; i++)
		cl->slot_node[i] = -1;
	for (int i = 0; i < n; i++) {
		/* cluster seeds may be replicas: functions are loaded once the map says who is a master */
		if (add_node(cl, eps[i].host, eps[i].port, functions && !cl->cluster) < 0) {
			snprintf(err, err_len, "replication: out of memory");
			sr_repl_client_free(cl);
			return NULL;
		}
	}
	if (!cl->cluster) {
		cl->nodes[0]->master = true;
		cl->masters[0] = 0;
		cl->n_masters = 1;
		cl->map_ok = true;
	} else {
		cl->refresh_due = true;
		cl->refresh_at = *now;
	}
	return cl;
}

void sr_repl_client_free(struct sr_repl_client *cl)
{
	if (!cl)
		return;
	/* closing runs the pending callbacks (NULL replies), which empties each node's FIFO */
	for (unsigned i = 0; i < cl->n_nodes; i++)
		sr_repl_conn_close(&cl->nodes[i]->conn);
	for (unsigned i = 0; i < cl->n_nodes; i++) {
		sr_repl_fifo_fini(&cl->nodes[i]->cmds);
		sr_repl_sendbuf_fini(&cl->nodes[i]->bytes);
		free(cl->nodes[i]);
	}
	free(cl);
}

bool sr_repl_client_is_cluster(const struct sr_repl_client *cl)
{
	return cl->cluster;
}

int sr_repl_client_set_lanes(struct sr_repl_client *cl, unsigned lanes)
{
	if (cl->cluster || lanes == 0 || lanes > SR_REPL_MAX_NODES || cl->n_nodes != 1)
		return -1;
	const struct node *first = cl->nodes[0];
	for (unsigned i = 1; i < lanes; i++) {
		int ni = new_node(cl, first->conn.host, first->conn.port, first->conn.functions);
		if (ni < 0)
			return -1;
		cl->nodes[ni]->master = true;
		cl->masters[i] = (unsigned)ni;
	}
	cl->n_masters = lanes;
	/* named so that an operator (or a test) can tell the lanes apart in CLIENT LIST, and CLIENT KILL one */
	for (unsigned i = 0; i < lanes; i++) {
		char name[32];
		snprintf(name, sizeof(name), "sr-w-lane-%u", i);
		sr_repl_conn_set_name(&cl->nodes[cl->masters[i]]->conn, name);
	}
	return 0;
}

bool sr_repl_client_one_pipe(const struct sr_repl_client *cl)
{
	return !cl->cluster && cl->n_masters == 1;
}

static struct node *slot_owner(const struct sr_repl_client *cl, int slot)
{
	if (!cl->cluster && slot != SR_REPL_ANY_SLOT)
		return cl->nodes[cl->masters[slot % cl->n_masters]]; /* one Redis: the slot's lane */
	if (slot == SR_REPL_ANY_SLOT) {
		for (unsigned i = 0; i < cl->n_masters; i++)
			if (sr_repl_conn_ready(&cl->nodes[cl->masters[i]]->conn))
				return cl->nodes[cl->masters[i]];
		return NULL;
	}
	int n = cl->slot_node[slot];
	return n < 0 ? NULL : cl->nodes[n];
}

bool sr_repl_client_ready(const struct sr_repl_client *cl)
{
	if (cl->paused || !cl->map_ok || cl->n_masters == 0)
		return false;
	for (unsigned i = 0; i < cl->n_masters; i++)
		if (!sr_repl_conn_ready(&cl->nodes[cl->masters[i]]->conn))
			return false;
	return true;
}

bool sr_repl_client_slot_ready(const struct sr_repl_client *cl, int slot)
{
	if (cl->paused)
		return false;
	struct node *n = slot_owner(cl, slot);
	return n && sr_repl_conn_ready(&n->conn);
}

static void maybe_unpause(struct sr_repl_client *cl)
{
	if (cl->paused && cl->inflight == 0 && !cl->refresh_due && !cl->refresh_in_flight)
		cl->paused = false;
}

static void finish(struct sr_repl_client *cl, const struct cmd *k, redisReply *reply)
{
	if (reply && reply->type == REDIS_REPLY_ERROR)
		cl->errors++;
	cl->inflight--;
	k->fn(cl, reply, k->priv);
	maybe_unpause(cl);
}

static void cmd_reply(struct sr_repl_conn *c, redisReply *reply, void *priv);

/* "MOVED 3999 127.0.0.1:6381" / "ASK 3999 127.0.0.1:6381"; true when it is one. */
static bool parse_redirect(const redisReply *r, bool *ask, int *slot, char *host, size_t host_cap, uint16_t *port)
{
	if (!r || r->type != REDIS_REPLY_ERROR || !r->str)
		return false;
	const char *s = r->str;
	if (strncmp(s, "MOVED ", 6) == 0) {
		*ask = false;
		s += 6;
	} else if (strncmp(s, "ASK ", 4) == 0) {
		*ask = true;
		s += 4;
	} else {
		return false;
	}
	char *end;
	long sl = strtol(s, &end, 10);
	if (end == s || *end != ' ' || sl < 0 || sl >= SR_REPL_SLOTS)
		return false;
	s = end + 1;
	const char *colon = strrchr(s, ':');
	if (!colon || (size_t)(colon - s) >= host_cap)
		return false;
	long p = strtol(colon + 1, &end, 10);
	if (p < 1 || p > 65535 || *end)
		return false;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	*slot = (int)sl;
	*port = (uint16_t)p;
	return true;
}

static void ignore_reply(struct sr_repl_conn *c, redisReply *reply, void *priv)
{
	(void)c;
	(void)reply;
	(void)priv;
}

/*
 * Sends command k on node n's connection, its bytes already written at p
 * (reserved in n->bytes at k->off): its record goes into n's FIFO, then the
 * bytes to hiredis. On failure both are undone, newest first (the record,
 * then the bytes), so that n's FIFO and buffer are as before the reserve.
 */
static int queue_cmd(struct node *n, const struct cmd *k, const char *p)
{
	if (sr_repl_fifo_push(&n->cmds, k) != 0) {
		sr_repl_sendbuf_unreserve(&n->bytes, k->len);
		return -1;
	}
	if (sr_repl_conn_send(&n->conn, p, k->len, k->extra_ms, cmd_reply, n) != 0) {
		sr_repl_fifo_unpush(&n->cmds);
		sr_repl_sendbuf_unreserve(&n->bytes, k->len);
		return -1;
	}
	return 0;
}

/*
 * Queues command k, whose bytes are still in from->bytes, on node n's
 * connection: the same bytes, copied into n's buffer (n may be 'from').
 */
static int resend(struct node *n, const struct node *from, const struct cmd *k)
{
	struct cmd again = *k;
	char *p = sr_repl_sendbuf_reserve(&n->bytes, k->len, &again.off);
	if (!p)
		return -1;
	memcpy(p, sr_repl_sendbuf_at(&from->bytes, k->off), k->len); /* located after the reserve: it may move */
	return queue_cmd(n, &again, p);
}

/* k was answered by 'from' with a MOVED/ASK to follow: true when followed (k then lives on elsewhere). */
static bool redirect(struct sr_repl_client *cl, struct node *from, struct cmd *k, const redisReply *reply)
{
	const char *from_host = from->conn.host;
	bool ask;
	int slot;
	char host[SR_REPL_HOST_MAX];
	uint16_t port;
	if (!cl->cluster || !parse_redirect(reply, &ask, &slot, host, sizeof(host), &port))
		return false;
	if (host[0] == '\0') /* Redis leaves the host out when it is the one we asked */
		snprintf(host, sizeof(host), "%s", from_host);
	if (++k->hops > MAX_HOPS)
		return false; /* handed to the caller as the error it is */
	int ni = add_node(cl, host, port, cl->functions);
	if (ni < 0)
		return false;
	struct node *n = cl->nodes[ni];
	cl->paused = true;
	if (ask) {
		cl->ask++;
	} else {
		cl->moved++;
		cl->slot_node[slot] = (int16_t)ni;
		cl->refresh_due = true;
		cl->refresh_at = *cl->now;
	}
	if (k->no_redirect)
		return false; /* handed back: the caller re-sends its whole transaction */
	if (!n->conn.ac)
		sr_repl_conn_tick(&n->conn); /* connects now if not backing off */
	static const char asking[] = "*1\r\n$6\r\nASKING\r\n";
	if ((ask && sr_repl_conn_send(&n->conn, asking, sizeof(asking) - 1, 0, ignore_reply, NULL) != 0) ||
	    resend(n, from, k) != 0)
		finish(cl, k, NULL);
	return true;
}

/* The reply of the oldest command sent on node priv's connection. */
static void cmd_reply(struct sr_repl_conn *c, redisReply *reply, void *priv)
{
	struct node *n = priv;
	struct sr_repl_client *cl = c->owner;
	struct cmd k;
	if (sr_repl_fifo_pop(&n->cmds, &k) != 0)
		return; /* cannot happen: one record per command sent */
	/* its bytes stay until released here, after a redirection copied them */
	bool followed = redirect(cl, n, &k, reply);
	sr_repl_sendbuf_release(&n->bytes, k.off + k.len);
	if (!followed)
		finish(cl, &k, reply);
}

static int send_to(struct sr_repl_client *cl, struct node *n, int argc, const char **argv, const size_t *lens,
		   uint32_t extra_ms, unsigned flags, sr_repl_client_fn *fn, void *priv)
{
	if (cl->paused || !n || !sr_repl_conn_ready(&n->conn))
		return -1;
	int64_t len = sr_repl_resp_size(argc, argv, lens);
	if (len < 0)
		return -1;
	struct cmd k = { .len = (size_t)len, .extra_ms = extra_ms, .no_redirect = flags & SR_REPL_NO_REDIRECT,
			 .fn = fn, .priv = priv };
	char *p = sr_repl_sendbuf_reserve(&n->bytes, k.len, &k.off);
	if (!p)
		return -1;
	sr_repl_resp_write(p, argc, argv, lens);
	if (queue_cmd(n, &k, p) != 0)
		return -1;
	cl->inflight++;
	return 0;
}

int sr_repl_client_send(struct sr_repl_client *cl, int slot, int argc, const char **argv, const size_t *lens,
			uint32_t extra_ms, sr_repl_client_fn *fn, void *priv)
{
	return send_to(cl, slot_owner(cl, slot), argc, argv, lens, extra_ms, 0, fn, priv);
}

int sr_repl_client_send_flags(struct sr_repl_client *cl, int slot, int argc, const char **argv, const size_t *lens,
			      uint32_t extra_ms, unsigned flags, sr_repl_client_fn *fn, void *priv)
{
	return send_to(cl, slot_owner(cl, slot), argc, argv, lens, extra_ms, flags, fn, priv);
}

unsigned sr_repl_client_masters(const struct sr_repl_client *cl)
{
	return cl->n_masters;
}

int sr_repl_client_send_master(struct sr_repl_client *cl, unsigned i, int argc, const char **argv,
			       const size_t *lens, uint32_t extra_ms, sr_repl_client_fn *fn, void *priv)
{
	if (i >= cl->n_masters)
		return -1;
	return send_to(cl, cl->nodes[cl->masters[i]], argc, argv, lens, extra_ms, 0, fn, priv);
}

int sr_repl_client_master_of(const struct sr_repl_client *cl, int slot)
{
	if (!cl->cluster)
		return slot % (int)cl->n_masters; /* one Redis: the lane */
	int n = cl->slot_node[slot];
	for (unsigned i = 0; n >= 0 && i < cl->n_masters; i++)
		if (cl->masters[i] == (unsigned)n)
			return (int)i;
	return -1;
}

/* One CLUSTER SLOTS entry: [start, end, [host, port, ...], replicas...]. */
static int map_range(struct sr_repl_client *cl, const redisReply *e, const char *asked, int16_t *map)
{
	if (e->type != REDIS_REPLY_ARRAY || e->elements < 3 || e->element[0]->type != REDIS_REPLY_INTEGER ||
	    e->element[1]->type != REDIS_REPLY_INTEGER || e->element[2]->type != REDIS_REPLY_ARRAY ||
	    e->element[2]->elements < 2 || e->element[2]->element[0]->type != REDIS_REPLY_STRING ||
	    e->element[2]->element[1]->type != REDIS_REPLY_INTEGER)
		return -1;
	long long lo = e->element[0]->integer, hi = e->element[1]->integer;
	const redisReply *m = e->element[2];
	long long port = m->element[1]->integer;
	if (lo < 0 || hi >= SR_REPL_SLOTS || lo > hi || port < 1 || port > 65535)
		return -1;
	const char *host = m->element[0]->len && strcmp(m->element[0]->str, "?") != 0 ? m->element[0]->str : asked;
	int ni = add_node(cl, host, (uint16_t)port, cl->functions);
	if (ni < 0)
		return -1;
	for (long long s = lo; s <= hi; s++)
		map[s] = (int16_t)ni;
	return 0;
}

static void slots_reply(struct sr_repl_conn *c, redisReply *r, void *priv)
{
	struct sr_repl_client *cl = priv;
	cl->refresh_in_flight = false;
	if (!r || r->type != REDIS_REPLY_ARRAY) {
		cl->refresh_due = true;
		cl->refresh_at = *cl->now + REFRESH_RETRY_MS;
		return;
	}
	int16_t map[SR_REPL_SLOTS];
	for (int i = 0; i < SR_REPL_SLOTS; i++)
		map[i] = -1;
	for (size_t i = 0; i < r->elements; i++) {
		if (map_range(cl, r->element[i], c->host, map) != 0) {
			cl->refresh_due = true;
			cl->refresh_at = *cl->now + REFRESH_RETRY_MS;
			return;
		}
	}
	bool complete = true;
	for (int i = 0; i < SR_REPL_SLOTS; i++)
		complete &= map[i] >= 0;
	memcpy(cl->slot_node, map, sizeof(map));
	for (unsigned i = 0; i < cl->n_nodes; i++)
		cl->nodes[i]->master = false;
	cl->n_masters = 0;
	for (int s = 0; s < SR_REPL_SLOTS; s++) {
		if (map[s] < 0 || cl->nodes[map[s]]->master)
			continue;
		struct node *n = cl->nodes[map[s]];
		n->master = true;
		cl->masters[cl->n_masters++] = (unsigned)map[s];
		if (cl->functions)
			sr_repl_conn_load_functions(&n->conn);
	}
	for (unsigned i = 0; i < cl->n_nodes; i++)
		if (!cl->nodes[i]->master && cl->nodes[i]->conn.functions)
			cl->nodes[i]->conn.functions = false; /* a replica refuses FUNCTION LOAD */
	cl->map_ok = complete;
	cl->map_refreshes++;
	if (!complete) { /* a cluster being set up or failing over: ask again */
		cl->refresh_due = true;
		cl->refresh_at = *cl->now + REFRESH_RETRY_MS;
	}
	maybe_unpause(cl);
}

static void refresh(struct sr_repl_client *cl)
{
	uint64_t now = *cl->now;
	bool any_down = false;
	for (unsigned i = 0; i < cl->n_masters; i++)
		any_down |= !sr_repl_conn_ready(&cl->nodes[cl->masters[i]]->conn);
	if (any_down && !cl->refresh_due) {
		cl->refresh_due = true;
		cl->refresh_at = now + REFRESH_WHILE_DOWN_MS;
	}
	if (!cl->refresh_due || cl->refresh_in_flight || now < cl->refresh_at)
		return;
	/* ask a master if one is up, else any node (the seeds) */
	struct node *ask = NULL;
	for (unsigned i = 0; i < cl->n_nodes && !ask; i++)
		if (cl->nodes[i]->master && sr_repl_conn_ready(&cl->nodes[i]->conn))
			ask = cl->nodes[i];
	for (unsigned i = 0; i < cl->n_nodes && !ask; i++)
		if (sr_repl_conn_ready(&cl->nodes[i]->conn))
			ask = cl->nodes[i];
	if (!ask) {
		cl->refresh_at = now + REFRESH_RETRY_MS;
		return;
	}
	static const char cmd[] = "*2\r\n$7\r\nCLUSTER\r\n$5\r\nSLOTS\r\n";
	if (sr_repl_conn_send(&ask->conn, cmd, sizeof(cmd) - 1, 0, slots_reply, cl) == 0) {
		cl->refresh_due = false;
		cl->refresh_in_flight = true;
	} else {
		cl->refresh_at = now + REFRESH_RETRY_MS;
	}
}

static void on_conn_state(void *owner, struct sr_repl_conn *c, bool up)
{
	struct sr_repl_client *cl = owner;
	(void)c;
	if (!up && cl->cluster && !cl->refresh_due) {
		cl->refresh_due = true;
		cl->refresh_at = *cl->now + REFRESH_RETRY_MS;
	}
}

void sr_repl_client_tick(struct sr_repl_client *cl)
{
	for (unsigned i = 0; i < cl->n_nodes; i++)
		sr_repl_conn_tick(&cl->nodes[i]->conn);
	if (cl->cluster)
		refresh(cl);
	maybe_unpause(cl);
}

unsigned sr_repl_client_fds(struct sr_repl_client *cl, struct pollfd *fds, unsigned max)
{
	unsigned n = 0;
	for (unsigned i = 0; i < cl->n_nodes && n < max; i++) {
		short ev;
		int fd = sr_repl_conn_fd(&cl->nodes[i]->conn, &ev);
		if (fd < 0)
			continue;
		fds[n] = (struct pollfd){ .fd = fd, .events = ev };
		cl->fd_node[n++] = i;
	}
	return n;
}

void sr_repl_client_handle(struct sr_repl_client *cl, const struct pollfd *fds, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct sr_repl_conn *c = &cl->nodes[cl->fd_node[i]]->conn;
		/* the connection may have been replaced since the poll set was built */
		if (fds[i].revents && c->ac && c->ac->c.fd == fds[i].fd)
			sr_repl_conn_handle(c, fds[i].revents);
	}
}

void sr_repl_client_counts(const struct sr_repl_client *cl, struct sr_repl_client_counts *out)
{
	memset(out, 0, sizeof(*out));
	out->moved = cl->moved;
	out->ask = cl->ask;
	out->map_refreshes = cl->map_refreshes;
	out->errors = cl->errors;
	for (unsigned i = 0; i < cl->n_nodes; i++) {
		out->timeouts += cl->nodes[i]->conn.timeouts;
		out->reconnects += cl->nodes[i]->conn.connects;
	}
	out->masters = cl->n_masters;
	for (unsigned i = 0; i < cl->n_masters; i++)
		out->masters_up += sr_repl_conn_ready(&cl->nodes[cl->masters[i]]->conn);
}

const char *sr_repl_client_last_error(const struct sr_repl_client *cl)
{
	for (unsigned i = 0; i < cl->n_nodes; i++) {
		const struct sr_repl_conn *c = &cl->nodes[i]->conn;
		if ((cl->nodes[i]->master || !cl->cluster) && !sr_repl_conn_ready(c) && c->last_error[0])
			return c->last_error;
	}
	return "";
}
