/*
 * sip_osip.h - libosip2 objects into the view's types (private to lib/sip).
 *
 * Only lib/sip's libosip2 path includes this: everything above lib/sip sees
 * struct sr_sip_uri, never an osip_uri_t.
 */
#ifndef SR_SIP_OSIP_H
#define SR_SIP_OSIP_H

#include <osipparser2/osip_uri.h>

#include "sip_uri.h"

/*
 * Copies a URI libosip2 parsed into *out (strings stay libosip2's, in the
 * arena) and checks what libosip2 does not (a SIP URI's host and port).
 * Returns SR_URI_OK, or SR_URI_BAD with *why "bad URI" or "bad port".
 */
int sr_sip_uri_from_osip(const osip_uri_t *u, struct sr_arena *arena, struct sr_sip_uri *out, const char **why);

/* A libosip2 parameter list (URI or generic) as an array in the arena: its length, -1 without memory. */
int sr_sip_params_from_osip(const osip_list_t *l, struct sr_arena *arena, const struct sr_sip_param **out);

#endif
