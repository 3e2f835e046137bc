/*
 * test_push_gateway.c - the push gateway client (lib/ctl/ctl_pushgw.c)
 * against a real HTTP server the test runs on 127.0.0.1 (libmicrohttpd, a
 * thread per connection so a slow answer can be scripted): delivered,
 * 5xx then a retry after the back-off, 4xx not retried, timeout, gateway
 * down, queue full, the body checked field by field, and the push figures.
 *
 * The control clock (now_ms) is the test's to move: it drives the
 * back-off, so "no retry before the back-off ends" is checked without
 * sleeping through it. curl's per-attempt timeout runs on real time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>

#include "ctl_pushgw.h"

/* ---------------------------------------------------------------- the gateway the test runs */

#define MAX_SEEN 16
#define BODY_MAX 4096

struct seen {
	char method[8], url[64], type[64];
	char body[BODY_MAX];
	size_t len;
};

static struct {
	pthread_mutex_t lock;
	unsigned n;
	struct seen seen[MAX_SEEN];
	int status[MAX_SEEN]; /* answer to request i (0: 200) */
	unsigned delay_ms;    /* before answering */
} gwsrv = { .lock = PTHREAD_MUTEX_INITIALIZER };

struct upload {
	char body[BODY_MAX];
	size_t len;
};

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url, const char *method,
			      const char *version, const char *data, size_t *data_len, void **con_cls)
{
	(void)cls;
	(void)version;
	struct upload *u = *con_cls;
	if (!u) {
		*con_cls = u = calloc(1, sizeof(*u));
		return u ? MHD_YES : MHD_NO;
	}
	if (*data_len) {
		size_t n = *data_len < BODY_MAX - u->len ? *data_len : BODY_MAX - u->len;
		memcpy(u->body + u->len, data, n);
		u->len += n;
		*data_len = 0;
		return MHD_YES;
	}
	pthread_mutex_lock(&gwsrv.lock);
	unsigned i = gwsrv.n < MAX_SEEN ? gwsrv.n++ : MAX_SEEN - 1;
	struct seen *s = &gwsrv.seen[i];
	snprintf(s->method, sizeof(s->method), "%s", method);
	snprintf(s->url, sizeof(s->url), "%s", url);
	const char *type = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
	snprintf(s->type, sizeof(s->type), "%s", type ? type : "");
	memcpy(s->body, u->body, u->len);
	s->len = u->len;
	int status = gwsrv.status[i] ? gwsrv.status[i] : 200;
	unsigned delay = gwsrv.delay_ms;
	pthread_mutex_unlock(&gwsrv.lock);
	if (delay)
		usleep(delay * 1000);
	struct MHD_Response *r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	enum MHD_Result rc = MHD_queue_response(c, (unsigned)status, r);
	MHD_destroy_response(r);
	return rc;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode why)
{
	(void)cls;
	(void)c;
	(void)why;
	free(*con_cls);
	*con_cls = NULL;
}

static struct MHD_Daemon *daemon_;
static char url[128];

static int server_start(void **state)
{
	(void)state;
	pthread_mutex_lock(&gwsrv.lock);
	gwsrv.n = 0;
	memset(gwsrv.status, 0, sizeof(gwsrv.status));
	gwsrv.delay_ms = 0;
	pthread_mutex_unlock(&gwsrv.lock);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = 0 };
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	daemon_ = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
				   answer, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
				   MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_END);
	if (!daemon_)
		return -1;
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_BIND_PORT);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/push", info->port);
	return 0;
}

static int server_stop(void **state)
{
	(void)state;
	MHD_stop_daemon(daemon_);
	daemon_ = NULL;
	return 0;
}

static unsigned seen_count(void)
{
	pthread_mutex_lock(&gwsrv.lock);
	unsigned n = gwsrv.n;
	pthread_mutex_unlock(&gwsrv.lock);
	return n;
}

/* ---------------------------------------------------------------- the client side */

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static struct sr_pushgw_config config(const char *to)
{
	struct sr_push_config pc;
	sr_push_config_defaults(&pc);
	struct sr_pushgw_config c = pc.gateway;
	snprintf(c.url, sizeof(c.url), "%s", to);
	c.timeout_ms = 1000;
	c.backoff_ms = 20;
	c.body_max = BODY_MAX;
	return c;
}

static struct sr_pushgw *client(const struct sr_pushgw_config *c)
{
	char err[256];
	struct sr_pushgw *gw = sr_pushgw_create(c, err, sizeof(err));
	if (!gw)
		fail_msg("%s", err);
	return gw;
}

