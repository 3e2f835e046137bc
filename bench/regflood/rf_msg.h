/*
 * rf_msg.h - the REGISTER requests regflood sends and the few fields it reads back.
 *
 * Design: every request carries its identity in the Call-ID, "<aor>.<run>@regflood":
 * <aor> is the AoR's index (which also says which thread owns it) and <run> a random
 * number per process, so a response from an earlier run, or anything not ours, is
 * recognised as unexpected instead of matching by accident. One Call-ID per AoR and a
 * CSeq that grows by one per request is exactly what a UA's refreshes look like.
 * The response reader is a bounded scan for three things (status code, Call-ID, CSeq
 * number), not a SIP parser: the generator must stay far cheaper than the registrar it
 * measures, and a response it cannot read is counted as unexpected, never trusted.
 */
#ifndef SR_RF_MSG_H
#define SR_RF_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sr_rf_op {
	SR_RF_OP_NEW,     /* first registration of the AoR: CSeq 1, a Contact */
	SR_RF_OP_REFRESH, /* same Call-ID, CSeq + 1, same Contact */
	SR_RF_OP_FETCH,   /* no Contact: the 200 lists the bindings */
	SR_RF_OP_DEREG,   /* Contact: *, Expires: 0 */
	SR_RF_OP_AUTH,    /* the digest flow's second step: NEW again after a 401, CSeq + 1, with
			   * the Authorization header (rf_auth.h) in sr_rf_req.authorization */
	SR_RF_OP_COUNT
};

/* what stays the same for all requests of one sender socket */
struct sr_rf_ident {
	const char *domain;      /* request URI host and AoR domain, e.g. example.com */
	const char *user_prefix; /* AoR user = prefix + 7-digit index */
	const char *local_ip;    /* Via and Contact host */
	uint16_t local_port;     /* Via and Contact port */
	uint32_t run;            /* per-process random number, part of every Call-ID */
	uint32_t expires;        /* Expires of NEW, REFRESH and AUTH */
	const char *password_prefix; /* digest password = prefix + 7-digit index (rf_auth.h) */
};

struct sr_rf_req {
	enum sr_rf_op op;
	uint32_t aor;
	uint32_t cseq;
	/* the Contact's port: fixed per AoR, so a refresh sent from another of the thread's
	 * sockets updates the AoR's one binding instead of adding a second; 0: local_port */
	uint16_t contact_port;
	/* AUTH only: the whole "Authorization: ...\r\n" line (sr_rf_authorization) */
	const char *authorization;
};

/* Writes the request into buf; returns its length, or 0 if it does not fit in cap. */
size_t sr_rf_build(char *buf, size_t cap, const struct sr_rf_ident *id, const struct sr_rf_req *r);

struct sr_rf_resp {
	int status;   /* 100..699 */
	uint32_t aor; /* from our Call-ID */
	uint32_t run;
	uint32_t cseq;
	/* set by the caller, not by sr_rf_parse: a 401 whose challenge it can answer
	 * (sr_rf_challenge_parse, rf_auth.h) */
	bool challenge;
};

/* Reads a response. 0 on success; -1 if it is not a SIP response or its Call-ID is not
 * of regflood's form or a field is missing or malformed. */
int sr_rf_parse(const char *buf, size_t len, struct sr_rf_resp *out);

/* The value (after the colon and blanks) of the header line starting at `line` when its
 * name is `name` or `compact` (case-insensitive), else NULL. */
const char *sr_rf_header_value(const char *line, const char *end, const char *name, const char *compact);

const char *sr_rf_op_name(enum sr_rf_op op);

#endif
