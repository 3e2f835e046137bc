/*
 * test_app_mid_lease.c - app/sipreg/worker_mid.c's io.lease: a lease
 * lib/midreg publishes for a record lands on that record's binding in the
 * worker's own location store (sr_loc_set_lease on sr_reg_location of the
 * worker's shard), where the registrar reads it (sr_reg_mid_leased).
 *
 * A real worker's mid-registrar (sr_worker_mid_create over a registrar
 * shard, no threads, nothing sent) is handed a LIVE contact-throttling
 * record of a binding the store holds, as at a restart (sr_midreg_restore,
 * then sr_midreg_restore_done, which publishes the lease of a LIVE record).
 */
#include "reg_harness.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "midreg.h"
#include "worker.h"
#include "worker_mid.h"

#define ALICE "sip:alice@example.com"

static void lease_lands_on_the_workers_binding(void **state)
{
	(void)state;
	struct th_env *e = th_env_new(NULL, NULL);
	assert_non_null(e);
	assert_int_equal(th_register(e, "alice", "<sip:alice@198.51.100.2:5061>;expires=300", "a-1", 1), 200);
	const struct sr_binding *b = th_binding(e, ALICE, 0);
	assert_non_null(b);
	assert_int_equal(sr_loc_lease(b), 0);

	struct sr_app *app = calloc(1, sizeof(*app));
	assert_non_null(app);
	struct sr_app_config *c = &app->cfg;
	c->role = SR_ROLE_MID;
	c->ip = inet_addr("198.51.100.1");
	c->sip_port = 5060;
	c->reg.max_aor_len = 256;
	c->reg.retry_after = 30;
	sr_midreg_options_defaults(&c->mid);
	c->mid.mode = SR_MIDREG_CONTACT_THROTTLING;
	c->mid.records = 64;
	c->mid.contexts = 8;
	c->mid.registrar_ip = inet_addr("198.51.100.10"); /* resolved: nothing is looked up, nothing is sent */
	c->mid.registrar_port = 5070;
	struct sr_worker w = { .app = app, .id = 0, .shard = e->shard };
	app->n_workers = 1;
	app->w[0] = &w;
	assert_int_equal(sr_worker_mid_create(&w, e->now_ms), 0);
	struct sr_midreg_shard *ms = sr_worker_mid_shard(&w);
	assert_non_null(ms);

	uint32_t now_s = (uint32_t)(e->now_ms / 1000);
	struct sr_midreg_record rec = {
		.mode = SR_MIDREG_CONTACT_THROTTLING,
		.state = SR_MIDREG_REC_LIVE,
		.ctid = 0x1234,
		.binding_id = b->id,
		.up_expires_at = now_s + 3600,
		.up_refreshed_at = now_s,
		.cseq = 1,
		.aor = SR_STR_LIT(ALICE),
	};
	uint8_t bytes[256];
	size_t len = sr_midreg_record_encode(&rec, bytes, sizeof(bytes));
	assert_true(len > 0);
	assert_int_equal(sr_midreg_restore(ms, bytes, len, e->now_ms), 0);
	sr_midreg_restore_done(ms, e->now_ms);

	/* the worker's own store holds it: the upstream expiry less the refresh margin */
	b = th_binding(e, ALICE, 0);
	assert_non_null(b);
	uint32_t margin = sr_midreg_cfg(ms)->refresh_margin_s;
	assert_true(margin > 0);
	assert_int_equal(sr_loc_lease(b), now_s + 3600 - margin);
	assert_true(sr_midreg_lease_covers(sr_loc_lease(b), now_s, 300));

	sr_worker_mid_free(&w);
	free(app);
	th_env_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lease_lands_on_the_workers_binding),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
