/*
 * rf_work.h - regflood's workloads: which request an AoR gets next.
 *
 * Design: a workload is a pure function of the AoR's state (its slot) and a random
 * number, so the sender loop stays the same for all of them. The digest flow (auth:
 * REGISTER, 401, REGISTER with Authorization) starts like new; its second request is
 * not chosen here but sent by the loop as the answer to the challenge. Workloads that
 * act on existing bindings (refresh, fetch, dereg) first register every AoR in an
 * unmeasured warm-up phase.
 */
#ifndef SR_RF_WORK_H
#define SR_RF_WORK_H

#include <stdbool.h>
#include <stdint.h>

#include "rf_track.h"

enum sr_rf_workload {
	SR_RF_WL_NEW,     /* each AoR registered once: initial registrations */
	SR_RF_WL_REFRESH, /* registered AoRs refreshed over and over (CSeq + 1) */
	SR_RF_WL_FETCH,   /* registered AoRs queried (no Contact) */
	SR_RF_WL_DEREG,   /* registered AoRs removed once each */
	SR_RF_WL_MIX,     /* unregistered: register; registered: 70 % refresh, 20 % fetch, 10 % remove */
	SR_RF_WL_AUTH,    /* each AoR registered once through a digest challenge: two requests a flow */
	SR_RF_WL_COUNT
};

int sr_rf_workload_parse(const char *name, enum sr_rf_workload *out);
const char *sr_rf_workload_name(enum sr_rf_workload w);
bool sr_rf_workload_warmup(enum sr_rf_workload w);
/* whether its flows are challenged first (two requests each, --rate counts flows) */
bool sr_rf_workload_digest(enum sr_rf_workload w);
/* the next op for an AoR with no request outstanding, or -1 if it has none left */
int sr_rf_workload_op(enum sr_rf_workload w, const struct sr_rf_slot *s, uint32_t rnd);

#endif
