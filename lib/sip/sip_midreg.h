/*
 * sip_midreg.h - the messages the mid-registrar writes: the REGISTER it
 * forwards to the main registrar for a UA, its own REGISTER (the
 * de-REGISTER of a contact or AoR it no longer holds), the answer to the UA
 * mapped back from the main registrar's final response, and the contact
 * URIs it puts upstream (with a contact id, or the AoR contact) and reads
 * back.
 *
 * Design decisions:
 * - Byte ranges in, bytes out, like sip_forward.h: the writers are fed the
 *   header lines the one parse found (struct sr_mid_line: the whole line
 *   with its CRLF and its name), never a parsed object, so they do not
 *   depend on the message view. Which lines a writer drops is decided here
 *   from the names (long and compact forms): that is reading SIP text, so
 *   it belongs to lib/sip.
 * - The forwarded REGISTER is sipreg's own request towards the main
 *   registrar (the mid-registrar owns the upstream registration: its own
 *   Call-ID and CSeq, so its refreshes, retries and de-REGISTERs never
 *   collide with the UA's numbering), carrying the UA's Request-URI, From,
 *   To, credentials (Authorization, Proxy-Authorization) and every other
 *   header byte for byte. Replaced: Via (ours only: the answer to the UA is
 *   written from the UA's own kept head, not relayed), Max-Forwards (the
 *   caller's value), Call-ID, CSeq, Contact (our URIs). Dropped: Route and
 *   Record-Route (we route to the main registrar ourselves), Path (kept
 *   locally: calls reach the UA through sipreg, whose address is in the
 *   upstream contact), Expires unless kept (mirror mode leaves expiries as
 *   the UA sent them).
 * - Contact parameters travel upstream except expires (written by us) and
 *   reg-id: the upstream flow is sipreg's, not the UA's RFC 5626 flow.
 * - The answer to the UA reuses the proxy's "own response from a kept head"
 *   (sr_fwd_local_response): status and reason of the main registrar, the
 *   UA's Vias, From, To, Call-ID and CSeq, the main registrar's other header
 *   lines (WWW-Authenticate, Min-Expires, Retry-After, Service-Route,
 *   P-Associated-URI, Date, ...), the caller's own lines, and the Contacts
 *   the caller restored. Every append goes through the response writer's
 *   bounded appender: 0 on overflow, nothing written past the capacity.
 */
#ifndef SR_SIP_MIDREG_H
#define SR_SIP_MIDREG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sip_forward.h"
#include "sip_str.h"

/* One header line as the parse found it. */
struct sr_mid_line {
	struct sr_str line; /* the whole line, continuation lines included, with its final CRLF */
	struct sr_str name; /* the header name as written (long or compact form) */
};

/* How our contact URIs look upstream (mid.* settings). */
struct sr_mid_uri_form {
	struct sr_str self;         /* sipreg's "host:port" */
	struct sr_str ctid_param;   /* "ctid" */
	struct sr_str extra_params; /* appended inside every URI we write, e.g. ";transport=udp"; may be empty */
	struct sr_str at_escape;    /* "%40": stands for '@' in the AoR contact's user part */
	bool ct_username;           /* true: the contact id is the user part; false: a URI parameter */
};

#define SR_MID_CTID_HEX 16 /* a contact id is written as 16 lower-case hex digits */

/*
 * The upstream URI of one UA contact: "sip:user@self;ctid=<hex>" (the UA's
 * user part kept, none when it has none) or "sip:<hex>@self", with the
 * extra parameters. Returns the length, 0 when it does not fit.
 */
size_t sr_mid_contact_uri(char *out, size_t cap, const struct sr_mid_uri_form *f, struct sr_str ua_user,
			  uint64_t ctid);
/*
 * The AoR contact of AoR throttling: "sip:<user><at_escape><domain>@self"
 * with the extra parameters, from a canonical AoR ("sip:user@domain";
 * characters of the domain a user part may not hold are %-escaped).
 * Returns the length, 0 when it does not fit or the AoR has no scheme.
 */
size_t sr_mid_aor_contact_uri(char *out, size_t cap, const struct sr_mid_uri_form *f, struct sr_str aor);
/*
 * The reverse: the AoR named by an AoR contact's user part (split at the
 * last at_escape), with the given scheme ("sip"). Returns the length
 * written to out, 0 when the user part holds no at_escape or it does not fit.
 */
