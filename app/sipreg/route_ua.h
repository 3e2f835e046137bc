/*
 * route_ua.h - routing.user_agent_filter: the optional User-Agent filter of
 * lib/routing's lookups (cfg.ua_filter), as OpenSIPS's lookup() flag "u"
 * does: only bindings whose registered User-Agent matches the pattern are
 * routed to.
 */
#ifndef SR_ROUTE_UA_H
#define SR_ROUTE_UA_H

#include <stdbool.h>
#include <stddef.h>

#include "sip_str.h"

struct sr_route_ua;

/* Compiles the pattern (hyperscan syntax); NULL with err set to hyperscan's message when it is refused. */
struct sr_route_ua *sr_route_ua_create(const char *pattern, char *err, size_t errcap);
void sr_route_ua_free(struct sr_route_ua *u);
/* True when user_agent matches (arg: the struct sr_route_ua); the shape of sr_route_config.ua_filter. */
bool sr_route_ua_match(void *arg, struct sr_str user_agent);

#endif
