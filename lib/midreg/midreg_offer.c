/*
 * midreg_offer.c - the taker of a registrar's offered REGISTERs (see
 * midreg_offer.h for the design).
 */
#include "midreg_offer.h"

#include <string.h>

static const struct sr_midreg_settings *settings_of(struct sr_midreg_offer *o, struct sr_str aor)
{
	if (o->settings_valid && aor.len == o->settings_aor_len && memcmp(aor.p, o->settings_aor, aor.len) == 0)
		return &o->settings;
	sr_midreg_settings_for(o->ms, aor, &o->settings);
	o->settings_valid = aor.len <= sizeof(o->settings_aor);
	if (o->settings_valid) {
		memcpy(o->settings_aor, aor.p, aor.len);
		o->settings_aor_len = (uint16_t)aor.len;
	}
	return &o->settings;
}

bool sr_midreg_offer_memory_only(struct sr_midreg_offer *o, struct sr_str aor)
{
	o->settings_valid = false; /* the first look of this REGISTER: the rules as they are now */
	const struct sr_midreg_config *c = sr_midreg_cfg(o->ms);
	if (c->memory_only_any && !c->memory_only_any(c->settings_arg))
		return false; /* no rule says memory-only: no scan (take looks the rule up if the REGISTER goes upstream) */
	return settings_of(o, aor)->memory_only;
}

bool sr_midreg_offer_absorbs(struct sr_midreg_offer *o, const struct sr_midreg_req *rq)
{
	return sr_midreg_absorbs(o->ms, rq, o->now_ms);
}

bool sr_midreg_offer_take(struct sr_midreg_offer *o, struct sr_midreg_req *rq)
{
	if (o->reply_port)
		rq->reply_to.port = o->reply_port;
	rq->settings = settings_of(o, rq->aor);
	o->settings_valid = false; /* the next REGISTER looks its rule up again */
	return sr_midreg_register(o->ms, rq, o->now_ms) != SR_MIDREG_ABSORB;
}
