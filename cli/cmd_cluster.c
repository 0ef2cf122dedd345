/* taintline cluster: the cluster of an address. */
#include <stdio.h>

#include "cli/cli.h"

int cmd_cluster(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "cluster: not implemented yet\n");
	return TL_EXIT_FAIL;
}
