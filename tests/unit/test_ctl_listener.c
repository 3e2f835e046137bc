/*
 * test_ctl_listener.c - the listener stream server (lib/ctl/ctl_listener.c) over a
 * real Unix socket and LMDB store: a new subscriber gets the committed
 * state (one contactsAdded per AoR) then "synced", then the committed
 * changes in order with refreshes left out; a subscriber that hangs up is
 * counted as closed; one that never reads is cut off as slow once its
 * bounded buffer is full, while publishing never blocks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>
#include <ftw.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl_announce.h"
#include "ctl_listener.h"

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(p);
}

static void add(struct sr_ctl_batch *b, enum sr_event_type t, const char *aor, const char *contact)
{
	struct sr_loc_binding bd = { .aor = sr_str_cstr(aor) };
	bd.f[SR_BF_CONTACT] = sr_str_cstr(contact);
	/* one id per contact, so adding and removing a contact names one key (as the store's ids do) */
	bd.st = (struct sr_binding_state){ .id = sr_hash64(contact, strlen(contact)) | 1,
					   .expires = 2000000000u, .q = SR_Q_NONE };
	assert_int_equal(sr_ctl_batch_add(b, t, &bd, 1, 0), 0);
}

static void commit_publish(struct sr_ctl_store *st, struct sr_ctl_listener *s, struct sr_ctl_batch *b)
{
	char err[512];
	assert_int_equal(sr_ctl_store_commit(st, b, err, sizeof(err)), 0);
	sr_ctl_listener_publish(s, b);
	sr_ctl_batch_clear(b);
}

static int client(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* Polls the server and reads until buf holds 'lines' lines (bounded: 2 s). */
static void read_lines(struct sr_ctl_listener *s, int fd, char *buf, size_t cap, unsigned lines)
{
	size_t len = 0;
	unsigned have = 0;
	for (int round = 0; round < 200 && have < lines; round++) {
		sr_ctl_listener_poll(s);
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 10) <= 0)
			continue;
		ssize_t k = recv(fd, buf + len, cap - 1 - len, MSG_DONTWAIT);
		assert_true(k > 0);
		for (ssize_t i = 0; i < k; i++)
			have += buf[len + (size_t)i] == '\n';
		len += (size_t)k;
	}
	buf[len] = 0;
	assert_int_equal(have, lines);
}

#define A_LINE "{\"event\":\"contactsAdded\",\"aor\":\"sip:alice@x\",\"contacts\":[\"sip:a1@h\",\"sip:a2@h\"]}\n"
#define B_LINE "{\"event\":\"contactsAdded\",\"aor\":\"sip:bob@x\",\"contacts\":[\"sip:b1@h\"]}\n"

