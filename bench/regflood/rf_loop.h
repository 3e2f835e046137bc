/*
 * rf_loop.h - one regflood sender thread: its sockets and its send/receive loop.
 *
 * Design: each thread owns its UDP sockets (own source ports, so the flows spread over
 * the registrar's receive queues), its AoRs and its books (rf_track), and shares
 * nothing with other threads while it runs. Sending and receiving are batched with
 * sendmmsg/recvmmsg; the thread never blocks longer than 1 ms, so its send schedule
 * (open loop: rate x elapsed time) and its timeouts stay on time. Between batches it
 * waits in ppoll until a socket is readable or the next send is due. In the digest flow
 * the second REGISTER is sent as soon as its 401 is read, from the socket that read it,
 * before the next batch is received (so the challenge it answers is never copied).
 */
#ifndef SR_RF_LOOP_H
#define SR_RF_LOOP_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>

#include "rf_track.h"
#include "rf_work.h"

#define SR_RF_MAX_SOCKETS 64
#define SR_RF_ODD_MAX 512
#define SR_RF_WARM_WINDOW 128 /* most requests outstanding per thread in the warm-up */

struct sr_rf_cfg {
	struct sockaddr_in dest;
	struct in_addr local;
	char local_ip[INET_ADDRSTRLEN];
	const char *domain;
	const char *user_prefix;
	uint32_t threads;
	uint32_t sockets; /* per thread */
	double rate;      /* requests/s over all threads; 0: closed loop */
	uint32_t window;  /* most requests outstanding per thread */
	uint32_t batch;
	uint64_t duration_ns;
	uint64_t timeout_ns;
	uint32_t aors;
	uint32_t first_aor;
	uint32_t expires;
	uint32_t run;
	enum sr_rf_workload workload;
	bool digest;                 /* --digest: every first request may be challenged (workload auth: always) */
	const char *password_prefix; /* digest flow: rf_auth.h */
	int auth_alg;                /* digest flow: the algorithm to answer (enum sr_digest_alg); -1: the first usable */
};

struct sr_rf_thread {
	const struct sr_rf_cfg *cfg;
	uint32_t idx;
	pthread_t tid;
	int fds[SR_RF_MAX_SOCKETS];
	uint16_t ports[SR_RF_MAX_SOCKETS];
	struct sr_rf_track track;
	struct sr_digest *dg; /* digest flow: the thread's hash context (lib/auth) */
	struct sr_rf_stats warm; /* the warm-up phase's books */
	uint64_t t_start, t_end; /* measured phase, CLOCK_MONOTONIC ns */
	uint64_t t_send_end;     /* when it stopped sending (deadline or AoRs used up) */
	uint64_t window_stalls;  /* send rounds cut short by the window or busy AoRs */
	char err[160];           /* set when the thread could not run */
	char odd[SR_RF_ODD_MAX]; /* the first unexpected or unreadable datagram, for the report */
	uint32_t odd_len;
};

/* Opens the sockets and the books of thread t; 0, or -1 with t->err set. */
int sr_rf_thread_open(struct sr_rf_thread *t, const struct sr_rf_cfg *cfg, uint32_t idx);
void sr_rf_thread_close(struct sr_rf_thread *t);
/* pthread entry: warm-up (if the workload has one), then the measured phase, then drain */
void *sr_rf_thread_run(void *arg);
uint64_t sr_rf_now_ns(void);

#endif
