/*
 * test_ctl_midrec.c - the mid-registrar's records in lib/ctl: the entry
 * framing (round trip, refusals), the batch (records travel beside binding
 * events, sr_ctl_batch_next never shows them to the binding consumers), and
 * the LMDB store over a temporary directory: a record and a binding commit
 * in one transaction, a PUT overwrites its (AoR, contact id) key, a DEL
 * deletes it, the records survive a reopen and come back through the
 * restore iterator byte for byte (real lib/midreg records), a bad entry in
 * a batch fails the whole transaction, a corrupt stored entry stops the
 * load with its key.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_midrec.h"
#include "ctl_store.h"
#include "midreg.h"
#include "store_dir.h"

#define ALICE "sip:alice@example.com"
#define BOB "sip:bob@example.com"

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(p);
}

/* A real record of lib/midreg for aor / ctid in state 'state'; returns its length. */
static size_t midreg_bytes(const char *aor, uint64_t ctid, uint8_t state, uint8_t *out, size_t cap)
{
	struct sr_midreg_record r = { .ctid = ctid, .binding_id = ctid & 0xffff, .up_expires_at = 2000000000u,
				      .up_refreshed_at = 1999996400u, .cseq = 77, .mode = SR_MIDREG_CONTACT_THROTTLING,
				      .state = state, .aor = sr_str_cstr(aor), .user = SR_STR_LIT("alice") };
	size_t n = sr_midreg_record_encode(&r, out, cap);
	assert_true(n > 0);
	return n;
}

/* The batch entry of a record (DEL: no bytes). */
static size_t entry(const char *aor, uint64_t ctid, const uint8_t *bytes, size_t len, uint8_t *out, size_t cap)
{
	struct sr_ctl_midrec r = { sr_str_cstr(aor), ctid, bytes, len };
	size_t n = sr_ctl_midrec_encode(&r, out, cap);
	assert_int_equal(n, sr_ctl_midrec_size(r.aor, len));
	return n;
}

static void add_mid(struct sr_ctl_batch *b, enum sr_ctl_mid_op op, const char *aor, uint64_t ctid, uint8_t state)
{
	uint8_t rec[256], e[512];
	size_t n = op == SR_CTL_MID_PUT ? midreg_bytes(aor, ctid, state, rec, sizeof(rec)) : 0;
	size_t m = entry(aor, ctid, rec, n, e, sizeof(e));
	assert_int_equal(sr_ctl_batch_add_mid(b, op, e, m, 1, 0), 0);
}

static void add_binding(struct sr_ctl_batch *b, enum sr_event_type t, const char *aor, uint64_t id)
{
	struct sr_loc_binding bd;
	memset(&bd, 0, sizeof(bd));
	bd.aor = sr_str_cstr(aor);
	bd.f[SR_BF_CONTACT] = SR_STR_LIT("sip:alice@198.51.100.7:5060");
	bd.st.id = id;
	bd.st.expires = 2000000000u;
	bd.st.q = SR_Q_NONE;
	assert_int_equal(sr_ctl_batch_add(b, t, &bd, 1, 0), 0);
}

