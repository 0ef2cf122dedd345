/* taintline get tx|address|block: Esplora-shaped JSON from the index. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bitcoin/blkfile.h"
#include "bitcoin/hash.h"
#include "cli/cli.h"
#include "store/esplora_json.h"
#include "store/eth_store.h"
#include "store/store.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: taintline get tx TXID --db DB [--blocks-dir DIR]\n"
		   "       taintline get address ADDRESS --db DB [--txs [--last-seen TXID]] [--utxo]\n"
		   "       taintline get block HASH|HEIGHT --db DB\n"
		   "  Prints JSON in the shapes of the Esplora REST API (/tx/:txid,\n"
		   "  /address/:address, /address/:address/txs/chain, /address/:address/utxo,\n"
		   "  /block/:hash). Scripts and witnesses are read from the blk files of the\n"
		   "  blocks directory the index was built from (or --blocks-dir).\n"
		   "  --txs               the address's transactions, newest first, 25 a page\n"
		   "  --last-seen TXID    next page after this transaction\n"
		   "  --utxo              the address's unspent outputs\n"
		   "  An Ethereum database (index --chain ethereum) answers get account ADDRESS,\n"
		   "  get tx HASH and get block NUMBER|HASH instead (docs/ethereum.md).\n");
}

static int print_json(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
	json_decref(j);
	if (!s) return TL_EXIT_FAIL;
	printf("%s\n", s);
	free(s);
	return TL_EXIT_OK;
}

int cmd_get(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },        { "blocks-dir", required_argument, NULL, 'b' },
		{ "txs", no_argument, NULL, 't' },             { "last-seen", required_argument, NULL, 'l' },
		{ "utxo", no_argument, NULL, 'u' },            { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = NULL, *bdir = NULL, *last = NULL;
	int txs = 0, utxo = 0, c;
	/* An Ethereum database takes its own options (--transfers, --asset,
	 * --before): look for it before parsing these. */
	for (int i = 1; i < argc; i++) {
		const char *d = !strcmp(argv[i], "--db") && i + 1 < argc ? argv[i + 1]
				: !strncmp(argv[i], "--db=", 5)          ? argv[i] + 5
									   : NULL;
		if (d && tl_eth_store_probe(d)) return cmd_get_eth(argc, argv); /* cli/eth_get.c */
	}
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:b:tl:uh", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'b': bdir = optarg; break;
		case 't': txs = 1; break;
		case 'l': last = optarg; break;
		case 'u': utxo = 1; break;
		case 'h': usage(stdout); return TL_EXIT_OK;
		default: usage(stderr); return TL_EXIT_USAGE;
		}
	}
	if (db && tl_eth_store_probe(db)) return cmd_get_eth(argc, argv); /* cli/eth_get.c */
	if (!db || argc - optind != 2) {
		usage(stderr);
		return TL_EXIT_USAGE;
	}
	const char *what = argv[optind], *arg = argv[optind + 1];
	if (strcmp(what, "tx") && strcmp(what, "address") && strcmp(what, "block")) {
		usage(stderr);
		return TL_EXIT_USAGE;
	}
	struct tl_err err;
	struct tl_store *s;
	struct tl_store_opts so = { .read_only = true, .cache_mb = 16 };
	if (tl_store_open(db, &so, &s, &err) < 0) {
		fprintf(stderr, "get: %s\n", err.msg);
		return TL_EXIT_FAIL;
	}
	struct tl_blkdir *d = NULL;
	char *stored_dir = NULL;
	int rc = TL_EXIT_FAIL;
	json_t *j = NULL;
	if (!strcmp(what, "tx") || (!strcmp(what, "address") && txs)) {
		if (!bdir) {
			if (tl_store_get_meta(s, "blocks_dir", &stored_dir, &err) != 1) {
				fprintf(stderr, "get: the database does not record its blocks directory; pass --blocks-dir\n");
				goto out;
			}
			bdir = stored_dir;
		}
		if (tl_blkdir_open(bdir, tl_store_net(s), &d, &err) < 0) {
			fprintf(stderr, "get: %s\n", err.msg);
			goto out;
		}
	}
	if (!strcmp(what, "tx")) {
		uint8_t txid[32];
		if (strlen(arg) != 64 || tl_hash_from_hex(arg, txid) < 0) {
			fprintf(stderr, "get: Invalid hash string '%s'\n", arg);
			rc = TL_EXIT_USAGE;
			goto out;
		}
		j = tl_esplora_tx_by_txid(s, d, txid, &err);
	} else if (!strcmp(what, "address")) {
		if (txs) {
			uint8_t ls[32];
			if (last && (strlen(last) != 64 || tl_hash_from_hex(last, ls) < 0)) {
				fprintf(stderr, "get: Invalid hash string '%s'\n", last);
				rc = TL_EXIT_USAGE;
				goto out;
			}
			j = tl_esplora_address_txs(s, d, arg, last ? ls : NULL, 25, &err);
		} else if (utxo) {
			j = tl_esplora_address_utxo(s, arg, 500, &err);
		} else {
			j = tl_esplora_address(s, arg, &err);
		}
	} else {
		struct tl_block_rec b;
		int r;
		uint8_t h[32];
		if (strlen(arg) == 64 && tl_hash_from_hex(arg, h) == 0) {
			r = tl_store_block_by_hash(s, h, &b, &err);
		} else {
			char *end;
			long v = strtol(arg, &end, 10);
			if (!*arg || *end || v < 0 || v > INT32_MAX) {
				fprintf(stderr, "get: '%s' is neither a block hash nor a height\n", arg);
				rc = TL_EXIT_USAGE;
				goto out;
			}
			r = tl_store_block_by_height(s, (int32_t)v, &b, &err);
		}
		if (r == 0) tl_err_set(&err, "Block not found");
		if (r == 1) j = tl_esplora_block(&b);
	}
	if (!j) {
		fprintf(stderr, "get: %s\n", err.msg);
		goto out;
	}
	rc = print_json(j);
out:
	free(stored_dir);
	tl_blkdir_close(d);
	tl_store_close(s);
	return rc;
}
