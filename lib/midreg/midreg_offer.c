/*
 * midreg_offer.c - the taker of a registrar's offered REGISTERs (see
 * midreg_offer.h for the design).
 */
#include "midreg_offer.h"

bool sr_midreg_offer_absorbs(struct sr_midreg_offer *o, const struct sr_midreg_req *rq)
{
	return sr_midreg_absorbs(o->ms, rq, o->now_ms);
}

bool sr_midreg_offer_take(struct sr_midreg_offer *o, struct sr_midreg_req *rq)
{
	if (o->reply_port)
		rq->reply_to.port = o->reply_port;
	return sr_midreg_register(o->ms, rq, o->now_ms) != SR_MIDREG_ABSORB;
}
