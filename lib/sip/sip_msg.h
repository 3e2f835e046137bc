/*
 * sip_msg.h - the registrar's view of one SIP message, and the one walk
 * that fills it.
 *
 * The view is made of the project's own plain types (ranges, sr_sip_uri,
 * sr_sip_via, sr_sip_contact): nothing outside lib/sip sees a libosip2
 * object or reads SIP text. One walker (sip_msg.c) owns the framing: leading
 * CRLFs, the start line, header lines with folding, NUL and bare-CR rules,
 * header names (long and compact), the end of the headers and the body
 * length. It hands the values of the headers the registrar reads to one of
 * two sets of value parsers:
 *  - the fast path (sip_fast.c, sip_uri.c): zero-copy, single pass, for the
 *    common grammar; it declines anything it does not fully understand
 *    (escapes, quoted-pairs, IPv6 references, unknown schemes, folding, a
 *    NUL, any error) and the whole message then goes to
 *  - the libosip2 path (sip_hdr_osip.c): libosip2's per-header parsers, the
 *    parser of record, which also decides every error and its reason.
 * Both fill exactly the same view; the differential fuzz target checks it.
 * Header values that need no grammar beyond ours (Call-ID, CSeq, Expires,
 * option tags, Path, the From tag) use one set of hand parsers on both paths.
 *
 * The walk is resumable. Its first steps (sr_sip_scan_owner) stop as soon as
 * the field that decides the owner worker is read, and record where the
 * header lines they passed are (struct sr_sip_scan, small enough for an
 * mbuf dynamic field); the owner resumes the walk from there.
 *
 * A message the registrar cannot answer correctly is refused with a reason
 * that becomes the 400 reason phrase ("Missing Call-ID header", ...).
 * Everything the view points at lives in the request bytes or the arena
 * and is valid until the arena is reset.
 */
#ifndef SR_SIP_MSG_H
#define SR_SIP_MSG_H

#include "sip_arena.h"
#include "sip_str.h"
#include "sip_uri.h"

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

/*
 * Methods as bits: the Allow header, the Contact's methods feature tag
 * (RFC 3840) and lib/routing's Allow filter share them. Only the methods a
 * registrar-proxy routes or answers have a bit; every other (extension)
 * method is SR_SIP_M_OTHER. The known bits and SR_SIP_ALLOW_PRESENT fit in
 * 16 bits: that is what the location store keeps per binding.
 */
enum sr_sip_method_bit {
	SR_SIP_M_INVITE = 1u << 0,
	SR_SIP_M_ACK = 1u << 1,
	SR_SIP_M_BYE = 1u << 2,
	SR_SIP_M_CANCEL = 1u << 3,
	SR_SIP_M_OPTIONS = 1u << 4,
	SR_SIP_M_REGISTER = 1u << 5,
	SR_SIP_M_PRACK = 1u << 6,
	SR_SIP_M_SUBSCRIBE = 1u << 7,
	SR_SIP_M_NOTIFY = 1u << 8,
	SR_SIP_M_PUBLISH = 1u << 9,
	SR_SIP_M_INFO = 1u << 10,
	SR_SIP_M_REFER = 1u << 11,
	SR_SIP_M_MESSAGE = 1u << 12,
	SR_SIP_M_UPDATE = 1u << 13,
	SR_SIP_M_OTHER = 1u << 31, /* an extension method: no bit, never filtered */
};
/*
 * Set in an allow mask when the list was there at all: "Allow:" with no
 * method we know excludes every known method, while no Allow header says
 * nothing (everything goes). A mask of 0 means "none registered".
 */
#define SR_SIP_ALLOW_PRESENT (1u << 14)
#define SR_SIP_ALLOW_MASK 0x7fffu /* the known method bits and SR_SIP_ALLOW_PRESENT */

/* The bit of a method name (case-sensitive, RFC 3261 7.1); SR_SIP_M_OTHER for anything else. */
uint32_t sr_sip_method_bit(struct sr_str method);
/*
 * A comma-separated method list (an Allow value, a methods="..." value
 * without its quotes) as bits, with SR_SIP_ALLOW_PRESENT. Extension methods
 * and elements that are not tokens add nothing: the filter never applies to
 * an extension method, so there is nothing to remember about them.
 */
