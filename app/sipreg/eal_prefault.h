/*
 * eal_prefault.h - EAL memory made resident at start under --no-huge, as
 * hugepages are (eal.prefault).
 */
#ifndef SR_EAL_PREFAULT_H
#define SR_EAL_PREFAULT_H

#include <stddef.h>
#include <stdint.h>

/*
 * Populates every allocated EAL memory segment of 4 KiB pages (no-huge
 * memory) with MADV_POPULATE_WRITE; hugepage segments are resident
 * already. Call after rte_eal_init, before any table is filled. Returns 0
 * with *bytes populated, or -1 with err set (a kernel without
 * MADV_POPULATE_WRITE, 5.14: the memory then faults on first touch, as
 * before).
 */
int sr_eal_prefault(uint64_t *bytes, char *err, size_t cap);
/* sr_eal_prefault at sipreg's start: prints what it populated and how long it took, or a warning. */
void sr_eal_prefault_start(void);

#endif
