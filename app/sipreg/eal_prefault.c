/*
 * eal_prefault.c - see eal_prefault.h.
 *
 * Design decisions:
 * - Why: under --no-huge DPDK maps its memory as a memfd of 4 KiB pages
 *   that the kernel fills on first touch, so the AoR tables (rte_hash
 *   buckets and key slots, placed at random by the AoR hash) fault page by
 *   page while they fill: at run time on the worker, in the middle of new
 *   registrations, and at a restart on every restored AoR. With hugepages
 *   (production) that memory is resident from the start; populating it at
 *   start makes --no-huge behave the same, at the cost of its RSS (eal -m)
 *   from the start and of the time to zero it, paid once before the ports
 *   open.
 * - MADV_POPULATE_WRITE, one call per contiguous run of segments: the
 *   kernel allocates and maps the pages in a loop, without a page fault
 *   (an exception and its return, expensive in a VM) per page. Transparent
 *   huge pages cannot help here: the memfd is shmem, whose huge pages are
 *   off unless the administrator enables them (shmem_enabled).
 * - Only segments of 4 KiB pages: hugepage segments are resident as soon as
 *   DPDK allocates them, and external memory is the application's.
 */
#include "eal_prefault.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <rte_memory.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif

struct walk {
	uint64_t bytes;
	int err;
};

static int populate(const struct rte_memseg_list *msl, const struct rte_memseg *ms, size_t len, void *arg)
{
	struct walk *w = arg;
	if (msl->external || msl->page_sz != 4096)
		return 0;
	if (madvise(ms->addr, len, MADV_POPULATE_WRITE) != 0) {
		w->err = errno;
		return 1; /* stop: the same will fail for the rest */
	}
	w->bytes += len;
	return 0;
}

int sr_eal_prefault(uint64_t *bytes, char *err, size_t cap)
{
	struct walk w = { 0, 0 };
	rte_memseg_contig_walk(populate, &w);
	*bytes = w.bytes;
	if (w.err) {
		snprintf(err, cap, "eal.prefault: madvise(MADV_POPULATE_WRITE): %s", strerror(w.err));
		return -1;
	}
	return 0;
}

void sr_eal_prefault_start(void)
{
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	uint64_t bytes;
	char err[256];
	if (sr_eal_prefault(&bytes, err, sizeof(err)) != 0) {
		fprintf(stderr, "sipreg: warning: %s; EAL pages fault on first use\n", err);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	if (bytes)
		printf("sipreg: EAL memory prefaulted (eal.prefault): %llu MiB in %lld ms\n",
		       (unsigned long long)(bytes >> 20),
		       (long long)((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000));
}