uint32_t sr_sip_method_list(struct sr_str list);
/* The known methods of mask as "INVITE, ACK, ..." (an Allow value) in out; returns its length (cut at cap). */
size_t sr_sip_method_text(uint32_t mask, char *out, size_t cap);

enum sr_sip_parse_rc {
	SR_SIP_OK = 0,
	SR_SIP_BAD = -1,   /* malformed: reason says why, answer 400 if a response can be built */
	SR_SIP_DROP = -2,  /* not worth an answer (not SIP at all, empty, garbage): count and drop */
	SR_SIP_SLOW = -3,  /* SR_SIP_FAST_ONLY: the fast path declined this message */
};

/* The topmost Via value, parsed. */
struct sr_sip_via {
	struct sr_str raw;        /* the value as sent (unfolded), == via[0] */
	struct sr_str transport;  /* "UDP", as written */
	struct sr_str host, port; /* sent-by; an IPv6 reference without brackets; port empty when absent */
	struct sr_str branch;     /* empty when absent or without value */
	struct sr_str received;   /* value of received=, empty when absent */
	struct sr_str rport_value; /* value of rport=, empty when absent or without value */
	bool has_rport, has_received;
	/*
	 * Where the first rport and received parameters sit in raw, as offsets
	 * [at, end) from the parameter name to the end of its value: the
	 * response rewrites exactly these bytes (0, 0 when absent).
	 */
	uint32_t rport_at, rport_end, received_at, received_end;
};

/* To (and the parts of From the registrar reads). */
struct sr_sip_addr {
	struct sr_str raw;      /* the value as sent (unfolded); empty when absent */
	struct sr_str uri_text; /* the URI as sent, without < > */
	struct sr_str tag;      /* empty when absent */
	struct sr_sip_uri uri;  /* parsed (To only) */
};

/* One Contact value. */
struct sr_sip_contact {
	struct sr_str raw;                   /* the value as sent */
	struct sr_str uri_text;              /* the URI as sent, without < > */
	struct sr_sip_uri uri;
	const struct sr_sip_param *params;   /* contact-params as written (names; values with quotes) */
	unsigned n_params;
};

struct sr_sip_msg {
	bool is_request;
	bool fast;               /* filled by the fast path */
	bool resumed;            /* the fast walk resumed from a pre-scan's record (scan) */
	bool to_carried;         /* to was taken from the pre-scan's reading (struct sr_sip_scan_to), not read again */
	bool line_carried;       /* the request line's ranges too (struct sr_sip_scan_to's line_*) */

	/* request line */
	struct sr_str method;    /* as sent, e.g. "REGISTER" */
	struct sr_str ruri_raw;  /* Request-URI text */
	struct sr_sip_uri ruri;  /* parsed Request-URI */
	/* status line (responses) */
	int status;

	unsigned n_via;          /* Via field values, in via[] */
	struct sr_sip_via top_via; /* valid when n_via > 0 */

	struct sr_str from_raw, from_tag; /* empty when absent */
	struct sr_sip_addr to;            /* to.raw empty when absent */

	struct sr_str call_id;
	uint32_t cseq;
	struct sr_str cseq_method;

	/* Contact: '*' or parsed values */
	bool contact_star;
	unsigned n_contacts;     /* in contacts[] */

	int64_t expires;          /* Expires header, -1 when absent */
	uint32_t require;         /* SR_OPT_* named in Require */
	struct sr_str require_unknown; /* Require option tags we do not know, ", "-joined; empty if none */
	uint32_t supported;       /* SR_OPT_* named in Supported */

	unsigned n_path;          /* in path[] */

	struct sr_str user_agent;
	uint32_t allow;           /* a REGISTER's Allow headers as SR_SIP_M_* | SR_SIP_ALLOW_PRESENT; 0 when absent (or not a REGISTER) */
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
	 * is valid), which saves clearing several KB for every datagram.
	 */
	struct sr_str via[SR_SIP_MAX_VIA]; /* every Via value in order (raw, unfolded) */
	struct sr_sip_contact contacts[SR_SIP_MAX_CONTACTS];
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
 * What the first steps of the walk found, for the owner to resume from.
 * Offsets are from the start of the message bytes. Sized for an mbuf
 * dynamic field (24 bytes, 4-byte aligned).
 */
