/*
 * test_repl_sendq.c - what a connection keeps of its unanswered commands:
 * the FIFO of records (lib/replication/repl_fifo.c) and the reused byte
 * buffer (repl_sendbuf.c). A record comes back in the order it went in
 * across the ring's wrap and growth; a command's bytes read back by their
 * offset unchanged while the buffer compacts and grows under them (what a
 * MOVED/ASK re-send copies), and the space is reused rather than grown
 * once commands are answered.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "repl_fifo.h"
#include "repl_sendbuf.h"

struct rec {
	uint64_t a;
	uint32_t b;
};

static void test_fifo_order_across_wrap_and_growth(void **state)
{
	(void)state;
	struct sr_repl_fifo f;
	sr_repl_fifo_init(&f, sizeof(struct rec));
	assert_null(sr_repl_fifo_front(&f));
	assert_int_equal(sr_repl_fifo_pop(&f, NULL), -1);
	uint64_t in = 0, out = 0;
	/* push 3, pop 2, many times: the head walks around the ring while it grows */
	for (int round = 0; round < 500; round++) {
		for (int i = 0; i < 3; i++) {
			struct rec r = { in, (uint32_t)(in * 7) };
			assert_int_equal(sr_repl_fifo_push(&f, &r), 0);
			assert_int_equal(((struct rec *)sr_repl_fifo_back(&f))->a, in);
			in++;
		}
		for (int i = 0; i < 2; i++) {
			assert_int_equal(((struct rec *)sr_repl_fifo_front(&f))->a, out);
			struct rec r;
			assert_int_equal(sr_repl_fifo_pop(&f, &r), 0);
			assert_int_equal(r.a, out);
			assert_int_equal(r.b, (uint32_t)(out * 7));
			out++;
		}
	}
	assert_int_equal(sr_repl_fifo_count(&f), in - out);
	/* a push whose send failed is taken back: the next pop order is unchanged */
	struct rec x = { 999999, 0 };
	assert_int_equal(sr_repl_fifo_push(&f, &x), 0);
	sr_repl_fifo_unpush(&f);
	while (sr_repl_fifo_count(&f)) {
		struct rec r;
		assert_int_equal(sr_repl_fifo_pop(&f, &r), 0);
		assert_int_equal(r.a, out++);
	}
	assert_int_equal(out, in);
	sr_repl_fifo_fini(&f);
}

/* Command i's bytes: its length and content both depend on i (binary, with NUL and CRLF). */
static size_t cmd_len(unsigned i)
{
	return 1 + (i * 2654435761u) % 9000;
}

static void fill(char *p, unsigned i)
{
	for (size_t k = 0; k < cmd_len(i); k++)
		p[k] = (char)(i * 31 + k * 13);
}

static void check(const struct sr_repl_sendbuf *b, uint64_t off, unsigned i)
{
	const char *p = sr_repl_sendbuf_at(b, off);
	for (size_t k = 0; k < cmd_len(i); k++)
		assert_int_equal(p[k], (char)(i * 31 + k * 13));
}

static void test_sendbuf_bytes_survive_compaction_and_growth(void **state)
{
	(void)state;
	struct sr_repl_sendbuf b;
	sr_repl_sendbuf_init(&b);
	enum { N = 3000, WINDOW = 40 };
	static uint64_t off[N];
	size_t max_cap = 0;
	unsigned answered = 0;
	for (unsigned i = 0; i < N; i++) {
		char *p = sr_repl_sendbuf_reserve(&b, cmd_len(i), &off[i]);
		assert_non_null(p);
		assert_true(i == 0 || off[i] == off[i - 1] + cmd_len(i - 1)); /* offsets name bytes, never reused */
		fill(p, i);
		/* every command still unanswered reads back unchanged after the buffer moved */
		for (unsigned j = answered; j <= i; j += 7)
			check(&b, off[j], j);
		/* up to WINDOW unanswered, then the oldest are answered in order */
		while (i + 1 - answered > WINDOW) {
			check(&b, off[answered], answered);
			sr_repl_sendbuf_release(&b, off[answered] + cmd_len(answered));
			answered++;
		}
		if (b.cap > max_cap)
			max_cap = b.cap;
	}
	/* 40 commands of at most 9,000 bytes live: the space was reused, not grown for each of 3,000 */
	assert_true(max_cap <= 1024 * 1024);
	/* everything answered: the buffer starts over at its front */
	sr_repl_sendbuf_release(&b, off[N - 1] + cmd_len(N - 1));
	assert_int_equal(b.len, 0);
	uint64_t o;
	char *p = sr_repl_sendbuf_reserve(&b, 10, &o);
	assert_ptr_equal(p, b.buf);
	assert_int_equal(o, off[N - 1] + cmd_len(N - 1));
	sr_repl_sendbuf_unreserve(&b, 10);
	assert_int_equal(b.len, 0);
	sr_repl_sendbuf_fini(&b);
}

/* A command re-sent on the same connection (ASK to a node that is the sender): copied within one buffer. */
static void test_sendbuf_copy_within_itself(void **state)
{
	(void)state;
	struct sr_repl_sendbuf b;
	sr_repl_sendbuf_init(&b);
	uint64_t o1, o2;
	char *p = sr_repl_sendbuf_reserve(&b, 70000, &o1); /* over the first capacity: the next reserve moves it */
	assert_non_null(p);
	fill(p, 5);
	memset(p + cmd_len(5), 'z', 70000 - cmd_len(5));
	char *q = sr_repl_sendbuf_reserve(&b, 70000, &o2);
	assert_non_null(q);
	memcpy(q, sr_repl_sendbuf_at(&b, o1), 70000); /* the source located after the reserve */
	sr_repl_sendbuf_release(&b, o1 + 70000);
	check(&b, o2, 5);
	assert_int_equal(sr_repl_sendbuf_at(&b, o2)[69999], 'z');
	sr_repl_sendbuf_fini(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fifo_order_across_wrap_and_growth),
		cmocka_unit_test(test_sendbuf_bytes_survive_compaction_and_growth),
		cmocka_unit_test(test_sendbuf_copy_within_itself),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
