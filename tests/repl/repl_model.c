/*
 * repl_model.c - the reference model and the driving loop (see
 * repl_model.h).
 */
#include "repl_model.h"

#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redis_proc.h"

void model_init(struct model *m, unsigned n_aors)
{
	memset(m, 0, sizeof(*m));
	m->n_aors = n_aors;
}

size_t model_aor(unsigned i, char *out, size_t cap)
{
	return (size_t)snprintf(out, cap, "sip:user%06u@example.com", i);
}

size_t model_rec(unsigned i, unsigned id, uint32_t ver, uint8_t *out)
{
	memset(out, '.', M_REC_LEN);
	int n = snprintf((char *)out, M_REC_LEN, "rec:%u:%u:%u", i, id, ver);
	out[n] = '.'; /* no NUL inside: records are bytes */
	return M_REC_LEN;
}

static bool parse_rec(const uint8_t *rec, size_t len, unsigned *i, unsigned *id, uint32_t *ver)
{
	char buf[M_REC_LEN + 1];
	if (len != M_REC_LEN)
		return false;
	memcpy(buf, rec, len);
	buf[len] = '\0';
	return sscanf(buf, "rec:%u:%u:%u", i, id, ver) == 3 && *i < M_AORS && *id >= 1 && *id <= M_IDS;
}

static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

void model_put(struct model *m, unsigned i, unsigned id, uint32_t expires, struct model_change *out)
{
	struct mbind *b = &m->b[i][id - 1];
	out->c.op = b->present ? SR_REPL_REFRESHED : SR_REPL_ADDED;
	b->present = true;
	b->expires = expires;
	b->ver++;
	out->c.id = id;
	out->c.expires = expires;
	out->c.aor_len = model_aor(i, out->aor, sizeof(out->aor));
	out->c.aor = out->aor;
	out->c.rec_len = model_rec(i, id, b->ver, out->rec);
	out->c.rec = out->rec;
}

void model_remove(struct model *m, unsigned i, unsigned id, struct model_change *out)
{
	struct mbind *b = &m->b[i][id - 1];
	b->present = false;
	out->c.op = SR_REPL_REMOVED;
	out->c.id = id;
	out->c.expires = b->expires;
	out->c.aor_len = model_aor(i, out->aor, sizeof(out->aor));
	out->c.aor = out->aor;
	out->c.rec = NULL;
	out->c.rec_len = 0;
}

void model_step(struct model *m, uint64_t *rng, uint32_t now_s, uint32_t ttl, struct model_change *out)
{
	uint64_t x = next_rand(rng);
	unsigned i = (unsigned)(x % m->n_aors);
	unsigned id = (unsigned)((x >> 32) % M_IDS) + 1;
	if (m->b[i][id - 1].present && (x >> 40) % 4 == 0)
		model_remove(m, i, id, out);
	else
		model_put(m, i, id, now_s + ttl, out);
}

void model_follow(void *ctx, const struct sr_repl_follow_ev *ev)
{
	struct model *m = ctx;
	const struct sr_repl_change *c = ev->change;
	unsigned i, id;
	uint32_t ver;
	switch (ev->kind) {
	case SR_FOLLOW_SNAPSHOT_BEGIN:
		m->gen++;
		return;
	case SR_FOLLOW_SNAPSHOT_END:
		for (unsigned a = 0; a < M_AORS; a++)
			for (unsigned k = 0; k < M_IDS; k++)
				if (m->b[a][k].present && m->b[a][k].gen != m->gen)
					m->b[a][k].present = false;
		m->snapshots_ended++;
		return;
	case SR_FOLLOW_BINDING:
	case SR_FOLLOW_CHANGE:
		break;
	}
	m->events++;
	if (sr_repl_op_is_put(c->op)) {
		if (!parse_rec(c->rec, c->rec_len, &i, &id, &ver) || id != c->id) {
			fprintf(stderr, "model_follow: a record that is not ours\n");
			abort();
		}
		m->b[i][id - 1] = (struct mbind){ true, c->expires, ver, m->gen };
	} else {
		if (sscanf(c->aor, "sip:user%06u@", &i) != 1 || i >= M_AORS || c->id < 1 || c->id > M_IDS) {
			fprintf(stderr, "model_follow: a removal that is not ours\n");
			abort();
		}
		m->b[i][c->id - 1].present = false;
	}
}

