/*
 * sip_response.h - writes a whole SIP response into a caller-given buffer.
 *
 * The data plane hands us the payload area of the mbuf it will send, so the
 * response bytes are written exactly once. The writer never fails half-way:
 * on overflow it records the fact and sr_resp_finish() returns 0, so the
 * caller can fall back to a short error response.
 *
 * Order of calls: sr_resp_begin, sr_resp_dialog_headers, any header helpers
 * and contacts, sr_resp_finish.
 */
#ifndef SR_SIP_RESPONSE_H
#define SR_SIP_RESPONSE_H

#include <stdint.h>

#include "sip_msg.h"
#include "sip_str.h"

/* The transport source of a request: IPv4 address (network byte order) and UDP port (host order). */
struct sr_addr {
	uint32_t ip;
	uint16_t port;
};

struct sr_resp {
	char *buf;
	size_t cap;
	size_t len;
	bool overflow;
	size_t to_value_end; /* set by sr_resp_dialog_headers: offset just past the To value, where ";tag=" goes */
};

void sr_resp_begin(struct sr_resp *w, char *buf, size_t cap, int status, const char *reason);

/*
 * Copies the dialog-forming headers of the request: every Via in order (the
 * top one with received= when its sent-by host differs from the source and
 * rport= filled when the client asked for it, RFC 3261 18.2.1 and RFC 3581),
 * From, To (with to_tag added when the request's To has none), Call-ID and
 * CSeq. Missing request headers are simply not written.
 */
void sr_resp_dialog_headers(struct sr_resp *w, const struct sr_sip_msg *req,
			    const struct sr_addr *src, struct sr_str to_tag);

/* One Contact of a 2xx: "<uri>" params ";expires=N" [";q=0.x"] [gruu params]. */
struct sr_resp_contact {
	struct sr_str uri;
	struct sr_str params;    /* other contact-params as stored, each starting with ';' */
	uint32_t expires;
	int q;                   /* thousandths (0..1000), negative: no q parameter */
	struct sr_str pub_gruu;  /* empty: none */
	struct sr_str temp_gruu; /* empty: none */
	uint32_t received_ip;    /* network order; 0: no ;received= (the UA is not behind NAT) */
	uint16_t received_port;
};
void sr_resp_contact(struct sr_resp *w, const struct sr_resp_contact *c);
/*
 * The value of a NATed contact's received parameter, "sip:IP:PORT" (the
 * OpenSIPS received_param form), NUL-terminated; returns its length. One
 * writer for the 200, the 302 and the lookups.
 */
#define SR_RECEIVED_LEN 28
size_t sr_resp_received_uri(char out[SR_RECEIVED_LEN], uint32_t ip, uint16_t port);

void sr_resp_header(struct sr_resp *w, const char *name, struct sr_str value);
void sr_resp_header_cstr(struct sr_resp *w, const char *name, const char *value);
void sr_resp_header_uint(struct sr_resp *w, const char *name, uint64_t value);
/* Date in RFC 1123 form (e.g. "Sat, 21 Nov 2026 11:49:00 GMT") from Unix seconds. */
void sr_resp_date(struct sr_resp *w, int64_t unix_s);

/* Appends complete header lines (each ending in CRLF) as given, e.g. from an auth hook. */
void sr_resp_raw(struct sr_resp *w, struct sr_str lines);

/* Appends Content-Length: 0 and the blank line. Returns the total length, 0 on overflow. */
size_t sr_resp_finish(struct sr_resp *w);

/*
 * The UDP port a response to m, received from src_port, goes to (RFC 3261
 * 18.2.2 with RFC 3581): the source port when the top Via has rport or
 * when there is no usable Via, else the Via's sent-by port, 5060 without
 * one. The address is always the request's source address.
 */
uint16_t sr_resp_reply_port(const struct sr_sip_msg *m, uint16_t src_port);

/* The standard reason phrase of a status code ("OK", "Interval Too Brief", ...). */
const char *sr_resp_reason(int status);

#endif
