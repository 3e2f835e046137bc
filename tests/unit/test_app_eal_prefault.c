/*
 * test_app_eal_prefault.c - eal.prefault (app/sipreg/eal_prefault.c): under
 * --no-huge the EAL's memory is not resident after rte_eal_init (its pages
 * fault on first touch, in the data plane); after sr_eal_prefault every
 * page of it is, and the figure it returns is the EAL's memory (-m 256).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <rte_memory.h>

#include "eal_prefault.h"
#include "test_eal.h"

struct count {
	size_t pages, resident;
};

static int count_resident(const struct rte_memseg_list *msl, const struct rte_memseg *ms, size_t len, void *arg)
{
	struct count *c = arg;
	if (msl->external || msl->page_sz != 4096)
		return 0;
	size_t n = len / 4096;
	unsigned char *vec = malloc(n);
	assert_non_null(vec);
	assert_int_equal(mincore(ms->addr, len, vec), 0);
	for (size_t i = 0; i < n; i++)
		c->resident += vec[i] & 1;
	c->pages += n;
	free(vec);
	return 0;
}

static void test_prefault_makes_eal_memory_resident(void **state)
{
	(void)state;
	struct count before = { 0, 0 }, after = { 0, 0 };
	rte_memseg_contig_walk(count_resident, &before);
	assert_int_equal(before.pages, (256u << 20) / 4096);
	assert_true(before.resident < before.pages / 2); /* only what the EAL itself touched */
	uint64_t bytes = 0;
	char err[256];
	assert_int_equal(sr_eal_prefault(&bytes, err, sizeof(err)), 0);
	assert_int_equal(bytes, 256u << 20);
	rte_memseg_contig_walk(count_resident, &after);
	assert_int_equal(after.resident, after.pages);
}

int main(void)
{
	if (sr_test_eal_init() != 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prefault_makes_eal_memory_resident),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