static bool live(const struct mbind *b, uint32_t now_s)
{
	return b->present && b->expires > now_s;
}

bool model_equal(const struct model *a, const struct model *b, uint32_t now_s, bool verbose)
{
	for (unsigned i = 0; i < M_AORS; i++)
		for (unsigned k = 0; k < M_IDS; k++) {
			const struct mbind *x = &a->b[i][k], *y = &b->b[i][k];
			if (live(x, now_s) != live(y, now_s) || (live(x, now_s) && x->ver != y->ver)) {
				if (verbose)
					fprintf(stderr, "model_equal: AoR %u id %u: %s v%u vs %s v%u\n", i, k + 1,
						live(x, now_s) ? "live" : "absent", x->ver,
						live(y, now_s) ? "live" : "absent", y->ver);
				return false;
			}
		}
	return true;
}

static redisContext *node_for(redisContext **nodes, int n, const char *key, bool cluster)
{
	if (!cluster)
		return nodes[0];
	for (int i = 0; i < n; i++) {
		redisReply *r = redis_cmd(nodes[i], "EXISTS %s", key);
		bool here = r && r->type == REDIS_REPLY_INTEGER && r->integer == 1;
		bool moved = r && r->type == REDIS_REPLY_ERROR;
		if (r)
			freeReplyObject(r);
		if (here || !moved)
			return nodes[i];
	}
	return nodes[0];
}

bool model_matches_redis(const struct model *m, redisContext **nodes, int n_nodes, const char *prefix,
			 uint32_t now_s, bool cluster)
{
	/* every AoR key in Redis belongs to an AoR with live bindings */
	uint64_t keys = 0;
	for (int n = 0; n < n_nodes; n++) {
		char cursor[32] = "0";
		do {
			redisReply *r = redis_cmd(nodes[n], "SCAN %s MATCH %s:2:aor:* COUNT 1000", cursor, prefix);
			if (!r || r->type != REDIS_REPLY_ARRAY) {
				fprintf(stderr, "model_matches_redis: SCAN failed\n");
				return false;
			}
			snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
			keys += r->element[1]->elements;
			freeReplyObject(r);
		} while (strcmp(cursor, "0") != 0);
	}
	uint64_t want_keys = 0;
	for (unsigned i = 0; i < m->n_aors; i++) {
		unsigned n_live = 0;
		for (unsigned k = 0; k < M_IDS; k++)
			n_live += live(&m->b[i][k], now_s);
		char aor[64], key[128];
		model_aor(i, aor, sizeof(aor));
		snprintf(key, sizeof(key), "%s:2:aor:{%s}", prefix, aor);
		redisContext *c = node_for(nodes, n_nodes, key, cluster);
		redisReply *r = redis_cmd(c, "HGETALL %s", key);
		if (!r || r->type != REDIS_REPLY_ARRAY) {
			fprintf(stderr, "model_matches_redis: HGETALL %s failed: %s\n", key, r ? r->str : "no reply");
			return false;
		}
		unsigned n_found = 0;
		uint32_t latest = 0; /* the latest live expiry: the key's TTL must reach it */
		for (size_t e = 0; e + 1 < r->elements; e += 2) {
			uint64_t id;
			uint32_t exp;
			const uint8_t *rec;
			size_t rl;
			const char *why;
			unsigned pi, pid;
			uint32_t ver;
			if (!sr_repl_id_parse(r->element[e]->str, r->element[e]->len, &id) || id < 1 || id > M_IDS ||
			    sr_repl_envelope_decode((const uint8_t *)r->element[e + 1]->str, r->element[e + 1]->len, &exp,
						    &rec, &rl, &why) != 0 ||
			    !parse_rec(rec, rl, &pi, &pid, &ver) || pi != i || pid != id) {
				fprintf(stderr, "model_matches_redis: %s holds a malformed binding\n", key);
				freeReplyObject(r);
				return false;
			}
			if (exp <= now_s)
				continue; /* readers ignore it; the key's TTL removes it */
			const struct mbind *b = &m->b[i][id - 1];
			if (!live(b, now_s) || b->ver != ver || b->expires != exp) {
				fprintf(stderr, "model_matches_redis: %s id %" PRIu64 ": Redis v%u exp %u, model %s v%u exp %u\n",
					key, id, ver, exp, live(b, now_s) ? "live" : "absent", b->ver, b->expires);
				freeReplyObject(r);
				return false;
			}
			n_found++;
			if (exp > latest)
				latest = exp;
		}
		bool had = r->elements > 0;
		freeReplyObject(r);
		if (n_found != n_live) {
			fprintf(stderr, "model_matches_redis: %s: %u live bindings in Redis, %u in the model\n", key,
				n_found, n_live);
			return false;
		}
		if (had) {
			want_keys++;
			/* never a key without expiry, nor one that would expire before a live binding */
			r = redis_cmd(c, "EXPIRETIME %s", key);
			bool ttl_ok = r && r->type == REDIS_REPLY_INTEGER && r->integer > 0 && r->integer >= latest;
			long long at = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -3;
			if (r)
				freeReplyObject(r);
			if (!ttl_ok) {
				fprintf(stderr, "model_matches_redis: %s expires at %lld, a binding at %u\n", key, at,
					latest);
				return false;
			}
		}
	}
	if (keys != want_keys) {
		fprintf(stderr, "model_matches_redis: %" PRIu64 " AoR keys in Redis, %" PRIu64 " expected\n", keys,
			want_keys);
		return false;
	}
	return true;
}

