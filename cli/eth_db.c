/* taintline db digest|stats on an Ethereum database. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "ethereum/address.h"
#include "store/eth_store.h"

int cmd_db_eth(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "counts", no_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = NULL;
	int counts = 0, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:c", opts, NULL)) != -1) {
		if (c == 'd') db = optarg;
		else if (c == 'c') counts = 1;
		else return TL_EXIT_USAGE;
	}
	if (!db || argc - optind != 1) return TL_EXIT_USAGE;
	int stats = !strcmp(argv[optind], "stats");
	struct tl_err err;
	struct tl_eth_store *s;
	struct tl_eth_store_opts so = { .read_only = true, .cache_mb = 16 };
	if (tl_eth_store_open(db, &so, &s, &err) < 0) {
		fprintf(stderr, "db: %s\n", err.msg);
		return TL_EXIT_FAIL;
	}
	uint8_t dg[32];
	uint64_t n[TL_ECF_COUNT];
	struct tl_eth_tip t;
	if (tl_eth_store_digest(s, dg, n, &err) < 0 || tl_eth_store_tip(s, &t, &err) < 0) {
		fprintf(stderr, "db: %s\n", err.msg);
		tl_eth_store_close(s);
		return TL_EXIT_FAIL;
	}
	char hex[67];
	if (stats) {
		printf("chain: ethereum\nnetwork: %s\nblocks: %lld to %lld, tip %s\ntransactions: %llu\ntransfers: %llu\n"
		       "accounts: %llu\ntokens: %u\n",
		       tl_eth_store_net(s)->name, (long long)t.first, (long long)t.height, tl_eth_hex(t.hash, 32, hex),
		       (unsigned long long)t.txs, (unsigned long long)t.next_seq, (unsigned long long)(t.next_acct - 1),
		       t.next_asset - 1);
		counts = 1;
	}
	tl_eth_hex(dg, 32, hex);
	printf("%s%s\n", stats ? "digest: " : "", hex + 2);
	if (counts)
		for (int i = 0; i < TL_ECF_COUNT; i++)
			printf("  %-14s %llu\n", tl_eth_cf_name((enum tl_eth_cf)i), (unsigned long long)n[i]);
	tl_eth_store_close(s);
	return TL_EXIT_OK;
}
