/*
 * test_reg_refuse.c - sr_reg_refuse, the data plane's answer to a flooding
 * source: the status and Retry-After asked for, the dialog headers of the
 * request echoed with a To tag, nothing registered, and no answer to what
 * never gets one (ACK, responses, garbage). The refusal is written by the
 * same code as every other response: the To tag the registrar would give
 * the same request, the Server header.
 */
#include "reg_harness.h"

#include <stdio.h>
#include <string.h>

static const char reg[] = "REGISTER sip:example.com SIP/2.0\r\n"
			  "Via: SIP/2.0/UDP 198.51.100.2:5060;branch=z9hG4bK-r1\r\n"
			  "From: <sip:alice@example.com>;tag=f1\r\n"
			  "To: <sip:alice@example.com>\r\n"
			  "Call-ID: refuse-1\r\n"
			  "CSeq: 7 REGISTER\r\n"
			  "Contact: <sip:alice@198.51.100.2>\r\n"
			  "Content-Length: 0\r\n\r\n";

static void refuse(struct th_env *e, const char *bytes, size_t len, int status, uint32_t ra, size_t cap)
{
	memset(e->resp, 0, sizeof(e->resp));
	sr_reg_refuse(e->shard, bytes, len, &e->src, status, ra, e->resp, cap, &e->res);
}

static void answers_503_with_retry_after(void **state)
{
	struct th_env *e = *state;
	refuse(e, reg, sizeof(reg) - 1, 503, 7, sizeof(e->resp));
	assert_int_equal(e->res.status, 503);
	assert_true(e->res.len > 0);
	assert_memory_equal(e->resp, "SIP/2.0 503 Service Unavailable\r\n", 33);
	assert_string_equal(th_header(e, "Retry-After", 0), "7");
	assert_string_equal(th_header(e, "Call-ID", 0), "refuse-1");
	assert_string_equal(th_header(e, "CSeq", 0), "7 REGISTER");
	assert_non_null(strstr(th_header(e, "Via", 0), "branch=z9hG4bK-r1"));
	assert_non_null(strstr(th_header(e, "To", 0), ";tag="));
	assert_int_equal(th_binding_count(e, "sip:alice@example.com"), 0);
	assert_int_equal(e->n_events, 0);
	/* A retransmission gets the same To tag. */
	char to1[256];
	snprintf(to1, sizeof(to1), "%s", th_header(e, "To", 0));
	refuse(e, reg, sizeof(reg) - 1, 503, 7, sizeof(e->resp));
	assert_string_equal(th_header(e, "To", 0), to1);
	/* Without Retry-After when 0 is given. */
	refuse(e, reg, sizeof(reg) - 1, 503, 0, sizeof(e->resp));
	assert_int_equal(th_header_count(e, "Retry-After"), 0);
}

static void same_skeleton_as_every_response(void **state)
{
	struct th_env *e = *state;
	refuse(e, reg, sizeof(reg) - 1, 503, 7, sizeof(e->resp));
	char refused_to[256];
	snprintf(refused_to, sizeof(refused_to), "%s", th_header(e, "To", 0));
	const char *server = th_header(e, "Server", 0);
	assert_non_null(server); /* the refusal had its own skeleton, without Server */
	assert_string_equal(server, "sipreg");
	sr_reg_process(e->shard, reg, sizeof(reg) - 1, &e->src, e->now_ms, e->resp, sizeof(e->resp), &e->res);
	assert_int_equal(e->res.status, 200);
	assert_string_equal(th_header(e, "To", 0), refused_to); /* one To-tag recipe */
	assert_string_equal(th_header(e, "Server", 0), "sipreg");
}

static void no_answer_to_ack_response_garbage(void **state)
{
	struct th_env *e = *state;
	static const char ack[] = "ACK sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP 198.51.100.2;branch=z9hG4bK-a\r\n"
				  "From: <sip:a@example.com>;tag=1\r\nTo: <sip:a@example.com>;tag=2\r\n"
				  "Call-ID: a\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n";
	refuse(e, ack, sizeof(ack) - 1, 503, 1, sizeof(e->resp));
	assert_int_equal(e->res.len, 0);
	assert_int_equal(e->res.drop, SR_DROP_ACK);
	static const char rsp[] = "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 198.51.100.2;branch=z9hG4bK-a\r\n"
				  "From: <sip:a@example.com>;tag=1\r\nTo: <sip:a@example.com>;tag=2\r\n"
				  "Call-ID: a\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
	refuse(e, rsp, sizeof(rsp) - 1, 503, 1, sizeof(e->resp));
	assert_int_equal(e->res.drop, SR_DROP_RESPONSE);
	refuse(e, "\x01\x02garbage", 9, 503, 1, sizeof(e->resp));
	assert_int_equal(e->res.len, 0);
	assert_int_equal(e->res.drop, SR_DROP_GARBAGE);
	refuse(e, reg, sizeof(reg) - 1, 503, 1, 40); /* does not fit */
	assert_int_equal(e->res.len, 0);
	assert_int_equal(e->res.drop, SR_DROP_NO_BUFFER);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(answers_503_with_retry_after, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(no_answer_to_ack_response_garbage, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(same_skeleton_as_every_response, th_setup, th_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
