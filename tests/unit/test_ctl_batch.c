/*
 * test_ctl_batch.c - event batching for LMDB commits (lib/ctl/ctl_batch.c):
 * due by size or by age, events come back in order with their records,
 * clearing keeps the memory for the next batch.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ctl_batch.h"

static void binding(struct sr_loc_binding *b, char *contact, size_t cap, unsigned i)
{
	memset(b, 0, sizeof(*b));
	snprintf(contact, cap, "sip:u%u@198.51.100.2", i);
	b->aor = SR_STR_LIT("sip:alice@example.com");
	b->f[SR_BF_CONTACT] = sr_str_cstr(contact);
	b->st.expires = 1000 + i;
	b->st.id = i + 1;
}

static void test_due_by_size_and_age(void **state)
{
	(void)state;
	struct sr_ctl_batch b;
	assert_int_equal(sr_ctl_batch_init(&b, 0, 5), -1);
	assert_int_equal(sr_ctl_batch_init(&b, 3, 5), 0);
	assert_false(sr_ctl_batch_due(&b, 1000000)); /* empty: never due */
	struct sr_loc_binding bd;
	char c[64];
	binding(&bd, c, sizeof(c), 0);
	assert_int_equal(sr_ctl_batch_add(&b, SR_EV_ADDED, &bd, 1, 100), 0);
	assert_false(sr_ctl_batch_due(&b, 104));
	assert_true(sr_ctl_batch_due(&b, 105)); /* the oldest is interval_ms old */
	assert_int_equal(sr_ctl_batch_add(&b, SR_EV_ADDED, &bd, 2, 104), 0);
	assert_false(sr_ctl_batch_due(&b, 104));
	assert_int_equal(sr_ctl_batch_add(&b, SR_EV_ADDED, &bd, 3, 104), 0);
	assert_true(sr_ctl_batch_due(&b, 100)); /* max_events reached */
	assert_int_equal(b.last_seq, 3);
	sr_ctl_batch_clear(&b);
	assert_false(sr_ctl_batch_due(&b, 1000000));
	assert_int_equal(sr_ctl_batch_add(&b, SR_EV_ADDED, &bd, 4, 500), 0);
	assert_false(sr_ctl_batch_due(&b, 504)); /* age counts from the new first event */
	sr_ctl_batch_fini(&b);
}

static void test_events_in_order(void **state)
{
	(void)state;
	struct sr_ctl_batch b;
	assert_int_equal(sr_ctl_batch_init(&b, 100000, 5), 0);
	const unsigned n = 5000; /* forces the buffer to grow several times */
	for (unsigned i = 0; i < n; i++) {
		struct sr_loc_binding bd;
		char c[64];
		binding(&bd, c, sizeof(c), i);
		assert_int_equal(sr_ctl_batch_add(&b, (enum sr_event_type)(i % 4), &bd, i, 0), 0);
	}
	assert_int_equal(b.n, n);
	size_t off = 0;
	enum sr_event_type t;
	const uint8_t *rec;
	size_t len;
	unsigned i = 0;
	while (sr_ctl_batch_next(&b, &off, &t, &rec, &len)) {
		struct sr_loc_binding out;
		const char *err;
		char c[64];
		assert_int_equal(t, (enum sr_event_type)(i % 4));
		assert_int_equal(sr_ctl_record_decode(rec, len, &out, &err), 0);
		snprintf(c, sizeof(c), "sip:u%u@198.51.100.2", i);
		assert_true(sr_str_eq(out.f[SR_BF_CONTACT], sr_str_cstr(c)));
		assert_int_equal(out.st.expires, 1000 + i);
		i++;
	}
	assert_int_equal(i, n);
	sr_ctl_batch_fini(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_due_by_size_and_age),
		cmocka_unit_test(test_events_in_order),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
