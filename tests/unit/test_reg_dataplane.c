/*
 * test_reg_dataplane.c - what the registrar's result tells the data plane,
 * so that nothing outside lib/sip reads SIP text (issue 11 item 1).
 *
 * The reply port comes from the parsed top Via (RFC 3261 18.2.2, RFC 3581):
 * the source port with rport, else the sent-by port, 5060 without one. The
 * folded-Via case of the issue used to be answered to the sent-by port by a
 * second, text-scanning reader in lib/net while the 200 said rport=40000.
 * Whether credentials came with the request feeds the auth-failure guard,
 * which used to scan the text itself and misread a CRLF-prefixed message.
 */
#include "reg_harness.h"

#include <stdio.h>
#include <string.h>

static char msg[4096];

/* A REGISTER from the harness's source with the given Via line(s) and extra header lines. */
static size_t request(const char *prefix, const char *via_lines, const char *extra)
{
	int n = snprintf(msg, sizeof(msg),
			 "%sREGISTER sip:example.com SIP/2.0\r\n"
			 "%s"
			 "From: <sip:pat@example.com>;tag=1\r\n"
			 "To: <sip:pat@example.com>\r\n"
			 "Call-ID: dp-%zu@198.51.100.2\r\n"
			 "CSeq: 1 REGISTER\r\n"
			 "Contact: <sip:pat@198.51.100.2:5070>\r\n"
			 "%s"
			 "Content-Length: 0\r\n\r\n",
			 prefix, via_lines, strlen(via_lines), extra);
	return (size_t)n;
}

static uint16_t port_for(struct th_env *e, const char *via_lines)
{
	th_raw(e, msg, request("", via_lines, ""));
	return e->res.reply_port;
}

static void reply_port_from_the_parsed_via(void **state)
{
	struct th_env *e = *state;
	e->src.port = 40000;
	/* rport present (with or without value): the source port, RFC 3581 */
	assert_int_equal(port_for(e, "Via: SIP/2.0/UDP 198.51.100.2:5070;rport;branch=z9hG4bK-a\r\n"), 40000);
	assert_int_equal(port_for(e, "Via: SIP/2.0/UDP h:5070;branch=z9hG4bK-b;RPORT=9\r\n"), 40000);
	/* no rport: the sent-by port, RFC 3261 18.2.2, default 5060 */
	assert_int_equal(port_for(e, "Via: SIP/2.0/UDP 198.51.100.2:5070;branch=z9hG4bK-c\r\n"), 5070);
	assert_int_equal(port_for(e, "Via: SIP/2.0/UDP host.example;branch=z9hG4bK-d\r\n"), 5060);
	assert_int_equal(port_for(e, "Via: SIP/2.0/UDP [2001:db8::1]:5080;branch=z9hG4bK-e\r\n"), 5080);
	/* compact form, spaces around the colon, another header first */
	assert_int_equal(port_for(e, "Max-Forwards: 70\r\nv : SIP/2.0/UDP h : 5090 ;branch=z9hG4bK-f\r\n"), 5090);
	/* a parameter that only starts with "rport" is not rport */
	assert_int_equal(port_for(e, "Via: SIP/2.0/UDP h:5070;rportx;branch=z9hG4bK-g\r\n"), 5070);
	/* only the top via-parm counts */
	assert_int_equal(port_for(e, "Via: SIP/2.0/UDP a:5071;branch=z9hG4bK-h, SIP/2.0/UDP b:5072;rport\r\n"), 5071);
	/* no usable Via (the 400 cannot echo one): back to where it came from */
	assert_int_equal(port_for(e, ""), 40000);
	assert_int_equal(e->res.status, 400);
	assert_int_equal(port_for(e, "Via: SIP/2.0/UDP h:99999;branch=z9hG4bK-i\r\n"), 40000);
	assert_int_equal(e->res.status, 400);
}

/*
 * The case: a REGISTER from source port 40000 whose Via is folded
 * ("...:5070" CRLF " ;rport;branch=..."): the 200 says rport=40000, and the
 * datagram goes to 40000, not 5070.
 */
static void folded_via_answered_to_the_source_port(void **state)
{
	struct th_env *e = *state;
	e->src.port = 40000;
	size_t len = request("", "Via: SIP/2.0/UDP 198.51.100.2:5070\r\n ;rport;branch=z9hG4bK-folded\r\n", "");
	assert_int_equal(th_raw(e, msg, len), 200);
	assert_int_equal(e->res.reply_port, 40000);
	assert_string_equal(th_header(e, "Via", 0),
			    "SIP/2.0/UDP 198.51.100.2:5070 ;rport=40000;branch=z9hG4bK-folded;received=198.51.100.2");
}

static void credentials_reported(void **state)
{
	struct th_env *e = *state;
	static const char cred[] = "Authorization: Digest username=\"pat\", realm=\"example.com\", nonce=\"n\", "
				   "uri=\"sip:example.com\", response=\"r\"\r\n";
	static const char via[] = "Via: SIP/2.0/UDP 198.51.100.2:5060;branch=z9hG4bK-cr\r\n";
	th_raw(e, msg, request("", via, ""));
	assert_false(e->res.credentials);
	th_raw(e, msg, request("", via, cred));
	assert_true(e->res.credentials);
	/* issue 15 item 2: the CRLF-prefixed message is read the same */
	th_raw(e, msg, request("\r\n\r\n", via, cred));
	assert_true(e->res.credentials);
	/* the header name is not a prefix match, and a body line is not a header */
	th_raw(e, msg, request("", via, "Authorization-Info: x\r\n"));
	assert_false(e->res.credentials);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(reply_port_from_the_parsed_via, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(folded_via_answered_to_the_source_port, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(credentials_reported, th_setup, th_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
