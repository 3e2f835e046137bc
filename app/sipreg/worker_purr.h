/*
 * worker_purr.h - RFC 8599 PURR on the data plane: which worker a
 * mid-dialog request carrying one of our PURRs goes to, and which binding
 * it names there (docs/PUSH.md, wiring step 7).
 */
#ifndef SR_WORKER_PURR_H
#define SR_WORKER_PURR_H

#include <stdbool.h>
#include <stdint.h>

#include "app.h"
#include "push.h"
#include "registrar.h"

/*
 * Dispatch: when o carries a PURR (the pre-scan copied the Request-URI's
 * pn-purr) that is one of ours and push.purr is on, *owner is the worker
 * owning the AoR bucket it names (the data plane's owner table) and true is
 * returned; false leaves the usual Request-URI owner.
 */
bool sr_worker_purr_owner(const struct sr_worker *w, const struct sr_reg_owner *o, unsigned *owner);

/*
 * On the owner: the live binding PURR purr names in this worker's store,
 * its AoR and push facts in *aor and *pb (pointing into the store: valid
 * until it changes). False: not ours, or no such binding (gone, expired).
 */
bool sr_worker_purr_binding(struct sr_worker *w, struct sr_str purr, uint32_t now_s, struct sr_str *aor,
			    struct sr_push_binding *pb);

#endif
