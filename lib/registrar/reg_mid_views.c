/*
 * reg_mid_views.c - one job: an AoR's bindings as the mid-registrar reads
 * them (its io.bindings), from the shard's location store.
 *
 * A plain copy of the store's view into lib/midreg's struct: the binding
 * id, URI and parameters, seconds left, q, source and NAT flag. It lives in
 * lib/ (not in the worker) so that the unit tests and the in-process
 * benchmark wire lib/midreg to a registrar exactly as a worker does.
 */
#include "reg_shard.h"

unsigned sr_reg_mid_bindings(struct sr_registrar *s, struct sr_str aor, uint32_t now_s, struct sr_loc_binding *views,
			     struct sr_midreg_binding *out, unsigned cap)
{
	unsigned n = sr_loc_lookup(sr_reg_location(s), aor, now_s, views, cap);
	if (n > cap)
		n = cap;
	for (unsigned i = 0; i < n; i++) {
		const struct sr_loc_binding *v = &views[i];
		out[i] = (struct sr_midreg_binding){
			.id = v->st.id,
			.uri = v->f[SR_BF_CONTACT],
			.params = v->f[SR_BF_PARAMS],
			.expires_in = v->st.expires > now_s ? v->st.expires - now_s : 0,
			.q = v->st.q == SR_Q_NONE ? -1 : v->st.q,
			.source = { v->st.src_ip, v->st.src_port, false },
			.nat = (v->st.flags & SR_BFLAG_NAT) != 0,
		};
	}
	return n;
}