static void entry_round_trip_and_refusals(void **state)
{
	(void)state;
	uint8_t rec[256], e[512];
	size_t n = midreg_bytes(ALICE, 0xabcd000000000042ull, SR_MIDREG_REC_LIVE, rec, sizeof(rec));
	size_t m = entry(ALICE, 0xabcd000000000042ull, rec, n, e, sizeof(e));
	struct sr_ctl_midrec r;
	const char *why;
	assert_int_equal(sr_ctl_midrec_decode(e, m, &r, &why), 0);
	assert_true(sr_str_eq(r.aor, SR_STR_LIT(ALICE)));
	assert_true(r.ctid == 0xabcd000000000042ull);
	assert_int_equal(r.len, n);
	assert_memory_equal(r.bytes, rec, n);
	/* a DEL carries no bytes */
	m = entry(BOB, 7, NULL, 0, e, sizeof(e));
	assert_int_equal(sr_ctl_midrec_decode(e, m, &r, &why), 0);
	assert_int_equal(r.len, 0);
	assert_null(r.bytes);
	/* truncated, another version, an AoR longer than the entry, no AoR, too small a buffer */
	assert_int_equal(sr_ctl_midrec_decode(e, 5, &r, &why), -1);
	e[0] = 2;
	assert_int_equal(sr_ctl_midrec_decode(e, m, &r, &why), -1);
	assert_non_null(strstr(why, "version"));
	e[0] = SR_CTL_MIDREC_VERSION;
	assert_int_equal(sr_ctl_midrec_decode(e, m - 1, &r, &why), -1);
	assert_int_equal(sr_ctl_midrec_size(SR_STR_NULL, 0), 0);
	struct sr_ctl_midrec big = { SR_STR_LIT(ALICE), 1, rec, n };
	assert_int_equal(sr_ctl_midrec_encode(&big, e, 20), 0);
	/* keys: same AoR and id, same key; another id or AoR, another key */
	uint8_t k1[16], k2[16], k3[16];
	sr_ctl_midrec_key(SR_STR_LIT(ALICE), 1, k1);
	sr_ctl_midrec_key(SR_STR_LIT(ALICE), 2, k2);
	sr_ctl_midrec_key(SR_STR_LIT(BOB), 1, k3);
	assert_memory_not_equal(k1, k2, 16);
	assert_memory_not_equal(k1, k3, 16);
	assert_memory_equal(k1, k2, 8); /* one AoR's records are adjacent */
}

static void batch_keeps_records_from_binding_consumers(void **state)
{
	(void)state;
	struct sr_ctl_batch b;
	assert_int_equal(sr_ctl_batch_init(&b, 4, 1000), 0);
	add_binding(&b, SR_EV_ADDED, ALICE, 1);
	add_mid(&b, SR_CTL_MID_PUT, ALICE, 10, SR_MIDREG_REC_NEW);
	add_mid(&b, SR_CTL_MID_DEL, ALICE, 11, 0);
	add_binding(&b, SR_EV_REMOVED, ALICE, 2);
	assert_int_equal(b.n, 4);
	assert_true(sr_ctl_batch_due(&b, 0)); /* records count towards the batch's bound */
	size_t off = 0, len;
	enum sr_event_type t;
	const uint8_t *rec;
	int seen = 0;
	while (sr_ctl_batch_next(&b, &off, &t, &rec, &len)) {
		assert_true(t == (seen ? SR_EV_REMOVED : SR_EV_ADDED));
		seen++;
	}
	assert_int_equal(seen, 2);
	unsigned types[8], k = 0, u;
	off = 0;
	while (sr_ctl_batch_next_entry(&b, &off, &u, &rec, &len))
		types[k++] = u;
	assert_int_equal(k, 4);
	assert_int_equal(types[1], SR_CTL_MID_PUT);
	assert_int_equal(types[2], SR_CTL_MID_DEL);
	/* a binding event type is not a record's */
	assert_int_equal(sr_ctl_batch_add_mid(&b, (enum sr_ctl_mid_op)SR_EV_ADDED, (const uint8_t *)"x", 1, 1, 0), -1);
	sr_ctl_batch_fini(&b);
}

struct seen {
	unsigned n;
	char aor[4][64];
	uint64_t ctid[4];
	uint8_t state[4];
};

static int collect(void *ctx, const struct sr_ctl_midrec *r)
{
	struct seen *s = ctx;
	struct sr_midreg_record m;
	assert_int_equal(sr_midreg_record_decode(r->bytes, r->len, &m), 0);
	assert_true(sr_str_eq(m.aor, r->aor));
	assert_true(m.ctid == r->ctid);
	assert_true(s->n < 4);
	snprintf(s->aor[s->n], sizeof(s->aor[0]), "%.*s", (int)r->aor.len, r->aor.p);
	s->ctid[s->n] = r->ctid;
	s->state[s->n++] = m.state;
	return 0;
}

static int stop_at_first(void *ctx, const struct sr_ctl_midrec *r)
{
	(void)ctx, (void)r;
	return 1;
}

