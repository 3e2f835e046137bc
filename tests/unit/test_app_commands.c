/*
 * test_app_commands.c - sipreg's command table (app/sipreg/commands.c) run
 * against an application without running workers, and its telemetry
 * rendering (app/sipreg/telemetry.c) with DPDK's own telemetry data calls:
 * - every command is named /sipreg/..., fits DPDK's name and help limits,
 *   and /sipreg/policy_reload is gone;
 * - /sipreg/reload reloads every configured part on its own and says per
 *   part what happened: nothing configured, both reloaded, one refused while
 *   the other is reloaded (with the reason, and the old rules kept);
 * - /sipreg/aor: a bad URI is refused with a reason; a worker that does not
 *   answer times out, keeps the slot busy until it has answered, and the
 *   answer of an owner is rendered with the keys scripts read (/sipreg/rm
 *   adds "removed");
 * - /sipreg/stats, /sipreg/workers and /sipreg/auth answer their figures;
 *   stopping makes commands say so; dump and snapshot without persistence
 *   say it is off;
 * - telemetry: an answer that fits is converted, one over a limit (a long
 *   string, too many entries, 16 KB of JSON, a dictionary in an array) is
 *   refused with a message naming sipregctl; a failed command's long reason
 *   is shortened with a note, never silently.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <pthread.h>

#include <rte_malloc.h>
#include <rte_ring.h>

#include "app_auth.h"
#include "commands.h"
#include "ctl_record.h"
#include "telemetry.h"
#include "test_eal.h"
#include "worker.h"

struct fx {
	struct sr_app *app;
	struct sr_worker *w;
	struct sr_commands *cmds;
	char rules[64], subs[64];
};

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static const char good_rules[] = "ua drop /friendly-scanner/i\nua drop /sipvicious/i\n";
static const char one_subscriber[] = "alice example.com 0123456789abcdef0123456789abcdef -\n";
static const char two_subscribers[] = "alice example.com 0123456789abcdef0123456789abcdef -\n"
				      "bob example.com fedcba9876543210fedcba9876543210 -\n";

static int setup(void **state)
{
	if (sr_test_eal_init() != 0)
		return -1;
	struct fx *f = calloc(1, sizeof(*f));
	f->app = rte_zmalloc(NULL, sizeof(*f->app), RTE_CACHE_LINE_SIZE);
	f->w = rte_zmalloc(NULL, sizeof(*f->w), RTE_CACHE_LINE_SIZE);
	if (!f->app || !f->w)
		return -1;
	f->app->n_workers = 1;
	f->app->w[0] = f->w;
	f->w->app = f->app;
	f->w->lcore = 3;
	f->app->cfg.query_timeout_ms = 100;
	sr_clock_init(&f->app->clock);
	snprintf(f->rules, sizeof(f->rules), "/tmp/sr-test-cmd-rules-%d", (int)getpid());
	snprintf(f->subs, sizeof(f->subs), "/tmp/sr-test-cmd-subs-%d", (int)getpid());
	f->cmds = sr_commands_new(f->app);
	if (!f->cmds)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	sr_commands_free(f->cmds);
	sr_policy_free(f->app->policy);
	sr_auth_free(f->app->auth);
	unlink(f->rules);
	unlink(f->subs);
	rte_free(f->w);
	rte_free(f->app);
	free(f);
	return 0;
}

/* Runs a command; returns its answer as parsed JSON (caller frees). */
static json_t *run(struct fx *f, const char *name, const char *params)
{
	struct sr_ctl_out *out = sr_ctl_out_new();
	assert_non_null(out);
	sr_ctl_table_run(sr_commands_table(f->cmds), name, params, out);
	json_t *a = json_deep_copy(sr_ctl_out_answer(out));
	sr_ctl_out_free(out);
	assert_non_null(a);
	return a;
}

static const char *str(const json_t *o, const char *path1, const char *path2)
{
	const json_t *v = json_object_get(o, path1);
	if (path2)
		v = json_object_get(v, path2);
	return json_string_value(v);
}

