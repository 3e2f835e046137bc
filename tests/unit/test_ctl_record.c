/*
 * test_ctl_record.c - the versioned binding record and its key
 * (lib/ctl/ctl_record.c): every field survives a round trip, damaged or
 * foreign bytes are refused with a reason, and the key is (AoR hash,
 * binding id): whatever else of a binding changes, its key does not. The
 * hash is rotated so that its slot leads, and each slot is one key range.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "aor_table.h"
#include "ctl_record.h"
#include "sip_msg.h"

static void sample(struct sr_loc_binding *b)
{
	memset(b, 0, sizeof(*b));
	b->aor = SR_STR_LIT("sip:alice@example.com");
	b->f[SR_BF_CONTACT] = SR_STR_LIT("sip:alice@198.51.100.2:5070;transport=udp");
	b->f[SR_BF_PARAMS] = SR_STR_LIT(";+sip.instance=\"<urn:uuid:1>\";reg-id=1");
	b->f[SR_BF_CALL_ID] = SR_STR_LIT("c1@ua");
	b->f[SR_BF_PATH] = SR_STR_LIT("<sip:edge.example.com;lr>");
	b->f[SR_BF_USER_AGENT] = SR_STR_LIT("phone/1.0");
	b->f[SR_BF_INSTANCE] = SR_STR_LIT("<urn:uuid:1>");
	b->f[SR_BF_PN_KEY] = sr_str_make("apns\0prid\0param", 15);
	b->st = (struct sr_binding_state){ .id = 0x1122334455667788ull, .expires = 1795263540, .registered_at = 1795262940,
					   .branch_hash = 0x89abcdefu, .cseq = 0xfffffffeu,
					   .src_ip = 0x020064c6u, .src_port = 5070, .q = 500, .reg_id = 7,
					   .flags = SR_BFLAG_OUTBOUND | SR_BFLAG_GRUU,
					   .allow = SR_SIP_ALLOW_PRESENT | SR_SIP_M_INVITE | SR_SIP_M_MESSAGE };
}

static void test_round_trip_every_field(void **state)
{
	(void)state;
	struct sr_loc_binding in, out;
	sample(&in);
	uint8_t buf[1024];
	size_t n = sr_ctl_record_encode(&in, buf, sizeof(buf));
	assert_int_equal(n, sr_ctl_record_size(&in));
	assert_int_equal(buf[0], SR_CTL_RECORD_VERSION);
	const char *err = NULL;
	assert_int_equal(sr_ctl_record_decode(buf, n, &out, &err), 0);
	assert_true(sr_str_eq(in.aor, out.aor));
	for (int i = 0; i < SR_BF_COUNT; i++)
		assert_true(sr_str_eq(in.f[i], out.f[i]));
	assert_true(sr_binding_state_equal(&out.st, &in.st));
	assert_int_equal(out.st.cseq, 0xfffffffeu); /* spot checks that the sample is not all zero */
	assert_int_equal(out.st.flags, SR_BFLAG_OUTBOUND | SR_BFLAG_GRUU);
	assert_true(out.st.id == 0x1122334455667788ull);
	assert_int_equal(out.st.allow, SR_SIP_ALLOW_PRESENT | SR_SIP_M_INVITE | SR_SIP_M_MESSAGE);
}

/*
 * A version 3 record (before the registered Allow: the same layout without
 * the u16 after the lengths) reads as "no Allow registered", the rest intact.
 */
static void test_decode_version_3_has_no_allow(void **state)
{
	(void)state;
	struct sr_loc_binding in, out;
	sample(&in);
	uint8_t v4[1024], v3[1024];
	size_t n = sr_ctl_record_encode(&in, v4, sizeof(v4));
	const size_t allow_at = 1 + 8 + 5 * 4 + 8 + 4 * 2 + 2 * SR_BF_COUNT; /* the v3 header's length */
	memcpy(v3, v4, allow_at);
	memcpy(v3 + allow_at, v4 + allow_at + 2, n - allow_at - 2);
	v3[0] = 3;
	const char *err = NULL;
	assert_int_equal(sr_ctl_record_decode(v3, n - 2, &out, &err), 0);
	assert_int_equal(out.st.allow, 0);
	in.st.allow = 0;
	assert_true(sr_binding_state_equal(&out.st, &in.st));
	for (int i = 0; i < SR_BF_COUNT; i++)
		assert_true(sr_str_eq(in.f[i], out.f[i]));
	/* the same bytes claiming version 4 are two short: refused, not misread */
	v3[0] = 4;
	assert_int_equal(sr_ctl_record_decode(v3, n - 2, &out, &err), -1);
}