static void test_state_then_changes(void **state)
{
	(void)state;
	char dir[] = "/tmp/sr_ctl_listener_XXXXXX", path[64], err[512], buf[4096];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/listen.sock", dir);
	struct sr_ctl_store *st;
	assert_int_equal(sr_ctl_store_open(dir, 1u << 26, &st, err, sizeof(err)), 0);
	struct sr_ctl_listener *s;
	assert_int_equal(sr_ctl_listener_open(path, st, 1000, &s, err, sizeof(err)), -1); /* buffer too small */
	assert_non_null(strstr(err, "buffer under"));
	assert_int_equal(sr_ctl_listener_open(path, st, SR_CTL_LISTENER_MIN_SUB_BYTES, &s, err, sizeof(err)), 0);
	struct sr_ctl_batch b;
	assert_int_equal(sr_ctl_batch_init(&b, 100000, 5), 0);
	add(&b, SR_EV_ADDED, "sip:alice@x", "sip:a1@h");
	add(&b, SR_EV_ADDED, "sip:alice@x", "sip:a2@h");
	add(&b, SR_EV_ADDED, "sip:bob@x", "sip:b1@h");
	commit_publish(st, s, &b); /* nobody subscribed yet */

	int fd = client(path);
	read_lines(s, fd, buf, sizeof(buf), 3);
	/* AoRs leave in key (hash) order: either may come first */
	assert_true(strcmp(buf, A_LINE B_LINE "{\"event\":\"synced\"}\n") == 0 ||
		    strcmp(buf, B_LINE A_LINE "{\"event\":\"synced\"}\n") == 0);

	add(&b, SR_EV_ADDED, "sip:carol@x", "sip:c1@h");
	add(&b, SR_EV_REFRESHED, "sip:alice@x", "sip:a1@h");
	add(&b, SR_EV_REMOVED, "sip:bob@x", "sip:b1@h");
	add(&b, SR_EV_EXPIRED, "sip:alice@x", "sip:a2@h");
	commit_publish(st, s, &b);
	read_lines(s, fd, buf, sizeof(buf), 3);
	assert_string_equal(buf,
			    "{\"event\":\"contactsAdded\",\"aor\":\"sip:carol@x\",\"contacts\":[\"sip:c1@h\"]}\n"
			    "{\"event\":\"contactsRemoved\",\"aor\":\"sip:bob@x\",\"contacts\":[\"sip:b1@h\"]}\n"
			    "{\"event\":\"contactsRemoved\",\"aor\":\"sip:alice@x\",\"contacts\":[\"sip:a2@h\"]}\n");

	/* hang up: counted as closed, the subscriber is gone */
	close(fd);
	sr_ctl_listener_poll(s);
	struct sr_ctl_listener_counts c;
	sr_ctl_listener_counts(s, &c);
	assert_int_equal(c.accepted, 1);
	assert_int_equal(c.cuts[SR_CUT_CLOSED], 1);
	assert_int_equal(c.subscribers, 0);

	/* a subscriber that never reads: cut as slow, publishing goes on */
	int slow = client(path);
	sr_ctl_listener_poll(s); /* accepted, state queued */
	unsigned batches = 0;
	for (; batches < 200; batches++) {
		for (unsigned i = 0; i < 2000; i++) {
			char aor[48], contact[48];
			snprintf(aor, sizeof(aor), "sip:u%u-%u@x", batches, i);
			snprintf(contact, sizeof(contact), "sip:u%u-%u@198.51.100.2:5060", batches, i);
			add(&b, SR_EV_ADDED, aor, contact);
		}
		commit_publish(st, s, &b);
		sr_ctl_listener_poll(s);
		sr_ctl_listener_counts(s, &c);
		if (c.cuts[SR_CUT_SLOW])
			break;
	}
	assert_int_equal(c.cuts[SR_CUT_SLOW], 1);
	assert_int_equal(c.subscribers, 0);
	/* what it did receive is whole lines, then the end of the stream */
	char tail = 0;
	size_t total = 0;
	for (int round = 0; round < 100000; round++) {
		ssize_t k = recv(slow, buf, sizeof(buf), 0);
		assert_true(k >= 0);
		if (k == 0)
			break;
		tail = buf[k - 1];
		total += (size_t)k;
	}
	assert_int_equal(tail, '\n');
	printf("slow subscriber cut after %u batches of 2000, having received %zu bytes\n", batches + 1, total);
	close(slow);

	sr_ctl_batch_fini(&b);
	sr_ctl_listener_close(s);
	assert_int_equal(access(path, F_OK), -1); /* the socket file is removed */
	sr_ctl_store_close(st);
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

/* A listener serving an empty store in a new directory (dir: a mkdtemp template). */
static struct sr_ctl_listener *empty_listener(char *dir, char *path, size_t path_cap, struct sr_ctl_store **st)
{
	char err[512];
	struct sr_ctl_listener *s;
	assert_non_null(mkdtemp(dir));
	snprintf(path, path_cap, "%s/listen.sock", dir);
	assert_int_equal(sr_ctl_store_open(dir, 1u << 26, st, err, sizeof(err)), 0);
	assert_int_equal(sr_ctl_listener_open(path, *st, SR_CTL_LISTENER_MIN_SUB_BYTES, &s, err, sizeof(err)), 0);
	return s;
}

/* RFC 8599: a push event goes out as one live line to subscribers past their state (docs/PUSH.md). */
static void test_push_event_line(void **state)
{
	(void)state;
	char dir[] = "/tmp/sr_ctl_listener_XXXXXX", path[64], buf[4096];
	struct sr_ctl_store *st;
	struct sr_ctl_listener *s = empty_listener(dir, path, sizeof(path), &st);
	static const char ev[] = "{\"event\":\"contactRefresh\",\"aor\":\"sip:alice@x\",\"reason\":\"call\"}";
	sr_ctl_listener_line(s, ev, sizeof(ev) - 1); /* nobody listens: nothing kept */
	int fd = client(path);
	read_lines(s, fd, buf, sizeof(buf), 1);
	assert_string_equal(buf, "{\"event\":\"synced\"}\n"); /* the empty state, without the earlier event */
	sr_ctl_listener_line(s, ev, sizeof(ev) - 1);
	read_lines(s, fd, buf, sizeof(buf), 1);
	assert_string_equal(buf, "{\"event\":\"contactRefresh\",\"aor\":\"sip:alice@x\",\"reason\":\"call\"}\n");
	close(fd);
	sr_ctl_listener_close(s);
	sr_ctl_store_close(st);
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_then_changes),
		cmocka_unit_test(test_push_event_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