static int snap_open(void *ctx)
{
	struct model *m = ctx;
	m->it_aor = 0;
	m->it_id = 0;
	return 0;
}

static int snap_next(void *ctx, struct sr_repl_change *out)
{
	struct model *m = ctx;
	for (; m->it_aor < m->n_aors; m->it_aor++, m->it_id = 0) {
		while (m->it_id < M_IDS) {
			unsigned k = m->it_id++;
			const struct mbind *b = &m->b[m->it_aor][k];
			if (!b->present)
				continue;
			out->op = SR_REPL_ADDED;
			out->id = k + 1;
			out->expires = b->expires;
			out->aor_len = model_aor(m->it_aor, m->it_aor_buf, sizeof(m->it_aor_buf));
			out->aor = m->it_aor_buf;
			out->rec_len = model_rec(m->it_aor, k + 1, b->ver, m->it_rec);
			out->rec = m->it_rec;
			return 1;
		}
	}
	return 0;
}

static void snap_close(void *ctx)
{
	(void)ctx;
}

struct sr_repl_snapshot_src model_snapshot(struct model *m)
{
	return (struct sr_repl_snapshot_src){ m, snap_open, snap_next, snap_close };
}

void pump_step(struct pump *p, int timeout_ms)
{
	struct pollfd fds[4][128];
	unsigned n[4] = { 0 }, total = 0;
	uint64_t now = now_unix_ms();
	struct pollfd all[512];
	for (int i = 0; i < p->n; i++) {
		if (p->paused[i])
			continue;
		n[i] = sr_repl_pollfds(p->r[i], now, fds[i], 128);
		memcpy(all + total, fds[i], n[i] * sizeof(struct pollfd));
		total += n[i];
	}
	poll(total ? all : NULL, total, timeout_ms); /* with nothing to wait on (back-off): a nap */
	total = 0;
	now = now_unix_ms();
	for (int i = 0; i < p->n; i++) {
		if (p->paused[i])
			continue;
		sr_repl_dispatch(p->r[i], now, all + total, n[i]);
		total += n[i];
	}
}

void pump_for(struct pump *p, unsigned ms)
{
	uint64_t end = now_unix_ms() + ms;
	while (now_unix_ms() < end)
		pump_step(p, 1);
}

bool pump_until(struct pump *p, unsigned timeout_ms, bool (*cond)(void *), void *arg)
{
	uint64_t end = now_unix_ms() + timeout_ms;
	while (now_unix_ms() < end) {
		if (cond(arg))
			return true;
		pump_step(p, 1);
	}
	return cond(arg);
}
