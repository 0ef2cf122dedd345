/* taintline index --chain ethereum: an ethereum-etl export -> the
 * Ethereum database. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/progress.h"
#include "ethereum/etl.h"
#include "indexer/eth_index.h"
#include "store/eth_store.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: taintline index --chain ethereum --etl DIR --db DB [OPTIONS]\n"
		   "  Indexes an ethereum-etl export (CSV or JSON lines: blocks, transactions,\n"
		   "  receipts, logs, token_transfers, traces, tokens; the folder is searched\n"
		   "  recursively, as export_all partitions it; stream exporter items too) into\n"
		   "  the Ethereum database DB. Run it again with a later export to extend the\n"
		   "  index: the new blocks must continue the indexed ones.\n"
		   "  --etl DIR         the export folder\n"
		   "  --db DB           database directory (created if absent)\n"
		   "  --network N       mainnet (default), sepolia, holesky, dev: an export\n"
		   "                    carries no chain id\n"
		   "  --cache-mb M      MiB for the caches (default 256)\n"
		   "  -q, --quiet       no progress or notes\n"
		   "  -h, --help        this text\n"
		   "  (Following a node over JSON-RPC, --rpc URL, is not available yet.)\n");
}

struct ctx {
	struct tl_progress pr;
	uint64_t blocks_before, total; /* blocks of the parts done; of the whole export (0: unknown) */
	uint64_t txs_before;
	double elapsed_before;
};

static void on_progress(void *c, const struct tl_eth_index_progress *p)
{
	struct ctx *x = c;
	tl_progress_update(&x->pr, "index", (int64_t)(x->blocks_before + p->blocks_done), (int64_t)x->total,
			   x->txs_before + p->txs, 0, x->elapsed_before + p->elapsed);
	if (p->blocks_done == p->blocks_total) {
		x->txs_before += p->txs;
		x->elapsed_before += p->elapsed;
	}
}