/* A removal needs only its key (and the contact the listener announces): small whatever the binding held. */
static void test_removal_record_is_key_and_contact(void **state)
{
	(void)state;
	struct sr_loc_binding in, rm, out;
	sample(&in);
	static char path[60000];
	memset(path, 'p', sizeof(path));
	in.f[SR_BF_PATH] = sr_str_make(path, sizeof(path));
	sr_ctl_record_removal(&in, &rm);
	uint8_t buf[256];
	size_t n = sr_ctl_record_encode(&rm, buf, sizeof(buf));
	assert_true(n > 0 && n < 160);
	const char *err = NULL;
	assert_int_equal(sr_ctl_record_decode(buf, n, &out, &err), 0);
	assert_true(sr_str_eq(out.aor, in.aor));
	assert_true(sr_str_eq(out.f[SR_BF_CONTACT], in.f[SR_BF_CONTACT]));
	assert_int_equal(out.f[SR_BF_PATH].len, 0);
	uint8_t k1[SR_CTL_KEY_LEN], k2[SR_CTL_KEY_LEN];
	sr_ctl_record_key(&in, k1);
	sr_ctl_record_key(&out, k2);
	assert_memory_equal(k1, k2, SR_CTL_KEY_LEN);
}

static void test_decode_refuses_damage(void **state)
{
	(void)state;
	struct sr_loc_binding in, out;
	sample(&in);
	uint8_t buf[1024];
	size_t n = sr_ctl_record_encode(&in, buf, sizeof(buf));
	const char *err = NULL;
	assert_int_equal(sr_ctl_record_decode(buf, 0, &out, &err), -1);
	assert_string_equal(err, "empty record");
	for (size_t cut = 1; cut < n; cut++) /* every truncation is refused, none reads past the end */
		assert_int_equal(sr_ctl_record_decode(buf, cut, &out, &err), -1);
	buf[0] = SR_CTL_RECORD_VERSION + 1;
	assert_int_equal(sr_ctl_record_decode(buf, n, &out, &err), -1);
	assert_non_null(strstr(err, "unknown format version"));
	buf[0] = SR_CTL_RECORD_VERSION;
	in.f[SR_BF_CONTACT] = SR_STR_NULL;
	n = sr_ctl_record_encode(&in, buf, sizeof(buf));
	assert_int_equal(sr_ctl_record_decode(buf, n, &out, &err), -1);
	assert_string_equal(err, "record without an AoR, a contact or an id");
	sample(&in);
	in.st.id = 0;
	n = sr_ctl_record_encode(&in, buf, sizeof(buf));
	assert_int_equal(sr_ctl_record_decode(buf, n, &out, &err), -1);
	assert_string_equal(err, "record without an AoR, a contact or an id");
}

/* A version 1 record (written before bindings had ids) is refused by name, not misread. */
static void test_decode_refuses_version_1(void **state)
{
	(void)state;
	struct sr_loc_binding in, out;
	sample(&in);
	uint8_t buf[1024];
	size_t n = sr_ctl_record_encode(&in, buf, sizeof(buf));
	buf[0] = 1;
	const char *err = NULL;
	assert_int_equal(sr_ctl_record_decode(buf, n, &out, &err), -1);
	assert_non_null(strstr(err, "unknown format version"));
}

static void test_encode_refuses_small_buffer(void **state)
{
	(void)state;
	struct sr_loc_binding in;
	sample(&in);
	uint8_t buf[1024];
	assert_int_equal(sr_ctl_record_encode(&in, buf, sr_ctl_record_size(&in) - 1), 0);
}

/*
 * The key is the AoR's hash and the binding's id, big-endian: every byte of
 * the binding (contact, ";ob", host case, instance, push key, state) may
 * change without moving it, another id or another AoR moves it.
 */
