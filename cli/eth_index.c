/* taintline index --chain ethereum: an ethereum-etl export, or a node's
 * JSON-RPC, -> the Ethereum database. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/progress.h"
#include "ethereum/etl.h"
#include "indexer/eth_index.h"
#include "indexer/eth_node.h"
#include "store/eth_store.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: taintline index --chain ethereum --etl DIR --db DB [OPTIONS]\n"
		   "       taintline index --chain ethereum --rpc URL --db DB [--until BLOCK] [OPTIONS]\n"
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
		   "  --rpc URL         a node's JSON-RPC (http://host:port): indexes the blocks\n"
		   "                    after the database's tip, then follows the head (Ctrl-C\n"
		   "                    stops after the current batch); run again to resume\n"
		   "  --until BLOCK     stop after this block instead of following the head\n"
		   "  --from BLOCK      first block when the database is empty (default 0)\n"
		   "  --confirmations N index only blocks N below the node's head (default 0),\n"
		   "                    so that reorgs shallower than N never reach the index\n"
		   "  --traces T        auto (default: trace_block, else debug_traceBlockByNumber\n"
		   "                    with the callTracer, else none), parity, geth, none\n"
		   "  --batch N         blocks per request batch (default 16)\n"
		   "  --timeout S       seconds per request (default 30)\n"
		   "  --retries N       attempts after a failed request, with doubling waits\n"
		   "                    from 1 s (default 6)\n"
		   "  --undo-depth N    keep undo data for the last N blocks (default 64): a reorg\n"
		   "                    up to N blocks deep is rolled back and the new chain indexed;\n"
		   "                    a deeper one stops the run with nothing rolled back\n");
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

static volatile sig_atomic_t g_stop;
static void on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

struct rpc_ctx {
	struct tl_progress pr;
	struct tl_eth_store *s;
	int quiet;
};

static void on_node_progress(void *c, const struct tl_eth_node_progress *p)
{
	struct rpc_ctx *x = c;
	tl_progress_update(&x->pr, "index", (int64_t)(p->tip + 1 - p->first), (int64_t)(p->head + 1 - p->first), p->txs, 0,
			   p->elapsed);
}

static void on_node_note(void *c, const char *msg)
{
	struct rpc_ctx *x = c;
	char line[600];
	snprintf(line, sizeof line, "note: %s", msg);
	tl_progress_msg(&x->pr, line);
}

/* Caught up after new blocks or a rollback: the screening index of every
 * imported heist follows the tip (a heist whose seeds left the index
 * loses its entries). */
static int on_node_synced(void *c, struct tl_err *err)
{
	struct rpc_ctx *x = c;
	return eth_screen_refresh(x->s, 1, 1, err);
}

/* --rpc: the node's blocks after the database's tip (created if absent:
 * empty, it is harmless and the next run resumes from it). */
static int index_rpc(const char *db, const char *netname, struct tl_eth_node_opts *no, uint32_t cache_mb, int quiet)
{
	const struct tl_eth_net *net = tl_eth_net_by_name(netname ? netname : "mainnet");
	if (!net) {
		fprintf(stderr, "index: unknown network '%s' (mainnet, sepolia, holesky, dev)\n", netname);
		return TL_EXIT_USAGE;
	}
	struct tl_eth_store_opts so = { .create = true, .net = net, .cache_mb = cache_mb };
	if (!netname && tl_eth_store_probe(db)) so.net = NULL;
	struct tl_err err;
	struct tl_eth_store *s = NULL;
	if (tl_eth_store_open(db, &so, &s, &err) < 0) {
		fprintf(stderr, "index: %s\n", err.msg);
		return TL_EXIT_FAIL;
	}
	struct rpc_ctx x;
	memset(&x, 0, sizeof x);
	x.s = s;
	x.quiet = quiet;
	tl_progress_init(&x.pr, stderr, quiet);
	g_stop = 0;
	struct sigaction sa, old_int, old_term;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	no->stop = &g_stop;
	no->progress = on_node_progress;
	no->note = on_node_note;
	no->synced = on_node_synced;
	no->ctx = &x;
	struct tl_eth_node_result res;
	int rc = tl_eth_node_index(s, no, &res, &err);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	tl_progress_done(&x.pr);
	struct tl_eth_tip t;
	memset(&t, 0, sizeof t);
	t.height = -1;
	if (rc < 0) fprintf(stderr, "index: %s\n", err.msg);
	if (tl_eth_store_tip(s, &t, &err) < 0) {
		fprintf(stderr, "index: %s\n", err.msg);
		rc = -1;
	}
	if (!quiet) {
		fprintf(stderr, "indexed %llu blocks, %llu transactions, %llu transfers from the node; tip %lld (%s)%s\n",
			(unsigned long long)res.blocks, (unsigned long long)res.txs, (unsigned long long)res.transfers,
			(long long)t.height, tl_eth_store_net(s)->name, g_stop ? "; stopped" : "");
		if (res.reorgs)
			fprintf(stderr, "%llu reorgs: %llu blocks rolled back\n", (unsigned long long)res.reorgs,
				(unsigned long long)res.rolled_back);
		if (res.traces == TL_ETH_TRACES_NONE)
			fprintf(stderr, "note: no traces: internal transfers and block rewards are unknown\n");
	}
	tl_eth_store_close(s);
	return rc < 0 ? TL_EXIT_FAIL : TL_EXIT_OK;
}