/*
 * Four lines: a REGISTER's Via, Max-Forwards and From usually come before its
 * To, and the proxy reads Max-Forwards too. Ids take 5 bits (sip_hdr.h has
 * fewer than 32) and a recorded value at most 255 bytes (a longer one ends
 * the record: the owner walks it), so four lines fit the 24 bytes.
 */
#define SR_SIP_SCAN_LINES 4
#define SR_SIP_SCAN_ID_BITS 5
#define SR_SIP_SCAN_VALUE_MAX 255
struct sr_sip_scan {
	uint32_t owner_key;     /* low 32 bits of the owner hash (set by the registrar's pre-scan) */
	uint16_t resume;        /* the first header line the owner still has to walk */
	uint8_t flags;          /* SR_SCAN_* */
	uint8_t n_lines;        /* header lines before resume the view needs, in order */
	uint32_t line_ids;      /* their header ids, SR_SIP_SCAN_ID_BITS each (sip_hdr.h) */
	uint16_t line_off[SR_SIP_SCAN_LINES]; /* value start */
	uint8_t line_len[SR_SIP_SCAN_LINES];  /* value length (trimmed) */
};
_Static_assert(sizeof(struct sr_sip_scan) == 24, "struct sr_sip_scan is an mbuf dynamic field of 24 bytes");

enum sr_sip_scan_flags {
	SR_SCAN_LINES = 1u << 0, /* resume and the lines are valid for the fast path */
	SR_SCAN_OWNER = 1u << 1, /* owner_key is valid */
	SR_SCAN_REROUTED = 1u << 2, /* handed on once already because the full parse disagreed */
	/* what the start line said (none of them: the start line is unreadable) */
	SR_SCAN_REQUEST = 1u << 3,
	SR_SCAN_REGISTER = 1u << 4, /* with SR_SCAN_REQUEST */
	SR_SCAN_RESPONSE = 1u << 5,
};

/*
 * What the pre-scan's fast path read of a REGISTER's To value, for the owner
 * to take instead of reading it again (sip_scan_to.c). Offsets: the value's
 * from the start of the message, its parts from the value's start. Carried
 * only for a plain To (sip:/sips:, no password, no URI parameters or
 * headers: the view then needs no arena); valid is 0 otherwise. It travels
 * beside struct sr_sip_scan (the mbuf's private area in the data plane).
 * The request line the pre-scan split (method, Request-URI text, where the
 * headers start) rides along: line_method_len is 0 when it is not carried.
 */
struct sr_sip_scan_to {
	uint16_t at;    /* the To value (trimmed, as the walk finds it) */
	uint8_t len;
	uint8_t valid;
	uint8_t scheme; /* enum sr_uri_scheme; scheme_text is the URI's first 3 or 4 bytes */
	uint8_t uri_at, uri_len;
	uint8_t tag_at, tag_len;
	uint8_t user_at, user_len;
	uint8_t host_at, host_len;
	uint8_t port_at, port_len;
	uint8_t line_method_len; /* the request line: method at line_at, the Request-URI after one SP */
	uint16_t line_at, line_ruri_len;
	uint16_t line_next; /* the first header line */
};
_Static_assert(sizeof(struct sr_sip_scan_to) <= 22, "struct sr_sip_scan_to rides in struct sr_reg_carry (32 bytes)");

/* Records to (read by the fast path from buf) in *t; t->valid stays 0 when it cannot be carried. */
void sr_sip_scan_to_record(struct sr_sip_scan_to *t, const char *buf, const struct sr_sip_addr *to);
/*
 * Fills *out from t when t describes exactly this value (its offset in buf
 * and length); false otherwise (the value is read as usual).
 */
bool sr_sip_scan_to_take(const struct sr_sip_scan_to *t, const char *buf, struct sr_str value,
			 struct sr_sip_addr *out);

/* How sr_sip_parse may parse. */
enum sr_sip_parse_flags {
	SR_SIP_FAST = 1u << 0,      /* try the fast path first (else libosip2 only) */
	SR_SIP_FAST_ONLY = 1u << 1, /* with SR_SIP_FAST: return SR_SIP_SLOW instead of falling back */
};