size_t sr_mid_aor_from_user(char *out, size_t cap, struct sr_str user, struct sr_str at_escape, struct sr_str scheme);
/* A contact id from its hex text (1 to 16 hex digits, either case). */
bool sr_mid_ctid_parse(struct sr_str hex, uint64_t *ctid);

/* One Contact of a forwarded REGISTER. */
struct sr_mid_contact {
	struct sr_str uri;    /* ours (sr_mid_contact_uri / sr_mid_aor_contact_uri) */
	struct sr_str params; /* the UA's contact-params as sent (";q=0.5;expires=60"): all but expires and reg-id go on */
	int64_t expires;      /* ";expires=N" written when >= 0 */
};

/* The forwarded REGISTER. */
struct sr_mid_fwd {
	struct sr_str ruri;                /* the UA's Request-URI */
	struct sr_str sent_by, branch;     /* our Via */
	uint32_t max_forwards;
	unsigned n_lines;
	const struct sr_mid_line *lines;   /* every header line of the UA's REGISTER, in order */
	bool keep_expires;                 /* the UA's Expires header goes on (mirror); otherwise it is dropped */
	struct sr_str call_id;             /* ours */
	uint32_t cseq;                     /* ours */
	unsigned n_contacts;
	const struct sr_mid_contact *contacts;
	struct sr_str body;                /* the UA's body (its Content-Length line is among the copied lines) */
};
/* Writes the forwarded REGISTER; returns its length, 0 when it does not fit. */
size_t sr_mid_forward(char *out, size_t cap, const struct sr_mid_fwd *f);

/* sipreg's own REGISTER for one upstream contact (a de-REGISTER when expires is 0). */
struct sr_mid_own {
	struct sr_str ruri;            /* "sip:<domain of the AoR>" */
	struct sr_str sent_by, branch; /* our Via */
	struct sr_str aor;             /* From and To */
	struct sr_str from_tag;
	struct sr_str call_id;
	uint32_t cseq;
	struct sr_str contact_uri;     /* ours */
	uint32_t expires;
};
/* Writes sipreg's own REGISTER; returns its length, 0 when it does not fit. */
size_t sr_mid_own_register(char *out, size_t cap, const struct sr_mid_own *o);

/* One Contact of the answer to the UA: a binding as the location store holds it. */
struct sr_mid_reply_contact {
	struct sr_str uri;      /* the UA's own contact */
	struct sr_str params;   /* its stored contact-params (no expires, no q) */
	uint32_t expires;       /* seconds left */
	int q;                  /* thousandths, negative: none */
	struct sr_str received; /* "sip:IP:PORT" when the UA is behind NAT and received_param is set; else empty */
	struct sr_str received_param;
};

/* The answer to the UA, mapped back from the main registrar's final response. */
struct sr_mid_reply {
	int status;
	struct sr_str reason;              /* the main registrar's phrase; empty: the standard one */
	const struct sr_fwd_head *head;    /* the UA's kept head */
	struct sr_str to_tag;              /* added to the To when the UA's To has none */
	unsigned n_lines;
	const struct sr_mid_line *lines;   /* the main registrar's header lines: all but dialog, contact and framing ones go on */
	struct sr_str extra;               /* our own lines (Path echo, Retry-After, ...), each with its CRLF */
	unsigned n_contacts;
	const struct sr_mid_reply_contact *contacts;
	unsigned n_foreign;
	const struct sr_str *foreign;      /* Contact values not ours, written as the main registrar sent them */
};
/*
 * Writes the answer; scratch (scratch_cap bytes, not overlapping out) holds
 * the lines after the head while it is written. Returns its length, 0 when
 * it does not fit.
 */
size_t sr_mid_reply(char *out, size_t cap, char *scratch, size_t scratch_cap, const struct sr_mid_reply *r);

/*
 * Reading (sip_midreg_read.c): the header lines of a parsed message, from
 * the view's headers_at to body_at, into out[0..cap) (continuation lines
 * joined to their header). False when there are more than cap or a line is
 * not a header.
 */
bool sr_mid_header_lines(const char *msg, size_t headers_at, size_t body_at, struct sr_mid_line *out,
			 unsigned cap, unsigned *n);
/* A response's reason phrase (the status line ends at headers_at); empty when none. */
struct sr_str sr_mid_status_reason(const char *msg, size_t headers_at);
/*
 * The user part of a URI (text without < >) as written, %-escapes kept:
 * our contact URIs are compared and rewritten as text (the message view's
 * user part is unescaped). Empty when it has none.
 */
struct sr_str sr_mid_uri_user_raw(struct sr_str uri);

#endif
