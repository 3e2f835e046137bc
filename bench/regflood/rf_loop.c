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
	/* the FIFO holds every request sent within one timeout, twice over */
	double per_s = cfg->rate > 0 ? cfg->rate / cfg->threads : 1e6;
	double fifo = per_s * ((double)cfg->timeout_ns / 1e9) * 2 + cfg->window;
	if (fifo > (1 << 26))
		fifo = 1 << 26;
	if (sr_rf_track_init(&t->track, idx, cfg->threads, cfg->first_aor, cfg->aors, cfg->run, cfg->timeout_ns,
			     (uint32_t)fifo + 1024)) {
		snprintf(t->err, sizeof t->err, "thread %u: cannot allocate the books for %u AoRs", idx, cfg->aors);
		return -1;
	}
	for (uint32_t i = 0; i < cfg->sockets; i++) {
		int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			snprintf(t->err, sizeof t->err, "socket: %s", strerror(errno));
			return -1;
		}
		t->fds[i] = fd;
		int buf = RF_RCVBUF;
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
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
}

struct rf_io {
	char buf[RF_MAX_BATCH][RF_BUF];
	struct iovec iov[RF_MAX_BATCH];
	struct mmsghdr msg[RF_MAX_BATCH];
	uint32_t local[RF_MAX_BATCH];
};

static uint32_t xorshift(uint32_t *s)
{
	uint32_t x = *s;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *s = x;
}

static void receive_all(struct sr_rf_thread *t, struct rf_io *io)
{
	struct sr_rf_track *tr = &t->track;
	for (uint32_t s = 0; s < t->cfg->sockets; s++) {
		for (int round = 0; round < 16; round++) {
			for (int i = 0; i < RF_MAX_BATCH; i++) {
				io->iov[i] = (struct iovec){io->buf[i], RF_BUF};
				io->msg[i].msg_hdr = (struct msghdr){.msg_iov = &io->iov[i], .msg_iovlen = 1};
			}
			int n = recvmmsg(t->fds[s], io->msg, RF_MAX_BATCH, MSG_DONTWAIT, NULL);
			if (n <= 0)
				break;
			uint64_t now = sr_rf_now_ns();
			for (int i = 0; i < n; i++) {
				struct sr_rf_resp r;
				int bad = sr_rf_parse(io->buf[i], io->msg[i].msg_len, &r);
				enum sr_rf_verdict v = sr_rf_track_response(tr, bad ? NULL : &r, now);
				if ((v == SR_RF_UNEXPECTED || v == SR_RF_LATE) && t->odd_len == 0) {
					t->odd_len = io->msg[i].msg_len < SR_RF_ODD_MAX ? io->msg[i].msg_len : SR_RF_ODD_MAX;
					memcpy(t->odd, io->buf[i], t->odd_len);
				}
			}
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
	struct sr_rf_ident id = {c->domain, c->user_prefix, c->local_ip, t->ports[s], c->run, c->expires};
	uint32_t n = 0;
	uint64_t now = sr_rf_now_ns();
	while (n < want) {
		int op;
		int64_t l = next_aor(t, cursor, warm, exhausted, rnd, &op);
		if (l < 0)
			break;
		struct sr_rf_req rq;
		if (sr_rf_track_send(&t->track, (uint32_t)l, (enum sr_rf_op)op, now, &rq))
			break;
		rq.contact_port = t->ports[(uint32_t)l % c->sockets];
		size_t len = sr_rf_build(io->buf[n], RF_BUF, &id, &rq);
		if (len == 0) { /* cannot happen with the sizes used; never send a truncated request */
			sr_rf_track_send_failed(&t->track, (uint32_t)l);
			continue;
		}
		io->iov[n] = (struct iovec){io->buf[n], len};
		io->msg[n].msg_hdr = (struct msghdr){.msg_iov = &io->iov[n], .msg_iovlen = 1};
		io->local[n] = (uint32_t)l;
		n++;
	}
	uint32_t done = 0;
	for (int tries = 0; done < n && tries < 4; tries++) {
		int k = sendmmsg(t->fds[s], io->msg + done, n - done, MSG_DONTWAIT);
		if (k > 0)
			done += (uint32_t)k;
		else if (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS && errno != EINTR &&
			 errno != ECONNREFUSED)
			break;
	}
	for (uint32_t i = done; i < n; i++)
		sr_rf_track_send_failed(&t->track, io->local[i]);
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
	uint64_t sent0 = tr->st.sent;
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
				double due = rate * (double)(now - start) / 1e9 - (double)(tr->st.sent - sent0);
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
	struct rf_io *io = malloc(sizeof *io); /* 350 KiB: not on the thread's stack */
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