static void store_commits_restores_and_deletes(void **state)
{
	(void)state;
	char dir[64];
	snprintf(dir, sizeof(dir), "/tmp/sr_ctl_midrec_XXXXXX");
	assert_non_null(mkdtemp(dir));
	char err[512] = "";
	struct sr_ctl_store *st;
	assert_int_equal(sr_ctl_store_open(dir, 0, &st, err, sizeof(err)), 0);
	struct sr_ctl_batch b;
	assert_int_equal(sr_ctl_batch_init(&b, 100, 5), 0);
	/* one transaction: a binding and the records that go with it */
	add_binding(&b, SR_EV_ADDED, ALICE, 1);
	add_mid(&b, SR_CTL_MID_PUT, ALICE, 10, SR_MIDREG_REC_NEW);
	add_mid(&b, SR_CTL_MID_PUT, ALICE, 10, SR_MIDREG_REC_LIVE); /* same key: overwritten */
	add_mid(&b, SR_CTL_MID_PUT, BOB, 20, SR_MIDREG_REC_LIVE);
	add_mid(&b, SR_CTL_MID_PUT, BOB, 21, SR_MIDREG_REC_LIVE);
	assert_int_equal(sr_ctl_store_commit(st, &b, err, sizeof(err)), 0);
	sr_ctl_batch_clear(&b);
	uint64_t n = 0, bytes = 0;
	assert_int_equal(sr_ctl_store_mid_count(st, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(sr_ctl_store_count(st, &n, &bytes), 0);
	assert_int_equal(n, 1); /* the records are not bindings */

	/* a DEL deletes its key only; deleting a key never stored is no error */
	add_mid(&b, SR_CTL_MID_DEL, BOB, 20, 0);
	add_mid(&b, SR_CTL_MID_DEL, BOB, 99, 0);
	assert_int_equal(sr_ctl_store_commit(st, &b, err, sizeof(err)), 0);
	sr_ctl_batch_clear(&b);

	/* a bad entry fails the whole transaction: the good record beside it is not stored either */
	add_mid(&b, SR_CTL_MID_PUT, "sip:carol@example.com", 30, SR_MIDREG_REC_LIVE);
	uint8_t junk[16] = { 9 };
	assert_int_equal(sr_ctl_batch_add_mid(&b, SR_CTL_MID_PUT, junk, sizeof(junk), 2, 0), 0);
	assert_int_equal(sr_ctl_store_commit(st, &b, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "bad record"));
	sr_ctl_batch_clear(&b);
	sr_ctl_store_close(st);

	/* after a reopen: ALICE's record as last written, BOB's 21 */
	assert_int_equal(sr_ctl_store_open(dir, 0, &st, err, sizeof(err)), 0);
	struct seen s = { 0 };
	uint64_t loaded = 0;
	assert_int_equal(sr_ctl_store_mid_load(st, collect, &s, &loaded, err, sizeof(err)), 0);
	assert_int_equal(loaded, 2);
	assert_int_equal(s.n, 2);
	for (unsigned i = 0; i < 2; i++) {
		if (strcmp(s.aor[i], ALICE) == 0) {
			assert_true(s.ctid[i] == 10);
			assert_int_equal(s.state[i], SR_MIDREG_REC_LIVE);
		} else {
			assert_string_equal(s.aor[i], BOB);
			assert_true(s.ctid[i] == 21);
		}
	}
	/* the callback's refusal stops the load with a message */
	assert_int_equal(sr_ctl_store_mid_load(st, stop_at_first, NULL, &loaded, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "restore stopped"));
	sr_ctl_store_close(st);

	/* a stored entry that does not decode stops the load, naming its key */
	uint8_t key[16] = { 0xee }, bad[4] = { 1, 0, 0, 0 };
	raw_put(dir, "midreg", key, sizeof(key), bad, sizeof(bad));
	assert_int_equal(sr_ctl_store_open(dir, 0, &st, err, sizeof(err)), 0);
	memset(&s, 0, sizeof(s));
	assert_int_equal(sr_ctl_store_mid_load(st, collect, &s, &loaded, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "ee000000"));
	sr_ctl_store_close(st);
	sr_ctl_batch_fini(&b);
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(entry_round_trip_and_refusals),
		cmocka_unit_test(batch_keeps_records_from_binding_consumers),
		cmocka_unit_test(store_commits_restores_and_deletes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
