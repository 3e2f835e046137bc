/*
 * test_txn_branch.c - the pieces under the transaction layer: SipHash-2-4
 * against the reference vectors, sipreg's branch format (owner worker at a
 * fixed position, MAC), the stateless branch, and the message buffer pool.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "txn.h"

static const uint64_t KEY[2] = { 0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull };

/* The streaming form equals the one-shot hash of the length-prefixed concatenation, whatever the part sizes. */
static void test_hash_parts(void **state)
{
	(void)state;
	static const char text[] = "sip:bob@example.com;transport=udp call-4711@198.51.100.2 tag";
	for (size_t a = 0; a < 20; a++) {
		for (size_t b = 0; a + b < sizeof(text) - 1; b += 3) {
			struct sr_str parts[3] = { sr_str_make(text, a), sr_str_make(text + a, b),
						   sr_str_make(text + a + b, sizeof(text) - 1 - a - b) };
			unsigned char flat[128];
			size_t n = 0;
			for (int i = 0; i < 3; i++) {
				uint32_t l = (uint32_t)parts[i].len;
				for (int k = 0; k < 4; k++)
					flat[n++] = (unsigned char)(l >> (8 * k));
				memcpy(flat + n, parts[i].p, parts[i].len);
				n += parts[i].len;
			}
			assert_int_equal(sr_txn_hash_parts(KEY, parts, 3), sr_txn_hash(KEY, flat, n));
		}
	}
	/* Field boundaries count. */
	struct sr_str x[2] = { SR_STR_LIT("ab"), SR_STR_LIT("c") }, y[2] = { SR_STR_LIT("a"), SR_STR_LIT("bc") };
	assert_int_not_equal(sr_txn_hash_parts(KEY, x, 2), sr_txn_hash_parts(KEY, y, 2));
}

static void test_branch_round_trip(void **state)
{
	(void)state;
	char b[SR_TXN_BRANCH_LEN];
	sr_txn_branch_write(KEY, 0xab, 0xdeadbeef, 0x123456789abcull, b);
	struct sr_str s = sr_str_make(b, sizeof(b));
	assert_memory_equal(b, "z9hG4bKsrabdeadbeef123456789abc", 31);
	struct sr_txn_branch_info bi;
	assert_true(sr_txn_branch_parse(s, &bi));
	assert_int_equal(bi.worker, 0xab);
	assert_int_equal(bi.loop_hash, 0xdeadbeef);
	assert_int_equal(bi.counter, 0x123456789abcull);
	assert_true(sr_txn_branch_authentic(KEY, s));
	/* The worker id is at a fixed position: offsets 9 and 10. */
	assert_int_equal(b[9], 'a');
	assert_int_equal(b[10], 'b');
	/* Another secret, a changed digit anywhere: not authentic. */
	uint64_t other[2] = { KEY[0] + 1, KEY[1] };
	assert_false(sr_txn_branch_authentic(other, s));
	for (unsigned i = 9; i < sizeof(b); i++) {
		char saved = b[i];
		b[i] = saved == '0' ? '1' : '0';
		assert_false(sr_txn_branch_authentic(KEY, s));
		b[i] = saved;
	}
	assert_true(sr_txn_branch_authentic(KEY, s));
}

static void test_branch_parse_rejects(void **state)
{
	(void)state;
	char b[SR_TXN_BRANCH_LEN + 1];
	sr_txn_branch_write(KEY, 1, 2, 3, b);
	assert_false(sr_txn_branch_parse(sr_str_make(b, SR_TXN_BRANCH_LEN - 1), NULL));
	b[SR_TXN_BRANCH_LEN] = '0';
	assert_false(sr_txn_branch_parse(sr_str_make(b, SR_TXN_BRANCH_LEN + 1), NULL));
	assert_true(sr_txn_branch_parse(sr_str_make(b, SR_TXN_BRANCH_LEN), NULL));
	b[20] = 'A'; /* we write lower case only */
	assert_false(sr_txn_branch_parse(sr_str_make(b, SR_TXN_BRANCH_LEN), NULL));
	b[20] = 'g';
	assert_false(sr_txn_branch_parse(sr_str_make(b, SR_TXN_BRANCH_LEN), NULL));
	sr_txn_branch_write(KEY, 1, 2, 3, b);
	b[7] = 'x'; /* another proxy's branch of the same length */
	assert_false(sr_txn_branch_parse(sr_str_make(b, SR_TXN_BRANCH_LEN), NULL));
	assert_false(sr_txn_branch_parse(SR_STR_LIT("z9hG4bK776asdhds"), NULL));
	assert_false(sr_txn_branch_parse(SR_STR_NULL, NULL));
}

static void noop_send(void *ctx, const struct sr_txn_dest *to, const char *b, size_t n)
{
	(void)ctx, (void)to, (void)b, (void)n;
}
static void noop_term(void *ctx, struct sr_txn *t)
{
	(void)ctx, (void)t;
}

