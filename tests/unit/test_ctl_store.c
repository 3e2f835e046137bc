/*
 * test_ctl_store.c - the LMDB store (lib/ctl/ctl_store.c) end to end:
 * bindings made by real REGISTERs are committed through a batch, loaded
 * into a fresh shard with sr_loc_restore and compared field by
 * field; expired ones are dropped (and deleted from the store); removals
 * delete; a data directory holding garbage, a foreign LMDB environment or
 * another format version is refused with a message saying so, and so is a
 * data.mdb cut short (LMDB would otherwise die with SIGBUS on the first
 * page past the end); snapshots are complete copies. Each test works in its own mkdtemp directory.
 */
#include "reg_harness.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl_store.h"
#include "store_dir.h"

#define ALICE "sip:alice@example.com"

/* Commits every binding of env e's AoR 'aor' as 'type' events. */
static void commit_aor(struct sr_ctl_store *st, struct th_env *e, const char *aor, enum sr_event_type type)
{
	struct sr_ctl_batch b;
	assert_int_equal(sr_ctl_batch_init(&b, 1000, 5), 0);
	const struct sr_aor *a = th_aor(e, aor);
	assert_non_null(a);
	for (const struct sr_binding *x = a->bindings; x; x = x->next) {
		struct sr_loc_binding bd;
		sr_loc_view(x, &bd);
		assert_int_equal(sr_ctl_batch_add(&b, type, &bd, 1, 0), 0);
	}
	char err[512];
	assert_int_equal(sr_ctl_store_commit(st, &b, err, sizeof(err)), 0);
	sr_ctl_batch_fini(&b);
}

static int restore_cb(void *ctx, const struct sr_loc_binding *b, const char **why)
{
	struct th_env *e = ctx;
	enum sr_restore_rc rc = sr_loc_restore(th_loc(e), b, (uint32_t)(e->now_ms / 1000));
	if (rc == SR_RESTORE_OK || rc == SR_RESTORE_REPLACED)
		return 0;
	*why = sr_restore_rc_str(rc);
	return -1;
}

static void assert_same(const struct sr_binding *a, const struct sr_binding *b)
{
	for (int i = 0; i < SR_BF_COUNT; i++)
		assert_true(sr_str_eq(sr_binding_field(a, (enum sr_bfield)i), sr_binding_field(b, (enum sr_bfield)i)));
	struct sr_binding_state x, y;
	sr_binding_get_state(a, &x);
	sr_binding_get_state(b, &y);
	assert_true(sr_binding_state_equal(&x, &y));
}

