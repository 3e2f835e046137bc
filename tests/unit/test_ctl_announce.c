/*
 * test_ctl_announce.c - listener stream lines (lib/ctl/ctl_announce.c): added
 * -> contactsAdded, removed and expired -> contactsRemoved, refresh not
 * announced; JSON escaping; a too small buffer is refused, never
 * truncated; the initial-state grouper makes one line per AoR in input
 * order and splits an AoR whose contacts do not fit one line; the merge of
 * live events into a paged initial state (sr_ctl_announce_live_wanted) gives
 * a subscriber exactly the store's contents, never an added for a contact
 * it already has nor a removed for one it does not have.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ctl_announce.h"

#define S(x) sr_str_cstr(x)

static void assert_line(const char *buf, long n, const char *want)
{
	assert_int_equal(n, (long)strlen(want));
	assert_memory_equal(buf, want, (size_t)n);
}

static void test_event_mapping(void **state)
{
	(void)state;
	char buf[256];
	assert_line(buf, sr_ctl_announce_event(SR_EV_ADDED, S("sip:a@x"), S("sip:a@1.2.3.4:5060"), buf, sizeof(buf)),
		    "{\"event\":\"contactsAdded\",\"aor\":\"sip:a@x\",\"contacts\":[\"sip:a@1.2.3.4:5060\"]}\n");
	assert_line(buf, sr_ctl_announce_event(SR_EV_REMOVED, S("sip:a@x"), S("sip:a@h"), buf, sizeof(buf)),
		    "{\"event\":\"contactsRemoved\",\"aor\":\"sip:a@x\",\"contacts\":[\"sip:a@h\"]}\n");
	assert_line(buf, sr_ctl_announce_event(SR_EV_EXPIRED, S("sip:a@x"), S("sip:a@h"), buf, sizeof(buf)),
		    "{\"event\":\"contactsRemoved\",\"aor\":\"sip:a@x\",\"contacts\":[\"sip:a@h\"]}\n");
	assert_int_equal(sr_ctl_announce_event(SR_EV_REFRESHED, S("sip:a@x"), S("sip:a@h"), buf, sizeof(buf)), 0);
	assert_int_equal(sr_ctl_announce_kind_of(SR_EV_REFRESHED), SR_ANNOUNCE_NONE);
	assert_line(buf, (long)sr_ctl_announce_synced(buf, sizeof(buf)), "{\"event\":\"synced\"}\n");
	assert_line(buf, (long)sr_ctl_announce_cut("slow", buf, sizeof(buf)),
		    "{\"event\":\"cut\",\"reason\":\"slow\"}\n");
}

static void test_escaping_and_bounds(void **state)
{
	(void)state;
	char buf[256];
	struct sr_str odd = { "sip:\"q\\\x01\x7f@h", 11 };
	assert_line(buf, sr_ctl_announce_event(SR_EV_ADDED, S("sip:a@x"), odd, buf, sizeof(buf)),
		    "{\"event\":\"contactsAdded\",\"aor\":\"sip:a@x\",\"contacts\":"
		    "[\"sip:\\\"q\\\\\\u0001\\u007f@h\"]}\n");
	const char *want = "{\"event\":\"contactsAdded\",\"aor\":\"sip:a@x\",\"contacts\":[\"sip:a@h\"]}\n";
	size_t n = strlen(want);
	assert_int_equal(sr_ctl_announce_event(SR_EV_ADDED, S("sip:a@x"), S("sip:a@h"), buf, n - 1), -1);
	assert_line(buf, sr_ctl_announce_event(SR_EV_ADDED, S("sip:a@x"), S("sip:a@h"), buf, n), want);
	assert_int_equal(sr_ctl_announce_synced(buf, 5), 0);
	assert_int_equal(sr_ctl_announce_cut("slow", buf, 10), 0);
}

struct sink {
	char out[2048];
	size_t len;
	unsigned lines;
	int fail_at; /* emit returns 7 on this line number (1-based), 0: never */
};

static int sink_emit(void *ctx, const char *line, size_t len)
{
	struct sink *s = ctx;
	if (s->fail_at && (int)s->lines + 1 == s->fail_at)
		return 7;
	assert_true(len > 0 && line[len - 1] == '\n');
	assert_true(s->len + len <= sizeof(s->out));
	memcpy(s->out + s->len, line, len);
	s->len += len;
	s->lines++;
	return 0;
}

static void test_group_per_aor(void **state)
{
	(void)state;
	struct sink s = { .len = 0 };
	struct sr_ctl_announce_group g;
	assert_int_equal(sr_ctl_announce_group_init(&g, 512, sink_emit, &s), 0);
	assert_int_equal(sr_ctl_announce_group_flush(&g), 0); /* nothing pending: nothing sent */
	assert_int_equal(s.lines, 0);
	assert_int_equal(sr_ctl_announce_group_add(&g, S("sip:a@x"), S("sip:a@1")), 0);
	assert_int_equal(sr_ctl_announce_group_add(&g, S("sip:a@x"), S("sip:a@2")), 0);
	assert_int_equal(sr_ctl_announce_group_add(&g, S("sip:b@x"), S("sip:b@1")), 0);
	assert_int_equal(s.lines, 1);
	assert_int_equal(sr_ctl_announce_group_flush(&g), 0);
	s.out[s.len] = 0;
	assert_string_equal(s.out,
			    "{\"event\":\"contactsAdded\",\"aor\":\"sip:a@x\",\"contacts\":[\"sip:a@1\",\"sip:a@2\"]}\n"
			    "{\"event\":\"contactsAdded\",\"aor\":\"sip:b@x\",\"contacts\":[\"sip:b@1\"]}\n");
	sr_ctl_announce_group_fini(&g);
}

