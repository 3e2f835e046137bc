/*
 * persist_mid.c - the mid-registrar's records, counted (see persist_mid.h):
 * the placeholder the LMDB writer replaces. One counter per worker, written
 * only by that worker, read relaxed by whoever reports it.
 */
#include "persist_mid.h"

#include "net_stats.h"

static uint64_t handed[SR_NET_MAX_WORKERS];

void sr_persist_mid_record(struct sr_app *app, unsigned worker, enum sr_midreg_rec_op op, struct sr_str aor,
			   uint64_t ctid, const uint8_t *bytes, size_t len)
{
	(void)app;
	(void)op;
	(void)aor;
	(void)ctid;
	(void)bytes;
	(void)len;
	if (worker < SR_NET_MAX_WORKERS)
		SR_STAT_INC(handed[worker]);
}

uint64_t sr_persist_mid_count(unsigned worker)
{
	return worker < SR_NET_MAX_WORKERS ? __atomic_load_n(&handed[worker], __ATOMIC_RELAXED) : 0;
}