static void test_key_is_aor_and_id(void **state)
{
	(void)state;
	struct sr_loc_binding a, b;
	uint8_t ka[SR_CTL_KEY_LEN], kb[SR_CTL_KEY_LEN];
	sample(&a);
	sample(&b);
	b.f[SR_BF_CONTACT] = SR_STR_LIT("sip:alice@198.51.100.2:5070;transport=udp;ob");
	b.f[SR_BF_INSTANCE] = SR_STR_NULL;
	b.f[SR_BF_PN_KEY] = SR_STR_NULL;
	b.f[SR_BF_CALL_ID] = SR_STR_LIT("another-call");
	b.st.reg_id = 8;
	b.st.cseq = 1;
	sr_ctl_record_key(&a, ka);
	sr_ctl_record_key(&b, kb);
	assert_memory_equal(ka, kb, SR_CTL_KEY_LEN);
	const uint8_t id_be[8] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88 };
	assert_memory_equal(ka + 8, id_be, 8);
	b.st.id++;
	sr_ctl_record_key(&b, kb);
	assert_memory_not_equal(ka, kb, SR_CTL_KEY_LEN);
	assert_memory_equal(ka, kb, 8); /* same AoR: same prefix, so one AoR's bindings are adjacent */
	b.aor = SR_STR_LIT("sip:bob@example.com");
	sr_ctl_record_key(&b, kb);
	assert_memory_not_equal(ka, kb, 8);
}

/* LMDB's default key order: bytes compared as unsigned, a prefix before what extends it. */
static int key_cmp(const uint8_t *a, size_t na, const uint8_t *b, size_t nb)
{
	int c = memcmp(a, b, na < nb ? na : nb);
	return c ? c : (na > nb) - (na < nb);
}

/*
 * Format 4's key starts with the AoR hash's slot (its low SR_CTL_SLOT_BITS
 * bits), keeps the whole hash (read back exactly), and every key of slot s
 * sorts in [sr_ctl_slot_start(s), sr_ctl_slot_start(s + 1)): the key
 * ranges a restart's part walks. A key keyed by the plain hash (format 3)
 * would fail the first check for most AoRs.
 */
static void test_key_leads_with_the_slot(void **state)
{
	(void)state;
	uint8_t s0[2], s1[2];
	assert_int_equal(sr_ctl_slot_start(0, s0), 0); /* slot 0 starts at the very first key */
	for (unsigned i = 0; i < 4000; i++) {
		char aor[64];
		snprintf(aor, sizeof(aor), "sip:user%u@example.com", i);
		struct sr_loc_binding b = { .aor = sr_str_cstr(aor), .st.id = i + 1 };
		uint8_t key[SR_CTL_KEY_LEN];
		sr_ctl_record_key(&b, key);
		uint64_t h = sr_hash64(b.aor.p, b.aor.len);
		unsigned slot = sr_ctl_slot_of(h);
		assert_int_equal(sr_ctl_record_key_aor_hash(key), h);
		assert_int_equal(((unsigned)key[0] << 8 | key[1]) >> (16 - SR_CTL_SLOT_BITS), slot);
		size_t n0 = sr_ctl_slot_start(slot, s0);
		assert_true(key_cmp(key, SR_CTL_KEY_LEN, s0, n0) >= 0);
		if (slot + 1 < SR_CTL_SLOTS) {
			size_t n1 = sr_ctl_slot_start(slot + 1, s1);
			assert_true(n1 > 0);
			assert_true(key_cmp(key, SR_CTL_KEY_LEN, s1, n1) < 0);
			/* a key shorter than a binding key's but of two bytes or more, cut from this one, still does */
			assert_true(key_cmp(key, 2, s1, n1) < 0 && key_cmp(key, 2, s0, n0) >= 0);
		}
	}
	/* the starts rise strictly: the ranges partition the key space */
	for (unsigned s = 1; s < SR_CTL_SLOTS; s++) {
		size_t n0 = sr_ctl_slot_start(s - 1, s0), n1 = sr_ctl_slot_start(s, s1);
		assert_true(key_cmp(s0, n0, s1, n1) < 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_every_field),
		cmocka_unit_test(test_decode_refuses_damage),
		cmocka_unit_test(test_removal_record_is_key_and_contact),
		cmocka_unit_test(test_encode_refuses_small_buffer),
		cmocka_unit_test(test_key_is_aor_and_id),
		cmocka_unit_test(test_key_leads_with_the_slot),
		cmocka_unit_test(test_decode_refuses_version_1),
		cmocka_unit_test(test_decode_version_3_has_no_allow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
