/*
 * reg_errors.c - the error table of the registrar (see reg_errors.h).
 *
 * Ordering errors answer 500 as RFC 3261 10.3 step 6 says ("the update MUST
 * be aborted and the request fails"); a registrar never answers 6xx.
 */
#include "reg_errors.h"

#include "push.h"

static const struct sr_reg_err_info table[SR_E_COUNT] = {
	[SR_E_OK] = { 200, "OK" },
	[SR_E_RURI_SCHEME] = { 416, "Unsupported URI Scheme in Request-URI" },
	[SR_E_DOMAIN_NOT_SERVED] = { 404, "Domain Not Served Here" },
	[SR_E_AOR_SCHEME] = { 416, "Unsupported URI Scheme in To" },
	[SR_E_AOR_NOT_SERVED] = { 404, "Address-of-Record Domain Not Served Here" },
	[SR_E_AOR_NOT_IN_RURI_DOMAIN] = { 404, "Address-of-Record Not in the Request-URI's Domain" },
	[SR_E_AOR_NO_HOST] = { 400, "Bad To URI (no host)" },
	[SR_E_AOR_BAD_ESCAPE] = { 400, "Bad To URI (malformed escape)" },
	[SR_E_USERNAME_TOO_LONG] = { 400, "Username Too Long (max_username_len)" },
	[SR_E_DOMAIN_TOO_LONG] = { 400, "Domain Too Long (max_domain_len)" },
	[SR_E_AOR_TOO_LONG] = { 400, "Address-of-Record Too Long (max_aor_len)" },
	[SR_E_CONTACT_TOO_LONG] = { 400, "Contact Too Long (max_contact_len)" },
	[SR_E_STAR_MISUSE] = { 400, "Contact '*' Needs Expires: 0 and No Other Contact" },
	[SR_E_BAD_EXPIRES_PARAM] = { 400, "Bad expires Parameter in Contact" },
	[SR_E_BAD_Q] = { 400, "Bad q Parameter in Contact" },
	[SR_E_BAD_REG_ID] = { 400, "Bad reg-id Parameter in Contact" },
	[SR_E_REG_ID_NO_INSTANCE] = { 400, "reg-id Without +sip.instance in Contact" },
	[SR_E_MULTI_REG_ID] = { 400, "More Than One Contact With reg-id" },
	[SR_E_BAD_CONTACT_URI] = { 400, "Bad Contact URI" },
	[SR_E_CSEQ_ORDER] = { 500, "Out of Order CSeq for This Call-ID" },
	[SR_E_INTERVAL_TOO_BRIEF] = { 423, "Interval Too Brief" },
	[SR_E_UNSUPPORTED] = { 420, "Bad Extension" },
	[SR_E_PATH_UNSUPPORTED] = { 420, "Bad Extension (Path Requires Supported: path)" },
	[SR_E_TOO_MANY_CONTACTS] = { 503, "Too Many Contacts for This Address-of-Record (max_contacts)" },
	[SR_E_PATH_TOO_LONG] = { 400, "Path Too Long (max_path_len)" },
	/* nothing was changed; the client may remove bindings (or send fewer parameters) and retry */
	[SR_E_RESPONSE_TOO_LARGE] = { 500, "Bindings Too Large for One Response" },
	[SR_E_TABLE_FULL] = { 503, "Location Table Full" },
	[SR_E_NO_MEMORY] = { 503, "Binding Memory Exhausted" },
	/* durability: nothing was changed (or the change was undone); Retry-After says when to try again */
	[SR_E_NOT_STORED] = { 500, "Binding Change Not Stored" },
	/* sync replication: the node kept it, but the replica did not take it; Retry-After as for any 503 */
	[SR_E_NOT_REPLICATED] = { 503, "Binding Change Not Replicated" },
	/* RFC 8599 4.1.2: nothing was changed */
	[SR_E_PUSH_UNSUPPORTED] = { SR_PUSH_STATUS_UNSUPPORTED, SR_PUSH_REASON_UNSUPPORTED },
};

const struct sr_reg_err_info *sr_reg_err_info(enum sr_reg_err e)
{
	if ((unsigned)e >= SR_E_COUNT)
		e = SR_E_NO_MEMORY;
	return &table[e];
}
