/*
 * test_ctl_dump.c - "dump of 1M bindings works": fills an LMDB store
 * (lib/ctl/ctl_store.c) with 1,000,000 bindings through the same batch and
 * commit path the control core uses, then pages through all of them with
 * sr_ctl_store_page (what /sipreg/dump, and so `sipregctl dump`, calls) in
 * pages of 64, resuming from each page's cursor. Checks: every binding is
 * visited exactly once (strictly increasing keys, count = 1M, the sum of
 * the user numbers matches), and the live heap (malloc'd bytes, sampled
 * every 1024 pages; the file-backed LMDB map is not heap) grows by less
 * than 1 MB while paging, i.e. the dump runs in constant memory. Heap, not
 * RSS: under ASan every byte read from the map touches shadow memory, which
 * would make RSS grow with the data read even though nothing is kept.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <ftw.h>
#include <malloc.h>
#include <unistd.h>
#if defined(__SANITIZE_ADDRESS__)
/* from ASan's runtime (its header is not always installed) */
size_t __sanitizer_get_current_allocated_bytes(void);
#endif

#include "ctl_store.h"

#define N_BINDINGS 1000000u
#define PAGE 64 /* as app/sipreg/persist.c's DUMP_PAGE */
#define BATCH 10000u

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(p);
}

/* Bytes currently allocated with malloc (ASan's allocator replaces glibc's when present). */
static long heap_bytes(void)
{
#if defined(__SANITIZE_ADDRESS__)
	return (long)__sanitizer_get_current_allocated_bytes();
#else
	return (long)mallinfo2().uordblks;
#endif
}

static void fill(struct sr_ctl_store *st)
{
	struct sr_ctl_batch b;
	assert_int_equal(sr_ctl_batch_init(&b, BATCH, 5), 0);
	char err[512];
	for (uint32_t i = 0; i < N_BINDINGS; i++) {
		char aor[48], contact[64];
		int al = snprintf(aor, sizeof(aor), "sip:u%07u@example.com", i);
		int cl = snprintf(contact, sizeof(contact), "sip:u%07u@198.51.100.%u:5060", i, 1 + i % 250);
		struct sr_loc_binding bd = { .aor = { aor, (size_t)al } };
		bd.f[SR_BF_CONTACT] = (struct sr_str){ contact, (size_t)cl };
		bd.st = (struct sr_binding_state){ .id = i + 1, .expires = 2000000000u,
						   .registered_at = 1700000000u, .cseq = i, .q = SR_Q_NONE };
		assert_int_equal(sr_ctl_batch_add(&b, SR_EV_ADDED, &bd, i + 1, 0), 0);
		if (b.n == BATCH) {
			assert_int_equal(sr_ctl_store_commit(st, &b, err, sizeof(err)), 0);
			sr_ctl_batch_clear(&b);
		}
	}
	assert_int_equal(b.n, 0);
	sr_ctl_batch_fini(&b);
}

struct walk {
	uint64_t n, sum;
	uint8_t last[SR_CTL_KEY_LEN];
	int bad;
};

static void visit(void *ctx, const struct sr_loc_binding *b)
{
	struct walk *w = ctx;
	uint8_t key[SR_CTL_KEY_LEN];
	sr_ctl_record_key(b, key);
	if (w->n && memcmp(key, w->last, SR_CTL_KEY_LEN) <= 0)
		w->bad++;
	memcpy(w->last, key, SR_CTL_KEY_LEN);
	unsigned u;
	if (b->aor.len < 12 || sscanf(b->aor.p, "sip:u%7u@", &u) != 1 || b->st.cseq != u)
		w->bad++;
	else
		w->sum += u;
	w->n++;
}

static void test_dump_1m_constant_memory(void **state)
{
	(void)state;
	char dir[] = "/tmp/sr_ctl_dump_XXXXXX";
	assert_non_null(mkdtemp(dir));
	struct sr_ctl_store *st;
	char err[512];
	assert_int_equal(sr_ctl_store_open(dir, SR_CTL_STORE_DEFAULT_MAP, &st, err, sizeof(err)), 0);
	fill(st);
	uint64_t count, bytes;
	assert_int_equal(sr_ctl_store_count(st, &count, &bytes), 0);
	assert_int_equal(count, N_BINDINGS);

	struct walk w = { 0 };
	uint8_t cursor[SR_CTL_KEY_LEN], next[SR_CTL_KEY_LEN];
	/* a first page warms up what LMDB allocates once per process (reader slot, cursor) */
	int n = sr_ctl_store_page(st, NULL, PAGE, visit, &w, next, err, sizeof(err));
	assert_int_equal(n, PAGE);
	long before = heap_bytes(), peak = before;
	unsigned pages = 1;
	for (;;) {
		memcpy(cursor, next, sizeof(cursor));
		n = sr_ctl_store_page(st, cursor, PAGE, visit, &w, next, err, sizeof(err));
		assert_true(n >= 0);
		if (n == 0)
			break;
		if (++pages % 1024 == 0) {
			long now = heap_bytes();
			peak = now > peak ? now : peak;
		}
		assert_true(pages <= N_BINDINGS / PAGE + 2); /* bounded: a cursor bug cannot loop forever */
	}
	long after = heap_bytes();
	peak = after > peak ? after : peak;
	printf("dumped %llu bindings in %u pages; store %llu MB; heap %ld -> peak %ld bytes\n",
	       (unsigned long long)w.n, pages, (unsigned long long)(bytes >> 20), before, peak);
	assert_int_equal(w.bad, 0);
	assert_int_equal(w.n, N_BINDINGS);
	assert_int_equal(w.sum, (uint64_t)N_BINDINGS * (N_BINDINGS - 1) / 2);
	assert_true(peak - before < 1024 * 1024);

	sr_ctl_store_close(st);
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dump_1m_constant_memory),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
