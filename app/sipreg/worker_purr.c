/*
 * worker_purr.c - one job: RFC 8599 PURRs between the data plane's
 * dispatch and the location store (docs/PUSH.md, wiring step 7).
 *
 * Design decisions:
 * - The PURR is 32 hex digits: owner (4), the store's stable binding id
 *   (16), MAC (12) under routing.secret, which every worker shares and the
 *   registrar writes the 200's PURRs with (config.c). Its owner is the low
 *   16 bits of the AoR's hash: the bucket table is indexed by that hash
 *   modulo SR_BUCKETS, a divisor of 65536, so those bits pick the same
 *   worker as a REGISTER of that AoR, without any table of PURRs.
 * - The Request-URI's pn-purr comes from lib/sip's parse: the pre-scan
 *   copies it (struct sr_reg_owner) for dispatch, the owner's full parse
 *   gives it to the routing (route_facts.c). It is checked once on each
 *   side: the mbuf's field carrying the pre-scan to the owner is full, and
 *   a MAC is a few dozen nanoseconds.
 * - A PURR names a binding, not an AoR: the store finds it by id alone
 *   (sr_loc_find_id, an index kept only with push.purr). Restored bindings
 *   may share an id with another store's, so the match must also hash to
 *   the PURR's owner bits.
 */
#include "worker_purr.h"

#include "worker.h"
#include "worker_push.h"

_Static_assert(65536 % SR_BUCKETS == 0, "a PURR's 16 owner bits must pick the AoR's bucket");

bool sr_worker_purr_owner(const struct sr_worker *w, const struct sr_reg_owner *o, unsigned *owner)
{
	const struct sr_app *app = w->app;
	uint16_t bucket;
	uint64_t id;
	if (o->purr_len == 0 || !app->cfg.push.purr || sr_worker_push_shard(w) == NULL ||
	    !sr_push_purr_read(app->cfg.routing.secret, sr_str_make(o->purr, o->purr_len), &bucket, &id))
		return false;
	*owner = app->owner[bucket % SR_BUCKETS];
	return true;
}

bool sr_worker_purr_binding(struct sr_worker *w, struct sr_str purr, uint32_t now_s, struct sr_str *aor,
			    struct sr_push_binding *pb)
{
	uint16_t bucket;
	uint64_t id;
	if (!w->app->cfg.push.purr || !sr_push_purr_read(w->app->cfg.routing.secret, purr, &bucket, &id))
		return false;
	const struct sr_binding *found[4];
	unsigned n = sr_loc_find_id(sr_reg_location(w->shard), id, found, 4);
	for (unsigned i = 0; i < n && i < 4; i++) {
		struct sr_loc_binding v;
		sr_loc_view(found[i], &v);
		if ((uint16_t)sr_hash64(v.aor.p, v.aor.len) != bucket || v.st.expires <= now_s)
			continue;
		*aor = v.aor;
		sr_worker_push_binding(&v, pb);
		return true;
	}
	return false;
}
