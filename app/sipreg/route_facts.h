/*
 * route_facts.h - lib/routing's facts from the message view's one parse
 * (route_facts.c), for the worker's route glue (worker_route.c).
 */
#ifndef SR_ROUTE_FACTS_H
#define SR_ROUTE_FACTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net_pkt.h"
#include "reg_config.h"
#include "reg_tgruu.h"
#include "routing.h"
#include "sip_host.h"
#include "sip_msg.h"

/* What the conversion needs besides the parse; the buffers receive facts that are not ranges of it. */
struct sr_route_facts {
	const struct sr_reg_config *reg;   /* served domains, AoR options */
	uint32_t ip;                       /* net.address (network order) */
	uint16_t sip_port;
	bool symmetric;                    /* net.symmetric_responses */
	struct sr_str self;                /* "a.b.c.d:port": our Via sent-by */
	const struct sr_host_self *self_ip;
	const struct sr_tgruu_keys *tgruu; /* reads the AoR of a temporary GRUU (NULL: none are routed) */
	struct sr_arena *arena;            /* the parse's arena, bound for libosip2 (Route URIs) */
	char *aor;                         /* the canonical AoR is written here */
	size_t aor_cap;
	char *head;                        /* the head of our own responses is written here */
	size_t head_cap;
};

/*
 * Fills rq from the parse m of the request sip (p: its addresses and
 * length). Returns false when the request cannot be routed as parsed
 * (ranges outside the datagram, too many Routes, no Via, a head too long).
 */
bool sr_route_facts_request(const struct sr_route_facts *c, const struct sr_sip_msg *m, const char *sip,
			    const struct sr_net_pkt *p, struct sr_route_req *rq);

/* Fills rp from the parse m of the response sip[0..len); false when its top Via is not inside it. */
bool sr_route_facts_response(const struct sr_sip_msg *m, const char *sip, size_t len, struct sr_route_resp *rp);

#endif