static void test_round_trip_through_lmdb(void **state)
{
	(void)state;
	struct dir d;
	dir_new(&d);
	struct th_env *src = th_env_new(NULL, NULL), *dst = th_env_new(NULL, NULL);
	struct th_req r = { .to = ALICE, .call_id = "c1@ua", .cseq = 9,
			    .contact = "<sip:alice@198.51.100.2:5070>;q=0.7;expires=600"
				       ";+sip.instance=\"<urn:uuid:00000000-0000-0000-0000-000000000001>\";reg-id=2",
			    .extra = "Path: <sip:edge.example.com;lr>\r\nUser-Agent: phone/1.0\r\nSupported: outbound, gruu\r\n" };
	assert_int_equal(th_send(src, &r), 200);
	assert_int_equal(th_register(src, "alice", "<sip:desk@198.51.100.3>;expires=120", "c2@ua", 1), 200);
	assert_int_equal(th_register(src, "bob", "<sip:bob@198.51.100.4>", "c3@ua", 1), 200);

	char err[512];
	struct sr_ctl_store *st;
	assert_int_equal(sr_ctl_store_open(d.path, 0, &st, err, sizeof(err)), 0);
	commit_aor(st, src, ALICE, SR_EV_ADDED);
	commit_aor(st, src, "sip:bob@example.com", SR_EV_ADDED);
	commit_aor(st, src, "sip:bob@example.com", SR_EV_REMOVED);
	uint64_t n, bytes;
	assert_int_equal(sr_ctl_store_count(st, &n, &bytes), 0);
	assert_int_equal(n, 2);
	assert_true(bytes > 0);
	sr_ctl_store_close(st);

	/* reopen (a restart) 180 s later: the 120 s binding expired meanwhile */
	dst->now_ms = src->now_ms + 180000;
	assert_int_equal(sr_ctl_store_open(d.path, 0, &st, err, sizeof(err)), 0);
	struct sr_ctl_load_stats ls;
	assert_int_equal(sr_ctl_store_load(st, (uint32_t)(dst->now_ms / 1000), restore_cb, dst, &ls, err,
					   sizeof(err)), 0);
	assert_int_equal(ls.loaded, 1);
	assert_int_equal(ls.dropped, 1);
	assert_int_equal(dst->n_events, 0);
	assert_int_equal(th_binding_count(dst, ALICE), 1);
	assert_int_equal(th_binding_count(dst, "sip:bob@example.com"), 0);
	/* src in q order: the desk phone (no q: 1.0) first, then the q=0.7 one that is left */
	assert_int_equal(th_binding(src, ALICE, 1)->q, 700);
	assert_same(th_binding(src, ALICE, 1), th_binding(dst, ALICE, 0));
	assert_int_equal(sr_ctl_store_count(st, &n, &bytes), 0);
	assert_int_equal(n, 1); /* the expired record was deleted by the load */
	sr_ctl_store_close(st);
	th_env_free(src);
	th_env_free(dst);
	dir_free(&d);
}

static void test_refresh_overwrites(void **state)
{
	(void)state;
	struct dir d;
	dir_new(&d);
	struct th_env *e = th_env_new(NULL, NULL);
	char err[512];
	struct sr_ctl_store *st;
	assert_int_equal(sr_ctl_store_open(d.path, 0, &st, err, sizeof(err)), 0);
	assert_int_equal(th_register(e, "alice", "<sip:a@198.51.100.2>", "c1", 1), 200);
	commit_aor(st, e, ALICE, SR_EV_ADDED);
	assert_int_equal(th_register(e, "alice", "<sip:a@198.51.100.2>", "c1", 2), 200);
	commit_aor(st, e, ALICE, SR_EV_REFRESHED);
	uint64_t n, bytes;
	assert_int_equal(sr_ctl_store_count(st, &n, &bytes), 0);
	assert_int_equal(n, 1);
	struct th_env *dst = th_env_new(NULL, NULL);
	struct sr_ctl_load_stats ls;
	assert_int_equal(sr_ctl_store_load(st, (uint32_t)(dst->now_ms / 1000), restore_cb, dst, &ls, err,
					   sizeof(err)), 0);
	assert_int_equal(th_binding(dst, ALICE, 0)->cseq, 2);
	sr_ctl_store_close(st);
	th_env_free(e);
	th_env_free(dst);
	dir_free(&d);
}

/* Every event of a shard into one batch, as persistence does with the worker's events. */
struct to_batch {
	struct sr_ctl_batch b;
	uint64_t seq;
};

static void event_to_batch(void *ctx, const struct sr_loc_event *ev)
{
	struct to_batch *k = ctx;
	assert_int_equal(sr_ctl_batch_add(&k->b, ev->type, ev->b, ++k->seq, 0), 0);
}

static void commit_events(struct sr_ctl_store *st, struct to_batch *k)
{
	char err[512];
	assert_int_equal(sr_ctl_store_commit(st, &k->b, err, sizeof(err)), 0);
	sr_ctl_batch_clear(&k->b);
}

/*
 * Issue 15 item 4: register 'first', refresh it as 'refresh' (the same
 * binding by RFC 3261 19.1.4, other bytes), de-register it as 'dereg'; each
 * step's events are committed. The store must hold the refreshed bytes
 * under one key after the refresh and nothing after the de-register, and a
 * restart must bring nothing back.
 */
