/*
 * rf_loop.c - the sender thread (see rf_loop.h).
 *
 * A round: expire timeouts, receive everything waiting (bounded), send what is due
 * (open loop: rate x elapsed minus sent; closed loop: up to the window), then wait
 * for input or the next due send. The measured phase stops sending at its deadline
 * or when the workload has nothing left (new, dereg); then the thread drains until
 * every request is answered or has timed out, which takes at most the timeout. The
 * measured period ends at the deadline, or, when the AoRs ran out first, at the end
 * of the drain (so a short closed-loop run does not report its send burst as a rate).
 */
#include "rf_loop.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "rf_auth.h"

#define RF_MAX_BATCH 256
#define RF_BUF 1400
#define RF_RCVBUF (8 << 20)

uint64_t sr_rf_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int sr_rf_thread_open(struct sr_rf_thread *t, const struct sr_rf_cfg *cfg, uint32_t idx)
{
	memset(t, 0, sizeof *t);
	t->cfg = cfg;
	t->idx = idx;
	for (uint32_t i = 0; i < SR_RF_MAX_SOCKETS; i++)
		t->fds[i] = -1;
	/* the FIFO holds every request sent within one timeout, twice over (digest: two a flow) */
	bool digest = cfg->digest;
	double per_s = (cfg->rate > 0 ? cfg->rate / cfg->threads : 1e6) * (digest ? 2 : 1);
	double fifo = per_s * ((double)cfg->timeout_ns / 1e9) * 2 + cfg->window;
	if (fifo > (1 << 26))
		fifo = 1 << 26;
	if (sr_rf_track_init(&t->track, idx, cfg->threads, cfg->first_aor, cfg->aors, cfg->run, cfg->timeout_ns,
			     (uint32_t)fifo + 1024)) {
		snprintf(t->err, sizeof t->err, "thread %u: cannot allocate the books for %u AoRs", idx, cfg->aors);
		return -1;
	}
	t->track.expect_challenge = digest;
	if (digest && !(t->dg = sr_digest_new())) {
		snprintf(t->err, sizeof t->err, "thread %u: OpenSSL offers no MD5 or SHA-256", idx);
		return -1;
	}
	for (uint32_t i = 0; i < cfg->sockets; i++) {
		int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			snprintf(t->err, sizeof t->err, "socket: %s", strerror(errno));
			return -1;
		}
		t->fds[i] = fd;
		/* net.core.rmem_max (about 200 KB by default) caps SO_RCVBUF: a few ms of responses at
		 * 100k/s, lost whenever the generator is descheduled. As root the FORCE variants lift
		 * the cap, so a lost response is the registrar's, not the generator's own socket's. */
		int buf = RF_RCVBUF;
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof buf) != 0)
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
		if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof buf) != 0)
			setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
		struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr = cfg->local};
		socklen_t al = sizeof a;
		if (bind(fd, (struct sockaddr *)&a, sizeof a) || getsockname(fd, (struct sockaddr *)&a, &al) ||
		    connect(fd, (const struct sockaddr *)&cfg->dest, sizeof cfg->dest)) {
			snprintf(t->err, sizeof t->err, "bind/connect %s -> destination: %s", cfg->local_ip,
				 strerror(errno));
			return -1;
		}
		t->ports[i] = ntohs(a.sin_port);
	}
	return 0;
}

void sr_rf_thread_close(struct sr_rf_thread *t)
{
	for (uint32_t i = 0; i < SR_RF_MAX_SOCKETS; i++) {
		if (t->fds[i] >= 0)
			close(t->fds[i]);
		t->fds[i] = -1;
	}
	sr_rf_track_free(&t->track);
	sr_digest_free(t->dg);
	t->dg = NULL;
}

struct rf_batch {
	char buf[RF_MAX_BATCH][RF_BUF];
	struct iovec iov[RF_MAX_BATCH];
	struct mmsghdr msg[RF_MAX_BATCH];
	uint32_t local[RF_MAX_BATCH];
	uint32_t n;
};

struct rf_io {
	struct rf_batch rx; /* datagrams received */
	struct rf_batch tx; /* requests to send */
};

static uint32_t xorshift(uint32_t *s)
{
	uint32_t x = *s;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *s = x;
}

static struct sr_rf_ident socket_ident(const struct sr_rf_thread *t, uint32_t s)
{
	const struct sr_rf_cfg *c = t->cfg;
	return (struct sr_rf_ident){c->domain,	c->user_prefix, c->local_ip,	    t->ports[s],
				    c->run,	c->expires,	c->password_prefix};
}

/* appends the request for AoR `local` (its books already say sent); false if it cannot be built */
static bool batch_add(struct rf_batch *b, const struct sr_rf_ident *id, const struct sr_rf_req *rq, uint32_t local)
{
	size_t len = sr_rf_build(b->buf[b->n], RF_BUF, id, rq);
	if (len == 0) /* cannot happen with the sizes used; never send a truncated request */
		return false;
	b->iov[b->n] = (struct iovec){b->buf[b->n], len};
	b->msg[b->n].msg_hdr = (struct msghdr){.msg_iov = &b->iov[b->n], .msg_iovlen = 1};
	b->local[b->n++] = local;
	return true;
}

