/*
 * ctl_socket.c - the control socket server (see ctl_socket.h): an accept
 * thread, one thread per client, an eventfd that wakes them all at close.
 *
 * A client slot is 'used' from the accept until the thread is joined; the
 * thread marks it 'done' (and its fd -1) under the lock as its last act, and
 * the accept thread joins done slots before it looks for a free one, so a
 * finished client never holds a slot for long.
 */
#include "ctl_socket.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

struct client {
	struct sr_ctl_socket *s;
	pthread_t tid;
	int fd;    /* -1 once the client's thread has closed it */
	bool used; /* a thread was started and has not been joined */
	bool done; /* that thread has finished */
};

struct sr_ctl_socket {
	int fd;   /* listening */
	int wake; /* eventfd: readable once close has begun */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	const struct sr_ctl_table *t;
	pthread_t acceptor;
	pthread_mutex_t lock; /* clients[] */
	struct client clients[SR_CTL_SOCKET_MAX_CLIENTS];
};

/* Writes all of p, or fails (peer gone, or it did not read for the send timeout). */
static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Answers one request line; -1 when the answer could not be written. */
static int answer(struct sr_ctl_socket *s, int fd, const char *line, size_t len)
{
	static const char oom[] = "{\"error\":\"out of memory\"}\n";
	size_t alen = 0;
	char *a = sr_ctl_table_serve_line(s->t, line, len, &alen);
	int rc = a ? write_all(fd, a, alen) : write_all(fd, oom, sizeof(oom) - 1);
	free(a);
	return rc;
}

/* Waits until fd has bytes (1), close began or the client idled out (0), or an error (-1). */
static int wait_readable(struct sr_ctl_socket *s, int fd)
{
	struct pollfd p[2] = { { .fd = fd, .events = POLLIN }, { .fd = s->wake, .events = POLLIN } };
	for (;;) {
		int n = poll(p, 2, SR_CTL_SOCKET_IDLE_S * 1000);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0 || p[1].revents)
			return 0;
		return 1; /* readable, or hung up: recv tells */
	}
}

static void *serve_client(void *arg)
{
	struct client *c = arg;
	struct sr_ctl_socket *s = c->s;
	char *buf = malloc(SR_CTL_SOCKET_MAX_REQUEST);
	size_t len = 0;
	while (buf) {
		/* every complete line, in order (requests may be pipelined) */
		char *nl;
		bool failed = false;
		while (!failed && (nl = memchr(buf, '\n', len)) != NULL) {
			size_t n = (size_t)(nl - buf);
			if (n > 0 && !(n == 1 && buf[0] == '\r')) /* blank lines are not requests */
				failed = answer(s, c->fd, buf, n) != 0;
			memmove(buf, nl + 1, len - n - 1);
			len -= n + 1;
		}
		if (failed)
			break;
		if (len == SR_CTL_SOCKET_MAX_REQUEST) {
			char e[128];
			int n = snprintf(e, sizeof(e), "{\"error\":\"request longer than %u bytes\"}\n",
					 SR_CTL_SOCKET_MAX_REQUEST);
			write_all(c->fd, e, (size_t)n);
			break;
		}
		if (wait_readable(s, c->fd) <= 0)
			break;
		ssize_t r = recv(c->fd, buf + len, SR_CTL_SOCKET_MAX_REQUEST - len, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	free(buf);
	pthread_mutex_lock(&s->lock);
	close(c->fd);
	c->fd = -1;
	c->done = true;
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

/* Joins finished client threads; call with the lock held. */
static void reap(struct sr_ctl_socket *s)
{
	for (unsigned i = 0; i < SR_CTL_SOCKET_MAX_CLIENTS; i++) {
		struct client *c = &s->clients[i];
		if (c->used && c->done) {
			pthread_join(c->tid, NULL); /* it only returns after the unlock: no wait on us */
			c->used = false;
		}
	}
}

static void take_client(struct sr_ctl_socket *s, int fd)
{
	struct timeval tv = { SR_CTL_SOCKET_SEND_TIMEOUT_S, 0 };
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	pthread_mutex_lock(&s->lock);
	reap(s);
	struct client *c = NULL;
	for (unsigned i = 0; i < SR_CTL_SOCKET_MAX_CLIENTS && !c; i++)
		if (!s->clients[i].used)
			c = &s->clients[i];
	if (c) {
		*c = (struct client){ .s = s, .fd = fd, .used = true };
		if (pthread_create(&c->tid, NULL, serve_client, c) != 0)
			c->used = false;
	}
	pthread_mutex_unlock(&s->lock);
	if (!c || !c->used) {
		char e[128];
		int n = snprintf(e, sizeof(e), "{\"error\":\"too many control clients (at most %d at once)\"}\n",
				 SR_CTL_SOCKET_MAX_CLIENTS);
		write_all(fd, e, (size_t)n);
		close(fd);
	}
}

static void *accept_loop(void *arg)
{
	struct sr_ctl_socket *s = arg;
	struct pollfd p[2] = { { .fd = s->fd, .events = POLLIN }, { .fd = s->wake, .events = POLLIN } };
	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents)
			break; /* closing */
		int fd = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0)
			take_client(s, fd);
	}
	return NULL;
}

int sr_ctl_socket_open(const char *path, const struct sr_ctl_table *t, struct sr_ctl_socket **out, char *err,
		       size_t cap)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, cap, "control socket %s: path too long", path);
		return -1;
	}
	struct sr_ctl_socket *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, cap, "control socket %s: out of memory", path);
		return -1;
	}
	s->t = t;
	s->fd = s->wake = -1;
	snprintf(s->path, sizeof(s->path), "%s", path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	const char *what = NULL;
	if ((s->wake = eventfd(0, EFD_CLOEXEC)) < 0)
		what = "eventfd";
	else if ((s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
		what = "socket";
	else {
		unlink(path); /* a stale socket of an earlier run */
		if (bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
			what = "bind";
		else if (listen(s->fd, SR_CTL_SOCKET_MAX_CLIENTS) != 0)
			what = "listen";
	}
	int rc = 0;
	if (!what) {
		pthread_mutex_init(&s->lock, NULL);
		if ((rc = pthread_create(&s->acceptor, NULL, accept_loop, s)) != 0) {
			errno = rc;
			what = "thread";
			pthread_mutex_destroy(&s->lock);
			unlink(path);
		}
	}
	if (what) {
		snprintf(err, cap, "control socket %s: %s: %s", path, what, strerror(errno));
		if (s->fd >= 0)
			close(s->fd);
		if (s->wake >= 0)
			close(s->wake);
		free(s);
		return -1;
	}
	*out = s;
	return 0;
}

void sr_ctl_socket_close(struct sr_ctl_socket *s)
{
	if (!s)
		return;
	eventfd_write(s->wake, 1);
	pthread_join(s->acceptor, NULL);
	/* a client blocked in a send (a slow reader of a large answer) is woken by the shutdown */
	pthread_mutex_lock(&s->lock);
	for (unsigned i = 0; i < SR_CTL_SOCKET_MAX_CLIENTS; i++)
		if (s->clients[i].used && s->clients[i].fd >= 0)
			shutdown(s->clients[i].fd, SHUT_RDWR);
	pthread_mutex_unlock(&s->lock);
	for (unsigned i = 0; i < SR_CTL_SOCKET_MAX_CLIENTS; i++)
		if (s->clients[i].used)
			pthread_join(s->clients[i].tid, NULL);
	close(s->fd);
	close(s->wake);
	unlink(s->path);
	pthread_mutex_destroy(&s->lock);
	free(s);
}
