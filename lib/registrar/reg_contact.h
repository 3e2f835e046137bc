/*
 * reg_contact.h - what one Contact value of a REGISTER asks for.
 *
 * Reads one Contact of the message view into the fields a binding stores
 * and matches on: the URI exactly as sent, the contact
 * parameters to echo, expires and q, the RFC 5626 instance and reg-id and
 * the RFC 8599 push facts (reg_push.c). Pure: no table access, no side effects.
 */
#ifndef SR_REG_CONTACT_H
#define SR_REG_CONTACT_H

#include "../sip/sip_arena.h"
#include "../sip/sip_msg.h"
#include "push.h"
#include "reg_errors.h"

struct sr_contact_info {
	const struct sr_sip_contact *ct;
	struct sr_str uri;       /* URI text without < > */
	struct sr_str params;    /* ";name=value" list to echo (expires and q removed) */
	struct sr_str instance;  /* +sip.instance without the quotes, e.g. "<urn:uuid:...>" */
	struct sr_str pn_key;    /* RFC 8599 match key (reg_push.c); empty: matched by URI */
	struct sr_str pn_params; /* packed push parameters (sr_push_pack), empty when none */
	enum sr_push_class pn_class;
	bool pnsreg;             /* the Contact carried the +sip.pnsreg feature tag */
	int64_t expires;         /* expires parameter, -1 when absent */
	int q;                   /* thousandths, -1 when absent */
	uint32_t reg_id;         /* 0 when absent */
	bool has_reg_id;
};

/* push: the registrar's push rules (NULL or disabled: push off). */
enum sr_reg_err sr_contact_read(const struct sr_sip_contact *ct, const struct sr_push_rules *push,
				struct sr_arena *arena, struct sr_contact_info *out);

/*
 * reg_push.c: the contact's RFC 8599 facts (pn_params, pn_class, pnsreg,
 * pn_key); SR_E_PUSH_UNSUPPORTED for a provider not in push.providers.
 */
enum sr_reg_err sr_contact_push(const struct sr_push_rules *r, const struct sr_sip_contact *ct,
				struct sr_arena *arena,
				struct sr_contact_info *out);

/* Parses an RFC 3261 qvalue ("0", "0.5", "1.000") into thousandths; -1 when malformed. */
int sr_contact_parse_q(struct sr_str s);

#endif