static json_int_t num(const json_t *o, const char *path1, const char *path2)
{
	const json_t *v = json_object_get(o, path1);
	if (path2)
		v = json_object_get(v, path2);
	assert_true(json_is_integer(v));
	return json_integer_value(v);
}

static void test_table(void **state)
{
	struct fx *f = *state;
	const struct sr_ctl_table *t = sr_commands_table(f->cmds);
	assert_true(t->n >= 8);
	for (size_t i = 0; i < t->n; i++) {
		assert_int_equal(strncmp(t->cmds[i].name, "/sipreg/", 8), 0);
		assert_true(strlen(t->cmds[i].name) < 56);                     /* DPDK's MAX_CMD_LEN */
		assert_true(strlen(t->cmds[i].help) < RTE_TEL_MAX_STRING_LEN); /* and its help limit */
		for (size_t k = 0; k < i; k++)
			assert_string_not_equal(t->cmds[i].name, t->cmds[k].name);
	}
	assert_null(sr_ctl_table_find(t, "/sipreg/policy_reload"));
	assert_non_null(sr_ctl_table_find(t, "/sipreg/reload"));
}

static void test_reload_nothing(void **state)
{
	struct fx *f = *state;
	json_t *a = run(f, "/sipreg/reload", NULL);
	assert_string_equal(str(a, "reload", NULL), "nothing");
	assert_non_null(strstr(str(a, "error", NULL), "nothing to reload"));
	assert_int_equal(num(a, "subscribers", "configured"), 0);
	assert_int_equal(num(a, "policy", "configured"), 0);
	assert_non_null(strstr(str(a, "policy", "error"), "policy.rules"));
	json_decref(a);
}

static void configure_both(struct fx *f)
{
	write_file(f->rules, good_rules);
	char err[512];
	snprintf(f->app->cfg.policy_rules, sizeof(f->app->cfg.policy_rules), "%s", f->rules);
	f->app->policy = sr_policy_create_file(1, "198.51.100.1", f->rules, err, sizeof(err));
	assert_non_null(f->app->policy);
	write_file(f->subs, one_subscriber);
	struct sr_auth_config ac;
	sr_auth_config_defaults(&ac);
	ac.enabled = true;
	snprintf(ac.subscribers, sizeof(ac.subscribers), "%s", f->subs);
	snprintf(ac.nonce_secret, sizeof(ac.nonce_secret), "test-secret");
	f->app->auth = sr_auth_new(&ac, 1, err, sizeof(err));
	assert_non_null(f->app->auth);
}

static void test_reload_parts(void **state)
{
	struct fx *f = *state;
	configure_both(f);
	write_file(f->subs, two_subscribers);
	json_t *a = run(f, "/sipreg/reload", NULL);
	assert_string_equal(str(a, "reload", NULL), "ok");
	assert_null(json_object_get(a, "error"));
	assert_string_equal(str(a, "subscribers", "reload"), "ok");
	assert_int_equal(num(a, "subscribers", "subscribers"), 2);
	assert_string_equal(str(a, "subscribers", "nonce_secret"), "unchanged");
	assert_int_equal(num(a, "subscribers", "secret_generation"), 1);
	assert_string_equal(str(a, "policy", "reload"), "ok");
	assert_int_equal(num(a, "policy", "rules"), 2);
	assert_int_equal(num(a, "policy", "generation"), 2);
	json_decref(a);

	/* a broken rules file: the policy part is refused, the subscribers are still reloaded */
	write_file(f->rules, "ua drop /friendly-scanner/i\nua drop /(unclosed/\n");
	write_file(f->subs, one_subscriber);
	a = run(f, "/sipreg/reload", NULL);
	assert_string_equal(str(a, "reload", NULL), "refused");
	assert_string_equal(str(a, "subscribers", "reload"), "ok");
	assert_int_equal(num(a, "subscribers", "subscribers"), 1);
	const char *why = str(a, "policy", "error");
	assert_non_null(why);
	assert_non_null(strstr(why, "line 2"));
	assert_null(json_object_get(json_object_get(a, "policy"), "configured"));
	assert_int_equal(strncmp(str(a, "error", NULL), "policy: ", 8), 0);
	assert_non_null(strstr(str(a, "error", NULL), why));
	struct sr_policy_info info;
	sr_policy_get_info(f->app->policy, &info);
	assert_int_equal(info.generation, 2); /* the old rules stay */
	json_decref(a);

	/* both refused: one error naming both */
	write_file(f->subs, "alice example.com not-hex -\n");
	a = run(f, "/sipreg/reload", NULL);
	assert_string_equal(str(a, "reload", NULL), "refused");
	assert_non_null(strstr(str(a, "error", NULL), "subscribers: "));
	assert_non_null(strstr(str(a, "error", NULL), "; policy: "));
	assert_non_null(strstr(str(a, "subscribers", "error"), ":1:"));
	json_decref(a);

	/* /sipreg/auth: the table still in force (one subscriber) and zero counters */
	a = run(f, "/sipreg/auth", NULL);
	assert_int_equal(num(a, "enabled", NULL), 1);
	assert_int_equal(num(a, "subscribers", NULL), 1);
	assert_int_equal(num(a, "authenticated", NULL), 0);
	json_decref(a);
}

