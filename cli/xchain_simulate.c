/* taintline simulate --chain multichain --out DIR [--seed N]: the
 * multichain simulator (sim/xchain.h), reached from cmd_simulate. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "sim/xchain.h"

int cmd_simulate_xchain(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "chain", required_argument, NULL, 'c' }, { "out", required_argument, NULL, 'o' },
		{ "seed", required_argument, NULL, 's' },  { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = NULL;
	uint64_t seed = 1;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:s:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': break;
		case 'o': out = optarg; break;
		case 's': {
			char *end;
			seed = strtoull(optarg, &end, 10);
			if (!*optarg || *end) {
				fprintf(stderr, "simulate: --seed wants a number\n");
				return TL_EXIT_USAGE;
			}
			break;
		}
		case 'h':
			puts("usage: taintline simulate --chain multichain --out DIR [--seed N]\n"
			     "  DIR/ethereum: an ethereum-etl export (network dev) with a Bybit-shaped theft swapped\n"
			     "  to Bitcoin through THORChain; DIR/bitcoin/blocks: the regtest chain holding the\n"
			     "  outbounds (OUT: memos), cash-outs, a CoinJoin and a DMM-shaped theft swapped the\n"
			     "  other way (one refunded); tags.csv and heists.json for each; DIR/truth.json.");
			return TL_EXIT_OK;
		default: return TL_EXIT_USAGE;
		}
	}
	if (!out || optind != argc) {
		fprintf(stderr, "usage: taintline simulate --chain multichain --out DIR [--seed N]\n");
		return TL_EXIT_USAGE;
	}
	struct tl_err err = { 0 };
	if (tl_xsim_run(out, seed, &err)) {
		fprintf(stderr, "simulate: %s\n", err.msg);
		return TL_EXIT_FAIL;
	}
	return TL_EXIT_OK;
}
