/*
 * test_ctl_socket.c - the control socket server (lib/ctl/ctl_socket.c)
 * over a real Unix socket:
 * - an answer of several megabytes (far over DPDK telemetry's 16 KB) comes
 *   back whole, on one line, and parses;
 * - pipelined requests are answered in order on one connection;
 * - a line that is not a request is answered with an error and the
 *   connection stays usable;
 * - a request longer than the limit is refused and the connection closed;
 * - one client more than the limit is told so; a slot frees when a client
 *   leaves;
 * - close returns while clients are connected (they see the end of the
 *   stream) and removes the socket file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl_socket.h"

#define BIG_ITEMS 100000
#define BIG_ITEM_LEN 80 /* 100,000 strings of 80 bytes: ~8.3 MB of JSON */

static void cmd_big(void *ctx, const char *params, struct sr_ctl_out *out)
{
	(void)ctx, (void)params;
	char item[BIG_ITEM_LEN + 1];
	sr_ctl_out_u64(out, "items", BIG_ITEMS);
	sr_ctl_out_array(out, "contact");
	for (unsigned i = 0; i < BIG_ITEMS; i++) {
		snprintf(item, sizeof(item), "sip:user%07u@198.51.100.2:5060;transport=udp;x=%0*u", i,
			 BIG_ITEM_LEN - 50, i);
		sr_ctl_out_str(out, NULL, item);
	}
	sr_ctl_out_end(out);
}

static void cmd_echo(void *ctx, const char *params, struct sr_ctl_out *out)
{
	(void)ctx;
	sr_ctl_out_str(out, "params", params);
}

static const struct sr_ctl_cmd cmds[] = {
	{ "/t/big", "A multi-megabyte answer. No parameters", cmd_big },
	{ "/t/echo", "Echoes its parameters. Parameters: anything", cmd_echo },
};
static const struct sr_ctl_table table = { cmds, 2, NULL };

static char path[108];