/* sends the batch on socket s and empties it; what the kernel does not take is a send error */
static void batch_send(struct sr_rf_thread *t, struct rf_batch *b, uint32_t s)
{
	uint32_t done = 0;
	for (int tries = 0; done < b->n && tries < 4; tries++) {
		int k = sendmmsg(t->fds[s], b->msg + done, b->n - done, MSG_DONTWAIT);
		if (k > 0)
			done += (uint32_t)k;
		else if (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS && errno != EINTR &&
			 errno != ECONNREFUSED)
			break;
	}
	for (uint32_t i = done; i < b->n; i++)
		sr_rf_track_send_failed(&t->track, b->local[i]);
	b->n = 0;
}

/* the digest flow's second request, for the AoR whose 401 with challenge ch socket s just read */
static void answer_challenge(struct sr_rf_thread *t, struct rf_batch *tx, uint32_t s, uint32_t aor,
			     const struct sr_rf_challenge *ch, uint64_t now)
{
	int64_t l = sr_rf_track_local(&t->track, aor); /* known to be ours: it was just matched */
	struct sr_rf_req rq;
	if (l < 0 || sr_rf_track_send(&t->track, (uint32_t)l, SR_RF_OP_AUTH, now, &rq))
		return; /* a full timeout FIFO: counted as a send error */
	struct sr_rf_ident id = socket_ident(t, s);
	char authorization[SR_RF_AUTHORIZATION_MAX];
	rq.contact_port = t->ports[(uint32_t)l % t->cfg->sockets];
	rq.authorization = authorization;
	if (sr_rf_authorization(authorization, sizeof authorization, t->dg, &id, aor, rq.cseq, ch) == 0 ||
	    !batch_add(tx, &id, &rq, (uint32_t)l))
		sr_rf_track_send_failed(&t->track, (uint32_t)l);
}

static void receive_all(struct sr_rf_thread *t, struct rf_io *io)
{
	struct sr_rf_track *tr = &t->track;
	struct rf_batch *rx = &io->rx;
	for (uint32_t s = 0; s < t->cfg->sockets; s++) {
		for (int round = 0; round < 16; round++) {
			for (int i = 0; i < RF_MAX_BATCH; i++) {
				rx->iov[i] = (struct iovec){rx->buf[i], RF_BUF};
				rx->msg[i].msg_hdr = (struct msghdr){.msg_iov = &rx->iov[i], .msg_iovlen = 1};
			}
			int n = recvmmsg(t->fds[s], rx->msg, RF_MAX_BATCH, MSG_DONTWAIT, NULL);
			if (n <= 0)
				break;
			uint64_t now = sr_rf_now_ns();
			for (int i = 0; i < n; i++) {
				const char *buf = rx->buf[i];
				size_t len = rx->msg[i].msg_len;
				struct sr_rf_resp r;
				struct sr_rf_challenge ch = {0};
				int bad = sr_rf_parse(buf, len, &r);
				if (!bad && tr->expect_challenge && r.status == 401)
					r.challenge = sr_rf_challenge_parse(buf, len, t->cfg->auth_alg, &ch) == 0;
				enum sr_rf_verdict v = sr_rf_track_response(tr, bad ? NULL : &r, now);
				if (v == SR_RF_CHALLENGED) {
					answer_challenge(t, &io->tx, s, r.aor, &ch, now);
				} else if ((v == SR_RF_UNEXPECTED || v == SR_RF_LATE || v == SR_RF_BAD_CHALLENGE) &&
					   t->odd_len == 0) {
					t->odd_len = len < SR_RF_ODD_MAX ? (uint32_t)len : SR_RF_ODD_MAX;
					memcpy(t->odd, buf, t->odd_len);
				}
			}
			batch_send(t, &io->tx, s); /* the answers to the challenges just read */
			if (n < RF_MAX_BATCH)
				break;
		}
	}
}

/* the next AoR (local index) with something to send, or -1; *op set */
static int64_t next_aor(struct sr_rf_thread *t, uint32_t *cursor, bool warm, bool *exhausted, uint32_t *rnd, int *op)
{
	struct sr_rf_track *tr = &t->track;
	bool cyclic = !warm && (t->cfg->workload == SR_RF_WL_REFRESH || t->cfg->workload == SR_RF_WL_FETCH ||
				t->cfg->workload == SR_RF_WL_MIX);
	for (uint32_t tries = 0; tries < tr->n_local; tries++) {
		if (*cursor >= tr->n_local) {
			if (!cyclic) {
				*exhausted = true;
				return -1;
			}
			*cursor = 0;
		}
		uint32_t l = (*cursor)++;
		const struct sr_rf_slot *s = &tr->slots[l];
		if (s->pending)
			continue;
		*op = warm ? (s->cseq == 0 ? SR_RF_OP_NEW : -1) : sr_rf_workload_op(t->cfg->workload, s, xorshift(rnd));
		if (*op >= 0)
			return l;
	}
	return -1;
}

