/*
 * test_net_port.c - the TX offload decision of a port (lib/net/net_port.c):
 * multi-segment transmit is configured when the port offers it, and chains
 * are sent only where it was configured.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <rte_ethdev.h>

#include "net_port.h"

static void multi_seg_is_requested_when_offered(void **state)
{
	(void)state;
	uint64_t capa = RTE_ETH_TX_OFFLOAD_MULTI_SEGS | RTE_ETH_TX_OFFLOAD_IPV4_CKSUM;
	uint64_t offloads = sr_net_port_tx_offloads(capa);
	assert_int_equal(offloads, RTE_ETH_TX_OFFLOAD_MULTI_SEGS);
	assert_true(sr_net_port_tx_multi_seg(offloads));
}

static void no_multi_seg_without_the_capability(void **state)
{
	(void)state;
	uint64_t offloads = sr_net_port_tx_offloads(RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM);
	assert_int_equal(offloads, 0);
	assert_false(sr_net_port_tx_multi_seg(offloads));
	assert_int_equal(sr_net_port_tx_offloads(0), 0);
}

/* fragments are indirect mbufs: fast free must never be configured, even when offered */
static void fast_free_is_never_requested(void **state)
{
	(void)state;
	uint64_t capa = RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE | RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	assert_int_equal(sr_net_port_tx_offloads(capa) & RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE, 0);
	assert_false(sr_net_port_tx_multi_seg(sr_net_port_tx_offloads(RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE)));
}

/* the capability alone does not make a port send chains: only what was configured counts */
static void capability_alone_is_not_configuration(void **state)
{
	(void)state;
	assert_false(sr_net_port_tx_multi_seg(0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(multi_seg_is_requested_when_offered),
		cmocka_unit_test(no_multi_seg_without_the_capability),
		cmocka_unit_test(fast_free_is_never_requested),
		cmocka_unit_test(capability_alone_is_not_configuration),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
