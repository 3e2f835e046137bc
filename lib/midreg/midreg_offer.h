/*
 * midreg_offer.h - the taker of the REGISTERs a registrar offers to the
 * mid-registrar (lib/registrar's sr_reg_mid_hooks.take and its
 * binding_flags hook), sans-I/O so that a worker, a unit test and the
 * in-process benchmark run the same code.
 *
 * Design decisions:
 * - The operator's rule of an AoR (sr_midreg_settings_for, a hyperscan
 *   scan when `aor mid` lines exist) is looked up once per REGISTER: the
 *   registrar asks binding_flags first (memory-only), then offers the
 *   request; the offer reuses that lookup when it names the same AoR, and
 *   looks it up itself otherwise (a caller without binding_flags). Each
 *   REGISTER starts a fresh lookup, so a policy reload takes effect on the
 *   next one.
 * - The registrar's binding_flags needs memory-only alone: when the rules
 *   say no line can set it (sr_midreg_config.memory_only_any), no lookup
 *   is made, and an absorbed refresh scans no rule at all; only a REGISTER
 *   that goes upstream looks its rule up (outgoing-expires and the rest).
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

#define SR_MIDREG_OFFER_AOR_MAX 256 /* longer AoRs are looked up at every ask */

struct sr_midreg_offer {
	struct sr_midreg_shard *ms;
	uint64_t now_ms;            /* of the request in progress */
	uint16_t reply_port;        /* nonzero: the UA's answers go to this port (symmetric responses) */
	/* the rule binding_flags looked up for this REGISTER; the offer reuses it */
	bool settings_valid;
	uint16_t settings_aor_len;
	char settings_aor[SR_MIDREG_OFFER_AOR_MAX]; /* the AoR it was looked up for (a copy: compared, never trusted) */
	struct sr_midreg_settings settings;
};

/* The binding_flags side: looks the AoR's rule up for this REGISTER; true when it says memory-only. */
bool sr_midreg_offer_memory_only(struct sr_midreg_offer *o, struct sr_str aor);
/*
 * The registrar's first ask, with the decision's facts only
 * (sr_midreg_absorbs): true when the REGISTER is absorbed, so the registrar
 * answers it without gathering what forwarding needs.
 */
bool sr_midreg_offer_absorbs(struct sr_midreg_offer *o, const struct sr_midreg_req *rq);
/*
 * The take side: the AoR's rule (reused from sr_midreg_offer_memory_only
 * when it named this AoR), then the decision. True when the mid-registrar
 * took the request (forwarded, or handled there), false when it is
 * absorbed and the registrar answers it as a final registrar.
 */
bool sr_midreg_offer_take(struct sr_midreg_offer *o, struct sr_midreg_req *rq);

#endif