/*
 * Polls until nothing is queued (or max_ms of real time), the control clock
 * following real time plus 'skew'. Returns the longest single poll in ms.
 */
static uint64_t drain(struct sr_pushgw *gw, uint64_t skew, unsigned max_ms)
{
	uint64_t end = mono_ms() + max_ms, longest = 0;
	while (sr_pushgw_stats(gw)->queued && mono_ms() < end) {
		uint64_t t0 = mono_ms();
		sr_pushgw_poll(gw, t0 + skew);
		uint64_t took = mono_ms() - t0;
		longest = took > longest ? took : longest;
		usleep(500);
	}
	assert_int_equal(sr_pushgw_stats(gw)->queued, 0);
	assert_int_equal(sr_pushgw_stats(gw)->in_flight, 0);
	return longest;
}

/* A real event: what lib/push emits. */
static size_t event(char *out, size_t cap, const char *prid)
{
	char packed[256];
	int n = snprintf(packed, sizeof(packed), "pn-provider%capns%cpn-prid%c%s%cpn-param%cTEAM.com.example%c", 0, 0,
			 0, prid, 0, 0, 0);
	size_t len = sr_push_event_json(out, cap, SR_STR_LIT("sip:alice@example.com"),
					SR_STR_LIT("sip:alice@198.51.100.9:5070;pn-provider=apns"), SR_PUSH_R_CALL,
					sr_str_make(packed, (size_t)n));
	assert_int_not_equal(len, 0);
	return len;
}

static void test_delivered(void **state)
{
	(void)state;
	struct sr_pushgw_config c = config(url);
	struct sr_pushgw *gw = client(&c);
	char body[1024];
	size_t len = event(body, sizeof(body), "a%2Bb");
	assert_true(sr_pushgw_submit(gw, body, len, mono_ms()));
	drain(gw, 0, 5000);
	const struct sr_pushgw_stats *st = sr_pushgw_stats(gw);
	assert_int_equal(st->submitted, 1);
	assert_int_equal(st->delivered, 1);
	assert_int_equal(st->retries, 0);
	for (unsigned i = 0; i < SR_PUSHGW_F_COUNT; i++)
		assert_int_equal(st->failed[i] + st->errors[i], 0);

	assert_int_equal(seen_count(), 1);
	struct seen *s = &gwsrv.seen[0];
	assert_string_equal(s->method, "POST");
	assert_string_equal(s->url, "/push");
	assert_string_equal(s->type, "application/json");
	assert_int_equal(s->len, len);
	assert_memory_equal(s->body, body, len); /* exactly the event, byte for byte */
	/* and, field by field, what a gateway reads */
	json_t *o = json_loadb(s->body, s->len, 0, NULL);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "event")), "contactRefresh");
	assert_string_equal(json_string_value(json_object_get(o, "aor")), "sip:alice@example.com");
	assert_string_equal(json_string_value(json_object_get(o, "contact")),
			    "sip:alice@198.51.100.9:5070;pn-provider=apns");
	assert_string_equal(json_string_value(json_object_get(o, "reason")), "call");
	assert_string_equal(json_string_value(json_object_get(o, "pn-provider")), "apns");
	assert_string_equal(json_string_value(json_object_get(o, "pn-prid")), "a+b");
	assert_string_equal(json_string_value(json_object_get(o, "pn-param")), "TEAM.com.example");
	assert_int_equal(json_object_size(o), 7);
	json_decref(o);
	sr_pushgw_free(gw);
}

