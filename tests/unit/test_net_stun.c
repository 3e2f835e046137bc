/*
 * test_net_stun.c - STUN Binding responses on the SIP port (lib/net/net_stun.c):
 * what is STUN and what is SIP, the mapped address, FINGERPRINT mirrored,
 * nothing for messages that are not Binding requests.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>

#include "net_stun.h"

/* A Binding request: header, transaction id 0x01..0x0c, then attrs (already 4-byte aligned). */
static size_t request(uint8_t *out, uint16_t type, const uint8_t *attrs, size_t alen)
{
	static const uint8_t head[8] = { 0, 0, 0, 0, 0x21, 0x12, 0xa4, 0x42 };
	memcpy(out, head, 8);
	out[0] = (uint8_t)(type >> 8);
	out[1] = (uint8_t)type;
	out[2] = (uint8_t)(alen >> 8);
	out[3] = (uint8_t)alen;
	for (int i = 0; i < 12; i++)
		out[8 + i] = (uint8_t)(i + 1);
	memcpy(out + 20, attrs, alen);
	return 20 + alen;
}

static void demultiplexed_from_sip(void **state)
{
	(void)state;
	uint8_t m[64];
	size_t n = request(m, 0x0001, NULL, 0);
	assert_true(sr_net_is_stun(m, n));
	assert_false(sr_net_is_stun(m, n + 4));                 /* length field must count the rest */
	m[4] = 0x22;
	assert_false(sr_net_is_stun(m, n));                     /* no magic cookie: RFC 3489 or garbage */
	assert_false(sr_net_is_stun((const uint8_t *)"\r\n\r\n", 4)); /* RFC 5626 CRLF keepalive */
	static const char sip[] = "OPTIONS sip:example.com SIP/2.0\r\n";
	assert_false(sr_net_is_stun((const uint8_t *)sip, sizeof(sip) - 1));
}

static void binding_response(void **state)
{
	(void)state;
	uint8_t m[64], out[SR_STUN_RESPONSE_MAX];
	size_t n = request(m, 0x0001, NULL, 0);
	size_t r = sr_net_stun_binding_response(m, n, inet_addr("198.51.100.2"), 5070, out);
	/* success response, length 12, same cookie and transaction id, XOR-MAPPED-ADDRESS of 198.51.100.2:5070:
	 * port 0x13ce ^ 0x2112 = 0x32dc, address c6.33.64.02 ^ 21.12.a4.42 = e7.21.c0.40 */
	static const uint8_t want[] = { 0x01, 0x01, 0x00, 0x0c, 0x21, 0x12, 0xa4, 0x42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
					0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0x32, 0xdc, 0xe7, 0x21, 0xc0, 0x40 };
	assert_int_equal(r, sizeof(want));
	assert_memory_equal(out, want, sizeof(want));
}

static void fingerprint_mirrored(void **state)
{
	(void)state;
	/* SOFTWARE "ab" (padded) then FINGERPRINT (its value is not checked on requests) */
	static const uint8_t attrs[] = { 0x80, 0x22, 0x00, 0x02, 'a', 'b', 0, 0, 0x80, 0x28, 0x00, 0x04, 1, 2, 3, 4 };
	uint8_t m[64], out[SR_STUN_RESPONSE_MAX];
	size_t n = request(m, 0x0001, attrs, sizeof(attrs));
	size_t r = sr_net_stun_binding_response(m, n, inet_addr("198.51.100.2"), 5070, out);
	assert_int_equal(r, 40);
	assert_int_equal(out[3], 20); /* the length counts the FINGERPRINT */
	assert_memory_equal(out + 32, "\x80\x28\x00\x04", 4);
	/* a FINGERPRINT that is not last is not one */
	static const uint8_t bad[] = { 0x80, 0x28, 0x00, 0x04, 1, 2, 3, 4, 0x80, 0x22, 0x00, 0x02, 'a', 'b', 0, 0 };
	n = request(m, 0x0001, bad, sizeof(bad));
	assert_int_equal(sr_net_stun_binding_response(m, n, inet_addr("198.51.100.2"), 5070, out), 32);
}

static void only_binding_requests(void **state)
{
	(void)state;
	uint8_t m[64], out[SR_STUN_RESPONSE_MAX];
	size_t n = request(m, 0x0011, NULL, 0); /* Binding indication: no response */
	assert_true(sr_net_is_stun(m, n));
	assert_int_equal(sr_net_stun_binding_response(m, n, 1, 1, out), 0);
	n = request(m, 0x0101, NULL, 0); /* a response: never answered (no ping-pong) */
	assert_int_equal(sr_net_stun_binding_response(m, n, 1, 1, out), 0);
	static const uint8_t trunc[] = { 0x80, 0x22, 0x00, 0x10, 'a', 'b', 0, 0 }; /* attribute past the end */
	n = request(m, 0x0001, trunc, sizeof(trunc));
	assert_int_equal(sr_net_stun_binding_response(m, n, 1, 1, out), 32); /* answered, no FINGERPRINT */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(demultiplexed_from_sip),
		cmocka_unit_test(binding_response),
		cmocka_unit_test(fingerprint_mirrored),
		cmocka_unit_test(only_binding_requests),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