/* A stateless branch depends on the incoming branch only: a retransmitted ACK gets the same one. */
static void test_stateless_branch(void **state)
{
	(void)state;
	struct sr_txn_config cfg = { .capacity = 4, .buf_small = 1024, .worker = 3, .secret = { 1, 2 } };
	struct sr_txn_ops ops = { .send = noop_send, .terminated = noop_term };
	struct sr_txn_shard *ts = sr_txn_shard_create(&cfg, &ops, NULL, 0);
	assert_non_null(ts);
	char a[SR_TXN_BRANCH_LEN], b[SR_TXN_BRANCH_LEN], c[SR_TXN_BRANCH_LEN];
	sr_txn_branch_stateless(ts, 9, SR_STR_LIT("z9hG4bK-ack-1"), a);
	sr_txn_branch_stateless(ts, 9, SR_STR_LIT("z9hG4bK-ack-1"), b);
	sr_txn_branch_stateless(ts, 9, SR_STR_LIT("z9hG4bK-ack-2"), c);
	assert_memory_equal(a, b, sizeof(a));
	assert_memory_not_equal(a, c, sizeof(a));
	struct sr_txn_branch_info bi;
	assert_true(sr_txn_branch_parse(sr_str_make(a, sizeof(a)), &bi));
	assert_int_equal(bi.worker, 3);
	assert_true(sr_txn_branch_authentic(cfg.secret, sr_str_make(a, sizeof(a))));
	sr_txn_shard_free(ts);
}

static void test_shard_config_checks(void **state)
{
	(void)state;
	struct sr_txn_ops ops = { .send = noop_send, .terminated = noop_term };
	struct sr_txn_config cfg = { .capacity = 0, .buf_small = 1024 };
	assert_null(sr_txn_shard_create(&cfg, &ops, NULL, 0));
	cfg.capacity = 4;
	cfg.buf_small = 100; /* too small for any SIP message */
	assert_null(sr_txn_shard_create(&cfg, &ops, NULL, 0));
	cfg.buf_small = 1024;
	cfg.t1_ms = 5000; /* T2 (default 4 s) below T1 */
	assert_null(sr_txn_shard_create(&cfg, &ops, NULL, 0));
	struct sr_txn_ops no_send = { .terminated = noop_term };
	cfg.t1_ms = 0;
	assert_null(sr_txn_shard_create(&cfg, &no_send, NULL, 0));
	struct sr_txn_shard *ts = sr_txn_shard_create(&cfg, &ops, NULL, 0);
	assert_non_null(ts);
	assert_int_equal(sr_txn_t1(ts), 500);
	/* An INVITE client transaction needs the TU's build callback (ACK and CANCEL). */
	struct sr_txn *t;
	struct sr_txn_dest d = { 1, 5060, false };
	assert_int_equal(sr_txn_client_create(ts, SR_STR_LIT("INVITE"), 0, &d, &t), SR_TXN_E_STATE);
	assert_int_equal(sr_txn_client_create(ts, SR_STR_LIT("OPTIONS"), 0, &d, &t), SR_TXN_OK);
	sr_txn_client_abandon(ts, t);
	sr_txn_shard_free(ts);
}

static void test_bufpool(void **state)
{
	(void)state;
	struct sr_bufpool bp;
	assert_int_equal(sr_bufpool_init(&bp, 512, 2, 1), 0);
	struct sr_buf a = { 0 }, b = { 0 }, c = { 0 }, d = { 0 };
	char big[1000];
	memset(big, 'b', sizeof(big));
	assert_int_equal(sr_buf_set(&bp, &a, "hello", 5), 0);
	assert_int_equal(a.cap, 512);
	assert_memory_equal(a.p, "hello", 5);
	/* Growing past the small size moves to a large buffer and frees the small one. */
	assert_int_equal(sr_buf_set(&bp, &a, big, sizeof(big)), 0);
	assert_int_equal(a.cap, SR_BUF_LARGE_SIZE);
	assert_memory_equal(a.p, big, sizeof(big));
	assert_int_equal(bp.small_top, 2);
	/* The only large buffer is taken: a second big message fails and leaves b empty. */
	assert_int_equal(sr_buf_set(&bp, &b, big, sizeof(big)), -1);
	assert_null(b.p);
	/* Small messages still fit; when the small ones are gone they fall back to nothing. */
	assert_int_equal(sr_buf_set(&bp, &b, "x", 1), 0);
	assert_int_equal(sr_buf_set(&bp, &c, "y", 1), 0);
	assert_int_equal(sr_buf_set(&bp, &d, "z", 1), -1);
	/* Setting a buffer from its own bytes (shrinking in place) is fine. */
	assert_int_equal(sr_buf_set(&bp, &a, a.p + 1, 10), 0);
	assert_memory_equal(a.p, big, 10);
	sr_buf_release(&bp, &a);
	assert_null(a.p);
	assert_int_equal(bp.large_top, 1);
	/* Reserve: room without a copy; no small one is left (b, c), so the large one; then none at all. */
	assert_non_null(sr_buf_reserve(&bp, &a, 100));
	assert_int_equal(a.cap, SR_BUF_LARGE_SIZE);
	assert_int_equal(a.len, 100);
	assert_null(sr_buf_reserve(&bp, &d, 100));
	sr_buf_release(&bp, &a);
	/* Beyond the largest UDP payload: refused. */
	assert_int_equal(sr_buf_set(&bp, &d, big, SR_BUF_LARGE_SIZE + 1), -1);
	sr_buf_release(&bp, &b);
	sr_buf_release(&bp, &c);
	assert_int_equal(bp.small_top, 2);
	sr_bufpool_free(&bp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
				cmocka_unit_test(test_hash_parts),
		cmocka_unit_test(test_branch_round_trip),
		cmocka_unit_test(test_branch_parse_rejects),
		cmocka_unit_test(test_stateless_branch),
		cmocka_unit_test(test_shard_config_checks),
		cmocka_unit_test(test_bufpool),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
