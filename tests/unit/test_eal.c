#include "test_eal.h"

#include <rte_eal.h>
#include <stdio.h>

int sr_test_eal_init(void)
{
	static int done;
	if (done)
		return 0;
	char *argv[] = { "sr-test", "--no-huge", "--no-pci", "--no-shconf", "-m", "256",
			 "--no-telemetry", "--log-level=lib.eal:error", NULL };
	int argc = (int)(sizeof(argv) / sizeof(argv[0])) - 1;
	if (rte_eal_init(argc, argv) < 0) {
		fprintf(stderr, "rte_eal_init failed\n");
		return -1;
	}
	done = 1;
	return 0;
}
