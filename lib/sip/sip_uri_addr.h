/*
 * sip_uri_addr.h - the few facts a proxy reads from URIs and Via values it
 * did not parse as part of the message view: a Route or Path hop's user,
 * host and port, whether a hop is one of our own addresses, and a Via
 * value's sent-by and branch.
 *
 * Design decisions:
 * - URIs go through the message view's URI parser (sr_sip_uri_parse: the
 *   fast path, else libosip2, in the caller's arena), so a hop is read
 *   exactly as the Request-URI is. Via values are split by hand: sent-by and the branch parameter are
 *   plain tokens, and parsing lower Vias with osip for loop detection on
 *   every routed request would cost more than the rest of the decision.
 * - Only IPv4 literals become addresses: the data plane does no DNS, a hop
 *   that is a name is not a destination (lib/routing skips it).
 */
#ifndef SR_SIP_URI_ADDR_H
#define SR_SIP_URI_ADDR_H

#include <stdbool.h>
#include <stdint.h>

#include "sip_arena.h"
#include "sip_str.h"
#include "sip_uri.h"

struct sr_uri_parts {
	struct sr_str user;  /* empty when none */
	struct sr_str host;
	uint16_t port;       /* 0 when absent */
	uint32_t ipv4;       /* host as a dotted-quad literal, network order; 0 when it is not one */
};

/*
 * Reads a SIP URI, or a name-addr / addr-spec holding one ("<sip:x@h;lr>"),
 * into the arena (the user part unescaped). Returns 0, or
 * -1 when it is not a sip/sips URI with a host.
 */
int sr_sip_uri_parts(struct sr_str v, struct sr_arena *arena, struct sr_uri_parts *out);

/*
 * The first URI of a Path or Route value ("<sip:a;lr>, <sip:b;lr>"), read
 * as sr_sip_uri_parts does. Returns 0, or -1 when it has none.
 */
int sr_sip_first_hop(struct sr_str list, struct sr_arena *arena, struct sr_uri_parts *out);

/*
 * The bytes of a tag value inside the header value it was read from (the
 * view's tag may be a copy in the arena; a kept request needs the range in
 * its own bytes): the first "=TAG" in value, empty when not found.
 */
struct sr_str sr_sip_tag_in(struct sr_str value, struct sr_str tag);

/*
 * Whether a parsed Contact URI names the address a request came from (ip in
 * network order): its host is that IPv4 literal and its port (5060 when
 * absent, 5061 for sips) is that port. False means the UA sits behind NAT
 * (or names itself by a host name): only the source reaches it.
 */
bool sr_sip_uri_is_source(const struct sr_sip_uri *u, uint32_t ip, uint16_t port);

/*
 * The parameter 'name' (case-insensitive) of a URI given as text, a bare
 * URI or a name-addr ("<sip:x@h;pn-purr=..>"), e.g. RFC 8599's pn-purr of
 * a Request-URI or a Route value: *value is its value as sent (empty for a
 * parameter without one). False when absent. Headers (after '?') are not
 * parameters. Scans the bytes only (sip_uri_param.c).
 */
bool sr_sip_uri_param_in(struct sr_str uri, const char *name, struct sr_str *value);

/*
 * path-received (sip_path_received.c): the address in the received
 * parameter of the first URI of a Path value, as a load balancer in front
 * of the registrar writes it (";received=sip:203.0.113.5:5060", possibly
 * %-escaped or quoted; port 5060 when absent). IPv4 literals only (ip in
 * network order). False when the first hop has none or it is not one.
 */
bool sr_sip_path_received(struct sr_str path, struct sr_arena *arena, uint32_t *ip, uint16_t *port);

/* The sent-by ("host[:port]", as written) of a Via value; empty when malformed. */
struct sr_str sr_sip_via_sent_by(struct sr_str via);
/* The branch parameter of a Via value (case-insensitive name); empty when absent. */
struct sr_str sr_sip_via_branch(struct sr_str via);

#endif