/* sends up to `want` requests on socket s; returns how many were taken */
static uint32_t send_batch(struct sr_rf_thread *t, struct rf_io *io, uint32_t s, uint32_t want, uint32_t *cursor,
			   bool warm, bool *exhausted, uint32_t *rnd)
{
	const struct sr_rf_cfg *c = t->cfg;
	struct sr_rf_ident id = socket_ident(t, s);
	struct rf_batch *tx = &io->tx;
	uint64_t now = sr_rf_now_ns();
	while (tx->n < want) {
		int op;
		int64_t l = next_aor(t, cursor, warm, exhausted, rnd, &op);
		if (l < 0)
			break;
		struct sr_rf_req rq;
		if (sr_rf_track_send(&t->track, (uint32_t)l, (enum sr_rf_op)op, now, &rq))
			break;
		rq.contact_port = t->ports[(uint32_t)l % c->sockets];
		if (!batch_add(tx, &id, &rq, (uint32_t)l))
			sr_rf_track_send_failed(&t->track, (uint32_t)l);
	}
	uint32_t n = tx->n;
	batch_send(t, tx, s);
	return n;
}

static void wait_input(struct sr_rf_thread *t, uint64_t max_ns)
{
	struct pollfd p[SR_RF_MAX_SOCKETS];
	for (uint32_t i = 0; i < t->cfg->sockets; i++)
		p[i] = (struct pollfd){.fd = t->fds[i], .events = POLLIN};
	if (max_ns > 1000000)
		max_ns = 1000000;
	struct timespec ts = {0, (long)max_ns};
	ppoll(p, t->cfg->sockets, &ts, NULL);
}

/* one phase; warm: register every AoR once in closed loop, unmeasured */
static void run_phase(struct sr_rf_thread *t, struct rf_io *io, bool warm)
{
	const struct sr_rf_cfg *c = t->cfg;
	struct sr_rf_track *tr = &t->track;
	double rate = warm ? 0 : c->rate / c->threads;
	uint64_t start = sr_rf_now_ns();
	uint64_t deadline = warm ? UINT64_MAX : start + c->duration_ns;
	uint32_t cursor = 0, sock = 0, rnd = 0x9e3779b9u ^ (t->idx * 2654435761u) ^ c->run;
	if (rnd == 0)
		rnd = 1;
	uint64_t started0 = sr_rf_stats_started(&tr->st); /* open loop: --rate counts flows */
	/* the warm-up is not measured: a moderate window, whatever the measured phase uses */
	uint32_t window = warm && c->window > SR_RF_WARM_WINDOW ? SR_RF_WARM_WINDOW : c->window;
	bool exhausted = false, sending = true;
	uint64_t end = start;
	while (sending || tr->outstanding > 0) {
		uint64_t now = sr_rf_now_ns();
		sr_rf_track_expire(tr, now);
		receive_all(t, io);
		now = sr_rf_now_ns();
		if (sending && (now >= deadline || exhausted)) {
			sending = false;
			end = now;
		}
		uint64_t next_due = 1000000;
		if (sending) {
			uint64_t want;
			if (rate > 0) {
				double done = (double)(sr_rf_stats_started(&tr->st) - started0);
				double due = rate * (double)(now - start) / 1e9 - done;
				want = due > 0 ? (uint64_t)due : 0;
				next_due = (uint64_t)(1e9 / rate * (double)c->batch);
			} else {
				want = c->batch;
			}
			if (want > c->batch)
				want = c->batch;
			uint32_t room = tr->outstanding < window ? window - tr->outstanding : 0;
			if (want > room) {
				want = room;
				if (rate > 0) /* open loop held back: the registrar is behind */
					t->window_stalls++;
			}
			if (want > 0) {
				uint32_t got = send_batch(t, io, sock, (uint32_t)want, &cursor, warm, &exhausted, &rnd);
				sock = (sock + 1) % c->sockets;
				if (got < want && !exhausted && rate > 0)
					t->window_stalls++;
				if (got > 0)
					continue; /* more may be due at once */
			}
		}
		wait_input(t, sending ? next_due : 1000000);
	}
	/* AoRs used up before the deadline: the phase lasted until the last answer */
	uint64_t send_end = end;
	if (exhausted)
		end = sr_rf_now_ns();
	if (!warm) {
		t->t_start = start;
		t->t_end = end > start ? end : start + 1;
		t->t_send_end = send_end > start ? send_end : start + 1;
	}
}

void *sr_rf_thread_run(void *arg)
{
	struct sr_rf_thread *t = arg;
	struct rf_io *io = calloc(1, sizeof *io); /* 700 KiB: not on the thread's stack */
	if (!io) {
		snprintf(t->err, sizeof t->err, "thread %u: out of memory", t->idx);
		return NULL;
	}
	if (sr_rf_workload_warmup(t->cfg->workload)) {
		run_phase(t, io, true);
		t->warm = t->track.st;
		memset(&t->track.st, 0, sizeof t->track.st);
	}
	run_phase(t, io, false);
	free(io);
	return NULL;
}
