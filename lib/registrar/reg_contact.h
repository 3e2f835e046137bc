/*
 * reg_contact.h - what one Contact value of a REGISTER asks for.
 *
 * Reads one Contact of the message view into the fields a binding stores
 * and matches on: the URI exactly as sent, the contact
 * parameters to echo, expires and q, the RFC 5626 instance and reg-id and
 * the RFC 8599 push key. Pure: no table access, no side effects.
 */
#ifndef SR_REG_CONTACT_H
#define SR_REG_CONTACT_H

#include "../sip/sip_arena.h"
#include "../sip/sip_msg.h"
#include "reg_errors.h"

struct sr_contact_info {
	const struct sr_sip_contact *ct;
	struct sr_str uri;       /* URI text without < > */
	struct sr_str params;    /* ";name=value" list to echo (expires and q removed) */
	struct sr_str instance;  /* +sip.instance without the quotes, e.g. "<urn:uuid:...>" */
	struct sr_str pn_key;    /* "provider\0prid\0param" when pn-provider and pn-prid are present */
	int64_t expires;         /* expires parameter, -1 when absent */
	int q;                   /* thousandths, -1 when absent */
	uint32_t reg_id;         /* 0 when absent */
	bool has_reg_id;
};

enum sr_reg_err sr_contact_read(const struct sr_sip_contact *ct, struct sr_arena *arena,
				struct sr_contact_info *out);

/* Parses an RFC 3261 qvalue ("0", "0.5", "1.000") into thousandths; -1 when malformed. */
int sr_contact_parse_q(struct sr_str s);

#endif
