/*
 * control_push.h - the control core's side of RFC 8599 push (docs/PUSH.md
 * wiring step 8): the workers' contactRefresh events go to the listener
 * stream and, with push.gateway_url, to the push gateway client
 * (lib/ctl/ctl_pushgw.h), which this loop drives.
 */
#ifndef SR_CONTROL_PUSH_H
#define SR_CONTROL_PUSH_H

#include <stdint.h>

#include "app.h"

/* Creates app->pushgw when push is on and push.gateway_url is set. 0, or -1 after a message. */
int sr_control_push_init(struct sr_app *app);
/* Every control loop turn: drains the workers' events, advances the gateway's transfers. Returns events drained. */
unsigned sr_control_push_poll(struct sr_app *app, uint64_t now_ms);
void sr_control_push_fini(struct sr_app *app);

#endif