/*
 * A stand-in for the owner worker, answering like answer_query: with no
 * binding, or (big) with one binding whose contact and Path (40 KB each) do
 * not fit the first answer buffer, so the control side must grow it and ask
 * again. Answers up to 'questions' questions.
 */
struct fake_owner {
	struct sr_worker *w;
	bool big;
	int questions;
	int answered;
	char *contact, *path;
};

static void fake_answer(struct fake_owner *fo, struct sr_aor_query *aq)
{
	aq->removed = aq->remove ? 2 : 0;
	aq->total = fo->big ? 1 : 0;
	aq->len = 0;
	if (fo->big) {
		struct sr_loc_binding b = { .aor = sr_str_make(aq->aor, aq->aor_len) };
		b.f[SR_BF_CONTACT] = sr_str_cstr(fo->contact);
		b.f[SR_BF_PATH] = sr_str_cstr(fo->path);
		b.st.id = 77;
		b.st.expires = 4000000000u;
		size_t size = sr_ctl_record_size(&b);
		aq->len = 4 + size;
		if (aq->len <= aq->cap) {
			for (int i = 0; i < 4; i++)
				aq->buf[i] = (uint8_t)(size >> (8 * i));
			sr_ctl_record_encode(&b, aq->buf + 4, size);
		}
	}
	fo->answered++;
	__atomic_store_n(&aq->done, 1, __ATOMIC_RELEASE);
}

static void *fake_owner(void *arg)
{
	struct fake_owner *fo = arg;
	for (int i = 0; i < 2000 && fo->answered < fo->questions; i++) {
		void *q = NULL;
		if (rte_ring_sc_dequeue(fo->w->queries, &q) == 0)
			fake_answer(fo, q);
		else
			usleep(1000);
	}
	return NULL;
}

/* The fake owner will answer this many questions, counting from zero. */
static void expect_questions(struct fake_owner *fo, int questions)
{
	fo->questions = questions;
	fo->answered = 0;
}