static void test_5xx_then_retry(void **state)
{
	(void)state;
	gwsrv.status[0] = 503;
	struct sr_pushgw_config c = config(url);
	c.backoff_ms = 5000;
	struct sr_pushgw *gw = client(&c);
	char body[1024];
	size_t len = event(body, sizeof(body), "R");
	uint64_t t = mono_ms();
	assert_true(sr_pushgw_submit(gw, body, len, t));
	/* the first attempt fails; with the control clock standing still the back-off never ends */
	uint64_t end = mono_ms() + 3000;
	while (sr_pushgw_stats(gw)->errors[SR_PUSHGW_F_HTTP_5XX] == 0 && mono_ms() < end) {
		sr_pushgw_poll(gw, t);
		usleep(500);
	}
	assert_int_equal(sr_pushgw_stats(gw)->errors[SR_PUSHGW_F_HTTP_5XX], 1);
	for (int i = 0; i < 100; i++) {
		sr_pushgw_poll(gw, t + 4999);
		usleep(500);
	}
	assert_int_equal(seen_count(), 1);
	assert_int_equal(sr_pushgw_stats(gw)->queued, 1); /* waiting, still counted against the queue */
	/* the back-off ends: the same event again, delivered */
	drain(gw, t + 5000 - mono_ms() + 1, 5000);
	const struct sr_pushgw_stats *st = sr_pushgw_stats(gw);
	assert_int_equal(st->delivered, 1);
	assert_int_equal(st->retries, 1);
	assert_int_equal(st->failed[SR_PUSHGW_F_HTTP_5XX], 0);
	assert_int_equal(seen_count(), 2);
	assert_int_equal(gwsrv.seen[1].len, len);
	assert_memory_equal(gwsrv.seen[1].body, body, len);
	sr_pushgw_free(gw);

	/* every attempt 5xx: given up after the retries, by cause */
	gwsrv.n = 0;
	gwsrv.status[0] = gwsrv.status[1] = gwsrv.status[2] = 500;
	c.backoff_ms = 1;
	gw = client(&c);
	assert_true(sr_pushgw_submit(gw, body, len, mono_ms()));
	drain(gw, 0, 5000);
	st = sr_pushgw_stats(gw);
	assert_int_equal(st->delivered, 0);
	assert_int_equal(st->failed[SR_PUSHGW_F_HTTP_5XX], 1);
	assert_int_equal(st->errors[SR_PUSHGW_F_HTTP_5XX], 3);
	assert_int_equal(st->retries, 2);
	assert_int_equal(seen_count(), 3);
	sr_pushgw_free(gw);
}

static void test_4xx_not_retried(void **state)
{
	(void)state;
	gwsrv.status[0] = 400;
	struct sr_pushgw_config c = config(url);
	struct sr_pushgw *gw = client(&c);
	char body[1024];
	size_t len = event(body, sizeof(body), "F");
	assert_true(sr_pushgw_submit(gw, body, len, mono_ms()));
	drain(gw, 0, 5000);
	const struct sr_pushgw_stats *st = sr_pushgw_stats(gw);
	assert_int_equal(st->failed[SR_PUSHGW_F_HTTP_4XX], 1);
	assert_int_equal(st->retries, 0);
	assert_int_equal(seen_count(), 1);
	sr_pushgw_free(gw);
}

static void test_timeout(void **state)
{
	(void)state;
	gwsrv.delay_ms = 2000;
	struct sr_pushgw_config c = config(url);
	c.timeout_ms = 800;
	c.retries = 0;
	struct sr_pushgw *gw = client(&c);
	char body[1024];
	size_t len = event(body, sizeof(body), "T");
	uint64_t t0 = mono_ms();
	assert_true(sr_pushgw_submit(gw, body, len, t0));
	uint64_t longest = drain(gw, 0, 5000);
	assert_true(mono_ms() - t0 < 2000); /* given up at the timeout, not when the gateway finally answered */
	/* and the control loop went on meanwhile: a client that waited would have held one poll 800 ms */
	assert_true(longest < 400);
	const struct sr_pushgw_stats *st = sr_pushgw_stats(gw);
	assert_int_equal(st->failed[SR_PUSHGW_F_TIMEOUT], 1);
	assert_int_equal(st->delivered, 0);
	sr_pushgw_free(gw);
}

/* A port on 127.0.0.1 where nothing listens: bound, then closed. */
static unsigned closed_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = 0 };
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	socklen_t l = sizeof(sa);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &l), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

static void test_gateway_down(void **state)
{
	(void)state;
	char down[128];
	snprintf(down, sizeof(down), "http://127.0.0.1:%u/push", closed_port());
	struct sr_pushgw_config c = config(down);
	c.backoff_ms = 5;
	struct sr_pushgw *gw = client(&c);
	char body[1024];
	size_t len = event(body, sizeof(body), "D");
	for (int i = 0; i < 3; i++)
		assert_true(sr_pushgw_submit(gw, body, len, mono_ms()));
	drain(gw, 0, 5000);
	const struct sr_pushgw_stats *st = sr_pushgw_stats(gw);
	assert_int_equal(st->failed[SR_PUSHGW_F_CONNECT], 3);
	assert_int_equal(st->errors[SR_PUSHGW_F_CONNECT], 9); /* first attempt and two retries each */
	assert_int_equal(st->retries, 6);
	assert_int_equal(st->delivered, 0);
	sr_pushgw_free(gw);
}

