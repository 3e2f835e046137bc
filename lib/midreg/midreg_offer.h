/*
 * midreg_offer.h - the taker of the REGISTERs a registrar offers to the
 * mid-registrar (lib/registrar's sr_reg_mid_hooks.absorbs and .take),
 * sans-I/O so that a worker, a unit test and the in-process benchmark run
 * the same code.
 *
 * Design decisions:
 * - The operator's rule of an AoR is not looked up here: the registrar
 *   asks its settings hook once per REGISTER, as soon as the AoR is known
 *   (reg_rule.c: a custom AoR decides the owner, the limits and matching
 *   come from it), and hands that rule on in rq->settings.
 * - Decide first: the registrar asks sr_midreg_offer_absorbs with the few
 *   facts the decision reads, and gathers the rest (header lines, the
 *   answer head, the To tag, ...) only for a REGISTER that goes upstream;
 *   an absorbed refresh, the common case, costs the decision alone.
 * - The datagram's facts the registrar does not know (the clock of the
 *   call, the reply port net.symmetric_responses asks for) are set here by
 *   the caller before each request.
 */
#ifndef SR_MIDREG_OFFER_H
#define SR_MIDREG_OFFER_H

#include "midreg.h"

struct sr_midreg_offer {
	struct sr_midreg_shard *ms;
	uint64_t now_ms;            /* of the request in progress */
	uint16_t reply_port;        /* nonzero: the UA's answers go to this port (symmetric responses) */
};

/*
 * The registrar's first ask, with the decision's facts only
 * (sr_midreg_absorbs): true when the REGISTER is absorbed, so the registrar
 * answers it without gathering what forwarding needs.
 */
bool sr_midreg_offer_absorbs(struct sr_midreg_offer *o, const struct sr_midreg_req *rq);
/*
 * The take side: the decision on the whole request (with the rule the
 * registrar looked up, rq->settings). True when the mid-registrar took the
 * request (forwarded, or handled there), false when it is absorbed and the
 * registrar answers it as a final registrar.
 */
bool sr_midreg_offer_take(struct sr_midreg_offer *o, struct sr_midreg_req *rq);

#endif