static void test_aor(void **state)
{
	struct fx *f = *state;
	json_t *a = run(f, "/sipreg/aor", "not a uri");
	assert_non_null(strstr(str(a, "error", NULL), "not a SIP URI"));
	json_decref(a);
	a = run(f, "/sipreg/aor", "");
	assert_non_null(strstr(str(a, "error", NULL), "needs an AoR URI"));
	json_decref(a);

	/* nobody answers: timed out; the slot stays busy until the worker answers */
	a = run(f, "/sipreg/aor", "sip:Alice@Example.COM");
	assert_non_null(strstr(str(a, "error", NULL), "query_timeout_ms"));
	json_decref(a);
	a = run(f, "/sipreg/aor", "sip:alice@example.com");
	assert_non_null(strstr(str(a, "error", NULL), "still being answered"));
	json_decref(a);
	pthread_t t;
	struct fake_owner fo = { .w = f->w };
	expect_questions(&fo, 1);
	pthread_create(&t, NULL, fake_owner, &fo); /* answers the late question */
	pthread_join(t, NULL);

	expect_questions(&fo, 1);
	pthread_create(&t, NULL, fake_owner, &fo);
	a = run(f, "/sipreg/aor", "sip:alice@EXAMPLE.com");
	pthread_join(t, NULL);
	assert_string_equal(str(a, "aor", NULL), "sip:alice@example.com");
	assert_int_equal(num(a, "worker", NULL), 0);
	assert_int_equal(num(a, "bindings", NULL), 0);
	assert_null(json_object_get(a, "removed"));
	const char *keys[] = { "contact", "expires", "q", "call_id", "cseq", "user_agent", "params", "path",
			       "instance", "reg_id", "source", "id", "gruu", "push", "destination" };
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		assert_true(json_is_array(json_object_get(a, keys[i])));
	json_decref(a);

	expect_questions(&fo, 1);
	pthread_create(&t, NULL, fake_owner, &fo);
	a = run(f, "/sipreg/rm", "sip:alice@example.com,sip:alice@198.51.100.2:5060");
	pthread_join(t, NULL);
	assert_int_equal(num(a, "removed", NULL), 2);
	json_decref(a);

	/* an answer larger than the first buffer: asked twice, removed once, shown whole */
	fo.big = true;
	fo.contact = malloc(40001);
	fo.path = malloc(40001);
	memset(fo.contact, 'c', 40000);
	memset(fo.path, 'p', 40000);
	memcpy(fo.contact, "sip:", 4);
	fo.contact[40000] = fo.path[40000] = '\0';
	expect_questions(&fo, 2);
	pthread_create(&t, NULL, fake_owner, &fo);
	a = run(f, "/sipreg/rm", "sip:alice@example.com");
	pthread_join(t, NULL);
	assert_int_equal(fo.answered, 2);
	assert_int_equal(num(a, "removed", NULL), 2); /* the retry only reads */
	assert_int_equal(num(a, "bindings", NULL), 1);
	json_t *c = json_array_get(json_object_get(a, "contact"), 0);
	assert_string_equal(json_string_value(c), fo.contact);
	assert_string_equal(json_string_value(json_array_get(json_object_get(a, "path"), 0)), fo.path);
	assert_int_equal(json_integer_value(json_array_get(json_object_get(a, "id"), 0)), 77);
	json_decref(a);
	free(fo.contact);
	free(fo.path);
}

static void test_figures_and_stopping(void **state)
{
	struct fx *f = *state;
	f->w->stats.bindings = 7;
	f->w->stats.sip_requests = 11;
	json_t *a = run(f, "/sipreg/workers", NULL);
	assert_int_equal(num(a, "w0", "lcore"), 3);
	assert_int_equal(num(a, "w0", "bindings"), 7);
	json_decref(a);
	a = run(f, "/sipreg/stats", NULL);
	assert_int_equal(num(a, "sipreg_workers", NULL), 1);
	assert_int_equal(num(a, "sipreg_sip_requests_total", NULL), 11);
	assert_int_equal(num(a, "sipreg_worker_bindings", "0"), 7);
	assert_true(json_is_object(json_object_get(a, "sipreg_responses_total")));
	json_decref(a);
	a = run(f, "/sipreg/auth", NULL);
	assert_int_equal(num(a, "enabled", NULL), 0);
	json_decref(a);
	a = run(f, "/sipreg/dump", NULL);
	assert_non_null(strstr(str(a, "error", NULL), "persistence is off"));
	json_decref(a);
	a = run(f, "/sipreg/snapshot", "/tmp/x");
	assert_non_null(strstr(str(a, "error", NULL), "persistence is off"));
	json_decref(a);

	f->app->stop = 1;
	const char *names[] = { "/sipreg/stats", "/sipreg/workers", "/sipreg/aor", "/sipreg/reload" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		a = run(f, names[i], "sip:alice@example.com");
		assert_string_equal(str(a, "error", NULL), "sipreg is stopping");
		json_decref(a);
	}
}