static void dereg_after_changed_refresh(const char *first, const char *refresh, const char *dereg)
{
	struct dir d;
	dir_new(&d);
	struct th_env *e = th_env_new(NULL, NULL);
	struct to_batch k = { .seq = 0 };
	assert_int_equal(sr_ctl_batch_init(&k.b, 1000, 5), 0);
	e->on_event = event_to_batch;
	e->on_event_ctx = &k;
	char err[512];
	struct sr_ctl_store *st;
	uint64_t n, bytes;
	assert_int_equal(sr_ctl_store_open(d.path, 0, &st, err, sizeof(err)), 0);

	assert_int_equal(th_register(e, "alice", first, "c1", 1), 200);
	commit_events(st, &k);
	assert_int_equal(th_register(e, "alice", refresh, "c1", 2), 200);
	assert_int_equal(th_binding_count(e, ALICE), 1); /* the same binding, refreshed */
	commit_events(st, &k);
	assert_int_equal(sr_ctl_store_count(st, &n, &bytes), 0);
	assert_int_equal(n, 1); /* one record: the refresh overwrote the binding's key */
	assert_int_equal(th_register(e, "alice", dereg, "c1", 3), 200);
	assert_int_equal(th_binding_count(e, ALICE), 0);
	assert_int_equal(th_header_count(e, "Contact"), 0);
	commit_events(st, &k);
	assert_int_equal(sr_ctl_store_count(st, &n, &bytes), 0);
	assert_int_equal(n, 0);
	sr_ctl_store_close(st);

	struct th_env *dst = th_env_new(NULL, NULL);
	struct sr_ctl_load_stats ls;
	assert_int_equal(sr_ctl_store_open(d.path, 0, &st, err, sizeof(err)), 0);
	assert_int_equal(sr_ctl_store_load(st, (uint32_t)(dst->now_ms / 1000), restore_cb, dst, &ls, err,
					   sizeof(err)), 0);
	assert_int_equal(ls.loaded, 0);
	assert_int_equal(th_binding_count(dst, ALICE), 0);
	sr_ctl_store_close(st);
	sr_ctl_batch_fini(&k.b);
	th_env_free(e);
	th_env_free(dst);
	dir_free(&d);
}

/* pjsip adds ;ob on refresh: the registrar rightly sees the same binding, and so must the store. */
static void test_dereg_after_ob_refresh(void **state)
{
	(void)state;
	dereg_after_changed_refresh("<sip:alice@10.0.0.1:5060>", "<sip:alice@10.0.0.1:5060;ob>",
				    "<sip:alice@10.0.0.1:5060;ob>;expires=0");
	dereg_after_changed_refresh("<sip:alice@10.0.0.1:5060>", "<sip:alice@10.0.0.1:5060;ob>",
				    "<sip:alice@10.0.0.1:5060>;expires=0");
}

/* The host's case does not count (RFC 3261 19.1.4), in memory or on disk. */
static void test_dereg_after_host_case_refresh(void **state)
{
	(void)state;
	dereg_after_changed_refresh("<sip:alice@PC33.Example.NET>", "<sip:alice@pc33.example.net>",
				    "<sip:alice@pc33.example.net>;expires=0");
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	for (int i = 0; i < 1000; i++)
		fputs(text, f);
	fclose(f);
}

