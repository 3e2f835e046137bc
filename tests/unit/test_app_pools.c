/*
 * test_app_pools.c - mbuf pool sizing (app/sipreg/pools.c): the transmit
 * pool covers every transmit descriptor, and with durability=sync also
 * every response the workers may hold until its commit and its retraction
 * (without that, a sync run at 40k/s lost exactly as many requests as it had
 * no mbuf for);
 * port.mbufs overrides the receive pool's computed size.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "pools.h"

/* The shipped defaults: the configuration as sipreg loads it with only the required key set. */
static void defaults(struct sr_app_config *c)
{
	char *argv[] = { "sipreg", "--set", "registrar.domains=example.com", NULL };
	assert_int_equal(sr_app_config_load(c, 3, argv), 0);
}

static void test_tx_pool_covers_held_responses(void **state)
{
	(void)state;
	struct sr_app_config c;
	defaults(&c);
	const unsigned workers = 2, ports = 1;
	unsigned plain = sr_pool_tx_mbufs(&c, workers, ports);
	assert_true(plain >= workers * ports * c.tx_desc);

	c.persistence = true; /* async: nothing is held */
	assert_int_equal(sr_pool_tx_mbufs(&c, workers, ports), plain);
	c.durability = SR_DURABILITY_SYNC;
	assert_int_equal(sr_pool_tx_mbufs(&c, workers, ports), plain + 2 * workers * c.event_ring);
}

static void test_rx_pool_override(void **state)
{
	(void)state;
	struct sr_app_config c;
	defaults(&c);
	unsigned computed = sr_pool_rx_mbufs(&c, 2, 1);
	assert_true(computed >= 2 * c.rx_desc + 2 * c.ring_size); /* descriptors and both full rings */
	c.mbufs = 12345;
	assert_int_equal(sr_pool_rx_mbufs(&c, 2, 1), 12345);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tx_pool_covers_held_responses),
		cmocka_unit_test(test_rx_pool_override),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
