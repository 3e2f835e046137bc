/*
 * sip_host.h - what a URI host names: an IP literal in any spelling, and
 * whether it is loopback, unspecified or one of the registrar's own
 * addresses.
 *
 * A Contact pointing back at the operator's network (loopback, "this host",
 * the registrar itself) turns calls to the AoR into loops or into requests
 * from inside; refusing it by regex over the URI text failed because one
 * address has many spellings, and the proxy that later sends to the Contact
 * reads the host with the resolver's rules, not the regex's. So the decision
 * is made on the host the message view parsed, numerically:
 *
 * - IPv4 as inet_aton() reads it: 1 to 4 dot-separated parts, each decimal,
 *   octal (leading 0) or hex (0x), the last part filling the remaining bytes
 *   ("127.1", "2130706433", "0x7f000001", "0177.0.0.1", "0"). A part with a
 *   leading zero is read a second time as decimal (what many other parsers
 *   do) and the host gets the classes of both readings, so "0177.0.0.1" is
 *   loopback and "198.51.100.010" is self when either .8 or .10 is ours.
 * - IPv6 with or without brackets, any compression, a zone suffix ("%25lo",
 *   "%lo") ignored; addresses with an IPv4 inside (v4-mapped ::ffff:0:0/96,
 *   v4-compatible ::/96, v4-translated ::ffff:0:0:0/96) are classified as
 *   that IPv4 address.
 * - Names: "localhost" and every name under it (RFC 6761 6.3), any case.
 * - One trailing dot (the DNS root, "localhost.", "0.0.0.0.") is ignored.
 *
 * Loopback: 127.0.0.0/8 and ::1. Unspecified: 0.0.0.0/8 ("this network",
 * never a destination, RFC 1122 3.2.1.3) and ::. Self: equal to one of the
 * addresses in a struct sr_host_self. Pure functions: no allocation, no
 * resolver, no global state.
 */
#ifndef SR_SIP_HOST_H
#define SR_SIP_HOST_H

#include <stdint.h>

#include "sip_str.h"

/* An address in IPv6 form; an IPv4 address is stored v4-mapped (::ffff:a.b.c.d). */
struct sr_ip {
	uint8_t b[16];
};

/*
 * Parses an IP literal in its strict form (dotted-quad IPv4 as RFC 3261's
 * IPv4address, or an IPv6 reference with or without brackets). Returns 0,
 * or -1 when host is not such a literal (a name, or a loose spelling).
 */
int sr_sip_host_ip(struct sr_str host, struct sr_ip *out);

#define SR_HOST_SELF_MAX 8

/* The registrar's own addresses. */
struct sr_host_self {
	unsigned n;
	struct sr_ip ip[SR_HOST_SELF_MAX];
};

/*
 * Adds each address of a list ("198.51.100.1, 2001:db8::1"; blanks and
 * commas separate) to s. Returns 0, or -1 with *bad set to the first item
 * that is not a strict IP literal (or does not fit).
 */
int sr_sip_host_self_parse(struct sr_host_self *s, const char *list, struct sr_str *bad);

enum sr_host_class {
	SR_HOST_LOOPBACK = 1u << 0,
	SR_HOST_UNSPECIFIED = 1u << 1,
	SR_HOST_SELF = 1u << 2,
};

/*
 * The classes (SR_HOST_* bits, 0 for none) of a URI host as the message
 * view gives it (brackets of an IPv6 reference present or not). self may be
 * NULL (then SR_HOST_SELF is never set).
 */
unsigned sr_sip_host_classify(struct sr_str host, const struct sr_host_self *self);

#endif