int cmd_index_eth(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "chain", required_argument, NULL, 'c' }, { "etl", required_argument, NULL, 'e' },
		{ "rpc", required_argument, NULL, 'r' },   { "db", required_argument, NULL, 'd' },
		{ "network", required_argument, NULL, 'n' }, { "cache-mb", required_argument, NULL, 'm' },
		{ "quiet", no_argument, NULL, 'q' },       { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *etl = NULL, *rpc = NULL, *db = NULL, *netname = NULL;
	unsigned long cache_mb = 256;
	int quiet = 0, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': break;
		case 'e': etl = optarg; break;
		case 'r': rpc = optarg; break;
		case 'd': db = optarg; break;
		case 'n': netname = optarg; break;
		case 'm': {
			char *end;
			cache_mb = strtoul(optarg, &end, 10);
			if (!*optarg || *end || cache_mb < 16 || cache_mb > 1u << 20) {
				fprintf(stderr, "index: --cache-mb wants a number of MiB (16 or more)\n");
				return TL_EXIT_USAGE;
			}
			break;
		}
		case 'q': quiet = 1; break;
		case 'h': usage(stdout); return TL_EXIT_OK;
		default: usage(stderr); return TL_EXIT_USAGE;
		}
	}
	if (rpc) {
		fprintf(stderr, "index: --rpc is not available yet; index an ethereum-etl export with --etl\n");
		return TL_EXIT_USAGE;
	}
	if (!etl || !db || optind != argc) {
		usage(stderr);
		return TL_EXIT_USAGE;
	}
	const struct tl_eth_net *net = tl_eth_net_by_name(netname ? netname : "mainnet");
	if (!net) {
		fprintf(stderr, "index: unknown network '%s' (mainnet, sepolia, holesky, dev)\n", netname);
		return TL_EXIT_USAGE;
	}
	struct tl_err err;
	struct ctx x;
	memset(&x, 0, sizeof x);
	tl_progress_init(&x.pr, stderr, quiet);
	struct tl_eth_parts parts;
	if (tl_eth_etl_parts(etl, &parts, &err) < 0) {
		fprintf(stderr, "index: %s\n", err.msg);
		return TL_EXIT_FAIL;
	}
	/* The database is opened (or created) once the first part reads
	 * well: a malformed export leaves no database behind. */
	struct tl_eth_store *s = NULL;
	struct tl_eth_store_opts so = { .create = true, .net = net, .cache_mb = (uint32_t)(cache_mb / 4) };
	/* an explicit --network is checked against the database's; without
	 * it an existing database keeps its own */
	if (!netname && tl_eth_store_probe(db)) so.net = NULL;
	/* Parts (export_all's block ranges) are read and indexed one at a
	 * time; each is checked whole before its first write. */
	x.blocks_before = 0;
	x.total = 0;
	for (size_t k = 0; k < parts.n; k++)
		x.total += parts.v[k].end == UINT64_MAX ? 0 : parts.v[k].end - parts.v[k].start + 1;
	struct tl_eth_index_opts io = { .progress = on_progress, .ctx = &x, .cache_bytes = (size_t)(cache_mb / 2) << 20 };
	struct tl_eth_index_result sum = { 0 };
	unsigned have_all = 0x7f;
	struct tl_eth_indexer *ixr = NULL;
	int rc = 0;
	for (size_t k = 0; rc == 0 && k < parts.n; k++) {
		struct tl_eth_data d = { 0 };
		if (!quiet && parts.n == 1) tl_progress_msg(&x.pr, "reading the export...");
		if (tl_eth_etl_read_part(&d, &parts.v[k], &err) < 0) {
			tl_progress_done(&x.pr);
			fprintf(stderr, "index: %s (nothing stored from this part%s)\n", err.msg,
				k ? "; the parts before it are indexed" : "");
			tl_eth_data_free(&d);
			rc = -1;
			break;
		}
		have_all &= d.have;
		if (x.total == 0) x.total = d.n_blocks;
		if (!s && tl_eth_store_open(db, &so, &s, &err) < 0) {
			tl_progress_done(&x.pr);
			fprintf(stderr, "index: %s\n", err.msg);
			tl_eth_data_free(&d);
			rc = -1;
			break;
		}
		if (!ixr) ixr = tl_eth_indexer_new(s, &io);
		struct tl_eth_index_result res;
		rc = tl_eth_indexer_add(ixr, &d, &res, &err);
		if (rc < 0) {
			tl_progress_done(&x.pr);
			fprintf(stderr, "index: %s\n", err.msg);
		}
		x.blocks_before += res.blocks + res.skipped;
		sum.blocks += res.blocks;
		sum.skipped += res.skipped;
		sum.txs += res.txs;
		sum.transfers += res.transfers;
		tl_eth_data_free(&d);
	}
	tl_eth_parts_free(&parts);
	tl_eth_indexer_free(ixr);
	tl_progress_done(&x.pr);
	if (rc < 0) {
		tl_eth_store_close(s);
		return TL_EXIT_FAIL;
	}
	char note[1024];
	tl_eth_missing_note(have_all, note, sizeof note);
	if (!quiet && note[0]) fprintf(stderr, "note: %s\n", note);
	struct tl_eth_index_result res = sum;
	struct tl_eth_tip t;
	if (tl_eth_store_tip(s, &t, &err) < 0) {
		fprintf(stderr, "index: %s\n", err.msg);
		tl_eth_store_close(s);
		return TL_EXIT_FAIL;
	}
	if (!quiet)
		fprintf(stderr, "indexed %llu blocks (%llu already there), %llu transactions, %llu transfers; tip %lld (%s)\n",
			(unsigned long long)res.blocks, (unsigned long long)res.skipped, (unsigned long long)res.txs,
			(unsigned long long)res.transfers, (long long)t.height, tl_eth_store_net(s)->name);
	/* keep the screening index of imported heists at the tip (cli/eth_intel.c) */
	if (res.blocks && eth_screen_refresh(s, 0, quiet, &err)) {
		fprintf(stderr, "index: screening index: %s\n", err.msg);
		tl_eth_store_close(s);
		return TL_EXIT_FAIL;
	}
	tl_eth_store_close(s);
	return TL_EXIT_OK;
}
