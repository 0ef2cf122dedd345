/* taintline get account|tx|block on an Ethereum database. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "ethereum/address.h"
#include "store/eth_json.h"
#include "store/eth_store.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: taintline get account ADDRESS --db DB [--transfers [--asset TOKEN] [--before SEQ]]\n"
		   "       taintline get tx HASH --db DB\n"
		   "       taintline get block NUMBER|HASH --db DB\n"
		   "  On an Ethereum database: JSON with amounts as decimal strings in base\n"
		   "  units (wei, token units). An account's assets carry received, sent,\n"
		   "  fees, balance (received - sent - fees, negative when it held funds\n"
		   "  before the first indexed block) and its count of transfers.\n"
		   "  --transfers     the account's transfers of one asset, newest first, 25 a page\n"
		   "  --asset TOKEN   the token contract (default: ether)\n"
		   "  --before SEQ    the next page: the 'next' cursor of the previous one\n");
}

static int print_json(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(j);
	if (!s) return TL_EXIT_FAIL;
	printf("%s\n", s);
	free(s);
	return TL_EXIT_OK;
}

int cmd_get_eth(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },       { "transfers", no_argument, NULL, 't' },
		{ "asset", required_argument, NULL, 'a' },    { "before", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },           { NULL, 0, NULL, 0 },
	};
	const char *db = NULL, *asset = NULL, *before = NULL;
	int transfers = 0, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 't': transfers = 1; break;
		case 'a': asset = optarg; break;
		case 'b': before = optarg; break;
		case 'h': usage(stdout); return TL_EXIT_OK;
		default: usage(stderr); return TL_EXIT_USAGE;
		}
	}
	if (!db || argc - optind != 2) {
		usage(stderr);
		return TL_EXIT_USAGE;
	}
	const char *what = argv[optind], *arg = argv[optind + 1];
	struct tl_err err;
	uint8_t addr[20], tok[20], h[32];
	uint64_t bseq = UINT64_MAX, number = 0;
	bool by_hash = false;
	if (!strcmp(what, "account") || !strcmp(what, "address")) {
		if (tl_eth_addr_parse(arg, strlen(arg), addr, &err) < 0 ||
		    (asset && tl_eth_addr_parse(asset, strlen(asset), tok, &err) < 0)) {
			fprintf(stderr, "get: %s\n", err.msg);
			return TL_EXIT_USAGE;
		}
		if (before) {
			char *end;
			bseq = strtoull(before, &end, 10);
			if (!*before || *end) {
				fprintf(stderr, "get: --before wants a transfer cursor (a number)\n");
				return TL_EXIT_USAGE;
			}
		}
	} else if (!strcmp(what, "tx")) {
		if (tl_eth_hex_bytes(arg, strlen(arg), h, 32) < 0) {
			fprintf(stderr, "get: '%s' is not a transaction hash (0x and 64 hex digits)\n", arg);
			return TL_EXIT_USAGE;
		}
	} else if (!strcmp(what, "block")) {
		if (strlen(arg) >= 64 && tl_eth_hex_bytes(arg, strlen(arg), h, 32) == 0) by_hash = true;
		else {
			char *end;
			number = strtoull(arg, &end, 10);
			if (!*arg || *end || arg[0] == '-') {
				fprintf(stderr, "get: '%s' is neither a block hash nor a number\n", arg);
				return TL_EXIT_USAGE;
			}
		}
	} else {
		usage(stderr);
		return TL_EXIT_USAGE;
	}
	struct tl_eth_store *s;
	struct tl_eth_store_opts so = { .read_only = true, .cache_mb = 16 };
	if (tl_eth_store_open(db, &so, &s, &err) < 0) {
		fprintf(stderr, "get: %s\n", err.msg);
		return TL_EXIT_FAIL;
	}
	json_t *j;
	if (!strcmp(what, "tx")) j = tl_eth_json_tx(s, h, &err);
	else if (!strcmp(what, "block")) j = tl_eth_json_block(s, number, by_hash ? h : NULL, &err);
	else if (transfers) j = tl_eth_json_history(s, addr, asset ? tok : NULL, bseq, 25, &err);
	else j = tl_eth_json_account(s, addr, &err);
	tl_eth_store_close(s);
	if (!j) {
		fprintf(stderr, "get: %s\n", err.msg);
		return TL_EXIT_FAIL;
	}
	return print_json(j);
}
