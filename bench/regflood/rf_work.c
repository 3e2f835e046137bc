/*
 * rf_work.c - the workload table (see rf_work.h).
 */
#include "rf_work.h"

#include <string.h>

static const char *const wl_names[SR_RF_WL_COUNT] = {"new", "refresh", "fetch", "dereg", "mix", "auth"};

int sr_rf_workload_parse(const char *name, enum sr_rf_workload *out)
{
	for (int i = 0; i < SR_RF_WL_COUNT; i++) {
		if (strcmp(name, wl_names[i]) == 0) {
			*out = (enum sr_rf_workload)i;
			return 0;
		}
	}
	return -1;
}

const char *sr_rf_workload_name(enum sr_rf_workload w)
{
	return (unsigned)w < SR_RF_WL_COUNT ? wl_names[w] : "?";
}

bool sr_rf_workload_warmup(enum sr_rf_workload w)
{
	return w == SR_RF_WL_REFRESH || w == SR_RF_WL_FETCH || w == SR_RF_WL_DEREG;
}

bool sr_rf_workload_digest(enum sr_rf_workload w)
{
	return w == SR_RF_WL_AUTH;
}

int sr_rf_workload_op(enum sr_rf_workload w, const struct sr_rf_slot *s, uint32_t rnd)
{
	switch (w) {
	case SR_RF_WL_NEW:
	case SR_RF_WL_AUTH: /* the AUTH that follows the 401 is the loop's answer */
		return s->cseq == 0 ? SR_RF_OP_NEW : -1;
	case SR_RF_WL_REFRESH:
		return s->registered ? SR_RF_OP_REFRESH : -1;
	case SR_RF_WL_FETCH:
		return s->registered ? SR_RF_OP_FETCH : -1;
	case SR_RF_WL_DEREG:
		return s->registered ? SR_RF_OP_DEREG : -1;
	case SR_RF_WL_MIX:
		if (!s->registered)
			return SR_RF_OP_NEW;
		rnd %= 10;
		return rnd < 7 ? SR_RF_OP_REFRESH : rnd < 9 ? SR_RF_OP_FETCH : SR_RF_OP_DEREG;
	default:
		return -1;
	}
}
