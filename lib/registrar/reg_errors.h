/*
 * reg_errors.h - every way a REGISTER can fail, with its status and reason.
 *
 * One table (as in Kamailio's registrar) maps each error to the status code
 * and the reason phrase the client sees, so the answer to "where is a 423
 * decided, and what does it say" is this file and reg_save.c. Reason phrases
 * say what was wrong; 400s name the offending header or limit.
 */
#ifndef SR_REG_ERRORS_H
#define SR_REG_ERRORS_H

enum sr_reg_err {
	SR_E_OK,
	SR_E_RURI_SCHEME,        /* Request-URI is not sip/sips */
	SR_E_DOMAIN_NOT_SERVED,  /* Request-URI host is not one of ours */
	SR_E_AOR_SCHEME,         /* To URI is not sip/sips */
	SR_E_AOR_NOT_SERVED,     /* To domain is not one of ours */
	SR_E_AOR_NOT_IN_RURI_DOMAIN, /* To domain is ours but not the Request-URI's (step 5) */
	SR_E_AOR_NO_HOST,
	SR_E_AOR_BAD_ESCAPE,
	SR_E_USERNAME_TOO_LONG,
	SR_E_DOMAIN_TOO_LONG,
	SR_E_AOR_TOO_LONG,
	SR_E_CONTACT_TOO_LONG,
	SR_E_STAR_MISUSE,        /* Contact: * with other contacts or a non-zero Expires */
	SR_E_BAD_EXPIRES_PARAM,
	SR_E_BAD_Q,
	SR_E_BAD_REG_ID,
	SR_E_REG_ID_NO_INSTANCE,
	SR_E_MULTI_REG_ID,       /* more than one Contact with reg-id (RFC 5626 6) */
	SR_E_BAD_CONTACT_URI,
	SR_E_CSEQ_ORDER,         /* same Call-ID, CSeq not newer than the stored one */
	SR_E_INTERVAL_TOO_BRIEF, /* 423 */
	SR_E_UNSUPPORTED,        /* 420: unknown Require option tag */
	SR_E_PATH_UNSUPPORTED,   /* 420: strict Path mode and no Supported: path */
	SR_E_TOO_MANY_CONTACTS,  /* max_contacts (or the store's hard cap) */
	SR_E_PATH_TOO_LONG,      /* Path values over max_path_len */
	SR_E_RESPONSE_TOO_LARGE, /* the 200 listing the bindings does not fit the response buffer */
	SR_E_TABLE_FULL,         /* max_aors reached in this shard */
	SR_E_NO_MEMORY,          /* binding memory limit reached */
	SR_E_NOT_STORED,         /* the change cannot be stored now (persistence busy or failing): 500 */
	SR_E_NOT_REPLICATED,     /* sync replication: the change cannot reach the replica (Redis) now: 503 */
	SR_E_PUSH_UNSUPPORTED,   /* 555: pn-provider names a push service not in push.providers (RFC 8599 4.1.2) */
	SR_E_COUNT
};

struct sr_reg_err_info {
	int status;
	const char *reason;
};

const struct sr_reg_err_info *sr_reg_err_info(enum sr_reg_err e);

#endif
