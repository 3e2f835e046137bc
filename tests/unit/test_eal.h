/*
 * test_eal.h - starts the DPDK EAL once for unit tests that need rte_hash.
 *
 * No hugepages, no PCI, no shared config files and no telemetry thread: the
 * EAL only provides its heap, which takes milliseconds to set up.
 */
#ifndef SR_TEST_EAL_H
#define SR_TEST_EAL_H

int sr_test_eal_init(void);

#endif