/* Renders out into fresh telemetry data; returns the rc and frees the data (flat answers only). */
static int render(const struct sr_ctl_out *out, char *why, size_t cap)
{
	struct rte_tel_data *d = rte_tel_data_alloc();
	assert_non_null(d);
	why[0] = '\0';
	int rc = sr_telemetry_render("/sipreg/test", out, d, why, cap);
	rte_tel_data_free(d);
	return rc;
}

static void test_telemetry_limits(void **state)
{
	(void)state;
	char why[512], s[300];
	struct sr_ctl_out *o = sr_ctl_out_new();
	sr_ctl_out_u64(o, "n", 1);
	sr_ctl_out_int(o, "neg", -1);
	memset(s, 'a', 127);
	s[127] = '\0';
	sr_ctl_out_str(o, "max", s); /* exactly at the limit */
	assert_int_equal(render(o, why, sizeof(why)), 0);
	sr_ctl_out_free(o);

	/* a contact of 128 bytes */
	o = sr_ctl_out_new();
	memset(s, 'c', 128);
	s[128] = '\0';
	sr_ctl_out_array(o, "contact");
	sr_ctl_out_str(o, NULL, s);
	sr_ctl_out_end(o);
	assert_int_equal(render(o, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "use sipregctl"));
	assert_non_null(strstr(why, "128 bytes in \"contact\""));
	sr_ctl_out_free(o);

	/* 257 entries in a dictionary */
	o = sr_ctl_out_new();
	for (int i = 0; i <= RTE_TEL_MAX_DICT_ENTRIES; i++) {
		char k[16];
		snprintf(k, sizeof(k), "k%d", i);
		sr_ctl_out_u64(o, k, 1);
	}
	assert_int_equal(render(o, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "257 entries"));
	sr_ctl_out_free(o);

	/* 513 entries in an array */
	o = sr_ctl_out_new();
	sr_ctl_out_array(o, "a");
	for (int i = 0; i <= RTE_TEL_MAX_ARRAY_ENTRIES; i++)
		sr_ctl_out_u64(o, NULL, 1);
	sr_ctl_out_end(o);
	assert_int_equal(render(o, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "513 entries in \"a\""));
	sr_ctl_out_free(o);

	/* short strings, but 16 KB of JSON in all */
	o = sr_ctl_out_new();
	for (int a = 0; a < 2; a++) {
		char k[8];
		snprintf(k, sizeof(k), "a%d", a);
		sr_ctl_out_array(o, k);
		for (int i = 0; i < 100; i++)
			sr_ctl_out_str(o, NULL, s + 40); /* 88 bytes each */
		sr_ctl_out_end(o);
	}
	assert_int_equal(render(o, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "bytes of JSON"));
	sr_ctl_out_free(o);

	/* a dictionary inside an array: DPDK cannot render it */
	o = sr_ctl_out_new();
	sr_ctl_out_array(o, "list");
	sr_ctl_out_dict(o, NULL);
	sr_ctl_out_end(o);
	sr_ctl_out_end(o);
	assert_int_equal(render(o, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "inside array \"list\""));
	sr_ctl_out_free(o);

	/* a failed command always answers, a long reason shortened with a note */
	o = sr_ctl_out_new();
	memset(s, 'r', 200);
	s[200] = '\0';
	sr_ctl_out_fail(o, "%s", s);
	assert_int_equal(render(o, why, sizeof(why)), 0);
	sr_ctl_out_free(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_parts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_aor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_figures_and_stopping, setup, teardown),
		cmocka_unit_test(test_telemetry_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