static void test_queue_full(void **state)
{
	(void)state;
	gwsrv.delay_ms = 100;
	struct sr_pushgw_config c = config(url);
	c.queue = 3;
	c.parallel = 1;
	struct sr_pushgw *gw = client(&c);
	char body[1024];
	size_t len = event(body, sizeof(body), "Q");
	unsigned taken = 0;
	for (int i = 0; i < 5; i++)
		taken += sr_pushgw_submit(gw, body, len, mono_ms());
	assert_int_equal(taken, 3);
	const struct sr_pushgw_stats *st = sr_pushgw_stats(gw);
	assert_int_equal(st->dropped_full, 2);
	assert_int_equal(st->queued, 3);
	/* in flight still counts: one running, two waiting, no room */
	sr_pushgw_poll(gw, mono_ms());
	assert_int_equal(st->in_flight, 1);
	assert_false(sr_pushgw_submit(gw, body, len, mono_ms()));
	assert_int_equal(st->dropped_full, 3);
	drain(gw, 0, 5000);
	assert_int_equal(st->delivered, 3);
	assert_int_equal(seen_count(), 3);
	/* room again; a body over the limit is refused on its own count */
	assert_true(sr_pushgw_submit(gw, body, len, mono_ms()));
	static char big[BODY_MAX + 1];
	assert_false(sr_pushgw_submit(gw, big, sizeof(big), mono_ms()));
	assert_int_equal(st->dropped_large, 1);
	drain(gw, 0, 5000);
	assert_int_equal(st->delivered, 4);
	sr_pushgw_free(gw);
}

static void test_refuses_config(void **state)
{
	(void)state;
	char err[256];
	struct sr_pushgw_config c = config("");
	assert_null(sr_pushgw_create(&c, err, sizeof(err)));
	c = config(url);
	c.parallel = c.queue + 1;
	assert_null(sr_pushgw_create(&c, err, sizeof(err)));
}

/* The figures: every name follows the walk's rules, every cause and reason is a sample. */
static void test_figures(void **state)
{
	(void)state;
	struct sr_push_stats ps = { .triggered = { 3, 2, 1 }, .held = 4, .holding = 1 };
	struct sr_pushgw_stats gs = { .delivered = 5, .failed = { [SR_PUSHGW_F_CONNECT] = 2 }, .dropped_full = 7 };
	struct sr_prom p;
	sr_prom_init(&p);
	struct sr_stats_prom_sink sink;
	sr_stats_prom_sink_init(&sink, &p);
	sr_pushgw_stats_walk(&sink.base, &ps, &gs);
	assert_false(p.failed);
	const char *want[] = {
		"sipreg_push_triggered_total{reason=\"call\"} 3\n",  "sipreg_push_triggered_total{reason=\"purr\"} 1\n",
		"sipreg_push_held_total 4\n",                       "sipreg_push_holding 1\n",
		"sipreg_push_delivered_total 5\n",                  "sipreg_push_failed_total{cause=\"connect\"} 2\n",
		"sipreg_push_failed_total{cause=\"http_5xx\"} 0\n", "sipreg_push_dropped_total{reason=\"queue_full\"} 7\n",
		"sipreg_push_gateway_errors_total{cause=\"timeout\"} 0\n",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!strstr(p.buf, want[i]))
			fail_msg("missing: %s", want[i]);
	/* every family name follows the naming rules */
	for (const char *l = p.buf; (l = strstr(l, "# TYPE ")) != NULL; l++) {
		char name[96], kind[16];
		assert_int_equal(sscanf(l, "# TYPE %95s %15s", name, kind), 2);
		assert_true(sr_stats_name_ok(name, strcmp(kind, "counter") == 0 ? SR_STAT_COUNTER : SR_STAT_GAUGE));
	}
	/* no gateway configured: its families are absent */
	sr_prom_fini(&p);
	sr_prom_init(&p);
	sr_stats_prom_sink_init(&sink, &p);
	sr_pushgw_stats_walk(&sink.base, &ps, NULL);
	assert_null(strstr(p.buf, "sipreg_push_delivered_total"));
	assert_non_null(strstr(p.buf, "sipreg_push_held_total"));
	sr_prom_fini(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_delivered, server_start, server_stop),
		cmocka_unit_test_setup_teardown(test_5xx_then_retry, server_start, server_stop),
		cmocka_unit_test_setup_teardown(test_4xx_not_retried, server_start, server_stop),
		cmocka_unit_test_setup_teardown(test_timeout, server_start, server_stop),
		cmocka_unit_test_setup_teardown(test_gateway_down, server_start, server_stop),
		cmocka_unit_test_setup_teardown(test_queue_full, server_start, server_stop),
		cmocka_unit_test_setup_teardown(test_refuses_config, server_start, server_stop),
		cmocka_unit_test(test_figures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