static int setup(void **state)
{
	snprintf(path, sizeof(path), "/tmp/sr_test_ctl_socket.%d.sock", (int)getpid());
	struct sr_ctl_socket *s = NULL;
	char err[256];
	if (sr_ctl_socket_open(path, &table, &s, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	sr_ctl_socket_close(*state);
	struct stat st;
	return stat(path, &st) == 0 ? -1 : 0; /* the socket file must be gone */
}

static int client(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	struct timeval tv = { 10, 0 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static void send_str(int fd, const char *s)
{
	assert_int_equal(send(fd, s, strlen(s), MSG_NOSIGNAL), (ssize_t)strlen(s));
}

/* Reads one line (without '\n'; malloc'd), NULL at the end of the stream. */
static char *read_line(int fd)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	for (;;) {
		char c;
		ssize_t r = recv(fd, &c, 1, 0);
		if (r <= 0) {
			assert_int_equal(len, 0); /* never half a line */
			free(buf);
			return NULL;
		}
		if (c == '\n')
			break;
		if (len + 1 == cap)
			buf = realloc(buf, cap *= 2);
		buf[len++] = c;
	}
	buf[len] = '\0';
	return buf;
}

/* Reads a large line in big chunks (the byte-wise reader above is for short ones). */
static char *read_big_line(int fd, size_t *len)
{
	size_t cap = 1 << 20;
	char *buf = malloc(cap);
	*len = 0;
	for (;;) {
		if (cap - *len < 65536)
			buf = realloc(buf, cap *= 2);
		ssize_t r = recv(fd, buf + *len, cap - *len - 1, 0);
		assert_true(r > 0);
		*len += (size_t)r;
		if (buf[*len - 1] == '\n')
			break;
	}
	buf[*len] = '\0';
	return buf;
}

static void test_multi_megabyte_answer(void **state)
{
	(void)state;
	int fd = client();
	send_str(fd, "{\"cmd\":\"/t/big\"}\n");
	size_t len;
	char *a = read_big_line(fd, &len);
	assert_true(len > 8u * 1000 * 1000);
	assert_null(memchr(a, '\n', len - 1)); /* one line */
	json_error_t je;
	json_t *j = json_loads(a, 0, &je);
	assert_non_null(j);
	json_t *v = json_object_get(j, "/t/big");
	json_t *c = json_object_get(v, "contact");
	assert_int_equal(json_integer_value(json_object_get(v, "items")), BIG_ITEMS);
	assert_int_equal(json_array_size(c), BIG_ITEMS);
	for (size_t i = 0; i < BIG_ITEMS; i += 9999) {
		char want[BIG_ITEM_LEN + 1];
		snprintf(want, sizeof(want), "sip:user%07zu@198.51.100.2:5060;transport=udp;x=%0*zu", i,
			 BIG_ITEM_LEN - 50, i);
		assert_string_equal(json_string_value(json_array_get(c, i)), want);
	}
	json_decref(j);
	free(a);
	/* the connection carries on after a big answer */
	send_str(fd, "{\"cmd\":\"/t/echo\",\"params\":\"after\"}\n");
	char *l = read_line(fd);
	assert_string_equal(l, "{\"/t/echo\":{\"params\":\"after\"}}");
	free(l);
	close(fd);
}

static void test_pipelined_and_bad_lines(void **state)
{
	(void)state;
	int fd = client();
	/* three requests in one write, the third split over two writes; blank lines are skipped */
	send_str(fd, "{\"cmd\":\"/t/echo\",\"params\":\"1\"}\n\nnot json\r\n{\"cmd\":\"/t/ec");
	usleep(50 * 1000);
	send_str(fd, "ho\",\"params\":\"3\"}\n");
	char *l = read_line(fd);
	assert_string_equal(l, "{\"/t/echo\":{\"params\":\"1\"}}");
	free(l);
	l = read_line(fd);
	assert_non_null(strstr(l, "{\"error\":\"not a request:"));
	free(l);
	l = read_line(fd);
	assert_string_equal(l, "{\"/t/echo\":{\"params\":\"3\"}}");
	free(l);
	close(fd);
}

static void test_request_too_long(void **state)
{
	(void)state;
	int fd = client();
	size_t n = SR_CTL_SOCKET_MAX_REQUEST + 10;
	char *junk = malloc(n + 1);
	memset(junk, 'a', n);
	junk[n] = '\0';
	/* the server may close before it has read everything: a short send is fine here */
	ssize_t sent = send(fd, junk, n, MSG_NOSIGNAL);
	assert_true(sent > 0);
	free(junk);
	char *l = read_line(fd);
	assert_non_null(l);
	assert_non_null(strstr(l, "request longer than"));
	free(l);
	assert_null(read_line(fd)); /* closed */
	close(fd);
}

static void test_client_limit(void **state)
{
	(void)state;
	int fds[SR_CTL_SOCKET_MAX_CLIENTS];
	for (int i = 0; i < SR_CTL_SOCKET_MAX_CLIENTS; i++) {
		fds[i] = client();
		/* answered: the client holds a slot */
		send_str(fds[i], "{\"cmd\":\"/t/echo\"}\n");
		free(read_line(fds[i]));
	}
	int extra = client();
	char *l = read_line(extra);
	assert_non_null(l);
	assert_non_null(strstr(l, "too many control clients"));
	free(l);
	assert_null(read_line(extra));
	close(extra);
	/* one leaves: the next one is served */
	close(fds[0]);
	char *ok = NULL;
	for (int tries = 0; tries < 50 && !ok; tries++) {
		usleep(20 * 1000); /* its thread must notice the hang-up first */
		int fd = client();
		send_str(fd, "{\"cmd\":\"/t/echo\",\"params\":\"late\"}\n");
		l = read_line(fd);
		if (l && strstr(l, "late")) {
			ok = l;
			fds[0] = fd; /* closed below with the others */
		} else {
			free(l);
			close(fd);
		}
	}
	assert_non_null(ok);
	free(ok);
	for (int i = 0; i < SR_CTL_SOCKET_MAX_CLIENTS; i++)
		close(fds[i]);
}

static void test_close_with_clients(void **state)
{
	/* idle clients stay connected; close must still return promptly and end their streams */
	int a = client(), b = client();
	send_str(a, "{\"cmd\":\"/t/echo\"}\n");
	free(read_line(a));
	sr_ctl_socket_close(*state);
	assert_null(read_line(a));
	assert_null(read_line(b));
	close(a);
	close(b);
	/* a fresh server for the teardown */
	char err[256];
	struct sr_ctl_socket *s = NULL;
	assert_int_equal(sr_ctl_socket_open(path, &table, &s, err, sizeof(err)), 0);
	*state = s;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_multi_megabyte_answer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pipelined_and_bad_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_too_long, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_with_clients, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