int cmd_index_eth(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "chain", required_argument, NULL, 'c' }, { "etl", required_argument, NULL, 'e' },
		{ "rpc", required_argument, NULL, 'r' },   { "db", required_argument, NULL, 'd' },
		{ "network", required_argument, NULL, 'n' }, { "cache-mb", required_argument, NULL, 'm' },
		{ "quiet", no_argument, NULL, 'q' },       { "help", no_argument, NULL, 'h' },
		{ "until", required_argument, NULL, 'u' }, { "from", required_argument, NULL, 'f' },
		{ "traces", required_argument, NULL, 't' }, { "batch", required_argument, NULL, 'b' },
		{ "timeout", required_argument, NULL, 'T' }, { "retries", required_argument, NULL, 'R' },
		{ "confirmations", required_argument, NULL, 'C' }, { "undo-depth", required_argument, NULL, 'U' },
		{ NULL, 0, NULL, 0 },
	};
	const char *etl = NULL, *rpc = NULL, *db = NULL, *netname = NULL;
	unsigned long cache_mb = 256;
	int quiet = 0, c;
	struct tl_eth_node_opts no = { .until = -1, .retries = 6 };
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
		case 'u':
		case 'f':
		case 'b':
		case 'R':
		case 'C':
		case 'U':
		case 'T': {
			char *end;
			unsigned long long v = strtoull(optarg, &end, 10);
			if (!*optarg || *end || *optarg == '-' || (c == 'b' && (v < 1 || v > 1000)) || (c == 'R' && v > 100) || (c == 'C' && v > 10000) ||
			    (c == 'U' && (v < 1 || v > 100000)) ||
			    (c == 'T' && (v < 1 || v > 3600)) || v > INT64_MAX) {
				fprintf(stderr, "index: bad value '%s' for --%s\n", optarg,
					c == 'u' ? "until" : c == 'f' ? "from" : c == 'b' ? "batch" : c == 'R' ? "retries" : c == 'C' ? "confirmations" : c == 'U' ? "undo-depth" : "timeout");
				return TL_EXIT_USAGE;
			}
			if (c == 'u') no.until = (int64_t)v;
			else if (c == 'f') no.from = v;
			else if (c == 'b') no.batch_blocks = (uint32_t)v;
			else if (c == 'R') no.retries = (uint32_t)v;
			else if (c == 'C') no.confirmations = (uint32_t)v;
			else if (c == 'U') no.undo_depth = (uint32_t)v;
			else no.timeout = (double)v;
			break;
		}
		case 't':
			if (!strcmp(optarg, "auto")) no.traces = TL_ETH_TRACES_AUTO;
			else if (!strcmp(optarg, "parity")) no.traces = TL_ETH_TRACES_PARITY;
			else if (!strcmp(optarg, "geth")) no.traces = TL_ETH_TRACES_GETH;
			else if (!strcmp(optarg, "none")) no.traces = TL_ETH_TRACES_NONE;
			else {
				fprintf(stderr, "index: --traces wants auto, parity, geth or none\n");
				return TL_EXIT_USAGE;
			}
			break;
		case 'q': quiet = 1; break;
		case 'h': usage(stdout); return TL_EXIT_OK;
		default: usage(stderr); return TL_EXIT_USAGE;
		}
	}
	if (rpc && !etl && db && optind == argc) {
		no.url = rpc;
		no.cache_bytes = (size_t)(cache_mb / 2) << 20;
		return index_rpc(db, netname, &no, (uint32_t)(cache_mb / 4), quiet);
	}
	if (rpc) {
		usage(stderr);
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
