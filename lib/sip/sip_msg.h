/*
 * sip_msg.h - the registrar's view of one SIP message.
 *
 * Parsing every header of a REGISTER with osip_message_parse() costs ~3 us;
 * a registrar reads a handful of them. So we split the message into lines by
 * hand (start line, header lines, folding, compact names) and hand only the
 * headers the registrar reads to libosip2's own header parsers
 * (Via, From, To, Call-ID, CSeq, Contact). Everything else is skipped
 * without a copy. All parsed objects live in the calling thread's arena
 * (sip_arena.h), which the caller resets after answering.
 *
 * A message the registrar cannot answer correctly is refused with a reason
 * that becomes the 400 reason phrase ("Missing Call-ID header", ...).
 */
#ifndef SR_SIP_MSG_H
#define SR_SIP_MSG_H

#include <osipparser2/osip_parser.h>

#include "sip_arena.h"
#include "sip_str.h"

#define SR_SIP_MAX_VIA 70      /* Via values kept for the response (70: the usual Max-Forwards) */
#define SR_SIP_MAX_CONTACTS 16 /* Contact values accepted in one REGISTER */
#define SR_SIP_MAX_PATH 8      /* Path header lines kept */
#define SR_SIP_MAX_AUTH 4      /* Authorization header values kept (for the auth hook) */
#define SR_SIP_MAX_ROUTE 16    /* Route values and Route header lines kept (for the proxy) */

/* Option tags the registrar understands (Require / Supported / Unsupported). */
enum sr_sip_option {
	SR_OPT_PATH = 1u << 0,
	SR_OPT_OUTBOUND = 1u << 1,
	SR_OPT_GRUU = 1u << 2,
};

enum sr_sip_parse_rc {
	SR_SIP_OK = 0,
	SR_SIP_BAD = -1,   /* malformed: reason says why, answer 400 if a response can be built */
	SR_SIP_DROP = -2,  /* not worth an answer (not SIP at all, empty, garbage): count and drop */
};

struct sr_sip_msg {
	bool is_request;

	/* request line */
	struct sr_str method;    /* as sent, e.g. "REGISTER" */
	struct sr_str ruri_raw;  /* Request-URI text */
	osip_uri_t *ruri;        /* parsed Request-URI */
	/* status line (responses) */
	int status;

	unsigned n_via;          /* Via field values, in via[] */
	osip_via_t *top_via;     /* parsed topmost Via */
	struct sr_str top_branch;

	struct sr_str from_raw, to_raw; /* header values as sent (unfolded); empty when absent */
	osip_uri_t *to_uri;             /* the parsed To URI (the AoR comes from it) */
	struct sr_str from_tag, to_tag; /* empty when absent */

	struct sr_str call_id;
	uint32_t cseq;
	struct sr_str cseq_method;

	/* Contact: '*' or parsed values (NULL list when the header is absent) */
	bool contact_star;
	unsigned n_contacts;     /* in contacts[] and contact_raw[] */

	int64_t expires;          /* Expires header, -1 when absent */
	uint32_t require;         /* SR_OPT_* named in Require */
	struct sr_str require_unknown; /* Require option tags we do not know, ", "-joined; empty if none */
	uint32_t supported;       /* SR_OPT_* named in Supported */

	unsigned n_path;          /* in path[] */

	struct sr_str user_agent;
	unsigned n_authorization; /* in authorization[] */
	int64_t content_length;   /* -1 when absent */
	size_t msg_len;           /* bytes of this message (headers + Content-Length body) */

	/*
	 * What a proxy needs to rewrite the message as byte ranges (lib/sip's
	 * sip_forward.h writers; the worker's route glue copies them into
	 * lib/routing's facts). Offsets count from the buffer given to
	 * sr_sip_parse. Ranges of folded headers point into the arena instead.
	 */
	size_t headers_at;           /* offset of the first header line */
	size_t body_at;              /* offset just past the empty line that ends the headers */
	struct sr_str top_via_line;  /* the whole header line (with its line break) holding the top Via value */
	struct sr_str max_forwards_line; /* whole line; empty when absent */
	int64_t max_forwards;        /* -1 when absent */
	unsigned n_route;            /* Route values seen; only the first SR_SIP_MAX_ROUTE are in route[] */
	unsigned n_route_lines;      /* likewise for route_line[] */
	struct sr_str proxy_require_unknown; /* Proxy-Require option tags we do not know, ", "-joined */
	unsigned n_challenge;        /* WWW-/Proxy-Authenticate lines in challenge_line[] (responses) */

	/*
	 * The lists. They are not cleared per message (the counts above say what
	 * is valid), which saves clearing ~2 KB for every datagram.
	 */
	struct sr_str via[SR_SIP_MAX_VIA]; /* every Via value in order (raw, unfolded) */
	osip_contact_t *contacts[SR_SIP_MAX_CONTACTS];
	struct sr_str contact_raw[SR_SIP_MAX_CONTACTS]; /* each value as sent */
	struct sr_str path[SR_SIP_MAX_PATH];           /* Path values in order (raw) */
	struct sr_str authorization[SR_SIP_MAX_AUTH];
	struct sr_str route[SR_SIP_MAX_ROUTE];      /* Route values in order, one name-addr each */
	struct sr_str route_line[SR_SIP_MAX_ROUTE]; /* Route header lines with their line breaks */
	struct sr_str challenge_line[SR_SIP_MAX_AUTH];
};

struct sr_sip_error {
	int status;         /* 400, or 505 for an unsupported SIP version */
	const char *reason; /* static text for the reason phrase */
};

/*
 * Parses buf[0..len) into m. Needs an arena bound with sr_arena_bind_osip()
 * (the libosip2 objects and unfolded copies are allocated there).
 * Returns SR_SIP_OK, SR_SIP_BAD (err->status and err->reason set) or SR_SIP_DROP.
 * For SR_SIP_BAD the fields needed to build a response (via, from_raw,
 * to_raw, call_id, cseq) are filled as far as they were found.
 */
int sr_sip_parse(struct sr_sip_msg *m, const char *buf, size_t len, struct sr_arena *arena,
		 struct sr_sip_error *err);

/* A name-addr or addr-spec value (From, To, Contact) split into its URI and the header parameters after it. */
struct sr_name_addr {
	struct sr_str uri;    /* without < > */
	struct sr_str params; /* ";a=b;tag=x" after the URI, empty when none */
};
/* Returns 0, or -1 when the value is not a well-formed name-addr / addr-spec. */
int sr_sip_name_addr(struct sr_str v, struct sr_name_addr *na);

/* Generic parameter lookup on a Contact (case-insensitive name); returns false if absent. */
bool sr_sip_contact_param(const osip_contact_t *c, const char *name, struct sr_str *value);
/* URI parameter lookup (case-insensitive name); returns false if absent. */
bool sr_sip_uri_param(const osip_uri_t *u, const char *name, struct sr_str *value);

#endif