static void test_refuses_garbage(void **state)
{
	(void)state;
	struct dir d;
	dir_new(&d);
	write_file(d.path, "data.mdb", "this is not an LMDB file. ");
	char err[512];
	struct sr_ctl_store *st;
	assert_int_equal(sr_ctl_store_open(d.path, 0, &st, err, sizeof(err)), -1);
	assert_null(st);
	assert_non_null(strstr(err, d.path));
	assert_non_null(strstr(err, "not a usable LMDB file"));
	assert_non_null(strstr(err, "move the directory aside"));
	/* a path that is a file */
	char file[128];
	snprintf(file, sizeof(file), "%s/data.mdb", d.path);
	assert_int_equal(sr_ctl_store_open(file, 0, &st, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a directory"));
	assert_int_equal(sr_ctl_store_open("", 0, &st, err, sizeof(err)), -1);
	dir_free(&d);
}

/* Writes key=value into database 'db' (NULL: the main one) of a raw LMDB environment in dir. */
static void test_refuses_foreign_lmdb(void **state)
{
	(void)state;
	struct dir d;
	dir_new(&d);
	raw_put(d.path, NULL, "someone", 7, "else", 4);
	char err[512];
	struct sr_ctl_store *st;
	assert_int_equal(sr_ctl_store_open(d.path, 0, &st, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not sipreg's"));
	dir_free(&d);
}

/* A store whose format marker says 'format' is refused, naming both formats and how to recover. */
static void refuses_format(uint8_t format)
{
	struct dir d;
	dir_new(&d);
	char err[512];
	struct sr_ctl_store *st;
	assert_int_equal(sr_ctl_store_open(d.path, 0, &st, err, sizeof(err)), 0);
	sr_ctl_store_close(st);
	uint8_t fmt[4] = { format, 0, 0, 0 };
	raw_put(d.path, "meta", "format", 6, fmt, sizeof(fmt));
	assert_int_equal(sr_ctl_store_open(d.path, 0, &st, err, sizeof(err)), -1);
	char want[64];
	snprintf(want, sizeof(want), "store format %d, this sipreg reads format %d", format, SR_CTL_STORE_FORMAT);
	assert_non_null(strstr(err, want));
	assert_non_null(strstr(err, "move the directory aside"));
	dir_free(&d);
}

static void test_refuses_other_format(void **state)
{
	(void)state;
	refuses_format(SR_CTL_STORE_FORMAT + 1);
}

/*
 * A store of format 1 (keys by a hash of the contact's bytes, records
 * without ids) is refused with the recovery hint, never loaded: its keys
 * cannot be turned into binding ids. (Format 3 is migrated: test_ctl_migrate.)
 */
static void test_refuses_format_1(void **state)
{
	(void)state;
	assert_int_equal(SR_CTL_STORE_FORMAT, 4);
	refuses_format(1);
	refuses_format(2); /* records without the push parameters */
}

static void test_refuses_bad_record(void **state)
{
	(void)state;
	struct dir d;
	dir_new(&d);
	char err[512];
	struct sr_ctl_store *st;
	assert_int_equal(sr_ctl_store_open(d.path, 0, &st, err, sizeof(err)), 0);
	sr_ctl_store_close(st);
	raw_put(d.path, "bindings", "0123456789abcdef", 16, "\x03garbage", 8);
	assert_int_equal(sr_ctl_store_open(d.path, 0, &st, err, sizeof(err)), 0);
	struct th_env *e = th_env_new(NULL, NULL);
	struct sr_ctl_load_stats ls;
	assert_int_equal(sr_ctl_store_load(st, (uint32_t)(e->now_ms / 1000), restore_cb, e, &ls, err,
					   sizeof(err)), -1);
	assert_non_null(strstr(err, "binding 30313233343536373839616263646566: record shorter than its header"));
	sr_ctl_store_close(st);
	th_env_free(e);
	dir_free(&d);
}

/* Commits n one-binding AoRs "sip:user<i>@example.com" in one batch. */
static void commit_users(struct sr_ctl_store *st, unsigned n)
{
	struct sr_ctl_batch b;
	char err[512];
	assert_int_equal(sr_ctl_batch_init(&b, n, 5), 0);
	for (unsigned i = 0; i < n; i++) {
		char aor[64];
		struct sr_loc_binding bd = { .f[SR_BF_CONTACT] = SR_STR_LIT("sip:x@198.51.100.2") };
		snprintf(aor, sizeof(aor), "sip:user%u@example.com", i);
		bd.aor = sr_str_cstr(aor);
		bd.st.expires = 2000000000u;
		bd.st.id = i + 1;
		assert_int_equal(sr_ctl_batch_add(&b, SR_EV_ADDED, &bd, i, 0), 0);
	}
	assert_int_equal(sr_ctl_store_commit(st, &b, err, sizeof(err)), 0);
	sr_ctl_batch_fini(&b);
}

/* Reads dir/data.mdb whole into *buf (malloc'd); returns its size. */
static size_t read_data_file(const char *dir, uint8_t **buf)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/data.mdb", dir);
	FILE *f = fopen(p, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	*buf = malloc((size_t)n);
	assert_non_null(*buf);
	assert_int_equal(fread(*buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return (size_t)n;
}

static void write_bytes(const char *path, const uint8_t *buf, size_t n)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, n, f), n);
	fclose(f);
}

/*
 * Opens dir in a child process, so that the SIGBUS a truncated file used to
 * cause is reported as this test's failure rather than killing the runner.
 * Returns the child's exit status: 0 opened, 1 refused with the truncation
 * message and the recovery hint, 2 refused for another reason.
 */
static int open_in_child(const char *dir)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		signal(SIGBUS, SIG_DFL); /* not cmocka's handler: the parent must see the signal */
		signal(SIGSEGV, SIG_DFL);
		char err[512];
		struct sr_ctl_store *st;
		if (sr_ctl_store_open(dir, 0, &st, err, sizeof(err)) == 0) {
			sr_ctl_store_close(st);
			_exit(0);
		}
		_exit(strstr(err, "truncated") && strstr(err, dir) && strstr(err, "move the directory aside") ? 1
														  : 2);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		fail_msg("opening %s killed the process with signal %d", dir, WTERMSIG(status));
	return WEXITSTATUS(status);
}

static void test_refuses_truncated_file(void **state)
{
	(void)state;
	struct dir d;
	dir_new(&d);
	char err[512];
	struct sr_ctl_store *st;
	assert_int_equal(sr_ctl_store_open(d.path, 0, &st, err, sizeof(err)), 0);
	commit_users(st, 20000);
	sr_ctl_store_close(st);
	uint8_t *whole;
	size_t size = read_data_file(d.path, &whole);
	char p[256];
	snprintf(p, sizeof(p), "%s/data.mdb", d.path);
	static const unsigned percent[] = { 99, 90, 50, 10, 1 };
	for (size_t i = 0; i < sizeof(percent) / sizeof(percent[0]); i++) {
		size_t keep = size * percent[i] / 100;
		write_bytes(p, whole, keep);
		int rc = open_in_child(d.path);
		if (rc != 1)
			fail_msg("data.mdb cut to %u %% (%zu of %zu bytes): open gave %d, want a refusal "
				 "naming the truncation", percent[i], keep, size, rc);
	}
	/* emptied: LMDB would start a new environment in it; refused as well */
	write_bytes(p, whole, 0);
	assert_int_equal(open_in_child(d.path), 1);
	/* the whole file back: opens, every binding still there */
	write_bytes(p, whole, size);
	free(whole);
	assert_int_equal(sr_ctl_store_open(d.path, 0, &st, err, sizeof(err)), 0);
	uint64_t n, bytes;
	assert_int_equal(sr_ctl_store_count(st, &n, &bytes), 0);
	assert_int_equal(n, 20000);
	sr_ctl_store_close(st);
	dir_free(&d);
}

static void count_page(void *ctx, const struct sr_loc_binding *b)
{
	unsigned *seen = ctx;
	unsigned i = (unsigned)strtoul(b->aor.p + 8, NULL, 10); /* "sip:user<i>@..." */
	seen[i]++;
}

static void test_pages_visit_each_binding_once(void **state)
{
	(void)state;
	struct dir d;
	dir_new(&d);
	char err[512];
	struct sr_ctl_store *st;
	assert_int_equal(sr_ctl_store_open(d.path, 0, &st, err, sizeof(err)), 0);
	enum { N = 2500 };
	commit_users(st, N);
	static unsigned seen[N];
	memset(seen, 0, sizeof(seen));
	uint8_t cursor[SR_CTL_KEY_LEN], next[SR_CTL_KEY_LEN];
	int n, pages = 0, total = 0;
	const uint8_t *after = NULL;
	while ((n = sr_ctl_store_page(st, after, 1000, count_page, seen, next, err, sizeof(err))) > 0) {
		memcpy(cursor, next, sizeof(cursor));
		after = cursor;
		total += n;
		pages++;
		assert_true(pages <= 3);
	}
	assert_int_equal(n, 0);
	assert_int_equal(total, N);
	assert_int_equal(pages, 3);
	for (unsigned i = 0; i < N; i++)
		assert_int_equal(seen[i], 1);
	sr_ctl_store_close(st);
	dir_free(&d);
}

static void test_snapshot(void **state)
{
	(void)state;
	struct dir d, snap;
	dir_new(&d);
	dir_new(&snap);
	struct th_env *e = th_env_new(NULL, NULL);
	char err[512];
	struct sr_ctl_store *st, *copy;
	assert_int_equal(sr_ctl_store_open(d.path, 0, &st, err, sizeof(err)), 0);
	assert_int_equal(th_register(e, "alice", "<sip:a@198.51.100.2>", "c1", 1), 200);
	commit_aor(st, e, ALICE, SR_EV_ADDED);
	assert_int_equal(sr_ctl_store_snapshot(st, snap.path, err, sizeof(err)), 0);
	assert_int_equal(sr_ctl_store_snapshot(st, snap.path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "already holds a data.mdb"));
	assert_int_equal(sr_ctl_store_open(snap.path, 0, &copy, err, sizeof(err)), 0);
	uint64_t n, bytes;
	assert_int_equal(sr_ctl_store_count(copy, &n, &bytes), 0);
	assert_int_equal(n, 1);
	sr_ctl_store_close(copy);
	sr_ctl_store_close(st);
	th_env_free(e);
	dir_free(&d);
	dir_free(&snap);
}

/* Collects the records sr_ctl_store_aor hands over (their contacts, joined with spaces). */
static int collect(void *ctx, const uint8_t *rec, size_t len)
{
	char *out = ctx;
	struct sr_loc_binding b;
	const char *why;
	assert_int_equal(sr_ctl_record_decode(rec, len, &b, &why), 0);
	size_t n = strlen(out);
	snprintf(out + n, 512 - n, "%s%.*s", n ? " " : "", (int)b.f[SR_BF_CONTACT].len, b.f[SR_BF_CONTACT].p);
	return 0;
}

/* The contact's length of the one record sr_ctl_store_aor hands over. */
static int contact_len(void *ctx, const uint8_t *rec, size_t len)
{
	struct sr_loc_binding b;
	const char *why;
	assert_int_equal(sr_ctl_record_decode(rec, len, &b, &why), 0);
	*(size_t *)ctx = b.f[SR_BF_CONTACT].len;
	return 0;
}

/* One binding of aor with id and contact, in its own batch of type 'type'. */
static int commit_one(struct sr_ctl_store *st, const char *aor, uint64_t id, struct sr_str contact,
		      enum sr_event_type type, char *err, size_t cap)
{
	struct sr_ctl_batch b;
	assert_int_equal(sr_ctl_batch_init(&b, 4, 5), 0);
	struct sr_loc_binding bd = { .aor = sr_str_cstr(aor), .st = { .id = id, .expires = 2000000000u } };
	bd.f[SR_BF_CONTACT] = contact;
	assert_int_equal(sr_ctl_batch_add(&b, type, &bd, 1, 0), 0);
	int rc = sr_ctl_store_commit(st, &b, err, cap);
	sr_ctl_batch_fini(&b);
	return rc;
}

/* The committed records of one AoR, which a resync after a failed commit puts back (issue 15 item 6). */
static void test_reads_one_aor(void **state)
{
	(void)state;
	struct dir d;
	dir_new(&d);
	struct sr_ctl_store *st;
	char err[512], got[512] = "";
	assert_int_equal(sr_ctl_store_open(d.path, 0, &st, err, sizeof(err)), 0);
	commit_users(st, 50);
	assert_int_equal(commit_one(st, ALICE, 2, SR_STR_LIT("sip:b@198.51.100.2"), SR_EV_ADDED, err, sizeof(err)), 0);
	assert_int_equal(commit_one(st, ALICE, 1, SR_STR_LIT("sip:a@198.51.100.2"), SR_EV_ADDED, err, sizeof(err)), 0);
	assert_int_equal(sr_ctl_store_aor(st, SR_STR_LIT(ALICE), collect, got, err, sizeof(err)), 2);
	assert_string_equal(got, "sip:a@198.51.100.2 sip:b@198.51.100.2"); /* key order: by id */
	got[0] = '\0';
	assert_int_equal(sr_ctl_store_aor(st, SR_STR_LIT("sip:nobody@example.com"), collect, got, err, sizeof(err)), 0);
	assert_string_equal(got, "");
	/* a removal record (key and contact only) deletes */
	assert_int_equal(commit_one(st, ALICE, 1, SR_STR_LIT("sip:a@198.51.100.2"), SR_EV_REMOVED, err, sizeof(err)), 0);
	assert_int_equal(sr_ctl_store_aor(st, SR_STR_LIT(ALICE), collect, got, err, sizeof(err)), 1);
	assert_string_equal(got, "sip:b@198.51.100.2");
	sr_ctl_store_close(st);
	dir_free(&d);
}

/*
 * A map too small for what is written: the commit fails with a message that
 * says so and names the setting, and what was committed before is intact
 * and readable; a record of 60 KB (a binding with a long Path) commits
 * whole when there is room (issue 15 items 5 and 6).
 */
static void test_map_full_fails_cleanly(void **state)
{
	(void)state;
	struct dir d;
	dir_new(&d);
	struct sr_ctl_store *st;
	char err[512];
	assert_int_equal(sr_ctl_store_open(d.path, 1u << 20, &st, err, sizeof(err)), 0);
	static char big[60000];
	memset(big, 'p', sizeof(big));
	memcpy(big, "sip:big@198.51.100.2;x=", 23);
	assert_int_equal(commit_one(st, ALICE, 1, sr_str_make(big, sizeof(big)), SR_EV_ADDED, err, sizeof(err)), 0);
	int rc = 0;
	uint64_t id = 1;
	while (rc == 0 && id < 100)
		rc = commit_one(st, "sip:bob@example.com", ++id, sr_str_make(big, sizeof(big)), SR_EV_ADDED, err,
				sizeof(err));
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err, "map full"));
	assert_non_null(strstr(err, "map_size"));
	size_t len = 0;
	assert_int_equal(sr_ctl_store_aor(st, SR_STR_LIT(ALICE), contact_len, &len, err, sizeof(err)), 1);
	assert_int_equal(len, sizeof(big));
	uint64_t n, bytes;
	assert_int_equal(sr_ctl_store_count(st, &n, &bytes), 0);
	assert_int_equal(n, id - 1); /* every commit before the failing one */
	sr_ctl_store_close(st);
	dir_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_through_lmdb),
		cmocka_unit_test(test_reads_one_aor),
		cmocka_unit_test(test_map_full_fails_cleanly),
		cmocka_unit_test(test_refresh_overwrites),
		cmocka_unit_test(test_dereg_after_ob_refresh),
		cmocka_unit_test(test_dereg_after_host_case_refresh),
		cmocka_unit_test(test_refuses_garbage),
		cmocka_unit_test(test_refuses_foreign_lmdb),
		cmocka_unit_test(test_refuses_other_format),
		cmocka_unit_test(test_refuses_format_1),
		cmocka_unit_test(test_refuses_bad_record),
		cmocka_unit_test(test_refuses_truncated_file),
		cmocka_unit_test(test_snapshot),
		cmocka_unit_test(test_pages_visit_each_binding_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