/*
 * Parses buf[0..len) into m. The arena receives parameter arrays, unfolded
 * copies and (libosip2 path) libosip2's objects; the libosip2 path needs
 * it bound with sr_arena_bind_osip(). scan (may be NULL) is what
 * sr_sip_scan_owner found for these bytes: the fast path resumes from it.
 * Returns SR_SIP_OK, SR_SIP_BAD (err->status and err->reason set),
 * SR_SIP_DROP, or SR_SIP_SLOW (SR_SIP_FAST_ONLY only).
 * For SR_SIP_BAD the fields needed to build a response (via, from_raw,
 * to.raw, call_id, cseq) are filled as far as they were found.
 */
int sr_sip_parse(struct sr_sip_msg *m, const char *buf, size_t len, const struct sr_sip_scan *scan,
		 unsigned flags, struct sr_arena *arena, struct sr_sip_error *err);
/*
 * The same, also taking the pre-scan's reading of the To value (to, may be
 * NULL) on the fast path instead of reading it again (m->to_carried).
 */
int sr_sip_parse_carried(struct sr_sip_msg *m, const char *buf, size_t len, const struct sr_sip_scan *scan,
			 const struct sr_sip_scan_to *to, unsigned flags, struct sr_arena *arena,
			 struct sr_sip_error *err);

/* The field that decides which worker owns a message. */
enum sr_sip_owner_kind {
	SR_OWNER_NONE,   /* none found: the walk failed before it (the full parse fails too) */
	SR_OWNER_AOR,    /* uri: the To URI of a REGISTER, the Request-URI of another request */
	SR_OWNER_BRANCH, /* branch: the top Via branch of a response */
};
struct sr_sip_owner {
	enum sr_sip_owner_kind kind;
	struct sr_sip_uri uri;
	struct sr_str branch;
};

/*
 * The first steps of the walk: the start line, then header lines up to the
 * owner field, which is parsed exactly as sr_sip_parse would (fast, else
 * libosip2; the arena must be bound for the latter). Fills *scan (flags
 * without SR_SCAN_OWNER: the caller hashes the owner) and *owner.
 */
void sr_sip_scan_owner(const char *buf, size_t len, unsigned flags, struct sr_arena *arena,
		       struct sr_sip_scan *scan, struct sr_sip_owner *owner);
/* The same, also recording a REGISTER's To value for the owner (to, may be NULL; struct sr_sip_scan_to). */
void sr_sip_scan_owner_to(const char *buf, size_t len, unsigned flags, struct sr_arena *arena,
			  struct sr_sip_scan *scan, struct sr_sip_owner *owner, struct sr_sip_scan_to *to);

/*
 * NULL when a and b hold the same view (ranges compared by content), else
 * the name of the first field that differs. The differential fuzz target's
 * oracle.
 */
const char *sr_sip_msg_diff(const struct sr_sip_msg *a, const struct sr_sip_msg *b);
/* The same for two URIs (NULL when they are the same view). */
const char *sr_sip_uri_diff(const struct sr_sip_uri *a, const struct sr_sip_uri *b);

/* A name-addr or addr-spec value (From, To, Contact) split into its URI and the header parameters after it. */
struct sr_name_addr {
	struct sr_str uri;    /* without < > */
	struct sr_str params; /* ";a=b;tag=x" after the URI, empty when none */
};
/* Returns 0, or -1 when the value is not a well-formed name-addr / addr-spec. */
int sr_sip_name_addr(struct sr_str v, struct sr_name_addr *na);

/* Contact parameter lookup (case-insensitive name); false if absent. */
bool sr_sip_contact_param(const struct sr_sip_contact *c, const char *name, struct sr_str *value);
/*
 * The allow mask of one Contact of a REGISTER: its methods feature
 * parameter (RFC 3840 section 9) narrows the message's Allow (m->allow) for
 * that contact. 0 when neither is present.
 */
uint32_t sr_sip_contact_allow(const struct sr_sip_msg *m, const struct sr_sip_contact *c);
/* URI parameter lookup (case-insensitive name); false if absent. */
bool sr_sip_uri_param(const struct sr_sip_uri *u, const char *name, struct sr_str *value);

#endif