static void test_group_split_and_errors(void **state)
{
	(void)state;
	struct sink s = { .len = 0 };
	struct sr_ctl_announce_group g;
	/* room for exactly two contacts of 7 bytes: prefix 53 + "\"sip:a@1\"" 9 + ",\"sip:a@2\"" 10 + "]}\n" 3 */
	assert_int_equal(sr_ctl_announce_group_init(&g, 75, sink_emit, &s), 0);
	for (int i = 1; i <= 3; i++) {
		char c[8];
		snprintf(c, sizeof(c), "sip:a@%d", i);
		assert_int_equal(sr_ctl_announce_group_add(&g, S("sip:a@x"), S(c)), 0);
	}
	assert_int_equal(sr_ctl_announce_group_flush(&g), 0);
	s.out[s.len] = 0;
	assert_string_equal(s.out,
			    "{\"event\":\"contactsAdded\",\"aor\":\"sip:a@x\",\"contacts\":[\"sip:a@1\",\"sip:a@2\"]}\n"
			    "{\"event\":\"contactsAdded\",\"aor\":\"sip:a@x\",\"contacts\":[\"sip:a@3\"]}\n");
	/* one contact that can never fit is an error, not a truncated line */
	assert_int_equal(sr_ctl_announce_group_add(&g, S("sip:a@x"), S("sip:a-contact-that-is-far-too-long@h")), -1);
	assert_int_equal(sr_ctl_announce_group_flush(&g), 0);
	assert_int_equal(s.lines, 2);
	/* the emitter's error is passed on */
	s.fail_at = 3;
	assert_int_equal(sr_ctl_announce_group_add(&g, S("sip:b@x"), S("sip:b@1")), 0);
	assert_int_equal(sr_ctl_announce_group_add(&g, S("sip:c@x"), S("sip:c@1")), 7);
	sr_ctl_announce_group_fini(&g);
}

#define KEYS 64

static void key_of(unsigned i, uint8_t k[SR_CTL_KEY_LEN])
{
	memset(k, 0, SR_CTL_KEY_LEN);
	k[0] = (uint8_t)(i * 7 % 5); /* not all keys differ in the last byte only */
	k[SR_CTL_KEY_LEN - 1] = (uint8_t)i;
}

/* A subscriber's view; every change it receives must change it. */
static void deliver(bool view[KEYS], unsigned i, bool added)
{
	assert_true(view[i] != added);
	view[i] = added;
}

/* Position of key i in key order (keys compare by byte 0, then by i). */
static int key_cmp(unsigned a, unsigned b)
{
	uint8_t x[SR_CTL_KEY_LEN], y[SR_CTL_KEY_LEN];
	key_of(a, x), key_of(b, y);
	return memcmp(x, y, SR_CTL_KEY_LEN);
}

static void test_state_then_live_merge(void **state)
{
	(void)state;
	for (unsigned seed = 1; seed <= 50; seed++) {
		bool store[KEYS] = { false }, view[KEYS] = { false };
		uint32_t rnd = seed * 2654435761u;
		for (unsigned i = 0; i < KEYS; i++)
			store[i] = (rnd = rnd * 1103515245u + 12345u) >> 16 & 1;
		uint8_t sent[SR_CTL_KEY_LEN];
		bool any_sent = false, synced = false;
		for (unsigned step = 0; step < 400; step++) {
			rnd = rnd * 1103515245u + 12345u;
			if (!synced && (rnd >> 16) % 3 == 0) {
				/* one page of at most 3 present keys after 'sent', in key order */
				for (unsigned n = 0; n < 3; n++) {
					int best = -1;
					for (unsigned i = 0; i < KEYS; i++) {
						uint8_t k[SR_CTL_KEY_LEN];
						key_of(i, k);
						if (store[i] && (!any_sent || memcmp(k, sent, SR_CTL_KEY_LEN) > 0) &&
						    (best < 0 || key_cmp(i, (unsigned)best) < 0))
							best = (int)i;
					}
					if (best < 0) {
						synced = true;
						break;
					}
					deliver(view, (unsigned)best, true);
					key_of((unsigned)best, sent);
					any_sent = true;
				}
			} else {
				/* a committed change: toggle one binding, announce it */
				unsigned i = (rnd >> 8) % KEYS;
				store[i] = !store[i];
				uint8_t k[SR_CTL_KEY_LEN];
				key_of(i, k);
				if (synced || sr_ctl_announce_live_wanted(any_sent ? sent : NULL, k))
					deliver(view, i, store[i]);
			}
		}
		assert_true(synced);
		assert_memory_equal(view, store, sizeof(view));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_event_mapping),
		cmocka_unit_test(test_escaping_and_bounds),
		cmocka_unit_test(test_group_per_aor),
		cmocka_unit_test(test_group_split_and_errors),
		cmocka_unit_test(test_state_then_live_merge),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
